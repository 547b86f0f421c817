"""Rubric cues: a few dozen 0/1 facts about a bullet's clauses that the rubric turns on.

The embedding and TF-IDF read vocabulary; a committee reads logic. A bullet can sound concrete
(numbers, system names, "from X to Y") and still be weak by the rubric (RUBRIC.md) because its outcome is
absent (handed off, a mechanism with no effect, "seems better"), the author's part is hidden by
"we", or its before/after is no result (a delta inside noise, harm caused, a version bump, a
count of effort). These cues name those facts directly so the heads can weigh them beside the
text features, and so they carry to writers whose vocabulary the training rows never used.

Every cue is a regular-expression test over the bullet, linear in its length (no nested
quantifiers). :func:`cue_matrix` returns shape ``(n, len(CUE_NAMES))``, float64 in {0, 1}.
The names and their order are part of the model artifact: a model records ``CUES_VERSION`` and
the names it was trained with, and scoring refuses a mismatch.

Example::

    >>> dict(zip(CUE_NAMES, cue_vector("Traced the p99 spikes to GC pauses; handed it to the platform team.")))["handoff"]
    1.0
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

CUES_VERSION = 1

_I = re.compile(r"\b(i|i'm|i've|i'd|i'll|me|myself|mine|my(?! (?:[\w-]+ ){0,3}(?:team|org|group|squad|reports|engineers|crew|pod)s?\b))\b")
_WE = re.compile(r"\b(we|we've|we're|our|us|the team|my team|the team's|the squad|the org|the group|"
                 r"(?:the|our|my|an?) (?:[\w-]+ ){0,3}(?:team|group|org|squad|rotation|crew|pod)s?(?:'s)?|^\W*(?:team|org|squad|group)\b|"
                 r"together with|jointly|as a team)\b")
_EFFORT_METRIC = re.compile(r"\b(code reviews|reviews done|dashboards?|tests|test count|docs|design docs|pages of|"
                            r"(?:merged )?prs(?: merged)?|pull requests|commits|a/b tests|experiments run|tickets closed|"
                            r"tickets|meetings|budget|headcount|team size|views|dags|eval runs|models served|"
                            r"index size|eval set|number of|count of|storage)\b")
_NUM = r"[-+~≈−]?\$?\d[\d,]*(?:\.\d+)?(?:\s?(?:%|x|ms|s|k|m|b|pts?|pp|bps|h|hrs?|min|mins|minutes|hours|days|d|gb|tb|mb|seconds|secs|sec)(?![a-z]))?"
_RANGE_BEFORE = re.compile(r"(?:\bci|interval|between|range|±|\+/-|band|bounds?|spread)[\s:=(]*(?:of\s+|on the gap\s+|is\s+)?[−+-]?$")
_FROM_TO = re.compile(rf"\bfrom\s+(?:~|about\s+|roughly\s+)?({_NUM})\b.{{0,40}}?\bto\s+(?:~|about\s+)?({_NUM})")
_ARROW = re.compile(rf"({_NUM})\s*(?:->|→|=>|➝|to)\s*({_NUM})")
_BY_PCT = re.compile(r"\b(cut|reduc\w*|drop\w*|lower\w*|rais\w*|ros[e]|grew|increas\w*|improv\w*|lift\w*|"
                     r"boost\w*|doubl\w*|halv\w*|decreas\w*|sav\w*|shrank|shrunk|fell|slash\w*|trimm\w*)\b"
                     r"[^.;]{0,60}?\b(by|to)\s+(?:~|about\s+|roughly\s+)?\$?\d")
_MULTIPLE = re.compile(r"\b\d+(?:\.\d+)?\s?x\b|\b(halved|doubled|tripled|cut in half)\b")
_SAMPLE = re.compile(r"\b(n\s?=\s?\d|a/b|ab test|holdout|hold-out|held-out|canary|control group|randomi[sz]ed|"
                     r"\d+[\d,.]*\s?(?:k|m|b)?\s(?:users|requests|req|queries|searches|sessions|orders|"
                     r"tickets|calls|customers|merchants|accounts|transactions|samples|examples|prompts|"
                     r"conversations|chats|events|rows|labels|jobs|builds|deploys|pages)\b|"
                     r"over\s+(?:\w+\s+){0,2}(?:weeks?|months?|quarters?|days?)|\d+[- ](?:wk|week|day|month)s?\b|"
                     r"\bp\s?[<=]\s?0?\.\d|significan\w*|statistically)")
_CI = re.compile(r"\b(95%\s*ci|ci\s|confidence interval|±|\+/-|\bci\b|interval|error bars?|"
                 r"between\s+(?:a\s+)?\S+\s+and\s+\S+|at (?:most|least)\s|upper bound|lower bound|"
                 r"no holdout|not (?:fully )?attribut\w*|attribut\w+|confound\w*|can'?t (?:fully )?separate|"
                 r"seasonality|margin|uncertain\w*|range of|give or take|roughly half|a third|a quarter)")
_LEVERAGE = re.compile(r"\b(enabl\w*|unblock\w*|adopted|now (?:use|uses|run|runs|build|builds|rel(?:y|ies)|on)|"
                       r"built on|builds on|reused|re-used|(?:other|two|three|four|five|\d+|several|more) teams?|"
                       r"teams? (?:now|use|adopted)|onboard\w*|cited|standard for|default for|"
                       r"every (?:team|new|service|model|launch))\b")
_DIFFICULTY = re.compile(r"\b(earlier (?:attempt|fix|try|version)s?|previous (?:attempt|fix|try)s?|"
                         r"first (?:attempt|version|try)|(?:two|three|several|\d) (?:earlier|previous|prior) |"
                         r"rolled back|reverted|had failed|failed because|didn'?t work|did not work|"
                         r"turned out|root cause|the obvious|interact\w*|regress\w*|tried|instead of|"
                         r"because|why)\b")
_HANDOFF = re.compile(r"\b(hand(?:ed|ing)? (?:it |this |them |the \w+ )?(?:off|over)|escalat\w*|documented|"
                      r"propos\w+|recommend\w*|"
                      r"their (?:team|backlog|roadmap|queue|sprint)|opened (?:a |an )?(?:ticket|issue|jira|bug)|"
                      r"passed (?:it |this |them )?(?:on |along )?to|filed (?:a |an |the )?\w*\s?(?:ticket|bug|jira|issue)|"
                      r"raised (?:it |this )?with|flagged (?:it |this )?to|wrote (?:it )?up|write-?up|"
                      r"(?:for|so) (?:the )?\w+ (?:team )?(?:to|could) (?:fix|pick|own|address|take)|"
                      r"recommend\w* (?:that|a|the)|proposed (?:a |the )?fix|(?:sent|shared) (?:the |my )?(?:analysis|findings|report|rca)|"
                      r"their backlog|pending (?:a |the )?fix|awaiting|"
                      r"(?:handed|passed|sent|gave|escalated|assigned|transferred|routed|filed)\b[^.;]{0,40}"
                      r"\b(?:to|with|for) the [\w-]+ (?:team|owners?|group|oncall|on-call))\b")
_INVESTIGATE = re.compile(r"\b(investigat\w*|diagnos\w*|traced|tracked (?:\w+ ){0,4}(?:to|down)|root[- ]caus\w*|dug into|"
                          r"debugg\w*|analy[sz]ed|identified|found (?:that|the|out)|discovered|profil\w*|characteri[sz]ed|"
                          r"bisect\w*|isolated|established that|worked out|pinned (?:\w+ ){0,3}(?:down|to)|narrowed|"
                          r"showed that|figured out|confirmed that|audited|reproduced)\b")
_FIXED = re.compile(r"\b(fixed|patched|shipped (?:the |a )?fix|resolved|i (?:rolled out|deployed|shipped|landed|merged) (?:the |a )?fix)\b")
_HEDGE = re.compile(r"\b(seems?|seemed|appears? to|apparently|anecdotal\w*|early signals?|signals? (?:look|are)|"
                    r"looks? (?:good|better|promising|positive)|feels? (?:faster|better|snappier)|"
                    r"should (?:save|help|improve|reduce|cut|make)|expected to|hopefully|we think|i think|i believe|"
                    r"(?:my |the )?impression|spot[- ]checks?|judging by|eyeball\w*|qualitative\w*|informal\w*|"
                    r"looks? (?:lower|higher|faster|cleaner|healthier|smaller|fewer)|likely|anecdote|vibes?|"
                    r"(?:feedback|reception) (?:has been |was |is )?(?:positive|good|great)|people (?:seem|say)|"
                    r"(?:much|noticeably|clearly) (?:faster|better|rarer|fewer)|feels?|felt|"
                    r"similar range|roughly the same|in the same ballpark|positive feedback|people (?:like|liked)|"
                    r"promising|likely (?:to )?(?:help|improve|save)|probably|might|may (?:help|improve|save))\b")
_HARM = re.compile(r"\b(caus(?:ed|ing) (?:a |an )?(?:[\w-]+ ){0,3}(?:outage|incident|sev-?\d|regression|drop|spike|"
                   r"downtime|page|data loss)|took (?:\w+ ){0,3}down|(?:my|i) (?:[\w-]+ ){0,4}(?:caused|broke|took down)|"
                   r"data loss|outage (?:i|my) caused|rollback of my)\b")
_HARM_RESULT = re.compile(r"(?:to|->|→)\s*0(?:\.0+)?\s?%|\bto zero\b|\bdown to 0\b|\bdropped\b[^.;]{0,40}\bto 0\b")
_OWNERSHIP = re.compile(r"\b(own(?:s|ed|ing)? (?:the|our|a)\b|owner of|responsible for|maintain\w*|"
                        r"point of contact|poc for|on-?call for|in charge of|keep \w+ running|looked after)\b")
_DUTIES = re.compile(r"[:;]\s*\w+[^.;]{0,40},\s*\w+[^.;]{0,40},")
_MECHANISM = re.compile(r"\b(lr|learning rate|batch size|epochs?|layers?|trees|leaves|depth|temperature|top-?[kp]|"
                        r"threshold|embedding dim\w*|rank \d|lora|k\s?=|alpha|beta|dropout|warmup|shards?|replicas?|"
                        r"partition\w*|ttl|timeout|retries|pool size|heap|workers?|config\w*|param\w*|knobs?|"
                        r"architect\w*|re-?architect\w*|pipeline|schema|kafka|flink|spark|redis|grpc|"
                        r"switched (?:to|from)|migrated (?:to|from)|moved (?:to|from)|tuned|set (?:the )?\w+ to)\b")
_EFFORT = re.compile(r"\b\d[\d,]*\+?\s(?:pull requests|prs|commits|tickets|jiras|dashboards|docs|meetings|"
                     r"interviews|reviews|code reviews|bugs|issues|tests|test cases|alerts|runbooks|slides|"
                     r"stories|story points|tasks|incidents handled)\b")
_VERSION = re.compile(r"\bv\d+(?:\.\d+)*\s*(?:->|→|to)\s*v?\d|\b\d+\.\d+\.\d+\b|"
                      r"\b(?:upgrad\w*|bump\w*|version|release)\b[^.;]{0,40}\bfrom\s+(?:[a-z][\w-]*\s+)?v?\d")
_NOISE = re.compile(r"\b(within (?:the )?(?:run-to-run |seed |measurement )?(?:noise|variance|error)|inside (?:the )?noise|"
                    r"single seed|one seed|not (?:statistically )?significant|n\.s\.|no significance|margin of error|"
                    r"no (?:measurable|detectable|significant) (?:change|difference|effect)|noise)\b")
_TRANSIENT = re.compile(r"\b(rolled (?:it )?back|reverted|rollback|roll-back|backed out)\b")
_FOR_A_WHILE = re.compile(r"\b(for (?:about |roughly |nearly |almost )?(?:\d+|a|an|one|two|three|four|five|six|half an?) "
                          r"(?:minutes?|mins?|hours?|hrs?|days?|day|afternoon|morning|night|weekend)|until|before (?:it|the|we|on-call|someone))\b")
_MY_CHANGE = re.compile(r"\b(i (?:pushed|deployed|shipped|merged|rolled out|enabled|changed|flipped|released)|my (?:change|deploy|push|"
                        r"config|migration|flag|feature-flag|release|pr|commit|script|query|rollout))\b")
_LOWER_BETTER = re.compile(r"\b(gap|drift|staleness|delay|variance|latency|p\d\d|ttft|time|cost|spend|bill|errors?|error rate|failures?|incidents?|pages|"
                           r"tickets|churn|abandon\w*|bounce|crash\w*|defects?|flak\w*|skew|toil|lag|downtime|"
                           r"false (?:positives?|negatives?|refusals?)|loss|perplexity|memory|footprint|mttr|mttd)\b")
_HIGHER_BETTER = re.compile(r"\b(ctr|conversion|recall|precision|accuracy|ndcg|mrr|map|auc|f1|bleu|rouge|win-?rate|"
                            r"success|uptime|availability|throughput|qps|rps|coverage|retention|revenue|engagement|"
                            r"satisfaction|csat|nps|hit rate|adoption|score)\b")
_RESULT_VERB = re.compile(r"\b(cut|reduc\w*|dropp\w*|lower\w*|rais\w*|rose|grew|increas\w*|lift\w*|boost\w*|"
                          r"doubl\w*|halv\w*|decreas\w*|sav\w*|sav(?:ed|ing)|shrank|fell|slash\w*|eliminat\w*|"
                          r"prevent\w*|caught|recover\w*|won|beat|went from)\b")
_VAGUE = re.compile(r"\b(helped|help with|worked on|working on|supported|was involved|involved in|participated|"
                    r"contributed to|assisted|tweaked|various|several improvements|some improvements|"
                    r"championed|spearheaded|drove alignment|synergy|data-driven culture|best practices|"
                    r"collaborated|partnered with|liaised)\b")
_DIGIT = re.compile(r"\d")


def _delta(text: str, pairs: list[tuple[float, float, str, int]]) -> tuple[bool, bool]:
    """(has a numeric before/after, some change is under 3% of its size or called noise nearby)."""
    found, tiny = False, False
    for a, b, _kind, end in pairs:
        found = True
        if max(abs(a), abs(b)) > 0 and abs(a - b) / max(abs(a), abs(b)) < 0.03:
            tiny = True
        if _NOISE.search(text[end:end + 50]):
            tiny = True
    return found, tiny


def _pairs(text: str) -> list[tuple[float, float, str, int]]:
    """Every before/after ``(before, after, metric kind, end offset)``: 'from X to Y' and 'X -> Y'.

    A range or interval ("95% CI 0.09 to 0.25", "between 3 and 5") is not a before/after; when one
    side names a unit and the other does not, both take it ("14 min -> 4").
    """
    out, seen = [], set()
    for m in list(_FROM_TO.finditer(text)) + list(_ARROW.finditer(text)):
        if m.start(1) in seen or _RANGE_BEFORE.search(text[max(0, m.start() - 25):m.start()]):
            continue
        seen.add(m.start(1))
        (a, ua), (b, ub) = (_value(g) for g in m.groups())
        if a is None or b is None:
            continue
        if ua != ub and (ua == "" or ub == ""):
            unit = ua or ub
            a, b = (a * _UNIT.get(unit, 1.0) if not ua else a), (b * _UNIT.get(unit, 1.0) if not ub else b)
        if a != b:
            out.append((a, b, _metric_before(text, m.start())[0], m.end()))
    return out


_UNIT = {"ms": 1e-3, "s": 1.0, "min": 60.0, "mins": 60.0, "minutes": 60.0, "h": 3600.0, "hrs": 3600.0,
         "hr": 3600.0, "hours": 3600.0, "seconds": 1.0, "secs": 1.0, "sec": 1.0, "d": 86400.0, "days": 86400.0, "k": 1e3, "m": 1e6, "b": 1e9,
         "mb": 1e6, "gb": 1e9, "tb": 1e12}


def _value(s: str) -> tuple[float | None, str]:
    """A matched number's value in a common unit (``1.2 s`` = ``1200 ms``), and the unit it named."""
    m = re.search(r"(\d[\d,]*(?:\.\d+)?)\s?([a-z%]*)", s.lower())
    if m is None:
        return None, ""
    try:
        value = float(m.group(1).replace(",", ""))
    except ValueError:
        return None, ""
    unit = m.group(2)
    return value * _UNIT.get(unit, 1.0), unit if unit in _UNIT else ""


