"""The model directory: what loading refuses, what saving will not replace, and a save killed mid-swap."""

import json
import os
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import HashingEmbedder, dead_pid
from packetlens.artifact import load_model, save_model
from packetlens.cli import app
from packetlens.errors import ModelArtifactError
from packetlens.scorer import PacketScorer, default_model_dir
from packetlens.training import TrainConfig, train

FAST = TrainConfig(name="test", version="1", C_grid=(1.0,), n_folds=3)
runner = CliRunner()


@pytest.fixture
def model_copy(tmp_path):
    """A writable copy of the shipped model."""
    return shutil.copytree(default_model_dir(), tmp_path / "model")


# --- train --out never replaces what is not a model (#1) ---------------------------------------

@pytest.mark.parametrize("kind", ["file", "dir"])
def test_train_refuses_an_out_that_is_not_a_model(small_data, tmp_path, kind):
    target = tmp_path / "precious"
    if kind == "file":
        target.write_text("my notes")
    else:
        target.mkdir()
        (target / "thesis.tex").write_text("years of work")
    emb = HashingEmbedder()
    with pytest.raises(ModelArtifactError, match="precious: is a (file|directory that holds no packetlens model)"):
        train([small_data], out=target, config=FAST, embedder=emb)
    assert emb.calls == 0  # refused before any work
    if kind == "file":
        assert target.read_text() == "my notes"
    else:
        assert (target / "thesis.tex").read_text() == "years of work"


