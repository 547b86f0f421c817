"""HTML (a Confluence or Google Docs export, a saved web page) -> blocks.

A small linear tag scanner rather than :mod:`html.parser`, which rescans the rest of the input
from every unclosed ``<a `` (64 KB of them took 45 s, measured). List items at any depth are
items (Google Docs exports nested levels as flat lists with an ``lst-kix_...-N`` class: level N);
``h1``-``h6`` and ``<p class="title">`` are headings; tables, ``pre``, scripts, styles and the
head are skipped; ``<b>``/``<strong>`` around the whole text of an item marks it a label; a
Confluence task list's unchecked task is an open task. Lines are the source lines.
"""

from __future__ import annotations

import html
import re

from packetlens.formats import IGNORE, MAX_TAGS, Block, squash, too_big

_NEXT = re.compile(r"<!--|<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9:-]*)(?P<attrs>[^<>]*)>|<[!?][^<>]*>")
_SKIP = frozenset({"head", "script", "style", "title", "table", "pre", "template", "svg", "noscript",
                   "textarea", "select", "button", "nav", "footer"})
_RAW = frozenset({"script", "style", "textarea", "title"})  # their text may hold "<" that is not a tag
_BREAK = frozenset({"p", "div", "br", "hr", "section", "article", "blockquote", "tr", "dd", "dt"})
_HEADING = re.compile(r"h[1-6]")
_KIX_LEVEL = re.compile(r"lst-kix_[A-Za-z0-9_]*-(\d+)")
_BOLD_STYLE = re.compile(r"font-weight:\s*(?:bold|[6-9]00)", re.IGNORECASE)


class _Reader:
    def __init__(self) -> None:
        self.out: list[Block] = []
        self.lists: list[int] = []     # the open ul/ol, each its Google Docs level (or 0)
        self.items = 0                 # open li
        self.skip = 0                  # inside a skipped element
        self.bold = 0
        self.spans: list[bool] = []    # open spans, whether each made text bold
        self.block: Block | None = None
        self.parts: list[str] = []
        self.plain = False             # some text of the current block is not bold
        self.any_text = False

    def start(self, kind: str, line: int, depth: int = 0, text: str = "") -> None:
        self.flush(line)
        self.block = Block(kind, "", line, depth=depth)  # type: ignore[arg-type]
        self.parts, self.plain, self.any_text = [text], False, False

    def flush(self, line: int) -> None:
        b, self.block = self.block, None
        if b is None:
            return
        b.text = squash(html.unescape("".join(self.parts)))
        b.end_line = line
        b.label = b.kind == "item" and self.any_text and not self.plain
        if b.text:
            self.out.append(b)

    def text(self, data: str, line: int) -> None:
        if self.skip or not data.strip():
            if self.block is not None and not self.skip:
                self.parts.append(" ")
            return
        if self.block is None:
            self.start("paragraph", line)
        self.parts.append(data)
        self.any_text = True
        self.plain = self.plain or not self.bold

    def tag(self, name: str, close: bool, attrs: str, line: int) -> None:
        if name in _SKIP:
            if close:
                self.skip = max(0, self.skip - 1)
            else:
                if self.skip == 0:
                    self.flush(line)
                self.skip += 1
            return
        if self.skip:
            return
        if name in ("ul", "ol"):
            if close:
                if self.lists:
                    self.lists.pop()
            else:
                self.flush(line)
                m = _KIX_LEVEL.search(attrs)
                self.lists.append(int(m.group(1)) if m else 0)
        elif name == "li":
            if close:
                self.flush(line)
                self.items = max(0, self.items - 1)
            else:
                depth = len(self.lists) + (self.lists[-1] if self.lists else 0)
                box = ""
                if "data-inline-task-id" in attrs or "task-list-item" in attrs:
                    box = "[x] " if re.search(r"\bchecked\b", attrs) else "[ ] "
                self.start("item", line, depth, box)
                self.items += 1
        elif _HEADING.fullmatch(name) or (name == "p" and re.search(r"class=[\"']?(?:title|subtitle)\b", attrs)):
            if close:
                self.flush(line)
            else:
                self.start("heading", line)
        elif name in ("b", "strong"):
            self.bold += -1 if close else 1
            self.bold = max(self.bold, 0)
        elif name == "span":
            if close:
                if self.spans and self.spans.pop():
                    self.bold = max(self.bold - 1, 0)
            else:
                bold = bool(_BOLD_STYLE.search(attrs))
                self.spans.append(bold)
                self.bold += bold
        elif name in _BREAK:
            if self.block is not None and self.block.kind == "item":
                self.parts.append(" ")
            elif name != "br" or self.block is None or self.block.kind != "heading":
                self.flush(line)


def blocks(text: str, name: str = "<html>") -> list[Block]:
    """Blocks of an HTML packet (see the module docstring)."""
    r = _Reader()
    tags = 0
    lower = text.lower()
    pos, line = 0, 1
    n = len(text)
    while pos < n:
        # the regex engine skips text and stray "<" in C; Python runs once per real tag
        m = _NEXT.search(text, pos)
        i = n if m is None else m.start()
        if i > pos:
            r.text(text[pos:i], line)
            line += text.count("\n", pos, i)
        if m is None:
            break
        pos = m.end()
        if m.group(0) == "<!--":
            j = text.find("-->", pos)
            end = n if j < 0 else j + 3
            if IGNORE.fullmatch(text, i, end):
                if r.block is not None and r.block.kind == "item":
                    r.block.ignored = True
                else:
                    r.out.append(Block("ignore", "", line))
            line += text.count("\n", i, end)
            pos = end
            continue
        line_at = line
        line += text.count("\n", i, pos)
        if m.group("name") is None:  # doctype, CDATA, processing instruction
            continue
        tags += 1
        if tags > MAX_TAGS:
            raise too_big(name, tags, "tags", MAX_TAGS)
        tag = m.group("name").lower()
        close = bool(m.group("close"))
        r.tag(tag, close, m.group("attrs"), line_at)
        if tag in _RAW and not close:
            j = lower.find(f"</{tag}", pos)
            end = n if j < 0 else j
            line += text.count("\n", pos, end)
            pos = end
    r.flush(line)
    return r.out
