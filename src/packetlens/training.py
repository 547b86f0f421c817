"""Training: validate -> embed (cached) -> grouped CV + fit heads -> save the model dir atomically.

MLflow logging is a separate step (:mod:`packetlens.tracking`); ``packetlens train`` does both.

Example::

    >>> result = train([Path("data/bullets.jsonl")], out=Path("models/mine"),
    ...                exemplar_files=[Path("data/exemplars.jsonl")])      # doctest: +SKIP
    >>> result.metrics["strength"]["macro_f1"]                             # doctest: +SKIP
    0.93
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from packetlens import __version__
from packetlens.artifact import HEAD_LABELS, PacketModel, check_writable, save_model
from packetlens.data import LabeledDataset, load_labeled
from packetlens.embedding import Embedder, load_embedder
from packetlens.errors import DataValidationError, TrainingError
from packetlens.exemplars import ExemplarRecord
from packetlens.features import design_matrix, fit_transform_tfidf
from packetlens.heads import LogisticHead, calibrate, fit_platt
from packetlens.metrics import head_metrics
from packetlens.results import MOVES

MIN_CLASS_ROWS = 8


@dataclass
class TrainConfig:
    """Training settings; everything a run logs as params.

    Attributes:
        name, version: recorded in the model's config and card.
        embedding: a sentence-transformers directory, or ``None`` for the default MiniLM.
        C_grid: inverse regularization strengths tried by grouped cross-validation.
        n_folds: folds of the grouped cross-validation (groups are ``pair_id``).
        embed_scale: weight of the embedding block beside TF-IDF.
        min_df, max_features: TF-IDF vocabulary settings.
        abstain_band: P(strong) inside this open interval is flagged ``uncertain``.
        seed: shuffling seed of the folds.
        one_se_rule: pick the most regularized C within one standard error of the best
            cross-validated macro-F1, rather than the best itself.
        embed_dims: the heads read the embedding's top ``embed_dims`` principal directions (of
            the training rows) instead of all its dimensions; ``None`` reads all. The fitted
            weights are mapped back to the full embedding, so a saved model and scoring are the
            same either way. Training cost grows with the dense columns every solver pass reads:
            192 of MiniLM's 384 cut a 10,000-row retrain from 13.4 s to 8.7 s with the same
            out-of-fold and leave-one-writer-out figures within 0.004 (training/default.toml).
    """

    name: str = "packetlens"
    version: str = "0"
    embedding: str | None = None
    C_grid: tuple[float, ...] = (0.5, 2.0, 8.0)
    n_folds: int = 5
    embed_scale: float = 0.5
    min_df: int = 2
    max_features: int = 20000
    abstain_band: tuple[float, float] = (0.35, 0.65)
    seed: int = 13
    one_se_rule: bool = True
    embed_dims: int | None = 192

    @classmethod
    def from_file(cls, path: Path) -> TrainConfig:
        """Read a JSON or TOML config; unknown keys are an error naming the key."""
        from packetlens.reading import read_text_file

        text = read_text_file(path, what="config")
        try:
            if path.suffix.lower() == ".toml":
                import tomllib

                raw = tomllib.loads(text)
                raw = raw.get("train", raw)
            else:
                raw = json.loads(text)
        except ValueError as e:
            raise TrainingError(f"{path}: not valid {path.suffix.lstrip('.').upper() or 'JSON'} ({e}); fix the file") from e
        known = {f for f in cls.__dataclass_fields__}
        unknown = sorted(set(raw) - known)
        if unknown:
            raise TrainingError(f"{path}: unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}")
        for k in ("C_grid", "abstain_band"):
            if k in raw:
                raw[k] = tuple(raw[k])
        dims = raw.get("embed_dims")
        if dims is not None and (not isinstance(dims, int) or isinstance(dims, bool) or dims < 1):
            raise TrainingError(f"{path}: embed_dims must be a positive whole number (or absent for all dimensions), "
                                f"not {dims!r}")
        return cls(**raw)


@dataclass
class TrainResult:
    """What :func:`train` returns: the model, its directory, the out-of-fold metrics and predictions."""

    model: PacketModel
    model_dir: Path | None
    metrics: dict[str, dict[str, object]]
    oof: dict[str, tuple[np.ndarray, np.ndarray]]  # head -> (row index, P(positive))
    dataset: LabeledDataset
    config: TrainConfig
    data_hash: str
    embed_seconds: float = 0.0
    fit_seconds: float = 0.0
    params: dict[str, object] = field(default_factory=dict)


def _fold_ids(groups: Sequence[str], n_folds: int, seed: int) -> np.ndarray:
    """Assign whole groups to folds (a pair never straddles folds), balanced by size."""
    uniq = sorted(set(groups))
    rng = np.random.default_rng(seed)
    rng.shuffle(uniq)
    fold_of = {g: i % n_folds for i, g in enumerate(uniq)}
    return np.array([fold_of[g] for g in groups])


def _fit_lr(X, y: np.ndarray, C: float, seed: int, tol: float = 1e-2):
    from sklearn.linear_model import LogisticRegression

    # liblinear's dual solver: n_rows < n_features here, and it was 2.4x faster than the primal
    # on 10,000 rows x 20,384 features with identical decisions. Against tol 1e-3, the final
    # fits' 1e-2 moved held-out decision values on data/ by at most 0.0023 (1 of 61,254 changed
    # side) and the CV fits' 1e-1 by at most 0.023 (19 changed side), for about 25% and 40% fewer
    # passes (benchmarks/solver_tolerance.py).
    lr = LogisticRegression(C=C, class_weight="balanced", solver="liblinear", dual=True, tol=tol,
                            max_iter=1000, random_state=seed)
    return lr.fit(X, y)


@dataclass(frozen=True)
class FittedHead:
    """One head's fitted weights over the whole design matrix, before splitting into blocks."""

    coef: np.ndarray
    intercept: float
    calib_a: float
    calib_b: float
    C: float


