"""Typed, frozen result records. ``to_dict()`` gives the JSON shape fixed in DESIGN.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from packetlens.parsing import Evidence

MOVES: tuple[str, ...] = (
    "quantified_counterfactual",
    "second_order_leverage",
    "difficulty_named",
    "uncertainty_bounded",
)
"""The four strong moves of LABELS.md, in the order every output uses."""

CANNOT_JUDGE: dict[str, str] = {
    "not_english": "does not read as English, and the model reads English only",
    "heading": "reads as a heading, not a claim",
    "paragraph": "reads as a paragraph, not a bullet; split it into claims",
    "table_row": "reads as a table row, not a claim",
}
"""Why a bullet cannot be judged (its ``reason``): such bullets stay out of the packet score."""

STRENGTH_LABELS: tuple[str, str] = ("weak", "strong")
FRAMING_LABELS: tuple[str, str] = ("housekeeping", "system")


def _r(x: float) -> float:
    """Six significant digits: enough to keep the order of near-0 and near-1 probabilities."""
    return float(f"{float(x):.6g}")


@dataclass(frozen=True)
class HeadScore:
    """One binary head's verdict: ``label`` and the probability of the positive class.

    ``p`` is P(strong) for strength and P(system) for framing. ``uncertain`` is true when ``p``
    falls inside the model's abstain band (the verdict could go either way).
    """

    label: str
    p: float
    uncertain: bool = False


@dataclass(frozen=True)
class Exemplar:
    """A strong bullet from the model's bank, with how close it is to the scored bullet."""

    text: str
    similarity: float
    moves: tuple[str, ...] = ()
    role: str | None = None
    work_type: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "similarity": _r(self.similarity), "moves": list(self.moves)}


@dataclass(frozen=True)
class BulletScore:
    """How a committee will read one bullet.

    Attributes:
        text: the bullet as scored (markup removed).
        line: 1-based line where the bullet starts in its source (0 when scored from a list).
        strength: ``weak``/``strong`` with P(strong).
        framing: ``housekeeping``/``system`` with P(system).
        moves: move name -> probability, in :data:`MOVES` order.
        exemplar: the nearest strong exemplar, or ``None`` when the bank is empty.
        hints: short, concrete advice naming what is missing.
        index: position in the packet (0-based).
        section: the heading the bullet sits under, if any.
        evidence: the sub-bullets read with it as one claim (the heads scored the claim).
        reason: why the model cannot judge it (a key of :data:`CANNOT_JUDGE`), or None; a bullet
            with a reason is left out of the packet score.
    """

    text: str
    line: int
    strength: HeadScore
    framing: HeadScore
    moves: dict[str, float]
    exemplar: Exemplar | None
    hints: tuple[str, ...] = ()
    index: int = 0
    section: str | None = None
    truncated: bool = False
    evidence: tuple[Evidence, ...] = ()
    reason: str | None = None

    @property
    def in_score(self) -> bool:
        """Whether the packet score counts it (the model can judge it)."""
        return self.reason is None

    @property
    def uncertain(self) -> bool:
        """The verdict could go either way (abstain band), or the model cannot judge it at all."""
        return self.strength.uncertain or self.reason is not None

    @property
    def moves_present(self) -> tuple[str, ...]:
        """The moves whose probability is at least 0.5."""
        return tuple(m for m in MOVES if self.moves.get(m, 0.0) >= 0.5)

    def to_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "line": self.line,
            "text": self.text,
            "strength": {"label": self.strength.label, "p_strong": _r(self.strength.p)},
            "framing": {"label": self.framing.label, "p_system": _r(self.framing.p)},
            "moves": {m: _r(self.moves.get(m, 0.0)) for m in MOVES},
            "exemplar": self.exemplar.to_dict() if self.exemplar else None,
            "hints": list(self.hints),
            "uncertain": self.uncertain,
            "section": self.section,
            "reason": self.reason or ("borderline" if self.strength.uncertain else None),
            "in_score": self.in_score,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    embedding: str

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "version": self.version, "embedding": self.embedding}


@dataclass(frozen=True)
class PacketReport:
    """A scored packet: its bullets, a packet score in [0, 100], and a summary.

    The packet score is the mean over the bullets it can judge of ``100 * P(strong)``, so a
    packet of bullets the model is sure are strong scores near 100, one of sure-weak bullets near
    0, and each bullet weighs the same whatever its length. Bullets with a ``reason`` (not
    English, not a bullet) are listed but left out of the score, the counts and the moves.
    """

    path: str
    bullets: tuple[BulletScore, ...]
    model: ModelInfo
    score: float
    moves_present: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def n_bullets(self) -> int:
        return len(self.bullets)

    @property
    def judged(self) -> tuple[BulletScore, ...]:
        """The bullets the packet score counts."""
        return tuple(b for b in self.bullets if b.in_score)

    @property
    def n_excluded(self) -> int:
        return self.n_bullets - len(self.judged)

    @property
    def n_weak(self) -> int:
        return sum(b.strength.label == "weak" for b in self.judged)

    @property
    def missing_moves(self) -> tuple[str, ...]:
        """Moves that no bullet of the packet makes."""
        return tuple(m for m in MOVES if self.moves_present.get(m, 0) == 0)

    @property
    def weakest(self) -> tuple[BulletScore, ...]:
        """Bullets ordered weakest first (lowest P(strong)), those it cannot judge last."""
        return tuple(sorted(self.bullets, key=lambda b: (not b.in_score, b.strength.p)))

    @property
    def summary(self) -> str:
        if not self.bullets:
            return "No bullets found."
        n = len(self.judged)
        parts = [f"{n - self.n_weak} of {n} bullets read as strong (packet score {self.score:.0f}/100)."]
        if self.n_excluded:
            parts.append(f"{self.n_excluded} left out of the score, as the model cannot judge them: " + "; ".join(
                f"line {b.line} {CANNOT_JUDGE.get(b.reason or '', b.reason or '')}" for b in self.bullets
                if not b.in_score) + ".")
        if self.missing_moves and n:
            parts.append("No bullet makes these moves: " + ", ".join(m.replace("_", " ") for m in self.missing_moves) + ".")
        return " ".join(parts)

    def to_dict(self) -> dict[str, object]:
        return {
            "model": self.model.to_dict(),
            "packet": {
                "path": self.path,
                "score": round(self.score, 2),
                "n_bullets": self.n_bullets,
                "n_weak": self.n_weak,
                "n_excluded": self.n_excluded,
                "metadata": dict(self.metadata),
                "moves_present": {m: int(self.moves_present.get(m, 0)) for m in MOVES},
                "summary": self.summary,
            },
            "bullets": [b.to_dict() for b in self.bullets],
        }


Strength = Literal["weak", "strong"]
Framing = Literal["housekeeping", "system"]
