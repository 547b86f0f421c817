"""Logistic heads as plain arrays: numpy ``predict_proba`` equal to the fitted scikit-learn model.

Each head is binary. Its raw score is
``z = embed_scale * (E @ w_emb) + T @ w_tfidf + cue_scale * (Q @ w_cues) + b`` over the embedding
``E``, TF-IDF rows ``T`` and rubric cues ``Q`` (:mod:`packetlens.cues`; a model without cues has
an empty ``w_cues``); its probability is Platt-calibrated,
``p = sigmoid(a * z + c)``, with ``a, c`` fitted on out-of-fold scores. Probabilities always
refer to the positive label named by the head (``strong``, ``system``, or the move being made).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


@dataclass(frozen=True)
class LogisticHead:
    """One fitted binary head.

    Attributes:
        name: ``strength``, ``framing`` or a move name.
        positive: the label P refers to (``strong``, ``system``, or the move).
        negative: the other label.
        coef_emb: shape ``(dimension,)``, weights on the (unscaled) embedding times ``embed_scale``.
        coef_tfidf: shape ``(n_terms,)``.
        intercept: the bias ``b``.
        calib_a, calib_b: Platt calibration ``p = sigmoid(a * z + c)``.
        C: the regularization strength chosen by grouped cross-validation.
        coef_cues: shape ``(n_cues,)``, weights on the rubric cues times ``cue_scale``; empty
            for a model trained without cues.
    """

    name: str
    positive: str
    negative: str
    coef_emb: np.ndarray
    coef_tfidf: np.ndarray
    intercept: float
    calib_a: float = 1.0
    calib_b: float = 0.0
    C: float = 1.0
    coef_cues: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def proba(self, embeddings: np.ndarray, tfidf_rows: Sequence[dict[int, float]],
              embed_scale: float, cues: np.ndarray | None = None, cue_scale: float = 0.0) -> np.ndarray:
        """Calibrated P(positive), shape ``(n,)``, from embeddings ``(n, d)``, sparse TF-IDF rows and cues ``(n, k)``."""
        return HeadStack([self]).proba(embeddings, tfidf_rows, embed_scale, cues, cue_scale)[self.name]

    def arrays(self) -> dict[str, np.ndarray]:
        """The head as named arrays, for an ``.npz`` file (no pickle)."""
        p = self.name
        return {
            f"{p}.coef_emb": self.coef_emb,
            f"{p}.coef_tfidf": self.coef_tfidf,
            f"{p}.scalars": np.array([self.intercept, self.calib_a, self.calib_b, self.C]),
            f"{p}.coef_cues": self.coef_cues,
        }

    @classmethod
    def from_arrays(cls, name: str, positive: str, negative: str,
                    arrays: dict[str, np.ndarray]) -> LogisticHead:
        s = arrays[f"{name}.scalars"]
        return cls(name, positive, negative, np.asarray(arrays[f"{name}.coef_emb"], dtype=np.float64),
                   np.asarray(arrays[f"{name}.coef_tfidf"], dtype=np.float64),
                   float(s[0]), float(s[1]), float(s[2]), float(s[3]),
                   np.asarray(arrays.get(f"{name}.coef_cues", np.zeros(0)), dtype=np.float64))


def calibrate(z: np.ndarray, a: float, b: float) -> np.ndarray:
    return sigmoid(a * np.asarray(z, dtype=np.float64) + b)


def fit_platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Fit Platt scaling ``sigmoid(a z + b)`` to out-of-fold scores ``z`` and 0/1 labels ``y``.

    Uses Platt's smoothed targets so a perfectly separated fold does not blow up ``a``.
    """
    z = np.asarray(z, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n_pos, n_neg = y.sum(), len(y) - y.sum()
    t = np.where(y > 0, (n_pos + 1) / (n_pos + 2), 1 / (n_neg + 2))
    a, b = 1.0, 0.0
    for _ in range(100):  # Newton steps on the log loss
        p = sigmoid(a * z + b)
        g = np.array([np.sum((p - t) * z), np.sum(p - t)])
        w = p * (1 - p) + 1e-12
        h = np.array([[np.sum(w * z * z), np.sum(w * z)], [np.sum(w * z), np.sum(w)]]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(h, g)
        a, b = a - step[0], b - step[1]
        if np.abs(step).max() < 1e-10:
            break
    return float(a), float(b)


class HeadStack:
    """All heads of a model as stacked arrays, so scoring is a few matrix products, not loops.

    ``proba`` returns ``{head name: P(positive), shape (n,)}``, equal to each head's own ``proba``.
    """

    def __init__(self, heads: Sequence[LogisticHead]) -> None:
        self.names = [h.name for h in heads]
        self.W_emb = np.stack([h.coef_emb for h in heads], axis=1)      # (d, H)
        self.W_tfidf = np.stack([h.coef_tfidf for h in heads], axis=1)  # (n_terms, H)
        self.b = np.array([h.intercept for h in heads])
        self.a = np.array([h.calib_a for h in heads])
        self.c = np.array([h.calib_b for h in heads])
        self.W_cues = np.stack([h.coef_cues for h in heads], axis=1)    # (n_cues, H); n_cues may be 0

    def proba(self, embeddings: np.ndarray, tfidf_rows: Sequence[dict[int, float]],
              embed_scale: float, cues: np.ndarray | None = None,
              cue_scale: float = 0.0) -> dict[str, np.ndarray]:
        n = len(tfidf_rows)
        z = embed_scale * (embeddings.astype(np.float64) @ self.W_emb) + self.b
        if self.W_cues.shape[0]:
            if cues is None or cues.shape != (n, self.W_cues.shape[0]):
                raise ValueError(f"this model reads {self.W_cues.shape[0]} rubric cues per bullet; pass cues of shape "
                                 f"({n}, {self.W_cues.shape[0]})")
            z = z + cue_scale * (cues @ self.W_cues)
        lengths = np.fromiter((len(r) for r in tfidf_rows), dtype=np.int64, count=n)
        if lengths.sum():
            idx = np.fromiter((j for r in tfidf_rows for j in r), dtype=np.int64, count=int(lengths.sum()))
            val = np.fromiter((v for r in tfidf_rows for v in r.values()), dtype=np.float64, count=int(lengths.sum()))
            row_of = np.repeat(np.arange(n), lengths)
            contrib = np.zeros((n, self.W_tfidf.shape[1]))
            np.add.at(contrib, row_of, val[:, None] * self.W_tfidf[idx])
            z = z + contrib
        p = sigmoid(self.a * z + self.c)
        return {name: p[:, k] for k, name in enumerate(self.names)}