def test_cli_train_refuses_a_file_as_out(small_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("keep me")
    r = runner.invoke(app, ["train", str(small_data), "--no-base", "--no-track", "--out", "notes.txt"])
    assert r.exit_code == 2 and "notes.txt: is a file" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_a_model_and_an_empty_directory_may_be_replaced(small_data, tmp_path, model_copy):
    (tmp_path / "empty").mkdir()
    for out in (model_copy, tmp_path / "empty"):
        result = train([small_data], out=out, config=FAST, embedder=HashingEmbedder())
        assert load_model(result.model_dir).embedding.name == "test/hashing"


# --- damaged model directories (#7) ---------------------------------------------------------------

def _edit_config(d, fn):
    cfg = json.loads((d / "config.json").read_text())
    fn(cfg)
    (d / "config.json").write_text(json.dumps(cfg))


def _edit_arrays(d, fn):
    with np.load(d / "heads.npz") as z:
        arrays = {k: z[k] for k in z.files}
    fn(arrays)
    np.savez(d / "heads.npz", **arrays)


DAMAGES = {
    "truncated heads.npz": lambda d: (d / "heads.npz").write_bytes((d / "heads.npz").read_bytes()[:5000]),
    "config without name": lambda d: _edit_config(d, lambda c: c.pop("name")),
    "config without features": lambda d: _edit_config(d, lambda c: c.pop("features")),
    "config is a list": lambda d: (d / "config.json").write_text("[1, 2]"),
    "unknown head": lambda d: _edit_config(d, lambda c: c["heads"].update(bogus={})),
    "inverted abstain band": lambda d: _edit_config(d, lambda c: c.update(abstain_band=[0.9, 0.1])),
    "short idf": lambda d: _edit_arrays(d, lambda a: a.update({"tfidf.idf": a["tfidf.idf"][:-3]})),
    "NaN weights": lambda d: _edit_arrays(d, lambda a: a["strength.coef_emb"].__setitem__(0, np.nan)),
    "infinite calibration": lambda d: _edit_arrays(d, lambda a: a["framing.scalars"].__setitem__(1, np.inf)),
    "weights of another width": lambda d: _edit_arrays(d, lambda a: a.update({"strength.coef_emb": np.zeros(7)})),
    "non-UTF-8 README": lambda d: (d / "README.md").write_bytes(b"# caf\xe9\n"),
    "exemplar vectors with NaN": lambda d: np.save(d / "exemplar_vectors.npy",
                                                   np.full(np.load(d / "exemplar_vectors.npy").shape, np.nan, np.float32)),
    "exemplar line not an object": lambda d: (d / "exemplars.jsonl").write_text("[1]\n"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_every_damage_is_a_model_artifact_error(model_copy, damage):
    DAMAGES[damage](model_copy)
    with pytest.raises(ModelArtifactError, match=str(model_copy)):
        load_model(model_copy)


@pytest.mark.parametrize("damage", ["truncated heads.npz", "config without name", "NaN weights", "non-UTF-8 README"])
def test_damaged_models_exit_2_with_one_line(model_copy, damage, cache_dir, monkeypatch):
    monkeypatch.setenv("PACKETLENS_CACHE_DIR", str(cache_dir))
    DAMAGES[damage](model_copy)
    for args in (["info", "--model", str(model_copy)],
                 ["score", "-", "--model", str(model_copy), "--format", "json"]):
        r = runner.invoke(app, args, input="- Tuned the reranker.\n")
        assert r.exit_code == 2, (args, r.stderr)
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_info_does_not_follow_a_link_out_of_the_model(model_copy, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2")
    (model_copy / "README.md").unlink()
    (model_copy / "README.md").symlink_to(secret)
    r = runner.invoke(app, ["info", "--model", str(model_copy)])
    assert r.exit_code == 2 and "hunter2" not in r.stdout and "link out of the model directory" in r.stderr


def test_the_shipped_model_still_loads_and_scores_identically(default_scorer):
    """The checks above refuse nothing the shipped model holds, and change none of its numbers."""
    m = load_model(default_model_dir())
    assert set(m.heads) == set(default_scorer.model.heads) and m.abstain_band == (0.35, 0.65)
    with np.load(default_model_dir() / "heads.npz") as z:
        for name, head in m.heads.items():
            np.testing.assert_array_equal(head.coef_emb, z[f"{name}.coef_emb"])
            assert head.intercept == float(z[f"{name}.scalars"][0])


# --- the save: mode, leftovers, a kill between the two renames (#9, #12) ---------------------------

def test_a_saved_model_directory_gets_the_umask_mode_not_0700(model_copy, tmp_path):
    old = os.umask(0o022)
    try:
        out = save_model(load_model(model_copy), tmp_path / "saved")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o755


def test_a_save_killed_between_its_two_renames_loses_nothing(model_copy):
    """The first rename moves the old model aside; a SIGKILL before the second used to leave no model."""
    before = (model_copy / "heads.npz").read_bytes()
    code = textwrap.dedent(f"""
        import os, signal
        from packetlens import artifact
        model = artifact.load_model({str(model_copy)!r})
        real = os.replace
        calls = []
        def replace(a, b):
            calls.append(a)
            if len(calls) == 2:  # the new model is about to move into place
                os.kill(os.getpid(), signal.SIGKILL)
            return real(a, b)
        artifact.os.replace = replace
        artifact.save_model(model, {str(model_copy)!r})
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert not model_copy.exists()  # the state the kill left: the model is aside, not in place
    assert len(list(model_copy.parent.glob(".model.*"))) == 2  # the old one, and the new temp one
    restored = load_model(model_copy)  # finds the previous model and puts it back
    assert restored.name and (model_copy / "heads.npz").read_bytes() == before
    assert not list(model_copy.parent.glob(".model.*"))  # the dead process's leftovers are gone


def test_a_model_left_aside_by_an_older_packetlens_is_restored(model_copy):
    """Before this fix the old model was kept in .NAME.old-RANDOM/model, with no PID in the name."""
    aside = model_copy.parent / ".model.old-k2j4h1x9"
    aside.mkdir()
    model_copy.rename(aside / "model")
    assert load_model(model_copy).name and not (aside / "model").exists()


def test_save_removes_stale_temp_dirs_of_dead_processes_only(model_copy):
    pid = dead_pid()
    stale = model_copy.parent / f".model.tmp-{pid}-0123abcd"
    live = model_copy.parent / f".model.tmp-{os.getppid()}-0123abcd"  # a running process's
    for d in (stale, live):
        d.mkdir()
        (d / "heads.npz").write_bytes(b"partial")
    save_model(load_model(model_copy), model_copy)
    assert not stale.exists() and live.exists()


def test_round_trip_after_a_save_scores_identically(model_copy, tmp_path):
    m = load_model(model_copy)
    copy = load_model(save_model(m, tmp_path / "again"))
    emb = HashingEmbedder(m.embedding.dimension)
    emb.identity = m.embedding
    texts = ["Tuned the reranker.", "Cut p95 latency from 480 ms to 210 ms for 2M daily requests."]
    assert [b.to_dict() for b in PacketScorer(m, emb).score(texts)] == \
        [b.to_dict() for b in PacketScorer(copy, emb).score(texts)]
