"""The model directory format, and nothing else.

A model is a directory of data, never code (no pickle; loading executes nothing from it)::

    config.json            schema version, labels, thresholds, embedding identity, features,
                           package versions, training-data hash
    heads.npz              each head's arrays (allow_pickle=False) + the TF-IDF idf
    vocabulary.json        the TF-IDF terms, in column order
    exemplars.jsonl        the exemplar bank (text, moves, role, work_type)
    exemplar_vectors.npy   their embeddings, shape (n_exemplars, dimension)
    metrics.json           out-of-fold metrics of each head
    README.md              the generated model card

:func:`save_model` writes atomically: a crash leaves the previous model as it was.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from packetlens.cues import CUE_NAMES, CUES_VERSION
from packetlens.embedding import EmbeddingIdentity
from packetlens.errors import ModelArtifactError
from packetlens.exemplars import ExemplarRecord
from packetlens.features import Tfidf
from packetlens.files import leftovers, owned_name, remove_leftovers
from packetlens.heads import LogisticHead
from packetlens.results import FRAMING_LABELS, MOVES, STRENGTH_LABELS

SCHEMA_VERSION = 1
HEAD_LABELS: dict[str, tuple[str, str]] = {
    "strength": (STRENGTH_LABELS[1], STRENGTH_LABELS[0]),
    "framing": (FRAMING_LABELS[1], FRAMING_LABELS[0]),
    **{m: (m, f"no_{m}") for m in MOVES},
}
"""head name -> (positive label, negative label)."""

_FILES = ("config.json", "heads.npz", "vocabulary.json", "exemplars.jsonl", "exemplar_vectors.npy")


@dataclass
class PacketModel:
    """Everything a scorer needs besides the embedding weights."""

    name: str
    version: str
    embedding: EmbeddingIdentity
    heads: dict[str, LogisticHead]
    tfidf: Tfidf
    exemplars: list[ExemplarRecord]
    exemplar_vectors: np.ndarray
    embed_scale: float = 0.5
    cue_scale: float = 0.0
    abstain_band: tuple[float, float] = (0.35, 0.65)
    metrics: dict[str, object] = field(default_factory=dict)
    extra: dict[str, object] = field(default_factory=dict)
    card: str = ""

    def config(self) -> dict[str, object]:
        return {
            "schema_version": SCHEMA_VERSION,
            "name": self.name,
            "version": self.version,
            "embedding": self.embedding.to_dict(),
            "features": {"embed_scale": self.embed_scale, "tfidf": {"ngram_range": [1, 2],
                         "sublinear_tf": True, "norm": "l2", "n_terms": self.tfidf.n_terms},
                         **({"cues": {"version": CUES_VERSION, "names": list(CUE_NAMES), "scale": self.cue_scale}}
                            if self.cue_scale else {})},
            "heads": {h: {"positive": HEAD_LABELS[h][0], "negative": HEAD_LABELS[h][1],
                          "threshold": 0.5, "C": self.heads[h].C} for h in self.heads},
            "abstain_band": list(self.abstain_band),
            "n_exemplars": len(self.exemplars),
            **self.extra,
        }


def is_model_dir(directory: Path) -> bool:
    """Whether ``directory`` looks like a packetlens model (its config.json and heads.npz are there)."""
    directory = Path(directory)
    return all((directory / name).is_file() for name in ("config.json", "heads.npz"))


def check_target(directory: Path) -> None:
    """Refuse (before any work) an output path holding anything but a packetlens model.

    Saving replaces the directory whole; a file, or a directory of other things, would be lost.
    A missing path or an empty directory is fine.

    Raises:
        ModelArtifactError: naming the path and what is there.
    """
    directory = Path(directory)
    fix = "pass --out a new path, or a packetlens model directory to replace"
    if directory.is_symlink():
        raise ModelArtifactError(f"{directory}: is a link; packetlens replaces a model directory whole and "
                                 f"will not replace a link or what it points to; {fix}")
    if directory.exists() and not directory.is_dir():
        raise ModelArtifactError(f"{directory}: is a file, not a model directory; packetlens will not "
                                 f"replace it; {fix}")
    if directory.is_dir() and any(directory.iterdir()) and not is_model_dir(directory):
        raise ModelArtifactError(f"{directory}: is a directory that holds no packetlens model (no "
                                 f"config.json and heads.npz); packetlens will not replace it; {fix}")


def check_writable(directory: Path) -> None:
    """Fail early (before training) when ``directory`` could not be written or must not be replaced."""
    check_target(directory)
    parent = Path(directory).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryDirectory(dir=parent, prefix=f".{Path(directory).name}.probe-").cleanup()
    except OSError as e:
        raise ModelArtifactError(f"{parent}: cannot write the model here ({e.strerror}); pass a writable --out") from e


# The save is: write everything into ``.NAME.tmp-PID-RANDOM``; move the current model into
# ``.NAME.old-PID-RANDOM/model``; move the new one into place; delete the old one. A process
# killed between the two moves leaves no ``NAME`` but a complete ``.NAME.old-*/model``, which
# :func:`recover_model_dir` moves back (packetlens.files: the PID tells a dead process's leftover).


def _side_dir(directory: Path, kind: str) -> Path:
    """A new, empty sibling ``.NAME.KIND-PID-RANDOM`` of ``directory``, created with the umask's mode."""
    path = directory.parent / owned_name(f".{directory.name}.{kind}")
    path.mkdir(mode=0o777)  # not mkdtemp: its 0700 would become the saved model's mode
    return path


