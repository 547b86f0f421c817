"""Quality on writers held out of training, by category and by writer, beside baselines.

    .venv/bin/python benchmarks/unseen_writers.py                  # JSON to stdout
    .venv/bin/python benchmarks/unseen_writers.py --cue-scales 0 0.5 1   # compare cue weights

Training rows: data/bullets.jsonl (what the shipped model is trained on). Test rows:
data/heldout/unseen_writers.jsonl, written by two writers whose rows are in no training file
(data/README.md). Every model below is trained on the same rows:

- packetlens: `packetlens.train` with training/default.toml (one entry per `--cue-scales` value,
  `cue_scale` set to it; the default toml's value is the shipped one);
- TF-IDF + LR: word 1-2 grams, sublinear tf, balanced logistic regression, C=2 (as in quality.py);
- MiniLM + LR: the frozen embedding, balanced logistic regression, C=2.

Figures per model: on the unseen writers, each head's macro-F1 (strength with a 95% interval),
each move's present-class F1, strength accuracy per `category` and strength macro-F1 per writer;
on ../shared/eval, pairs ordered, source-weak rows scored weak, and the source-strong rows that
make a before/after with a sample or named users (picked by the rubric, blind to every model:
benchmarks/eval_rubric_strong.json) scored strong.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from quality import CACHE, EVAL, eval_figures, rows_of  # noqa: E402

HELDOUT = ROOT / "data" / "heldout" / "unseen_writers.jsonl"
RUBRIC_STRONG = ROOT / "benchmarks" / "eval_rubric_strong.json"
HEADS = ("strength", "framing", "quantified_counterfactual", "second_order_leverage", "difficulty_named",
         "uncertainty_bounded")


def head_figures(probas: dict[str, np.ndarray], ds) -> dict[str, object]:  # noqa: ANN001
    from packetlens.evaluation import bootstrap_ci, evaluate_probas
    from packetlens.metrics import macro_f1

    out: dict[str, object] = {}
    for head in HEADS:
        labels = ds.labels_for(head)
        idx = [i for i, v in enumerate(labels) if v is not None]
        if not idx or head not in probas:
            continue
        y = np.array([labels[i] for i in idx])
        p = probas[head][idx]
        pred = p >= 0.5
        out[f"{head}_macro_f1"] = macro_f1(y, pred)
        if head == "strength":
            out["strength_macro_f1_ci95"] = bootstrap_ci(y, p)
        if head not in ("strength", "framing"):
            tp = float(np.sum(pred & (y == 1)))
            out[f"{head}_present_f1"] = 2 * tp / max(float(pred.sum() + y.sum()), 1.0)
    rep = evaluate_probas(probas, ds, by=[c for c in ("category", "voice") if c in ds.meta], n_boot=200)
    out["by_category"] = {k: {"n": v["n"], "accuracy": v.get("accuracy")} for k, v in rep["slices"].get("category", {}).items()}
    out["by_voice"] = {k: {"n": v["n"], "macro_f1": v.get("macro_f1")} for k, v in rep["slices"].get("voice", {}).items()}
    return out


def eval_set_figures(p_strong: np.ndarray, ev: list[dict]) -> dict[str, object]:
    out = dict(eval_figures(p_strong, ev))
    if RUBRIC_STRONG.is_file():
        lines = json.loads(RUBRIC_STRONG.read_text())["lines"]
        picked = np.array([p_strong[n - 1] for n in lines])
        out["rubric_strong_rows_scored_strong"] = float(np.mean(picked >= 0.5))
        out["n_rubric_strong_rows"] = len(lines)
    return out


def baselines(train_ds, test_ds, ev_texts: list[str], emb) -> dict[str, tuple[dict, np.ndarray]]:  # noqa: ANN001
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    V_tr, V_te, V_ev = emb.encode(train_ds.texts), emb.encode(test_ds.texts), emb.encode(ev_texts)
    out = {}
    for name in ("tfidf_lr", "minilm_lr"):
        probas, p_ev = {}, None
        for head in HEADS:
            labels = train_ds.labels_for(head)
            idx = [i for i, v in enumerate(labels) if v is not None]
            y = np.array([labels[i] for i in idx])
            if name == "tfidf_lr":
                m = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
                                  LogisticRegression(C=2.0, class_weight="balanced", max_iter=2000))
                m.fit([train_ds.texts[i] for i in idx], y)
                probas[head] = m.predict_proba(test_ds.texts)[:, 1]
                pe = m.predict_proba(ev_texts)[:, 1]
            else:
                m = LogisticRegression(C=2.0, class_weight="balanced", max_iter=2000).fit(V_tr[idx], y)
                probas[head] = m.predict_proba(V_te)[:, 1]
                pe = m.predict_proba(V_ev)[:, 1]
            if head == "strength":
                p_ev = pe
        out[name] = (probas, p_ev)
    return out


def collect(cue_scales: list[float] | None, train_files: list[Path] | None = None,
            heldout: list[Path] | None = None) -> dict[str, object]:
    from packetlens.data import load_labeled
    from packetlens.embedding import load_embedder
    from packetlens.scorer import PacketScorer
    from packetlens.training import TrainConfig, train

    train_ds = load_labeled(train_files or [ROOT / "data" / "bullets.jsonl"])
    test_ds = load_labeled(heldout or [HELDOUT])
    ev = rows_of(EVAL)
    ev_texts = [r["text"] for r in ev]
    base = TrainConfig.from_file(ROOT / "training" / "default.toml")
    emb = load_embedder(None, backend="onnx", cache_dir=CACHE)
    results: dict[str, object] = {"n_train": len(train_ds), "n_unseen": len(test_ds),
                                  "unseen_voices": sorted({str(v) for v in test_ds.meta.get("voice", [])})}
    for scale in (cue_scales if cue_scales else [base.cue_scale]):
        cfg = TrainConfig(**{**base.__dict__, "cue_scale": float(scale)})
        res = train(train_ds, out=None, config=cfg, embedder=emb, bank_from_data=False)
        scorer = PacketScorer(res.model, emb)
        probas = scorer.head_probas(test_ds.texts)
        results[f"packetlens_cue{scale:g}"] = {**head_figures(probas, test_ds),
                                               "eval": eval_set_figures(scorer.head_probas(ev_texts)["strength"], ev)}
        print(f"cue_scale {scale:g}: strength {results[f'packetlens_cue{scale:g}']['strength_macro_f1']:.3f}",
              file=sys.stderr)
    for name, (probas, p_ev) in baselines(train_ds, test_ds, ev_texts, emb).items():
        results[name] = {**head_figures(probas, test_ds), "eval": eval_set_figures(p_ev, ev)}
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cue-scales", type=float, nargs="*", help="cue_scale values to compare (default: the shipped one)")
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    ap.add_argument("--train", type=Path, nargs="*", help="training files (default: data/bullets.jsonl)")
    ap.add_argument("--heldout", type=Path, nargs="*", help="test files (default: data/heldout/unseen_writers.jsonl)")
    args = ap.parse_args()
    res = collect(args.cue_scales, args.train, args.heldout)
    text = json.dumps(res, indent=1)
    if args.out:
        args.out.write_text(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
