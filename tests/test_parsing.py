import os

import pytest

from packetlens.parsing import parse_packet, strip_markup

MD = """---
title: packet
---
# Packet

Intro paragraph is context, not a claim.

## Impact
- Cut **p95** from 480 to 210 ms
  on 2M req/day
  - nested [item](http://example.com)
1. numbered `code`
2) second
- skipped bullet
<!-- packetlens: ignore -->

```
- not a bullet
```
| a | b |
|---|---|
| - x | y |
<!-- a comment
- hidden -->
* last
"""


def test_markdown_items_sections_lines_and_skips():
    bullets = parse_packet(MD)
    assert [b.text for b in bullets] == [
        "Cut p95 from 480 to 210 ms on 2M req/day", "numbered code", "second", "last"]
    assert [b.line for b in bullets] == [9, 12, 13, 25]
    assert [(e.text, e.line) for e in bullets[0].evidence] == [("nested item", 11)]
    assert {b.section for b in bullets} == {"Impact"}


def test_plain_text_with_markers_skips_title_and_joins_wrapped_lines():
    bullets = parse_packet("My packet\n• first thing\n  wrapped\n• second\n")
    assert [(b.text, b.line) for b in bullets] == [("first thing wrapped", 2), ("second", 4)]


def test_plain_text_without_markers_is_one_bullet_a_line():
    assert [b.text for b in parse_packet("One line\n\nAnother line\n")] == ["One line", "Another line"]


def test_markdown_prose_is_split_into_sentences():
    bullets = parse_packet("# T\n\nI built X. It cut Y by 3%. Then more.\n", "markdown")
    assert [b.text for b in bullets] == ["I built X.", "It cut Y by 3%.", "Then more."]


def test_strip_markup_keeps_visible_words():
    assert strip_markup("**Cut** `p95` via [the gate](http://x) <b>now</b>") == "Cut p95 via the gate now"


def test_empty_text_has_no_bullets():
    assert parse_packet("") == []
    assert parse_packet("---\na: b\n---\n", "markdown") == []


def test_str_only():
    with pytest.raises(TypeError):
        parse_packet(b"- x")  # type: ignore[arg-type]


def test_plain_text_ignore_marker_and_numbered_items():
    text = "Packet\n1. first\n2) second\n   wrapped\n- dropped\n<!-- packetlens: ignore -->\n• kept\n"
    assert [(b.text, b.line) for b in parse_packet(text, "text")] == [
        ("first", 2), ("second wrapped", 3), ("kept", 7)]


def test_docstring_examples_run():
    import doctest

    import packetlens.parsing

    failed, attempted = doctest.testmod(packetlens.parsing)
    assert attempted >= 2 and failed == 0


# --- issue 12: real packets in ------------------------------------------------------------------
GDOCS_PASTE = """Impact
● Built the offline eval harness that replaced a ten-day manual review with a 40-minute CI check.
○ Five teams now gate their launches on it.
● Cut p95 from 480 to 210 ms on 2M requests a day.
Leadership
● Mentored two engineers through their first launches.
"""


def test_google_docs_paste_titles_are_sections_and_glyphs_are_markers():
    bullets = parse_packet(GDOCS_PASTE)
    assert [(b.text, b.line, b.section) for b in bullets] == [
        ("Built the offline eval harness that replaced a ten-day manual review with a 40-minute CI check.", 2, "Impact"),
        ("Cut p95 from 480 to 210 ms on 2M requests a day.", 4, "Impact"),
        ("Mentored two engineers through their first launches.", 6, "Leadership")]
    assert [(e.text, e.line) for e in bullets[0].evidence] == [("Five teams now gate their launches on it.", 3)]


def test_label_only_parent_is_a_section_and_sub_bullets_are_one_claim():
    text = ("# Impact\n- **Search ranking**\n  - Replaced BM25 with a hybrid retriever; recall@50 rose from 71% to 84%.\n"
            "    - The ads and maps teams built their retrieval on it.\n  - Tuned the reranker.\n")
    bullets = parse_packet(text)
    assert [(b.text, b.line, b.section) for b in bullets] == [
        ("Replaced BM25 with a hybrid retriever; recall@50 rose from 71% to 84%.", 3, "Impact / Search ranking"),
        ("Tuned the reranker.", 5, "Impact / Search ranking")]
    assert bullets[0].claim.endswith("The ads and maps teams built their retrieval on it.")


def test_ignore_comment_on_the_bullets_own_line_and_an_indented_code_line():
    text = "- Set up alerting. <!-- packetlens: ignore -->\n- Kept.\n\n      - an indented code block line\n"
    assert [b.text for b in parse_packet(text, "markdown")] == ["Kept."]


def test_ordered_task_and_work_log_items():
    text = ("## March\n1. [x] Shipped the rewriter.\n2. [ ] Write the launch note\n"
            "- 2026-03-14 — shipped the spelling service to 100% of traffic\n- TODO: numbers\n"
            "- 1:1 with Dana about the promo timeline\n- Meeting notes from the roadmap review\n")
    assert [(b.text, b.line) for b in parse_packet(text)] == [
        ("Shipped the rewriter.", 2), ("shipped the spelling service to 100% of traffic", 4)]


def test_brag_document_dated_lines_are_claims_notes_are_not():
    text = ("Week of March 9\n2026-03-09 — shipped the retry budget; checkout errors fell from 1.8% to 0.6%\n"
            "2026-03-10 — 1:1 with Dana\nMar 11 — wrote the incident review and drove the\nthree fixes to completion\n"
            "TODO: get the dashboard link\n")
    assert [(b.text, b.line, b.section) for b in parse_packet(text)] == [
        ("shipped the retry budget; checkout errors fell from 1.8% to 0.6%", 2, "Week of March 9"),
        ("wrote the incident review and drove the three fixes to completion", 4, "Week of March 9")]


