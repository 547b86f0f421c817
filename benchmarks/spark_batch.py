"""Scoring a whole organisation: Spark local[2] and `packetlens score-batch` against the library.

    .venv/bin/python benchmarks/spark_batch.py              # 100,000 bullets
    .venv/bin/python benchmarks/spark_batch.py --n 20000    # a shorter run

On the same N bullets (data/bullets.jsonl repeated, each with its own id):

1. the bare encoder: OnnxEmbedder.encode in chunks of 1,024, one process, onnxruntime's default threads;
2. `packetlens score-batch part.jsonl -o part.out.jsonl`: a fresh process per part, its own
   scoring seconds (model load apart) and peak RSS (GNU time);
3. the library: PacketScorer.score in chunks of 1,024 (no vector cache), one process;
4. Spark local[2]: the pyfunc that training logs, as `mlflow.pyfunc.spark_udf`, over a Parquet
   of the bullets in 8 partitions, written to Parquet; seconds of the job (the JVM start apart),
   then every row compared with score-batch's.

The machine is shared and its load swings within minutes, so each pair that is compared is
measured interleaved: the N bullets are cut into ``--rounds`` parts, and encoder and score-batch
alternate part by part (which goes first alternates too); the library scores half the bullets
before the Spark job and half after. A ratio is then taken over the same stretch of time.
Writes benchmarks/out/spark_batch/results.json and the block between the `<!-- spark-batch:start -->`
and `<!-- spark-batch:end -->` markers of benchmarks/RESULTS.md. The machine is shared: the load
average before and after each step is recorded beside its figure.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out" / "spark_batch"
CACHE = ROOT / ".packetlens-cache"
CHUNK = 1024
sys.path.insert(0, str(ROOT / "src"))


def load() -> str:
    return "%.1f" % os.getloadavg()[0]


def make_data(n: int, rounds: int) -> tuple[list[Path], Path, list[str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    base = [json.loads(x)["text"] for x in (ROOT / "data" / "bullets.jsonl").read_text(encoding="utf-8").splitlines()
            if x.strip()]
    texts = [base[i % len(base)] for i in range(n)]
    ids = [f"b{i:06d}" for i in range(n)]
    OUT.mkdir(parents=True, exist_ok=True)
    parts = []
    for r in range(rounds):
        lo, hi = r * n // rounds, (r + 1) * n // rounds
        part = OUT / f"bullets-{r}.jsonl"
        part.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in zip(ids[lo:hi], texts[lo:hi], strict=True)),
                        encoding="utf-8")
        parts.append(part)
    parquet = OUT / "bullets.parquet"
    pq.write_table(pa.table({"id": ids, "text": texts}), parquet)
    return parts, parquet, texts


def seconds(fn, texts: list[str]) -> float:  # noqa: ANN001
    start = time.perf_counter()
    for i in range(0, len(texts), CHUNK):
        fn(texts[i:i + CHUNK])
    return time.perf_counter() - start


def batch_command(jsonl: Path, out: Path) -> dict[str, object]:
    cmd = [sys.executable, "-m", "packetlens.cli", "score-batch", str(jsonl), "-o", str(out),
           "--cache-dir", str(CACHE), "--chunk-size", str(CHUNK)]
    gnu_time = Path("/usr/bin/time")
    full = [str(gnu_time), "-f", "PLRSS %M", *cmd] if gnu_time.exists() else cmd
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT / "src")}
    start = time.perf_counter()
    p = subprocess.run(full, env=env, stderr=subprocess.PIPE, text=True, check=False)
    wall = time.perf_counter() - start
    if p.returncode:
        raise RuntimeError(p.stderr[-2000:])
    m = re.search(r"in ([\d.]+) s \((\d+) bullets/s\)", p.stderr)
    rss = [int(x.split()[1]) for x in p.stderr.splitlines() if x.startswith("PLRSS ")]
    return {"scoring_s": float(m.group(1)) if m else float("nan"), "process_wall_s": wall,
            "peak_rss_mb": round(rss[-1] / 1024) if rss else None}


def spark_run(parquet: Path, n: int) -> dict[str, object]:
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    os.environ["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")
    import mlflow
    from pyspark.sql import SparkSession

    from packetlens.scorer import default_model_dir
    from packetlens.table import spark_ddl
    from packetlens.tracking import save_pyfunc

    model = OUT / "pyfunc"
    shutil.rmtree(model, ignore_errors=True)
    save_pyfunc(default_model_dir(), model, model_config={"cache_dir": str(CACHE)})
    t0 = time.perf_counter()
    spark = (SparkSession.builder.master("local[2]").appName("packetlens-bench")
             .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    started = time.perf_counter() - t0
    udf = mlflow.pyfunc.spark_udf(spark, str(model), result_type=spark_ddl("bullets"), env_manager="local")
    out = OUT / "spark.parquet"
    shutil.rmtree(out, ignore_errors=True)
    t1 = time.perf_counter()
    (spark.read.parquet(str(parquet)).repartition(8).select("id", udf("text").alias("s")).select("id", "s.*")
     .write.parquet(str(out)))
    job = time.perf_counter() - t1
    spark.stop()
    return {"bullets_per_s": round(n / job, 1), "job_s": round(job, 1), "session_start_s": round(started, 1),
            "output": str(out)}


def compare(batch_parts: list[Path], spark_dir: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    spark_rows = {r["id"]: r for r in pq.read_table(str(spark_dir)).to_pylist()}
    same = differ = 0
    for part in batch_parts:
        with part.open(encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                if spark_rows.pop(row["id"], None) == row:
                    same += 1
                else:
                    differ += 1
    return {"identical": same, "different": differ, "only_in_spark": len(spark_rows)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000, help="bullets to score (default 100,000)")
    ap.add_argument("--rounds", type=int, default=4, help="parts that encoder and score-batch alternate on (default 4)")
    args = ap.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    from packetlens.embedding import load_embedder
    from packetlens.scorer import PacketScorer

    parts, parquet, texts = make_data(args.n, args.rounds)
    r: dict = {"date": date.today().isoformat(), "n": args.n, "cores": os.cpu_count(), "rounds": args.rounds}  # type: ignore[type-arg]
    encoder = load_embedder(None, backend="onnx", cache_dir=CACHE, use_vector_cache=False)
    encoder.encode(texts[:64])
    print("encoder and score-batch, interleaved ...", file=sys.stderr)
    r["loads"] = [load()]
    enc_s = batch_s = batch_wall = 0.0
    enc_parts: list[float] = []
    batch_parts: list[float] = []
    rss: list[int] = []
    outs = []
    for i, part in enumerate(parts):
        lo, hi = i * args.n // args.rounds, (i + 1) * args.n // args.rounds
        out = OUT / f"batch-{i}.jsonl"
        outs.append(out)
        for which in (("encoder", "batch") if i % 2 == 0 else ("batch", "encoder")):
            if which == "encoder":
                enc_parts.append(seconds(encoder.encode, texts[lo:hi]))
                enc_s += enc_parts[-1]
            else:
                b = batch_command(part, out)
                batch_parts.append(b["scoring_s"])
                batch_s += b["scoring_s"]
                batch_wall += b["process_wall_s"]
                rss.append(b["peak_rss_mb"] or 0)
        r["loads"].append(load())
        print(f"  part {i}: encoder {enc_s:.0f} s, score-batch {batch_s:.0f} s so far (load {load()})", file=sys.stderr)
    r["encoder"] = {"bullets_per_s": round(args.n / enc_s, 1), "part_s": [round(x, 1) for x in enc_parts]}
    r["batch"] = {"bullets_per_s": round(args.n / batch_s, 1), "scoring_s": round(batch_s, 1),
                  "process_wall_s": round(batch_wall, 1), "peak_rss_mb": max(rss),
                  "part_s": [round(x, 1) for x in batch_parts]}
    del encoder
    print("library, Spark, library ...", file=sys.stderr)
    scorer = PacketScorer.from_pretrained(cache_dir=CACHE, cache_vectors=False)
    half = args.n // 2
    lib_s = seconds(scorer.score, texts[:half])
    r["loads"].append(load())
    r["spark"] = spark_run(parquet, args.n)
    r["loads"].append(load())
    lib_s += seconds(scorer.score, texts[half:])
    r["loads"].append(load())
    r["library"] = {"bullets_per_s": round(args.n / lib_s, 1)}
    r["rows"] = compare(outs, OUT / "spark.parquet")
    r["spark_vs_library"] = round(r["spark"]["bullets_per_s"] / r["library"]["bullets_per_s"], 2)
    r["batch_vs_encoder"] = round(r["batch"]["bullets_per_s"] / r["encoder"]["bullets_per_s"], 2)
    # a load spike on a shared machine hits one part: the median part is the robust figure
    r["batch_vs_encoder_median_part"] = round(statistics.median(e / b for e, b in zip(enc_parts, batch_parts, strict=True)), 2)
    (OUT / "results.json").write_text(json.dumps(r, indent=1) + "\n", encoding="utf-8")
    md = markdown(r)
    path = ROOT / "benchmarks" / "RESULTS.md"
    text = path.read_text(encoding="utf-8")
    block = f"<!-- spark-batch:start -->\n{md}<!-- spark-batch:end -->"
    if "<!-- spark-batch:start -->" in text:
        text = re.sub(r"<!-- spark-batch:start -->.*?<!-- spark-batch:end -->", lambda _m: block, text, flags=re.S)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
    print(md)
    return 0


def markdown(r: dict) -> str:  # type: ignore[type-arg]
    n = f"{r['n']:,}"
    rows = r["rows"]
    return (
        f"### Scoring a whole organisation ({r['date']}, {r['cores']} cores, {n} bullets)\n\n"
        f"Made by `.venv/bin/python benchmarks/spark_batch.py --n {r['n']}` (one run). The machine was shared "
        f"(1-minute load average {min(map(float, r['loads'])):.1f} to {max(map(float, r['loads'])):.1f} on 2 cores), so "
        "absolute rates are low; each ratio compares two paths measured interleaved over the same stretch of time.\n\n"
        "| path | bullets/s | ratio | detail |\n|---|---|---|---|\n"
        f"| bare encoder (OnnxEmbedder, 1 process) | {r['encoder']['bullets_per_s']:.0f} | 1.00 | chunks of {CHUNK} |\n"
        f"| `packetlens score-batch` (JSONL in, JSONL out) | {r['batch']['bullets_per_s']:.0f} | "
        f"{r['batch_vs_encoder']:.2f} of the encoder overall, {r['batch_vs_encoder_median_part']:.2f} in the median part | "
        f"{r['rounds']} processes, peak RSS {r['batch']['peak_rss_mb']} MB; {r['batch']['scoring_s']} s scoring, "
        f"{r['batch']['process_wall_s']} s with process starts; seconds per part: encoder "
        f"{', '.join(map(str, r['encoder']['part_s']))}, score-batch {', '.join(map(str, r['batch']['part_s']))} |\n"
        f"| library (PacketScorer.score, 1 process) | {r['library']['bullets_per_s']:.0f} | 1.00 | chunks of {CHUNK}, "
        "no vector cache, half before the Spark job and half after |\n"
        f"| Spark local[2], `spark_udf` (Parquet in, Parquet out) | {r['spark']['bullets_per_s']:.0f} | "
        f"{r['spark_vs_library']:.2f} of the library | job {r['spark']['job_s']} s (model loads included), "
        f"JVM start {r['spark']['session_start_s']} s apart |\n\n"
        f"Rows: {rows['identical']:,} of {n} Spark rows identical to score-batch's "
        f"({rows['different']} different, {rows['only_in_spark']} only in Spark).\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
