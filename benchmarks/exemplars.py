"""Exemplar relevance on labeled bullet -> exemplar pairs, and the similarity floor chosen on them.

    .venv/bin/python benchmarks/exemplars.py        # JSON to stdout

benchmarks/exemplar_pairs.jsonl holds 50 pairs: 50 bullets the shipped model reads as weak, drawn
at random (seed 13) from data/heldout/unseen_writers.jsonl, each with the exemplar the index picks
for it when no floor is set, and `on_topic` as judged by reading both (same kind of work: an
author would see the exemplar as a model for this bullet). The script re-picks each exemplar;
a pair whose pick changed since it was labeled counts as `stale` and must be labeled again.

Figures: on-topic rate with no floor; the floor rule (the smallest similarity at which at least
90% of the pairs at or above it are on topic), its on-topic rate and coverage on all 50 pairs (the
floor is chosen on them: in-sample); the same rule chosen on one writer's pairs and measured on
the other's (out of sample); the shipped floor's figures; and the issue's examples.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAIRS = ROOT / "benchmarks" / "exemplar_pairs.jsonl"
HELDOUT = ROOT / "data" / "heldout" / "unseen_writers.jsonl"
GOAL = 0.9
ISSUE_EXAMPLES = ["Closed 63 Jira tickets.", "Presented at the internal ML summit.", "Tweaked the reranker."]


def choose_floor(pairs: list[dict], goal: float = GOAL) -> float:
    for t in sorted({p["similarity"] for p in pairs}):
        above = [p for p in pairs if p["similarity"] >= t]
        if sum(p["on_topic"] for p in above) >= goal * len(above):
            return t
    return 1.0


def at_floor(pairs: list[dict], floor: float) -> dict[str, float]:
    shown = [p for p in pairs if p["similarity"] >= floor]
    return {"pairs": len(pairs), "shown": len(shown), "coverage": round(len(shown) / max(len(pairs), 1), 3),
            "on_topic": round(sum(p["on_topic"] for p in shown) / max(len(shown), 1), 3)}


def main() -> int:
    from packetlens.exemplars import SIMILARITY_FLOOR, ExemplarIndex
    from packetlens.scorer import PacketScorer

    scorer = PacketScorer.from_pretrained()
    nofloor = ExemplarIndex(scorer.model.exemplars, scorer.model.exemplar_vectors, floor=-1.0)
    pairs = [json.loads(x) for x in PAIRS.read_text(encoding="utf-8").splitlines() if x.strip()]
    scored = scorer.score([p["bullet"] for p in pairs])
    vecs = scorer.embedder.encode([p["bullet"] for p in pairs])
    stale = 0
    for p, b, v in zip(pairs, scored, vecs):
        (ex,) = nofloor.nearest(v, 1, prefer_moves=[m for m, q in b.moves.items() if q < 0.5])
        stale += ex.text != p["exemplar"]
        p["similarity"] = ex.similarity
    writer = {p["id"]: p["id"].split("-")[0] for p in pairs}
    cross = {}
    for w in sorted(set(writer.values())):
        dev = [p for p in pairs if writer[p["id"]] != w]
        test = [p for p in pairs if writer[p["id"]] == w]
        f = choose_floor(dev)
        cross[f"chosen_without_{w}"] = {"floor": round(f, 3), **at_floor(test, f)}
    chosen = choose_floor(pairs)
    issue = {t: (None if b.exemplar is None else {"text": b.exemplar.text[:90], "similarity": round(b.exemplar.similarity, 3)})
             for t, b in zip(ISSUE_EXAMPLES, scorer.score(ISSUE_EXAMPLES))}
    bank = scorer.model.exemplars
    out = {
        "stale_pairs": stale,
        "no_floor": at_floor(pairs, -1.0),
        "floor_rule_in_sample": {"floor": round(chosen, 3), **at_floor(pairs, chosen)},
        "floor_rule_cross_writer": cross,
        "shipped_floor": {"floor": SIMILARITY_FLOOR, **at_floor(pairs, SIMILARITY_FLOOR)},
        "bank": {"stored": len(bank), "after_cleaning": len(scorer.index),
                 "stored_lower_case_start": sum(r.text[:1].islower() for r in bank),
                 "clean_lower_case_start": sum(r.text[:1].islower() for r in scorer.index.records)},
        "issue_examples": issue,
    }
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