def recover_model_dir(directory: Path) -> bool:
    """Finish what an interrupted save left: restore the previous model, remove dead leftovers.

    When ``directory`` is missing and a save killed mid-swap left the previous model in a
    ``.NAME.old-*`` sibling, it is moved back. Temporary and old siblings of processes that are
    no longer running are then removed. Returns whether a model was restored.
    """
    directory = Path(directory)
    restored = False
    if not directory.exists():
        # dead writers' first, newest first; then those of earlier saves, named without a PID
        legacy = sorted(directory.parent.glob(f".{glob.escape(directory.name)}.old-*"),
                        key=lambda p: p.lstat().st_mtime, reverse=True) if directory.parent.is_dir() else []
        for old in [*leftovers(directory.parent, f".{directory.name}.old"), *legacy]:
            if is_model_dir(old / "model"):
                try:
                    os.replace(old / "model", directory)
                except OSError:
                    continue
                restored = True
                break
    for kind in ("tmp", "old"):
        remove_leftovers(directory.parent, f".{directory.name}.{kind}")
    return restored


def save_model(model: PacketModel, directory: Path) -> Path:
    """Write ``model`` to ``directory`` atomically; the previous model there survives any failure.

    Raises:
        ModelArtifactError: ``directory`` holds something other than a packetlens model (it is
            left untouched), or it cannot be written.
    """
    directory = Path(directory)
    parent = directory.parent
    fix = "pass a writable --out"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        recover_model_dir(directory)
        check_target(directory)
        tmp = _side_dir(directory, "tmp")
    except OSError as e:
        raise ModelArtifactError(f"{parent}: cannot write the model here ({e.strerror or e}); {fix}") from e
    try:
        (tmp / "config.json").write_text(json.dumps(model.config(), indent=2) + "\n", encoding="utf-8")
        arrays: dict[str, np.ndarray] = {"tfidf.idf": model.tfidf.idf}
        for head in model.heads.values():
            arrays.update(head.arrays())
        np.savez(tmp / "heads.npz", **arrays)
        (tmp / "vocabulary.json").write_text(json.dumps(list(model.tfidf.vocabulary)), encoding="utf-8")
        with (tmp / "exemplars.jsonl").open("w", encoding="utf-8") as f:
            for r in model.exemplars:
                f.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
        np.save(tmp / "exemplar_vectors.npy", np.asarray(model.exemplar_vectors, dtype=np.float32))
        (tmp / "metrics.json").write_text(json.dumps(model.metrics, indent=2) + "\n", encoding="utf-8")
        (tmp / "README.md").write_text(model.card or f"# {model.name}\n", encoding="utf-8")
        old = None
        if directory.exists():
            old = _side_dir(directory, "old")
            os.replace(directory, old / "model")
        try:
            os.replace(tmp, directory)
        except BaseException:
            if old is not None:
                os.replace(old / "model", directory)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(e, OSError):
            raise ModelArtifactError(f"{directory}: could not save the model ({e}); the previous "
                                     f"model is untouched; {fix}") from e
        raise
    return directory


