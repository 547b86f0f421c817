"""Quality on ../shared/eval (never trained on) and out-of-fold on data/, beside baselines.

    .venv/bin/python benchmarks/quality.py [--json benchmarks/out/quality.json]

Baselines, trained on the same rows of data/ where they learn anything:
- TF-IDF + logistic regression (balanced, C=2)
- kNN (k=15, cosine) on the same MiniLM embeddings
- "has a digit -> strong" and "strong action verb + a number -> strong" (rules resume tools use)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval" / "external_public.jsonl"
VERBS = re.compile(r"^\W*(led|built|designed|launched|reduced|increased|cut|improved|delivered|created|developed|"
                   r"drove|shipped|architected|implemented|grew|saved|automated|owned|replaced|migrated)\b", re.I)


def rows_of(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def eval_figures(p_strong: np.ndarray, ev: list[dict]) -> dict[str, float]:
    y = np.array([r["label"] == "strong" for r in ev])
    pairs: dict[str, dict[str, float]] = {}
    for r, p in zip(ev, p_strong):
        if r.get("pair_id"):
            pairs.setdefault(r["pair_id"], {})[r["label"]] = float(p)
    full = [d for d in pairs.values() if {"weak", "strong"} <= set(d)]
    from packetlens.metrics import macro_f1

    return {"pairs_ordered": float(np.mean([d["strong"] > d["weak"] for d in full])),
            "n_pairs": len(full),
            "weak_rows_scored_weak": float(np.mean(p_strong[~y] < 0.5)),
            "source_strong_rows_scored_strong": float(np.mean(p_strong[y] >= 0.5)),
            "macro_f1_vs_source_labels": macro_f1(y.astype(int), (p_strong >= 0.5).astype(int))}


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from packetlens.data import load_labeled
    from packetlens.embedding import load_embedder
    from packetlens.evaluation import bootstrap_ci
    from packetlens.metrics import macro_f1
    from packetlens.scorer import PacketScorer

    ap = argparse.ArgumentParser()
    ap.add_argument("--json", type=Path)
    ap.add_argument("--model", default=None)
    args = ap.parse_args()
    cache = ROOT / ".packetlens-cache"
    ds = load_labeled([ROOT / "data" / "bullets.jsonl"])
    ev = rows_of(EVAL)
    ev_texts = [r["text"] for r in ev]
    y_tr = np.array(ds.labels_for("strength"))
    scorer = PacketScorer.from_pretrained(args.model, cache_dir=cache)
    emb = load_embedder(None, backend="onnx", cache_dir=cache)
    out: dict[str, dict] = {}
    # packetlens: eval-set figures from the shipped model; data/ figures out-of-fold (metrics.json)
    out["packetlens"] = eval_figures(scorer.head_probas(ev_texts)["strength"], ev)
    oof_f1 = scorer.model.metrics["strength"]["macro_f1"]
    out["packetlens"]["oof_macro_f1_data"] = oof_f1
    # baselines trained on the same rows, scored out-of-fold on data/ with the same grouped folds
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier

    from packetlens.training import _fold_ids

    folds = _fold_ids(ds.groups, 5, 13)
    V = emb.encode(ds.texts)
    EV = emb.encode(ev_texts)

    def tfidf_model():
        from sklearn.pipeline import make_pipeline
        return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
                             LogisticRegression(C=2.0, class_weight="balanced", max_iter=2000))

    def oof(make, X):
        p = np.zeros(len(y_tr))
        for k in range(5):
            m = make().fit(X[folds != k] if not isinstance(X, list) else [X[i] for i in np.nonzero(folds != k)[0]], y_tr[folds != k])
            test = X[folds == k] if not isinstance(X, list) else [X[i] for i in np.nonzero(folds == k)[0]]
            p[folds == k] = m.predict_proba(test)[:, 1]
        return p

    p_tfidf = oof(tfidf_model, ds.texts)
    out["tfidf_lr"] = eval_figures(tfidf_model().fit(ds.texts, y_tr).predict_proba(ev_texts)[:, 1], ev)
    out["tfidf_lr"]["oof_macro_f1_data"] = macro_f1(y_tr, p_tfidf >= 0.5)
    knn = lambda: KNeighborsClassifier(n_neighbors=15, metric="cosine", weights="distance")  # noqa: E731
    p_knn = oof(knn, V)
    out["knn_embedding"] = eval_figures(knn().fit(V, y_tr).predict_proba(EV)[:, 1], ev)
    out["knn_embedding"]["oof_macro_f1_data"] = macro_f1(y_tr, p_knn >= 0.5)
    for name, rule in (("rule_has_digit", lambda t: bool(re.search(r"\d", t))),
                       ("rule_verb_and_number", lambda t: bool(VERBS.search(t)) and bool(re.search(r"\d", t)))):
        out[name] = eval_figures(np.array([float(rule(t)) for t in ev_texts]), ev)
        out[name]["oof_macro_f1_data"] = macro_f1(y_tr, np.array([rule(t) for t in ds.texts]))
    # tricky rows of data/, out-of-fold, with 95% intervals
    tricky = np.array([bool(v) for v in ds.meta["tricky"]])
    p_pl = np.zeros(len(y_tr))
    from packetlens.training import TrainConfig, train

    cfg = TrainConfig.from_file(ROOT / "training" / "default.toml")
    res = train(ds, out=None, config=cfg, cache_dir=cache)
    idx, p = res.oof["strength"]
    p_pl[idx] = p
    for name, pv in (("packetlens", p_pl), ("tfidf_lr", p_tfidf), ("knn_embedding", p_knn),
                     ("rule_has_digit", np.array([float(bool(re.search(r"\d", t))) for t in ds.texts])),
                     ("rule_verb_and_number", np.array([float(bool(VERBS.search(t)) and bool(re.search(r"\d", t))) for t in ds.texts]))):
        out[name]["tricky_macro_f1"] = macro_f1(y_tr[tricky], pv[tricky] >= 0.5)
        out[name]["tricky_macro_f1_ci95"] = bootstrap_ci(y_tr[tricky], pv[tricky])
        ye = np.array([r["label"] == "strong" for r in ev]).astype(int)
    print(json.dumps(out, indent=1))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
