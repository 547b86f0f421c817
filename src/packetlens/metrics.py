"""Binary-head metrics in numpy: macro-F1, ROC AUC, Brier, expected calibration error."""

from __future__ import annotations

import numpy as np


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    y, pred = np.asarray(y).astype(int), np.asarray(pred).astype(int)
    f1s = []
    for c in (0, 1):
        tp = np.sum((pred == c) & (y == c))
        fp = np.sum((pred == c) & (y != c))
        fn = np.sum((pred != c) & (y == c))
        f1s.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return float(np.mean(f1s))


def f1_positive(y: np.ndarray, pred: np.ndarray) -> float:
    y, pred = np.asarray(y).astype(int), np.asarray(pred).astype(int)
    tp = np.sum((pred == 1) & (y == 1))
    denom = 2 * tp + np.sum((pred == 1) & (y == 0)) + np.sum((pred == 0) & (y == 1))
    return float(0.0 if tp == 0 else 2 * tp / denom)


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve (the Mann-Whitney statistic, ties counted half)."""
    y, p = np.asarray(y).astype(int), np.asarray(p, dtype=np.float64)
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p))
    sp = p[order]
    i = 0
    while i < len(sp):  # average ranks over ties
        j = i
        while j + 1 < len(sp) and sp[j + 1] == sp[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, dtype=np.float64) - np.asarray(y)) ** 2))


def reliability(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> list[dict[str, float]]:
    """Equal-width bins of P: count, mean predicted, observed rate."""
    y, p = np.asarray(y, dtype=np.float64), np.asarray(p, dtype=np.float64)
    bins = np.minimum((p * n_bins).astype(int), n_bins - 1)
    out = []
    for b in range(n_bins):
        m = bins == b
        if m.any():
            out.append({"lo": b / n_bins, "hi": (b + 1) / n_bins, "count": int(m.sum()),
                        "mean_p": float(p[m].mean()), "observed": float(y[m].mean())})
    return out


def ece(y: np.ndarray, p: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error over equal-width bins (weighted by bin size)."""
    n = len(y)
    return float(sum(b["count"] / n * abs(b["mean_p"] - b["observed"]) for b in reliability(y, p, n_bins))) if n else float("nan")


def confusion(y: np.ndarray, pred: np.ndarray) -> list[list[int]]:
    """``[[tn, fp], [fn, tp]]``: rows are the true label (0, 1), columns the predicted."""
    y, pred = np.asarray(y).astype(int), np.asarray(pred).astype(int)
    return [[int(np.sum((y == a) & (pred == b))) for b in (0, 1)] for a in (0, 1)]


def head_metrics(y: np.ndarray, p: np.ndarray) -> dict[str, object]:
    """All figures for one binary head from labels ``y`` (0/1) and P(positive) ``p``."""
    pred = (np.asarray(p) >= 0.5).astype(int)
    y = np.asarray(y).astype(int)
    tp = int(np.sum((pred == 1) & (y == 1)))
    return {
        "n": int(len(y)),
        "positive_rate": float(y.mean()) if len(y) else float("nan"),
        "macro_f1": macro_f1(y, pred),
        "f1_positive": f1_positive(y, pred),
        "precision": float(tp / max(pred.sum(), 1)),
        "recall": float(tp / max(y.sum(), 1)),
        "accuracy": float(np.mean(pred == y)) if len(y) else float("nan"),
        "roc_auc": roc_auc(y, p),
        "brier": brier(y, p),
        "ece": ece(y, p),
        "confusion": confusion(y, pred),
    }
