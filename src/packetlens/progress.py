"""Progress of long steps (embedding, cross-validation, the gate, an ONNX export), for people.

The library reports through a :class:`Progress` object and never draws anything itself: the
default, :class:`Silent`, does nothing; the CLI passes :class:`RichProgress` (rich's progress
display on stderr, only when stderr is a terminal and ``--quiet`` is not given).

Example::

    >>> with Silent().step("embedding 3 rows", total=3) as advance:
    ...     advance(3)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Protocol

Advance = Callable[[int], None]


class Progress(Protocol):
    """``step(description, total)`` is a context manager yielding ``advance(n)``; ``total`` may be ``None``."""

    def step(self, description: str, total: int | None = None):  # noqa: ANN201 - a context manager of Advance
        ...


def _no_advance(n: int = 1) -> None:
    return None


class Silent:
    """Reports nothing (the library's default)."""

    @contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[Advance]:
        yield _no_advance


class Messages:
    """One message per step through a callable (``print``, a logger's ``info``)."""

    def __init__(self, say: Callable[[str], None]) -> None:
        self.say = say

    @contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[Advance]:
        self.say(description)
        yield _no_advance


class RichProgress:
    """rich's progress display on a console (stderr): a bar where the total is known, a spinner
    where it is not, and one line with the time taken when the step ends."""

    def __init__(self, console) -> None:  # noqa: ANN001 - a rich Console
        self.console = console

    @contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[Advance]:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn,
                                   TimeElapsedColumn)

        t0 = time.perf_counter()
        columns = [SpinnerColumn(), TextColumn("{task.description}")]
        if total is not None:
            columns += [BarColumn(), MofNCompleteColumn()]
        with Progress(*columns, TimeElapsedColumn(), console=self.console, transient=True) as bar:
            task = bar.add_task(description, total=total)
            yield lambda n=1: bar.advance(task, n)
        self.console.print(f"[green]✓[/green] {description} ({time.perf_counter() - t0:.1f} s)", highlight=False)


def as_progress(progress: Progress | Callable[[str], None] | None) -> Progress:
    """A :class:`Progress` from ``None`` (silent), a callable of one message, or a Progress."""
    if progress is None:
        return Silent()
    if hasattr(progress, "step"):
        return progress  # type: ignore[return-value]
    return Messages(progress)  # type: ignore[arg-type]
