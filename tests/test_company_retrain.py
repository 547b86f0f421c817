"""Retraining on a company's own history, end to end with the real MiniLM (slow).

A company's file has its own columns and verdict values, often strength alone; these tests train
from such files through the CLI, score with the result, and read the MLflow run back.
"""

import csv
import json
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from packetlens.cli import app

pytestmark = pytest.mark.slow
runner = CliRunner()
FAST = {"C_grid": [1.0], "n_folds": 3}
MAP = ["--label-map", "strength:strong=promoted-quality,exceeds", "--label-map", "strength:weak=not"]


def _rows(small_data):
    return [json.loads(x) for x in small_data.read_text().splitlines()]


@pytest.fixture
def acme(small_data, tmp_path):
    """Two columns, `bullet,verdict`, with the company's own values (mixed case and spaces)."""
    p = tmp_path / "acme.csv"
    with p.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["bullet", "verdict"])
        for i, r in enumerate(_rows(small_data)):
            w.writerow([r["text"], ("Promoted-Quality" if i % 2 else " exceeds ") if r["strength"] == "strong" else "NOT"])
    return p


@pytest.fixture
def env(tmp_path, cache_dir, monkeypatch):
    monkeypatch.setenv("PACKETLENS_CACHE_DIR", str(cache_dir))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fast.json").write_text(json.dumps(FAST))
    return tmp_path, f"sqlite:///{tmp_path}/mlruns/mlflow.db"


def _train(data, *extra):
    return runner.invoke(app, ["train", str(data), "--text-col", "bullet", "--label-col", "strength=verdict",
                               *MAP, "--config", "fast.json", *extra])