@dataclass(frozen=True)
class HeadProblem:
    """The rows one head trains on: their indices in the design matrix, 0/1 targets, CV folds."""

    idx: np.ndarray
    y: np.ndarray
    folds: np.ndarray


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
        return kind, h, C, k, _fit_lr(X_all, pr.y, C, seed)
    train_m, test_m = pr.folds != k, pr.folds == k
    if len(set(pr.y[train_m])) < 2:
        return kind, h, C, k, np.zeros(int(test_m.sum()))
    X_train, X_test = folds[k]
    return kind, h, C, k, _fit_lr(X_train, pr.y[train_m], C, seed, tol=1e-1).decision_function(X_test)


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

    def map(self, tasks: list[tuple[str, str, float, int]]) -> list[tuple[str, str, float, int, object]]:
        if self.pool is None:
            return [_run_fit(t) for t in tasks]
        return self.pool.map(_run_fit, tasks, chunksize=1)

    def __enter__(self) -> _FitPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


def fit_heads(X, problems: dict[str, HeadProblem], config: TrainConfig,
              n_jobs: int = 2) -> dict[str, tuple[FittedHead, np.ndarray, dict[str, object]]]:
    """For each head: choose C by grouped CV, fit on all its rows, Platt-calibrate out-of-fold.

    The grid is walked from the largest C down, in rounds: the first round cross-validates the two
    largest values for every head; a head goes on to the next smaller C only while that could still
    be chosen (:func:`_needs_smaller_C`), and a head whose C is settled gets its final fit in the
    next round. All fits of a round run in ``n_jobs`` worker processes (:class:`_FitPool`); the
    result does not depend on ``n_jobs``. Returns ``head -> (fitted head, calibrated out-of-fold
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
    _FIT_DATA.update(problems=problems, seed=config.seed,
                     slices={h: slices[pr.idx.tobytes() + pr.folds.tobytes()] for h, pr in problems.items()})

    grid = sorted(set(config.C_grid), reverse=True)
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
                for kind, h, C, k, z in pool.map(tasks):
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
                    if smaller and _needs_smaller_C(scores[h], len(problems[h].y), config.one_se_rule):
                        todo[h] = smaller[:1]
                    else:
                        settled[h] = _choose_C(scores[h], len(problems[h].y), config.one_se_rule)
    finally:
        _FIT_DATA.clear()
    out = {}
    for h in problems:
        full, (best, top) = models[h], settled[h]
        a, b = fit_platt(oof[h][best], problems[h].y)
        fitted = FittedHead(np.asarray(full.coef_[0]), float(full.intercept_[0]), a, b, best)
        record = {"C": best, "C_best_cv": top,
                  "cv": {str(C): {"macro_f1": sc[0], "roc_auc": sc[1]} for C, sc in sorted(scores[h].items())},
                  "cv_not_needed": [C for C in grid if C not in scores[h]]}
        out[h] = (fitted, calibrate(oof[h][best], a, b), record)
    return out


def _standard_error(f1: float, n: int) -> float:
    return (f1 * (1 - f1) / max(n, 1)) ** 0.5


def _choose_C(scores: dict[float, tuple[float, float]], n: int, one_se_rule: bool) -> tuple[float, float]:
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


def _needs_smaller_C(scores: dict[float, tuple[float, float]], n: int, one_se_rule: bool) -> bool:
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


def load_exemplars(paths: Sequence[Path]) -> list[ExemplarRecord]:
    """Read exemplar JSONL files (``text``, ``moves``, optional ``role`` and ``work_type``)."""
    from packetlens.reading import read_text_file

    out: list[ExemplarRecord] = []
    for p in paths:
        text = read_text_file(Path(p), max_bytes=50 * 1024 * 1024, what="exemplar file")
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                moves = tuple(m for m in MOVES if m in d.get("moves", ()))
                out.append(ExemplarRecord(str(d["text"]).strip(), moves, d.get("role"), d.get("work_type")))
            except (ValueError, KeyError, TypeError) as e:
                raise DataValidationError(f"{p}: line {n}: bad exemplar ({e}); each line needs 'text' and 'moves'") from e
    return out


def _package_versions() -> dict[str, str]:
    out = {"python": sys.version.split()[0], "packetlens": __version__}
    for pkg in ("numpy", "scikit-learn", "sentence-transformers", "onnxruntime", "tokenizers"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            pass
    return out


def train(data: Sequence[Path] | LabeledDataset, *, out: Path | None = None,
          config: TrainConfig | None = None, exemplar_files: Sequence[Path] = (),
          base_data: Sequence[Path] = (), embedder: Embedder | None = None,
          cache_dir: Path | None = None, text_col: str = "text",
          label_cols: dict[str, str] | None = None, bank_from_data: bool = True,
          progress: Callable[[str], None] | None = None) -> TrainResult:
    """Train every head on labeled rows and (if ``out`` is given) save the model directory.

    Args:
        data: the user's labeled files, or an already loaded :class:`LabeledDataset`.
        out: where to write the model directory (atomically); ``None`` to keep it in memory.
        config: settings (:class:`TrainConfig`).
        exemplar_files: exemplar banks to include.
        bank_from_data: the strong rows of ``data`` join the exemplar bank (a company's own
            strong bullets are the most topical models for its people).
        base_data: labeled files mixed in (the shipped data/ for ``--base``); their strong
            rows do not join the bank (the shipped bank already covers them).
        embedder: defaults to the sentence-transformers backend through the vector cache.
        cache_dir: ONNX export + vector cache directory.
        text_col, label_cols: column mapping for the user's files.
        progress: called with a short message at each stage (the CLI prints it to stderr).

    Raises:
        DataValidationError, TrainingError: with the file, row or class and the fix.
    """
    import time

    say = progress or (lambda _m: None)
    config = config or TrainConfig()
    if out is not None:
        check_writable(Path(out))
    if isinstance(data, LabeledDataset):
        user = data
    else:
        say(f"reading {len(data)} file(s)")
        user = load_labeled(list(data), text_col=text_col, label_cols=label_cols)
    ds = user
    if base_data:
        ds = load_labeled(list(base_data)).concat(user)
        dup = len(set(ds.ids)) != len(ds.ids)
        if dup:  # a user row id equal to a shipped id: re-key the user's rows
            ds.ids = ds.ids[: len(ds) - len(user)] + [f"user:{i}" for i in user.ids]
    _check_classes(ds)
    data_hash = ds.content_hash()

    t0 = time.perf_counter()
    if embedder is None:
        say("loading the embedding model")
        embedder = load_embedder(config.embedding, backend="sentence-transformers", cache_dir=cache_dir)
    bank = load_exemplars(exemplar_files)
    bank += [ExemplarRecord(t, m or (), (user.meta.get("role") or [None] * len(user))[i],
                            (user.meta.get("work_type") or [None] * len(user))[i])
             for i, (t, s, m) in enumerate(zip(user.texts, user.strength, user.moves, strict=True))
             if s == "strong" and bank_from_data]
    seen: set[str] = set()
    bank = [r for r in bank if not (r.text in seen or seen.add(r.text))]
    say(f"embedding {len(ds)} rows and {len(bank)} exemplars")
    vecs = embedder.encode(ds.texts)
    bank_vecs = embedder.encode([r.text for r in bank]) if bank else np.zeros((0, embedder.identity.dimension), np.float32)
    embed_seconds = time.perf_counter() - t0

    t1 = time.perf_counter()
    tfidf, tfidf_rows = fit_transform_tfidf(ds.texts, min_df=config.min_df, max_features=config.max_features)
    basis = _embedding_basis(vecs, config.embed_dims)
    X_all = design_matrix(vecs @ basis, tfidf_rows, config.embed_scale)
    heads: dict[str, LogisticHead] = {}
    metrics: dict[str, dict[str, object]] = {}
    oof: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    problems: dict[str, HeadProblem] = {}
    for head in ("strength", "framing", *MOVES):
        labels = ds.labels_for(head)
        idx = np.array([i for i, v in enumerate(labels) if v is not None], dtype=int)
        if len(idx) == 0:
            if head in ("strength", "framing"):
                raise TrainingError(f"no row carries a {head} label; add a '{head}' column or train with --base")
            say(f"skipping the {head} head: no row carries a moves label")
            continue
        y = np.array([labels[i] for i in idx])
        folds = _fold_ids([ds.groups[i] for i in idx], min(config.n_folds, _max_folds(y)), config.seed)
        problems[head] = HeadProblem(idx, y, folds)
    say(f"cross-validating and fitting {len(problems)} heads")
    d = basis.shape[1]
    for head, (fitted, p_oof, record) in fit_heads(X_all, problems, config).items():
        heads[head] = LogisticHead(head, *HEAD_LABELS[head], coef_emb=basis @ fitted.coef[:d],
                                   coef_tfidf=fitted.coef[d:], intercept=fitted.intercept,
                                   calib_a=fitted.calib_a, calib_b=fitted.calib_b, C=fitted.C)
        metrics[head] = {**head_metrics(problems[head].y, p_oof), **record}
        oof[head] = (problems[head].idx, p_oof)
    fit_seconds = time.perf_counter() - t1

    extra = {
        "created": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training_data_sha256": data_hash,
        "n_training_rows": len(ds),
        "package_versions": _package_versions(),
        "train_config": _jsonable(asdict(config)),
    }
    if config.embedding is not None:
        extra["embedding_source"] = str(config.embedding)
    model = PacketModel(name=config.name, version=config.version, embedding=embedder.identity,
                        heads=heads, tfidf=tfidf, exemplars=bank, exemplar_vectors=bank_vecs,
                        embed_scale=config.embed_scale, abstain_band=config.abstain_band,
                        metrics=_jsonable(metrics), extra=extra)
    from packetlens.card import model_card

    model.card = model_card(model, ds)
    model_dir = None
    if out is not None:
        say(f"saving the model to {out}")
        model_dir = save_model(model, Path(out))
    return TrainResult(model, model_dir, metrics, oof, ds, config, data_hash, embed_seconds, fit_seconds,
                       params=_jsonable({**asdict(config), "n_rows": len(ds), "n_exemplars": len(bank)}))


def _embedding_basis(vecs: np.ndarray, dims: int | None) -> np.ndarray:
    """(d, k) orthonormal basis of the top-``dims`` principal directions of the rows' embeddings."""
    d = vecs.shape[1]
    if dims is None or dims >= min(d, len(vecs)):
        return np.eye(d)
    v = np.asarray(vecs, dtype=np.float64)
    _, _, vt = np.linalg.svd(v - v.mean(axis=0), full_matrices=False)
    return np.ascontiguousarray(vt[:dims].T)


