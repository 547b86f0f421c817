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
from packetlens.embedding import DEFAULT_EMBEDDING, Embedder, load_embedder
from packetlens.errors import ModelArtifactError
from packetlens.exemplars import ExemplarIndex
from packetlens.heads import HeadStack
from packetlens.hints import hints_for
from packetlens.language import looks_english
from packetlens.parsing import Bullet, Format, ParsedPacket, parse_bytes, parse_document
from packetlens.reading import read_bytes
from packetlens.results import CANNOT_JUDGE, MOVES, BulletScore, HeadScore, ModelInfo, PacketReport

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
                        tracking_uri: str | None = None) -> PacketScorer:
        """Load a model: ``None`` for the shipped default, a directory, or an MLflow model URI.

        Args:
            model: ``None``, a model directory, or ``models:/NAME@ALIAS`` / ``runs:/ID/model``.
            embedding: the sentence-transformers directory to embed with; default: the one the
                model records (the packaged all-MiniLM-L6-v2 for the default model).
            cache_dir: ONNX export + vector cache directory (default ``~/.cache/packetlens``).
            backend: ``"onnx"`` (fast, no torch) or ``"sentence-transformers"``.
            tracking_uri: the MLflow store for a ``models:/`` URI.
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
        return cls.from_model(load_model(directory), embedding=embedding, cache_dir=cache_dir, backend=backend)

    @classmethod
    def from_model(cls, model: PacketModel, *, embedding: str | os.PathLike[str] | None = None,
                   cache_dir: Path | None = None, backend: str = "onnx") -> PacketScorer:
        """A scorer for an already loaded model, with the embedding it records (or ``embedding``)."""
        if embedding is None:
            src = model.extra.get("embedding_source")
            embedding = None if model.embedding.name == DEFAULT_EMBEDDING or not src else str(src)
        embedder = load_embedder(embedding, backend=backend, cache_dir=cache_dir)  # type: ignore[arg-type]
        return cls(model, embedder)

    def head_probas(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """P(positive) of every head, each shape ``(len(texts),)``."""
        vecs = self.embedder.encode(list(texts))
        return self._probas(vecs, list(texts))

    def _probas(self, vecs: np.ndarray, texts: list[str]) -> dict[str, np.ndarray]:
        return self._stack.proba(vecs, self.model.tfidf.transform(texts), self.model.embed_scale)

    def score(self, texts: Sequence[str]) -> list[BulletScore]:
        """Score bullets. ``texts`` is a list of strings (a bare ``str`` is a TypeError)."""
        if isinstance(texts, str):
            raise TypeError("score() takes a list of bullet strings; for one bullet pass [text], "
                            "for a whole packet use score_packet()")
        return self._score_bullets([Bullet(t, 0) for t in texts])

    def _score_bullets(self, bullets: Sequence[Bullet]) -> list[BulletScore]:
        """Score each bullet as one claim: its text followed by its evidence (parsing.py)."""
        for i, b in enumerate(bullets):
            if not isinstance(b.text, str):
                raise TypeError(f"texts[{i}] is {type(b.text).__name__}, expected str")
        texts, shown, truncated = [], [], []
        for b in bullets:
            words = b.claim.split()
            truncated.append(len(words) > MAX_WORDS)
            texts.append(" ".join(words[:MAX_WORDS]) if len(words) > MAX_WORDS else b.claim)
            own = b.text.split()
            shown.append(" ".join(own[:MAX_WORDS]) if len(own) > MAX_WORDS else b.text)
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
            reason = b.flag or (None if looks_english(texts[i]) else "not_english")
            out.append(BulletScore(text=shown[i], line=b.line, strength=strength, framing=framing,
                                   moves=moves, exemplar=ex[0] if ex else None,
                                   hints=hints_for(texts[i], strength, framing, moves),
                                   index=i, section=b.section, truncated=truncated[i],
                                   evidence=b.evidence, reason=reason))
        return out

    def score_file(self, path: Path) -> PacketReport:
        """Read, parse and score a packet file: Markdown, text, HTML or .docx, in any common encoding."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"score_file() takes a path, got {type(path).__name__}")
        return self.score_bytes(read_bytes(Path(path)), name=str(path))

    def score_bytes(self, data: bytes, *, name: str = "<bytes>", fmt: Format = "auto") -> PacketReport:
        """Parse and score a packet's bytes (a file's content, or stdin); ``name`` helps pick the format."""
        return self._report(parse_bytes(data, name, fmt), name)

    def score_text(self, text: str, *, fmt: Format = "auto", name: str = "<text>") -> PacketReport:
        """Parse and score a packet given as text."""
        return self._report(parse_document(text, fmt, name=name), name)

    def score_packet(self, packet: Path | str, *, fmt: Format = "auto", name: str | None = None) -> PacketReport:
        """:meth:`score_file` for a :class:`~pathlib.Path`, :meth:`score_text` for a ``str`` (its text)."""
        if isinstance(packet, Path):
            if fmt == "auto":
                return self.score_file(packet)
            return self.score_bytes(read_bytes(packet), name=name or str(packet), fmt=fmt)
        if isinstance(packet, str):
            return self.score_text(packet, fmt=fmt, name=name or "<text>")
        raise TypeError(f"score_packet() takes a Path or the packet text, got {type(packet).__name__}")

    def _report(self, parsed: ParsedPacket, name: str) -> PacketReport:
        bullets = self._score_bullets(parsed.bullets)
        warnings = [f"line {b.line}: claim longer than {MAX_WORDS} words; scored its first {MAX_WORDS}"
                    for b in bullets if b.truncated]
        warnings += [f"line {b.line}: {CANNOT_JUDGE[b.reason]}; left out of the packet score"
                     for b in bullets if b.reason in CANNOT_JUDGE]
        return build_report(name, bullets, self.info, tuple(warnings), metadata=parsed.metadata)


def build_report(name: str, bullets: Sequence[BulletScore], info: ModelInfo,
                 warnings: tuple[str, ...] = (), *, metadata: dict[str, str] | None = None) -> PacketReport:
    """Summarize scored bullets; the packet score is the mean of ``100 * P(strong)`` over the
    bullets the model can judge (those without a ``reason``)."""
    judged = [b for b in bullets if b.in_score]
    score = float(np.mean([b.strength.p for b in judged]) * 100) if judged else 0.0
    present = {m: sum(b.moves.get(m, 0.0) >= 0.5 for b in judged) for m in MOVES}
    return PacketReport(path=name, bullets=tuple(bullets), model=info, score=score,
                        moves_present=present, warnings=warnings, metadata=dict(metadata or {}))
