import json
import re

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


@pytest.mark.parametrize("cmd", ["score", "score-batch", "diff", "train", "evaluate", "audit", "info"])
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
    lines = [json.loads(x) for x in r.stdout.strip().splitlines()]
    assert r.exit_code == 0 and [x["type"] for x in lines] == ["packet", "bullet", "bullet", "bullet"]
    assert all(x["path"] == "<stdin>" for x in lines) and lines[0]["n_bullets"] == 3
    r = invoke("score", "-", "--format", "markdown", input=PACKET)
    assert r.exit_code == 0 and "## Fix first" in r.stdout and "## Strong bullets (1)" in r.stdout
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
    assert r.exit_code == 1 and json.loads(r.stdout.splitlines()[1])["text"] == "Tuned the reranker for the settings test."
    assert cache.get_many(identity, ["Tuned the reranker for the settings test."])  # the configured cache was used


def test_empty_file_says_no_bullets(env):
    (env / "e.md").write_text("")
    r = invoke("score", "e.md")
    assert r.exit_code == 0 and "no bullets found" in r.stderr


@pytest.mark.parametrize("make, expect", [
    ("missing", "no such file"),
    ("dir", "is a directory"),
    ("binary", "looks binary"),
    ("huge", "too large"),
])
def test_bad_input_exits_2_with_one_line(env, make, expect):
    p = env / "in.md"
    if make == "dir":
        p.mkdir()
    elif make == "binary":
        p.write_bytes(b"\x00\x01\x02PNG")
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


def test_score_takes_several_files_and_directories(env):
    (env / "a.md").write_text(PACKET)
    (env / "team").mkdir()
    (env / "team" / "b.md").write_text("- Helped with on-call.\n- Tuned the reranker.\n")
    (env / "team" / "c.txt").write_text("Merged 140 PRs.\n")
    (env / "team" / "notes.json").write_text("{}")
    r = invoke("score", "a.md", "team", "--format", "jsonl")
    assert r.exit_code == 0, r.stderr
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    packets = [x for x in lines if x["type"] == "packet"]
    assert [p["path"] for p in packets] == ["a.md", "team/b.md", "team/c.txt"]
    assert {x["path"] for x in lines if x["type"] == "bullet"} == {"a.md", "team/b.md", "team/c.txt"}
    assert sum(x["type"] == "bullet" for x in lines) == sum(p["n_bullets"] for p in packets) == 6
    r = invoke("score", "a.md", "team", "--format", "json")
    assert r.exit_code == 2 and "takes one packet" in r.stderr
    (env / "empty").mkdir()
    r = invoke("score", "empty")
    assert r.exit_code == 2 and "no packet files" in r.stderr


def test_fail_under_on_a_packet_with_no_bullets_exits_2(env):
    (env / "e.md").write_text("# Packet\n\n<!-- nothing yet -->\n")
    r = invoke("score", "e.md", "--fail-under", "60")
    assert r.exit_code == 2 and "no bullets to score" in r.stderr and "--fail-under 60" in r.stderr


def test_line_and_github_formats(env):
    import re

    (env / "p.md").write_text(PACKET)
    r = invoke("score", "p.md", "--format", "line")
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert all(re.match(r"^p\.md:\d+:\d+: (info|warning) PL\d{3} [a-z-]+: ", x) for x in lines), lines
    assert lines[0].startswith("p.md:1:1: info PL000 packet-summary: packet score ")
    assert any(x.startswith("p.md:5:10: warning PL102 effort-count: '140 PRs'") for x in lines), lines
    assert not any(x.startswith("p.md:3:") for x in lines)  # the strong bullet (line 3) gets no finding
    r = invoke("score", "p.md", "--format", "github")
    gh = r.stdout.splitlines()
    assert r.exit_code == 0 and gh[0].startswith("::notice file=p.md,line=1,title=packetlens PL000::packet score")
    assert any(x.startswith("::warning file=p.md,line=5,col=10,title=packetlens PL102::effort-count") for x in gh)


