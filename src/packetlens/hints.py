"""Concrete, checkable advice for one bullet, from its head outputs and its text."""

from __future__ import annotations

import re

from packetlens.results import HeadScore

HINTS = {
    "quantified_counterfactual": "no baseline -> result: say what it was before and after, on how much "
                                 "traffic or data, over what period (an A/B or holdout if you had one)",
    "second_order_leverage": "leverage not shown: name who built on it (teams, launches, engineers) "
                             "and what they could do that they could not before",
    "difficulty_named": "difficulty unnamed: say what failed before or why the obvious fix did not work",
    "uncertainty_bounded": "uncertainty unbounded: say how sure the number is (sample, interval, "
                           "no holdout) and bound your share of it",
}
FRAMING_HINT = "reads as housekeeping: name the system you built or owned and who uses it"
VANITY_HINT = "numbers count effort, not effect: replace the count with what changed because of it"
VAGUE_HINT = "vague verb ({verb}): say what you built or changed, and what it did"
BURIED_HINT = "leverage buried in a sub-clause: lead with who built on it"
WE_HINT = "\"we\" hides your part: say what you did yourself"

_VAGUE = re.compile(r"\b(helped|assisted|supported|worked on|was involved in|participated in|"
                    r"contributed to|tweaked|tuned|improved|enhanced|optimi[sz]ed|refined)\b", re.I)
_BURIED = re.compile(r"\b(plus|also|and) (some|a few)\b.*\b(others?|teams?|folks|people)\b", re.I)
_WE = re.compile(r"\bwe\b", re.I)
_I = re.compile(r"\b(I|my|me)\b")
_DIGIT = re.compile(r"\d")


def hints_for(text: str, strength: HeadScore, framing: HeadScore | None, moves: dict[str, float],
              *, max_hints: int = 3) -> tuple[str, ...]:
    """Up to ``max_hints`` hints, most useful first. A strong bullet gets at most one.

    A head the model lacks (``framing`` ``None``, a move absent from ``moves``) gives no hint:
    the model has nothing to say about it."""
    out: list[str] = []
    weak = strength.label == "weak"
    if weak:
        m = _VAGUE.search(text)
        if m:
            out.append(VAGUE_HINT.format(verb=m.group(1).lower()))
        if _BURIED.search(text) and moves.get("second_order_leverage", 1.0) < 0.5:
            out.append(BURIED_HINT)
        if _WE.search(text) and not _I.search(text):
            out.append(WE_HINT)
        if _DIGIT.search(text) and moves.get("quantified_counterfactual", 1.0) < 0.5:
            out.append(VANITY_HINT)
        if framing is not None and framing.label == "housekeeping":
            out.append(FRAMING_HINT)
    order = ["quantified_counterfactual", "second_order_leverage", "difficulty_named"]
    if moves.get("quantified_counterfactual", 0) >= 0.5:
        order.append("uncertainty_bounded")
    for move in order:
        if move in moves and moves[move] < 0.5 and not (move == "quantified_counterfactual" and VANITY_HINT in out):
            out.append(HINTS[move])
    return tuple(out[: max_hints if weak else 1])
