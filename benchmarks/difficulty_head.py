"""What was tried to lift the difficulty_named head, with the figures the README quotes.

    .venv/bin/python benchmarks/difficulty_head.py        # about 4 minutes; prints JSON

All figures are out-of-fold on data/bullets.jsonl with the training folds (pair-grouped, 5, seed 13):
F1 of "the move is present" at the decision boundary and at the best threshold in hindsight.
- features: one logistic regression for this head over other feature sets (liblinear as in
  training, balanced, C in 2 and 8, the better one reported).
- rows: the full training pipeline on a random two thirds of the pair groups, and on all of them.
- minimal_pairs: the full pipeline on data/ plus data/review/difficulty_pass/minimal_pairs/, scored on
  the original rows only.
"""

from __future__ import annotations

import json
import random
import re
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".packetlens-cache"
HEAD = "difficulty_named"


def f1s(y: np.ndarray, z: np.ndarray, boundary: float) -> dict[str, float]:
    from packetlens.metrics import f1_positive, roc_auc

    grid = np.quantile(z, np.linspace(0.5, 0.99, 99))
    return {"f1": round(f1_positive(y, z >= boundary), 3),
            "f1_best_threshold": round(max(f1_positive(y, z >= t) for t in grid), 3), "roc_auc": round(roc_auc(y, z), 3)}


def feature_sets(ds, vecs: np.ndarray, emb) -> dict[str, dict[str, float]]:  # noqa: ANN001
    from scipy import sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    from packetlens.features import fit_transform_tfidf
    from packetlens.fitting import fit_lr, fold_ids

    y = np.array(ds.labels_for(HEAD)).astype(int)
    folds = fold_ids(ds.groups, 5, 13)
    _, words = fit_transform_tfidf(ds.texts)
    trigrams = TfidfVectorizer(ngram_range=(1, 3), sublinear_tf=True, min_df=2).fit_transform(ds.texts)
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=3,
                            max_features=50000).fit_transform(ds.texts)
    split = re.compile(r"(?<=[.;:!?])\s+|,\s+(?:so|but|and then|which|because|after|before|until|while)\s+|\s+[\u2014-]\s+")
    clauses = [[c for c in split.split(t) if c and len(c.split()) >= 3] or [t] for t in ds.texts]
    flat = emb.encode([c for cs in clauses for c in cs])
    pooled, k = np.zeros_like(vecs), 0
    for i, cs in enumerate(clauses):
        pooled[i] = flat[k: k + len(cs)].max(axis=0)
        k += len(cs)
    dense = sparse.csr_matrix(vecs * 0.5)
    sets = {"shipped: embedding x0.5 + word 1-2 grams": sparse.hstack([dense, words]),
            "embedding + word 1-3 grams": sparse.hstack([dense, trigrams]),
            "embedding + word 1-2 grams + character 3-5 grams": sparse.hstack([dense, words, chars * 0.7]),
            "embedding + max-pooled clause embeddings + word 1-2 grams": sparse.hstack([dense, sparse.csr_matrix(pooled * 0.5), words]),
            "word 1-2 grams alone": words}
    out = {}
    for name, X in sets.items():
        X = X.tocsr()
        best = None
        for C in (2.0, 8.0):
            z = np.zeros(len(y))
            for f in range(5):
                z[folds == f] = fit_lr(X[folds != f], y[folds != f], C, 13).decision_function(X[folds == f])
            r = {"C": C, **f1s(y, z, 0.0)}
            best = r if best is None or r["f1_best_threshold"] > best["f1_best_threshold"] else best
        out[name] = best
        print(name, best, file=sys.stderr)
    return out


def pipeline_oof(ds, config, keep: np.ndarray | None = None) -> dict[str, float]:  # noqa: ANN001
    from packetlens.training import train

    r = train(ds, config=config, cache_dir=CACHE, bank_from_data=False)
    idx, p = r.oof[HEAD]
    y = np.array(r.dataset.labels_for(HEAD))[idx].astype(int)
    if keep is not None:
        m = keep[idx]
        idx, p, y = idx[m], p[m], y[m]
    absent = p < 0.5
    return {"rows": int(len(y)), **f1s(y, p, 0.5),
            "said_absent_and_absent": round(float(1 - y[absent].mean()), 3),
            "present_found": round(float((~absent & (y == 1)).sum() / max(int(y.sum()), 1)), 3)}


def main() -> int:
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(ROOT / "src"))
    from packetlens.data import load_labeled
    from packetlens.embedding import load_embedder
    from packetlens.training import TrainConfig

    config = TrainConfig.from_file(ROOT / "training" / "default.toml")
    ds = load_labeled([ROOT / "data" / "bullets.jsonl"])
    emb = load_embedder(None, backend="onnx", cache_dir=CACHE)
    out: dict[str, object] = {"features": feature_sets(ds, emb.encode(ds.texts), emb)}
    groups = sorted(set(ds.groups))
    two_thirds = set(random.Random(0).sample(groups, len(groups) * 2 // 3))
    out["rows"] = {"two thirds": pipeline_oof(ds.subset([i for i, g in enumerate(ds.groups) if g in two_thirds]), config),
                   "all": pipeline_oof(ds, config)}
    pairs = sorted((ROOT / "data" / "review" / "difficulty_pass" / "minimal_pairs").glob("difficulty_pairs_*.jsonl"))
    both = load_labeled([ROOT / "data" / "bullets.jsonl", *pairs])
    original = np.array([i < len(ds) for i in range(len(both))])
    out["minimal_pairs"] = {"original rows, trained with the pairs": pipeline_oof(both, config, keep=original)}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
