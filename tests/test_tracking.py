"""MLflow: a logged run, the registry gate, and `mlflow models serve` answering real requests."""

import json
import os
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import free_port
from packetlens.training import TrainConfig, train

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    d = tmp_path_factory.mktemp("mlruns")
    return d, f"sqlite:///{d}/mlflow.db"


@pytest.fixture(scope="module")
def real_result(small_data, cache_dir, tmp_path_factory, onnx_embedder):
    cfg = TrainConfig(name="t", version="1", C_grid=(1.0,), n_folds=3)
    return train([small_data], out=tmp_path_factory.mktemp("m") / "model", config=cfg, embedder=onnx_embedder)


def test_log_register_and_gate(real_result, store, cache_dir, small_data, onnx_embedder, tmp_path):
    from mlflow import MlflowClient

    from packetlens.tracking import log_training

    d, uri = store
    first = log_training(real_result, tracking_uri=uri, experiment="t", register="pl")
    assert first.version == "1" and first.champion
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(first.run_id)
    assert run.data.tags["training_data_sha256"] == real_result.data_hash
    assert "strength.macro_f1" in run.data.metrics and "own.strength.macro_f1" in run.data.metrics
    arts = {a.path for a in client.list_artifacts(first.run_id)}
    assert {"plots", "model_dir"} <= arts
    assert len(client.list_artifacts(first.run_id, "plots")) == 6
    # the same model again: no new version, the registered one is reused
    second = log_training(real_result, tracking_uri=uri, experiment="t", register="pl")
    assert second.reused and second.version == "1" and "unchanged" in second.gate
    # another model goes through the gate, judged on the user's rows and on all rows
    other = train([small_data], out=tmp_path / "other", embedder=onnx_embedder,
                  config=TrainConfig(name="t", version="2", C_grid=(0.05,), n_folds=3))
    third = log_training(other, tracking_uri=uri, experiment="t", register="pl")
    assert third.version == "2" and not third.reused and "on your 240 rows" in third.gate
    expected = "1" if not third.champion else "2"
    assert str(client.get_model_version_by_alias("pl", "champion").version) == expected
    if not third.champion:
        assert "champion stays" in third.gate
    assert not list(d.rglob("*.pkl")) and not list(d.rglob("python_model.pkl"))


def test_models_uri_loads_in_the_scorer(store, real_result, cache_dir):
    from packetlens.scorer import PacketScorer

    _, uri = store
    scorer = PacketScorer.from_pretrained("models:/pl@champion", tracking_uri=uri, cache_dir=cache_dir)
    assert scorer.model.extra["training_data_sha256"] == real_result.data_hash


def test_mlflow_models_serve_scores_bullets(store, monkeypatch, cache_dir, real_result):
    from packetlens.tracking import log_training

    d, uri = store
    log_training(real_result, tracking_uri=uri, experiment="serve", register="pl-serve")
    monkeypatch.setenv("PACKETLENS_TEST_ALLOW_LOOPBACK", "1")
    port = free_port()
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""), "MLFLOW_TRACKING_URI": uri, "HF_HUB_OFFLINE": "1", "HOME": str(cache_dir.parent)}
    mlflow_bin = os.path.join(os.path.dirname(sys.executable), "mlflow")
    proc = subprocess.Popen([mlflow_bin, "models", "serve", "-m", "models:/pl-serve@champion", "--env-manager", "local",
                             "-h", "127.0.0.1", "-p", str(port), "-w", "1"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        body = json.dumps({"dataframe_records": [{"text": "Tuned the reranker."},
                                                 {"text": "Built the eval gate five teams use; review fell from ten days to 40 minutes."}]}).encode()
        deadline = time.monotonic() + 180  # bounded: the server either answers or the test fails
        last = None
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"mlflow models serve exited: {proc.stderr.read().decode()[-2000:]}")
            try:
                req = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body,
                                             headers={"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=30) as r:
                    out = json.loads(r.read())
                break
            except OSError as e:
                last = e
                time.sleep(1)
        else:
            pytest.fail(f"server did not answer: {last}")
        preds = out["predictions"]
        assert len(preds) == 2
        assert {"strength", "p_strong", "framing", "p_quantified_counterfactual", "exemplar"} <= set(preds[0])
        assert preds[1]["p_strong"] > preds[0]["p_strong"]
        assert isinstance(preds[0]["hints"], list)
        # the packet endpoint: packets in, one row per bullet carrying its packet id
        body = json.dumps({"dataframe_records": [{"packet_id": "p1", "packet": "# Impact\n- Tuned the reranker.\n- Cut p95 from 480 to 210 ms.\n"}]}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            rows = json.loads(r.read())["predictions"]
        assert [(r["packet_id"], r["line"], r["section"]) for r in rows] == [("p1", 2, "Impact"), ("p1", 3, "Impact")]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