def _metric_before(text: str, start: int) -> tuple[str, str]:
    """The metric word nearest before ``start`` (within 60 characters): ``(kind, word)``, kind one of
    lower / higher / effort / ''. A word read as its opposite ("crash-free") does not count."""
    left = text[max(0, start - 60):start]
    best = ("", "", -1, -1)
    for kind, rx in (("lower", _LOWER_BETTER), ("higher", _HIGHER_BETTER), ("effort", _EFFORT_METRIC)):
        for m in rx.finditer(left):
            if m.start() > best[2]:
                best = (kind, m.group(0), m.start(), m.end())
    if left[best[3]:best[3] + 5].lower().startswith("-free"):
        return "", ""
    return best[0], best[1]


def _worse(pairs: list[tuple[float, float, str, int]]) -> bool:
    """A before/after whose direction is worse on its metric (p99 up, conversion down)."""
    return any(kind == "lower" and b > a or kind == "higher" and b < a for a, b, kind, _ in pairs)


def _effort_delta(pairs: list[tuple[float, float, str, int]]) -> bool:
    """Every before/after is of a count of effort or size (reviews, dashboards, PRs, budget)."""
    return bool(pairs) and all(kind == "effort" for _, _, kind, _ in pairs)


@lru_cache(maxsize=8192)  # the scorer reads a bullet's cues twice (heads, then hints); callers never mutate
def facts(text: str) -> dict[str, bool]:
    """Every cue of one bullet by name (memoized: the scorer reads them for the heads, then the hints)."""
    t = text[:2000].lower()  # every pattern is lower case: matching without re.I is 2-3x faster
    pairs = _pairs(t)
    before_after, tiny = _delta(t, pairs)
    by_pct = bool(_BY_PCT.search(t)) or bool(_MULTIPLE.search(t))
    i_part, we_part = bool(_I.search(t)), bool(_WE.search(t))
    sample, ci = bool(_SAMPLE.search(t)), bool(_CI.search(t))
    worse = _worse(pairs)
    transient = bool(_TRANSIENT.search(t)) and bool(_FOR_A_WHILE.search(t))
    my_change = bool(_MY_CHANGE.search(t))
    harm = bool(_HARM.search(t)) or bool(_HARM_RESULT.search(t)) or (transient and (before_after or my_change))
    version = bool(_VERSION.search(t))
    effort = bool(_EFFORT.search(t)) or _effort_delta(pairs)
    result_verb = bool(_RESULT_VERB.search(t))
    measured = (before_after or by_pct) and not version
    real_result = measured and not tiny and not harm and not effort and not worse
    handoff, investigate = bool(_HANDOFF.search(t)), bool(_INVESTIGATE.search(t))
    hedge = bool(_HEDGE.search(t))
    leverage, difficulty = bool(_LEVERAGE.search(t)), bool(_DIFFICULTY.search(t))
    owner = bool(_OWNERSHIP.search(t))
    mechanism = bool(_MECHANISM.search(t))
    return {
        "has_digit": bool(_DIGIT.search(t)),
        "before_after": before_after,
        "change_by_amount": by_pct,
        "tiny_delta": tiny,
        "real_result": real_result,
        "real_result_with_sample": real_result and sample,
        "sample_or_duration": sample,
        "bounded_uncertainty": ci,
        "hedged_outcome": hedge,
        "hedged_no_result": hedge and not real_result,
        "first_person_singular": i_part,
        "we_or_team": we_part,
        "we_hides_author": we_part and not i_part,
        "we_hides_result": we_part and not i_part and measured,
        "handoff": handoff,
        "handoff_no_result": handoff and not real_result,
        "investigation": investigate,
        "investigation_no_result": investigate and not real_result and not _FIXED.search(t),
        "worse_direction": worse,
        "noise_or_tiny": tiny,
        "transient_harm": transient,
        "harm_caused": harm,
        "harm_in_result": harm and measured,
        "version_bump": version,
        "effort_count": effort,
        "ownership": owner,
        "ownership_duties": owner and (bool(_DUTIES.search(t)) or not result_verb),
        "mechanism_detail": mechanism,
        "mechanism_no_result": mechanism and not real_result and not leverage,
        "result_verb": result_verb,
        "leverage": leverage,
        "difficulty": difficulty,
        "vague_verb": bool(_VAGUE.search(t)),
        "no_outcome_at_all": not measured and not leverage and not result_verb,
        "disqualified": (we_part and not i_part) or (handoff and not real_result) or (hedge and not real_result)
        or harm or worse or tiny or (effort and not real_result) or (measured and not real_result)
        or (investigate and not real_result and not _FIXED.search(t)),
        "rubric_strong": real_result and not (we_part and not i_part) and (sample or leverage or difficulty or ci),
    }


CUE_NAMES: tuple[str, ...] = tuple(facts("x"))


def cue_vector(text: str) -> np.ndarray:
    """The cues of one bullet, shape ``(len(CUE_NAMES),)``."""
    return np.array([float(v) for v in facts(text).values()])


def cue_matrix(texts: Sequence[str]) -> np.ndarray:
    """The cues of many bullets, shape ``(n, len(CUE_NAMES))`` float64."""
    if not texts:
        return np.zeros((0, len(CUE_NAMES)))
    return np.stack([cue_vector(t) for t in texts])
