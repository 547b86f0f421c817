"""The second stage of a head: weigh the text model's out-of-fold score against the rubric cues.

Fitting the cues jointly with 20,000 TF-IDF columns and the embedding gives them almost no
weight: in-sample, the text features already separate the training rows, so the cues are never
needed there, and on a writer the model has not seen the text features are what fails. This
stage fits a small logistic regression over ``[z_text, cue_scale * cues]``, where ``z_text`` is
the text model's *out-of-fold* decision value (folds grouped by writer when the data names its
writers), so it learns how far to trust the text model on rows it did not see, and how much each
cue moves the verdict.

Everything stays one linear model: the final head is ``alpha * z_text + w . (cue_scale * cues) + b``,
folded back into the head's embedding, TF-IDF and cue weights (:func:`stack_head`), so scoring
and the model directory are unchanged in kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from packetlens.heads import calibrate, fit_platt


@dataclass(frozen=True)
class Stacked:
    """The second stage: ``z = alpha * z_text + cues_scaled @ w_cues + b``, then Platt ``(calib_a, calib_b)``."""

    alpha: float
    w_cues: np.ndarray
    b: float
    calib_a: float
    calib_b: float
    p_oof: np.ndarray  # calibrated out-of-fold P(positive) of the stacked head, one per row


def _fit(Z: np.ndarray, y: np.ndarray, w: np.ndarray | None, C: float):  # noqa: ANN202
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, class_weight="balanced", max_iter=2000).fit(Z, y, sample_weight=w)


def stack_head(z_text_oof: np.ndarray, cues_scaled: np.ndarray, y: np.ndarray, folds: np.ndarray,
               w: np.ndarray | None, *, C: float) -> Stacked:
    """Fit the second stage on out-of-fold text scores ``(n,)`` and scaled cues ``(n, k)``.

    Its own out-of-fold probabilities come from refitting it on the other folds (the text scores
    are already out-of-fold), and calibrate it the way the first stage is calibrated.
    """
    Z = np.column_stack([z_text_oof, cues_scaled])
    z2 = np.zeros(len(y))
    for k in np.unique(folds):
        tr, te = folds != k, folds == k
        if len(set(y[tr])) < 2:
            continue
        z2[te] = _fit(Z[tr], y[tr], None if w is None else w[tr], C).decision_function(Z[te])
    a, c = fit_platt(z2, y)
    final = _fit(Z, y, w, C)
    return Stacked(float(final.coef_[0][0]), np.asarray(final.coef_[0][1:]), float(final.intercept_[0]),
                   a, c, calibrate(z2, a, c))
