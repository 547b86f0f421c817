"""Typed, frozen result records. ``to_dict()`` gives the JSON shape fixed in DESIGN.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from packetlens.hints import Hint

from packetlens.parsing import Evidence

MOVES: tuple[str, ...] = (
    "quantified_counterfactual",
    "second_order_leverage",
    "difficulty_named",
    "uncertainty_bounded",
)
"""The four strong moves of the rubric (RUBRIC.md, ``packetlens rubric``), in the order every output uses."""

HEADS: tuple[str, ...] = ("strength", "framing", *MOVES)
"""Every head a model can have, in output order; a trained model has those its labels allowed."""

CANNOT_JUDGE: dict[str, str] = {
    "not_english": "does not read as English, and the model reads English only",
    "heading": "reads as a heading, not a claim",
    "paragraph": "reads as a paragraph, not a bullet; split it into claims",
    "table_row": "reads as a table row, not a claim",
}
"""Why a bullet cannot be judged (its ``reason``): such bullets stay out of the packet score."""

STRENGTH_LABELS: tuple[str, str] = ("weak", "strong")
FIX_FIRST = 3
"""How many bullets the summary names to fix first."""
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
        framing: ``housekeeping``/``system`` with P(system); ``None`` when the model has no framing head.
        moves: move name -> probability, in :data:`MOVES` order, for the move heads the model has
            (a move the model lacks is absent here and ``null`` in JSON).
        exemplar: the nearest strong exemplar, or ``None`` when the bank is empty.
        hints: short, concrete advice naming what is missing (the messages of ``hint_details``).
        index: position in the packet (0-based).
        section: the heading the bullet sits under, if any.
        hint_details: the hints as records: stable code, name, the head that justifies it, the words.
        rewrite: for a weak bullet, a scaffold in the author's words with the missing slots marked.
        p_if_fixed: P(strong) of the bullet with its first fix made (the scaffold's first slot filled
            with a neutral value): how far that fix could move it (``None`` for strong bullets).
        evidence: the sub-bullets read with it as one claim (the heads scored the claim).
        reason: why the model cannot judge it (a key of :data:`CANNOT_JUDGE`), or None; a bullet
            with a reason is left out of the packet score.
    """

    text: str
    line: int
    strength: HeadScore
    framing: HeadScore | None
    moves: dict[str, float]
    exemplar: Exemplar | None
    hints: tuple[str, ...] = ()
    index: int = 0
    section: str | None = None
    truncated: bool = False
    hint_details: tuple[Hint, ...] = ()
    rewrite: str | None = None
    p_if_fixed: float | None = None
    evidence: tuple[Evidence, ...] = ()
    reason: str | None = None

    @property
    def is_strong(self) -> bool:
        return self.strength.label == STRENGTH_LABELS[1]

    @property
    def hint_codes(self) -> tuple[str, ...]:
        return tuple(h.code for h in self.hint_details)

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
            "framing": None if self.framing is None else {"label": self.framing.label, "p_system": _r(self.framing.p)},
            "moves": {m: _r(self.moves[m]) if m in self.moves else None for m in MOVES},
            "exemplar": self.exemplar.to_dict() if self.exemplar else None,
            "hints": list(self.hints),
            "uncertain": self.uncertain,
            "section": self.section,
            "hint_codes": list(self.hint_codes),
            "hint_details": [h.to_dict() for h in self.hint_details],
            "rewrite": self.rewrite,
            "p_strong_if_fixed": None if self.p_if_fixed is None else _r(self.p_if_fixed),
            "reason": self.reason or ("borderline" if self.strength.uncertain else None),
            "in_score": self.in_score,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str
    embedding: str
    heads: tuple[str, ...] = HEADS

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
        """Moves that no bullet of the packet makes (among the moves the model has heads for)."""
        return tuple(m for m in MOVES if m in self.model.heads and self.moves_present.get(m, 0) == 0)

    @property
    def weakest(self) -> tuple[BulletScore, ...]:
        """Bullets ordered weakest first (lowest P(strong)), those it cannot judge last."""
        return tuple(sorted(self.bullets, key=lambda b: (not b.in_score, b.strength.p)))

    @property
    def weak_bullets(self) -> tuple[BulletScore, ...]:
        """The bullets read as weak, weakest first."""
        return tuple(b for b in self.weakest if not b.is_strong)

    @property
    def strong_bullets(self) -> tuple[BulletScore, ...]:
        """The bullets read as strong, in packet order."""
        return tuple(b for b in self.bullets if b.is_strong)

    def score_gain(self, bullet: BulletScore) -> float:
        """Packet-score points that the first fix of ``bullet`` could add: its P(strong) with that
        fix made, minus its P(strong) now, over the number of bullets, times 100."""
        if bullet.p_if_fixed is None or not bullet.in_score or not self.judged:
            return 0.0
        return max(bullet.p_if_fixed - bullet.strength.p, 0.0) * 100 / len(self.judged)

    def fix_first(self, n: int = FIX_FIRST) -> tuple[BulletScore, ...]:
        """The ``n`` weak bullets to fix first: weakest first by tiers of 0.1 of P(strong) (within a
        tier the difference is noise, e.g. 6e-06 against 8e-06), and within a tier the one whose fix
        moves the packet score most."""
        return tuple(sorted((b for b in self.weak_bullets if b.in_score),
                            key=lambda b: (int(b.strength.p * 10), -self.score_gain(b), b.index))[:n])

    @property
    def summary(self) -> str:
        if not self.bullets:
            return "No bullets found."
        n = len(self.judged)
        parts = [f"{n - self.n_weak} of {n} bullets read as strong."]
        if self.n_excluded:
            parts.append(f"{self.n_excluded} left out of the score, as the model cannot judge them: " + "; ".join(
                f"line {b.line} {CANNOT_JUDGE.get(b.reason or '', b.reason or '')}" for b in self.bullets
                if not b.in_score) + ".")
        if self.missing_moves and n:
            parts.append("No bullet makes these moves: " + ", ".join(m.replace("_", " ") for m in self.missing_moves) + ".")
        return " ".join(parts)

    def summary_dict(self) -> dict[str, object]:
        """The packet line of a JSONL stream (``type: packet``); its ``fix_first`` is in the JSON too."""
        return {"type": "packet", "path": self.path, "score": round(self.score, 2), "n_bullets": self.n_bullets,
                "n_weak": self.n_weak, "moves_present": {m: int(self.moves_present.get(m, 0)) for m in MOVES},
                "moves_never_used": list(self.missing_moves), "summary": self.summary,
                "fix_first": [{"index": b.index, "line": b.line, "text": b.text, "p_strong": _r(b.strength.p),
                               "score_gain": round(self.score_gain(b), 2), "hint_codes": list(b.hint_codes)}
                              for b in self.fix_first()]}

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
                "moves_present": {m: int(self.moves_present.get(m, 0)) if m in self.model.heads else None
                                  for m in MOVES},
                "summary": self.summary,
                "moves_never_used": list(self.missing_moves),
                "fix_first": self.summary_dict()["fix_first"],
            },
            "bullets": [b.to_dict() for b in self.bullets],
        }


Strength = Literal["weak", "strong"]
Framing = Literal["housekeeping", "system"]
