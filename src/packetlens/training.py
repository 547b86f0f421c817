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
import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from packetlens import __version__
from packetlens.artifact import HEAD_LABELS, PacketModel, check_writable, save_model
from packetlens.data import LabeledDataset, duplicate_groups, load_labeled
from packetlens.embedding import Embedder, encode_in_chunks, load_embedder
from packetlens.errors import DataValidationError, TrainingError
from packetlens.exemplars import ExemplarRecord
from packetlens.features import design_matrix, fit_transform_tfidf, principal_basis
from packetlens.fitting import HeadProblem, fit_heads, fold_ids
from packetlens.heads import LogisticHead
from packetlens.metrics import head_metrics
from packetlens.progress import Progress, as_progress
from packetlens.results import HEADS, MOVES

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
            same either way. Training cost grows with the dense columns every solver pass reads;
            benchmarks/embed_dims.py measures what 192 of MiniLM's 384 cost in quality.
        cue_scale: weight of the rubric cues (:mod:`packetlens.cues`); 0 trains without them.
            With cues, each head is fitted in two stages (:mod:`packetlens.stacking`): the text
            model, then a small regression over its out-of-fold score and the cues.
            benchmarks/unseen_writers.py measures what they add on writers held out of training.
        stack_C: inverse regularization of that second stage.
        weight_heads: the heads that read the data's ``weight`` column (``None``: every head); the
            others count each row once.
        group_col: a data column naming each row's writer (e.g. ``voice``): cross-validation
            folds keep a writer's rows together, so out-of-fold scores, the choice of C and the
            second stage see writers they were not fitted on. Rows without a value fall back to
            their pair. ``None`` groups by pair only.
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
    cue_scale: float = 0.0
    stack_C: float = 10.0
    group_col: str | None = None
    weight_heads: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> TrainConfig:
        """Check every setting (train() calls this again before any work); returns ``self``.

        Raises:
            TrainingError: naming the first bad setting, its value and what it must be.
        """
        def whole(value: object) -> bool:
            return isinstance(value, int) and not isinstance(value, bool)

        def number(value: object) -> bool:
            return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)

        dims = self.embed_dims
        if dims is not None and (not whole(dims) or dims < 1):
            raise TrainingError(f"embed_dims must be a positive whole number (or None for all dimensions), not {dims!r}")
        if not whole(self.n_folds) or self.n_folds < 2:
            raise TrainingError(f"n_folds must be a whole number of at least 2 (cross-validation needs a "
                                f"held-out fold), not {self.n_folds!r}")
        grid = self.C_grid
        if not isinstance(grid, (tuple, list)) or not grid or not all(number(c) and c > 0 for c in grid):
            raise TrainingError(f"C_grid must be a non-empty list of positive numbers, not {grid!r}")
        band = self.abstain_band
        if not isinstance(band, (tuple, list)) or len(band) != 2 or not all(number(x) for x in band) \
                or not 0 <= band[0] <= band[1] <= 1:
            raise TrainingError(f"abstain_band must be two probabilities [low, high] with low <= high, not {band!r}")
        if not number(self.embed_scale) or self.embed_scale <= 0:
            raise TrainingError(f"embed_scale must be a positive number, not {self.embed_scale!r}")
        for key in ("min_df", "max_features"):
            if not whole(getattr(self, key)) or getattr(self, key) < 1:
                raise TrainingError(f"{key} must be a positive whole number, not {getattr(self, key)!r}")
        if not whole(self.seed):
            raise TrainingError(f"seed must be a whole number, not {self.seed!r}")
        for key in ("name", "version"):
            if not isinstance(getattr(self, key), str) or not getattr(self, key).strip():
                raise TrainingError(f"{key} must be a non-empty string, not {getattr(self, key)!r}")
        return self

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
        for k in ("C_grid", "abstain_band", "weight_heads"):
            if isinstance(raw.get(k), list):
                raw[k] = tuple(raw[k])
        try:
            return cls(**raw)
        except TrainingError as e:
            raise TrainingError(f"{path}: {e}") from None


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
    n_duplicate_rows: int = 0
    """Rows whose normalized text an earlier row had; CV keeps each with its copies."""
    n_base: int = 0  # the first n_base rows of ``dataset`` are base rows; the rest are the user's
    cache_dir: Path | None = None  # the cache training used; the registry gate scores through it too
    cache_vectors: bool = True

    @property
    def own_index(self) -> np.ndarray:
        """Row indices (into ``dataset``) of the user's own rows."""
        return np.arange(self.n_base, len(self.dataset))


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
          cache_dir: Path | None = None, cache_vectors: bool = True, text_col: str = "text",
          label_cols: dict[str, str] | None = None,
          label_values: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
          label_thresholds: Mapping[str, float] | None = None, bank_from_data: bool = True,
          progress: Progress | Callable[[str], None] | None = None,
          base_option: str | None = "--base") -> TrainResult:
    """Train the heads the labels allow and (if ``out`` is given) save the model directory.

    A head is trained when some row carries its label: a strength-only file gives a model with a
    strength head alone; with ``base_data`` the heads the file does not label are trained on the
    base rows. ``strength`` is required (the packet score is built on it). Every refusal that
    depends only on the rows (no strength label, a class with too few rows) comes before any
    embedding.

    Args:
        data: the user's labeled files, or an already loaded :class:`LabeledDataset`.
        out: where to write the model directory (atomically); ``None`` to keep it in memory.
        config: settings (:class:`TrainConfig`).
        exemplar_files: exemplar banks to include.
        bank_from_data: the strong rows of ``data`` join the exemplar bank (a company's own
            strong bullets are the most topical models for its people).
        base_data: labeled files mixed in (the shipped data/ for ``--base``); their strong
            rows do not join the bank (the shipped bank already covers them). Out-of-fold
            figures are reported on all rows and on the user's rows alone (``own_rows``).
        embedder: defaults to the ONNX backend through the vector cache.
        cache_dir: ONNX export + vector cache directory.
        cache_vectors: ``False`` writes no vector to disk (confidential text); the ONNX export
            and the weights hash are still cached.
        text_col, label_cols, label_values, label_thresholds: how the user's files are read
            (:func:`~packetlens.data.load_labeled`).
        progress: a :class:`~packetlens.progress.Progress`, or a callable given one message per stage.
        base_option: the option that mixes in base data, named in refusals ("add rows or train
            with --base"); ``None`` where the caller has none (``audit``).

    Raises:
        DataValidationError, TrainingError: with the file, row or class and the fix.
    """
    import time

    steps = as_progress(progress)
    config = (config or TrainConfig()).validate()
    if out is not None:
        check_writable(Path(out))
    if isinstance(data, LabeledDataset):
        user = data
    else:
        user = load_labeled(list(data), text_col=text_col, label_cols=label_cols, label_values=label_values,
                            label_thresholds=label_thresholds)
    ds = user
    if base_data:
        ds = load_labeled(list(base_data)).concat(user)
        dup = len(set(ds.ids)) != len(ds.ids)
        if dup:  # a user row id equal to a shipped id: re-key the user's rows
            ds.ids = ds.ids[: len(ds) - len(user)] + [f"user:{i}" for i in user.ids]
    n_base = len(ds) - len(user)
    fix = f"add rows or train with {base_option}" if base_option and not base_data else "add rows"
    _check_classes(ds, fix)
    data_hash = ds.content_hash()
    # folds keep a writer's rows together (group_col), pairs together, and copies of a text together
    groups, n_copies = duplicate_groups(ds.texts, fold_groups(ds, config.group_col, min_groups=config.n_folds))
    if n_copies:
        with steps.step(f"{n_copies} row(s) repeat an earlier row's text (ignoring case, spacing and "
                        "punctuation); each stays in one fold with its copies"):
            pass

    t0 = time.perf_counter()
    if embedder is None:
        # the ONNX backend: the same vectors as sentence-transformers (cosine 1.0000, DESIGN.md) without
        # importing torch once the export is cached; a cold cache exports it first (shown as a step)
        embedder = load_embedder(config.embedding, backend="onnx", cache_dir=cache_dir,
                                 use_vector_cache=cache_vectors, progress=steps)
    bank = load_exemplars(exemplar_files)
    bank += [ExemplarRecord(t, m or (), (user.meta.get("role") or [None] * len(user))[i],
                            (user.meta.get("work_type") or [None] * len(user))[i])
             for i, (t, s, m) in enumerate(zip(user.texts, user.strength, user.moves, strict=True))
             if s == "strong" and bank_from_data]
    seen: set[str] = set()
    bank = [r for r in bank if not (r.text in seen or seen.add(r.text))]
    with steps.step(f"embedding {len(ds)} rows and {len(bank)} exemplars", total=len(ds) + len(bank)) as advance:
        vecs = encode_in_chunks(embedder, ds.texts, advance)
        bank_vecs = encode_in_chunks(embedder, [r.text for r in bank], advance)
    embed_seconds = time.perf_counter() - t0

    t1 = time.perf_counter()
    tfidf, tfidf_rows = fit_transform_tfidf(ds.texts, min_df=config.min_df, max_features=config.max_features)
    basis = principal_basis(vecs, config.embed_dims)
    X_all = design_matrix(vecs @ basis, tfidf_rows, config.embed_scale)
    cues = None
    if config.cue_scale:
        from packetlens.cues import cue_matrix

        cues = cue_matrix(ds.texts) * config.cue_scale
    weights = row_weights(ds)
    heads: dict[str, LogisticHead] = {}
    metrics: dict[str, dict[str, object]] = {}
    oof: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    problems: dict[str, HeadProblem] = {}
    for head in HEADS:
        labels = ds.labels_for(head)
        idx = np.array([i for i, v in enumerate(labels) if v is not None], dtype=int)
        if len(idx) == 0:
            continue  # no row carries this label: the model has no such head (checked above for strength)
        y = np.array([labels[i] for i in idx])
        folds = fold_ids([groups[i] for i in idx], min(config.n_folds, _max_folds(y)), config.seed)
        weighted = weights is not None and (config.weight_heads is None or head in config.weight_heads)
        problems[head] = HeadProblem(idx, y, folds, weights[idx] if weighted else None)
    with steps.step(f"cross-validating and fitting {len(problems)} head(s)") as advance:
        fitted_heads = fit_heads(X_all, problems, C_grid=config.C_grid, one_se_rule=config.one_se_rule,
                                 seed=config.seed, advance=advance)
    d, n_terms = basis.shape[1], tfidf.n_terms
    for head, (fitted, p_oof, record) in fitted_heads.items():
        coef, intercept, calib = fitted.coef, fitted.intercept, (fitted.calib_a, fitted.calib_b)
        coef_cues = np.zeros(0)
        if cues is not None:
            from packetlens.stacking import stack_head

            pr = problems[head]
            st = stack_head(fitted.oof_z, cues[pr.idx], pr.y, pr.folds, pr.w, C=config.stack_C)
            coef, intercept, calib = st.alpha * coef, st.alpha * intercept + st.b, (st.calib_a, st.calib_b)
            coef_cues, p_oof = st.w_cues, st.p_oof
            record = {**record, "stack": {"alpha": st.alpha, "C": config.stack_C}}
        heads[head] = LogisticHead(head, *HEAD_LABELS[head], coef_emb=basis @ coef[:d],
                                   coef_tfidf=coef[d:d + n_terms], intercept=intercept,
                                   calib_a=calib[0], calib_b=calib[1], C=fitted.C, coef_cues=coef_cues)
        y = problems[head].y
        metrics[head] = {**head_metrics(y, p_oof), **record}
        own = problems[head].idx >= n_base
        if own.any():  # the same out-of-fold scores, on the user's rows alone
            metrics[head]["own_rows"] = head_metrics(y[own], p_oof[own])
        oof[head] = (problems[head].idx, p_oof)
    fit_seconds = time.perf_counter() - t1

    extra = {
        "created": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "training_data_sha256": data_hash,
        "n_training_rows": len(ds),
        "n_duplicate_rows": n_copies,
        "n_own_rows": len(user),
        "base_rows": n_base,
        "sources": sorted({str(s) for s in user.sources}),
        "package_versions": _package_versions(),
        "train_config": _jsonable(asdict(config)),
    }
    if label_values or label_thresholds:
        extra["label_values"] = _jsonable({"map": dict(label_values or {}), "threshold": dict(label_thresholds or {})})
    if config.embedding is not None:
        extra["embedding_source"] = str(config.embedding)
    model = PacketModel(name=config.name, version=config.version, embedding=embedder.identity,
                        heads=heads, tfidf=tfidf, exemplars=bank, exemplar_vectors=bank_vecs,
                        embed_scale=config.embed_scale, cue_scale=config.cue_scale, abstain_band=config.abstain_band,
                        metrics=_jsonable(metrics), extra=extra)
    from packetlens.card import model_card

    model.card = model_card(model, ds, n_base=n_base)
    model_dir = None
    if out is not None:
        model_dir = save_model(model, Path(out))
    params = {**asdict(config), "n_rows": len(ds), "n_own_rows": len(user), "n_base_rows": n_base,
              "n_exemplars": len(bank), "heads": ",".join(heads)}
    return TrainResult(model, model_dir, metrics, oof, ds, config, data_hash, embed_seconds, fit_seconds,
                       params=_jsonable({**params, "n_duplicate_rows": n_copies}), n_duplicate_rows=n_copies,
                       n_base=n_base, cache_dir=cache_dir, cache_vectors=cache_vectors)


