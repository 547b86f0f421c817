"""metrics.py's numpy figures, pinned to scikit-learn's on random and edge-case inputs."""

import numpy as np
import pytest
from sklearn import metrics as skm

from packetlens.metrics import brier, confusion, ece, f1_positive, head_metrics, macro_f1, reliability, roc_auc

SEEDS = range(8)


def _case(seed, n=200):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < rng.uniform(0.1, 0.9)).astype(int)
    p = np.clip(0.5 * y + rng.normal(0.25, 0.25, n), 0, 1)
    if seed % 2:  # ties: scores on a coarse grid
        p = np.round(p, 1)
    return y, p


@pytest.mark.parametrize("seed", SEEDS)
def test_classification_figures_equal_sklearn(seed):
    y, p = _case(seed)
    pred = (p >= 0.5).astype(int)
    assert macro_f1(y, pred) == pytest.approx(skm.f1_score(y, pred, average="macro", labels=[0, 1], zero_division=0))
    assert f1_positive(y, pred) == pytest.approx(skm.f1_score(y, pred, zero_division=0))
    assert confusion(y, pred) == skm.confusion_matrix(y, pred, labels=[0, 1]).tolist()
    m = head_metrics(y, p)
    assert m["precision"] == pytest.approx(skm.precision_score(y, pred, zero_division=0))
    assert m["recall"] == pytest.approx(skm.recall_score(y, pred, zero_division=0))
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))


@pytest.mark.parametrize("seed", SEEDS)
def test_probability_figures_equal_sklearn(seed):
    y, p = _case(seed)
    assert roc_auc(y, p) == pytest.approx(skm.roc_auc_score(y, p))
    assert brier(y, p) == pytest.approx(skm.brier_score_loss(y, p))


@pytest.mark.parametrize("seed", [0, 2, 4])  # continuous scores: no value sits on a bin edge
def test_reliability_bins_equal_sklearn_calibration_curve(seed):
    from sklearn.calibration import calibration_curve

    y, p = _case(seed)
    observed, mean_p = calibration_curve(y, p, n_bins=10, strategy="uniform")
    bins = reliability(y, p)
    np.testing.assert_allclose([b["observed"] for b in bins], observed)
    np.testing.assert_allclose([b["mean_p"] for b in bins], mean_p)
    expected_ece = sum(b["count"] / len(y) * abs(o - m) for b, o, m in zip(bins, observed, mean_p))
    assert ece(y, p) == pytest.approx(expected_ece)


def test_edge_cases():
    y = np.array([1, 1, 1, 1])
    assert np.isnan(roc_auc(y, np.array([0.1, 0.2, 0.3, 0.4])))  # one class: undefined, as sklearn warns
    pred = np.array([0, 0, 0, 0])  # nothing predicted positive
    assert macro_f1(y, pred) == skm.f1_score(y, pred, average="macro", labels=[0, 1], zero_division=0) == 0.0
    y2, pred2 = np.array([0, 1, 0, 1]), np.array([0, 1, 0, 1])
    assert macro_f1(y2, pred2) == 1.0 and roc_auc(y2, np.array([0.2, 0.9, 0.2, 0.9])) == 1.0
    assert roc_auc(y2, np.full(4, 0.5)) == skm.roc_auc_score(y2, np.full(4, 0.5)) == 0.5
