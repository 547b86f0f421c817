"""Packet text -> bullets. Pure functions: no model, no I/O beyond what the caller passes in.

What counts as a bullet (DESIGN.md): in Markdown, each list item (``-``, ``*``, ``+``, ``•``,
``1.``, ``1)``) with its continuation lines joined and nested items as bullets of their own;
headings become sections; front matter, code blocks, tables, HTML comments and paragraphs that
are not list items are skipped. A Markdown document with no list items is prose: its paragraphs
are split into sentences. In plain text, lines that start with a list marker are the bullets
when there are any; otherwise every non-empty line is. A bullet followed by
``<!-- packetlens: ignore -->`` is skipped.

Example::

    >>> [b.text for b in parse_packet("# Impact\\n- Cut **p95** from 480 to 210 ms\\n  on 2M req/day\\n")]
    ['Cut p95 from 480 to 210 ms on 2M req/day']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Format = Literal["auto", "markdown", "text"]

_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+•‣◦▪]|\d{1,3}[.)])(?:[ \t]+(?P<body>.*)|$)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})[ \t]+(?P<title>.*?)[ \t#]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HR = re.compile(r"^ {0,3}([-*_])([ \t]*\1){2,}[ \t]*$")
_IGNORE = re.compile(r"<!--\s*packetlens:\s*ignore\s*-->", re.IGNORECASE)
_SENTENCE = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[A-Z0-9\"'(])")


@dataclass(frozen=True)
class Bullet:
    """One claim to score: its text (markup removed), the 1-based line it starts on, its section."""

    text: str
    line: int
    section: str | None = None


def strip_markup(text: str) -> str:
    """Remove Markdown markup, keeping the words a reader sees (an image keeps its alt text).

    >>> strip_markup("**Cut** `p95` via [the gate](http://x) ![chart](y.png) <b>now</b>")
    'Cut p95 via the gate chart now'
    """
    t = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    t = re.sub(r"!\[([^\]]*)\]\([^)]*\)", r"\1", t)          # images -> alt text
    t = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", t)           # links -> text
    t = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", t)          # reference links
    t = re.sub(r"<(https?://[^>]+)>", r"\1", t)
    t = re.sub(r"</?[A-Za-z][^>]*>", " ", t)                 # inline HTML tags
    t = re.sub(r"`+([^`]*)`+", r"\1", t)                     # code spans
    t = re.sub(r"(\*\*|__)(.+?)\1", r"\2", t)                # bold
    t = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", t)  # italics
    t = re.sub(r"~~(.+?)~~", r"\1", t)
    t = re.sub(r"^\[[ xX]\]\s+", "", t)                      # task-list boxes
    return re.sub(r"\s+", " ", t).strip()


def _looks_like_markdown(text: str) -> bool:
    for line in text.splitlines():
        if _HEADING.match(line) or _FENCE.match(line) or re.match(r"^\s*[-*+]\s+\S", line):
            return True
    return bool(re.search(r"\*\*[^*]+\*\*|\[[^\]]+\]\([^)]+\)", text))


def parse_packet(text: str, fmt: Format = "auto") -> list[Bullet]:
    """Split a packet into bullets.

    Args:
        text: the whole packet.
        fmt: ``"markdown"``, ``"text"`` or ``"auto"`` (Markdown when the text has headings,
            fences, ``-``/``*`` items or inline markup; plain text otherwise).
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_packet() takes the packet text as str, got {type(text).__name__}")
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    if fmt == "auto":
        fmt = "markdown" if _looks_like_markdown(text) else "text"
    if fmt == "markdown":
        return _parse_markdown(text)
    if fmt == "text":
        return _parse_text(text)
    raise ValueError(f"fmt must be 'auto', 'markdown' or 'text', got {fmt!r}")


