"""Quality on ../shared/eval (never trained on) and on data/, beside baselines trained on the same rows.

    .venv/bin/python benchmarks/quality.py        # prints JSON; benchmarks/run.py puts it in the README

- packetlens: the shipped model on the eval set (also through `packetlens score --format json`);
  out-of-fold on data/ (the same grouped folds as training) and leave-one-writer-out.
- TF-IDF + logistic regression (balanced, C=2), kNN (k=15, cosine) on the same MiniLM embeddings,
  and two rules resume tools use: "has a digit -> strong", "strong action verb + a number -> strong".
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval" / "external_public.jsonl"
CACHE = ROOT / ".packetlens-cache"
VERBS = re.compile(r"^\W*(led|built|designed|launched|reduced|increased|cut|improved|delivered|created|developed|"
                   r"drove|shipped|architected|implemented|grew|saved|automated|owned|replaced|migrated)\b", re.I)
RULES = {"rule_has_digit": lambda t: bool(re.search(r"\d", t)),
         "rule_verb_and_number": lambda t: bool(VERBS.search(t)) and bool(re.search(r"\d", t))}


def rows_of(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def eval_figures(p_strong: np.ndarray, ev: list[dict]) -> dict[str, object]:
    from packetlens.evaluation import bootstrap_ci
    from packetlens.metrics import macro_f1

    p_strong = np.asarray(p_strong, dtype=float)
    y = np.array([r["label"] == "strong" for r in ev])
    pairs: dict[str, dict[str, float]] = {}
    for r, p in zip(ev, p_strong):
        if r.get("pair_id"):
            pairs.setdefault(r["pair_id"], {})[r["label"]] = float(p)
    full = [d for d in pairs.values() if {"weak", "strong"} <= set(d)]
    return {"pairs_ordered": float(np.mean([d["strong"] > d["weak"] for d in full])), "n_pairs": len(full),
            "weak_rows_scored_weak": float(np.mean(p_strong[~y] < 0.5)),
            "source_strong_rows_scored_strong": float(np.mean(p_strong[y] >= 0.5)),
            "macro_f1_vs_source_labels": macro_f1(y.astype(int), (p_strong >= 0.5).astype(int)),
            "macro_f1_vs_source_labels_ci95": bootstrap_ci(y.astype(int), p_strong)}


def lowo_probas(ds, config, embedder) -> dict[str, np.ndarray]:  # noqa: ANN001
    """Leave one writer out: every head's P(positive) for each row, from a model trained on the other writers."""
    from packetlens.scorer import PacketScorer
    from packetlens.training import train

    voices = np.array(ds.meta["voice"])
    out: dict[str, np.ndarray] = {}
    for v in sorted(set(voices)):
        held = np.nonzero(voices == v)[0]
        sub = train(ds.subset(np.nonzero(voices != v)[0]), out=None, config=config, embedder=embedder,
                    bank_from_data=False)
        for h, p in PacketScorer(sub.model, embedder).head_probas([ds.texts[i] for i in held]).items():
            out.setdefault(h, np.zeros(len(ds)))[held] = p
    return out


def data_figures(p: np.ndarray, y: np.ndarray, tricky: np.ndarray, p_lowo: np.ndarray | None) -> dict[str, object]:
    from packetlens.evaluation import bootstrap_ci
    from packetlens.metrics import macro_f1

    out = {"oof_macro_f1_data": macro_f1(y, p >= 0.5), "oof_macro_f1_data_ci95": bootstrap_ci(y, p),
           "tricky_macro_f1": macro_f1(y[tricky], p[tricky] >= 0.5),
           "tricky_macro_f1_ci95": bootstrap_ci(y[tricky], p[tricky])}
    if p_lowo is not None:
        out["lowo_macro_f1_data"] = macro_f1(y, p_lowo >= 0.5)
    return out


