"""Packet -> claims. Pure functions: no model, no I/O beyond what the caller passes in.

A packet arrives as Markdown, plain text (a Google Docs or Word paste, a brag document), HTML
(a Confluence or Google Docs export) or a Word .docx. :func:`detect_format` decides which, for
the CLI and the library alike; a reader in :mod:`packetlens.formats` turns it into blocks
(headings, list items with their depth, paragraphs); :func:`assemble` turns blocks into claims
the same way for every format:

- **A claim is a top-level bullet with its sub-bullets as evidence.** The claim is scored as one
  text, the bullet followed by its evidence in order (a committee reads them together), so its
  strength, framing, moves and hints are the claim's: a parent is not told "leverage not shown"
  when its sub-bullet shows it. The evidence is kept, with its lines, to show under the claim.
- **A label-only parent is a section**, not a claim: all bold (``- **Search ranking**``),
  ending in a colon, or a few words with no verb, end punctuation or number, when it has
  sub-bullets. Its sub-bullets are the claims, under the section ``"Heading / label"``.
- **Work logs**: a date at the start of a bullet (``2026-03-14 — shipped ...``) is dropped from
  its text; notes, TODOs, open tasks (``[ ]``) and meeting lines are not claims, nor is anything
  under them; a done task (``[x]``) is a claim.
- **Skipped**: front matter (kept as metadata), code, tables, HTML comments, and paragraphs that
  are not list items (an intro is context, not a claim). A document with no list items at all is
  prose: its paragraphs are split into sentences, each a claim.
- ``<!-- packetlens: ignore -->`` on a bullet's own line, or on the line after it, drops it.
- **Flagged, not dropped**: a bullet that reads as a heading (a label with nothing under it), a
  paragraph (more than 90 words or 5 sentences) or a table row (``|`` cells) keeps its place but
  carries ``flag``; the scorer leaves flagged bullets out of the packet score and says why.

``line`` is where a claim starts (1-based; for a .docx, the paragraph number).

Example::

    >>> [b.text for b in parse_packet("# Impact\\n- Cut **p95** from 480 to 210 ms\\n  on 2M req/day\\n")]
    ['Cut p95 from 480 to 210 ms on 2M req/day']
    >>> b = parse_packet("- Built the eval gate\\n  - five teams gate launches on it\\n")[0]
    >>> b.text, [e.text for e in b.evidence], b.claim
    ('Built the eval gate', ['five teams gate launches on it'], 'Built the eval gate five teams gate launches on it')
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Literal

from packetlens.formats import MAX_LINES, Block, drop_done_box, not_a_claim, split_date, strip_markup, too_big

Format = Literal["auto", "markdown", "text", "html", "docx"]
Flag = Literal["heading", "paragraph", "table_row"]
FORMATS: tuple[str, ...] = ("auto", "markdown", "text", "html", "docx")

_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[A-Z0-9\"'(])")
MAX_BULLET_WORDS = 90
"""A bullet longer than this reads as a paragraph (the longest of data/'s 3,403 bullets has 73 words)."""
MAX_BULLET_SENTENCES = 4
_PAST = frozenset("built led ran cut wrote made drove took set grew won gave began brought found got held kept met "
                  "paid put rebuilt rewrote sold spent taught split shut spun stood".split())

__all__ = ["Bullet", "Evidence", "Format", "ParsedPacket", "assemble", "detect_format", "parse_bytes",
           "parse_document", "parse_packet", "strip_markup"]


@dataclass(frozen=True)
class Evidence:
    """A sub-bullet shown under its claim: its text and line."""

    text: str
    line: int

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "text": self.text}


@dataclass(frozen=True)
class Bullet:
    """One claim to score.

    Attributes:
        text: the bullet itself (markup removed).
        line: 1-based line where it starts.
        section: the heading (and label-only parent) it sits under, if any.
        evidence: its sub-bullets, in order, at any depth.
        flag: why it may not be a bullet at all (``heading``, ``paragraph``, ``table_row``), or None.
    """

    text: str
    line: int
    section: str | None = None
    evidence: tuple[Evidence, ...] = ()
    flag: Flag | None = None

    @property
    def claim(self) -> str:
        """What is scored: the bullet followed by its evidence."""
        return " ".join([self.text, *(e.text for e in self.evidence)])


