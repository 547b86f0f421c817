"""PacketScorer: embedder + heads + exemplar bank -> how a committee reads each bullet.

Example::

    >>> scorer = PacketScorer.from_pretrained()                       # doctest: +SKIP
    >>> [s.strength.label for s in scorer.score(["Tuned the reranker."])]  # doctest: +SKIP
    ['weak']

A scorer holds no per-call state, so one instance is safe to share across threads.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from packetlens.artifact import PacketModel, load_model
from packetlens.embedding import DEFAULT_EMBEDDING, Device, Embedder, load_embedder
from packetlens.errors import ModelArtifactError
from packetlens.exemplars import ExemplarIndex
from packetlens.heads import HeadStack
from packetlens.hints import hints_for
from packetlens.parsing import Bullet, Format, parse_packet
from packetlens.reading import read_text_file
from packetlens.results import MOVES, BulletScore, HeadScore, ModelInfo, PacketReport

MAX_WORDS = 200
"""Longer bullets are cut to this many words before scoring (the embedding reads 256 tokens)."""


def default_model_dir() -> Path:
    """The model shipped inside the package (built from data/ by training/train_default.py)."""
    return Path(__file__).parent / "default_model"


class PacketScorer:
    """Scores bullets with a :class:`~packetlens.artifact.PacketModel` and an embedder.

    Args:
        model: the loaded model directory.
        embedder: must have the same identity as ``model.embedding``.
    """

    def __init__(self, model: PacketModel, embedder: Embedder) -> None:
        if embedder.identity.weights_sha256 != model.embedding.weights_sha256 or \
                embedder.identity.dimension != model.embedding.dimension:
            raise ModelArtifactError(
                f"model {model.name!r} was trained on embedding {model.embedding.key}, but the embedder "
                f"is {embedder.identity.key}; load it with the embedding it was trained on")
        self.model = model
        self.embedder = embedder
        self.index = ExemplarIndex(model.exemplars, model.exemplar_vectors)
        self._stack = HeadStack(list(model.heads.values()))
        self.info = ModelInfo(model.name, model.version, model.embedding.name)

    @classmethod
    def from_pretrained(cls, model: str | os.PathLike[str] | None = None, *,
                        embedding: str | os.PathLike[str] | None = None,
                        cache_dir: Path | None = None, backend: str = "onnx",
                        tracking_uri: str | None = None, device: Device | None = None,
                        threads: int | None = None, vector_cache: bool = True) -> PacketScorer:
        """Load a model: ``None`` for the shipped default, a directory, or an MLflow model URI.

        Args:
            model: ``None``, a model directory, or ``models:/NAME@ALIAS`` / ``runs:/ID/model``.
            embedding: the sentence-transformers directory to embed with; default: the one the
                model records (the packaged all-MiniLM-L6-v2 for the default model).
            cache_dir: ONNX export + vector cache directory (default ``~/.cache/packetlens``).
            backend: ``"onnx"`` (fast, no torch) or ``"sentence-transformers"``.
            tracking_uri: the MLflow store for a ``models:/`` URI.
            device: where to embed: ``"cpu"`` (the default), ``"cuda"`` or ``"auto"``
                (:func:`~packetlens.embedding.load_embedder`).
            threads: onnxruntime threads for this scorer (default: every core).
            vector_cache: look vectors up in (and add them to) the SQLite cache under
                ``cache_dir``; batch jobs over new text turn it off.
        """
        if model is None:
            directory = default_model_dir()
            if not (directory / "config.json").is_file():
                raise ModelArtifactError(f"{directory}: no default model is shipped in this install; "
                                         "train one with `packetlens train data/bullets.jsonl`")
        elif str(model).startswith(("models:/", "runs:/")):
            from packetlens.tracking import download_model

            directory = download_model(str(model), tracking_uri=tracking_uri)
        else:
            directory = Path(model)
        return cls.from_model(load_model(directory), embedding=embedding, cache_dir=cache_dir, backend=backend,
                              device=device, threads=threads, vector_cache=vector_cache)

    @classmethod
    def from_model(cls, model: PacketModel, *, embedding: str | os.PathLike[str] | None = None,
                   cache_dir: Path | None = None, backend: str = "onnx", device: Device | None = None,
                   threads: int | None = None, vector_cache: bool = True) -> PacketScorer:
        """A scorer for an already loaded model, with the embedding it records (or ``embedding``)."""
        if embedding is None:
            src = model.extra.get("embedding_source")
            embedding = None if model.embedding.name == DEFAULT_EMBEDDING or not src else str(src)
        embedder = load_embedder(embedding, backend=backend, cache_dir=cache_dir,  # type: ignore[arg-type]
                                 device=device, threads=threads, use_vector_cache=vector_cache)
        return cls(model, embedder)

    def head_probas(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """P(positive) of every head, each shape ``(len(texts),)``."""
        vecs = self.embedder.encode(list(texts))
        return self._probas(vecs, list(texts))

    def _probas(self, vecs: np.ndarray, texts: list[str]) -> dict[str, np.ndarray]:
        if len(texts) == 1:
            # numpy multiplies a lone row with another BLAS kernel, whose sums differ in the last
            # bit; scored as a pair, one bullet gets the probabilities it gets in any batch
            return {k: v[:1] for k, v in self._probas(np.vstack([vecs, vecs]), texts * 2).items()}
        cues = None
        if self.model.cue_scale:
            from packetlens.cues import cue_matrix

            cues = cue_matrix(texts)
        return self._stack.proba(vecs, self.model.tfidf.transform(texts), self.model.embed_scale,
                                 cues, self.model.cue_scale)

    def score(self, texts: Sequence[str]) -> list[BulletScore]:
        """Score bullets. ``texts`` is a list of strings (a bare ``str`` is a TypeError)."""
        if isinstance(texts, str):
            raise TypeError("score() takes a list of bullet strings; for one bullet pass [text], "
                            "for a whole packet use score_packet()")
        return self._score_bullets([Bullet(t, 0) for t in texts])

    def _score_bullets(self, bullets: Sequence[Bullet]) -> list[BulletScore]:
        for i, b in enumerate(bullets):
            if not isinstance(b.text, str):
                raise TypeError(f"texts[{i}] is {type(b.text).__name__}, expected str")
        texts, truncated = [], []
        for b in bullets:
            words = b.text.split()
            truncated.append(len(words) > MAX_WORDS)
            texts.append(" ".join(words[:MAX_WORDS]) if len(words) > MAX_WORDS else b.text)
        if not texts:
            return []
        vecs = self.embedder.encode(texts)
        p = self._probas(vecs, texts)
        lo, hi = self.model.abstain_band
        moves_of = [{m: float(p[m][i]) for m in MOVES if m in p} for i in range(len(bullets))]
        lacking = [[m for m in MOVES if mv.get(m, 0.0) < 0.5] for mv in moves_of]
        exemplars = self.index.nearest_many(vecs, 1, prefer_moves=lacking)
        out = []
        for i, b in enumerate(bullets):
            ps, pf = float(p["strength"][i]), float(p["framing"][i])
            strength = HeadScore("strong" if ps >= 0.5 else "weak", ps, lo < ps < hi)
            framing = HeadScore("system" if pf >= 0.5 else "housekeeping", pf, lo < pf < hi)
            moves = moves_of[i]
            ex = exemplars[i]
            out.append(BulletScore(text=texts[i], line=b.line, strength=strength, framing=framing,
                                   moves=moves, exemplar=ex[0] if ex else None,
                                   hints=hints_for(texts[i], strength, framing, moves),
                                   index=i, section=b.section, truncated=truncated[i]))
        return out

    def score_packet(self, packet: Path | str, *, fmt: Format = "auto", name: str | None = None) -> PacketReport:
        """Parse and score a packet: a :class:`~pathlib.Path` is read, a ``str`` is the packet text."""
        if isinstance(packet, Path):
            text = read_text_file(packet)
            name = name or str(packet)
            if fmt == "auto" and packet.suffix.lower() in (".md", ".markdown"):
                fmt = "markdown"
            elif fmt == "auto" and packet.suffix.lower() == ".txt":
                fmt = "text"
        elif isinstance(packet, str):
            text = packet
            name = name or "<text>"
        else:
            raise TypeError(f"score_packet() takes a Path or the packet text, got {type(packet).__name__}")
        bullets = self._score_bullets(parse_packet(text, fmt))
        warnings = tuple(f"line {b.line}: bullet longer than {MAX_WORDS} words; scored its first {MAX_WORDS}"
                         for b in bullets if b.truncated)
        return build_report(name, bullets, self.info, warnings)


def build_report(name: str, bullets: Sequence[BulletScore], info: ModelInfo,
                 warnings: tuple[str, ...] = ()) -> PacketReport:
    """Summarize scored bullets; the packet score is the mean of ``100 * P(strong)``."""
    score = float(np.mean([b.strength.p for b in bullets]) * 100) if bullets else 0.0
    present = {m: sum(b.moves.get(m, 0.0) >= 0.5 for b in bullets) for m in MOVES}
    return PacketReport(path=name, bullets=tuple(bullets), model=info, score=score,
                        moves_present=present, warnings=warnings)
