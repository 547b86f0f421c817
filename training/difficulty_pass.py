"""The full blind pass on difficulty_named: agreement with the earlier labels, and the disagreements.

    .venv/bin/python training/difficulty_pass.py

difficulty_named had the lowest kappa of the 15% second pass (data/review/agreement.json), so
every row was labeled again on that move alone, blind to the existing labels, by four
annotators (data/review/difficulty_pass/labels_*.jsonl, from input_*.jsonl). Every row where
that pass and the earlier labels differ was decided by an adjudicator who saw only the text and
the rubric (adjudicate_input_*.jsonl -> adjudicated_*.jsonl); training/build_data.py applies
those decisions. This script writes data/review/difficulty_pass/summary.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASS = ROOT / "data" / "review" / "difficulty_pass"


def main() -> int:
    sys.path.insert(0, str(Path(__file__).parent))
    from agreement import kappa
    from build_data import RAW, apply_reviews, read

    before = read(sorted(RAW.glob("voice_*.jsonl")))
    apply_reviews(before, difficulty_pass=False)
    earlier = {r["id"]: int("difficulty_named" in r["moves"]) for r in before}
    blind = {r["id"]: int(r["difficulty_named"]) for r in read(sorted(PASS.glob("labels_*.jsonl")))}
    decided = {r["id"]: int(r["difficulty_named"]) for r in read(sorted(PASS.glob("adjudicated_*.jsonl")))}
    ids = sorted(blind)
    k, po = kappa([earlier[i] for i in ids], [blind[i] for i in ids])
    differ = [i for i in ids if earlier[i] != blind[i]]
    missing = sorted(set(differ) - set(decided))
    if missing:
        raise SystemExit(f"{len(missing)} disagreement(s) have no adjudicated decision, e.g. {missing[0]}")
    summary = {
        "rows": len(ids), "earlier_positive": sum(earlier[i] for i in ids), "blind_positive": sum(blind.values()),
        "kappa_earlier_vs_blind": round(k, 3), "agreement": round(po, 3),
        "f1_present_earlier_vs_blind": round(2 * sum(earlier[i] and blind[i] for i in ids)
                                             / (sum(earlier[i] for i in ids) + sum(blind.values())), 3),
        "disagreements": len(differ),
        "earlier_yes_blind_no": sum(earlier[i] for i in differ), "earlier_no_blind_yes": sum(blind[i] for i in differ),
        "adjudicated_kept_earlier": sum(decided[i] == earlier[i] for i in differ),
        "adjudicated_sided_with_blind": sum(decided[i] == blind[i] for i in differ),
        "final_positive": sum(decided.get(i, earlier[i]) for i in ids),
    }
    (PASS / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
