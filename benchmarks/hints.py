"""Hints against gold labels: how often a hint contradicts a bullet's labels, and how varied hints are.

    .venv/bin/python benchmarks/hints.py                          # the held-out writers, JSON to stdout
    .venv/bin/python benchmarks/hints.py data/bullets.jsonl       # any labeled JSONL with moves

Rows: data/heldout/unseen_writers.jsonl (two writers whose rows are in no training file; labeled by
LABELS.md). Each bullet is scored by the shipped model, as `packetlens score` does, and each hint
it gets is checked against the row's gold labels. A hint contradicts them when:

- it says a move is missing (PL201-PL204, PL202 also PL111) and the gold moves include that move;
- it says the bullet reads as housekeeping (PL301) and the gold framing is `system`;
- it names a disqualifier (PL101-PL110: vague verb, effort count, hidden author, handed off, ...)
  and the gold strength is `strong` (a disqualified bullet is weak by LABELS.md).

The text checks that gate the hints were written while reading this set's contradictions (4.5% of
hints before them, 0.4% after), so on it the figure is not blind. data/bullets.jsonl was not read
for them, but the model was trained on it, so its heads are surer there than on new text.

Variety: distinct messages over all hints, distinct sets of codes over hinted bullets, and the
share of the commonest message (the old hints gave nearly every weak bullet the same three).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "data" / "heldout" / "unseen_writers.jsonl"
MOVE_OF = {"PL201": "quantified_counterfactual", "PL202": "second_order_leverage", "PL111": "second_order_leverage",
           "PL203": "difficulty_named", "PL204": "uncertainty_bounded"}


def contradicts(code: str, row: dict) -> bool:
    if code in MOVE_OF:
        return MOVE_OF[code] in row["moves"]
    if code == "PL301":
        return row.get("framing") == "system"
    return row["strength"] == "strong"


def main(argv: list[str]) -> int:
    from packetlens.scorer import PacketScorer

    path = Path(argv[0]) if argv else HELDOUT
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    scored = PacketScorer.from_pretrained().score([r["text"] for r in rows])
    n_hints, bad, by_code, bad_by_code, examples = 0, 0, Counter(), Counter(), []
    messages, code_sets, bullets_bad = Counter(), Counter(), 0
    for r, b in zip(rows, scored):
        any_bad = False
        for h in b.hint_details:
            n_hints += 1
            by_code[h.code] += 1
            messages[h.message] += 1
            if contradicts(h.code, r):
                bad += 1
                bad_by_code[h.code] += 1
                any_bad = True
                examples.append({"id": r["id"], "code": h.code, "message": h.message, "text": r["text"][:160]})
        bullets_bad += any_bad
        if b.hint_details:
            code_sets[tuple(b.hint_codes)] += 1
    hinted = sum(code_sets.values())
    out = {
        "data": str(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path),
        "rows": len(rows),
        "bullets_with_hints": hinted,
        "hints": n_hints,
        "contradicting_hints": bad,
        "contradiction_rate": round(bad / max(n_hints, 1), 4),
        "bullets_with_a_contradicting_hint": bullets_bad,
        "bullet_contradiction_rate": round(bullets_bad / max(hinted, 1), 4),
        "hints_by_code": dict(sorted(by_code.items())),
        "contradictions_by_code": dict(sorted(bad_by_code.items())),
        "distinct_messages": len(messages),
        "distinct_code_sets": len(code_sets),
        "commonest_message_share": round(messages.most_common(1)[0][1] / max(n_hints, 1), 3) if messages else 0.0,
        "commonest_code_set_share": round(code_sets.most_common(1)[0][1] / max(hinted, 1), 3) if code_sets else 0.0,
        "hints_per_hinted_bullet": round(n_hints / max(hinted, 1), 2),
        "contradiction_examples": examples[:20],
    }
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
