"""Concrete, checkable advice for one bullet: each hint is justified by a head and a text check.

A hint is emitted only when two sources agree: a head of the model (the strength head says the
bullet reads weak, or a move head says the move is missing) and a rubric fact read from the text
(:mod:`packetlens.cues`) that names what to fix. Each hint has a stable code a host tool can act on
and a user can silence (``[tool.packetlens] ignore = ["PL101"]``, ``--ignore PL101``), and names the
words of the bullet it is about when there are some. Bullets the model reads as strong get no
fix-it hints.

| code | name | head | fires when |
|---|---|---|---|
| PL101 | vague-verb | strength | a vague verb (helped, worked on, improved...) and no measured result |
| PL102 | effort-count | strength | a count of effort (PRs, tickets, dashboards) and no measured result |
| PL103 | we-hides-author | strength | "we" / "the team" and no first-person part |
| PL104 | handed-off | strength | the outcome is handed to someone else (filed, proposed, handed over) |
| PL105 | hedged-outcome | strength | the outcome is hedged (seems, feels, should, positive feedback) |
| PL106 | mechanism-only | strength | how it works (knobs, stack) and no effect |
| PL107 | tiny-delta | strength | the before/after moves under 2% or sits inside noise |
| PL108 | version-bump | strength | a version change stands where a result should |
| PL109 | finding-no-fix | strength | a diagnosis with no fix and no effect |
| PL110 | duties-not-outcome | strength | what you own or are responsible for, no change |
| PL111 | buried-leverage | second_order_leverage | who built on it is in a sub-clause ("plus some tooling others used") |
| PL112 | activity-not-outcome | strength | an activity (was on call, ran the weekly review, mentored, presented) and no result |
| PL201 | no-before-after | quantified_counterfactual | the head says missing and the text has no before/after |
| PL202 | no-leverage | second_order_leverage | the head says missing and the text names no one who built on it |
| PL203 | no-difficulty | difficulty_named | the head says missing and the text names no failure, constraint or cause |
| PL204 | unbounded-number | uncertainty_bounded | a before/after is there, the head says unbounded, the text has no interval |
| PL301 | housekeeping-framing | framing | the head says housekeeping and the text names no artifact |

Example::

    >>> [h.code for h in hints_for("Helped with query understanding.", 0.02, 0.1,  # doctest: +SKIP
    ...                            {"quantified_counterfactual": 0.01, ...})]
    ['PL101', 'PL201', 'PL202']
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from packetlens import cues as C
from packetlens.errors import SettingsError

WEAK_FOR_HINTS = 0.5
"""Disqualifier hints (PL1xx) need P(strong) under this: the strength head calls the bullet weak."""

MOVE_MISSING = 0.3
"""Missing-move hints (PL2xx) need the move's head under this. At 0.5, on the held-out writers,
7 of 140 before/after hints contradicted the gold moves; at 0.3, 5 of 132 (benchmarks/hints.py)."""

FRAMING_HOUSEKEEPING = 0.3
"""PL301 needs P(system) under this (at 0.5, 20 of 116 weak bullets so told were system by gold)."""

MAX_HINTS = 3


@dataclass(frozen=True)
class Rule:
    """One kind of hint: its stable code and name, the head that justifies it, its advice."""

    code: str
    name: str
    head: str
    advice: str


RULES: dict[str, Rule] = {r.code: r for r in (
    Rule("PL101", "vague-verb", "strength", "vague verb {w}: say what you built or changed, and what it did"),
    Rule("PL102", "effort-count", "strength", "{w} counts effort, not effect: say what changed because of it"),
    Rule("PL103", "we-hides-author", "strength", "{w} hides your part: say what you did yourself"),
    Rule("PL104", "handed-off", "strength", "the outcome is handed off ({w}): say what changed, or what you did to land it"),
    Rule("PL105", "hedged-outcome", "strength", "the outcome is hedged ({w}): give the measured effect, or bound it"),
    Rule("PL106", "mechanism-only", "strength", "says how it works ({w}) but not what it changed: add the effect"),
    Rule("PL107", "tiny-delta", "strength", "the before/after ({w}) is inside noise or under 2%: show it is real, "
                                            "or lead with an effect that is"),
    Rule("PL108", "version-bump", "strength", "a version change ({w}) is not a result: say what the upgrade changed"),
    Rule("PL109", "finding-no-fix", "strength", "a finding ({w}) with no fix or effect: say what changed after it"),
    Rule("PL110", "duties-not-outcome", "strength", "lists what you own ({w}), not what changed: name one outcome"),
    Rule("PL111", "buried-leverage", "second_order_leverage", "leverage buried in a sub-clause ({w}): lead with who built on it"),
    Rule("PL112", "activity-not-outcome", "strength", "{w} names an activity, not an outcome: say what changed because of it"),
    Rule("PL201", "no-before-after", "quantified_counterfactual",
         "no before/after for {w}: say what it was before and after, on how much traffic or data, over what period"),
    Rule("PL202", "no-leverage", "second_order_leverage",
         "no one builds on it here: name who did (teams, launches, engineers) and what they could then do"),
    Rule("PL203", "no-difficulty", "difficulty_named",
         "no difficulty named: say what failed before, or why the obvious fix did not work"),
    Rule("PL204", "unbounded-number", "uncertainty_bounded",
         "the number is unbounded: say how sure it is (sample, interval, no holdout) and your share of it"),
    Rule("PL301", "housekeeping-framing", "framing", "reads as housekeeping: name the system you built or owned and who uses it"),
)}
CODES_BY_NAME = {r.name: code for code, r in RULES.items()}


@dataclass(frozen=True)
class Hint:
    """One piece of advice: its rule, the message, and the words of the bullet it is about.

    ``start`` is the character offset of ``words`` in the scored text (``None`` when the hint is
    about something missing); ``line`` / ``col`` are where those words stand in the source file,
    filled in by :meth:`~packetlens.scorer.PacketScorer.score_packet` (1-based; 0 when unknown).
    """

    code: str
    name: str
    head: str
    message: str
    words: str | None = None
    start: int | None = None
    line: int = 0
    col: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "head": self.head, "message": self.message,
                "words": self.words, "line": self.line, "col": self.col}


def resolve_ignore(ignore: Collection[str]) -> frozenset[str]:
    """Codes to silence from codes or names (``PL101``, ``vague-verb``, or comma-separated);
    an unknown one is a :class:`~packetlens.errors.SettingsError` (a ValueError)."""
    out = set()
    for item in ignore:
        for part in str(item).split(","):
            part = part.strip()
            if not part:
                continue
            code = part.upper() if part.upper() in RULES else CODES_BY_NAME.get(part.lower())
            if code is None:
                raise SettingsError(f"unknown hint code {part!r}; known: {', '.join(RULES)} "
                                 f"(or their names, e.g. vague-verb)")
            out.add(code)
    return frozenset(out)


_VAGUE = re.compile(r"\b(helped|help with|assisted|supported|worked on|working on|was involved in|involved in|"
                    r"participated in|contributed to|tweaked|tuned|improved|enhanced|optimi[sz]ed|refined|"
                    r"collaborated on|partnered with|drove alignment|championed|spearheaded)\b", re.I)
_BURIED = re.compile(r"\b(?:plus|also|and) (?:some|a few)\b[^.;]*\b(?:others?|teams?|folks|people)\b", re.I)
_WE_WORD = re.compile(r"\b(we|we've|we're|our|us|the team|my team)\b", re.I)
# text checks that a move is there in other words than the cues read (an outage, a constraint)
_DIFFICULTY_TEXT = re.compile(r"\b(outage|incident|silently|broke|broken|hard|tricky|despite|without (?:breaking|"
                              r"downtime|losing)|constraint|failed|failing|flaky|bug|race|deadlock|only \d|"
                              r"legacy|nobody|no one|after the|kept|unsolved|stuck)\b", re.I)
_EFFORT_WORDS = re.compile(r"\b\d[\d,]*\+?\s(?:new |more |extra |additional )?(?:pull requests|prs|commits|tickets|"
                           r"jiras|dashboards|docs|meetings|interviews|reviews|code reviews|bugs|issues|tests|"
                           r"test cases|alerts|runbooks|slides|stories|story points|tasks|pages)\b", re.I)
_ACTIVITY = re.compile(r"\b(?:was on[- ]call|on[- ]call for|ran the (?:weekly|daily|monthly|biweekly) [\w-]+(?: [\w-]+)?|"
                       r"mentored [\w-]+(?: [\w-]+)?|presented (?:at|to) [\w-]+(?: [\w-]+)?|attended [\w-]+|"
                       r"organi[sz]ed (?:the |a )?[\w-]+|hosted (?:the |a )?[\w-]+|participated in [\w-]+|"
                       r"interviewed \d+ [\w-]+)", re.I)
# the bullet's claim, named by PL201: its words up to a clause break (80 characters at most), else its first six
_CLAIM = re.compile(r"^(?:[^,;:.()]|\.(?=\w)){1,80}?(?=[,;:(]|\.(?!\w)|$)|^(?:\S+\s+){5}\S+|^\S+")
_VERSION_WORDS = re.compile(r"\bv?\d+(?:\.\d+)+\s*(?:->|→|to)\s*v?\d+(?:\.\d+)*|\bv\d+(?:\.\d+)*\b")
_COMPARISON = re.compile(r"->|→|=>|\b(?:vs\.?|versus|baseline|compared (?:to|with)|from \$?\d|was \$?\d|"
                         r"(?:up|down) \$?\d|[-+]\d[\d.]*\s?(?:%|pts?|pp|x)|\d+(?:\.\d+)?x (?:faster|cheaper|fewer|more|less))",
                         re.I)
_LEVERAGE_TEXT = re.compile(r"\b(powers|powering|used by|consum\w*|depend\w*|relied|rely|reus\w*|shared|"
                            r"across \d+ (?:teams?|squads?|services|orgs?|apps|products)|(?:sibling|downstream|other) "
                            r"(?:apps?|teams?|services|models|tools)|template for|company-wide|org-wide)\b", re.I)
_ARTIFACT = re.compile(r"\b(api|service|pipeline|harness|gate|platform|tool(?:ing|kit)?|library|sdk|cli|"
                       r"dataset|model|system|layer|router|index|store|engine|framework|dashboard|bot|"
                       r"playbook|runbook|controller|scheduler|queue|cache|retriever|classifier|agent|app|"
                       r"endpoint|job|workflow|benchmark|suite|eval)s?\b", re.I)


def _find(rx: re.Pattern[str], text: str) -> re.Match[str] | None:
    """``rx`` in ``text``; the cue patterns (:mod:`packetlens.cues`) are lower case, so they are also
    tried on the lower-cased text (same offsets where lower-casing keeps the length)."""
    m = rx.search(text)
    if m is None:
        low = text.lower()
        if len(low) == len(text):
            m = rx.search(low)
    return m


def _words(rx: re.Pattern[str], text: str) -> tuple[str | None, int | None]:
    m = _find(rx, text)
    return (text[m.start():m.end()], m.start()) if m else (None, None)


def hints_for(text: str, p_strong: float, p_system: float | None, moves: Mapping[str, float], *,
              ignore: Collection[str] = (), max_hints: int = MAX_HINTS) -> tuple[Hint, ...]:
    """Up to ``max_hints`` hints for one bullet, disqualifiers first, then missing moves.

    Args:
        text: the bullet as scored.
        p_strong: the strength head's P(strong); at or above :data:`WEAK_FOR_HINTS` no hint is given.
        p_system: the framing head's P(system), or ``None`` when the model has no framing head.
        moves: move name -> the move head's probability (a move the model lacks is left out).
        ignore: codes to leave out (already resolved by :func:`resolve_ignore`).
    """
    if p_strong >= WEAK_FOR_HINTS:
        return ()
    f = C.facts(text)
    result = f["real_result"]
    cands: list[tuple[str, str | None, int | None]] = []

    def add(code: str, rx: re.Pattern[str] | None = None) -> None:
        w, s = _words(rx, text) if rx is not None else (None, None)
        cands.append((code, w, s))

    if not result:
        if f["vague_verb"] or _VAGUE.search(text):
            add("PL101", _VAGUE if _VAGUE.search(text) else C._VAGUE)
        effort = next((rx for rx in (_EFFORT_WORDS, C._EFFORT) if _find(rx, text)), None)
        if effort is not None and not f["before_after"] and not f["change_by_amount"] and not _COMPARISON.search(text):
            add("PL102", effort)
        if _ACTIVITY.search(text) and not f["ownership_duties"] and f["no_outcome_at_all"] \
                and not re.search(r"\bnow\b", text, re.I):
            add("PL112", _ACTIVITY)
    if f["we_hides_author"] and _WE_WORD.search(text):
        add("PL103", _WE_WORD)
    if f["handoff_no_result"]:
        add("PL104", C._HANDOFF)
    if f["hedged_no_result"]:
        add("PL105", C._HEDGE)
    mech = _find(C._MECHANISM, text)
    if f["mechanism_no_result"] and not f["effort_count"] and not f["before_after"] and mech \
            and not (_VAGUE.search(text) and mech.group(0).lower() in _VAGUE.search(text).group(0).lower()):
        add("PL106", C._MECHANISM)
    if f["tiny_delta"] and not f["harm_caused"]:
        add("PL107", C._FROM_TO if _find(C._FROM_TO, text) else C._ARROW)
    if f["version_bump"] and not result and not f["result_verb"]:
        add("PL108", _VERSION_WORDS if _VERSION_WORDS.search(text) else C._VERSION)
    if f["investigation_no_result"] and not f["handoff"]:
        add("PL109", C._INVESTIGATE)
    if f["ownership_duties"] and not result:
        add("PL110", C._OWNERSHIP)
    lev = moves.get("second_order_leverage")
    if _BURIED.search(text) and lev is not None and lev < 0.5:
        add("PL111", _BURIED)

    def missing(move: str) -> bool:
        p = moves.get(move)
        return p is not None and p < MOVE_MISSING

    if missing("quantified_counterfactual") and not f["before_after"] and not f["change_by_amount"] \
            and not f["version_bump"] and not _COMPARISON.search(text):
        add("PL201", _CLAIM)
    if missing("second_order_leverage") and not f["leverage"] and not _BURIED.search(text) \
            and not _LEVERAGE_TEXT.search(text):
        add("PL202")
    if missing("difficulty_named") and not f["difficulty"] and not _DIFFICULTY_TEXT.search(text):
        add("PL203")
    if missing("uncertainty_bounded") and result and not f["bounded_uncertainty"] and not f["sample_or_duration"]:
        add("PL204")
    if p_system is not None and p_system < FRAMING_HOUSEKEEPING and not _ARTIFACT.search(text) \
            and not f["before_after"] and not _COMPARISON.search(text):
        add("PL301")

    out: list[Hint] = []
    for code, w, s in cands:
        if code in ignore or (w and any(h.words and w.lower() in h.words.lower() for h in out)):
            continue  # silenced, or about the same words as a hint before it
        r = RULES[code]
        msg = r.advice.format(w=f"'{w}'" if w else "this bullet")
        out.append(Hint(code, r.name, r.head, msg, w, s))
    return tuple(out[:max_hints])


# ------------------------------------------------------------------ rewrite scaffold

SLOTS = {
    "quantified_counterfactual": "<metric> went from <before> to <after> on <sample> over <period>",
    "second_order_leverage": "<who> now builds on it",
    "difficulty_named": "<what failed before, or why the obvious fix did not work>",
    "uncertainty_bounded": "<how sure: interval, sample, or no holdout>",
}
"""The slot each missing move adds to a rewrite scaffold."""

FILLED = {
    "quantified_counterfactual": "the error rate went from 9% to 4% on 20k requests over four weeks",
    "second_order_leverage": "two other teams now build on it",
    "difficulty_named": "two earlier fixes had been rolled back",
    "uncertainty_bounded": "95% CI 3% to 5%",
    "we": "I wrote the change myself",
}
"""Neutral values for the slots, used only to estimate how far a fix moves a bullet's score."""
WE_SLOT = "<what you did yourself>"


