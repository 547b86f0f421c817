"""Two versions of a packet, bullet by bullet: what improved, what regressed, the score change.

Bullets are matched across versions by the cosine of their embeddings (greedily, most similar pair
first, at least :data:`MATCH_FLOOR`), so a bullet that was rewritten, moved or reworded is still
the same bullet; one left unmatched was added or removed.

Example::

    >>> d = scorer.diff(Path("packet_v1.md"), Path("packet_v2.md"))   # doctest: +SKIP
    >>> d.score_change, [c.status for c in d.changes][:3]             # doctest: +SKIP
    (14.2, ['improved', 'unchanged', 'regressed'])
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

import numpy as np

from packetlens.render import clip
from packetlens.results import BulletScore, PacketReport, _r

MATCH_FLOOR = 0.5
"""Two bullets under this cosine are not versions of each other. A weak bullet and its strong
rewrite in the example packets sit at 0.55-0.9; unrelated bullets of one packet mostly under 0.5."""

SECTION_FLOOR = 0.35
"""Within one section, a bullet left unmatched is the version of one at least this close: a rewrite
that kept its place ("Created a golden dataset." -> "Built the 3,000-query golden set ...": 0.44)."""

CHANGED = 0.05
"""A change of P(strong) at least this large (or a verdict that flips) is improved / regressed."""

Status = Literal["improved", "regressed", "unchanged", "added", "removed"]
ORDER: tuple[Status, ...] = ("improved", "regressed", "added", "removed", "unchanged")


@dataclass(frozen=True)
class BulletChange:
    """One bullet across two versions; ``old`` is ``None`` when added, ``new`` when removed."""

    status: Status
    old: BulletScore | None
    new: BulletScore | None
    similarity: float | None = None

    @property
    def delta(self) -> float:
        """Change of P(strong), new minus old (0 for an added or removed bullet)."""
        return self.new.strength.p - self.old.strength.p if self.old and self.new else 0.0

    def to_dict(self) -> dict[str, object]:
        def side(b: BulletScore | None) -> dict[str, object] | None:
            return None if b is None else {"line": b.line, "text": b.text, "label": b.strength.label,
                                           "p_strong": _r(b.strength.p)}
        return {"status": self.status, "old": side(self.old), "new": side(self.new),
                "similarity": None if self.similarity is None else _r(self.similarity), "delta": _r(self.delta)}


@dataclass(frozen=True)
class PacketDiff:
    """Two scored versions of a packet and how their bullets changed."""

    old: PacketReport
    new: PacketReport
    changes: tuple[BulletChange, ...]

    @property
    def score_change(self) -> float:
        return self.new.score - self.old.score

    def of(self, status: Status) -> tuple[BulletChange, ...]:
        return tuple(c for c in self.changes if c.status == status)

    def to_dict(self) -> dict[str, object]:
        return {"old": {"path": self.old.path, "score": round(self.old.score, 2), "n_bullets": self.old.n_bullets},
                "new": {"path": self.new.path, "score": round(self.new.score, 2), "n_bullets": self.new.n_bullets},
                "score_change": round(self.score_change, 2),
                "counts": {s: len(self.of(s)) for s in ORDER},
                "changes": [c.to_dict() for c in self.changes]}


def diff_reports(old: PacketReport, new: PacketReport, old_vectors: np.ndarray, new_vectors: np.ndarray, *,
                 match_floor: float = MATCH_FLOOR) -> PacketDiff:
    """Match the bullets of ``old`` and ``new`` (vectors ``(n_old, d)`` and ``(n_new, d)``, L2-normalized,
    in bullet order) and classify each pair. Changes come in :data:`ORDER`, then by size of change."""
    sims = np.asarray(old_vectors, dtype=np.float32) @ np.asarray(new_vectors, dtype=np.float32).T \
        if len(old.bullets) and len(new.bullets) else np.zeros((len(old.bullets), len(new.bullets)))
    for i, a in enumerate(old.bullets):  # the same words are the same bullet, whatever the vectors say
        for j, b in enumerate(new.bullets):
            if a.text == b.text:
                sims[i, j] = 1.0 + 1e-3
    pairs: list[tuple[int, int, float]] = []
    used_old: set[int] = set()
    used_new: set[int] = set()
    # first any bullet by meaning, then a heavy rewrite that stayed in its section
    for floor, same_section in ((match_floor, False), (SECTION_FLOOR, True)):
        for flat in np.argsort(-sims, axis=None):
            i, j = divmod(int(flat), sims.shape[1])
            if sims[i, j] < floor:
                break
            if i in used_old or j in used_new or (same_section and old.bullets[i].section != new.bullets[j].section):
                continue
            used_old.add(i)
            used_new.add(j)
            pairs.append((i, j, min(float(sims[i, j]), 1.0)))
    changes = [_classify(old.bullets[i], new.bullets[j], s) for i, j, s in pairs]
    changes += [BulletChange("added", None, b) for j, b in enumerate(new.bullets) if j not in used_new]
    changes += [BulletChange("removed", b, None) for i, b in enumerate(old.bullets) if i not in used_old]
    changes.sort(key=lambda c: (ORDER.index(c.status), -abs(c.delta), (c.new or c.old).index))  # type: ignore[union-attr]
    return PacketDiff(old, new, tuple(changes))


def _classify(a: BulletScore, b: BulletScore, sim: float) -> BulletChange:
    d = b.strength.p - a.strength.p
    if (not a.is_strong and b.is_strong) or (d >= CHANGED and a.is_strong == b.is_strong):
        status: Status = "improved"
    elif (a.is_strong and not b.is_strong) or d <= -CHANGED:
        status = "regressed"
    else:
        status = "unchanged"
    return BulletChange(status, a, b, sim)


def render_diff(diff: PacketDiff, fmt: Literal["table", "json", "markdown"], *, width: int = 100) -> str:
    """The diff as text (``table``, for terminals), ``markdown`` or ``json``."""
    if fmt == "json":
        return json.dumps(diff.to_dict(), indent=2, ensure_ascii=False) + "\n"
    md = fmt == "markdown"
    out = [("# " if md else "") + f"{diff.old.path} -> {diff.new.path}: packet score {diff.old.score:.0f} -> "
           f"{diff.new.score:.0f} ({diff.score_change:+.1f})", ""]
    out.append(", ".join(f"{len(diff.of(s))} {s}" for s in ORDER))
    for status in ORDER[:-1]:
        items = diff.of(status)
        if not items:
            continue
        out += ["", ("## " if md else "") + f"{status.capitalize()} ({len(items)})"]
        for c in items:
            b = c.new or c.old
            assert b is not None
            if c.old and c.new:
                head = (f"line {c.old.line} -> {c.new.line}: {c.old.strength.label} {c.old.strength.p:.2f} -> "
                        f"{c.new.strength.label} {c.new.strength.p:.2f}")
            else:
                head = f"line {b.line}: {b.strength.label} {b.strength.p:.2f}"
            text = b.text if md else clip(b.text, max(width - 4, 20))
            out.append(f"- {head}\n  {text}")
    return "\n".join(out) + "\n"
