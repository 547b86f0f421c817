"""PacketReport -> table | json | jsonl | markdown | html, each returned as a string."""

from __future__ import annotations

import html
import json
from typing import Literal

from packetlens.results import CANNOT_JUDGE, MOVES, BulletScore, PacketReport

OutputFormat = Literal["table", "json", "jsonl", "markdown", "html"]
MOVE_SHORT = {
    "quantified_counterfactual": "before/after",
    "second_order_leverage": "leverage",
    "difficulty_named": "difficulty",
    "uncertainty_bounded": "uncertainty",
}


def render(report: PacketReport, fmt: OutputFormat, *, color: bool = True, width: int | None = None) -> str:
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
    if not b.in_score:
        return "not judged"
    return f"{b.strength.label}{'?' if b.strength.uncertain else ''}"


def _why(b: BulletScore) -> str:
    """Why a bullet is not judged, in words (empty for a judged one)."""
    return CANNOT_JUDGE.get(b.reason or "", b.reason or "") if not b.in_score else ""


def _moves_made(b: BulletScore) -> str:
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
    table = Table(title=f"{report.path}: packet score {report.score:.0f}/100", show_lines=True, expand=True)
    table.add_column("line", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    table.add_column("bullet, and what a strong one adds", ratio=1, overflow="fold")
    table.add_column("moves", max_width=16)
    for b in report.bullets:
        style = "green" if b.strength.label == "strong" else "red"
        if not b.in_score:
            verdict = Text(_verdict(b), style="magenta")
        else:
            verdict = Text(f"{_verdict(b)}\n{b.strength.p:.2f}\n{b.framing.label}", style=style)
        body = Text(b.text)
        for e in b.evidence:
            body.append(f"\n  + {e.text} (line {e.line})")
        if not b.in_score:
            body.append(f"\n! {_why(b)}; left out of the packet score", style="magenta")
        for h in b.hints if b.in_score else ():
            body.append(f"\n→ {h}", style="yellow")
        if b.exemplar is not None and b.strength.label == "weak" and b.in_score:
            body.append(f"\nlike: {b.exemplar.text}", style="cyan")
        table.add_row(str(b.line), verdict, body, _moves_made(b))
    console.print(table)
    console.print(report.summary)
    weakest = [b for b in report.weakest if b.strength.label == "weak" and b.in_score][:3]
    if weakest:
        console.print("Start with: " + "; ".join(f"line {b.line}" for b in weakest))
    return console.export_text(styles=color)


def to_markdown(report: PacketReport) -> str:
    out = [f"# packetlens: {report.path}", "", f"**Packet score {report.score:.0f}/100.** {report.summary}", "",
           "| line | verdict | P(strong) | framing | moves | bullet | hints |", "|---|---|---|---|---|---|---|"]
    for b in report.bullets:
        text = " ".join([b.text, *(f"(+ {e.text})" for e in b.evidence)])
        cells = [str(b.line), _verdict(b), f"{b.strength.p:.2f}", b.framing.label, _moves_made(b),
                 text, _why(b) if not b.in_score else "; ".join(b.hints)]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    out += ["", "## Weakest first, with a strong exemplar to learn from", ""]
    for b in report.weakest:
        if b.strength.label != "weak" or not b.in_score:
            continue
        out.append(f"- line {b.line}: {b.text}")
        if b.exemplar:
            out.append(f"  - like: {b.exemplar.text}")
    return "\n".join(out) + "\n"


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
                 "the bullet as strong (LABELS.md). A trailing ? marks a verdict inside the uncertain band.</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _bullet_html(b: BulletScore) -> str:
    e = html.escape
    moves = "".join(f"<span class=\"{'on' if b.moves.get(m, 0) >= 0.5 else ''}\">{e(MOVE_SHORT[m])} "
                    f"{b.moves.get(m, 0):.2f}</span>" for m in MOVES)
    hints = "".join(f"<li>{e(h)}</li>" for h in (b.hints if b.in_score else (_why(b) + "; left out of the packet score",)))
    evidence = "".join(f"<li>{e(x.text)} <span class=\"meta\">line {x.line}</span></li>" for x in b.evidence)
    ex = (f"<div class=\"ex\"><b>A strong bullet on nearby work:</b> {e(b.exemplar.text)}</div>"
          if b.exemplar and b.strength.label == "weak" else "")
    section = f" · {e(b.section)}" if b.section else ""
    return (f"<div class=\"bullet {e(b.strength.label)}\"><div class=\"meta\"><span class=\"verdict\">"
            f"{e(_verdict(b))}</span> · line {b.line}{section} · P(strong) {b.strength.p:.2f}"
            f"<span class=\"bar\"><i style=\"width:{b.strength.p * 100:.0f}%\"></i></span> · {e(b.framing.label)}</div>"
            f"<div class=\"text\">{e(b.text)}</div>{'<ul>' + evidence + '</ul>' if evidence else ''}"
            f"<div class=\"moves\">{moves}</div>"
            f"{'<ul class=hints>' + hints + '</ul>' if hints else ''}{ex}</div>")
