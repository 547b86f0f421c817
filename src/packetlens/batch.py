"""Batch scoring on one machine: tables of bullets or packets in, a stream of rows out, in chunks.

The inputs are JSONL or Parquet tables (a ``text`` column of bullets, or a ``packet`` column of
packet texts with an optional ``packet_id``) and directories (searched recursively for those
tables and for packet files: ``.md``, ``.markdown``, ``.txt``). Rows go out as JSONL or Parquet
with the columns of :mod:`packetlens.table`, the same rows the MLflow model gives on Spark. Memory
stays bounded: one chunk of rows is read, scored and written at a time.

Example::

    >>> stats = score_batch(scorer, [Path("bullets.parquet")], Path("scores.parquet"))  # doctest: +SKIP
    >>> stats.n_rows                                                                      # doctest: +SKIP
    100000
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Literal

from packetlens.errors import InputFileError
from packetlens.table import Column, Output, columns_for, packet_bullet_rows, packet_row, score_bullets

if TYPE_CHECKING:  # pragma: no cover
    from packetlens.scorer import PacketScorer

TABLE_SUFFIXES = (".jsonl", ".parquet")
PACKET_SUFFIXES = (".md", ".markdown", ".txt")
BatchFormat = Literal["jsonl", "parquet"]
Kind = Literal["bullets", "packets"]
ID_COLUMN = Column("id", "string", nullable=True)
"""Bullet tables' own id column (``--id-col``), copied first into each output row as a string."""


@dataclass(frozen=True)
class Chunk:
    """Up to ``chunk_size`` rows of one input: bullet texts, or packet texts with their ids."""

    kind: Kind
    texts: list[str]
    ids: list[str | None]
    source: str
    start: int = 0
    fmt: Literal["auto", "markdown", "text"] = "auto"


@dataclass(frozen=True)
class BatchStats:
    """What a batch run did: rows written, bullets scored, packets read, seconds spent."""

    n_rows: int
    n_bullets: int
    n_packets: int
    seconds: float

    @property
    def bullets_per_second(self) -> float:
        return self.n_bullets / self.seconds if self.seconds > 0 else 0.0


