"""Spark: the logged pyfunc as a ``spark_udf`` in local[2] gives every score the library gives.

One SparkSession for the whole test session (starting the JVM costs ~15 s). Skipped only when no
Java runtime is installed (.ci/run installs one).
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

from packetlens.scorer import default_model_dir
from packetlens.table import score_bullets, score_packets, spark_ddl

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
              pytest.mark.filterwarnings("ignore:.*Add type hints to the `predict` method:UserWarning")]
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
N_BULLETS = 2000


@pytest.fixture(scope="session")
def spark():
    if shutil.which("java") is None:
        pytest.skip("no Java runtime on PATH: Spark needs one (Debian: apt-get install openjdk-17-jre-headless)")
    # Spark talks to its JVM and Python workers over loopback; the workers run this interpreter
    os.environ["PACKETLENS_TEST_ALLOW_LOOPBACK"] = "1"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("packetlens-tests")
               .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
               .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
               .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    os.environ.pop("PACKETLENS_TEST_ALLOW_LOOPBACK", None)


@pytest.fixture(scope="session")
def pyfunc_model(tmp_path_factory, cache_dir, onnx_embedder):
    """The shipped model as the pyfunc that training logs, its ONNX export already in ``cache_dir``."""
    from packetlens.tracking import save_pyfunc

    return save_pyfunc(default_model_dir(), tmp_path_factory.mktemp("pyfunc") / "model",
                       model_config={"cache_dir": str(cache_dir)})


@pytest.fixture(scope="session")
def bullets() -> list[str]:
    rows = [json.loads(x)["text"] for x in open(os.path.join(ROOT, "data", "bullets.jsonl"), encoding="utf-8")]
    # real bullets, plus the edge cases a whole organisation's export holds
    return rows[:N_BULLETS - 3] + ["", "word " * 260, rows[0]]


def test_spark_udf_scores_every_bullet_as_the_library(spark, pyfunc_model, bullets, exact_scorer):
    import mlflow

    df = spark.createDataFrame([(i, t) for i, t in enumerate(bullets)], "id long, text string").repartition(4)
    udf = mlflow.pyfunc.spark_udf(spark, str(pyfunc_model), result_type=spark_ddl("bullets"), env_manager="local")
    got = {r["id"]: r.asDict(recursive=True)
           for r in df.select("id", udf("text").alias("s")).select("id", "s.*").collect()}
    want = score_bullets(exact_scorer, bullets)
    assert len(got) == len(bullets)
    # MLflow's spark_udf casts a string field with astype(str), so a null exemplar (below the similarity
    # floor) arrives as the string 'None' (mlflow/pyfunc _convert_struct_values); the library gives None
    assert sum(got[i]["exemplar"] == "None" for i in got) == sum(r["exemplar"] is None for r in want)
    for i, row in enumerate(want):
        g = {k: (None if k == "exemplar" and v == "None" else v) for k, v in got[i].items() if k != "id"}
        assert g == row, f"row {i}: {bullets[i][:60]!r}"


def test_spark_udf_scores_a_dataframe_of_packets(spark, pyfunc_model, exact_scorer):
    import mlflow
    from pyspark.sql import functions as F

    example = open(os.path.join(ROOT, "examples", "packet.md"), encoding="utf-8").read()
    packets = [("example", example), ("short", "- Tuned the reranker.\n- Cut p95 from 480 ms to 210 ms\n"),
               ("prose", "I led the migration. It took a quarter and moved 40 services."), ("empty", "")]
    df = spark.createDataFrame(packets, "packet_id string, packet string")
    udf = mlflow.pyfunc.spark_udf(spark, str(pyfunc_model), result_type=spark_ddl("packets"),
                                  env_manager="local", params={"output": "packets"})
    got = {r["packet_id"]: r.asDict() for r in df.select(udf(F.struct("packet_id", "packet")).alias("s"))
           .select("s.*").collect()}
    want = score_packets(exact_scorer, [p for _, p in packets], [i for i, _ in packets], output="packets")
    assert {w["packet_id"]: w for w in want} == got
    assert got["example"]["n_bullets"] > 3 and got["empty"]["n_bullets"] == 0