def test_ignore_option_and_setting(env):
    (env / "p.md").write_text(PACKET)
    base = invoke("score", "p.md", "--format", "line").stdout
    assert "PL102" in base and "PL201" in base
    r = invoke("score", "p.md", "--format", "line", "--ignore", "PL102", "--ignore", "no-before-after")
    assert r.exit_code == 0 and "PL102" not in r.stdout and "PL201" not in r.stdout
    (env / "pyproject.toml").write_text("[tool.packetlens]\nignore = [\"effort-count\"]\n")
    r = invoke("score", "p.md", "--format", "line")
    assert r.exit_code == 0 and "PL102" not in r.stdout and "PL201" in r.stdout
    r = invoke("score", "p.md", "--ignore", "PL999")
    assert r.exit_code == 2 and "unknown hint code 'PL999'" in r.stderr


def test_table_honours_columns_and_compact(env, monkeypatch):
    (env / "p.md").write_text(PACKET)
    monkeypatch.setenv("COLUMNS", "64")
    r = invoke("score", "p.md")
    assert r.exit_code == 0 and max(len(x) for x in r.stdout.splitlines()) <= 64
    assert r.stdout.index("packet score") < r.stdout.index("Weak bullets")
    r = invoke("score", "p.md", "--compact")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) <= 12


def test_diff_two_versions(env):
    from conftest import ROOT

    r = invoke("diff", str(ROOT / "examples" / "packet.md"), str(ROOT / "examples" / "packet_v2.md"), "--format", "json")
    assert r.exit_code == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["score_change"] == pytest.approx(d["new"]["score"] - d["old"]["score"], abs=0.02) and d["score_change"] > 0
    improved = [c for c in d["changes"] if c["status"] == "improved"]
    regressed = [c for c in d["changes"] if c["status"] == "regressed"]
    assert any(c["old"]["text"] == "Tuned the reranker weights and improved relevance." for c in improved)
    assert any(c["old"]["text"] == "Created a golden dataset." for c in improved)  # a rewrite in place
    assert [c["new"]["text"] for c in regressed] == ["Wrote the ranking-change playbook."]
    assert [c["old"]["text"] for c in d["changes"] if c["status"] == "removed"] == ["Merged 140 PRs across the ranking repos."]
    r = invoke("diff", str(ROOT / "examples" / "packet.md"), str(ROOT / "examples" / "packet_v2.md"))
    assert r.exit_code == 0
    shown = re.search(r"\(([+-]\d+\.\d)\)$", r.stdout.splitlines()[0])
    assert shown and float(shown.group(1)) == pytest.approx(d["score_change"], abs=0.051)  # rounding of either
    assert invoke("diff", "nope.md", "nope2.md").exit_code == 2


def test_pre_commit_hook_and_actions_step_are_documented():
    from conftest import ROOT

    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text()
    assert "- id: packetlens" in hooks and "entry: packetlens score --format line" in hooks
    readme = (ROOT / "README.md").read_text()
    assert "--format github" in readme and "actions/checkout" in readme and "PL101" in readme


# --- issue 15 #4: one read path with one cap; issue 12: every format a packet arrives in ----------
CORPUS = __import__("pathlib").Path(__file__).parent / "corpus"


def _one_line_error(r, *needles):  # noqa: ANN001, ANN202
    lines = r.stderr.strip().splitlines()
    assert r.exit_code == 2 and len(lines) == 1, (r.exit_code, r.stderr)
    assert all(n in lines[0] for n in needles), lines[0]


@pytest.mark.skipif(not __import__("os").path.exists("/dev/zero"), reason="no /dev/zero")
def test_score_dev_zero_exits_2_with_one_line(env):
    _one_line_error(invoke("score", "/dev/zero"), "/dev/zero", "too large")


def test_a_20_mb_stdin_exits_2_with_one_line(env):
    _one_line_error(invoke("score", "-", input=b"- x\n" * (5 * 1024 * 1024)), "<stdin>", "too large")


