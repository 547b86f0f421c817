"""Exit 1 means only --fail-under; what the CLI can name is exit 2 with one line; anything else is 3.

Also what reaches a terminal, a Markdown file or a page: no control characters from the packet.
"""

import json
import subprocess

import pytest
from typer.testing import CliRunner

from packetlens.cli import app

runner = CliRunner()


@pytest.fixture
def env(cache_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("PACKETLENS_CACHE_DIR", str(cache_dir))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def one_line_exit_2(r, *expect):
    assert r.exit_code == 2, (r.exit_code, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    for e in expect:
        assert e in lines[0], lines[0]


def test_a_path_with_rich_markup_in_it_is_shown_as_is(env):
    (env / "notes [bold] x[").mkdir()  # the path "notes [bold] x[/b].md": a closing tag rich cannot match
    (env / "notes [bold] x[" / "b].md").write_text("- Tuned the reranker.\n")
    r = runner.invoke(app, ["score", "notes [bold] x[/b].md"])
    assert r.exit_code == 0, r.stderr
    assert "notes [bold] x[/b].md" in r.stdout


def test_a_cache_dir_that_cannot_be_created_exits_2(env, monkeypatch):
    monkeypatch.delenv("PACKETLENS_CACHE_DIR")
    (env / "p.md").write_text("- Tuned the reranker.\n")
    r = runner.invoke(app, ["score", "p.md", "--cache-dir", "/proc/packetlens-cache"])
    one_line_exit_2(r, "/proc/packetlens-cache", "--cache-dir")


def _make_read_only(path):
    """chmod for most users; root ignores modes, so an immutable flag there (skip where neither works)."""
    import os

    if os.geteuid() != 0:
        path.chmod(0o444)
        return lambda: path.chmod(0o644)
    if subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode != 0:
        pytest.skip("cannot make a file read-only for root here (no chattr)")
    return lambda: subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_vector_cache_still_scores(env, cache_dir, monkeypatch):
    import shutil

    ro = env / "rocache"
    shutil.copytree(cache_dir / "onnx", ro / "onnx")  # the export is there; only the cache is read-only
    from packetlens.embedding import VectorCache

    VectorCache(ro / "vectors.sqlite")
    undo = _make_read_only(ro / "vectors.sqlite")
    try:
        monkeypatch.setenv("PACKETLENS_CACHE_DIR", str(ro))
        r = runner.invoke(app, ["score", "-", "--format", "json"], input="- A bullet the cache has never seen 7781.\n")
        assert r.exit_code == 0, r.stderr
        assert json.loads(r.stdout)["packet"]["n_bullets"] == 1
    finally:
        undo()


@pytest.mark.parametrize("toml, expect", [
    ('fail_under = "abc"', "fail_under = 'abc'"),
    ("fail_under = 250", "from 0 to 100"),
    ("fail_under = true", "fail_under = True"),
    ("model = 3", "model = 3"),
    ('tool = 1\n[tool.packetlens.sub]\nx = 1', "unknown key"),
])
def test_bad_pyproject_settings_exit_2(env, toml, expect):
    (env / "pyproject.toml").write_text(f"[tool.packetlens]\n{toml}\n")
    (env / "p.md").write_text("- Tuned the reranker.\n")
    r = runner.invoke(app, ["score", "p.md"])
    one_line_exit_2(r, "pyproject.toml", expect)


def test_fail_under_from_pyproject_still_exits_1(env):
    (env / "pyproject.toml").write_text("[tool.packetlens]\nfail_under = 99.5\n")
    (env / "p.md").write_text("- Tuned the reranker.\n")
    r = runner.invoke(app, ["score", "p.md", "--format", "json"])
    assert r.exit_code == 1 and "under --fail-under 99.5" in r.stderr


def test_an_unexpected_error_exits_3_with_its_traceback(env, monkeypatch):
    import packetlens.render

    def broken(*a, **k):
        raise RuntimeError("a bug in a renderer")

    monkeypatch.setattr(packetlens.render, "render", broken)
    r = runner.invoke(app, ["score", "-"], input="- Tuned the reranker.\n")
    assert r.exit_code == 3
    assert "Traceback" in r.stderr and "a bug in a renderer" in r.stderr and "unexpected error" in r.stderr


CONTROL = "- Tuned the \x1b[31mreranker\x1b[0m\x07 and \x9bthe \x7fcache.\n"


@pytest.mark.parametrize("fmt", ["table", "markdown", "html"])
def test_control_characters_never_reach_the_output(env, fmt):
    (env / "p\x1b[2J.md").write_text(CONTROL)
    r = runner.invoke(app, ["score", "p\x1b[2J.md", "--format", fmt])
    assert r.exit_code == 0, r.stderr
    for c in ("\x1b", "\x07", "\x9b", "\x7f"):
        assert c not in r.stdout, (fmt, repr(c))
    assert "reranker" in r.stdout


def test_json_keeps_the_text_escaped(env):
    r = runner.invoke(app, ["score", "-", "--format", "json"], input=CONTROL)
    assert r.exit_code == 0 and "\\u001b" in r.stdout and "\x1b" not in r.stdout


def test_the_markdown_heading_shows_the_path_literally(env):
    name = "a*b_[x](http:evil)#.md"
    (env / name).write_text("- Tuned the reranker.\n")
    r = runner.invoke(app, ["score", name, "--format", "markdown"])
    assert r.exit_code == 0
    heading = r.stdout.splitlines()[0]
    assert heading == "# packetlens: a\\*b\\_\\[x\\]\\(http:evil\\)\\#.md"


@pytest.mark.skipif(not __import__("os").path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_stdout_exits_2_not_3(env, cache_dir):
    import os
    import sys

    import packetlens

    src = str(__import__("pathlib").Path(packetlens.__file__).parents[1])
    with open("/dev/full", "w") as full:
        out = subprocess.run([sys.executable, "-m", "packetlens.cli", "score", "-", "--format", "json"],
                             input="- Tuned the reranker.\n", stdout=full, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": src, "PACKETLENS_CACHE_DIR": str(cache_dir)},
                             timeout=300)
    assert out.returncode == 2 and "cannot write the output (No space left on device)" in out.stderr
    assert "Traceback" not in out.stderr
