"""Choosing and fitting the heads: grouped cross-validation over C, final fits, Platt calibration.

Every head is an L2-regularized logistic regression (scikit-learn's liblinear, class-balanced)
over one design matrix. :func:`fit_heads` cross-validates C for every head in rounds of fits run
by :class:`_FitPool`, fits each head on all its rows at the chosen C, and calibrates it on its
out-of-fold decision values. :mod:`packetlens.training` builds the design matrix and the problems.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from packetlens.heads import calibrate, fit_platt


def fold_ids(groups: Sequence[str], n_folds: int, seed: int) -> np.ndarray:
    """Assign whole groups to folds (a pair never straddles folds), balanced by size."""
    uniq = sorted(set(groups))
    rng = np.random.default_rng(seed)
    rng.shuffle(uniq)
    fold_of = {g: i % n_folds for i, g in enumerate(uniq)}
    return np.array([fold_of[g] for g in groups])


def fit_lr(X, y: np.ndarray, C: float, seed: int, tol: float = 1e-2, sample_weight: np.ndarray | None = None):
    from sklearn.linear_model import LogisticRegression

    # liblinear's dual solver: n_rows < n_features here, and it was 2.4x faster than the primal
    # on 10,000 rows x 20,384 features with identical decisions. Against tol 1e-3, the final
    # fits' 1e-2 moved held-out decision values on data/ by at most 0.0023 (1 of 61,254 changed
    # side) and the CV fits' 1e-1 by at most 0.023 (19 changed side), for about 25% and 40% fewer
    # passes (benchmarks/solver_tolerance.py).
    lr = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", dual=True, tol=tol,
                            max_iter=1000, random_state=seed)
    return lr.fit(X, y, sample_weight=sample_weight)


@dataclass(frozen=True)
class FittedHead:
    """One head's fitted weights over the whole design matrix, before splitting into blocks."""

    coef: np.ndarray
    intercept: float
    calib_a: float
    calib_b: float
    C: float
    oof_z: np.ndarray | None = None  # out-of-fold decision values at the chosen C, one per row


@dataclass(frozen=True)
class HeadProblem:
    """The rows one head trains on: their indices in the design matrix, 0/1 targets, CV folds,
    and optional per-row sample weights (``None``: every row counts once)."""

    idx: np.ndarray
    y: np.ndarray
    folds: np.ndarray
    w: np.ndarray | None = None


# The data every fit of one fit_heads call reads; set before the worker processes fork, so they
# share it copy-on-write instead of receiving it pickled with each task.
_FIT_DATA: dict[str, object] = {}


def _run_fit(task: tuple[str, str, float, int]) -> tuple[str, str, float, int, object]:
    """One liblinear fit: ("cv", head, C, fold) -> held-out decision values; ("final", head, C, -1) -> model."""
    kind, h, C, k = task
    pr: HeadProblem = _FIT_DATA["problems"][h]  # type: ignore[index]
    X_all, folds = _FIT_DATA["slices"][h]  # type: ignore[index]
    seed: int = _FIT_DATA["seed"]  # type: ignore[assignment]
    if kind == "final":
        return kind, h, C, k, fit_lr(X_all, pr.y, C, seed, sample_weight=pr.w)
    train_m, test_m = pr.folds != k, pr.folds == k
    if len(set(pr.y[train_m])) < 2:
        return kind, h, C, k, np.zeros(int(test_m.sum()))
    X_train, X_test = folds[k]
    w = None if pr.w is None else pr.w[train_m]
    return kind, h, C, k, fit_lr(X_train, pr.y[train_m], C, seed, tol=1e-1, sample_weight=w).decision_function(X_test)


class _FitPool:
    """Runs fits in forked worker processes, or in this process where fork is unavailable.

    Not threads: liblinear draws its coordinate order from one process-wide random generator, so
    two fits running at once in threads perturb each other and the same data could choose a
    different C from one run to the next. A worker process runs one fit at a time, seeded per fit.
    Fork only on Linux (macOS system frameworks are not fork-safe); elsewhere fits run one by one.
    """

    def __init__(self, n_jobs: int) -> None:
        import multiprocessing

        self.pool = None
        if n_jobs > 1 and sys.platform.startswith("linux"):
            self.pool = multiprocessing.get_context("fork").Pool(n_jobs)

    def map(self, tasks: list[tuple[str, str, float, int]],
            advance: Callable[[int], None] | None = None) -> list[tuple[str, str, float, int, object]]:
        """Run ``tasks``, results in task order; ``advance(1)`` after each fit."""
        results = map(_run_fit, tasks) if self.pool is None else self.pool.imap(_run_fit, tasks, chunksize=1)
        out = []
        for r in results:
            out.append(r)
            if advance is not None:
                advance(1)
        return out

    def __enter__(self) -> _FitPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


