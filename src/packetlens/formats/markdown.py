"""Markdown -> blocks, with markdown-it-py's block parser and line numbers from its token maps.

Only markdown-it's block rules run: its inline rules are pure Python and took 18 to 40 s on 5 MB
of ``*a `` or ``- [`` (measured), so inline markup is removed by the linear
:func:`~packetlens.formats.strip_markup` instead. Front matter (``---`` or ``+++`` fenced, first
line) is read as ``key: value`` metadata and blanked, which keeps every later line number right.
Paragraphs whose lines start with pasted bullet glyphs (``•``, ``●``) are read as plain-text lists.
"""

from __future__ import annotations

from functools import lru_cache

from packetlens.formats import IGNORE, Block, is_markdown_label, strip_markup
from packetlens.formats import text as plain


@lru_cache(maxsize=1)
def _parser():  # noqa: ANN202
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").disable(["inline", "text_join"])


def front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split off front matter: its ``key: value`` pairs, and the text with those lines blanked."""
    if not text.startswith(("---", "+++")):
        return {}, text
    lines = text.split("\n")
    fence = lines[0].strip()
    if fence not in ("---", "+++"):
        return {}, text
    for j in range(1, len(lines)):
        if lines[j].strip() in (fence, "..."):
            meta = {}
            for line in lines[1:j]:
                key, sep, value = line.partition("=" if fence == "+++" else ":")
                if sep and key.strip() and not line.startswith((" ", "\t")):
                    meta[key.strip()] = value.strip().strip("\"'")
            return meta, "\n" * j + "\n" + "\n".join(lines[j + 1:])
    return {}, text


def blocks(text: str) -> tuple[list[Block], dict[str, str]]:
    """Blocks of a Markdown packet, and its front-matter metadata."""
    meta, body = front_matter(text)
    out: list[Block] = []
    items: list[Block] = []  # the open list items, innermost last
    in_table = False
    heading: Block | None = None
    for tok in _parser().parse(body):
        t = tok.type
        if t == "list_item_open":
            item = Block("item", "", tok.map[0] + 1, depth=len(items))
            out.append(item)
            items.append(item)
        elif t == "list_item_close":
            items.pop()
        elif t in ("table_open", "table_close"):
            in_table = t == "table_open"
        elif t == "heading_open":
            heading = Block("heading", "", tok.map[0] + 1)
        elif t == "html_block":
            if IGNORE.search(tok.content):
                out.append(Block("ignore", "", tok.map[0] + 1 + _line_of(tok.content, IGNORE)))
        elif t == "inline" and not in_table:
            _inline(tok, out, items, heading)
            heading = None
    return [b for b in out if b.text or b.kind == "ignore"], meta


def _line_of(content: str, pattern) -> int:  # noqa: ANN001
    m = pattern.search(content)
    return content.count("\n", 0, m.start()) if m else 0


def _inline(tok, out: list[Block], items: list[Block], heading: Block | None) -> None:  # noqa: ANN001
    raw, first, last = tok.content, tok.map[0] + 1, tok.map[1]
    if heading is not None:
        heading.text = strip_markup(raw)
        out.append(heading)
        return
    if items:
        item = items[-1]
        if not item.text:
            item.label = is_markdown_label(raw)
        item.ignored = item.ignored or bool(IGNORE.search(raw))
        item.text = (item.text + " " + strip_markup(raw)).strip()
        item.end_line = last
        return
    lines = raw.split("\n")
    if plain.starts_with_glyph(lines[0]):
        out.extend(plain.line_blocks(lines, first)[0])
        return
    out.append(Block("paragraph", strip_markup(raw), first, last, ignored=bool(IGNORE.search(raw))))