def expand_inputs(paths: Sequence[Path]) -> list[Path]:
    """Files to read, in order: each file as given, each directory's tables and packets sorted by path."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")
                           and f.suffix.lower() in TABLE_SUFFIXES + PACKET_SUFFIXES)
            if not found:
                raise InputFileError(f"{p}: no .jsonl, .parquet, .md or .txt files in this directory")
            out.extend(found)
        elif p.is_file():
            if p.suffix.lower() not in TABLE_SUFFIXES + PACKET_SUFFIXES:
                raise InputFileError(f"{p}: expected a .jsonl or .parquet table, a packet (.md, .txt) or a directory")
            out.append(p)
        else:
            raise InputFileError(f"{p}: no such file or directory; check the path")
    return out


def _packet_id(path: Path, roots: Sequence[Path]) -> str:
    for root in roots:
        if root.is_dir() and path.is_relative_to(root):
            return str(path.relative_to(root))
    return str(path)


def _kind_of(columns: Sequence[str], source: str, text_col: str) -> Kind:
    if "packet" in columns and text_col not in columns:
        return "packets"
    if text_col in columns:
        return "bullets"
    raise InputFileError(f"{source}: no column {text_col!r} (bullets) or 'packet' (packets) "
                         f"(found: {', '.join(columns) or 'none'}); pass --text-col NAME")


def _jsonl_chunks(path: Path, text_col: str, id_col: str, chunk_size: int) -> Iterator[Chunk]:
    kind: Kind | None = None
    texts: list[str] = []
    ids: list[str | None] = []
    start = 0
    try:
        f = path.open(encoding="utf-8")
    except OSError as e:
        raise InputFileError(f"{path}: cannot read it ({e.strerror}); check the path") from e
    with f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as e:
                raise InputFileError(f"{path}: line {n}: not a JSON object ({e.msg}); fix or remove the line") from e
            if not isinstance(row, dict):
                raise InputFileError(f"{path}: line {n}: expected a JSON object, found {type(row).__name__}")
            if kind is None:
                kind = _kind_of(list(row), f"{path}: line {n}", text_col)
            col, id_name = (text_col, id_col) if kind == "bullets" else ("packet", "packet_id")
            value = row.get(col)
            if not isinstance(value, str):
                raise InputFileError(f"{path}: line {n}: {col!r} is {'missing' if value is None else type(value).__name__}, "
                                     "expected a string")
            texts.append(value)
            ids.append(None if row.get(id_name) is None else str(row[id_name]))
            if len(texts) >= chunk_size:
                yield Chunk(kind, texts, ids, str(path), start)
                start, texts, ids = start + len(texts), [], []
    if texts and kind is not None:
        yield Chunk(kind, texts, ids, str(path), start)


def _parquet_chunks(path: Path, text_col: str, id_col: str, chunk_size: int) -> Iterator[Chunk]:
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(path)
    except Exception as e:  # noqa: BLE001 - pyarrow raises several types for a bad file
        raise InputFileError(f"{path}: not a readable Parquet file ({str(e).splitlines()[0][:160]})") from e
    names = pf.schema_arrow.names
    kind = _kind_of(names, str(path), text_col)
    col, id_name = (text_col, id_col) if kind == "bullets" else ("packet", "packet_id")
    wanted = [col] + ([id_name] if id_name in names else [])
    done = 0
    for batch in pf.iter_batches(batch_size=chunk_size, columns=wanted):
        texts = batch.column(col).to_pylist()
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise InputFileError(f"{path}: row {done + i}: {col!r} is {'null' if t is None else type(t).__name__}, "
                                     "expected a string; drop or fill nulls first")
        ids = [None if v is None else str(v) for v in batch.column(id_name).to_pylist()] \
            if id_name in names else [None] * len(texts)
        yield Chunk(kind, texts, ids, str(path), done)
        done += len(texts)


def read_chunks(paths: Sequence[Path], *, text_col: str = "text", id_col: str = "id",
                chunk_size: int = 1024) -> Iterator[Chunk]:
    """Chunks of every input in order (see :func:`expand_inputs`); packet files are one chunk each."""
    from packetlens.reading import read_text_file

    roots = [Path(p) for p in paths]
    for f in expand_inputs(paths):
        suffix = f.suffix.lower()
        if suffix == ".jsonl":
            yield from _jsonl_chunks(f, text_col, id_col, chunk_size)
        elif suffix == ".parquet":
            yield from _parquet_chunks(f, text_col, id_col, chunk_size)
        else:
            yield Chunk("packets", [read_text_file(f)], [_packet_id(f, roots)], str(f),
                        fmt="text" if suffix == ".txt" else "markdown")


class _JsonlSink:
    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream

    def write(self, rows: list[dict[str, object]]) -> None:
        self.stream.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))

    def close(self) -> None:
        self.stream.flush()


class _ParquetSink:
    """One row group per chunk, so memory holds one chunk's rows."""

    def __init__(self, path: Path, columns: Sequence[Column]) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        types = {"string": pa.string(), "double": pa.float64(), "long": pa.int64(), "boolean": pa.bool_(),
                 "array<string>": pa.list_(pa.string())}
        self.schema = pa.schema([pa.field(c.name, types[c.type], nullable=c.nullable) for c in columns])
        self._pa = pa
        self._writer = pq.ParquetWriter(str(path), self.schema)

    def write(self, rows: list[dict[str, object]]) -> None:
        if rows:
            self._writer.write_table(self._pa.Table.from_pylist(rows, schema=self.schema))

    def close(self) -> None:
        self._writer.close()