MAX_MODEL_FILE_BYTES = 512 * 1024 * 1024
"""No file of a model directory is read past this size (the shipped model's largest is 9 MB)."""


def _model_file(directory: Path, name: str, fix: str, *, required: bool = True) -> Path | None:
    """``directory/name`` if it is a regular file inside ``directory`` (links must not lead out)."""
    path = directory / name
    if not path.is_file():
        if required:
            raise ModelArtifactError(f"{directory}: not a packetlens model (missing {name}); {fix}")
        return None
    real = path.resolve()
    if not real.is_relative_to(directory.resolve()):
        raise ModelArtifactError(f"{directory}: {name} is a link out of the model directory (to {real}); "
                                 f"packetlens reads only files inside it; {fix}")
    if real.stat().st_size > MAX_MODEL_FILE_BYTES:
        raise ModelArtifactError(f"{directory}: {name} is {real.stat().st_size / 1e6:.0f} MB, over the "
                                 f"{MAX_MODEL_FILE_BYTES / 1e6:.0f} MB a model file may be; {fix}")
    return path


def _array(arrays: dict[str, np.ndarray], key: str, shape: tuple[int, ...], what: str) -> np.ndarray:
    """``arrays[key]`` as finite float64 of exactly ``shape``; ``ValueError`` naming ``what`` otherwise."""
    if key not in arrays:
        raise ValueError(f"heads.npz lacks {key!r} ({what})")
    a = arrays[key]
    if a.dtype.kind not in "fiu" or a.shape != shape:
        raise ValueError(f"{key} ({what}) is {a.dtype} of shape {a.shape}, expected numbers of shape {shape}")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        raise ValueError(f"{key} ({what}) holds NaN or infinite values")
    return a


