"""PacketScorer: embedder + heads + exemplar bank -> how a committee reads each bullet.

Example::

    >>> scorer = PacketScorer.from_pretrained()                       # doctest: +SKIP
    >>> [s.strength.label for s in scorer.score(["Tuned the reranker."])]  # doctest: +SKIP
    ['weak']

A scorer holds no per-call state, so one instance is safe to share across threads.
"""

from __future__ import annotations

import os
import warnings as _warnings
from collections.abc import Collection, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from typing import TYPE_CHECKING

from packetlens.artifact import PacketModel, load_model
from packetlens.embedding import DEFAULT_EMBEDDING, Device, Embedder, encode_in_chunks, load_embedder
from packetlens.errors import ModelArtifactError
from packetlens.exemplars import ExemplarIndex
from packetlens.heads import HeadStack
from packetlens.hints import first_fix, hints_for, resolve_ignore, rewrite_scaffold
from packetlens.language import looks_english
from packetlens.parsing import Bullet, Format, ParsedPacket, parse_bytes, parse_document
from packetlens.reading import read_bytes
from packetlens.results import CANNOT_JUDGE, HEADS, MOVES, BulletScore, HeadScore, ModelInfo, PacketReport

if TYPE_CHECKING:
    from packetlens.diffing import PacketDiff

