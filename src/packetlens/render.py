"""PacketReport -> table | json | jsonl | markdown | html, each returned as a string."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from typing import Literal

from packetlens.results import MOVES, BulletScore, PacketReport

OutputFormat = Literal["table", "json", "jsonl", "markdown", "html"]
MOVE_SHORT = {
    "quantified_counterfactual": "before/after",
    "second_order_leverage": "leverage",
    "difficulty_named": "difficulty",
    "uncertainty_bounded": "uncertainty",
}


# C0 and C1 control characters but tab and newline, and DEL: a packet's ESC, BEL or NUL must not
# reach a terminal (escape sequences), a Markdown file or a web page. JSON escapes them itself.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` without control characters (tab and newline are kept)."""
    return _CONTROL.sub("", text)


def _cleaned(report: PacketReport) -> PacketReport:
    """The report with control characters removed from every string that came from the user."""
    bullets = tuple(replace(b, text=clean(b.text), hints=tuple(clean(h) for h in b.hints),
                            section=clean(b.section) if b.section is not None else None,
                            exemplar=replace(b.exemplar, text=clean(b.exemplar.text)) if b.exemplar else None)
                    for b in report.bullets)
    return replace(report, path=clean(report.path), bullets=bullets)


def render(report: PacketReport, fmt: OutputFormat, *, color: bool = True, width: int | None = None) -> str:
    """The report as a string in ``fmt``. Table, Markdown and HTML carry no control characters
    from the packet; JSON and JSONL escape them."""
    if fmt in ("markdown", "html", "table"):
        report = _cleaned(report)
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(b.to_dict(), ensure_ascii=False) + "\n" for b in report.bullets)
    if fmt == "markdown":
        return to_markdown(report)
    if fmt == "html":
        return to_html(report)
    if fmt == "table":
        return to_table(report, color=color, width=width)
    raise ValueError(f"unknown format {fmt!r}; use table, json, jsonl, markdown or html")


def _verdict(b: BulletScore) -> str:
    return f"{b.strength.label}{'?' if b.strength.uncertain else ''}"


NO_HEAD = "n/a"
"""Shown where the model has no head for a label (it was trained without that label)."""


def _framing(b: BulletScore) -> str:
    return b.framing.label if b.framing is not None else f"framing {NO_HEAD}"


def _moves_made(b: BulletScore) -> str:
    if not b.moves:
        return f"moves {NO_HEAD}"
    return ", ".join(MOVE_SHORT[m] for m in b.moves_present) or "none"


