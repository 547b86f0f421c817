"""How many embedding directions the heads read: quality on data/ and the public pairs per setting.

    .venv/bin/python benchmarks/embed_dims.py        # about 3 minutes; prints JSON

For each `embed_dims` (all 384, 192, 160, 128), with everything else from training/default.toml:
each head's out-of-fold macro-F1 and positive-class F1 on data/ (the training folds), its
leave-one-writer-out macro-F1 (train on seven writers, score the eighth), the strength head's C,
and the public pairs the strength head orders (../shared/eval, never trained on). Beside it, the
strength head's C when the folds are the eight writers instead of pair groups.
"""

from __future__ import annotations

import json
import sys
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".packetlens-cache"


def main() -> int:
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import quality as q

    from packetlens.data import load_labeled
    from packetlens.embedding import load_embedder
    from packetlens.metrics import f1_positive, macro_f1
    from packetlens.scorer import PacketScorer
    from packetlens.training import TrainConfig, train

    base = TrainConfig.from_file(ROOT / "training" / "default.toml")
    ds = load_labeled([ROOT / "data" / "bullets.jsonl"])
    emb = load_embedder(None, backend="onnx", cache_dir=CACHE)
    ev = q.rows_of(q.EVAL) if q.EVAL.is_file() else []
    voices = np.array(ds.meta["voice"])
    out = {}
    for dims in (None, 192, 160, 128):
        config = replace(base, embed_dims=dims)
        r = train(ds, config=config, cache_dir=CACHE, bank_from_data=False)
        lowo = q.lowo_probas(ds, config, emb)
        heads = {}
        for h, (idx, p) in r.oof.items():
            y = np.array(ds.labels_for(h)).astype(int)
            heads[h] = {"oof_macro_f1": round(macro_f1(y[idx], p >= 0.5), 4), "oof_f1_positive": round(f1_positive(y[idx], p >= 0.5), 4),
                        "lowo_macro_f1": round(macro_f1(y, lowo[h] >= 0.5), 4), "C": r.metrics[h]["C"]}
        row: dict[str, object] = {"heads": heads}
        if ev:
            ps = PacketScorer(r.model, emb).head_probas([x["text"] for x in ev])["strength"]
            row["eval_pairs_ordered"] = round(q.eval_figures(ps, ev)["pairs_ordered"], 3)
        by_writer = ds.subset(range(len(ds)))
        by_writer.groups = [f"voice:{v}" for v in voices]
        row["strength_C_with_writer_folds"] = train(by_writer, config=replace(config, n_folds=8), cache_dir=CACHE,
                                                    bank_from_data=False).metrics["strength"]["C"]
        out[str(dims or 384)] = row
        print(dims, json.dumps(row), file=sys.stderr)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
