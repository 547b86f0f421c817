"""Scores as table rows: the typed columns that the MLflow model, Spark and ``score-batch`` share.

One flat row per bullet, built from :meth:`BulletScore.to_dict` (so every value equals the JSON
output's), and one row per packet. The column lists here are the contract: the pyfunc's
signature, the Spark ``result_type`` and the Parquet schema of ``packetlens score-batch`` are all
derived from them, so the three paths give the same rows.

Example::

    >>> [c.name for c in BULLET_COLUMNS][:4]
    ['text', 'strength', 'p_strong', 'framing']
    >>> spark_ddl("bullets").split(", ")[:2]
    ['text string', 'strength string']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from packetlens.results import MOVES, BulletScore, PacketReport

if TYPE_CHECKING:  # pragma: no cover
    from packetlens.scorer import PacketScorer

ColumnType = Literal["string", "double", "long", "boolean", "array<string>"]
Output = Literal["bullets", "packets"]
OUTPUTS: tuple[str, ...] = ("bullets", "packets")


@dataclass(frozen=True)
class Column:
    """One output column: its name, type (Spark DDL spelling) and whether it can be null."""

    name: str
    type: ColumnType
    nullable: bool = False


BULLET_COLUMNS: tuple[Column, ...] = (
    Column("text", "string"),
    Column("strength", "string"),
    Column("p_strong", "double"),
    Column("framing", "string"),
    Column("p_system", "double"),
    # a move head the model does not have is null, never a made-up value
    *(Column(f"p_{m}", "double", nullable=True) for m in MOVES),
    Column("exemplar", "string", nullable=True),
    Column("exemplar_similarity", "double", nullable=True),
    Column("exemplar_moves", "array<string>", nullable=True),
    Column("hints", "array<string>"),
    Column("uncertain", "boolean"),
)
"""The per-bullet fields of the JSON schema (DESIGN.md), flattened; the order every output uses."""

PLACE_COLUMNS: tuple[Column, ...] = (
    Column("packet_id", "string"),
    Column("index", "long"),
    Column("line", "long"),
    Column("section", "string", nullable=True),
)
"""Where a bullet sits in its packet; these lead each bullet row scored from packets."""

PACKET_COLUMNS: tuple[Column, ...] = (
    Column("packet_id", "string"),
    Column("score", "double"),
    Column("n_bullets", "long"),
    Column("n_weak", "long"),
    *(Column(f"n_{m}", "long") for m in MOVES),
    Column("summary", "string"),
)
"""One summary row per packet (the ``packet`` object of the JSON schema, moves counted per move)."""


def bullet_row(b: BulletScore) -> dict[str, object]:
    """The :data:`BULLET_COLUMNS` of one scored bullet, values as in its JSON."""
    d = b.to_dict()
    ex = d["exemplar"]
    return {
        "text": d["text"],
        "strength": d["strength"]["label"],  # type: ignore[index]
        "p_strong": d["strength"]["p_strong"],  # type: ignore[index]
        "framing": d["framing"]["label"],  # type: ignore[index]
        "p_system": d["framing"]["p_system"],  # type: ignore[index]
        **{f"p_{m}": (d["moves"][m] if m in b.moves else None) for m in MOVES},  # type: ignore[index]
        "exemplar": ex["text"] if ex else None,  # type: ignore[index]
        "exemplar_similarity": ex["similarity"] if ex else None,  # type: ignore[index]
        "exemplar_moves": list(ex["moves"]) if ex else None,  # type: ignore[index]
        "hints": list(d["hints"]),  # type: ignore[arg-type]
        "uncertain": bool(d["uncertain"]),
    }


def packet_bullet_rows(packet_id: str, report: PacketReport) -> list[dict[str, object]]:
    """One row per bullet of a scored packet: :data:`PLACE_COLUMNS` then :data:`BULLET_COLUMNS`."""
    return [{"packet_id": packet_id, "index": b.index, "line": b.line, "section": b.section, **bullet_row(b)}
            for b in report.bullets]


def packet_row(packet_id: str, report: PacketReport) -> dict[str, object]:
    """The :data:`PACKET_COLUMNS` of a scored packet."""
    p = report.to_dict()["packet"]
    return {"packet_id": packet_id, "score": p["score"], "n_bullets": p["n_bullets"],  # type: ignore[index]
            "n_weak": p["n_weak"],  # type: ignore[index]
            **{f"n_{m}": p["moves_present"][m] for m in MOVES},  # type: ignore[index]
            "summary": p["summary"]}  # type: ignore[index]


def columns_for(output: Output, *, from_packets: bool) -> tuple[Column, ...]:
    """The columns of a table of ``output`` rows (bullet rows scored from packets carry their place)."""
    if output == "packets":
        return PACKET_COLUMNS
    if output != "bullets":
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)}, got {output!r}")
    return (*PLACE_COLUMNS, *BULLET_COLUMNS) if from_packets else BULLET_COLUMNS


def spark_ddl(output: Output = "bullets", *, from_packets: bool = False,
              columns: Sequence[Column] | None = None) -> str:
    """A Spark DDL string of the columns, for ``spark_udf(..., result_type=...)``.

    ``spark_ddl("bullets")`` types the model's bullet rows, ``spark_ddl("packets")`` its
    one-row-per-packet output (which a Spark UDF needs: it returns one row per input row).
    """
    cols = columns if columns is not None else columns_for(output, from_packets=from_packets)
    return ", ".join(f"`{c.name}` {c.type}" if c.name in _SPARK_KEYWORDS else f"{c.name} {c.type}" for c in cols)


_SPARK_KEYWORDS = {"index"}


def score_bullets(scorer: PacketScorer, texts: Sequence[object]) -> list[dict[str, object]]:
    """Score a column of bullet texts: one :data:`BULLET_COLUMNS` row per text, in order.

    Raises:
        ValueError: a text is null or not a string (the row is named).
    """
    return [bullet_row(b) for b in scorer.score(_strings(texts, "text"))]


def score_packets(scorer: PacketScorer, packets: Sequence[object], packet_ids: Sequence[object] | None = None,
                  *, output: Output = "bullets") -> list[dict[str, object]]:
    """Score a column of packet texts (Markdown or plain text, parsed as ``packetlens score`` does).

    Args:
        packets: the packet texts.
        packet_ids: one id per packet; default: the packet's position in ``packets`` as a string.
        output: ``"bullets"``: one row per bullet, led by :data:`PLACE_COLUMNS`;
            ``"packets"``: one :data:`PACKET_COLUMNS` row per packet.
    """
    texts = _strings(packets, "packet")
    if packet_ids is not None and len(packet_ids) != len(texts):
        raise ValueError(f"{len(packet_ids)} packet ids for {len(texts)} packets")
    ids = [str(n) if packet_ids is None or _missing(packet_ids[n]) else str(packet_ids[n]) for n in range(len(texts))]
    columns_for(output, from_packets=True)  # validates output
    rows: list[dict[str, object]] = []
    for pid, text in zip(ids, texts, strict=True):
        report = scorer.score_packet(text, name=pid)
        rows.extend(packet_bullet_rows(pid, report) if output == "bullets" else [packet_row(pid, report)])
    return rows


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value)  # None, or pandas' NaN


def _strings(values: Sequence[object], column: str) -> list[str]:
    if isinstance(values, str):
        raise TypeError(f"expected a column (list) of {column} strings, got one str; wrap it: [text]")
    out = list(values)
    for i, v in enumerate(out):
        if not isinstance(v, str):
            found = "null" if _missing(v) else type(v).__name__
            raise ValueError(f"{column} row {i} is {found}, expected a string; drop or fill nulls first")
    return out  # type: ignore[return-value]