def score_batch(scorer: PacketScorer, inputs: Sequence[Path], out: Path | IO[str] | None = None, *,
                fmt: BatchFormat | None = None, output: Output = "bullets", text_col: str = "text",
                id_col: str = "id", chunk_size: int = 1024,
                progress: Callable[[BatchStats], None] | None = None) -> BatchStats:
    """Score every input, chunk by chunk, writing rows as they are scored.

    Args:
        inputs: JSONL/Parquet tables, packet files, or directories of them; all bullets or all packets.
        out: a file path (``.jsonl`` or ``.parquet``), an open text stream, or ``None`` for stdout.
        fmt: ``"jsonl"`` or ``"parquet"``; default from ``out``'s suffix (JSONL for a stream).
        output: ``"bullets"`` (one row per bullet) or ``"packets"`` (one summary row per packet).
        text_col: the bullet column of bullet tables; ``id_col``: their id column, copied to ``id``.
        chunk_size: rows per read-score-write step (memory grows with it, throughput barely).
        progress: called after each chunk with the running totals.

    Raises:
        InputFileError: a missing or unreadable input, a missing column, a bad line (named).
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, got {chunk_size}")
    if fmt is None:
        fmt = "parquet" if isinstance(out, Path) and out.suffix.lower() == ".parquet" else "jsonl"
    if fmt == "parquet" and not isinstance(out, Path):
        raise ValueError("Parquet output needs a file path (out=Path('scores.parquet'))")
    chunks = read_chunks(inputs, text_col=text_col, id_col=id_col, chunk_size=chunk_size)
    first = next(chunks, None)
    kind: Kind = first.kind if first else "bullets"
    if kind == "bullets" and output != "bullets":
        raise InputFileError(f"{first.source if first else 'the input'}: holds bullets; "
                             "one row per packet (--output packets) needs packets")
    columns = columns_for(output, from_packets=kind == "packets")
    if kind == "bullets":
        columns = (ID_COLUMN, *columns)
    sink: _JsonlSink | _ParquetSink
    stream = None
    if fmt == "parquet":
        sink = _ParquetSink(out, columns)  # type: ignore[arg-type]
    elif isinstance(out, Path):
        stream = out.open("w", encoding="utf-8")
        sink = _JsonlSink(stream)
    else:
        sink = _JsonlSink(out or sys.stdout)
    start = time.perf_counter()
    n_rows = n_bullets = n_packets = 0
    try:
        for chunk in _chain(first, chunks):
            if chunk.kind != kind:
                raise InputFileError(f"{chunk.source}: holds {chunk.kind}, but the first input held {kind}; "
                                     "score bullets and packets in separate runs")
            rows = _score_chunk(scorer, chunk, output)
            sink.write(rows)
            n_rows += len(rows)
            n_bullets += len(chunk.texts) if kind == "bullets" else sum(int(r.get("n_bullets", 1)) for r in rows)
            n_packets += len(chunk.texts) if kind == "packets" else 0
            if progress:
                progress(BatchStats(n_rows, n_bullets, n_packets, time.perf_counter() - start))
    finally:
        sink.close()
        if stream is not None:
            stream.close()
    return BatchStats(n_rows, n_bullets, n_packets, time.perf_counter() - start)


def _chain(first: Chunk | None, rest: Iterator[Chunk]) -> Iterator[Chunk]:
    if first is not None:
        yield first
    yield from rest


def _score_chunk(scorer: PacketScorer, chunk: Chunk, output: Output) -> list[dict[str, object]]:
    if chunk.kind == "bullets":
        rows = score_bullets(scorer, chunk.texts)
        return [{"id": i, **r} for i, r in zip(chunk.ids, rows, strict=True)]
    out: list[dict[str, object]] = []
    for n, (text, pid) in enumerate(zip(chunk.texts, chunk.ids, strict=True)):
        packet_id = pid if pid is not None else f"{chunk.source}#{chunk.start + n}"
        report = scorer.score_packet(text, fmt=chunk.fmt, name=packet_id)
        out.extend(packet_bullet_rows(packet_id, report) if output == "bullets" else [packet_row(packet_id, report)])
    return out
