"""Would fine-tuning the MiniLM body read the rubric better on unseen writers? Measured, not shipped.

    .venv/bin/python benchmarks/finetune_body.py [--steps 150]     # JSON to stdout (~5-10 min, 2 cores)

SetFit-style: contrastive pairs of training rows (same strength label -> cosine 1, different ->
0), a cosine-similarity loss, a plain torch loop over the body for ``--steps`` batches of 16
pairs (few steps, to keep it from saturating). Then, on the same training rows, the same two-stage
heads the shipped model uses (TF-IDF + embedding, then out-of-fold score + rubric cues; a
simplified re-implementation with one C) are fitted over four representations:

- frozen: the stock MiniLM embedding (what ships);
- tuned: the fine-tuned body's embedding;
- frozen + tuned: both, side by side (the tuned part cannot push the frozen one out);
- frozen, no cues: the first stage alone.

Figures: strength macro-F1 on the held-out writers (data/heldout/unseen_writers.jsonl), and
pairs ordered / source-weak rows scored weak on ../shared/eval.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from quality import EVAL, eval_figures, rows_of  # noqa: E402


def finetune(texts: list[str], y: np.ndarray, *, steps: int, seed: int = 0):  # noqa: ANN201
    import torch
    from sentence_transformers import SentenceTransformer

    from packetlens.embedding import resolve_embedding

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = SentenceTransformer(str(resolve_embedding(None).path), device="cpu")
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=2e-5)
    pos = {c: np.nonzero(y == c)[0] for c in (0, 1)}
    for _ in range(steps):
        a = rng.integers(0, len(texts), 16)
        same = rng.random(16) < 0.5
        b = np.array([rng.choice(pos[y[i]]) if s else rng.choice(pos[1 - y[i]]) for i, s in zip(a, same)])
        feats = [model.tokenize([texts[i] for i in idx]) for idx in (a, b)]
        emb = [model(f)["sentence_embedding"] for f in feats]
        cos = torch.nn.functional.cosine_similarity(emb[0], emb[1])
        loss = torch.nn.functional.mse_loss(cos, torch.tensor(same, dtype=torch.float32))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return model


def two_stage(X_tr, y, groups, Q_tr, X_te, Q_te, w):  # noqa: ANN001, ANN201
    """Stage 1: balanced LR over X with out-of-fold scores by writer; stage 2: LR over [score, cues]."""
    from sklearn.linear_model import LogisticRegression

    folds = {g: i % 5 for i, g in enumerate(sorted(set(groups)))}
    f = np.array([folds[g] for g in groups])
    z = np.zeros(len(y))
    for k in range(5):
        m = LogisticRegression(C=4, class_weight="balanced", solver="liblinear").fit(X_tr[f != k], y[f != k], sample_weight=w[f != k])
        z[f == k] = m.decision_function(X_tr[f == k])
    m1 = LogisticRegression(C=4, class_weight="balanced", solver="liblinear").fit(X_tr, y, sample_weight=w)
    if Q_tr is None:
        return [m1.decision_function(x) for x in X_te]
    m2 = LogisticRegression(C=10, class_weight="balanced", max_iter=2000).fit(np.column_stack([z, Q_tr]), y, sample_weight=w)
    return [m2.decision_function(np.column_stack([m1.decision_function(x), q])) for x, q in zip(X_te, Q_te)]


def main() -> int:
    from scipy import sparse

    from packetlens.cues import cue_matrix
    from packetlens.data import load_labeled
    from packetlens.embedding import load_embedder
    from packetlens.features import fit_transform_tfidf
    from packetlens.metrics import macro_f1
    from packetlens.training import row_weights

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=150)
    args = ap.parse_args()
    tr = load_labeled([ROOT / "data" / "bullets.jsonl"])
    te = load_labeled([ROOT / "data" / "heldout" / "unseen_writers.jsonl"])
    ev = rows_of(EVAL)
    ev_texts = [r["text"] for r in ev]
    y = np.array(tr.labels_for("strength"))
    y_te = np.array(te.labels_for("strength"))
    w = row_weights(tr)
    w = np.ones(len(y)) if w is None else w
    groups = [str(v) for v in tr.meta["voice"]]
    frozen = load_embedder(None, backend="onnx", cache_dir=ROOT / ".packetlens-cache")
    tuned = finetune(tr.texts, y, steps=args.steps)

    def enc_tuned(texts: list[str]) -> np.ndarray:
        return tuned.encode(texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True)

    tf, T_tr = fit_transform_tfidf(tr.texts)
    T_te, T_ev = (sparse.csr_matrix(tf.transform_dense(t)) for t in (te.texts, ev_texts))
    Q = [cue_matrix(t) for t in (tr.texts, te.texts, ev_texts)]
    F = [frozen.encode(t) for t in (tr.texts, te.texts, ev_texts)]
    U = [enc_tuned(t) for t in (tr.texts, te.texts, ev_texts)]
    reps = {"frozen": F, "tuned": U, "frozen_plus_tuned": [np.hstack([a, b]) for a, b in zip(F, U)],
            "frozen_no_cues": F}
    out: dict[str, object] = {"steps": args.steps, "pairs_per_step": 16}
    for name, E in reps.items():
        X = [sparse.hstack([sparse.csr_matrix(e * 0.5), t]).tocsr() for e, t in zip(E, (T_tr, T_te, T_ev))]
        cues = None if name.endswith("no_cues") else Q
        z_te, z_ev = two_stage(X[0], y, groups, cues and cues[0], X[1:], cues and cues[1:], w)
        out[name] = {"unseen_strength_macro_f1": macro_f1(y_te, z_te > 0),
                     **{k: v for k, v in eval_figures(1 / (1 + np.exp(-z_ev)), ev).items()
                        if k in ("pairs_ordered", "weak_rows_scored_weak")}}
        print(name, out[name], file=sys.stderr)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