def _blank_skipped(lines: list[str]) -> list[bool]:
    """Mark lines that are never content: front matter, fenced code, HTML comments, tables."""
    skip = [False] * len(lines)
    i = 0
    if lines and lines[0].strip() in ("---", "+++"):
        close = lines[0].strip()
        for j in range(1, len(lines)):
            if lines[j].strip() in (close, "..."):
                for k in range(j + 1):
                    skip[k] = True
                i = j + 1
                break
    fence: str | None = None
    in_comment = False
    for j in range(i, len(lines)):
        line = lines[j]
        if fence:
            skip[j] = True
            if line.strip().startswith(fence):
                fence = None
            continue
        if in_comment:
            skip[j] = True
            if "-->" in line:
                in_comment = False
            continue
        m = _FENCE.match(line)
        if m:
            fence, skip[j] = m.group(1)[0] * 3, True
            continue
        stripped = line.strip()
        if stripped.startswith("<!--") and not _IGNORE.search(stripped):
            skip[j] = True
            in_comment = "-->" not in stripped
            continue
        if stripped.startswith("|") or re.match(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$", line) and "|" in line:
            skip[j] = True
    return skip


def _parse_markdown(text: str) -> list[Bullet]:
    lines = text.split("\n")
    skip = _blank_skipped(lines)
    bullets: list[tuple[list[str], int, str | None]] = []
    paragraphs: list[tuple[list[str], int, str | None]] = []
    section: str | None = None
    current: tuple[list[str], int, str | None] | None = None  # open list item
    item_indent = 0
    para: tuple[list[str], int, str | None] | None = None
    for n, line in enumerate(lines, start=1):
        if skip[n - 1]:
            current = None if current is not None and not line.strip() else current
            continue
        if _IGNORE.search(line) and not line.strip().replace(_IGNORE.search(line).group(0), "").strip():
            if current is not None and current in bullets:
                bullets.remove(current)
            elif bullets and current is None:
                bullets.pop()
            current = None
            continue
        h = _HEADING.match(line)
        if h:
            section, current, para = strip_markup(h.group("title")) or None, None, None
            continue
        if para is not None and _SETEXT.match(line) and current is None:
            section = strip_markup(" ".join(para[0])) or None
            paragraphs.remove(para)
            para = None
            continue
        if _HR.match(line):
            current, para = None, None
            continue
        m = _ITEM.match(line)
        if m and (m.group("body") or "").strip():
            current = ([m.group("body")], n, section)
            bullets.append(current)
            item_indent = len(m.group("indent").expandtabs(4)) + len(m.group("marker")) + 1
            para = None
            continue
        if not line.strip():
            para = None
            continue
        indent = len(line) - len(line.lstrip(" \t"))
        # an indented line continues the open item; so does an unindented one right after it
        # (Markdown's lazy continuation), but not one after a blank line
        if current is not None and (indent >= min(item_indent, 2) or lines[n - 2].strip()):
            current[0].append(line.strip())
            continue
        current = None
        if para is None:
            para = ([line.strip()], n, section)
            paragraphs.append(para)
        else:
            para[0].append(line.strip())
    if bullets:
        out = [Bullet(strip_markup(" ".join(b[0])), b[1], b[2]) for b in bullets]
        return [b for b in out if b.text]
    # prose: a document with no list items is split into sentences
    out: list[Bullet] = []
    for words, line_no, sec in paragraphs:
        for sentence in _SENTENCE.split(strip_markup(" ".join(words))):
            if sentence.strip():
                out.append(Bullet(sentence.strip(), line_no, sec))
    return out


_TEXT_MARKER = re.compile(r"^\s*(?:[-*•‣◦▪]|\d{1,3}[.)])\s+(?P<body>\S.*)$")


def _parse_text(text: str) -> list[Bullet]:
    lines = text.split("\n")
    marked = [(n, _TEXT_MARKER.match(line)) for n, line in enumerate(lines, start=1)]
    out: list[Bullet] = []
    if any(m for _, m in marked):
        items: list[tuple[list[str], int]] = []
        open_item = False  # an indented line right after an item continues it
        for (n, m), line in zip(marked, lines, strict=True):
            if _IGNORE.search(line):
                if items:
                    items.pop()
                open_item = False
            elif m:
                items.append(([m.group("body")], n))
                open_item = True
            elif open_item and line.strip() and line[:1] in (" ", "\t"):
                items[-1][0].append(line.strip())
            else:
                open_item = False
        out = [Bullet(re.sub(r"\s+", " ", " ".join(words)).strip(), n) for words, n in items]
        return [b for b in out if b.text]
    for n, line in enumerate(lines, start=1):
        if _IGNORE.search(line):
            if out:
                out.pop()
            continue
        if line.strip():
            out.append(Bullet(re.sub(r"\s+", " ", line).strip(), n))
    return out