@dataclass(frozen=True)
class ParsedPacket:
    """A parsed packet: its claims, the format it was read as, and its front-matter metadata."""

    bullets: tuple[Bullet, ...]
    format: Format
    metadata: dict[str, str] = field(default_factory=dict)
    text: str | None = None  # the decoded text the lines refer to (None for a .docx)


# --- which format -------------------------------------------------------------------------------
_SUFFIX: dict[str, Format] = {".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown",
                              ".txt": "text", ".text": "text", ".html": "html", ".htm": "html",
                              ".xhtml": "html", ".docx": "docx"}
_HTML_START = re.compile(r"[ \t\r\n]*(?:<\?xml[^<>]*>[ \t\r\n]*)?<(?:!doctype html|html|head|body|meta|ul|ol|h[1-6]|p|div)\b",
                         re.IGNORECASE)
_MD_LINE = re.compile(r" {0,3}(?:#{1,6}[ \t]|```|~~~|[-*+][ \t]+\S)")
_MD_INLINE = re.compile(r"\*\*[^*\n]+\*\*|\[[^\[\]\n]+\]\([^()\n]+\)")


def detect_format(name: str | None, content: bytes | str) -> Format:
    """The format of a packet, from its name and its first bytes; the CLI and the library both ask this.

    A zip is a .docx whatever its name; otherwise the suffix decides (``.md``, ``.txt``,
    ``.html``, ``.docx``); otherwise (stdin, other names) the content: an HTML start tag, then
    lines that start with pasted bullet glyphs (text), then Markdown headings, fences, ``-`` items
    or inline markup (markdown), else text.

    >>> detect_format("packet.txt", "# not Markdown here"), detect_format("<stdin>", "# Impact\\n- x")
    ('text', 'markdown')
    """
    if isinstance(content, bytes):
        if content[:4] == b"PK\x03\x04":
            return "docx"
        from packetlens.reading import peek_text

        content = peek_text(content)
    suffix = PurePath(name).suffix.lower() if name else ""
    if suffix in _SUFFIX:
        return _SUFFIX[suffix]
    head = content[:65536]
    if _HTML_START.match(head):
        return "html"
    from packetlens.formats.text import starts_with_glyph

    lines = head.split("\n")
    if any(starts_with_glyph(line) for line in lines):
        return "text"
    if any(_MD_LINE.match(line) for line in lines) or _MD_INLINE.search(head):
        return "markdown"
    return "text"


# --- parsing ------------------------------------------------------------------------------------
def parse_packet(text: str, fmt: Format = "auto") -> list[Bullet]:
    """Split a packet's text into claims (see the module docstring).

    Args:
        text: the whole packet.
        fmt: ``"markdown"``, ``"text"``, ``"html"`` or ``"auto"`` (:func:`detect_format` on the text).
    """
    return list(parse_document(text, fmt).bullets)


