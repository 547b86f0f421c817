"""Hints with the real model: each tied to a head and a text check, coded, silenceable, naming words."""

import pytest

from packetlens.errors import SettingsError
from packetlens.hints import RULES, hints_for, resolve_ignore, rewrite_scaffold


def _one(scorer, text, **kw):
    (b,) = scorer.score([text], **kw)
    return b


@pytest.mark.parametrize("text", [
    "Wrote rfc-42 for the ranking migration.",
    "Upgraded Airflow from 1.10 to 2.7 across the scheduler fleet.",
    "Achieved 99.9% uptime on the rewriter endpoint.",
])
def test_digits_that_count_no_effort_get_no_effort_hint(default_scorer, text):
    b = _one(default_scorer, text)
    assert not any("count" in h and "effort" in h for h in b.hints), b.hints
    assert "PL102" not in b.hint_codes


def test_a_version_bump_is_named_as_such(default_scorer):
    b = _one(default_scorer, "Upgraded Airflow from 1.10 to 2.7 across the scheduler fleet.")
    assert b.hint_codes[0] == "PL108" and "1.10 to 2.7" in b.hint_details[0].words


def test_a_named_api_with_consumers_is_not_told_to_name_a_system(default_scorer):
    b = _one(default_scorer, "Shipped the merchant risk score API (/v2/risk/merchant) to three internal consumers.")
    assert not any("name the system" in h for h in b.hints) and "PL301" not in b.hint_codes


OUTAGE = ("After the March outage, where a bad push silently zeroed 30% of payouts, I built the config canary: bad "
          "pushes caught before reaching users went from 0 of 4 to 6 of 6 over two quarters, and three teams now gate "
          "their pushes on it.")


def test_a_named_difficulty_is_not_called_unnamed(default_scorer):
    b = _one(default_scorer, OUTAGE)
    assert not any("difficulty" in h for h in b.hints) and "PL203" not in b.hint_codes
    # the text check alone, on a bullet the heads call weak and missing every move
    low = {m: 0.1 for m in ("quantified_counterfactual", "second_order_leverage", "difficulty_named", "uncertainty_bounded")}
    assert "PL203" not in [h.code for h in hints_for(OUTAGE, 0.1, 0.1, low, max_hints=20)]
    assert "PL203" in [h.code for h in hints_for("Added a config canary.", 0.1, 0.1, low, max_hints=20)]


@pytest.mark.parametrize("text, code, words", [
    ("Investigated the flaky checkout tests and filed a ticket for the payments team.", "PL104", "filed a ticket"),
    ("We improved the eval process a lot this half.", "PL103", "We"),
    ("Merged 140 PRs across the ranking repos.", "PL102", "140 PRs"),
    ("Helped with query understanding.", "PL101", "Helped"),
    ("Rolled out the new prompt; it seems to pull more relevant results.", "PL105", "seems"),
])
def test_hints_name_the_disqualifier_and_the_words(default_scorer, text, code, words):
    b = _one(default_scorer, text)
    (h,) = [h for h in b.hint_details if h.code == code]
    assert h.words == words and f"'{words}'" in h.message and h.message in b.hints
    assert h.name == RULES[code].name and text[h.start:h.start + len(words)] == words


def test_every_hint_is_tied_to_its_head(example_report):
    assert any(b.hint_details for b in example_report.bullets)
    for b in example_report.bullets:
        if b.is_strong:
            assert b.hints == () and b.hint_details == () and b.rewrite is None
        for h in b.hint_details:
            assert h.code in RULES and h.head == RULES[h.code].head
            if h.head in b.moves:
                assert b.moves[h.head] < 0.5, (h.code, b.text)
            if h.head == "strength":
                assert b.strength.p < 0.5
            if h.head == "framing":
                assert b.framing.p < 0.5


def test_hints_differ_across_bullets(example_report):
    weak = [b for b in example_report.bullets if not b.is_strong]
    messages = [m for b in weak for m in b.hints]
    assert len(set(messages)) >= 10
    sets = [b.hint_codes for b in weak]
    assert len(set(sets)) >= 5 and max(sets.count(c) for c in set(sets)) < 0.5 * len(weak)


def test_ignore_by_code_or_name(default_scorer):
    text = "Helped with query understanding."
    b = _one(default_scorer, text, ignore=["PL101", "no-leverage"])
    assert "PL101" not in b.hint_codes and "PL202" not in b.hint_codes and b.hint_codes
    assert resolve_ignore(["pl101,no-difficulty"]) == {"PL101", "PL203"}
    with pytest.raises(SettingsError, match="unknown hint code 'PL999'"):
        resolve_ignore(["PL999"])


def test_rewrite_scaffold_keeps_the_authors_words_and_marks_the_slots(default_scorer):
    b = _one(default_scorer, "Tuned the reranker weights.")
    assert b.rewrite.startswith("Tuned the reranker weights: ")
    assert "<metric> went from <before> to <after>" in b.rewrite and "<who> now builds on it" in b.rewrite
    we = _one(default_scorer, "We migrated the feature store to Redis.")
    assert "<what you did yourself>" in we.rewrite
    assert we.p_if_fixed is not None and we.p_if_fixed > we.strength.p
    assert rewrite_scaffold("Cut p99 from 80 to 40 ms.", {"quantified_counterfactual": 0.9, "second_order_leverage": 0.9,
                                                          "difficulty_named": 0.9, "uncertainty_bounded": 0.1}, ()) \
        == "Cut p99 from 80 to 40 ms: <how sure: interval, sample, or no holdout>."


def test_hint_positions_in_the_source(default_scorer):
    report = default_scorer.score_packet("# Work\n\n- Shipped things.\n- Merged 140 PRs across\n  the ranking repos.\n",
                                         fmt="markdown")
    (h,) = [h for b in report.bullets for h in b.hint_details if h.code == "PL102"]
    assert (h.line, h.col) == (4, 10)
