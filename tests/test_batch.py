"""score-batch: tables and directories in, the same rows as the library (and Spark) out, in chunks."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from packetlens.batch import score_batch
from packetlens.cli import app
from packetlens.errors import InputFileError
from packetlens.table import PACKET_COLUMNS, score_bullets, score_packets

BULLETS = ["Tuned the reranker.", "Cut p95 latency from 480 ms to 210 ms on 2M requests/day.", "",
           "Built the eval gate five teams use; review fell from ten days to 40 minutes.", "Merged 140 PRs."]
PACKET = "# Impact\n- Tuned the reranker.\n- Cut p95 latency from 480 ms to 210 ms.\n"


@pytest.fixture
def bullets_jsonl(tmp_path):
    path = tmp_path / "bullets.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": t, "team": "x"}) + "\n" for i, t in enumerate(BULLETS)),
                    encoding="utf-8")
    return path


def _jsonl(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_rows_are_the_library_rows_whatever_the_chunk_size(exact_scorer, bullets_jsonl, tmp_path):
    want = [{"id": str(i), **r} for i, r in enumerate(score_bullets(exact_scorer, BULLETS))]
    for size in (1, 2, 1000):
        out = tmp_path / f"out{size}.jsonl"
        stats = score_batch(exact_scorer, [bullets_jsonl], out, chunk_size=size)
        assert _jsonl(out) == want
        assert stats.n_rows == stats.n_bullets == len(BULLETS)


def test_parquet_in_and_out_gives_the_same_rows(exact_scorer, bullets_jsonl, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    src = tmp_path / "bullets.parquet"
    pq.write_table(pa.table({"id": [f"b{i}" for i in range(len(BULLETS))], "text": BULLETS}), src, row_group_size=2)
    out = tmp_path / "scores.parquet"
    score_batch(exact_scorer, [src], out, chunk_size=3)
    table = pq.read_table(out)
    assert table.schema.field("hints").type == pa.list_(pa.string())
    assert table.schema.field("p_strong").type == pa.float64()
    rows = table.to_pylist()
    assert rows == [{"id": f"b{i}", **r} for i, r in enumerate(score_bullets(exact_scorer, BULLETS))]


def test_a_directory_of_packets_and_a_table_of_packets(exact_scorer, tmp_path):
    d = tmp_path / "cycle"
    (d / "team-a").mkdir(parents=True)
    (d / "team-a" / "ana.md").write_text(PACKET, encoding="utf-8")
    (d / "bo.txt").write_text("- Helped with the migration.\n", encoding="utf-8")
    out = tmp_path / "rows.jsonl"
    score_batch(exact_scorer, [d], out)
    rows = _jsonl(out)
    assert [(r["packet_id"], r["index"], r["line"], r["section"]) for r in rows] == \
        [("bo.txt", 0, 1, None), ("team-a/ana.md", 0, 2, "Impact"), ("team-a/ana.md", 1, 3, "Impact")]
    table = tmp_path / "packets.jsonl"
    table.write_text(json.dumps({"packet_id": "ana", "packet": PACKET}) + "\n" + json.dumps({"packet": "- x"}) + "\n",
                     encoding="utf-8")
    summary = tmp_path / "summary.jsonl"
    score_batch(exact_scorer, [table], summary, output="packets")
    got = _jsonl(summary)
    assert [list(r) for r in got] == [[c.name for c in PACKET_COLUMNS]] * 2
    assert got == score_packets(exact_scorer, [PACKET, "- x"], ["ana", f"{table}#1"], output="packets")


def test_bad_inputs_name_the_file_line_and_fix(exact_scorer, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"text": \n', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"bad.jsonl: line 2: not a JSON object"):
        score_batch(exact_scorer, [bad], tmp_path / "o.jsonl")
    cols = tmp_path / "cols.jsonl"
    cols.write_text('{"bullet": "ok"}\n', encoding="utf-8")
    with pytest.raises(InputFileError, match=r"no column 'text'.*found: bullet.*--text-col"):
        score_batch(exact_scorer, [cols], tmp_path / "o.jsonl")
    assert score_batch(exact_scorer, [cols], tmp_path / "o.jsonl", text_col="bullet").n_rows == 1
    packets = tmp_path / "p.jsonl"
    packets.write_text('{"packet": "- a"}\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="holds packets, but the first input held bullets"):
        score_batch(exact_scorer, [cols, packets], tmp_path / "o.jsonl", text_col="bullet")
    with pytest.raises(InputFileError, match="needs packets"):
        score_batch(exact_scorer, [cols], tmp_path / "o.jsonl", text_col="bullet", output="packets")


def test_cli_score_batch(cache_dir, monkeypatch, bullets_jsonl, tmp_path):
    monkeypatch.setenv("PACKETLENS_CACHE_DIR", str(cache_dir))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    r = runner.invoke(app, ["score-batch", str(bullets_jsonl), "--chunk-size", "2"])
    assert r.exit_code == 0, r.output
    assert [json.loads(x)["id"] for x in r.stdout.splitlines()] == [str(i) for i in range(len(BULLETS))]
    assert "scored 5 bullets" in r.stderr
    r = runner.invoke(app, ["score-batch", str(tmp_path / "missing.jsonl")])
    assert r.exit_code == 2 and "missing.jsonl: no such file or directory" in r.stderr
    r = runner.invoke(app, ["score-batch", str(bullets_jsonl), "--format", "parquet"])
    assert r.exit_code == 2 and "needs --output" in r.stderr
    r = runner.invoke(app, ["score-batch", "--help"])
    assert r.exit_code == 0 and "--chunk-size" in r.stdout