def parse_document(text: str, fmt: Format = "auto", *, name: str | None = None) -> ParsedPacket:
    """Like :func:`parse_packet`, keeping the format read and the front-matter metadata.

    Raises:
        InputFileError: more than 50,000 lines (or 200,000 HTML tags): no packet is that long.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_packet() takes the packet text as str, got {type(text).__name__}; "
                        "for bytes or a .docx use parse_bytes()")
    if fmt not in FORMATS or fmt == "docx":
        raise ValueError(f"fmt must be 'auto', 'markdown', 'text' or 'html' for text, got {fmt!r}")
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    n_lines = text.count("\n") + 1
    if n_lines > MAX_LINES:
        raise too_big(name or "<text>", n_lines, "lines", MAX_LINES)
    if fmt == "auto":
        fmt = detect_format(name, text)
        if fmt == "docx":  # a .docx name on text: read what is there
            fmt = detect_format(None, text)
    meta: dict[str, str] = {}
    if fmt == "markdown":
        from packetlens.formats import markdown

        blocks, meta = markdown.blocks(text)
    elif fmt == "html":
        from packetlens.formats import html

        blocks = html.blocks(text, name or "<html>")
    else:
        from packetlens.formats import text as plain

        blocks = plain.blocks(text)
    return ParsedPacket(tuple(assemble(blocks)), fmt, meta, text)


def parse_bytes(data: bytes, name: str, fmt: Format = "auto") -> ParsedPacket:
    """Parse a packet file's bytes: a .docx, or text in any common encoding (UTF-8/16/32, cp1252).

    ``name`` names the input in errors and, through its suffix, helps decide the format.
    """
    if not isinstance(data, bytes):
        raise TypeError(f"parse_bytes() takes bytes, got {type(data).__name__}")
    if fmt == "auto":
        fmt = detect_format(name, data)
    if fmt == "docx":
        from packetlens.formats import docx

        return ParsedPacket(tuple(assemble(docx.blocks(data, name))), "docx")
    from packetlens.reading import decode_text

    return parse_document(decode_text(data, name), fmt, name=name)


# --- blocks -> claims ---------------------------------------------------------------------------
@dataclass
class _Node:
    block: Block
    children: list[_Node] = field(default_factory=list)


def assemble(blocks: list[Block]) -> list[Bullet]:
    """Blocks (from any reader) -> claims, by the rules of the module docstring."""
    kept: list[Block] = []
    for b in blocks:
        if b.kind == "ignore":  # drops the block on the line above, or the one it sits in
            if kept and b.line <= kept[-1].end_line + 1:
                kept[-1].ignored = True
            continue
        kept.append(b)
    if not any(b.kind == "item" for b in kept):
        return _prose(kept)
    roots: list[tuple[_Node, str | None]] = []
    stack: list[_Node] = []
    section: str | None = None
    for b in kept:
        if b.kind == "heading":
            section, stack = (b.text or None), []
        elif b.kind == "item":
            node = _Node(b)
            while stack and stack[-1].block.depth >= b.depth:
                stack.pop()
            if stack:
                stack[-1].children.append(node)
            else:
                roots.append((node, section))
            stack.append(node)
    out: list[Bullet] = []
    for node, sec in roots:
        _claims(node, sec, out)
    return out


def _claim_text(text: str) -> str | None:
    """The words of a claim, or None for a note, TODO, open task or meeting line."""
    if not_a_claim(text):
        return None
    text = drop_done_box(text)
    date, rest = split_date(text)
    text = rest if date else text
    return None if not text or not_a_claim(text) else text


def _is_label(block: Block, text: str) -> bool:
    if block.label or text.endswith(":"):
        return True
    words = text.split()
    return (len(words) <= 4 and text[-1] not in ".!?" and not any(c.isdigit() for c in text)
            and not words[0].lower().endswith("ed") and words[0].lower() not in _PAST)


def _claims(node: _Node, section: str | None, out: list[Bullet]) -> None:
    b = node.block
    text = None if b.ignored else _claim_text(b.text)
    if text is None:
        return
    if node.children and _is_label(b, text):
        label = text.rstrip(":").strip()
        for child in node.children:
            _claims(child, f"{section} / {label}" if section else label, out)
        return
    out.append(Bullet(text, b.line, section, tuple(_evidence(node.children)), _flag(b, text, bool(node.children))))


def _evidence(nodes: list[_Node]):  # noqa: ANN202
    for node in nodes:
        text = None if node.block.ignored else _claim_text(node.block.text)
        if text is not None:
            yield Evidence(text, node.block.line)
            yield from _evidence(node.children)


def _flag(block: Block, text: str, has_children: bool) -> Flag | None:
    if text.count("|") >= 2:
        return "table_row"
    if len(text.split()) > MAX_BULLET_WORDS or (
            sum(text.count(c) for c in ".!?") > MAX_BULLET_SENTENCES
            and len(_SENTENCE.split(text)) > MAX_BULLET_SENTENCES):
        return "paragraph"
    if not has_children and _is_label(block, text):
        return "heading"
    return None


def _prose(blocks: list[Block]) -> list[Bullet]:
    """A document with no list items: each sentence of each paragraph is a claim."""
    out: list[Bullet] = []
    section: str | None = None
    for b in blocks:
        if b.kind == "heading":
            section = b.text or None
        elif b.kind == "paragraph" and not b.ignored:
            out.extend(Bullet(s.strip(), b.line, section) for s in _SENTENCE.split(b.text) if s.strip())
    return out
