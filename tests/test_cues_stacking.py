"""Rubric cues, the two-stage (stacked) heads that read them, sample weights and writer-grouped folds."""

import json

import numpy as np
import pytest

from packetlens.artifact import load_model, save_model
from packetlens.cues import CUE_NAMES, cue_matrix, cue_vector
from packetlens.data import load_labeled
from packetlens.errors import DataValidationError, ModelArtifactError
from packetlens.scorer import PacketScorer
from packetlens.training import TrainConfig, fold_groups, row_weights, train


def cues_of(text: str) -> set[str]:
    return {n for n, v in zip(CUE_NAMES, cue_vector(text)) if v}


@pytest.mark.parametrize("text, present, absent", [
    ("Traced the p99 spikes in ranking to GC pauses in the feature cache; handed the analysis to the platform team.",
     {"handoff", "handoff_no_result", "investigation", "disqualified"}, {"real_result", "rubric_strong"}),
    ("We cut checkout p99 from 1.2 s to 300 ms over a four-week canary.",
     {"we_hides_author", "we_hides_result", "before_after", "disqualified"}, {"first_person_singular", "rubric_strong"}),
    ("I cut checkout p99 from 1.2 s to 300 ms over a four-week canary; payments now builds on it.",
     {"first_person_singular", "real_result", "real_result_with_sample", "rubric_strong"}, {"we_hides_author", "disqualified"}),
    ("Tuned the reranker; nDCG@10 went from 0.431 to 0.436.", {"tiny_delta", "noise_or_tiny", "disqualified"},
     {"real_result"}),
    ("Caused a 4-hour outage that dropped checkout conversion from 3.1% to 0%.",
     {"harm_caused", "worse_direction", "disqualified"}, {"real_result"}),
    ("Upgraded Airflow from 1.10 to 2.7 across 40 DAGs.", {"version_bump"}, {"real_result", "before_after_no_result"}),
    ("Code reviews in the search team went from 40 to 95 per month after I set up a rotation.",
     {"effort_count", "disqualified"}, {"real_result"}),
    ("Switched the reranker to LambdaMART; early signals look positive.", {"hedged_outcome", "hedged_no_result"},
     {"real_result"}),
    ("My applied science team raised fraud recall from 62% to 74%.", {"we_hides_author"}, {"first_person_singular"}),
    ("p95 410->180 ms, 4-wk canary, n=2.1M req", {"before_after", "real_result", "sample_or_duration"},
     {"disqualified"}),
])
def test_cues_read_the_rubric_facts(text, present, absent):
    got = cues_of(text)
    assert present <= got, present - got
    assert not (absent & got), absent & got


def test_cue_matrix_shape_and_empty_input():
    m = cue_matrix(["Tuned the reranker.", "Built the gate."])
    assert m.shape == (2, len(CUE_NAMES)) and set(np.unique(m)) <= {0.0, 1.0}
    assert cue_matrix([]).shape == (0, len(CUE_NAMES))


@pytest.mark.timeout(60)
def test_cues_are_linear_on_adversarial_input():
    # nested-quantifier regexes take minutes here; these patterns read only the first 2,000 characters
    for text in ("from 1 " * 200_000, "1.1 to " * 200_000, "we " + "a, " * 300_000, "<a " * 500_000):
        assert cue_vector(text).shape == (len(CUE_NAMES),)


@pytest.fixture(scope="module")
def stacked(small_data, tmp_path_factory):
    from conftest import HashingEmbedder

    cfg = TrainConfig(name="t", version="1", C_grid=(1.0,), n_folds=3, cue_scale=1.0, group_col="voice")
    out = tmp_path_factory.mktemp("models") / "stacked"
    return train([small_data], out=out, config=cfg, embedder=HashingEmbedder())


def test_a_stacked_model_is_one_linear_model_that_saves_and_scores_the_same(stacked, tmp_path):
    from conftest import HashingEmbedder

    m = load_model(stacked.model_dir)
    assert m.cue_scale == 1.0
    cfg = json.loads((stacked.model_dir / "config.json").read_text())
    assert cfg["features"]["cues"]["names"] == list(CUE_NAMES)
    for head in m.heads.values():
        assert head.coef_cues.shape == (len(CUE_NAMES),) and np.isfinite(head.coef_cues).all()
        assert "stack" in stacked.metrics[head.name]
    texts = ["We cut p99 from 1.2 s to 300 ms.", "I cut p99 from 1.2 s to 300 ms over a 4-week canary."]
    emb = HashingEmbedder()
    p = PacketScorer(m, emb).head_probas(texts)["strength"]
    # by hand: the head's raw score over embedding, TF-IDF and cues, then Platt
    h = m.heads["strength"]
    E, T, Q = emb.encode(texts), m.tfidf.transform_dense(texts), cue_matrix(texts)
    z = m.embed_scale * E @ h.coef_emb + T @ h.coef_tfidf + m.cue_scale * Q @ h.coef_cues + h.intercept
    from packetlens.heads import sigmoid

    assert p == pytest.approx(sigmoid(h.calib_a * z + h.calib_b), abs=1e-9)
    copy = load_model(save_model(m, tmp_path / "copy"))
    assert PacketScorer(copy, emb).head_probas(texts)["strength"] == pytest.approx(p, abs=1e-12)


def test_a_model_with_other_cues_is_refused(stacked, tmp_path):
    copy = save_model(load_model(stacked.model_dir), tmp_path / "copy")
    cfg = json.loads((copy / "config.json").read_text())
    cfg["features"]["cues"]["names"] = cfg["features"]["cues"]["names"][:-1]
    (copy / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(ModelArtifactError, match="rubric cues"):
        load_model(copy)


def test_the_weight_column_is_validated_and_read(tmp_path):
    good = tmp_path / "w.jsonl"
    good.write_text("\n".join(json.dumps({"text": f"Bullet {i}", "strength": "weak", "weight": w})
                              for i, w in enumerate([2, None, 0.5])) + "\n")
    ds = load_labeled([good])
    assert list(row_weights(ds)) == [2.0, 1.0, 0.5]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"text": "A bullet", "strength": "weak", "weight": -1}) + "\n")
    with pytest.raises(DataValidationError, match=r"bad.jsonl: line 1: weight -1 is not a positive number"):
        load_labeled([bad])


def test_weights_change_the_data_hash(tmp_path):
    rows = [{"text": "A bullet", "strength": "weak"}]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(json.dumps(rows[0]) + "\n")
    b.write_text(json.dumps({**rows[0], "weight": 3}) + "\n")
    assert load_labeled([a]).content_hash() != load_labeled([b]).content_hash()


def test_folds_keep_a_writer_together_and_fall_back_to_pairs(small_data):
    ds = load_labeled([small_data])
    groups = fold_groups(ds, "voice", min_groups=3)
    assert all(g.startswith("voice:") for g in groups)
    assert fold_groups(ds, "voice", min_groups=1000) == ds.groups
    assert fold_groups(ds, None) == ds.groups


def test_evaluate_slices_by_any_column(small_data, onnx_embedder):
    from packetlens.evaluation import evaluate

    scorer = PacketScorer.from_pretrained()
    scorer = PacketScorer(scorer.model, onnx_embedder)
    ds = load_labeled([small_data])
    rep = evaluate(scorer, ds, by=["voice"], n_boot=20)
    assert set(rep["slices"]) == {"voice"}
    n = sum(m["n"] for m in rep["slices"]["voice"].values())
    assert n == len(ds)
    with pytest.raises(DataValidationError, match="--by 'nope'"):
        evaluate(scorer, ds, by=["nope"], n_boot=20)
