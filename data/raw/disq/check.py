"""Check one writer's slice of data/raw/disq/ against BRIEF.md and report its mix.

Usage: python3 data/raw/disq/check.py data/raw/disq/voice_v13.jsonl
"""
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from check_voice import MOVES, ROLES, WORK_TYPES  # noqa: E402

FIELDS = ["id", "text", "strength", "framing", "moves", "role", "work_type", "pair_id", "voice", "tricky",
          "category"]
MINIMUM = {"handoff_no_result": 18, "mechanism_no_effect": 18, "unverified_outcome": 15,
           "ownership_duties": 12, "we_hides_author": 15, "before_after_no_result": 15,
           "terse_notation_strong": 15, "resume_strong": 15, "bounded_uncertainty_strong": 10,
           "difficulty_strong": 10, "clear_strong": 15, "clear_weak": 15, "pair_fixed": 0}
AI = {"reranking", "retrieval_search", "eval_harness", "prompt_engineering", "fine_tuning",
      "labeling_annotation", "llm_routing_guardrails", "dataset_curation", "recommendation"}


def main(path):
    rows, errors, ids = [], [], set()
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"line {n}: bad JSON: {e}")
            continue
        if list(r) != FIELDS:
            errors.append(f"line {n}: keys must be exactly {FIELDS}, got {list(r)}")
            continue
        if r["id"] in ids:
            errors.append(f"line {n}: duplicate id {r['id']}")
        ids.add(r["id"])
        if r["strength"] not in ("weak", "strong"):
            errors.append(f"line {n}: strength {r['strength']!r}")
        if r["framing"] not in ("housekeeping", "system"):
            errors.append(f"line {n}: framing {r['framing']!r}")
        if not set(r["moves"]) <= MOVES or len(set(r["moves"])) != len(r["moves"]):
            errors.append(f"line {n}: moves {r['moves']}")
        if r["role"] not in ROLES:
            errors.append(f"line {n}: role {r['role']!r}")
        if r["work_type"] not in WORK_TYPES:
            errors.append(f"line {n}: work_type {r['work_type']!r}")
        if r["category"] not in MINIMUM:
            errors.append(f"line {n}: category {r['category']!r}")
        words = len(r["text"].split())
        if not 4 <= words <= 80:
            errors.append(f"line {n}: {words} words")
        rows.append(r)
    voices = {r["voice"] for r in rows}
    if len(voices) != 1:
        errors.append(f"more than one voice: {voices}")
    pairs = Counter(r["pair_id"] for r in rows if r["pair_id"])
    for p, c in pairs.items():
        if c != 2:
            errors.append(f"pair {p} has {c} rows")
        else:
            a, b = [r for r in rows if r["pair_id"] == p]
            if "pair_fixed" not in (a["category"], b["category"]):
                errors.append(f"pair {p}: one side must be category pair_fixed")
    texts = Counter(r["text"].strip().lower() for r in rows)
    for t, c in texts.items():
        if c > 1:
            errors.append(f"duplicate text: {t[:60]}")
    n = len(rows)
    cats = Counter(r["category"] for r in rows)
    strong = sum(r["strength"] == "strong" for r in rows)
    print(f"rows {n} (need >= 240); strong {strong / max(n, 1):.1%} (35-55%); pairs {len(pairs)} (>= 30)")
    for c, m in MINIMUM.items():
        flag = "" if cats[c] >= m else f"   <-- need >= {m}"
        print(f"  {c:28s} {cats[c]:4d}{flag}")
    mv = Counter(m for r in rows for m in r["moves"])
    for m in sorted(MOVES):
        share = mv[m] / max(n, 1)
        print(f"  move {m:28s} {share:.1%}" + ("" if share >= 0.08 else "   <-- need >= 8%"))
    differ = sum((r["strength"] == "strong") != (r["framing"] == "system") for r in rows) / max(n, 1)
    ai = sum(r["work_type"] in AI for r in rows) / max(n, 1)
    print(f"  framing differs {differ:.1%} (>= 12%); AI work {ai:.1%} (~40%); roles {len({r['role'] for r in rows})} (>= 10);"
          f" work types {len({r['work_type'] for r in rows})} (>= 20)")
    short = [m for m, v in MINIMUM.items() if cats[v if False else m] < v]
    problems = list(errors)
    if n < 240:
        problems.append("fewer than 240 rows")
    if len(pairs) < 30:
        problems.append("fewer than 30 pairs")
    if not 0.35 <= strong / max(n, 1) <= 0.55:
        problems.append("strong share outside 35-55%")
    problems += [f"category {c} short" for c in short]
    for e in problems[:40]:
        print("ERROR", e)
    print(f"{len(problems)} errors")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
