"""Word .docx -> blocks, with python-docx (imported only when a .docx is read).

Body paragraphs in order; tables are skipped. A paragraph is an item when Word numbers it (a
bullet or numbered list: its level is the depth) or its style is a list style (``List Bullet 2``:
depth 1), or when it starts with a typed bullet glyph; a ``Heading``/``Title`` style, or a short
paragraph that is all bold, is a heading. ``line`` is the paragraph's number in the body
(1-based, empty paragraphs counted), which is what Word's navigation shows closest to a line.
"""

from __future__ import annotations

import io
import re
import zipfile

from packetlens.errors import InputFileError
from packetlens.formats import IGNORE, MAX_LINES, Block, squash, too_big
from packetlens.formats import text as plain

MAX_UNPACKED_BYTES = 50 * 1024 * 1024
"""A .docx is a zip: refuse one that would unpack past this (a zip bomb) before reading it."""
_LIST_STYLE = re.compile(r"List(?: (?:Bullet|Number|Continue))?(?: (\d))?$")


def blocks(data: bytes, name: str) -> list[Block]:
    """Blocks of a .docx packet given as bytes (see the module docstring)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except zipfile.BadZipFile as e:
        raise InputFileError(f"{name}: not a readable .docx ({e}); save it again from Word, or export it as .txt") from e
    if unpacked > MAX_UNPACKED_BYTES:
        raise InputFileError(f"{name}: unpacks to {unpacked / 1e6:.0f} MB, more than a packet holds "
                             f"(limit {MAX_UNPACKED_BYTES / 1e6:.0f} MB); export it as .txt")
    try:
        import docx
        from docx.text.paragraph import Paragraph
    except ImportError as e:  # pragma: no cover - a declared dependency
        raise InputFileError(f"{name}: reading .docx needs python-docx; pip install python-docx") from e
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as e:  # python-docx raises KeyError, ValueError, lxml errors on damaged files
        raise InputFileError(f"{name}: not a readable .docx ({type(e).__name__}); save it again from Word, "
                             "or export it as .txt") from e
    body = document.element.body
    out: list[Block] = []
    n = 0
    for child in body.iterchildren():
        if child.tag.rsplit("}", 1)[-1] != "p":
            continue  # tables, section properties
        n += 1
        if n > MAX_LINES:
            raise too_big(name, n, "paragraphs", MAX_LINES)
        block = _block(Paragraph(child, document), n)
        if block is not None:
            out.append(block)
    return out


def _block(p, n: int) -> Block | None:  # noqa: ANN001
    raw = p.text
    text = squash(IGNORE.sub(" ", raw))
    if not text:
        return Block("ignore", "", n) if IGNORE.search(raw) else None
    ignored = bool(IGNORE.search(raw))
    style = p.style.name if p.style is not None else ""
    runs = [r for r in p.runs if r.text.strip()]
    bold = bool(runs) and all(r.bold for r in runs)
    if style.startswith(("Heading", "Title")) or (bold and len(text.split()) <= 8 and _level(p) is None
                                                 and not _LIST_STYLE.match(style)):
        return Block("heading", text, n, ignored=ignored)
    level = _level(p)
    m = _LIST_STYLE.match(style)
    if level is None and m:
        level = int(m.group(1) or 1) - 1
    if level is not None:
        return Block("item", text, n, depth=level, label=bold, ignored=ignored)
    if plain.starts_with_glyph(text):
        return plain.line_blocks([text], n)[0][0]
    return Block("paragraph", text, n, ignored=ignored)


def _level(p) -> int | None:  # noqa: ANN001
    """The list level Word numbers this paragraph at, or None when it is not numbered."""
    ppr = p._p.pPr
    if ppr is None or ppr.numPr is None:
        return None
    ilvl = ppr.numPr.ilvl
    return int(ilvl.val) if ilvl is not None else 0
