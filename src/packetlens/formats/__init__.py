"""One reader per input format, each turning a packet into the same flat list of :class:`Block`.

A reader knows its format's syntax (Markdown tokens, pasted-text glyphs, HTML tags, Word styles);
:mod:`packetlens.parsing` then turns blocks into claims the same way for all of them, so a packet
gives the same bullets whichever format it came in. Readers are imported only for the format
being read (python-docx only for a .docx).

Every reader is linear in its input: no regular expression here may scan past the next
occurrence of its own opening delimiter, so 5 MB of any content parses in seconds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["heading", "item", "paragraph", "ignore"]

MAX_LINES = 50_000
"""More lines than any packet holds (a year of a daily brag doc is a few thousand): refused before
parsing, as is an HTML file of more than :data:`MAX_TAGS` tags. Parsing is linear, but pure Python
costs 10 to 50 us a bullet, so 175,000 bullets (5 MB) took 9 to 26 s (benchmarks/RESULTS.md)."""
MAX_TAGS = 200_000


def too_big(name: str, count: int, unit: str, limit: int) -> ValueError:
    """The error for a packet past :data:`MAX_LINES` or :data:`MAX_TAGS` (an InputFileError)."""
    from packetlens.errors import InputFileError

    return InputFileError(f"{name}: {count:,} {unit} is more than a packet holds (limit {limit:,}); "
                          "split it or pass only the bullets")

IGNORE = re.compile(r"<!--\s*packetlens:\s*ignore\s*-->", re.IGNORECASE)
"""The comment that drops the bullet it sits on, or the bullet on the line above it."""


@dataclass
class Block:
    """One structural unit of a packet, before claims are assembled.

    Attributes:
        kind: ``heading``, list ``item``, ``paragraph`` (context), or ``ignore`` (an ignore
            comment on a line of its own).
        text: the visible words, markup removed, whitespace collapsed.
        line: 1-based line where it starts (for .docx: the paragraph number).
        end_line: the last line of its own text (an ignore comment on the next line drops it).
        depth: nesting of an item; any increasing numbers work (indent columns, list levels).
        label: the source marks the whole text as a label (all bold, or ending in a colon).
        ignored: an ignore comment sits on its own text.
    """

    kind: BlockKind
    text: str
    line: int
    end_line: int = 0
    depth: int = 0
    label: bool = False
    ignored: bool = False

    def __post_init__(self) -> None:
        self.end_line = max(self.end_line, self.line)


_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Collapse runs of white space into one space and trim."""
    return _WS.sub(" ", text).strip()


# Inline Markdown, each pattern unable to run past the next opening delimiter of its own kind
# (``[^\[\]]`` in a link label, ``[^<>]`` in a tag): the old ``[^>]*`` and ``<!--.*?-->`` forms
# rescanned the rest of the text from every ``<`` and took minutes on ``"<a "`` repeated.
_IMAGE = re.compile(r"!\[([^\[\]]*)\]\([^()]*\)")
_LINK = re.compile(r"\[([^\[\]]+)\]\([^()]*\)")
_REF_LINK = re.compile(r"\[([^\[\]]+)\]\[[^\[\]]*\]")
_AUTOLINK = re.compile(r"<(https?://[^<>\s]+)>")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_CODE = re.compile(r"`+([^`]*)`+")
_BOLD = re.compile(r"\*\*([^*]+)\*\*|__([^_]+)__")
_ITALIC = re.compile(r"(?<![\w*])\*([^*\s][^*]*)\*(?![\w*])|(?<![\w_])_([^_\s][^_]*)_(?![\w_])")
_STRIKE = re.compile(r"~~([^~]+)~~")
_LABEL = re.compile(r"^(?:\*\*[^*]+\*\*|__[^_]+__)\s*:?$")
_MARKUP = re.compile(r"[*_\[\]<>`~!]")


def _drop_comments(text: str) -> str:
    out, pos = [], 0
    while True:
        i = text.find("<!--", pos)
        if i < 0:
            out.append(text[pos:])
            return " ".join(out)
        out.append(text[pos:i])
        j = text.find("-->", i + 4)
        if j < 0:
            return " ".join(out)
        pos = j + 3


