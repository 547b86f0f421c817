"""Choose the training settings on the training writers alone (never on the held-out writers).

    .venv/bin/python benchmarks/disq_dev.py            # JSON to stdout

For each setting (disqualifier-row weight x cue scale), leave one of the disqualifier writers of
data/bullets.jsonl out (those with a `category`: data/raw/disq/), train `packetlens.train` with
training/default.toml on everything else, and score the left-out writer: strength macro-F1,
accuracy per category, and ../shared/eval pairs ordered / weak rows weak. The held-out writers in
data/heldout/ are not read here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from quality import CACHE, EVAL, eval_figures, rows_of  # noqa: E402

# (weight of disqualifier rows, cue_scale, heads that read the weight)
SETTINGS = [(1.0, 0.0, None), (10.0, 0.0, None), (1.0, 1.0, None), (10.0, 1.0, None), (10.0, 1.0, ("strength", "framing"))]


def main() -> int:
    from packetlens.data import load_labeled
    from packetlens.embedding import load_embedder
    from packetlens.evaluation import evaluate_probas
    from packetlens.metrics import macro_f1
    from packetlens.scorer import PacketScorer
    from packetlens.training import TrainConfig, train

    ds = load_labeled([ROOT / "data" / "bullets.jsonl"])
    ev = rows_of(EVAL)
    base = TrainConfig.from_file(ROOT / "training" / "default.toml")
    emb = load_embedder(None, backend="onnx", cache_dir=CACHE)
    voices = np.array([str(v) for v in ds.meta["voice"]])
    has_cat = np.array([c is not None for c in ds.meta["category"]])
    dev_voices = sorted(set(voices[has_cat]))
    out: dict[str, object] = {"dev_voices": dev_voices}
    only = sys.argv[1:]  # e.g. "10,1,strength+framing" to run one setting
    settings = [(float(w), float(c), None if h in ("", "all") else tuple(h.split("+")))
                for w, c, h in (x.split(",") for x in only)] if only else SETTINGS
    for weight, scale, heads in settings:
        ds.meta["weight"] = [weight if c is not None else None for c in ds.meta["category"]]
        cfg = TrainConfig(**{**base.__dict__, "cue_scale": scale, "weight_heads": heads})
        f1s, pairs, weak, per_cat, others = [], [], [], {}, {}
        for v in dev_voices:
            held = np.nonzero(voices == v)[0]
            res = train(ds.subset(np.nonzero(voices != v)[0]), out=None, config=cfg, embedder=emb, bank_from_data=False)
            scorer = PacketScorer(res.model, emb)
            sub = ds.subset(held)
            probas = scorer.head_probas(sub.texts)
            y = np.array(sub.labels_for("strength"))
            f1s.append(macro_f1(y, probas["strength"] >= 0.5))
            for head in ("framing", "quantified_counterfactual", "second_order_leverage", "difficulty_named",
                         "uncertainty_bounded"):
                yh = np.array(sub.labels_for(head))
                ph = probas[head] >= 0.5
                f1 = macro_f1(yh, ph) if head == "framing" else 2 * float(np.sum(ph & (yh == 1))) / max(float(ph.sum() + yh.sum()), 1.0)
                others.setdefault(head, []).append(f1)
            rep = evaluate_probas(probas, sub, by=["category"], n_boot=10)
            for c, m in rep["slices"]["category"].items():
                per_cat.setdefault(c, []).append((m["n"], m["accuracy"]))
            e = eval_figures(scorer.head_probas([r["text"] for r in ev])["strength"], ev)
            pairs.append(e["pairs_ordered"])
            weak.append(e["weak_rows_scored_weak"])
            print(f"weight {weight:g} cue_scale {scale:g} left out {v}: strength macro-F1 {f1s[-1]:.3f}", file=sys.stderr)
        out[f"weight{weight:g}_cue{scale:g}" + ("_" + "+".join(heads) if heads else "")] = {
            "framing_macro_f1_and_move_present_f1_mean": {h: float(np.mean(v)) for h, v in others.items()},
            "strength_macro_f1_by_writer": dict(zip(dev_voices, f1s)), "strength_macro_f1_mean": float(np.mean(f1s)),
            "eval_pairs_ordered_mean": float(np.mean(pairs)), "eval_weak_rows_weak_mean": float(np.mean(weak)),
            "accuracy_by_category": {c: sum(n * a for n, a in v) / sum(n for n, _ in v) for c, v in sorted(per_cat.items())}}
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
