"""The exemplar bank: cleaned at load, a similarity floor, moves preferred only among topical near-equals."""

import json

import numpy as np

from conftest import ROOT
from packetlens.exemplars import SIMILARITY_FLOOR, ExemplarIndex, ExemplarRecord, clean_bank, sentence_case


def _unit(*xs):
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_unrelated_bullets_get_no_exemplar(default_scorer):
    tickets, summit, rerank = default_scorer.score(["Closed 63 Jira tickets.", "Presented at the internal ML summit.",
                                                    "Tweaked the reranker."])
    assert tickets.exemplar is None and summit.exemplar is None
    assert rerank.exemplar is not None and rerank.exemplar.similarity >= SIMILARITY_FLOOR


def test_the_shipped_bank_is_clean(default_scorer):
    records = default_scorer.index.records
    assert all(not r.text[:1].islower() for r in records)
    assert len({" ".join(r.text.lower().split()) for r in records}) == len(records)


def test_clean_bank_drops_duplicates_and_sentence_cases():
    recs = [ExemplarRecord("built the gate. after it, reviews fell.", ()), ExemplarRecord("Built the gate. After it, reviews fell!", ()),
            ExemplarRecord("iOS release train cut to a week.", ())]
    vecs = np.stack([_unit(1, 0, 0), _unit(0.2, 1, 0), _unit(0, 0, 1)])
    out, v = clean_bank(recs, vecs)
    assert [r.text for r in out] == ["Built the gate. After it, reviews fell.", "iOS release train cut to a week."]
    assert v.shape == (2, 3)
    assert sentence_case("e.g. this stays. but this not") == "E.g. this stays. But this not"


def test_moves_are_preferred_only_among_topical_near_equals():
    recs = [ExemplarRecord("A topical one.", (), work_type="ranking"),
            ExemplarRecord("A less similar one with every move.", ("quantified_counterfactual", "second_order_leverage",
                                                                    "difficulty_named", "uncertainty_bounded"), work_type="ranking"),
            ExemplarRecord("A near-equal with the missing move.", ("quantified_counterfactual",), work_type="ranking")]
    vecs = np.stack([_unit(1, 0.0, 0), _unit(1, 0.6, 0), _unit(1, 0.05, 0)])  # cosines 0.96, 0.67, 0.94
    idx = ExemplarIndex(recs, vecs, floor=0.0, clean=False)
    (ex,) = idx.nearest(_unit(1, -0.3, 0), prefer_moves=["quantified_counterfactual", "second_order_leverage",
                                                      "difficulty_named", "uncertainty_bounded"])
    assert ex.text == "A near-equal with the missing move."
    assert ExemplarIndex(recs, vecs, floor=0.9, clean=False).nearest(_unit(0, 1, 1)) == []


def test_the_work_type_the_neighbours_agree_on_wins():
    recs = [ExemplarRecord("Ads retrieval.", (), work_type="retrieval")] + \
           [ExemplarRecord(f"Labeling queue {i}.", (), work_type="labeling") for i in range(3)]
    vecs = np.stack([_unit(1, 0, 0), _unit(1, 0.3, 0), _unit(1, 0.35, 0), _unit(1, 0.4, 0)])
    (ex,) = ExemplarIndex(recs, vecs, floor=0.0, clean=False).nearest(_unit(1, 0.1, 0))
    assert ex.work_type == "labeling"


def test_labeled_pairs_meet_the_relevance_goal_at_the_floor():
    pairs = [json.loads(x) for x in (ROOT / "benchmarks" / "exemplar_pairs.jsonl").read_text().splitlines() if x.strip()]
    assert len(pairs) == 50 and all(isinstance(p["on_topic"], bool) for p in pairs)
    shown = [p for p in pairs if p["similarity"] >= SIMILARITY_FLOOR]
    assert sum(p["on_topic"] for p in shown) >= 0.9 * len(shown)
