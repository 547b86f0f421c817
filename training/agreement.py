"""Cohen's kappa between the writers' labels and the blind second pass (data/review/blind_labels_*.jsonl).

    .venv/bin/python training/agreement.py

Writes data/review/agreement.json and data/review/disagreements.jsonl (every row where the two
passes differ; each is resolved by the rubric in data/review/adjudicated*.jsonl).
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MOVES = ["quantified_counterfactual", "second_order_leverage", "difficulty_named", "uncertainty_bounded"]


def kappa(a: list, b: list) -> tuple[float, float]:
    n = len(a)
    labels = sorted(set(a) | set(b))
    po = sum(x == y for x, y in zip(a, b)) / n
    pe = sum((a.count(lab) / n) * (b.count(lab) / n) for lab in labels)
    return (po - pe) / (1 - pe), po


def main() -> int:
    first = {}
    for f in sorted((ROOT / "data" / "raw").glob("voice_*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                first[r["id"]] = r
    second = [json.loads(x) for f in sorted((ROOT / "data" / "review").glob("blind_labels_*.jsonl"))
              for x in f.read_text(encoding="utf-8").splitlines() if x.strip()]
    out: dict[str, object] = {"n": len(second), "share_of_rows": round(len(second) / len(first), 4)}
    for lab in ("strength", "framing"):
        k, po = kappa([first[r["id"]][lab] for r in second], [r[lab] for r in second])
        out[lab] = {"kappa": round(k, 3), "agreement": round(po, 3)}
    for m in MOVES:
        k, po = kappa([int(m in first[r["id"]]["moves"]) for r in second], [int(m in r["moves"]) for r in second])
        out[m] = {"kappa": round(k, 3), "agreement": round(po, 3)}
    (ROOT / "data" / "review" / "agreement.json").write_text(json.dumps(out, indent=1) + "\n")
    with (ROOT / "data" / "review" / "disagreements.jsonl").open("w", encoding="utf-8") as f:
        for r in second:
            o = first[r["id"]]
            if o["strength"] != r["strength"] or o["framing"] != r["framing"] or set(o["moves"]) != set(r["moves"]):
                f.write(json.dumps({"id": r["id"], "text": o["text"],
                                    "label_a": {k: o[k] for k in ("strength", "framing", "moves")},
                                    "label_b": {k: r[k] for k in ("strength", "framing", "moves")}}) + "\n")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
