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

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from packetlens.cues import CUE_NAMES, CUES_VERSION
from packetlens.embedding import EmbeddingIdentity
from packetlens.errors import ModelArtifactError
from packetlens.exemplars import ExemplarRecord
from packetlens.features import Tfidf
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


def check_writable(directory: Path) -> None:
    """Fail early (before training) when ``directory`` could not be written."""
    parent = Path(directory).parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryDirectory(dir=parent, prefix=f".{Path(directory).name}.probe-").cleanup()
    except OSError as e:
        raise ModelArtifactError(f"{parent}: cannot write the model here ({e.strerror}); pass a writable --out") from e


def save_model(model: PacketModel, directory: Path) -> Path:
    """Write ``model`` to ``directory`` atomically; the previous model there survives any failure."""
    directory = Path(directory)
    parent = directory.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=parent, prefix=f".{directory.name}.tmp-"))
    except OSError as e:
        raise ModelArtifactError(f"{parent}: cannot write the model here ({e.strerror}); pass a writable --out") from e
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
            old = Path(tempfile.mkdtemp(dir=parent, prefix=f".{directory.name}.old-"))
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
                                     "model is untouched; pass a writable --out") from e
        raise
    return directory


def load_model(directory: Path) -> PacketModel:
    """Read and validate a model directory. Never executes code from it.

    Raises:
        ModelArtifactError: a file is missing or corrupt, or the schema version is unknown.
    """
    directory = Path(directory)
    fix = "retrain it with `packetlens train` or pass another --model"
    if not directory.is_dir():
        raise ModelArtifactError(f"{directory}: model directory not found; {fix}")
    for name in _FILES:
        if not (directory / name).is_file():
            raise ModelArtifactError(f"{directory}: not a packetlens model (missing {name}); {fix}")
    try:
        cfg = json.loads((directory / "config.json").read_text(encoding="utf-8"))
        if cfg.get("schema_version") != SCHEMA_VERSION:
            raise ModelArtifactError(
                f"{directory}/config.json: schema version {cfg.get('schema_version')!r}, this packetlens "
                f"reads {SCHEMA_VERSION}; {fix}")
        with np.load(directory / "heads.npz", allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        vocab = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        tfidf = Tfidf(tuple(vocab), np.asarray(arrays["tfidf.idf"], dtype=np.float64))
        identity = EmbeddingIdentity.from_dict(cfg["embedding"])
        heads = {h: LogisticHead.from_arrays(h, *HEAD_LABELS[h], arrays) for h in cfg["heads"]}
        records = []
        with (directory / "exemplars.jsonl").open(encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    d = json.loads(line)
                    records.append(ExemplarRecord(d["text"], tuple(d.get("moves", ())), d.get("role"), d.get("work_type")))
        vectors = np.load(directory / "exemplar_vectors.npy", allow_pickle=False)
        metrics = json.loads((directory / "metrics.json").read_text(encoding="utf-8")) \
            if (directory / "metrics.json").is_file() else {}
    except ModelArtifactError:
        raise
    except (ValueError, KeyError, OSError, TypeError, EOFError) as e:
        raise ModelArtifactError(f"{directory}: corrupt model directory ({type(e).__name__}: {e}); {fix}") from e
    cue_cfg = cfg["features"].get("cues")
    cue_scale = 0.0
    if cue_cfg is not None:
        if cue_cfg.get("version") != CUES_VERSION or list(cue_cfg.get("names", ())) != list(CUE_NAMES):
            raise ModelArtifactError(f"{directory}: the model reads rubric cues version {cue_cfg.get('version')!r} "
                                     f"and this packetlens computes version {CUES_VERSION}; {fix}")
        cue_scale = float(cue_cfg["scale"])
    n_cues = len(CUE_NAMES) if cue_scale else 0
    for h, head in heads.items():
        if head.coef_cues.shape != (n_cues,):
            raise ModelArtifactError(f"{directory}: head {h!r} has {head.coef_cues.shape[0]} cue weights, "
                                     f"the config says {n_cues}; {fix}")
        if head.coef_emb.shape != (identity.dimension,) or head.coef_tfidf.shape != (tfidf.n_terms,):
            raise ModelArtifactError(f"{directory}: head {h!r} has the wrong shape for its embedding or vocabulary; {fix}")
    if "strength" not in heads:  # the other heads may be absent (a company labeled strength alone)
        raise ModelArtifactError(f"{directory}: the model lacks the strength head; {fix}")
    if vectors.ndim != 2 or len(vectors) != len(records) or (len(records) and vectors.shape[1] != identity.dimension):
        raise ModelArtifactError(f"{directory}: exemplar vectors do not match exemplars.jsonl; {fix}")
    card = (directory / "README.md").read_text(encoding="utf-8") if (directory / "README.md").is_file() else ""
    extra = {k: v for k, v in cfg.items() if k not in {"schema_version", "name", "version", "embedding",
                                                        "features", "heads", "abstain_band", "n_exemplars"}}
    return PacketModel(name=cfg["name"], version=str(cfg["version"]), embedding=identity, heads=heads,
                       tfidf=tfidf, exemplars=records, exemplar_vectors=vectors,
                       embed_scale=float(cfg["features"]["embed_scale"]), cue_scale=cue_scale,
                       abstain_band=tuple(cfg.get("abstain_band", (0.35, 0.65))),  # type: ignore[arg-type]
                       metrics=metrics, extra=extra, card=card)
