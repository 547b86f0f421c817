"""Temporary files beside their target, named by the process that owns them.

A write that must be atomic goes to a sibling ``PREFIX-PID-RANDOM`` and is renamed into place.
A process killed before the rename leaves that sibling behind; the PID in its name tells a
leftover of a dead process (safe to remove) from one that another process is still writing.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from pathlib import Path


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (or cannot be ruled out)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists, owned by another user
        return True
    return True


def owned_name(prefix: str, suffix: str = "") -> str:
    """A fresh name ``PREFIX-PID-RANDOMSUFFIX`` for this process."""
    return f"{prefix}-{os.getpid()}-{secrets.token_hex(4)}{suffix}"


def leftovers(parent: Path, prefix: str, *, dead_only: bool = True) -> list[Path]:
    """Siblings named by :func:`owned_name` with ``prefix`` in ``parent``, newest first.

    With ``dead_only``, only those of processes no longer running.
    """
    pattern = re.compile(rf"{re.escape(prefix)}-(\d+)-[0-9a-f]{{8}}.*")
    try:
        found = [(p, int(m.group(1))) for p in Path(parent).iterdir() if (m := pattern.fullmatch(p.name))]
        found.sort(key=lambda t: t[0].lstat().st_mtime, reverse=True)
    except OSError:
        return []
    return [p for p, pid in found if not (dead_only and pid_alive(pid))]


def remove_leftovers(parent: Path, prefix: str) -> None:
    """Delete what dead processes left under ``prefix`` in ``parent`` (best effort)."""
    for p in leftovers(parent, prefix):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