def test_custom_verdicts_no_base_train_only_strength_and_score_says_the_rest_is_absent(acme, env):
    tmp, uri = env
    r = _train(acme, "--no-base", "--out", "models/acme", "--no-track")
    assert r.exit_code == 0, r.stderr
    assert "strength" in r.stdout and "your rows" in r.stdout
    assert "framing                    not trained" in r.stdout
    config = json.loads((tmp / "models/acme/config.json").read_text())
    assert list(config["heads"]) == ["strength"]
    metrics = json.loads((tmp / "models/acme/metrics.json").read_text())
    assert metrics["strength"]["own_rows"]["n"] == 240
    card = (tmp / "models/acme/README.md").read_text()
    assert "# acme " in card and "Out-of-fold metrics on your rows" in card and "acme.csv" in card
    assert "written for this project" not in card and "not trained" in card

    packet = tmp / "p.md"
    packet.write_text("- Tuned the reranker.\n- Built the eval gate five teams use; review fell from ten days to 40 minutes.\n")
    r = runner.invoke(app, ["score", str(packet), "-m", "models/acme", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    b = doc["bullets"]
    assert b[1]["strength"]["p_strong"] > b[0]["strength"]["p_strong"]
    assert all(x["framing"] is None and set(x["moves"].values()) == {None} for x in b)
    assert set(doc["packet"]["moves_present"].values()) == {None}
    assert not any("housekeeping" in h or "baseline" in h for x in b for h in x["hints"])
    for fmt, absent in (("table", "framing n/a"), ("html", "framing n/a"), ("markdown", "framing n/a")):
        r = runner.invoke(app, ["score", str(packet), "-m", "models/acme", "-f", fmt])
        assert r.exit_code == 0 and absent in r.stdout, fmt


def test_with_base_the_heads_the_file_does_not_label_come_from_the_shipped_rows(acme, small_data, env, monkeypatch):
    import packetlens.training as training

    tmp, _ = env
    shipped = [json.loads(x) for x in (training.Path(training.__file__).parent / "base_data" / "bullets.jsonl")
               .read_text().splitlines() if x.strip()]
    sample = tmp / "shipped_sample.jsonl"  # a sample of the shipped rows keeps this test's embedding short
    sample.write_text("".join(json.dumps(r) + "\n" for r in shipped[::15]))
    monkeypatch.setattr(training, "base_files", lambda: ((sample,), ()))
    r = _train(acme, "--base", "--out", "models/acme", "--no-track")
    assert r.exit_code == 0, r.stderr
    assert "all rows" in r.stdout and "your rows carry no framing label: trained on the shipped rows" in r.stdout
    metrics = json.loads((tmp / "models/acme/metrics.json").read_text())
    n_shipped = len(shipped[::15])
    assert metrics["strength"]["n"] == n_shipped + 240 and metrics["strength"]["own_rows"]["n"] == 240
    assert metrics["framing"]["n"] == sum(r.get("framing") is not None for r in shipped[::15])
    assert "own_rows" not in metrics["framing"]  # no company row carries framing
    assert set(json.loads((tmp / "models/acme/config.json").read_text())["heads"]) == {
        "strength", "framing", "quantified_counterfactual", "second_order_leverage", "difficulty_named",
        "uncertainty_bounded"}
    card = (tmp / "models/acme/README.md").read_text()
    assert "240 of yours and" in card and "on all rows (yours and the shipped ones)" in card


def test_numeric_ratings_with_a_threshold(small_data, env):
    tmp, _ = env
    p = tmp / "ratings.csv"
    with p.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["bullet", "rating"])
        for i, r in enumerate(_rows(small_data)):
            w.writerow([r["text"], (4 + i % 2) if r["strength"] == "strong" else (1 + i % 3)])
    r = runner.invoke(app, ["train", str(p), "--text-col", "bullet", "--label-col", "strength=rating", "--no-base",
                            "--out", "models/r", "--no-track", "--config", "fast.json"])
    assert r.exit_code == 2 and "--label-threshold strength=" in r.stderr  # the fix is named
    r = runner.invoke(app, ["train", str(p), "--text-col", "bullet", "--label-col", "strength=rating", "--no-base",
                            "--label-threshold", "strength=3.5", "--out", "models/r", "--no-track", "--config", "fast.json"])
    assert r.exit_code == 0, r.stderr
    strong = sum(x["strength"] == "strong" for x in _rows(small_data))
    card = (tmp / "models/r/README.md").read_text()
    assert f"'strong': {strong}" in card
    r = runner.invoke(app, ["evaluate", str(p), "-m", "models/r", "--text-col", "bullet", "--label-col",
                            "strength=rating", "--label-threshold", "strength=3.5", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["heads"]["strength"]["n"] == 240


def test_mlflow_run_reads_back_and_an_identical_retrain_adds_no_version(acme, env):
    from mlflow import MlflowClient

    tmp, uri = env
    r = _train(acme, "--no-base", "--out", "models/acme", "--tracking-uri", uri, "--register", "acme")
    assert r.exit_code == 0, r.stderr
    assert "registered acme v1" in r.stdout
    client = MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("packetlens")
    (run,) = client.search_runs([exp.experiment_id])
    assert run.info.status == "FINISHED" and run.info.run_name.startswith("acme ")
    params = run.data.params
    assert params["files"].endswith("acme.csv") and params["base"] == "False"
    assert "promoted-quality" in params["label_map"] and params["label_col"] == "strength=verdict"
    assert params["C_grid"] == "[1.0]" and params["heads"] == "strength"
    inputs = run.inputs.dataset_inputs
    assert inputs and inputs[0].dataset.digest == run.data.tags["training_data_sha256"][:32]
    assert inputs[0].dataset.name == "acme.csv"
    assert "own.strength.macro_f1" in run.data.metrics
    plots = {a.path for a in client.list_artifacts(run.info.run_id, "plots")}
    assert plots == {f"plots/{h}.png" for h in ("strength", "framing", "quantified_counterfactual",
                                                "second_order_leverage", "difficulty_named", "uncertainty_bounded")}
    import mlflow

    mlflow.set_tracking_uri(uri)
    assert mlflow.models.get_model_info("models:/acme/1").signature is not None

    r = _train(acme, "--no-base", "--out", "models/acme", "--tracking-uri", uri, "--register", "acme")
    assert r.exit_code == 0, r.stderr
    assert "kept acme v1: unchanged" in r.stdout
    assert [str(v.version) for v in client.search_model_versions("name = 'acme'")] == ["1"]

    # a registered model feels local: score/info/evaluate resolve once and reuse the copy
    packet = tmp / "p.md"
    packet.write_text("- Tuned the reranker.\n")
    r = runner.invoke(app, ["score", str(packet), "-m", "models:/acme@champion", "--tracking-uri", uri, "-f", "json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["model"]["name"] == "acme" and json.loads(r.stdout)["model"]["version"] == "1"
    import subprocess
    import sys

    code = ("import os, sys; from pathlib import Path; from packetlens.scorer import PacketScorer; "
            f"s = PacketScorer.from_pretrained('models:/acme@champion', tracking_uri={uri!r}, "
            "cache_dir=Path(os.environ['PACKETLENS_CACHE_DIR'])); "
            "s.score(['Tuned the reranker.']); assert 'mlflow' not in sys.modules, 'mlflow imported'; print(s.info.version)")
    import os
    from pathlib import Path

    import packetlens

    src = str(Path(packetlens.__file__).resolve().parents[1])  # this checkout's code, not an installed copy
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": src})
    assert p.returncode == 0 and p.stdout.strip() == "1", p.stderr[-2000:]  # the warm copy: no mlflow import
    import packetlens.tracking as tracking

    def no_download(*a, **k):
        raise AssertionError("the local copy should have been reused")

    orig = tracking.download_model
    tracking.download_model = no_download
    try:
        r = runner.invoke(app, ["info", "-m", "models:/acme@champion", "--tracking-uri", uri])
        assert r.exit_code == 0, r.stderr
        assert "registered model acme version 1 (alias champion)" in r.stdout and "# acme " in r.stdout
        r = runner.invoke(app, ["evaluate", str(acme), "-m", "models:/acme@champion", "--tracking-uri", uri,
                                "--text-col", "bullet", "--label-col", "strength=verdict", *MAP, "-f", "json"])
        assert r.exit_code == 0, r.stderr
    finally:
        tracking.download_model = orig


def test_a_failing_training_leaves_a_failed_run(small_data, env):
    from mlflow import MlflowClient

    tmp, uri = env
    bad = tmp / "few.csv"
    bad.write_text("bullet,verdict\n" + "".join(f"Tuned knob {i},not\n" for i in range(20))
                   + "".join(f"Built gate {i}; review fell from 10 days to 40 minutes,exceeds\n" for i in range(3)))
    r = _train(bad, "--no-base", "--out", "models/x", "--tracking-uri", uri)
    assert r.exit_code == 2 and "strength=strong has 3 labeled row(s)" in r.stderr
    assert "--base" in r.stderr  # train has the option, so it is offered
    client = MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("packetlens").experiment_id])
    assert run.info.status == "FAILED" and "strength=strong has 3" in run.data.tags["error"]
    # audit has no --base: its refusal does not offer one
    r = runner.invoke(app, ["audit", str(bad), "--text-col", "bullet", "--label-col", "strength=verdict", *MAP])
    assert r.exit_code == 2 and "strength=strong has 3" in r.stderr and "--base" not in r.stderr


def test_no_cache_writes_no_vector_anywhere(acme, env, cache_dir, onnx_embedder, monkeypatch):
    tmp, _ = env
    home = tmp / "home"
    fresh = tmp / "cache"
    shutil.copytree(cache_dir / "onnx", fresh / "onnx")  # the export holds no text; copied to save a re-export
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(tmp / "tmp"))
    (tmp / "tmp").mkdir()
    monkeypatch.setenv("PACKETLENS_CACHE_DIR", str(fresh))
    text = "Cut the nightly eval from 9 hours to 40 minutes; four teams now gate releases on it."
    packet = tmp / "p.md"
    packet.write_text(f"- {text}\n")
    r = runner.invoke(app, ["score", str(packet), "--no-cache", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    r = _train(acme, "--no-base", "--out", "models/acme", "--no-track", "--no-cache")
    assert r.exit_code == 0, r.stderr
    needles = [v.astype(np.float32).tobytes()[:64] for v in onnx_embedder.encode([text, "Tuned the reranker."])]
    rows = [x for x in csv.reader(acme.open())][1:]
    weak = next(t for t, v in rows if v.strip().lower() == "not")  # a weak row: not in the exemplar bank
    needles.append(onnx_embedder.encode([weak])[0].astype(np.float32).tobytes()[:64])
    model_dir = tmp / "models" / "acme"
    for f in tmp.rglob("*"):
        if f.is_file() and model_dir not in f.parents:
            data = f.read_bytes()
            assert not any(n in data for n in needles), f
    assert not list(tmp.rglob("vectors.sqlite")) and not (home / ".cache").exists()
