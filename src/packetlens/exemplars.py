"""The exemplar bank: strong bullets and their vectors, searched by cosine similarity.

Example::

    >>> idx = ExemplarIndex(records, vectors)                   # doctest: +SKIP
    >>> idx.nearest(v, k=1, prefer_moves=("difficulty_named",))  # doctest: +SKIP
    [Exemplar(text='...', similarity=0.71, moves=('difficulty_named', ...), ...)]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from packetlens.results import Exemplar

MOVE_BONUS = 0.02
"""Similarity bonus per move the exemplar makes that the bullet lacks (among the topical candidates)."""

TOPICAL_MARGIN = 0.03
"""Candidates are the exemplars of the bullet's work type within this much cosine of the most
similar of them: the move bonus chooses among near-equals on topic, never past them."""

VOTERS = 5
"""The bullet's work type is the one its this-many nearest exemplars vote for (weighted by cosine):
on 50 labeled pairs the nearest exemplar alone, or the move bonus over the eight nearest, reached
into another kind of work (a labeling-vendor bullet shown an ads-retrieval exemplar)."""

SIMILARITY_FLOOR = 0.46
"""Below this cosine the bank has no close exemplar and none is shown. Chosen on 50 labeled
bullet -> exemplar pairs (benchmarks/exemplar_pairs.jsonl, benchmarks/exemplars.py)."""

DUPLICATE_COSINE = 0.97
"""Two bank entries closer than this are one exemplar; the first is kept."""


@dataclass(frozen=True)
class ExemplarRecord:
    text: str
    moves: tuple[str, ...]
    role: str | None = None
    work_type: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "moves": list(self.moves), "role": self.role, "work_type": self.work_type}


class ExemplarIndex:
    """Cosine search over L2-normalized exemplar vectors.

    Args:
        records: the exemplars, in the row order of ``vectors``.
        vectors: shape ``(n_exemplars, dimension)``, L2-normalized float32.
    """

    def __init__(self, records: Sequence[ExemplarRecord], vectors: np.ndarray, *,
                 floor: float = SIMILARITY_FLOOR, clean: bool = True) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(records) != len(vectors):
            raise ValueError(f"{len(records)} exemplars but {len(vectors)} vectors")
        if clean:
            records, vectors = clean_bank(records, vectors)
        self.records = tuple(records)
        self.vectors = vectors
        self.floor = floor

    def __len__(self) -> int:
        return len(self.records)

    def nearest(self, vector: np.ndarray, k: int = 1, *, prefer_moves: Sequence[str] = (),
                pool: int = 8, exclude_above: float = 0.97) -> list[Exemplar]:
        """The ``k`` best exemplars for one bullet vector ``(dimension,)``.

        The topical candidates are the ``pool`` most similar exemplars within
        :data:`TOPICAL_MARGIN` of the best; among them, each move in ``prefer_moves`` (what the
        bullet lacks) that an exemplar makes adds :data:`MOVE_BONUS`. Exemplars under the index's
        ``floor`` are never returned (an empty list: no close exemplar). Exemplars nearly identical
        to the bullet (similarity above ``exclude_above``) are skipped, so a bullet is never shown itself.
        """
        if not len(self.records):
            return []
        sims = self.vectors @ np.asarray(vector, dtype=np.float32)
        return self._pick(sims, k, prefer_moves, pool, exclude_above)

    def nearest_many(self, vectors: np.ndarray, k: int = 1, *, prefer_moves: Sequence[Sequence[str]] = (),
                     pool: int = 8, exclude_above: float = 0.97) -> list[list[Exemplar]]:
        """:meth:`nearest` for each row of ``vectors`` ``(n, dimension)``.

        One matrix-vector product per row, not one matrix product for all: BLAS sums a product
        in an order that depends on the batch's shape, and a bullet's similarities must not
        depend on which other bullets were scored with it (Spark and ``score-batch`` chunk
        differently and must give the same rows).
        """
        if not len(self.records):
            return [[] for _ in range(len(vectors))]
        vectors = np.asarray(vectors, dtype=np.float32)
        wants = list(prefer_moves) or [()] * len(vectors)
        return [self._pick(self.vectors @ vectors[i], k, wants[i], pool, exclude_above) for i in range(len(vectors))]

    def _pick(self, sims: np.ndarray, k: int, prefer_moves: Sequence[str], pool: int,
              exclude_above: float) -> list[Exemplar]:
        sims = np.where(sims > exclude_above, -np.inf, sims)
        order = [int(i) for i in np.argsort(-sims) if np.isfinite(sims[i])]
        if not order or sims[order[0]] < self.floor:
            return []
        kind = self._work_type(sims, order[:VOTERS])
        same = [i for i in order if kind is None or self.records[i].work_type == kind]
        best = float(sims[same[0]])
        cands = [i for i in same[:pool] if sims[i] >= max(best - TOPICAL_MARGIN, self.floor)]
        want = set(prefer_moves)
        scored = sorted(cands, key=lambda i: -(float(sims[i]) + MOVE_BONUS * len(want & set(self.records[i].moves))))
        return [Exemplar(self.records[i].text, float(sims[i]), self.records[i].moves,
                         self.records[i].role, self.records[i].work_type) for i in scored[:k]]

    def _work_type(self, sims: np.ndarray, top: Sequence[int]) -> str | None:
        """The work type the nearest exemplars agree on (votes weighted by similarity)."""
        votes: dict[str, float] = {}
        for i in top:
            wt = self.records[i].work_type
            if wt:
                votes[wt] = votes.get(wt, 0.0) + float(sims[i])
        return max(votes, key=votes.__getitem__) if votes else None


_ABBREV = re.compile(r"\b(?:e\.g|i\.e|vs|etc|approx|incl|cf)\.\s+$", re.I)
_SENTENCE_START = re.compile(r"(^|[.!?]\s+)([a-z][a-z']*)\b")


def sentence_case(text: str) -> str:
    """Capitalize each sentence's first word when it is a plain lower-case word (``built`` ->
    ``Built``), leaving mixed-case names (``iOS``, ``eBPF``, ``p99``) and text after ``e.g.`` alone.

    >>> sentence_case("built the eval gate. after it, e.g. reviews fell. iOS stayed.")
    'Built the eval gate. After it, e.g. reviews fell. iOS stayed.'
    """
    def up(m: re.Match[str]) -> str:
        if m.group(1) and _ABBREV.search(text[:m.start(2)]):
            return m.group(0)
        return m.group(1) + m.group(2)[0].upper() + m.group(2)[1:]

    return _SENTENCE_START.sub(up, text.strip())


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def clean_bank(records: Sequence[ExemplarRecord], vectors: np.ndarray) -> tuple[list[ExemplarRecord], np.ndarray]:
    """The bank in sentence case, without duplicates (same words, or cosine above
    :data:`DUPLICATE_COSINE` with an earlier entry); ``vectors`` ``(n, dimension)`` keeps row order."""
    keep: list[int] = []
    seen: set[str] = set()
    for i, r in enumerate(records):
        key = _norm(r.text)
        if key in seen or (keep and float(np.max(vectors[keep] @ vectors[i])) > DUPLICATE_COSINE):
            continue
        seen.add(key)
        keep.append(i)
    out = [replace(records[i], text=sentence_case(records[i].text)) for i in keep]
    return out, vectors[keep] if keep else vectors[:0]