def _group(m: re.Match[str]) -> str:
    return next((g for g in m.groups() if g is not None), "")


def strip_markup(text: str) -> str:
    """Remove inline Markdown, keeping the words a reader sees (an image keeps its alt text).

    >>> strip_markup("**Cut** `p95` via [the gate](http://x) ![chart](y.png) <b>now</b>")
    'Cut p95 via the gate chart now'
    """
    if not _MARKUP.search(text):  # most bullets: nothing to remove
        return squash(text)
    t = _drop_comments(text) if "<!--" in text else text
    t = _IMAGE.sub(r"\1", t)
    t = _LINK.sub(r"\1", t)
    t = _REF_LINK.sub(r"\1", t)
    t = _AUTOLINK.sub(r"\1", t)
    t = _TAG.sub(" ", t)
    t = _CODE.sub(r"\1", t)
    t = _BOLD.sub(_group, t)
    t = _ITALIC.sub(_group, t)
    t = _STRIKE.sub(r"\1", t)
    return squash(t)


def is_markdown_label(raw: str) -> bool:
    """The whole inline text is bold (``**Search ranking**``) or ends in a colon."""
    raw = raw.strip()
    return bool(_LABEL.match(raw)) or (raw.endswith(":") and len(raw) > 1)


# --- work logs: dated lines, and the notes, TODOs and meetings that are not claims --------------
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?"
_DATE = re.compile(
    r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2}"
    rf"|(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{{0,6}},?[ \t])?{_MONTH}[ \t]\d{{1,2}}(?:st|nd|rd|th)?(?:,?[ \t]\d{{4}})?"
    rf"|\d{{1,2}}[ \t]{_MONTH}(?:[ \t]\d{{4}})?"
    r"|(?P<short>\d{1,2}/\d{1,2}(?:/\d{2,4})?))(?![\w/])", re.IGNORECASE)
_DATE_SEP = re.compile(r"[ \t]*(?P<sep>[—–:|]|-{1,2})?[ \t]*")
_NOT_A_CLAIM = re.compile(
    r"(?:\[ \]|todo\b|to-?do\b|notes?\b|nb\b|fyi\b|reminders?\b|ideas?\b|questions?\b|q:|follow[- ]?up\b"
    r"|meetings?\b|mtg\b|1:1\b|1-1\b|1on1\b|sync\b|stand-?up\b|met with\b|call with\b|chat with\b"
    r"|coffee with\b|lunch with\b|ask\b|wip\b|draft\b|tbd\b)", re.IGNORECASE)
_DONE_BOX = re.compile(r"\[[xX]\][ \t]*")


def split_date(text: str) -> tuple[str | None, str]:
    """``("2026-03-14", "shipped X")`` from ``"2026-03-14 — shipped X"``; ``(None, text)`` without a date.

    A bare ``3/14`` counts only with a separator after it (``3/14: shipped``), so ``1/2 of the
    traffic`` stays text.

    >>> split_date("Mar 14, 2026 – Cut p95 by half")
    ('Mar 14, 2026', 'Cut p95 by half')
    """
    m = _DATE.match(text)
    if not m:
        return None, text
    sep = _DATE_SEP.match(text, m.end())
    rest = text[sep.end():]  # type: ignore[union-attr]
    if m.group("short") and not sep.group("sep") and rest:  # type: ignore[union-attr]
        return None, text
    if rest and not sep.group(0) and rest[0].isalnum():  # type: ignore[union-attr]
        return None, text
    return m.group(0), rest


def not_a_claim(text: str) -> bool:
    """A note, TODO, open task or meeting line of a work log: kept out of the claims."""
    return bool(_NOT_A_CLAIM.match(text))


def drop_done_box(text: str) -> str:
    """``"[x] Shipped X"`` -> ``"Shipped X"`` (a done task item is a claim)."""
    m = _DONE_BOX.match(text)
    return text[m.end():] if m else text
