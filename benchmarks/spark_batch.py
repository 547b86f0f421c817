"""Scoring a whole organisation: Spark local[2] and `packetlens score-batch` against the library.

    .venv/bin/python benchmarks/spark_batch.py              # 100,000 bullets
    .venv/bin/python benchmarks/spark_batch.py --n 20000    # a shorter run

On the same N bullets (data/bullets.jsonl repeated, each with its own id), one after another:

1. the bare encoder: OnnxEmbedder.encode in chunks of 1,024, one process, onnxruntime's default threads;
2. the library: PacketScorer.score in chunks of 1,024 (no vector cache), the same process;
3. `packetlens score-batch bullets.jsonl -o batch.jsonl`: a fresh process, its own bullets/s and
   peak RSS (GNU time);
4. Spark local[2]: the pyfunc that training logs, as `mlflow.pyfunc.spark_udf`, over a Parquet
   of the bullets in 8 partitions, written to Parquet; seconds of the job (the JVM start apart),
   then every row compared with score-batch's.

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


def make_data(n: int) -> tuple[Path, Path, list[str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    base = [json.loads(x)["text"] for x in (ROOT / "data" / "bullets.jsonl").read_text(encoding="utf-8").splitlines()
            if x.strip()]
    texts = [base[i % len(base)] for i in range(n)]
    ids = [f"b{i:06d}" for i in range(n)]
    OUT.mkdir(parents=True, exist_ok=True)
    jsonl = OUT / "bullets.jsonl"
    jsonl.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in zip(ids, texts, strict=True)),
                     encoding="utf-8")
    parquet = OUT / "bullets.parquet"
    pq.write_table(pa.table({"id": ids, "text": texts}), parquet)
    return jsonl, parquet, texts


def timed(fn, texts: list[str]) -> float:  # noqa: ANN001
    start = time.perf_counter()
    for i in range(0, len(texts), CHUNK):
        fn(texts[i:i + CHUNK])
    return len(texts) / (time.perf_counter() - start)


def batch_command(jsonl: Path) -> dict[str, object]:
    out = OUT / "batch.jsonl"
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
    return {"bullets_per_s": float(m.group(2)) if m else float("nan"), "scoring_s": float(m.group(1)) if m else None,
            "process_wall_s": round(wall, 1), "peak_rss_mb": round(rss[-1] / 1024) if rss else None,
            "output": str(out)}


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


def compare(batch_jsonl: Path, spark_dir: Path) -> dict[str, int]:
    import pyarrow.parquet as pq

    spark_rows = {r["id"]: r for r in pq.read_table(str(spark_dir)).to_pylist()}
    same = differ = 0
    with batch_jsonl.open(encoding="utf-8") as f:
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
    args = ap.parse_args()
    os.environ["HF_HUB_OFFLINE"] = "1"
    from packetlens.embedding import load_embedder
    from packetlens.scorer import PacketScorer

    jsonl, parquet, texts = make_data(args.n)
    results: dict[str, object] = {"date": date.today().isoformat(), "n": args.n, "cores": os.cpu_count()}
    encoder = load_embedder(None, backend="onnx", cache_dir=CACHE, use_vector_cache=False)
    encoder.encode(texts[:64])
    steps = [("encoder", lambda: {"bullets_per_s": round(timed(encoder.encode, texts), 1)})]
    scorer = PacketScorer.from_pretrained(cache_dir=CACHE, vector_cache=False)
    steps.append(("library", lambda: {"bullets_per_s": round(timed(scorer.score, texts), 1)}))
    steps.append(("batch", lambda: batch_command(jsonl)))
    steps.append(("spark", lambda: spark_run(parquet, args.n)))
    for name, step in steps:
        print(f"{name} ...", file=sys.stderr)
        before = load()
        results[name] = {**step(), "load_before": before, "load_after": load()}
        print(f"  {results[name]}", file=sys.stderr)
    results["rows"] = compare(OUT / "batch.jsonl", OUT / "spark.parquet")
    r = results
    r["spark_vs_library"] = round(r["spark"]["bullets_per_s"] / r["library"]["bullets_per_s"], 2)  # type: ignore[index]
    r["batch_vs_encoder"] = round(r["batch"]["bullets_per_s"] / r["encoder"]["bullets_per_s"], 2)  # type: ignore[index]
    (OUT / "results.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    md = markdown(results)
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
        f"Made by `.venv/bin/python benchmarks/spark_batch.py --n {r['n']}` (one run; the machine is shared, "
        "so each step's 1-minute load average before and after is shown).\n\n"
        "| path | bullets/s | ratio | detail | load |\n|---|---|---|---|---|\n"
        f"| bare encoder (OnnxEmbedder, 1 process) | {r['encoder']['bullets_per_s']:.0f} | 1.00 | chunks of {CHUNK} | "
        f"{r['encoder']['load_before']} -> {r['encoder']['load_after']} |\n"
        f"| library (PacketScorer.score, 1 process) | {r['library']['bullets_per_s']:.0f} | "
        f"{r['library']['bullets_per_s'] / r['encoder']['bullets_per_s']:.2f} | chunks of {CHUNK}, no vector cache | "
        f"{r['library']['load_before']} -> {r['library']['load_after']} |\n"
        f"| `packetlens score-batch` (JSONL in, JSONL out) | {r['batch']['bullets_per_s']:.0f} | "
        f"{r['batch_vs_encoder']:.2f} of the encoder | peak RSS {r['batch']['peak_rss_mb']} MB, "
        f"process {r['batch']['process_wall_s']} s | {r['batch']['load_before']} -> {r['batch']['load_after']} |\n"
        f"| Spark local[2], `spark_udf` (Parquet in, Parquet out) | {r['spark']['bullets_per_s']:.0f} | "
        f"{r['spark_vs_library']:.2f} of the library | job {r['spark']['job_s']} s, JVM start "
        f"{r['spark']['session_start_s']} s apart | {r['spark']['load_before']} -> {r['spark']['load_after']} |\n\n"
        f"Rows: {rows['identical']:,} of {n} Spark rows identical to score-batch's "
        f"({rows['different']} different, {rows['only_in_spark']} only in Spark).\n"
    )


if __name__ == "__main__":
    raise SystemExit(main())
