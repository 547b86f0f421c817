"""`packetlens train`, `evaluate` and `audit` end to end on a small real file (slow: real MiniLM)."""

import csv
import json

import pytest
from typer.testing import CliRunner

from packetlens.cli import app

pytestmark = pytest.mark.slow
runner = CliRunner()


@pytest.fixture
def company_csv(small_data, tmp_path):
    """The small sample as a company would have it: other column names, strength only."""
    rows = [json.loads(x) for x in small_data.read_text().splitlines()]
    p = tmp_path / "acme.csv"
    with p.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["bullet", "verdict", "role"])
        for r in rows:
            w.writerow([r["text"], r["strength"].upper(), r["role"]])
    return p


def test_train_no_base_with_column_mapping_then_evaluate_and_log(company_csv, tmp_path, cache_dir, monkeypatch):
    monkeypatch.setenv("PACKETLENS_CACHE_DIR", str(cache_dir))
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["train", str(company_csv), "--no-base", "--text-col", "bullet",
                            "--label-col", "strength=verdict", "--out", "models/acme", "--no-track"])
    # a strength-only file trains the strength head alone; the card and output say what is absent
    assert r.exit_code == 0, r.stderr
    assert "framing                    not trained: no row carries a framing label" in r.stdout
    assert "framing" not in json.loads((tmp_path / "models" / "acme" / "config.json").read_text())["heads"]


def test_train_evaluate_audit(small_data, tmp_path, cache_dir, monkeypatch):
    monkeypatch.setenv("PACKETLENS_CACHE_DIR", str(cache_dir))
    monkeypatch.chdir(tmp_path)
    cfg = tmp_path / "fast.json"
    cfg.write_text(json.dumps({"C_grid": [1.0], "n_folds": 3}))
    r = runner.invoke(app, ["train", str(small_data), "--no-base", "--config", str(cfg), "--out", "models/m",
                            "--tracking-uri", f"sqlite:///{tmp_path}/mlruns/mlflow.db", "--register", "acme"])
    assert r.exit_code == 0, r.stderr
    assert "strength" in r.stdout and "registered acme v1" in r.stdout
    assert (tmp_path / "models" / "m" / "config.json").is_file()
    r = runner.invoke(app, ["evaluate", str(small_data), "--model", "models/m", "--format", "json", "--log",
                            "--tracking-uri", f"sqlite:///{tmp_path}/mlruns/mlflow.db"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    s = doc["heads"]["strength"]
    assert s["n"] == 240 and 0 <= s["macro_f1_ci95"][0] <= s["macro_f1"] <= s["macro_f1_ci95"][1] <= 1
    assert {"role", "work_type", "tricky", "length"} <= set(doc["slices"])
    assert "logged evaluation run" in r.stderr
    r = runner.invoke(app, ["audit", str(small_data), "-o", "flags.csv"])
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader((tmp_path / "flags.csv").open()))
    assert rows and rows[0]["rank"] == "1" and {"id", "given", "suggested", "p_given", "text"} <= set(rows[0])


def test_train_refuses_bad_data_and_keeps_the_previous_model(small_data, tmp_path, cache_dir, monkeypatch):
    monkeypatch.setenv("PACKETLENS_CACHE_DIR", str(cache_dir))
    monkeypatch.chdir(tmp_path)
    import shutil

    from packetlens.scorer import default_model_dir

    shutil.copytree(default_model_dir(), tmp_path / "models" / "m")  # a previous model, marked
    (tmp_path / "models" / "m" / "marker").write_text("previous model")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(small_data.read_text() + '{"text": "", "strength": "weak"}\n')
    r = runner.invoke(app, ["train", str(bad), "--no-base", "--out", "models/m", "--no-track"])
    assert r.exit_code == 2 and "line 241: empty text" in r.stderr
    assert (tmp_path / "models" / "m" / "marker").read_text() == "previous model"
    r = runner.invoke(app, ["train", str(small_data), "--no-base", "--out", "models/m",
                            "--tracking-uri", "sqlite:////proc/nope/mlflow.db"])
    assert r.exit_code == 2 and "not writable" in r.stderr
    assert (tmp_path / "models" / "m" / "marker").read_text() == "previous model"


def test_train_takes_its_store_from_pyproject_settings(small_data, tmp_path, monkeypatch):
    """[tool.packetlens] tracking_uri reaches `train` too, not only `score` (checked before any work)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.packetlens]\ntracking_uri = "sqlite:////proc/nope/mlflow.db"\n')
    r = runner.invoke(app, ["train", str(small_data), "--no-base", "--out", "models/m"])
    assert r.exit_code == 2 and "/proc/nope/mlflow.db: the tracking store is not writable" in r.stderr
    assert not (tmp_path / "models").exists()