def fit_heads(X, problems: dict[str, HeadProblem], *, C_grid: Sequence[float], one_se_rule: bool = True,  # noqa: ANN001
              seed: int = 13, n_jobs: int = 2,
              advance: Callable[[int], None] | None = None) -> dict[str, tuple[FittedHead, np.ndarray, dict[str, object]]]:
    """For each head: choose C by grouped CV, fit on all its rows, Platt-calibrate out-of-fold.

    The grid is walked from the largest C down, in rounds: the first round cross-validates the two
    largest values for every head; a head goes on to the next smaller C only while that could still
    be chosen (:func:`needs_smaller_C`), and a head whose C is settled gets its final fit in the
    next round. All fits of a round run in ``n_jobs`` worker processes (:class:`_FitPool`); the
    result does not depend on ``n_jobs``. ``advance(1)`` is called after each fit (progress). Returns ``head -> (fitted head, calibrated out-of-fold
    P(positive), CV record)``.
    """
    from packetlens.metrics import macro_f1, roc_auc

    # heads labeled on the same rows share their row slices and fold splits (one copy each)
    slices: dict[bytes, tuple[object, dict[int, tuple[object, object]]]] = {}
    for pr in problems.values():
        key = pr.idx.tobytes() + pr.folds.tobytes()
        if key not in slices:
            Xh = X if np.array_equal(pr.idx, np.arange(X.shape[0])) else X[pr.idx]
            folds = {k: (Xh[pr.folds != k], Xh[pr.folds == k]) for k in range(int(pr.folds.max()) + 1)}
            slices[key] = (Xh, folds)
    _FIT_DATA.update(problems=problems, seed=seed,
                     slices={h: slices[pr.idx.tobytes() + pr.folds.tobytes()] for h, pr in problems.items()})

    grid = sorted(set(C_grid), reverse=True)
    oof: dict[str, dict[float, np.ndarray]] = {h: {} for h in problems}
    scores: dict[str, dict[float, tuple[float, float]]] = {h: {} for h in problems}
    todo = {h: grid[:2] for h in problems}  # C values to cross-validate next, per head
    settled: dict[str, tuple[float, float]] = {}  # head -> (chosen C, best cross-validated C)
    models: dict[str, object] = {}
    try:
        with _FitPool(n_jobs) as pool:
            while len(models) < len(problems):
                tasks = [("cv", h, C, k) for h, Cs in todo.items() for C in Cs
                         for k in range(int(problems[h].folds.max()) + 1)]
                tasks += [("final", h, C, -1) for h, (C, _) in settled.items() if h not in models]
                for kind, h, C, k, z in pool.map(tasks, advance):
                    if kind == "final":
                        models[h] = z
                        continue
                    oof[h].setdefault(C, np.zeros(len(problems[h].y)))[problems[h].folds == k] = z
                for h, Cs in todo.items():
                    y = problems[h].y
                    scores[h].update({C: (macro_f1(y, oof[h][C] > 0), roc_auc(y, oof[h][C])) for C in Cs})
                todo = {}
                for h in problems:
                    if h in settled:
                        continue
                    smaller = [C for C in grid if C < min(scores[h])]
                    if smaller and needs_smaller_C(scores[h], len(problems[h].y), one_se_rule):
                        todo[h] = smaller[:1]
                    else:
                        settled[h] = choose_C(scores[h], len(problems[h].y), one_se_rule)
    finally:
        _FIT_DATA.clear()
    out = {}
    for h in problems:
        full, (best, top) = models[h], settled[h]
        a, b = fit_platt(oof[h][best], problems[h].y)
        fitted = FittedHead(np.asarray(full.coef_[0]), float(full.intercept_[0]), a, b, best, oof[h][best])
        record = {"C": best, "C_best_cv": top,
                  "cv": {str(C): {"macro_f1": sc[0], "roc_auc": sc[1]} for C, sc in sorted(scores[h].items())},
                  "cv_not_needed": [C for C in grid if C not in scores[h]]}
        out[h] = (fitted, calibrate(oof[h][best], a, b), record)
    return out


def _standard_error(f1: float, n: int) -> float:
    return (f1 * (1 - f1) / max(n, 1)) ** 0.5


def choose_C(scores: dict[float, tuple[float, float]], n: int, one_se_rule: bool) -> tuple[float, float]:
    """(chosen C, best C) among the cross-validated ones.

    The best is the highest (macro-F1, ROC AUC); with the one-standard-error rule the choice is the
    most regularized C within one standard error of the best macro-F1: less saturated probabilities
    carry over better to text written by other people.
    """
    top = max(sorted(scores), key=lambda C: scores[C])
    if not one_se_rule:
        return top, top
    f1 = scores[top][0]
    return min(C for C in scores if scores[C][0] >= f1 - _standard_error(f1, n)), top


def needs_smaller_C(scores: dict[float, tuple[float, float]], n: int, one_se_rule: bool) -> bool:
    """Could a C below the smallest cross-validated one still be chosen?

    Cross-validated macro-F1 against log C rises to one peak and falls. Once the smallest C tried
    is below the best (one-SE rule: below the band one standard error under the best), every
    smaller C is lower still and cannot be chosen, so it is not cross-validated. On 10,000 rows the
    standard error is small and most heads stop after two values of C; on data/ all three are tried.
    """
    lowest = min(scores)
    top = max(sorted(scores), key=lambda C: scores[C])
    if not one_se_rule:
        return lowest == top
    f1 = scores[top][0]
    return scores[lowest][0] >= f1 - _standard_error(f1, n)
