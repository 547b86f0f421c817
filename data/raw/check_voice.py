"""Check one writer's slice of data/raw/ against the schema and report its mix.

Usage: python3 data/raw/check_voice.py data/raw/voice_v01.jsonl [data/raw/exemplars_v01.jsonl]
"""
import json
import re
import sys
from collections import Counter

ROLES = {
    "ml_engineer", "applied_scientist", "data_engineer", "data_scientist", "sre", "backend",
    "frontend", "mobile", "security", "eng_manager", "platform", "mlops", "analytics",
    "research_engineer", "qa_test", "infra",
}
WORK_TYPES = {
    "reranking", "retrieval_search", "eval_harness", "prompt_engineering", "fine_tuning",
    "feature_store", "data_pipeline", "labeling_annotation", "model_serving", "latency_performance",
    "cost_reduction", "incident_response", "migration", "observability", "ci_cd", "testing_quality",
    "experimentation_ab", "ui_feature", "mobile_release", "security_hardening", "access_control",
    "hiring_mentoring", "documentation_process", "on_call_reliability", "dashboards_reporting",
    "forecasting", "recommendation", "fraud_abuse", "llm_routing_guardrails", "capacity_planning",
    "api_design", "developer_tooling", "dataset_curation", "cross_team_program",
}
MOVES = {"quantified_counterfactual", "second_order_leverage", "difficulty_named", "uncertainty_bounded"}
FIELDS = ["id", "text", "strength", "framing", "moves", "role", "work_type", "pair_id", "voice", "tricky"]


def check(path, exemplars=False):
    rows, errors = [], []
    ids = set()
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(f"line {n}: bad JSON: {e}")
            continue
        need = ["id", "text", "moves", "role", "work_type", "voice"] if exemplars else FIELDS
        for f in need:
            if f not in r:
                errors.append(f"line {n}: missing {f}")
        if r.get("id") in ids:
            errors.append(f"line {n}: duplicate id {r.get('id')}")
        ids.add(r.get("id"))
        if not exemplars:
            if r.get("strength") not in ("weak", "strong"):
                errors.append(f"line {n}: strength {r.get('strength')!r}")
            if r.get("framing") not in ("housekeeping", "system"):
                errors.append(f"line {n}: framing {r.get('framing')!r}")
            if not isinstance(r.get("tricky"), bool):
                errors.append(f"line {n}: tricky must be true/false")
        if r.get("role") not in ROLES:
            errors.append(f"line {n}: role {r.get('role')!r} not in list")
        if r.get("work_type") not in WORK_TYPES:
            errors.append(f"line {n}: work_type {r.get('work_type')!r} not in list")
        if not isinstance(r.get("moves"), list) or set(r.get("moves", [])) - MOVES:
            errors.append(f"line {n}: moves {r.get('moves')!r}")
        w = len(str(r.get("text", "")).split())
        if not 4 <= w <= 80:
            errors.append(f"line {n}: {w} words (4-80)")
        rows.append(r)
    print(f"{path}: {len(rows)} rows, {len(errors)} errors")
    for e in errors[:30]:
        print("  ", e)
    if not rows:
        return
    N = len(rows)
    mv = Counter(m for r in rows for m in r.get("moves", []))
    print("  moves:", {m: f"{mv[m] / N:.0%}" for m in sorted(MOVES)})
    print("  roles:", dict(Counter(r.get("role") for r in rows)))
    print("  work_types:", len(set(r.get("work_type") for r in rows)))
    if exemplars:
        return
    strong = sum(r["strength"] == "strong" for r in rows)
    paired = sum(r.get("pair_id") is not None for r in rows)
    tricky = [r for r in rows if r.get("tricky")]
    diff = sum((r["strength"] == "strong") != (r["framing"] == "system") for r in rows)
    print(f"  strong {strong / N:.0%}  paired {paired / N:.0%}  tricky {len(tricky) / N:.0%}  framing!=strength {diff / N:.0%}")
    pairs = Counter(r["pair_id"] for r in rows if r.get("pair_id"))
    bad = [p for p, c in pairs.items() if c != 2]
    if bad:
        print("  pair_ids without exactly 2 rows:", bad[:10])
    for p in pairs:
        ss = sorted(r["strength"] for r in rows if r.get("pair_id") == p)
        if ss != ["strong", "weak"]:
            print("  pair", p, "is not one weak + one strong:", ss)
    if tricky:
        def acc(rule):
            return sum(rule(r) == (r["strength"] == "strong") for r in tricky) / len(tricky)
        print("  on tricky rows (each must stay < 0.65):",
              f"digit->strong {acc(lambda r: bool(re.search(r'[0-9]', r['text']))):.2f}",
              f"len>=25->strong {acc(lambda r: len(r['text'].split()) >= 25):.2f}",
              f"%->strong {acc(lambda r: '%' in r['text']):.2f}")


if __name__ == "__main__":
    check(sys.argv[1])
    if len(sys.argv) > 2:
        check(sys.argv[2], exemplars=True)
