"""The tracking store: checked before any work, initialised safely by concurrent runs; no network."""

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

import packetlens
from conftest import free_port
from packetlens.cli import app
from packetlens.errors import TrackingError
from packetlens.tracking import check_store

runner = CliRunner()
SRC = str(Path(packetlens.__file__).parents[1])  # the packetlens under test, in child processes too


@pytest.mark.parametrize("make_uri, expect", [
    (lambda d: "foo://bar", "not a tracking store MLflow knows"),
    (lambda d: f"sqlite:///{d}", "is a directory, not an SQLite file"),
    (lambda d: f"sqlite:///{d / 'notes.txt'}", "is not an SQLite database"),
    (lambda d: str(d), "MLflow no longer opens a directory as a tracking store"),
    (lambda d: f"file://{d}/runs", "use --tracking-uri sqlite:///"),
    (lambda d: f"http://127.0.0.1:{free_port()}", "no tracking server answered within"),
])
def test_a_bad_store_fails_before_any_training(small_data, tmp_path, monkeypatch, make_uri, expect):
    monkeypatch.setenv("PACKETLENS_TEST_ALLOW_LOOPBACK", "1")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a database")
    r = runner.invoke(app, ["train", str(small_data), "--no-base", "--out", "models/m",
                            "--tracking-uri", make_uri(tmp_path)])
    assert r.exit_code == 2 and expect in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not (tmp_path / "models").exists()  # nothing trained, nothing written
    assert (tmp_path / "notes.txt").read_text() == "not a database"


def test_an_unanswering_server_is_given_a_short_timeout(monkeypatch):
    """A server that accepts connections and never answers costs the timeout, not MLflow's retries."""
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    monkeypatch.setenv("PACKETLENS_TEST_ALLOW_LOOPBACK", "1")
    try:
        with pytest.raises(TrackingError, match=r"no tracking server answered within 0\.5 s"):
            check_store(f"http://127.0.0.1:{server.getsockname()[1]}", timeout=0.5)
    finally:
        server.close()


def test_good_stores_pass_the_check(tmp_path):
    check_store(f"sqlite:///{tmp_path}/new/mlflow.db")  # not there yet: created on first use
    check_store("postgresql://user@db.example/mlflow")  # not reachable here; MLflow checks it itself


def test_a_directory_store_is_checked_when_mlflow_is_told_to_allow_it(tmp_path, monkeypatch):
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    check_store(str(tmp_path / "filestore"))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(TrackingError, match="is a file, not a directory store"):
        check_store(str(tmp_path / "notes.txt"))
    check_store("postgresql://user@db.example/mlflow")  # not reachable here; MLflow checks it itself


@pytest.mark.slow
def test_runs_opening_a_fresh_store_at_once_all_succeed(tmp_path):
    """Four processes open a new SQLite store together: before the lock, three failed with
    "table ... already exists" from MLflow's table creation, after their training was done."""
    uri = f"sqlite:///{tmp_path}/store/mlflow.db"
    code = textwrap.dedent(f"""
        from packetlens import tracking
        mlflow = tracking._mlflow({uri!r})
        exp = tracking._experiment_id(mlflow, "packetlens", {uri!r})
        with mlflow.start_run(experiment_id=exp):
            mlflow.log_param("a", 1)
        print(exp)
    """)
    env = {**os.environ, "PYTHONPATH": SRC}
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(4)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 4, [o[1][-500:] for o in outs]
    assert len({o[0].strip() for o in outs}) == 1  # one experiment, not four


# Every socket use of the child is recorded and refused; the conftest guard lives in this process only.
_RECORDER = """
import os, socket, sys, json
for k in list(os.environ):
    if k.startswith(("HF_", "MLFLOW_", "TRANSFORMERS_")) or k == "DO_NOT_TRACK":
        del os.environ[k]
calls = []
def _refuse(what):
    def f(*a, **k):
        calls.append([what, str(a[1] if what == "connect" else a[0])[:80]])
        raise OSError("network refused by the test")
    return f
_connect = socket.socket.connect
def connect(self, address):
    if self.family == socket.AF_UNIX:
        return _connect(self, address)
    return _refuse("connect")(self, address)
socket.socket.connect = connect
socket.getaddrinfo = _refuse("getaddrinfo")
socket.gethostbyname = _refuse("gethostbyname")
import atexit
atexit.register(lambda: print("CALLS " + json.dumps(calls), flush=True))
"""


@pytest.mark.slow
def test_reading_data_embedding_and_tracking_reach_no_network(small_data, tmp_path, cache_dir):
    """datasets resolved s3.amazonaws.com and MLflow config.mlflow-telemetry.io on every run."""
    code = _RECORDER + textwrap.dedent(f"""
        from pathlib import Path
        from packetlens.data import load_labeled
        from packetlens.embedding import load_embedder
        from packetlens import tracking
        ds = load_labeled([Path({str(small_data)!r})])
        emb = load_embedder(None, backend="onnx", cache_dir=Path({str(cache_dir)!r}))
        assert emb.encode(ds.texts[:3]).shape == (3, 384)
        uri = "sqlite:///{tmp_path}/mlruns/mlflow.db"
        mlflow = tracking._mlflow(uri)
        with mlflow.start_run(experiment_id=tracking._experiment_id(mlflow, "net", uri)):
            mlflow.log_metric("x", 1.0)
        import time; time.sleep(1)  # telemetry is sent from a background thread
    """)
    env = {**os.environ, "PYTHONPATH": SRC}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "CALLS []"
