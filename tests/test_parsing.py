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
    import pytest

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
