"""The exemplar bank: strong bullets and their vectors, searched by cosine similarity.

Example::

    >>> idx = ExemplarIndex(records, vectors)                   # doctest: +SKIP
    >>> idx.nearest(v, k=1, prefer_moves=("difficulty_named",))  # doctest: +SKIP
    [Exemplar(text='...', similarity=0.71, moves=('difficulty_named', ...), ...)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from packetlens.results import Exemplar

MOVE_BONUS = 0.04
"""Similarity bonus per move the exemplar makes that the bullet lacks (among the topical top-k)."""


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

    def __init__(self, records: Sequence[ExemplarRecord], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(records) != len(vectors):
            raise ValueError(f"{len(records)} exemplars but {len(vectors)} vectors")
        self.records = tuple(records)
        self.vectors = vectors

    def __len__(self) -> int:
        return len(self.records)

    def nearest(self, vector: np.ndarray, k: int = 1, *, prefer_moves: Sequence[str] = (),
                pool: int = 8, exclude_above: float = 0.97) -> list[Exemplar]:
        """The ``k`` best exemplars for one bullet vector ``(dimension,)``.

        The ``pool`` most similar exemplars are the topical candidates; among them, each move in
        ``prefer_moves`` (what the bullet lacks) that an exemplar makes adds :data:`MOVE_BONUS`.
        Exemplars nearly identical to the bullet (similarity above ``exclude_above``) are skipped,
        so a bullet is never shown itself.
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
        take = min(pool, len(sims))
        top = np.argpartition(-sims, take - 1)[:take]
        cands = [int(i) for i in top[np.argsort(-sims[top])] if np.isfinite(sims[i])]
        want = set(prefer_moves)
        scored = sorted(cands, key=lambda i: -(float(sims[i]) + MOVE_BONUS * len(want & set(self.records[i].moves))))
        return [Exemplar(self.records[i].text, float(sims[i]), self.records[i].moves,
                         self.records[i].role, self.records[i].work_type) for i in scored[:k]]