def test_word_paste_glyphs_and_wrapped_lines():
    text = ("\uf0b7\tLaunched autocomplete; time to result fell from 2.4 s to 1.1 s\nfor logged-in users.\n"
            "o\tThe help-centre team reused it.\n\uf0b7\tMaintained the indexing jobs.\n")
    bullets = parse_packet(text)
    assert [(b.text, b.line) for b in bullets] == [
        ("Launched autocomplete; time to result fell from 2.4 s to 1.1 s for logged-in users.", 1),
        ("Maintained the indexing jobs.", 4)]
    assert [e.text for e in bullets[0].evidence] == ["The help-centre team reused it."]


def test_not_a_bullet_is_flagged():
    para = " ".join(["I worked on the search service and then on caching for a while."] * 8)
    text = f"- On-call rotation\n- Q2 | latency | 480 -> 210 ms\n- {para}\n- Cut p95 from 480 to 210 ms.\n"
    assert [b.flag for b in parse_packet(text)] == ["heading", "table_row", "paragraph", None]


def test_html_and_pasted_markdown_give_the_same_claims():
    html = ("<h2>Impact</h2><ul><li><b>Search ranking</b><ul><li>Replaced BM25; recall rose from 71% to 84%.</li>"
            "</ul></li><li>Cut p95 from 480 to 210&nbsp;ms. <!-- packetlens: ignore --></li><li>Wrote docs.</li></ul>"
            "<table><tr><td>- not a claim</td></tr></table>")
    md = "## Impact\n- **Search ranking**\n  - Replaced BM25; recall rose from 71% to 84%.\n- Wrote docs.\n"
    assert [(b.text, b.section) for b in parse_packet(html)] == [(b.text, b.section) for b in parse_packet(md)]


def test_detect_format_is_one_function_for_names_and_content():
    from packetlens.parsing import detect_format

    assert detect_format("p.md", "x") == "markdown"
    assert detect_format("p.txt", "# Impact\n- x") == "text"
    assert detect_format("p.html", "x") == "html"
    assert detect_format("p.docx", b"PK\x03\x04") == "docx"
    assert detect_format("<stdin>", b"PK\x03\x04rest") == "docx"
    assert detect_format("<stdin>", "<!DOCTYPE html><html>") == "html"
    assert detect_format("<stdin>", "Impact\n● Built X\n") == "text"
    assert detect_format("<stdin>", "# Impact\n- Built X\n") == "markdown"
    assert detect_format("<stdin>", "- Built X".encode("utf-16")) == "markdown"


# --- issue 15 #2: parsing is linear -------------------------------------------------------------
# A guard, not a timing assertion: each input parses in about a second; a quadratic parser
# took 190 s on 120 KB of spaces and never finished "<a " * 1.7M.
GUARD_S = float(os.environ.get("PACKETLENS_TEST_PARSE_GUARD_S", "120"))
FIVE_MB = 5 * 1024 * 1024
ADVERSARIAL = {
    "<a ": "<a " * (FIVE_MB // 3),
    "spaces before a bullet": " " * (120 * 1024) + "- x\n",
    "5 MB of spaces then a bullet": " " * FIVE_MB + "- x\n",
    "unclosed comments": "- x <!-- " * (FIVE_MB // 9),
    "open brackets": "- [" * (FIVE_MB // 3),
    "open emphasis": "- **a " * (FIVE_MB // 6),
    "open links": "[a](" * (FIVE_MB // 4),
    "backticks": "`" * FIVE_MB,
    "deep nesting": "".join("  " * (i % 400) + "- x\n" for i in range(FIVE_MB // 400)),
    "the most bullets taken": "- Cut p95 from 480 to 210 ms.\n" * 49_999,
    "the most glyph lines taken": "● Built it\nwrapped and\n" * 24_999,
    "long lines": ("- " + "word " * 20_000 + "\n") * (FIVE_MB // 100_000),
    "list items on one line (HTML)": "<li>x" * 199_999,
}


@pytest.mark.timeout(GUARD_S)
@pytest.mark.parametrize("case", sorted(ADVERSARIAL))
@pytest.mark.parametrize("fmt", ["markdown", "text", "html"])
def test_five_mb_of_adversarial_content_parses(case, fmt):
    parse_packet(ADVERSARIAL[case], fmt)


def test_the_markdown_path_imports_no_other_format_reader():
    import subprocess
    import sys

    code = ("import sys; from packetlens.parsing import parse_bytes; "
            "assert parse_bytes(b'# Impact\\n- Cut p95 from 480 to 210 ms.\\n', 'p.md').bullets; "
            "print([m for m in ('docx', 'charset_normalizer', 'lxml', 'html.parser', 'packetlens.formats.html', "
            "'packetlens.formats.docx') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_formats_docstring_examples_run():
    import doctest

    import packetlens.formats

    failed, attempted = doctest.testmod(packetlens.formats)
    assert attempted >= 2 and failed == 0


@pytest.mark.timeout(GUARD_S)
@pytest.mark.parametrize("text", ["- Cut p95.\n" * 60_000, "\n" * FIVE_MB, "<li>x" * (FIVE_MB // 5)])
def test_more_than_a_packet_holds_is_refused_before_parsing(text):
    from packetlens.errors import InputFileError

    with pytest.raises(InputFileError, match="more than a packet holds"):
        parse_packet(text, "html" if text.startswith("<") else "markdown")