def _finite(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
        raise ValueError(f"{what} is {value!r}, expected a finite number")
    return float(value)


def _typed(value: object, kind: type, what: str):  # noqa: ANN202
    if not isinstance(value, kind):
        raise ValueError(f"{what} is {type(value).__name__}, expected {kind.__name__}")
    return value


def load_model(directory: Path) -> PacketModel:
    """Read and validate a model directory. Never executes code from it, never reads outside it.

    Every array is checked finite and of the shape its config states.

    Raises:
        ModelArtifactError: a file is missing, corrupt, of the wrong shape or a link out of the
            directory, or the schema version is unknown.
    """
    directory = Path(directory)
    fix = "retrain it with `packetlens train` or pass another --model"
    if not directory.is_dir():
        recover_model_dir(directory)  # a save killed mid-swap leaves the previous model aside
    if not directory.is_dir():
        raise ModelArtifactError(f"{directory}: model directory not found; {fix}")
    files = {name: _model_file(directory, name, fix) for name in _FILES}
    optional = {name: _model_file(directory, name, fix, required=False) for name in ("metrics.json", "README.md")}
    try:
        cfg = _typed(json.loads(files["config.json"].read_text(encoding="utf-8")), dict, "config.json")
        if cfg.get("schema_version") != SCHEMA_VERSION:
            raise ModelArtifactError(
                f"{directory}/config.json: schema version {cfg.get('schema_version')!r}, this packetlens "
                f"reads {SCHEMA_VERSION}; {fix}")
        identity = EmbeddingIdentity.from_dict(_typed(cfg["embedding"], dict, "config.json embedding"))
        if identity.dimension < 1:
            raise ValueError(f"embedding dimension {identity.dimension} is not positive")
        features = _typed(cfg["features"], dict, "config.json features")
        embed_scale = _finite(features["embed_scale"], "features.embed_scale")
        head_names = list(_typed(cfg["heads"], dict, "config.json heads"))
        unknown = [h for h in head_names if h not in HEAD_LABELS]
        if unknown:
            raise ValueError(f"unknown head {unknown[0]!r} (known: {', '.join(HEAD_LABELS)})")
        band = _typed(cfg.get("abstain_band", [0.35, 0.65]), list, "abstain_band")
        lo, hi = (_finite(x, "abstain_band") for x in band) if len(band) == 2 else (1.0, 0.0)
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f"abstain_band {band!r} is not two ordered probabilities")
        vocab = _typed(json.loads(files["vocabulary.json"].read_text(encoding="utf-8")), list, "vocabulary.json")
        if not all(isinstance(t, str) for t in vocab):
            raise ValueError("vocabulary.json holds something other than strings")
        with np.load(files["heads.npz"], allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        tfidf = Tfidf(tuple(vocab), _array(arrays, "tfidf.idf", (len(vocab),), "one idf per vocabulary term"))
        cue_cfg = features.get("cues")
        cue_scale = 0.0
        if cue_cfg is not None:
            cue_cfg = _typed(cue_cfg, dict, "config.json features.cues")
            if cue_cfg.get("version") != CUES_VERSION or list(cue_cfg.get("names", ())) != list(CUE_NAMES):
                raise ModelArtifactError(f"{directory}: the model reads rubric cues version {cue_cfg.get('version')!r} "
                                         f"and this packetlens computes version {CUES_VERSION}; {fix}")
            cue_scale = _finite(cue_cfg["scale"], "features.cues.scale")
        n_cues = len(CUE_NAMES) if cue_scale else 0
        heads = {}
        for h in head_names:
            scalars = _array(arrays, f"{h}.scalars", (4,), "intercept, calibration and C")
            coef_cues = _array(arrays, f"{h}.coef_cues", (n_cues,), "rubric cue weights") \
                if n_cues or f"{h}.coef_cues" in arrays and arrays[f"{h}.coef_cues"].size else np.zeros(0)
            heads[h] = LogisticHead(h, *HEAD_LABELS[h],
                                    _array(arrays, f"{h}.coef_emb", (identity.dimension,), "embedding weights"),
                                    _array(arrays, f"{h}.coef_tfidf", (len(vocab),), "TF-IDF weights"),
                                    *(float(x) for x in scalars), coef_cues=coef_cues)
        records = []
        with files["exemplars.jsonl"].open(encoding="utf-8") as f:
            for n, line in enumerate(f, start=1):
                if line.strip():
                    d = _typed(json.loads(line), dict, f"exemplars.jsonl line {n}")
                    moves = _typed(d.get("moves", []), list, f"exemplars.jsonl line {n} moves")
                    records.append(ExemplarRecord(_typed(d["text"], str, f"exemplars.jsonl line {n} text"),
                                                  tuple(str(m) for m in moves), d.get("role"), d.get("work_type")))
        vectors = np.load(files["exemplar_vectors.npy"], allow_pickle=False)
        if vectors.dtype.kind != "f" or vectors.shape != (len(records), identity.dimension) or \
                not np.isfinite(vectors).all():
            raise ModelArtifactError(f"{directory}: exemplar vectors ({vectors.dtype}, shape {vectors.shape}) do not "
                                     f"match exemplars.jsonl ({len(records)} finite rows of {identity.dimension}); {fix}")
        metrics = json.loads(optional["metrics.json"].read_text(encoding="utf-8")) if optional["metrics.json"] else {}
        card = optional["README.md"].read_text(encoding="utf-8") if optional["README.md"] else ""
        name, version = _typed(cfg["name"], str, "config.json name"), str(cfg["version"])
    except ModelArtifactError:
        raise
    except (ValueError, KeyError, OSError, TypeError, EOFError, IndexError, zipfile.BadZipFile) as e:
        # UnicodeDecodeError and JSONDecodeError are ValueErrors; a cut .npz is a BadZipFile
        raise ModelArtifactError(f"{directory}: corrupt model directory ({type(e).__name__}: {e}); {fix}") from e
    if "strength" not in heads:  # the other heads may be absent (a company labeled strength alone)
        raise ModelArtifactError(f"{directory}: the model lacks the strength head; {fix}")
    extra = {k: v for k, v in cfg.items() if k not in {"schema_version", "name", "version", "embedding",
                                                        "features", "heads", "abstain_band", "n_exemplars"}}
    return PacketModel(name=name, version=version, embedding=identity, heads=heads,
                       tfidf=tfidf, exemplars=records, exemplar_vectors=vectors.astype(np.float32),
                       embed_scale=embed_scale, cue_scale=cue_scale, abstain_band=(lo, hi),
                       metrics=metrics if isinstance(metrics, dict) else {}, extra=extra, card=card)
