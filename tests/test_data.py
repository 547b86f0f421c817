import json

import pytest

from packetlens.data import load_labeled, parse_label_map
from packetlens.errors import DataValidationError


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


GOOD = [
    {"id": "a", "text": "Tuned the reranker.", "strength": "weak", "framing": "housekeeping", "moves": []},
    {"id": "b", "text": "Built the eval gate five teams use; review time fell from 10 days to 40 min.",
     "strength": "strong", "framing": "system", "moves": ["quantified_counterfactual", "second_order_leverage"],
     "pair_id": "p1"},
]


def test_jsonl_round_trip_and_groups(tmp_path):
    ds = load_labeled([write_jsonl(tmp_path / "d.jsonl", GOOD)])
    assert ds.texts[0] == "Tuned the reranker."
    assert ds.strength == ["weak", "strong"] and ds.framing == ["housekeeping", "system"]
    assert ds.moves[1] == ("quantified_counterfactual", "second_order_leverage")
    assert ds.groups == ["id:a", "pair:p1"]
    assert len(ds.content_hash()) == 64


def test_partial_labels_only_strength(tmp_path):
    rows = [{"text": "Tuned the reranker.", "strength": "weak"}, {"text": "Shipped X to 3 teams", "strength": "STRONG"}]
    ds = load_labeled([write_jsonl(tmp_path / "d.jsonl", rows)])
    assert ds.strength == ["weak", "strong"] and ds.framing == [None, None] and ds.moves == [None, None]
    assert ds.labels_for("framing") == [None, None]


def test_csv_with_column_mapping_and_moves_string(tmp_path):
    p = tmp_path / "acme.csv"
    p.write_text("bullet,verdict,moves\n\"Tuned it, again\",weak,\nBuilt the gate,strong,difficulty_named;second_order_leverage\n",
                 encoding="utf-8")
    ds = load_labeled([p], text_col="bullet", label_cols=parse_label_map(["strength=verdict"]))
    assert ds.texts == ["Tuned it, again", "Built the gate"]
    assert ds.strength == ["weak", "strong"]
    assert ds.moves == [None, ("second_order_leverage", "difficulty_named")]


def test_parquet(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = tmp_path / "d.parquet"
    pq.write_table(pa.table({"text": ["a weak one", "a strong one"], "strength": ["weak", "strong"]}), p)
    assert load_labeled([p]).strength == ["weak", "strong"]


@pytest.mark.parametrize("rows, expect", [
    ([{"id": "a", "strength": "weak"}], r"missing column 'text' \(found: id, strength\); pass --text-col"),
    ([GOOD[0], {"id": "x", "text": "ok text", "strength": "meh"}], r"line 2: unknown strength value 'meh'"),
    ([GOOD[0], {"id": "x", "text": "   ", "strength": "weak"}], r"line 2: empty text"),
    ([GOOD[0], {**GOOD[1], "id": "a"}], r"line 2: duplicate id 'a'"),
    ([GOOD[0], {"id": "x", "text": "ok", "moves": ["vibes"]}], r"line 2: unknown move 'vibes'"),
    ([GOOD[0], {"id": "x", "text": 5, "strength": "weak"}], r"line 2: 'text' is int"),
])
def test_first_bad_row_is_named(tmp_path, rows, expect):
    p = write_jsonl(tmp_path / "bad.jsonl", rows)
    with pytest.raises(DataValidationError, match=expect) as e:
        load_labeled([p])
    assert str(p) in str(e.value)


def test_non_utf8_names_the_line(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_bytes(json.dumps(GOOD[0]).encode() + b"\n" + b'{"text": "caf\xe9", "strength": "weak"}\n')
    with pytest.raises(DataValidationError, match=r"bad.jsonl: line 2: not UTF-8"):
        load_labeled([p])


def test_bad_json_line_and_empty_file(tmp_path):
    p = tmp_path / "bad.jsonl"
    p.write_text(json.dumps(GOOD[0]) + "\n\n{not json\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"line 3: not valid JSON"):
        load_labeled([p])
    e = tmp_path / "empty.jsonl"
    e.write_text("")
    with pytest.raises(DataValidationError, match="empty"):
        load_labeled([e])


def test_nothing_is_written_on_failure(tmp_path):
    p = write_jsonl(tmp_path / "bad.jsonl", [GOOD[0], {"id": "x", "text": "", "strength": "weak"}])
    before = sorted(tmp_path.rglob("*"))
    with pytest.raises(DataValidationError):
        load_labeled([p])
    assert sorted(tmp_path.rglob("*")) == before


def test_label_map_errors():
    with pytest.raises(DataValidationError, match="LABEL=COLUMN"):
        parse_label_map(["verdict"])


def test_a_one_megabyte_line_is_refused(tmp_path):
    p = write_jsonl(tmp_path / "big.jsonl", [GOOD[0], {"id": "x", "text": "word " * 200_000, "strength": "weak"}])
    with pytest.raises(DataValidationError, match=r"line 2: text is 1,000,000 characters"):
        load_labeled([p])


def test_csv_line_numbers_count_the_lines_of_multi_line_fields(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text('text,strength\n'
                 '"Built the gate;\nfive teams use it;\nreview fell from 10 days to 40 min",strong\n'
                 'Tuned the reranker,weak\n'
                 '\n'
                 'Merged 140 PRs,mediocre\n', encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"d\.csv: line 7: unknown strength value 'mediocre'"):
        load_labeled([p])
