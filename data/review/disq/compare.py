"""Compare a writer's labels with the blind second pass; write the disagreements to adjudicate.

    python3 data/review/disq/compare.py v15
    -> prints agreement (strength kappa, framing kappa, per-move agreement) and writes
       data/review/disq/disagreements_v15.jsonl: id, text, the two label sets (as "a" and "b",
       in a per-row random order so the adjudicator cannot tell the writer from the blind pass).
"""
import json
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MOVES = ["quantified_counterfactual", "second_order_leverage", "difficulty_named", "uncertainty_bounded"]


def kappa(a, b):
    n = len(a)
    po = sum(x == y for x, y in zip(a, b)) / n
    cats = set(a) | set(b)
    pe = sum((a.count(c) / n) * (b.count(c) / n) for c in cats)
    return (po - pe) / (1 - pe) if pe < 1 else 1.0


def main(voice):
    here = ROOT / "data/review/disq"
    writer = {r["id"]: r for r in map(json.loads, (ROOT / "data/raw/disq" / f"voice_{voice}.jsonl").read_text().splitlines()) if r}
    blind = {r["id"]: r for r in map(json.loads, (here / f"blind_labels_{voice}.jsonl").read_text().splitlines()) if r}
    ids = [i for i in writer if i in blind]
    out = {"voice": voice, "n": len(ids), "missing_from_blind": len(writer) - len(ids)}
    for k in ("strength", "framing"):
        out[f"{k}_kappa"] = round(kappa([writer[i][k] for i in ids], [blind[i][k] for i in ids]), 3)
        out[f"{k}_agreement"] = round(sum(writer[i][k] == blind[i][k] for i in ids) / len(ids), 3)
    for m in MOVES:
        out[f"{m}_kappa"] = round(kappa([m in writer[i]["moves"] for i in ids], [m in blind[i]["moves"] for i in ids]), 3)
    rng = random.Random(voice)
    dis = []
    for i in ids:
        w, b = writer[i], blind[i]
        wl = {"strength": w["strength"], "framing": w["framing"], "moves": sorted(w["moves"])}
        bl = {"strength": b["strength"], "framing": b["framing"], "moves": sorted(m for m in b["moves"] if m in MOVES)}
        if wl != bl:
            a, c = (wl, bl) if rng.random() < 0.5 else (bl, wl)
            dis.append({"id": i, "text": w["text"], "a": a, "b": c})
    out["rows_with_any_disagreement"] = len(dis)
    (here / f"disagreements_{voice}.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in dis))
    print(json.dumps(out))
    agg = here / "agreement.json"
    allv = json.loads(agg.read_text()) if agg.is_file() else {}
    allv[voice] = out
    agg.write_text(json.dumps(allv, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