def to_table(report: PacketReport, *, color: bool = True, width: int | None = None) -> str:
    """A rich table for terminals; bullet text, hints and exemplars are wrapped, never cut."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    import io

    # render into a recording console; the caller decides where the text goes
    console = Console(record=True, force_terminal=color, no_color=not color, width=width or 120,
                      color_system="standard" if color else None, file=io.StringIO())
    # Text, not str: a path or bullet is never read as rich markup ("[/b]" would raise)
    table = Table(title=Text(f"{report.path}: packet score {report.score:.0f}/100"), show_lines=True, expand=True)
    table.add_column("line", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("bullet, and what a strong one adds", ratio=1, overflow="fold")
    table.add_column("moves", max_width=16)
    for b in report.bullets:
        style = "green" if b.strength.label == "strong" else "red"
        verdict = Text(f"{_verdict(b)}\n{b.strength.p:.2f}\n{_framing(b)}", style=style)
        body = Text(b.text)
        for h in b.hints:
            body.append(f"\n→ {h}", style="yellow")
        if b.exemplar is not None and b.strength.label == "weak":
            body.append(f"\nlike: {b.exemplar.text}", style="cyan")
        table.add_row(str(b.line), verdict, body, _moves_made(b))
    console.print(table)
    console.print(Text(report.summary))
    weakest = [b for b in report.weakest if b.strength.label == "weak"][:3]
    if weakest:
        console.print("Start with: " + "; ".join(f"line {b.line}" for b in weakest))
    return console.export_text(styles=color)


def to_markdown(report: PacketReport) -> str:
    out = [f"# packetlens: {_md_escape(report.path)}", "", f"**Packet score {report.score:.0f}/100.** {report.summary}", "",
           "| line | verdict | P(strong) | framing | moves | bullet | hints |", "|---|---|---|---|---|---|---|"]
    for b in report.bullets:
        cells = [str(b.line), _verdict(b), f"{b.strength.p:.2f}", _framing(b), _moves_made(b),
                 b.text, "; ".join(b.hints)]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    out += ["", "## Weakest first, with a strong exemplar to learn from", ""]
    for b in report.weakest:
        if b.strength.label != "weak":
            continue
        out.append(f"- line {b.line}: {b.text}")
        if b.exemplar:
            out.append(f"  - like: {b.exemplar.text}")
    return "\n".join(out) + "\n"


# inside a heading line, after "# packetlens: ": emphasis, code, links, HTML, a closing "#", tables
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#|~])")


def _md_escape(text: str) -> str:
    """``text`` shown literally inside a Markdown heading (one line; the marks it could use escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


_CSS = """
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2433;padding:0 1rem}
h1{font-size:1.5rem;margin:0 0 .25rem} .sub{color:#5b6478;margin:0 0 1.5rem}
.summary{display:flex;gap:1rem;flex-wrap:wrap;margin-bottom:1.5rem}
.card{border:1px solid #dfe3ea;border-radius:10px;padding:.8rem 1rem;min-width:150px}
.card b{display:block;font-size:1.6rem}
.bullet{border:1px solid #dfe3ea;border-left:6px solid #c9ced8;border-radius:8px;padding:.7rem 1rem;margin:.7rem 0}
.bullet.strong{border-left-color:#2e9e5b} .bullet.weak{border-left-color:#d0463b}
.meta{font-size:.85rem;color:#5b6478} .verdict{font-weight:600;text-transform:uppercase;font-size:.8rem}
.strong .verdict{color:#2e7d4f} .weak .verdict{color:#b3362c}
.bar{display:inline-block;height:8px;border-radius:4px;background:#e6e9ef;width:120px;vertical-align:middle;margin-left:.4rem}
.bar i{display:block;height:8px;border-radius:4px;background:#4a7bd0}
.moves span{display:inline-block;font-size:.8rem;border-radius:999px;padding:0 .55rem;margin:.15rem .25rem 0 0;background:#eef1f6;color:#5b6478}
.moves span.on{background:#e3f4ea;color:#1f6b40}
ul.hints{margin:.4rem 0 0 1.1rem;padding:0;color:#7a4b00} .ex{margin-top:.4rem;font-size:.9rem;background:#f4f7fb;border-radius:6px;padding:.4rem .6rem}
h2{font-size:1.1rem;margin-top:2rem} .missing{color:#b3362c}
"""


def to_html(report: PacketReport) -> str:
    """A self-contained HTML page (inline CSS, no scripts, no network assets)."""
    e = html.escape
    missing = report.missing_moves
    cards = [("packet score", f"{report.score:.0f}/100"), ("bullets", str(report.n_bullets)),
             ("weak", str(report.n_weak)), ("strong", str(report.n_bullets - report.n_weak))]
    parts = [
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">",
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">",
        f"<title>packetlens: {e(report.path)}</title><style>{_CSS}</style></head><body>",
        f"<h1>How a committee will read {e(report.path)}</h1>",
        f"<p class=\"sub\">{e(report.summary)} Model: {e(report.model.name)} {e(report.model.version)}.</p>",
        "<div class=\"summary\">" + "".join(f"<div class=\"card\"><b>{e(v)}</b>{e(k)}</div>" for k, v in cards) + "</div>",
    ]
    if missing:
        parts.append("<p class=\"missing\">Moves no bullet makes: " + e(", ".join(MOVE_SHORT[m] for m in missing)) + "</p>")
    parts.append("<h2>Weakest first</h2>")
    for b in report.weakest:
        parts.append(_bullet_html(b))
    parts.append("<p class=\"meta\">P(strong) is the calibrated probability that a calibration committee reads "
                 "the bullet as strong (the rubric: <code>packetlens rubric</code>). A trailing ? marks a verdict inside the uncertain band.</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _bullet_html(b: BulletScore) -> str:
    e = html.escape
    moves = "".join(f"<span class=\"{'on' if b.moves[m] >= 0.5 else ''}\">{e(MOVE_SHORT[m])} "
                    f"{b.moves[m]:.2f}</span>" if m in b.moves else f"<span>{e(MOVE_SHORT[m])} {NO_HEAD}</span>"
                    for m in MOVES)
    hints = "".join(f"<li>{e(h)}</li>" for h in b.hints)
    ex = (f"<div class=\"ex\"><b>A strong bullet on nearby work:</b> {e(b.exemplar.text)}</div>"
          if b.exemplar and b.strength.label == "weak" else "")
    section = f" · {e(b.section)}" if b.section else ""
    return (f"<div class=\"bullet {e(b.strength.label)}\"><div class=\"meta\"><span class=\"verdict\">"
            f"{e(_verdict(b))}</span> · line {b.line}{section} · P(strong) {b.strength.p:.2f}"
            f"<span class=\"bar\"><i style=\"width:{b.strength.p * 100:.0f}%\"></i></span> · {e(_framing(b))}</div>"
            f"<div class=\"text\">{e(b.text)}</div><div class=\"moves\">{moves}</div>"
            f"{'<ul class=hints>' + hints + '</ul>' if hints else ''}{ex}</div>")
