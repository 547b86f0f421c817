import json

import pytest
from typer.testing import CliRunner

from packetlens.cli import app

runner = CliRunner()
PACKET = """# Impact
- Tuned the reranker.
- Built the regression-eval gate that replaced a ten-day manual review of model changes with a 45-minute CI
  check; five teams now gate their launches on it, and rollbacks fell from 3 a quarter to 0.
- Merged 140 PRs.
- Skipped one
<!-- packetlens: ignore -->
"""


@pytest.fixture
def env(cache_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("PACKETLENS_CACHE_DIR", str(cache_dir))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(*args, input=None):  # noqa: A002
    return runner.invoke(app, list(args), input=input)


def test_help_and_version():
    r = invoke("--help")
    assert r.exit_code == 0 and "score" in r.stdout and "train" in r.stdout
    r = invoke("--version")
    assert r.exit_code == 0 and r.stdout.startswith("packetlens ")


@pytest.mark.parametrize("cmd", ["score", "score-batch", "train", "evaluate", "audit", "info"])
def test_every_command_has_help(cmd):
    r = invoke(cmd, "--help")
    assert r.exit_code == 0 and len(r.stdout) > 100


def test_score_json_matches_the_design_schema(env):
    (env / "p.md").write_text(PACKET)
    r = invoke("score", "p.md", "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert set(doc) == {"model", "packet", "bullets"}
    assert set(doc["packet"]) >= {"path", "score", "n_bullets", "n_weak", "moves_present", "summary"}
    assert doc["packet"]["n_bullets"] == 3
    b = doc["bullets"][0]
    assert set(b) >= {"index", "line", "text", "strength", "framing", "moves", "exemplar", "hints"}
    assert b["line"] == 2 and b["text"] == "Tuned the reranker."
    assert b["strength"]["label"] == "weak" and 0 <= b["strength"]["p_strong"] <= 1
    assert set(b["moves"]) == {"quantified_counterfactual", "second_order_leverage", "difficulty_named",
                               "uncertainty_bounded"}
    assert doc["bullets"][1]["strength"]["label"] == "strong"
    assert doc["bullets"][1]["strength"]["p_strong"] > doc["bullets"][0]["strength"]["p_strong"]


def test_jsonl_markdown_html_and_stdin(env):
    r = invoke("score", "-", "--format", "jsonl", input=PACKET)
    assert r.exit_code == 0 and len(r.stdout.strip().splitlines()) == 3
    r = invoke("score", "-", "--format", "markdown", input=PACKET)
    assert r.exit_code == 0 and "| line | verdict |" in r.stdout
    r = invoke("score", "-", "--format", "html", input=PACKET)
    assert r.exit_code == 0 and r.stdout.startswith("<!doctype html>") and "http" not in r.stdout.split("<body>")[0]


def test_table_output_keeps_full_text(env):
    long = "- " + " ".join(["Rebuilt the nightly ranking-feature backfill"] * 6) + " end-marker-here\n"
    r = invoke("score", "-", input=long)
    assert r.exit_code == 0 and "end-marker-here" in r.stdout


def test_fail_under_exits_1(env):
    (env / "p.md").write_text("- Tuned the reranker.\n- Helped with on-call.\n")
    r = invoke("score", "p.md", "--fail-under", "90", "--format", "json")
    assert r.exit_code == 1 and "under --fail-under 90" in r.stderr
    assert invoke("score", "p.md", "--fail-under", "0", "--format", "json").exit_code == 0


def test_pyproject_settings_are_read(env, cache_dir, monkeypatch):
    monkeypatch.delenv("PACKETLENS_CACHE_DIR")
    (env / "pyproject.toml").write_text(
        f"[tool.packetlens]\nformat = \"jsonl\"\nfail_under = 99\ncache_dir = \"{cache_dir}\"\n")
    (env / "p.md").write_text("- Tuned the reranker for the settings test.\n")
    from packetlens.embedding import VectorCache, embedding_identity, resolve_embedding

    identity = embedding_identity(resolve_embedding(None), cache_dir)
    cache = VectorCache(cache_dir / "vectors.sqlite")
    assert not cache.get_many(identity, ["Tuned the reranker for the settings test."])
    r = invoke("score", "p.md")
    assert r.exit_code == 1 and json.loads(r.stdout.splitlines()[0])["text"] == "Tuned the reranker for the settings test."
    assert cache.get_many(identity, ["Tuned the reranker for the settings test."])  # the configured cache was used


def test_empty_file_says_no_bullets(env):
    (env / "e.md").write_text("")
    r = invoke("score", "e.md")
    assert r.exit_code == 0 and "no bullets found" in r.stderr


@pytest.mark.parametrize("make, expect", [
    ("missing", "no such file"),
    ("dir", "is a directory"),
    ("binary", "looks binary"),
    ("latin1", "line 2: not UTF-8"),
    ("huge", "too large"),
])
def test_bad_input_exits_2_with_one_line(env, make, expect):
    p = env / "in.md"
    if make == "dir":
        p.mkdir()
    elif make == "binary":
        p.write_bytes(b"\x00\x01\x02PNG")
    elif make == "latin1":
        p.write_bytes(b"- ok\n- caf\xe9\n")
    elif make == "huge":
        p.write_bytes(b"- x\n" * (3 * 1024 * 1024))
    r = invoke("score", str(p))
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(p) in lines[0] and expect in lines[0]


def test_long_bullet_is_truncated_with_a_warning(env):
    (env / "p.md").write_text("- " + "word " * 3000 + "\n")
    r = invoke("score", "p.md", "--format", "json")
    assert r.exit_code == 0 and "longer than 200 words" in r.stderr


def test_bad_model_dir_exits_2(env):
    (env / "m").mkdir()
    (env / "m" / "config.json").write_text("{not json")
    for f in ("heads.npz", "vocabulary.json", "exemplars.jsonl", "exemplar_vectors.npy"):
        (env / "m" / f).write_text("x")
    r = invoke("score", "-", "--model", "m", input="- x y z\n")
    assert r.exit_code == 2 and "corrupt model directory" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_info_prints_the_model_card():
    r = invoke("info")
    assert r.exit_code == 0 and "Out-of-fold metrics" in r.stdout


def test_importing_packetlens_and_the_cli_stays_light():
    import subprocess
    import sys

    code = ("import sys, packetlens, packetlens.cli; "
            "heavy = [m for m in ('torch', 'transformers', 'sentence_transformers', 'mlflow', 'sklearn', 'datasets') "
            "if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_model_from_another_embedding_exits_2(env, tmp_path):
    import json as _json
    import shutil

    from packetlens.scorer import default_model_dir

    m = tmp_path / "other"
    shutil.copytree(default_model_dir(), m)
    cfg = _json.loads((m / "config.json").read_text())
    cfg["embedding"]["weights_sha256"] = "0" * 64
    (m / "config.json").write_text(_json.dumps(cfg))
    r = invoke("score", "-", "--model", str(m), input="- Tuned the reranker.\n")
    assert r.exit_code == 2 and "was trained on embedding" in r.stderr