def row_weights(ds: LabeledDataset) -> np.ndarray | None:
    """Per-row sample weights from an optional ``weight`` column (missing: 1); ``None`` when no row has one."""
    col = ds.meta.get("weight")
    if col is None or all(v is None for v in col):
        return None
    return np.array([1.0 if v is None else float(v) for v in col])  # type: ignore[arg-type]


def fold_groups(ds: LabeledDataset, group_col: str | None, *, min_groups: int = 2) -> list[str]:
    """Each row's cross-validation group: its ``group_col`` value (a writer) where it has one,
    else its pair (or itself). Pairs alone when the column is absent or names fewer than
    ``min_groups`` writers (too few to make folds of)."""
    col = ds.meta.get(group_col) if group_col else None
    if col is None or len({v for v in col if v not in (None, "")}) < min_groups:
        return list(ds.groups)
    return [f"{group_col}:{v}" if v not in (None, "") else g for v, g in zip(col, ds.groups, strict=True)]


def _max_folds(y: np.ndarray) -> int:
    return max(2, min(int(np.sum(y == 0)), int(np.sum(y == 1))))


def _check_classes(ds: LabeledDataset, fix: str) -> None:
    """Refuse, before any embedding, rows that cannot train a strength head or have a class too small."""
    if all(s is None for s in ds.strength):
        raise TrainingError(f"no row carries a strength label; add a 'strength' column (or map yours: "
                            f"--label-col strength=COLUMN); {fix}")
    for head in HEADS:
        labels = [v for v in ds.labels_for(head) if v is not None]
        if not labels:
            continue
        pos, neg = HEAD_LABELS[head]
        for cls, count in ((pos, sum(labels)), (neg, len(labels) - sum(labels))):
            if count < MIN_CLASS_ROWS:
                what = f"{head}={cls}" if head in ("strength", "framing") else f"move {head} ({'present' if cls == pos else 'absent'})"
                raise TrainingError(f"{what} has {count} labeled row(s); each class needs at least "
                                    f"{MIN_CLASS_ROWS}; {fix}")


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
