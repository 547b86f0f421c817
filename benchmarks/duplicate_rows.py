"""What copies of a row do to out-of-fold figures, with and without grouping them (issue 15, #3).

    .venv/bin/python benchmarks/duplicate_rows.py     # under a minute; prints JSON

80 rows of data/bullets.jsonl (shuffled with seed 1), then the same rows three times each: as
written, upper-cased, and with other end punctuation, none sharing an id or pair_id. Out-of-fold
macro-F1 of the strength and framing heads (the real MiniLM; C fixed at 1, 5 folds) for the 80
rows, for the tripled file as training now groups it, and for the tripled file with each row its
own group (how training grouped it before: a held-out row's copies sat in the training folds).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".packetlens-cache"


def main() -> int:
    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(ROOT / "src"))
    import packetlens.training as training
    from packetlens.embedding import load_embedder
    from packetlens.training import TrainConfig, train

    rows = [json.loads(x) for x in (ROOT / "data" / "bullets.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    random.Random(1).shuffle(rows)
    keep = ("text", "strength", "framing", "moves")
    once = [{k: r[k] for k in keep} for r in rows[:80]]
    thrice = [{**r, "text": t} for r in once for t in (r["text"], r["text"].upper(), r["text"].rstrip(".") + " !")]
    emb = load_embedder(None, backend="onnx", cache_dir=CACHE)
    config = TrainConfig(C_grid=(1.0,), n_folds=5)
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as d:
        files = {}
        for name, data in (("80 rows", once), ("240 rows (80 x 3)", thrice)):
            files[name] = Path(d) / f"{len(data)}.jsonl"
            files[name].write_text("".join(json.dumps(r) + "\n" for r in data), encoding="utf-8")

        def figures(path: Path) -> dict[str, object]:
            r = train([path], config=config, embedder=emb)
            return {"n_duplicate_rows": r.n_duplicate_rows,
                    **{h: round(float(r.metrics[h]["macro_f1"]), 3) for h in ("strength", "framing")}}

        out["80 rows"] = figures(files["80 rows"])
        out["240 rows, copies grouped (now)"] = figures(files["240 rows (80 x 3)"])
        grouped = training.duplicate_groups
        training.duplicate_groups = lambda texts, groups: (list(groups), 0)  # each row its own group
        try:
            out["240 rows, copies not grouped (before)"] = figures(files["240 rows (80 x 3)"])
        finally:
            training.duplicate_groups = grouped
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