def _slots(moves: Mapping[str, float], hints: tuple[Hint, ...]) -> list[str]:
    """The keys of :data:`FILLED` a scaffold marks, in order: ``we`` first when "we" hides the author,
    then each missing move (uncertainty only once there is a before/after)."""
    keys = ["we"] if any(h.code == "PL103" for h in hints) else []
    keys += [m for m in ("quantified_counterfactual", "second_order_leverage", "difficulty_named")
             if moves.get(m, 1.0) < 0.5]
    if moves.get("quantified_counterfactual", 0.0) >= 0.5 and moves.get("uncertainty_bounded", 1.0) < 0.5:
        keys.append("uncertainty_bounded")
    return keys


def _stem(text: str) -> str:
    return text.strip().rstrip(".;:,!").strip()


def rewrite_scaffold(text: str, moves: Mapping[str, float], hints: tuple[Hint, ...]) -> str:
    """The bullet in the author's own words, with the missing slots marked in ``<angle brackets>``:
    first ``<what you did yourself>`` when "we" hides the author (PL103), then one slot per missing
    move (the uncertainty slot only once there is a number).

    >>> rewrite_scaffold("Tuned the reranker weights.", {"quantified_counterfactual": 0.1,
    ...                  "second_order_leverage": 0.1, "difficulty_named": 0.9}, ())
    'Tuned the reranker weights: <metric> went from <before> to <after> on <sample> over <period>; <who> now builds on it.'
    """
    slots = [WE_SLOT if k == "we" else SLOTS[k] for k in _slots(moves, hints)]
    return _stem(text) + (": " + "; ".join(slots) if slots else "") + "."


def first_fix(text: str, moves: Mapping[str, float], hints: tuple[Hint, ...]) -> str | None:
    """The bullet with only the scaffold's first slot filled with a neutral value: what the first
    fix reads like (``None`` when nothing is missing). Scoring it says how far that fix moves the
    bullet; filling every slot lifts nearly every bullet to P(strong) ~1, which orders nothing."""
    keys = _slots(moves, hints)
    return f"{_stem(text)}: {FILLED[keys[0]]}." if keys else None
