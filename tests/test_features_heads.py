import numpy as np
import pytest

from packetlens.cues import cue_matrix
from packetlens.features import design_matrix, fit_tfidf, fit_transform_tfidf
from packetlens.heads import LogisticHead, calibrate, fit_platt

TEXTS = ["Tuned the reranker weights", "Built the eval gate used by three teams",
         "tuned the prompt again", "Cut p95 latency from 480 ms to 210 ms", "Built the gate", "weights tuned"]


def test_numpy_tfidf_equals_sklearn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    tf = fit_tfidf(TEXTS, min_df=1)
    sk = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1).fit(TEXTS)
    ref = sk.transform(TEXTS + ["unseen words tuned"]).toarray()
    cols = [tf.vocabulary.index(t) for t in sk.get_feature_names_out()]
    ours = tf.transform_dense(TEXTS + ["unseen words tuned"])[:, cols]
    assert np.allclose(ours, ref)


def test_head_proba_equals_sklearn_decision_plus_platt():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    emb = rng.normal(size=(len(TEXTS), 8)).astype(np.float32)
    tf, T = fit_transform_tfidf(TEXTS, min_df=1)
    X = design_matrix(emb, T, 0.5)
    y = np.array([0, 1, 0, 1, 1, 0])
    lr = LogisticRegression(C=2.0).fit(X, y)
    a, b = fit_platt(lr.decision_function(X), y)
    head = LogisticHead("strength", "strong", "weak", lr.coef_[0][:8], lr.coef_[0][8:], float(lr.intercept_[0]), a, b, 2.0)
    ours = head.proba(emb, tf.transform(TEXTS), 0.5)
    assert np.allclose(ours, calibrate(lr.decision_function(X), a, b))
    assert np.all((ours > 0.5) == (lr.decision_function(X) * a + b > 0))


def test_platt_recovers_a_known_slope():
    rng = np.random.default_rng(1)
    z = rng.normal(size=4000)
    y = (rng.random(4000) < 1 / (1 + np.exp(-(2 * z - 0.5)))).astype(int)
    a, b = fit_platt(z, y)
    assert abs(a - 2) < 0.25 and abs(b + 0.5) < 0.2


def test_fit_transform_matrix_equals_numpy_transform():
    from packetlens.features import fit_transform_tfidf

    tf, m = fit_transform_tfidf(TEXTS, min_df=1)
    assert np.allclose(m.toarray(), tf.transform_dense(TEXTS))


def test_head_stack_equals_each_head(default_scorer):
    from packetlens.heads import HeadStack

    texts = ["Tuned the reranker.", "", "Built the eval gate; review fell from 10 days to 40 minutes for 3 teams."]
    vecs = default_scorer.embedder.encode(texts)
    rows = default_scorer.model.tfidf.transform(texts)
    m = default_scorer.model
    cues = cue_matrix(texts)
    stacked = HeadStack(list(m.heads.values())).proba(vecs, rows, m.embed_scale, cues, m.cue_scale)
    for name, head in m.heads.items():
        assert np.allclose(stacked[name], head.proba(vecs, rows, m.embed_scale, cues, m.cue_scale))
    with pytest.raises(ValueError, match="rubric cues"):  # a model that reads cues refuses to score without them
        HeadStack(list(m.heads.values())).proba(vecs, rows, m.embed_scale)
