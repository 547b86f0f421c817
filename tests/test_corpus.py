"""The packet corpus (tests/corpus): every format a packet arrives in, with the claims a correct
parser extracts (tests/corpus/expected.json: text, line, section, evidence, flag)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from packetlens.parsing import parse_bytes
from packetlens.reading import read_bytes

CORPUS = Path(__file__).parent / "corpus"
EXPECTED = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
SAME_PACKET = ["packet_a.md", "packet_a_gdocs.txt", "packet_a.docx", "packet_a_confluence.html", "packet_a_utf16.txt"]


def _found(name: str) -> list[dict[str, object]]:
    parsed = parse_bytes(read_bytes(CORPUS / name), name)
    assert parsed.format == EXPECTED[name]["format"]
    rows = []
    for b in parsed.bullets:
        r: dict[str, object] = {"line": b.line, "text": b.text, "section": b.section}
        if b.evidence:
            r["evidence"] = [[e.line, e.text] for e in b.evidence]
        if b.flag:
            r["flag"] = b.flag
        rows.append(r)
    return rows


def test_the_corpus_covers_every_format():
    assert len(EXPECTED) >= 10
    raw = {name: (CORPUS / name).read_bytes() for name in EXPECTED}
    assert {EXPECTED[n]["format"] for n in EXPECTED} == {"markdown", "text", "html", "docx"}
    assert any(b.startswith(b"\xff\xfe") for b in raw.values())                     # UTF-16
    assert any(b"\x96" in b or b"\x93" in b for b in raw.values())                   # cp1252
    assert any("●".encode() in b for b in raw.values())                              # Google Docs paste
    assert any(b"2026-03-" in b and name.startswith("brag") for name, b in raw.items())  # brag doc


def test_corpus_bullet_recall_and_precision_are_1():
    expected = {(n, b["text"], b["line"]) for n in EXPECTED for b in EXPECTED[n]["bullets"]}
    found = {(n, b["text"], b["line"]) for n in EXPECTED for b in _found(n)}
    hit = len(expected & found)
    recall, precision = hit / len(expected), hit / max(len(found), 1)
    assert (round(recall, 3), round(precision, 3)) == (1.0, 1.0), sorted(expected ^ found)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_packet_sections_evidence_and_flags(name):
    assert _found(name) == EXPECTED[name]["bullets"]


def test_front_matter_is_kept_as_metadata():
    assert parse_bytes(read_bytes(CORPUS / "nested.md"), "nested.md").metadata == EXPECTED["nested.md"]["metadata"]


def _claims(name: str) -> list[tuple[object, ...]]:
    return [(b["text"], b["section"], tuple(e[1] for e in b.get("evidence", ()))) for b in _found(name)]


@pytest.mark.parametrize("name", SAME_PACKET[1:])
def test_every_format_of_one_packet_gives_the_same_claims(name):
    assert _claims(name) == _claims("packet_a.md")
