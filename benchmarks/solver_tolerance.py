"""How far the looser liblinear tolerances of training move decisions, against tol 1e-3.

    .venv/bin/python benchmarks/solver_tolerance.py        # under a minute; prints JSON

On data/ with the shipped features (training/default.toml), every head, every C of the grid and
every fold: fit at tol 1e-3, at 1e-2 (final fits) and at 1e-1 (cross-validation fits); compare the
held-out decision values (largest absolute change) and their signs (rows that change side).
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(ROOT / "src"))
    from packetlens.data import load_labeled
    from packetlens.embedding import load_embedder
    from packetlens.features import design_matrix, fit_transform_tfidf
    from packetlens.features import principal_basis
    from packetlens.fitting import fit_lr, fold_ids
    from packetlens.training import TrainConfig

    config = TrainConfig.from_file(ROOT / "training" / "default.toml")
    ds = load_labeled([ROOT / "data" / "bullets.jsonl"])
    vecs = load_embedder(None, backend="onnx", cache_dir=ROOT / ".packetlens-cache").encode(ds.texts)
    _, tfidf = fit_transform_tfidf(ds.texts, min_df=config.min_df, max_features=config.max_features)
    X = design_matrix(vecs @ principal_basis(vecs, config.embed_dims), tfidf, config.embed_scale)
    folds = fold_ids(ds.groups, config.n_folds, config.seed)
    out = {str(t): {"max_abs_change": 0.0, "sign_changes": 0, "decisions": 0} for t in (1e-2, 1e-1)}
    for head in ("strength", "framing", "quantified_counterfactual", "second_order_leverage", "difficulty_named",
                 "uncertainty_bounded"):
        y = np.array(ds.labels_for(head)).astype(int)
        for C in config.C_grid:
            for k in range(config.n_folds):
                tr, te = folds != k, folds == k
                ref = fit_lr(X[tr], y[tr], C, config.seed, tol=1e-3).decision_function(X[te])
                for t in (1e-2, 1e-1):
                    z = fit_lr(X[tr], y[tr], C, config.seed, tol=t).decision_function(X[te])
                    o = out[str(t)]
                    o["max_abs_change"] = round(max(o["max_abs_change"], float(np.abs(z - ref).max())), 4)
                    o["sign_changes"] += int(((z > 0) != (ref > 0)).sum())
                    o["decisions"] += len(z)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
