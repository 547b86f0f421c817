"""Plain text and pasted documents -> blocks.

What a paste from Google Docs, Word or an email looks like, line by line:

- bullets behind a list marker: ``-``, ``*``, ``+``, the glyphs Google Docs and Word paste
  (``●○■◦▪•·‣``, ``–``, ``o`` + tab, Word's Symbol-font private-use bullets), or a number
  (``1.``, ``2)``, ``(3)``); nesting from the indent, or else from the glyph (``○`` under ``●``);
- dated work-log lines (``2026-03-14 — shipped ...``) are items too; a line holding only a date
  is a section title;
- a short line with no end punctuation right before a bullet (``Impact``, ``Leadership:``) is a
  section title, as are ``# Heading`` and underlined (``===``) lines;
- any other line right under a bullet continues it (a wrapped line), unless it is a note
  (``TODO``, ``Note:``, a meeting); a blank line ends a bullet.

When a text has no list markers and no dated lines at all, every non-empty line is a bullet.
"""

from __future__ import annotations

import re

from packetlens.formats import IGNORE, Block, not_a_claim, split_date, squash

_GLYPH_LEVEL = {"●": 0, "•": 0, "·": 0, "∙": 0, "\uf0b7": 0, "–": 0, "-": 0, "*": 0, "+": 0,
                "○": 1, "◦": 1, "o": 1, "‣": 1, "\uf06f": 1,
                "■": 2, "▪": 2, "□": 2, "▫": 2, "\uf0a7": 2, "\uf0d8": 2}
PASTED_GLYPHS = frozenset(_GLYPH_LEVEL) - {"-", "*", "+", "o"}
_MARKER = re.compile(r"(?P<indent>[ \t]*)(?P<marker>[-*+●•·∙–○◦‣■▪□▫\uf0b7\uf06f\uf0a7\uf0d8]|o(?=\t)"
                     r"|\d{1,3}[.)]|\(\d{1,3}\))[ \t]+(?P<body>\S.*)")
_HEADING = re.compile(r" {0,3}#{1,6}[ \t]+(?P<title>.+)")
_UNDERLINE = re.compile(r" {0,3}(?:=+|-+)[ \t]*")
_OPEN_END = re.compile(r"(?:[,;:/&(—–-]|\b(?:and|or|to|of|the|a|an|on|in|for|with|from|by|at|into|than|as))$",
                       re.IGNORECASE)


def starts_with_glyph(line: str) -> bool:
    """The line is a bullet behind a pasted glyph (``•``, ``●``), which Markdown does not know."""
    m = _MARKER.match(line)
    return bool(m) and m.group("marker") in PASTED_GLYPHS


def _title_like(s: str) -> bool:
    words = s.split()
    return (0 < len(words) <= 7 and len(s) <= 60 and s[-1] not in ".,;!?" and s[0].isupper()
            and not not_a_claim(s))


def _kind(line: str) -> str:
    s = line.strip()
    if not s:
        return "blank"
    if IGNORE.fullmatch(s):
        return "ignore"
    if _MARKER.fullmatch(line):
        return "item"
    if _HEADING.fullmatch(line):
        return "heading"
    if _UNDERLINE.fullmatch(line):
        return "underline"
    date, rest = split_date(s)
    if date:
        return "dated" if rest else "date"
    return "text"


def line_blocks(lines: list[str], first: int = 1) -> tuple[list[Block], bool]:
    """Blocks of ``lines`` (numbered from ``first``), and whether any line was a bullet."""
    kinds = [_kind(line) for line in lines]
    next_kind = [""] * len(lines)  # the kind of the next non-blank line
    following = ""
    for i in range(len(lines) - 1, -1, -1):
        next_kind[i] = following
        if kinds[i] != "blank":
            following = kinds[i]
    out: list[Block] = []
    item: Block | None = None
    marked = False
    for i, (line, kind) in enumerate(zip(lines, kinds)):
        n, s = first + i, line.strip()
        if kind in ("item", "dated"):
            marked = True
            if kind == "item":
                m = _MARKER.fullmatch(line)
                indent = len(m.group("indent").expandtabs(4))  # type: ignore[union-attr]
                depth = indent + 2 * _GLYPH_LEVEL.get(m.group("marker"), 0)  # type: ignore[union-attr]
                body = m.group("body")  # type: ignore[union-attr]
            else:
                depth, body = 0, s
            item = Block("item", squash(IGNORE.sub(" ", body)), n, depth=depth, ignored=bool(IGNORE.search(body)))
            out.append(item)
            continue
        if kind == "text" and item is not None and _continues(item, line, s, next_kind[i]):
            item.text = squash(item.text + " " + IGNORE.sub(" ", s))
            item.ignored = item.ignored or bool(IGNORE.search(s))
            item.end_line = n
            continue
        item = None
        if kind == "ignore":
            out.append(Block("ignore", "", n))
        elif kind == "heading":
            out.append(Block("heading", squash(_HEADING.fullmatch(line).group("title").strip("# \t")), n))  # type: ignore[union-attr]
        elif kind == "date":
            out.append(Block("heading", s, n))
        elif kind == "underline":
            if out and out[-1].kind == "paragraph" and out[-1].end_line == n - 1:
                out[-1].kind = "heading"
        elif kind == "text":
            if _title_like(s) and (next_kind[i] in ("item", "dated") or s.endswith(":")):
                out.append(Block("heading", s.rstrip(":").strip(), n))
            elif out and out[-1].kind == "paragraph" and out[-1].end_line == n - 1:
                out[-1].text = squash(out[-1].text + " " + s)
                out[-1].end_line = n
            else:
                out.append(Block("paragraph", squash(s), n))
    return out, marked


def _continues(item: Block, line: str, s: str, next_kind: str) -> bool:
    """Whether a text line right under a bullet is that bullet wrapped."""
    if not_a_claim(s):
        return False
    if line[:1] in (" ", "\t") or not s[0].isupper() or _OPEN_END.search(item.text[-12:]):
        return True
    return not (_title_like(s) and (next_kind in ("item", "dated") or s.endswith(":")))


def blocks(text: str) -> list[Block]:
    """Blocks of a plain-text packet (see the module docstring)."""
    lines = text.split("\n")
    out, marked = line_blocks(lines)
    if marked:
        return out
    # no list markers: every non-empty line is a bullet (an ignore comment drops the one above)
    out = []
    for n, line in enumerate(lines, start=1):
        kind = _kind(line)
        if kind == "ignore":
            out.append(Block("ignore", "", n))
        elif kind == "heading":
            out.append(Block("heading", squash(line.strip().strip("#")), n))
        elif kind != "blank":
            out.append(Block("item", squash(IGNORE.sub(" ", line)), n, ignored=bool(IGNORE.search(line))))
    return out