def test_stdin_has_the_file_cap(env):
    _one_line_error(invoke("score", "-", input=b"- x\n" * (1536 * 1024)), "<stdin>", "too large")  # 6 MB


@pytest.mark.timeout(120)
def test_a_fifo_with_no_writer_exits_2_instead_of_hanging(env):
    import os

    os.mkfifo(env / "p.fifo")
    _one_line_error(invoke("score", str(env / "p.fifo")), "p.fifo", "named pipe")


def _claims(r) -> list[tuple[object, ...]]:  # noqa: ANN001
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    return [(b["text"], b["section"], tuple(e["text"] for e in b["evidence"])) for b in doc["bullets"]]


@pytest.mark.parametrize("name", ["packet_a.docx", "packet_a_confluence.html", "packet_a_utf16.txt", "packet_a_gdocs.txt"])
def test_score_docx_html_utf16_and_a_google_docs_paste_give_the_markdown_bullets(env, name):
    markdown = _claims(invoke("score", str(CORPUS / "packet_a.md"), "-f", "json"))
    assert len(markdown) == 7
    assert _claims(invoke("score", str(CORPUS / name), "-f", "json")) == markdown


def test_stdin_docx_and_utf16_are_read_too(env):
    markdown = _claims(invoke("score", str(CORPUS / "packet_a.md"), "-f", "json"))
    for name in ("packet_a.docx", "packet_a_utf16.txt"):
        assert _claims(invoke("score", "-", "-f", "json", input=(CORPUS / name).read_bytes())) == markdown


def test_cp1252_file_is_read(env):
    r = invoke("score", str(CORPUS / "cp1252_packet.txt"), "-f", "json")
    assert r.exit_code == 0, r.stderr
    assert "Rebuilt the “menu sync” pipeline" in r.stdout and "€18k" in r.stdout


def test_cli_and_library_read_a_file_the_same_way(env, default_scorer):
    path = CORPUS / "word_paste.txt"
    r = invoke("score", str(path), "-f", "json")
    assert [(b["line"], b["text"]) for b in json.loads(r.stdout)["bullets"]] == [
        (b.line, b.text) for b in default_scorer.score_file(path).bullets]


def test_what_the_model_cannot_judge_is_flagged_warned_and_left_out_of_the_score(env):
    r = invoke("score", str(CORPUS / "flags.md"), "-f", "json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    reasons = [(b["line"], b["reason"], b["in_score"], b["uncertain"]) for b in doc["bullets"]]
    assert [x for x in reasons if not x[2]] == [(5, "not_english", False, True), (7, "heading", False, True),
                                               (8, "table_row", False, True), (9, "paragraph", False, True)]
    judged = [b["strength"]["p_strong"] for b in doc["bullets"] if b["in_score"]]
    assert len(judged) == 2 and doc["packet"]["n_excluded"] == 4
    assert doc["packet"]["score"] == pytest.approx(100 * sum(judged) / 2, abs=0.01)
    assert "4 left out of the score" in doc["packet"]["summary"]
    warned = [x for x in r.stderr.splitlines() if "left out of the packet score" in x]
    assert len(warned) == 4 and "line 5: does not read as English" in warned[0]


def test_a_claim_is_scored_with_its_evidence(env, default_scorer):
    text = ("- Built the regression-eval gate for model changes.\n"
            "  - Five teams now gate their launches on it, and rollbacks fell from 3 a quarter to 0.\n")
    claim = default_scorer.score_text(text).bullets[0]
    alone = default_scorer.score(["Built the regression-eval gate for model changes. Five teams now gate their "
                                  "launches on it, and rollbacks fell from 3 a quarter to 0."])[0]
    assert claim.text == "Built the regression-eval gate for model changes."
    assert claim.moves == alone.moves and claim.hints == alone.hints
    assert [e.text for e in claim.evidence] == ["Five teams now gate their launches on it, and rollbacks fell "
                                                "from 3 a quarter to 0."]
