"""Evaluate a model on labeled rows (per head, per slice, bootstrap intervals) and audit labels.

Example::

    >>> report = evaluate(PacketScorer.from_pretrained(), load_labeled([Path("data/bullets.jsonl")]))  # doctest: +SKIP
    >>> report["heads"]["strength"]["macro_f1"], report["heads"]["strength"]["macro_f1_ci95"]          # doctest: +SKIP
    (0.97, [0.96, 0.975])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from packetlens.data import LabeledDataset
from packetlens.metrics import head_metrics, macro_f1, reliability
from packetlens.results import MOVES

SLICES = ("role", "work_type", "tricky", "length")


def bootstrap_ci(y: np.ndarray, p: np.ndarray, *, n_boot: int = 1000, seed: int = 0) -> list[float]:
    """95% percentile interval of macro-F1 over ``n_boot`` resamples of the rows."""
    rng = np.random.default_rng(seed)
    n = len(y)
    if n == 0:
        return [float("nan"), float("nan")]
    pred = p >= 0.5
    vals = [macro_f1(y[idx], pred[idx]) for idx in (rng.integers(0, n, n) for _ in range(n_boot))]
    return [float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))]


def length_bucket(text: str) -> str:
    w = len(text.split())
    return "4-10 words" if w <= 10 else "11-20 words" if w <= 20 else "21-35 words" if w <= 35 else "36+ words"


def evaluate(scorer, ds: LabeledDataset, *, n_boot: int = 1000,  # noqa: ANN001
             by: Sequence[str] | None = None) -> dict[str, object]:
    """Metrics of ``scorer`` on ``ds``: per head, per slice, with 95% intervals.

    ``by`` names the columns to slice by (any column of the data, e.g. ``category`` or ``voice``);
    by default the known ones present (role, work_type, tricky, length). Each slice reports the
    strength head's accuracy and macro-F1, and framing accuracy and each move's present-class F1
    where the slice's rows carry those labels.

    Raises:
        DataValidationError: a ``by`` column the data does not have.
    """
    return evaluate_probas(scorer.head_probas(ds.texts), ds, n_boot=n_boot, by=by,
                           model=scorer.info.to_dict())


def evaluate_probas(probas: dict[str, np.ndarray], ds: LabeledDataset, *, n_boot: int = 1000,
                    by: Sequence[str] | None = None, model: dict[str, object] | None = None) -> dict[str, object]:
    """:func:`evaluate` from already computed ``{head: P(positive)}``, shape ``(len(ds),)`` each."""
    meta = dict(ds.meta)
    meta["length"] = [length_bucket(t) for t in ds.texts]
    if by:
        missing = [c for c in by if c not in meta]
        if missing:
            from packetlens.errors import DataValidationError

            raise DataValidationError(f"--by {missing[0]!r}: the data has no such column (it has: "
                                      f"{', '.join(sorted(meta))}); pass one of those")
    heads: dict[str, object] = {}
    for head in ("strength", "framing", *MOVES):
        if head not in probas:
            continue
        labels = ds.labels_for(head)
        idx = np.array([i for i, v in enumerate(labels) if v is not None], dtype=int)
        if len(idx) == 0:
            continue
        y = np.array([labels[i] for i in idx])
        p = probas[head][idx]
        m = head_metrics(y, p)
        m["macro_f1_ci95"] = bootstrap_ci(y, p, n_boot=n_boot)
        m["reliability"] = reliability(y, p)
        heads[head] = m
    slices: dict[str, dict[str, object]] = {}
    for name in (by or SLICES):
        col = meta.get(name)
        if col is None:
            continue
        groups: dict[str, list[int]] = {}
        for i, v in enumerate(col):
            if v is not None:
                groups.setdefault(str(v), []).append(i)
        slices[name] = {value: slice_metrics(probas, ds, rows) for value, rows in sorted(groups.items())}
    return {"model": model or {}, "n_rows": len(ds), "heads": heads, "slices": slices}


def slice_metrics(probas: dict[str, np.ndarray], ds: LabeledDataset, rows: Sequence[int]) -> dict[str, object]:
    """Strength accuracy and macro-F1 (with a 95% interval), framing accuracy and each move's
    present-class F1 on the rows ``rows``; a head whose labels the rows lack is left out."""
    out: dict[str, object] = {"n": len(rows)}
    for head in ("strength", "framing", *MOVES):
        if head not in probas:
            continue
        labels = ds.labels_for(head)
        have = [i for i in rows if labels[i] is not None]
        if not have:
            continue
        y = np.array([labels[i] for i in have])
        p = probas[head][have]
        if head == "strength":
            out.update({"n_strength": len(have), "macro_f1": macro_f1(y, p >= 0.5),
                        "accuracy": float(np.mean((p >= 0.5) == y)), "macro_f1_ci95": bootstrap_ci(y, p, n_boot=200)})
        elif head == "framing":
            out["framing_accuracy"] = float(np.mean((p >= 0.5) == y))
        elif y.sum():
            pred = p >= 0.5
            tp = float(np.sum(pred & (y == 1)))
            out[f"{head}_f1"] = 2 * tp / (float(pred.sum()) + float(y.sum()))
    return out


def format_evaluation(report: dict[str, object]) -> str:
    """A plain-text table of an :func:`evaluate` report."""
    lines = [f"model {report['model']['name']} {report['model']['version']} on {report['n_rows']} rows", "",  # type: ignore[index]
             f"{'head':26s} {'n':>5s} {'prec':>6s} {'recall':>6s} {'macroF1':>7s} {'95% CI':>15s} {'AUC':>6s} {'Brier':>6s} {'ECE':>6s}"]
    for head, m in report["heads"].items():  # type: ignore[union-attr]
        ci = m["macro_f1_ci95"]
        lines.append(f"{head:26s} {m['n']:5d} {m['precision']:6.3f} {m['recall']:6.3f} {m['macro_f1']:7.3f} "
                     f"[{ci[0]:.3f}, {ci[1]:.3f}] {m['roc_auc']:6.3f} {m['brier']:6.3f} {m['ece']:6.3f}")
    for name, groups in report["slices"].items():  # type: ignore[union-attr]
        lines += ["", f"by {name}:"]
        for value, m in groups.items():
            cells = [f"  {value:28s} n={m['n']:4d}"]
            if "accuracy" in m:
                cells.append(f"strength macro-F1 {m['macro_f1']:.3f}  accuracy {m['accuracy']:.3f}")
            if "framing_accuracy" in m:
                cells.append(f"framing accuracy {m['framing_accuracy']:.3f}")
            lines.append("  ".join(cells))
    return "\n".join(lines) + "\n"


def audit(ds: LabeledDataset, *, heads: Sequence[str] = ("strength", "framing"), embedder=None,  # noqa: ANN001
          cache_dir: Path | None = None, config=None, cache_vectors: bool = True,  # noqa: ANN001
          progress=None) -> list[dict[str, object]]:  # noqa: ANN001
    """Rows whose label the out-of-fold model disagrees with, most likely wrong first (cleanlab).

    Returns one record per flagged (row, head): id, text, head, the given label, the label the
    model suggests, P(given label) out-of-fold, and a rank (1 = most suspect). A head the rows
    do not label is skipped; ``cache_vectors=False`` writes no vector to disk.
    """
    from cleanlab.filter import find_label_issues

    from packetlens.artifact import HEAD_LABELS
    from packetlens.training import TrainConfig, train

    result = train(ds, out=None, config=config or TrainConfig(), embedder=embedder, cache_dir=cache_dir,
                   cache_vectors=cache_vectors, bank_from_data=False, progress=progress, base_option=None)
    flagged: list[dict[str, object]] = []
    for head in heads:
        if head not in result.oof:
            continue
        idx, p = result.oof[head]
        y = np.array([ds.labels_for(head)[i] for i in idx])
        probs = np.column_stack([1 - p, p])
        ranked = find_label_issues(labels=y, pred_probs=probs, return_indices_ranked_by="self_confidence")
        pos, neg = HEAD_LABELS[head]
        for rank, k in enumerate(ranked, start=1):
            i = int(idx[k])
            given = pos if y[k] == 1 else neg
            flagged.append({"rank": rank, "head": head, "id": ds.ids[i], "text": ds.texts[i], "given": given,
                            "suggested": neg if y[k] == 1 else pos,
                            "p_given": round(float(p[k] if y[k] == 1 else 1 - p[k]), 4)})
    return flagged