def _max_folds(y: np.ndarray) -> int:
    return max(2, min(int(np.sum(y == 0)), int(np.sum(y == 1))))


def _check_classes(ds: LabeledDataset) -> None:
    for head in ("strength", "framing", *MOVES):
        labels = [v for v in ds.labels_for(head) if v is not None]
        if not labels:
            continue
        pos, neg = HEAD_LABELS[head]
        for cls, count in ((pos, sum(labels)), (neg, len(labels) - sum(labels))):
            if count < MIN_CLASS_ROWS:
                what = f"{head}={cls}" if head in ("strength", "framing") else f"move {head} ({'present' if cls == pos else 'absent'})"
                raise TrainingError(f"{what} has {count} labeled row(s); each class needs at least "
                                    f"{MIN_CLASS_ROWS}; add rows or train with --base")


def _jsonable(obj: object) -> object:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if f != f else f
    if isinstance(obj, np.integer):
        return int(obj)
    return obj



def base_files() -> tuple[tuple[Path, ...], tuple[Path, ...]]:
    """The shipped labeled data and exemplar bank (``--base``), inside the installed package."""
    root = Path(__file__).parent / "base_data"
    data, bank = root / "bullets.jsonl", root / "exemplars.jsonl"
    if not data.is_file():
        raise TrainingError(f"{root}: the shipped data is missing from this install; reinstall packetlens "
                            "or train with --no-base")
    return (data,), ((bank,) if bank.is_file() else ())
