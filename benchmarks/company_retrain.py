"""A company's first retrain, timed as a new user would meet it (issue 11), written to RESULTS.md.

    .venv/bin/python benchmarks/company_retrain.py

1. A 200-row, strength-only company file (`bullet,verdict`, values `promoted-quality`/`exceeds`/`not`,
   a seeded sample of data/bullets.jsonl), trained with `--no-base --register acme` in a fresh
   process against an empty cache directory (the ONNX export included) and a fresh MLflow store:
   wall time of train + register.
2. `packetlens score examples/packet.md -m models:/acme@champion` against `-m <model dir>`: the
   median wall time of 5 fresh processes each, after one warm-up call of each (the warm-up of the
   registry URI makes its local copy; the directory's warms the vector cache).

Replaces the block between `<!-- company_retrain:start -->` and `<!-- company_retrain:end -->` of
benchmarks/RESULTS.md (appended the first time).
"""

from __future__ import annotations

import csv
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "packetlens.cli"]
START, END = "<!-- company_retrain:start -->", "<!-- company_retrain:end -->"


def company_file(path: Path, n: int = 200, seed: int = 11) -> None:
    rows = [json.loads(x) for x in (ROOT / "data" / "bullets.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    rng = random.Random(seed)
    rng.shuffle(rows)
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["bullet", "verdict"])
        for r in rows[:n]:
            w.writerow([r["text"], rng.choice(["promoted-quality", "exceeds"]) if r["strength"] == "strong" else "not"])


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return wall


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="pl-company-") as d:
        work = Path(d)
        company_file(work / "acme.csv")
        env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT / "src"),
               "PACKETLENS_CACHE_DIR": str(work / "cache"), "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
        uri = f"sqlite:///{work}/mlruns/mlflow.db"
        train_s = timed([*CLI, "train", "acme.csv", "--no-base", "--text-col", "bullet", "--label-col", "strength=verdict",
                         "--label-map", "strength:strong=promoted-quality,exceeds", "--label-map", "strength:weak=not",
                         "--out", "models/acme", "--register", "acme", "--tracking-uri", uri], env, work)
        retrain_s = timed([*CLI, "train", "acme.csv", "--no-base", "--text-col", "bullet", "--label-col", "strength=verdict",
                           "--label-map", "strength:strong=promoted-quality,exceeds", "--label-map", "strength:weak=not",
                           "--out", "models/acme", "--register", "acme", "--tracking-uri", uri], env, work)
        packet = str(ROOT / "examples" / "packet.md")
        by_uri = [*CLI, "score", packet, "-m", "models:/acme@champion", "--tracking-uri", uri, "-f", "json"]
        by_dir = [*CLI, "score", packet, "-m", str(work / "models" / "acme"), "-f", "json"]
        first_uri = timed(by_uri, env, work)
        timed(by_dir, env, work)
        uri_s, dir_s = [], []
        for _ in range(5):  # interleaved, so a busy neighbour weighs on both alike
            uri_s.append(timed(by_uri, env, work))
            dir_s.append(timed(by_dir, env, work))
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    res = {"train_register_cold_s": train_s, "identical_retrain_s": retrain_s, "score_uri_first_s": first_uri,
           "score_uri_median_s": statistics.median(uri_s), "score_dir_median_s": statistics.median(dir_s),
           "ratio": statistics.median(uri_s) / statistics.median(dir_s), "load_1min": load,
           "cpus": os.cpu_count(), "python": platform.python_version()}
    block = "\n".join([
        START,
        f"### Company retrain (issue 11; {time.strftime('%Y-%m-%d')}, {res['cpus']} cores, 1-min load {load:.1f})",
        "",
        "Made by `.venv/bin/python benchmarks/company_retrain.py`: a 200-row strength-only `bullet,verdict` file with "
        "the company's own values, `--no-base --register acme`, empty cache directory (ONNX export included) and a fresh "
        "MLflow store; scoring `examples/packet.md`, median of 5 fresh processes after one warm-up each.",
        "",
        "| measure | seconds | goal |",
        "|---|---|---|",
        f"| train + register, cold cache | {train_s:.1f} | <= 20 |",
        f"| the identical retrain (warm vectors; no new version) | {retrain_s:.1f} | |",
        f"| `score -m models:/acme@champion`, first call (makes the local copy) | {first_uri:.2f} | |",
        f"| `score -m models:/acme@champion`, later calls | {res['score_uri_median_s']:.2f} | <= 1.5x the directory |",
        f"| `score -m models/acme` (a directory) | {res['score_dir_median_s']:.2f} | |",
        f"| ratio, registry URI / directory | {res['ratio']:.2f}x | <= 1.5x |",
        END,
    ])
    out = ROOT / "benchmarks" / "RESULTS.md"
    text = out.read_text(encoding="utf-8")
    if START in text:
        text = text[:text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    out.write_text(text, encoding="utf-8")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