def cli_eval(ev: list[dict]) -> dict[str, object]:
    """The eval texts through `packetlens score - --format json` (one bullet a line)."""
    texts = [re.sub(r"\s+", " ", r["text"]).strip() for r in ev]
    exe = Path(sys.executable).parent / "packetlens"
    out = subprocess.run([str(exe), "score", "-", "--format", "json"], input="\n".join(texts) + "\n", text=True,
                         capture_output=True, env={**os.environ, "HF_HUB_OFFLINE": "1", "PACKETLENS_CACHE_DIR": str(CACHE)},
                         check=True)
    doc = json.loads(out.stdout)
    assert [b["text"] for b in doc["bullets"]] == texts, "the CLI split the eval texts differently"
    return eval_figures(np.array([b["strength"]["p_strong"] for b in doc["bullets"]]), ev)


def collect() -> dict[str, dict]:
    sys.path.insert(0, str(ROOT / "src"))
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline

    from packetlens.data import load_labeled
    from packetlens.embedding import load_embedder
    from packetlens.scorer import PacketScorer
    from packetlens.fitting import fold_ids
    from packetlens.training import TrainConfig, train

    ds = load_labeled([ROOT / "data" / "bullets.jsonl"])
    y = np.array(ds.labels_for("strength"))
    tricky = np.array([bool(v) for v in ds.meta["tricky"]])
    ev = rows_of(EVAL)
    ev_texts = [r["text"] for r in ev]
    cfg = TrainConfig.from_file(ROOT / "training" / "default.toml")
    emb = load_embedder(None, backend="onnx", cache_dir=CACHE)
    V, EV = emb.encode(ds.texts), emb.encode(ev_texts)
    out: dict[str, dict] = {}

    # packetlens: its out-of-fold figures come from folds of whole writers (training/default.toml
    # group_col = "voice"), so they already hold every writer out of the model that scores it
    scorer = PacketScorer.from_pretrained(cache_dir=CACHE)
    res = train(ds, out=None, config=cfg, embedder=emb, bank_from_data=False)
    idx, p = res.oof["strength"]
    p_oof = np.zeros(len(y))
    p_oof[idx] = p
    out["packetlens"] = {**eval_figures(scorer.head_probas(ev_texts)["strength"], ev),
                         **data_figures(p_oof, y, tricky, None)}
    out["packetlens_cli"] = cli_eval(ev)

    # baselines: same rows, the same folds of whole writers as training
    from packetlens.data import duplicate_groups
    from packetlens.training import fold_groups

    folds = fold_ids(duplicate_groups(ds.texts, fold_groups(ds, cfg.group_col, min_groups=cfg.n_folds))[0],
                     cfg.n_folds, cfg.seed)

    def tfidf_lr():
        return make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
                             LogisticRegression(C=2.0, class_weight="balanced", max_iter=2000))

    def knn():
        return KNeighborsClassifier(n_neighbors=15, metric="cosine", weights="distance")

    def cross(make, X, split):
        p = np.zeros(len(y))
        for k in sorted(set(split)):
            tr, te = np.nonzero(split != k)[0], np.nonzero(split == k)[0]
            pick = (lambda ix: [X[i] for i in ix]) if isinstance(X, list) else (lambda ix: X[ix])
            p[te] = make().fit(pick(tr), y[tr]).predict_proba(pick(te))[:, 1]
        return p

    for name, make, X, XE in (("tfidf_lr", tfidf_lr, ds.texts, ev_texts), ("knn_embedding", knn, V, EV)):
        p_ev = make().fit(X, y).predict_proba(XE)[:, 1]
        out[name] = {**eval_figures(p_ev, ev), **data_figures(cross(make, X, folds), y, tricky, None)}
    for name, rule in RULES.items():
        p_rule = np.array([float(rule(t)) for t in ds.texts])
        out[name] = {**eval_figures(np.array([float(rule(t)) for t in ev_texts]), ev),
                     **data_figures(p_rule, y, tricky, p_rule)}
    return out


if __name__ == "__main__":
    print(json.dumps(collect(), indent=1))
