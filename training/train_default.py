"""Rebuild models/default from data/ and log the run to mlruns/ (the one command for the shipped model).

    .venv/bin/python training/train_default.py            # retrain, save models/default, log + register
    .venv/bin/python training/train_default.py --check    # retrain in memory; compare with the committed metrics.json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOLERANCE = 0.01


def make_store_relative(db: Path) -> None:
    """Rewrite the store's absolute artifact paths (this checkout's) as `mlruns/...`.

    MLflow records artifact locations as absolute paths, which would tie the committed mlruns/ to
    the folder it was trained in. Relative ones resolve from the repository root, where
    `mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db` and `models:/packetlens@champion` run.
    """
    import sqlite3

    root = (ROOT / "mlruns").resolve()
    prefixes = [root.as_uri() + "/", str(root) + "/"]
    with sqlite3.connect(db) as conn:
        for table, col in (("experiments", "artifact_location"), ("model_versions", "storage_location"),
                           ("runs", "artifact_uri"), ("logged_models", "artifact_location")):
            for prefix in prefixes:
                conn.execute(f"UPDATE {table} SET {col} = 'mlruns/' || substr({col}, ?) WHERE {col} LIKE ?",
                             (len(prefix) + 1, prefix + "%"))


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    os.chdir(ROOT)  # the store's artifact paths are relative to the repository root
    from packetlens.training import TrainConfig, train

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="retrain without saving; fail if metrics drift")
    ap.add_argument("--cache-dir", type=Path, default=ROOT / ".packetlens-cache")
    args = ap.parse_args()
    cfg = TrainConfig.from_file(ROOT / "training" / "default.toml")
    result = train([ROOT / "data" / "bullets.jsonl"], exemplar_files=[ROOT / "data" / "exemplars.jsonl"],
                   out=None if args.check else ROOT / "models" / "default", config=cfg, cache_dir=args.cache_dir,
                   bank_from_data=False,  # the shipped bank is data/exemplars.jsonl, written as models
                   progress=lambda m: print(f"train_default: {m}", file=sys.stderr))
    if args.check:
        committed = json.loads((ROOT / "models" / "default" / "metrics.json").read_text())
        drift = {h: abs(result.metrics[h]["macro_f1"] - committed[h]["macro_f1"]) for h in committed}
        print(json.dumps({h: round(d, 4) for h, d in drift.items()}))
        return 0 if max(drift.values()) <= TOLERANCE else 1
    from packetlens.tracking import log_training

    info = log_training(result, tracking_uri=f"sqlite:///{ROOT / 'mlruns' / 'mlflow.db'}",
                        experiment="packetlens-default", register="packetlens", force=True)
    make_store_relative(ROOT / "mlruns" / "mlflow.db")
    for h, m in result.metrics.items():
        print(f"{h:26s} macro-F1 {m['macro_f1']:.3f} AUC {m['roc_auc']:.3f} ECE {m['ece']:.3f}")
    print(f"run {info.run_id}; registered packetlens v{info.version}: {info.gate}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