MAX_WORDS = 200
"""Longer bullets are cut to this many words before scoring (the embedding reads 256 tokens)."""
LARGE = 200
"""From this many bullets, scoring shows the embedding's progress (a few seconds on 2 cores, cold)."""


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
        self.info = ModelInfo(model.name, model.version, model.embedding.name,
                              tuple(h for h in HEADS if h in model.heads))

    @classmethod
    def from_pretrained(cls, model: str | os.PathLike[str] | None = None, *,
                        embedding: str | os.PathLike[str] | None = None,
                        cache_dir: Path | None = None, backend: str = "onnx",
                        tracking_uri: str | None = None, cache_vectors: bool = True,
                        progress=None, device: Device | None = None,  # noqa: ANN001
                        threads: int | None = None) -> PacketScorer:
        """Load a model: ``None`` for the shipped default, a directory, or an MLflow model URI.

        Args:
            model: ``None``, a model directory, or ``models:/NAME@ALIAS`` / ``runs:/ID/model``.
            embedding: the sentence-transformers directory to embed with; default: the one the
                model records (the packaged all-MiniLM-L6-v2 for the default model).
            cache_dir: ONNX export + vector cache + local copies of registered models
                (default ``~/.cache/packetlens``). The library never reads an environment
                variable for it; the CLI and the pyfunc pass ``$PACKETLENS_CACHE_DIR`` here.
            backend: ``"onnx"`` (fast, no torch) or ``"sentence-transformers"``.
            tracking_uri: the MLflow store for a ``models:/`` URI.
            cache_vectors: ``False`` writes no bullet vector to disk (confidential text; batch jobs
                over new text gain nothing from the cache either).
            progress: a :class:`packetlens.progress.Progress` for the one-time ONNX export.
            device: where to embed: ``"cpu"`` (the default), ``"cuda"`` or ``"auto"``
                (:func:`~packetlens.embedding.load_embedder`).
            threads: onnxruntime threads for this scorer (default: every core).
        """
        if model is None:
            directory = default_model_dir()
            if not (directory / "config.json").is_file():
                raise ModelArtifactError(f"{directory}: no default model is shipped in this install; "
                                         "train one with `packetlens train data/bullets.jsonl`")
        elif str(model).startswith(("models:/", "runs:/")):
            from packetlens.registry import local_model, registered_as

            directory = local_model(str(model), tracking_uri=tracking_uri, cache_dir=cache_dir)
            loaded = load_model(directory)
            reg = registered_as(directory)
            if reg is not None:  # a registered model is known by its registry name and version
                loaded.name, loaded.version = reg.name, reg.version
            return cls.from_model(loaded, embedding=embedding, cache_dir=cache_dir, backend=backend,
                                  cache_vectors=cache_vectors, progress=progress)
        else:
            directory = Path(model)
        return cls.from_model(load_model(directory), embedding=embedding, cache_dir=cache_dir, backend=backend,
                              cache_vectors=cache_vectors, progress=progress, device=device, threads=threads)

    @classmethod
    def from_model(cls, model: PacketModel, *, embedding: str | os.PathLike[str] | None = None,
                   cache_dir: Path | None = None, backend: str = "onnx", cache_vectors: bool = True,
                   progress=None, device: Device | None = None,  # noqa: ANN001
                   threads: int | None = None) -> PacketScorer:
        """A scorer for an already loaded model, with the embedding it records (or ``embedding``)."""
        if embedding is None:
            src = model.extra.get("embedding_source")
            embedding = None if model.embedding.name == DEFAULT_EMBEDDING or not src else str(src)
        embedder = load_embedder(embedding, backend=backend, cache_dir=cache_dir,  # type: ignore[arg-type]
                                 use_vector_cache=cache_vectors, progress=progress, device=device, threads=threads)
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

    def score(self, texts: Sequence[str], *, ignore: Collection[str] = ()) -> list[BulletScore]:
        """Score bullets. ``texts`` is a list of strings (a bare ``str`` is a TypeError).

        ``ignore`` silences hints by code or name (``["PL101", "no-leverage"]``; hints.RULES).
        """
        if isinstance(texts, str):
            raise TypeError("score() takes a list of bullet strings; for one bullet pass [text], "
                            "for a whole packet use score_text() or score_file()")
        return self._score_bullets([Bullet(t, 0) for t in texts], ignore=ignore)

    def _score_bullets(self, bullets: Sequence[Bullet], progress=None,  # noqa: ANN001
                       ignore: Collection[str] = ()) -> list[BulletScore]:
        """Score each bullet as one claim: its text followed by its evidence (parsing.py)."""
        for i, b in enumerate(bullets):
            if not isinstance(b.text, str):
                raise TypeError(f"texts[{i}] is {type(b.text).__name__}, expected str")
        ignored = resolve_ignore(ignore)
        texts, shown, truncated = [], [], []
        for b in bullets:
            words = b.claim.split()
            truncated.append(len(words) > MAX_WORDS)
            texts.append(" ".join(words[:MAX_WORDS]) if len(words) > MAX_WORDS else b.claim)
            own = b.text.split()
            shown.append(" ".join(own[:MAX_WORDS]) if len(own) > MAX_WORDS else b.text)
        if not texts:
            return []
        if progress is None or len(texts) < LARGE:
            vecs = self.embedder.encode(texts)
        else:
            from packetlens.progress import as_progress

            with as_progress(progress).step(f"embedding {len(texts)} bullets", total=len(texts)) as advance:
                vecs = encode_in_chunks(self.embedder, texts, advance)
        p = self._probas(vecs, texts)
        lo, hi = self.model.abstain_band
        moves_of = [{m: float(p[m][i]) for m in MOVES if m in p} for i in range(len(bullets))]
        lacking = [[m for m in MOVES if mv.get(m, 0.0) < 0.5] for mv in moves_of]
        exemplars = self.index.nearest_many(vecs, 1, prefer_moves=lacking)
        hints, rewrites, fixes = [], [], []
        for i in range(len(bullets)):
            ps = float(p["strength"][i])
            pf = float(p["framing"][i]) if "framing" in p else None
            hs = hints_for(texts[i], ps, pf, moves_of[i], ignore=ignored)
            hints.append(hs)
            weak = ps < 0.5
            rewrites.append(rewrite_scaffold(texts[i], moves_of[i], hs) if weak else None)
            fixes.append(first_fix(texts[i], moves_of[i], hs) if weak else None)
        fixed = self._p_if_fixed(fixes, vecs)
        out = []
        for i, b in enumerate(bullets):
            ps = float(p["strength"][i])
            strength = HeadScore("strong" if ps >= 0.5 else "weak", ps, lo < ps < hi)
            framing = None  # a model without a framing head says nothing about framing
            if "framing" in p:
                pf = float(p["framing"][i])
                framing = HeadScore("system" if pf >= 0.5 else "housekeeping", pf, lo < pf < hi)
            ex = exemplars[i]
            reason = b.flag or (None if looks_english(texts[i]) else "not_english")
            out.append(BulletScore(text=shown[i], line=b.line, strength=strength, framing=framing,
                                   moves=moves_of[i], exemplar=ex[0] if ex else None,
                                   hints=tuple(h.message for h in hints[i]), index=i, section=b.section,
                                   truncated=truncated[i], hint_details=hints[i], rewrite=rewrites[i],
                                   p_if_fixed=fixed[i], evidence=b.evidence, reason=reason))
        return out

    def score_file(self, path: str | os.PathLike[str], *, fmt: Format = "auto", name: str | None = None,
                   progress=None, ignore: Collection[str] = ()) -> PacketReport:  # noqa: ANN001
        """Read, parse and score a packet file: Markdown, text, HTML or .docx, in any common encoding.

        Args:
            path: the packet file (at most 5 MB).
            fmt: how to parse it; default decided by :func:`packetlens.parsing.detect_format`.
            name: what the report calls it; default the path.
            progress: a :class:`packetlens.progress.Progress` for the embedding of a large packet.
            ignore: hint codes or names to silence (``["PL101", "no-leverage"]``).

        Example::

            >>> scorer.score_file("examples/packet.md").n_bullets   # doctest: +SKIP
            12

        Raises:
            InputFileError: the file is missing, a directory, binary, undecodable or too large.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"score_file() takes a path, got {type(path).__name__}")
        return self.score_bytes(read_bytes(Path(path)), name=name or str(path), fmt=fmt, progress=progress,
                                ignore=ignore)

    def score_bytes(self, data: bytes, *, name: str = "<bytes>", fmt: Format = "auto",
                    progress=None, ignore: Collection[str] = ()) -> PacketReport:  # noqa: ANN001
        """Parse and score a packet's bytes (a file's content, or stdin); ``name`` helps pick the format."""
        parsed = parse_bytes(data, name, fmt)
        return self._report(parsed, name, parsed.text, progress, ignore)

    def score_text(self, text: str, *, fmt: Format = "auto", name: str = "<text>",
                   progress=None, ignore: Collection[str] = ()) -> PacketReport:  # noqa: ANN001
        """Parse and score a packet given as text.

        ``progress`` (a :class:`packetlens.progress.Progress`) shows the embedding of a large packet;
        ``ignore`` silences hints by code or name.

        Example::

            >>> scorer.score_text("- Tuned the reranker.\\n").bullets[0].strength.label   # doctest: +SKIP
            'weak'
        """
        if not isinstance(text, str):
            raise TypeError(f"score_text() takes the packet text as str, got {type(text).__name__}; "
                            "for a file use score_file()")
        return self._report(parse_document(text, fmt, name=name), name, text, progress, ignore)

    def _report(self, parsed: ParsedPacket, name: str, source: str | None, progress=None,  # noqa: ANN001
                ignore: Collection[str] = ()) -> PacketReport:
        bullets = self._score_bullets(parsed.bullets, progress, ignore)
        if source is not None:
            bullets = [locate_hints(b, source) for b in bullets]
        warnings = [f"line {b.line}: claim longer than {MAX_WORDS} words; scored its first {MAX_WORDS}"
                    for b in bullets if b.truncated]
        warnings += [f"line {b.line}: {CANNOT_JUDGE[b.reason]}; left out of the packet score"
                     for b in bullets if b.reason in CANNOT_JUDGE]
        return build_report(name, bullets, self.info, tuple(warnings), metadata=parsed.metadata)

    def score_packet(self, packet: Path | str, *, fmt: Format = "auto", name: str | None = None,
                     ignore: Collection[str] = ()) -> PacketReport:
        """Kept for compatibility: a :class:`~pathlib.Path` goes to :meth:`score_file`, a ``str`` to
        :meth:`score_text`. A ``str`` is always the packet text, even one that names a file; that
        case warns, since it is almost always a mistake."""
        if isinstance(packet, os.PathLike):
            return self.score_file(packet, fmt=fmt, name=name, ignore=ignore)
        if isinstance(packet, str):
            if _looks_like_a_path(packet):
                _warnings.warn(f"score_packet({packet!r}) scores this string as the packet text, not the file "
                               "it names; use score_file() for a file and score_text() for text",
                               UserWarning, stacklevel=2)
            return self.score_text(packet, fmt=fmt, name=name or "<text>", ignore=ignore)
        raise TypeError(f"score_packet() takes a Path or the packet text, got {type(packet).__name__}")

    def _p_if_fixed(self, fixes: Sequence[str | None], vecs: np.ndarray) -> list[float | None]:
        """P(strong) of each bullet with its first fix made (``None`` where there is none).

        An estimate that costs no second embedding pass: the fixed text's TF-IDF and rubric cues with
        the bullet's own embedding (the fix adds a clause; the words and the cues are what move). It
        orders near-ties among the bullets to fix first; it is not a prediction of the rewrite's score.
        """
        todo = [i for i, r in enumerate(fixes) if r is not None]
        out: list[float | None] = [None] * len(fixes)
        if todo:
            filled = [fixes[i] for i in todo]
            p = self._probas(vecs[todo], filled)["strength"]  # type: ignore[arg-type]
            for j, i in enumerate(todo):
                out[i] = float(p[j])
        return out

    def diff(self, old: Path, new: Path, *, ignore: Collection[str] = ()) -> PacketDiff:
        """Score two versions of a packet and match their bullets (:mod:`packetlens.diffing`)."""
        from packetlens.diffing import diff_reports

        a, b = self.score_file(old, ignore=ignore), self.score_file(new, ignore=ignore)
        return diff_reports(a, b, self.embedder.encode([x.text for x in a.bullets]) if a.bullets else np.zeros((0, 1)),
                            self.embedder.encode([x.text for x in b.bullets]) if b.bullets else np.zeros((0, 1)))


def packet_format(name: str) -> Format:
    """How a packet file is parsed, from its name: ``.md``/``.markdown`` Markdown, ``.txt`` plain
    text, anything else (stdin too) detected from the text. The CLI and :meth:`PacketScorer.score_file`
    both ask this."""
    suffix = Path(name).suffix.lower()
    return "markdown" if suffix in (".md", ".markdown") else "text" if suffix == ".txt" else "auto"


def _looks_like_a_path(text: str) -> bool:
    one_line = text.strip() and "\n" not in text.strip() and len(text) < 4096
    return bool(one_line) and (text.strip().lower().endswith((".md", ".markdown", ".txt")) or os.path.isfile(text))


def build_report(name: str, bullets: Sequence[BulletScore], info: ModelInfo,
                 warnings: tuple[str, ...] = (), *, metadata: dict[str, str] | None = None) -> PacketReport:
    """Summarize scored bullets; the packet score is the mean of ``100 * P(strong)`` over the
    bullets the model can judge (those without a ``reason``)."""
    judged = [b for b in bullets if b.in_score]
    score = float(np.mean([b.strength.p for b in judged]) * 100) if judged else 0.0
    present = {m: sum(b.moves.get(m, 0.0) >= 0.5 for b in judged) for m in MOVES}
    return PacketReport(path=name, bullets=tuple(bullets), model=info, score=score,
                        moves_present=present, warnings=warnings, metadata=dict(metadata or {}))


def locate_hints(bullet: BulletScore, source: str) -> BulletScore:
    """Fill each hint's ``line`` / ``col`` with where its words stand in ``source`` (the packet text):
    the first match at or after the bullet's line, else the bullet's first word."""
    lines = source.splitlines()
    start = max(bullet.line, 1)
    first = lines[start - 1] if start <= len(lines) else ""
    col0 = len(first) - len(first.lstrip(" \t-*+•0123456789.)>")) + 1
    located = []
    for h in bullet.hint_details:
        line, col = start, col0
        if h.words:
            for k in range(start - 1, min(start + 11, len(lines))):
                at = lines[k].lower().find(h.words.lower())
                if at >= 0:
                    line, col = k + 1, at + 1
                    break
        located.append(replace(h, line=line, col=col))
    return replace(bullet, hint_details=tuple(located))
