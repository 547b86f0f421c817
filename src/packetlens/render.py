"""PacketReport -> table | json | jsonl | markdown | html | line | github, each returned as a string.

Every format leads with the summary: the packet score, the three bullets to fix first with their
text, and the moves no bullet makes. Weak bullets follow, weakest first, with their hints, a
rewrite scaffold and an exemplar; strong bullets have their own section and no fix-it hints.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from packetlens.results import CANNOT_JUDGE, MOVES, BulletScore, PacketReport

OutputFormat = Literal["table", "json", "jsonl", "markdown", "html", "line", "github"]
MULTI_FORMATS = ("table", "jsonl", "markdown", "line", "github")
"""The formats that can hold several packets in one output (json and html hold one)."""
MOVE_SHORT = {
    "quantified_counterfactual": "before/after",
    "second_order_leverage": "leverage",
    "difficulty_named": "difficulty",
    "uncertainty_bounded": "uncertainty",
}
SUMMARY_CODE = "PL000"
"""The code of the summary line in ``line`` and ``github`` output."""
WEAK_CODE = "PL100"
"""The code of a weak bullet that no hint covers, in ``line`` and ``github`` output."""
NARROW = 60
"""Below this many columns the table falls back to the compact layout."""


# C0 and C1 control characters but tab and newline, and DEL: a packet's ESC, BEL or NUL must not
# reach a terminal (escape sequences), a Markdown file or a web page. JSON escapes them itself.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """``text`` without control characters (tab and newline are kept)."""
    return _CONTROL.sub("", text)


def _cleaned(report: PacketReport) -> PacketReport:
    """The report with control characters removed from every string that came from the user."""
    bullets = tuple(replace(b, text=clean(b.text), hints=tuple(clean(h) for h in b.hints),
                            hint_details=tuple(replace(h, message=clean(h.message),
                                                       words=clean(h.words) if h.words else h.words)
                                               for h in b.hint_details),
                            rewrite=clean(b.rewrite) if b.rewrite else b.rewrite,
                            section=clean(b.section) if b.section is not None else None,
                            exemplar=replace(b.exemplar, text=clean(b.exemplar.text)) if b.exemplar else None)
                    for b in report.bullets)
    return replace(report, path=clean(report.path), bullets=bullets)


def render(report: PacketReport, fmt: OutputFormat, *, color: bool = True, width: int | None = None,
           compact: bool = False) -> str:
    """One packet in one format. ``width`` is the terminal's columns (table only). Every format but
    JSON and JSONL (which escape them) carries no control characters from the packet."""
    if fmt not in ("json", "jsonl"):
        report = _cleaned(report)
    if fmt == "json":
        return json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return to_jsonl(report)
    if fmt == "markdown":
        return to_markdown(report)
    if fmt == "html":
        return to_html(report)
    if fmt == "table":
        return to_table(report, color=color, width=width, compact=compact)
    if fmt == "line":
        return to_lines(report)
    if fmt == "github":
        return to_github(report)
    raise ValueError(f"unknown format {fmt!r}; use table, json, jsonl, markdown, html, line or github")


def render_many(reports: Sequence[PacketReport], fmt: OutputFormat, **kwargs: object) -> str:
    """Several packets in one output; ``fmt`` must be one of :data:`MULTI_FORMATS`."""
    if len(reports) != 1 and fmt not in MULTI_FORMATS:
        raise ValueError(f"--format {fmt} holds one packet, got {len(reports)}; use {', '.join(MULTI_FORMATS)}")
    sep = "\n" if fmt in ("table", "markdown") else ""
    return sep.join(render(r, fmt, **kwargs) for r in reports)  # type: ignore[arg-type]


def _verdict(b: BulletScore) -> str:
    if not b.in_score:
        return "not judged"
    return f"{b.strength.label}{'?' if b.strength.uncertain else ''}"


NO_HEAD = "n/a"
"""Shown where the model has no head for a label (it was trained without that label)."""


def _framing(b: BulletScore) -> str:
    return b.framing.label if b.framing is not None else f"framing {NO_HEAD}"


def _why(b: BulletScore) -> str:
    """Why a bullet is not judged, in words (empty for a judged one)."""
    return CANNOT_JUDGE.get(b.reason or "", b.reason or "") if not b.in_score else ""


def _moves_made(b: BulletScore) -> str:
    if not b.moves:
        return f"moves {NO_HEAD}"
    return ", ".join(MOVE_SHORT[m] for m in b.moves_present) or "none"


def _never_used(report: PacketReport) -> str:
    return ", ".join(MOVE_SHORT[m] for m in report.missing_moves) or "none: every move is used"


def _headline(report: PacketReport) -> str:
    strong = report.n_bullets - report.n_weak
    return (f"{report.path}: packet score {report.score:.0f}/100, "
            f"{strong} of {report.n_bullets} bullets read as strong")


def _gain(report: PacketReport, b: BulletScore) -> str:
    g = report.score_gain(b)
    return f"fixing it could add {g:.1f} points" if g >= 0.05 else "fixing it moves the score little"


def clip(text: str, n: int) -> str:
    """``text`` cut to ``n`` characters, with an ellipsis when cut."""
    return text if len(text) <= n else text[: max(n - 1, 0)] + "…"


# ------------------------------------------------------------------ jsonl


def to_jsonl(report: PacketReport) -> str:
    """The packet's summary line first (``type: packet``), then one line a bullet (``type: bullet``),
    each with the packet's file in ``path``."""
    lines = [json.dumps(report.summary_dict(), ensure_ascii=False)]
    lines += [json.dumps({"type": "bullet", "path": report.path, **b.to_dict()}, ensure_ascii=False)
              for b in report.bullets]
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ terminal


def to_table(report: PacketReport, *, color: bool = True, width: int | None = None, compact: bool = False) -> str:
    """The terminal report at ``width`` columns (default 100): summary, weak bullets, strong bullets.

    The full layout wraps bullet text, hints and exemplars and never cuts them; the compact layout
    (``compact=True``, or under :data:`NARROW` columns) gives each bullet one line, cut to fit.
    """
    import io

    from rich.console import Console

    width = max(int(width or 100), 20)
    console = Console(record=True, force_terminal=color, no_color=not color, width=width,
                      color_system="standard" if color else None, file=io.StringIO(), soft_wrap=False)
    compact = compact or width < NARROW
    _summary_block(console, report, width, compact)
    if compact:
        _compact_rows(console, report, width)
    else:
        _full_tables(console, report)
    return console.export_text(styles=color)


def _summary_block(console, report: PacketReport, width: int, compact: bool) -> None:  # noqa: ANN001
    from rich.text import Text

    def show(t: Text) -> None:
        if compact:
            t.truncate(width, overflow="ellipsis")
        console.print(t, no_wrap=compact, overflow="ellipsis" if compact else "fold")

    show(Text(_headline(report), style="bold"))
    if not report.bullets:
        return
    fix = report.fix_first()
    if fix:
        console.print("Fix first:")
        for k, b in enumerate(fix, 1):
            line = Text(f" {k}. line {b.line} ", style="bold")
            line.append(f"(+{report.score_gain(b):.1f} if fixed): ", style="dim")
            line.append(b.text)
            show(line)
    show(Text(f"Moves never used: {_never_used(report)}", style="red" if report.missing_moves else "green"))


def _compact_rows(console, report: PacketReport, width: int) -> None:  # noqa: ANN001
    from rich.text import Text

    for title, bullets in (("Weak, weakest first", report.weak_bullets), ("Strong", report.strong_bullets)):
        if not bullets:
            continue
        console.print(Text(f"{title} ({len(bullets)})", style="bold"))
        for b in bullets:
            head = f"{b.line:>4} {b.strength.p:4.2f} "
            codes = (" " + " ".join(b.hint_codes)) if b.hint_codes else ""
            room = width - len(head) - len(codes)
            if room < 10:  # too narrow for codes beside the text
                codes, room = "", width - len(head)
            t = Text(head, style="green" if b.is_strong else "red")
            t.append(clip(b.text, room).ljust(room))
            t.append(codes, style="yellow")
            console.print(t, overflow="crop", no_wrap=True)


def _full_tables(console, report: PacketReport) -> None:  # noqa: ANN001
    from rich.table import Table
    from rich.text import Text

    if report.weak_bullets:
        table = Table(title=f"Weak bullets ({report.n_weak}), weakest first", title_justify="left",
                      show_lines=True, expand=True)
        table.add_column("line", justify="right", no_wrap=True)
        table.add_column("P", no_wrap=True)
        table.add_column("bullet, what to fix, and a strong one on nearby work", ratio=1, overflow="fold")
        table.add_column("moves", max_width=14)
        for b in report.weak_bullets:
            body = Text(b.text)
            for x in b.evidence:
                body.append(f"\n  + {x.text} (line {x.line})")
            if not b.in_score:
                body.append(f"\n! {_why(b)}; left out of the packet score", style="magenta")
            for h in b.hint_details:
                body.append(f"\n→ {h.code} {h.message}", style="yellow")
            if b.rewrite:
                body.append(f"\nrewrite: {b.rewrite}", style="magenta")
            body.append(f"\nlike: {b.exemplar.text}" if b.exemplar else "\nno close exemplar in the bank", style="cyan")
            table.add_row(str(b.line), Text(f"{_verdict(b)}\n{b.strength.p:.2f}\n{_framing(b)}", style="red"), body,
                          Text(_moves_made(b)))
        console.print(table)
    if report.strong_bullets:
        table = Table(title=f"Strong bullets ({len(report.strong_bullets)})", title_justify="left", expand=True)
        table.add_column("line", justify="right", no_wrap=True)
        table.add_column("P", no_wrap=True)
        table.add_column("bullet", ratio=1, overflow="fold")
        table.add_column("moves", max_width=14)
        for b in report.strong_bullets:
            table.add_row(str(b.line), Text(f"{b.strength.p:.2f}\n{_framing(b)}", style="green"), Text(b.text),
                          Text(_moves_made(b)))
        console.print(table)


# ------------------------------------------------------------------ markdown


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(report: PacketReport) -> str:
    out = [f"# packetlens: {_md_escape(report.path)}", "",
           f"**Packet score {report.score:.0f}/100.** {report.summary}", ""]
    fix = report.fix_first()
    if fix:
        out += ["## Fix first", ""]
        out += [f"{k}. line {b.line}: {b.text} ({_gain(report, b)})" for k, b in enumerate(fix, 1)]
        out.append("")
    out += [f"**Moves never used:** {_never_used(report)}", ""]
    if report.weak_bullets:
        out += [f"## Weak bullets ({report.n_weak}), weakest first", ""]
        for b in report.weak_bullets:
            out.append(f"- **line {b.line}** ({_verdict(b)}, P(strong) {b.strength.p:.2f}, {_framing(b)}; "
                       f"moves: {_moves_made(b)}): {b.text}")
            out += [f"  - + {x.text} (line {x.line})" for x in b.evidence]
            if not b.in_score:
                out.append(f"  - {_why(b)}; left out of the packet score")
            out += [f"  - `{h.code}` {h.message}" for h in b.hint_details]
            if b.rewrite:
                out.append(f"  - rewrite: {b.rewrite}")
            out.append(f"  - like: {b.exemplar.text}" if b.exemplar else "  - no close exemplar in the bank")
        out.append("")
    if report.strong_bullets:
        out += [f"## Strong bullets ({len(report.strong_bullets)})", "", "| line | P(strong) | framing | moves | bullet |",
                "|---|---|---|---|---|"]
        out += [f"| {b.line} | {b.strength.p:.2f} | {_framing(b)} | {_moves_made(b)} | {_md(b.text)} |"
                for b in report.strong_bullets]
    return "\n".join(out).rstrip() + "\n"


# ------------------------------------------------------------------ line / github


def _weak_findings(report: PacketReport) -> list[tuple[int, int, str, str]]:
    """(line, col, code, message) for each hint of each weak bullet, in packet order."""
    out = []
    for b in report.bullets:
        if b.is_strong:
            continue
        for h in b.hint_details:
            out.append((h.line or b.line, h.col or 1, h.code, f"{h.name}: {h.message}"))
        if not b.hint_details:
            out.append((b.line, 1, WEAK_CODE, f"weak-bullet: reads as weak (P(strong) {b.strength.p:.2f})"))
    return out


def _summary_line(report: PacketReport) -> str:
    fix = ", ".join(f"line {b.line}" for b in report.fix_first())
    return (f"packet score {report.score:.0f}/100, {report.n_bullets - report.n_weak} of {report.n_bullets} strong"
            + (f"; fix first: {fix}" if fix else "") + f"; moves never used: {_never_used(report)}")


def to_lines(report: PacketReport) -> str:
    """``file:line:col: level code message``, as linters print (Vale, ruff): a summary line first."""
    out = [f"{report.path}:1:1: info {SUMMARY_CODE} packet-summary: {_summary_line(report)}"]
    out += [f"{report.path}:{line}:{col}: warning {code} {msg}" for line, col, code, msg in _weak_findings(report)]
    return "\n".join(out) + "\n"


# inside a heading line, after "# packetlens: ": emphasis, code, links, HTML, a closing "#", tables
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#|~])")


def _md_escape(text: str) -> str:
    """``text`` shown literally inside a Markdown heading (one line; the marks it could use escaped)."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _gh(value: str, *, prop: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if prop else value


def to_github(report: PacketReport) -> str:
    """GitHub Actions workflow commands: a notice with the summary, a warning per finding."""
    f = _gh(report.path, prop=True)
    out = [f"::notice file={f},line=1,title={_gh('packetlens ' + SUMMARY_CODE, prop=True)}::{_gh(_summary_line(report))}"]
    out += [f"::warning file={f},line={line},col={col},title={_gh('packetlens ' + code, prop=True)}::{_gh(msg)}"
            for line, col, code, msg in _weak_findings(report)]
    return "\n".join(out) + "\n"


# ------------------------------------------------------------------ html

_CSS = """
*{box-sizing:border-box}
body{font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.5rem auto;max-width:1100px;color:#1d2433;padding:0 1rem}
h1{font-size:1.4rem;margin:0 0 .25rem;overflow-wrap:anywhere} .sub{color:#5b6478;margin:0 0 1rem}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:.6rem;margin-bottom:1rem}
.card{border:1px solid #dfe3ea;border-radius:10px;padding:.6rem .8rem}
.card b{display:block;font-size:1.5rem}
ol.fix{padding-left:1.4rem} ol.fix li{margin:.3rem 0} .gain{color:#5b6478;font-size:.85rem}
.bullet{border:1px solid #dfe3ea;border-left:6px solid #c9ced8;border-radius:8px;padding:.7rem 1rem;margin:.7rem 0;overflow-wrap:anywhere}
.bullet.strong{border-left-color:#2e9e5b} .bullet.weak{border-left-color:#d0463b}
.meta{font-size:.85rem;color:#5b6478} .verdict{font-weight:600;text-transform:uppercase;font-size:.8rem}
.strong .verdict{color:#2e7d4f} .weak .verdict{color:#b3362c}
.moves span{display:inline-block;font-size:.8rem;border-radius:999px;padding:0 .55rem;margin:.15rem .25rem 0 0}
.moves span.on{background:#e3f4ea;color:#1f6b40} .moves span.off{background:#f3f4f7;color:#8a91a1;text-decoration:line-through}
ul.hints{margin:.4rem 0 0 1.1rem;padding:0;color:#7a4b00} code{font-size:.8rem}
.rewrite{margin-top:.4rem;font-size:.9rem;background:#fbf6ff;border-radius:6px;padding:.4rem .6rem}
.ex{margin-top:.4rem;font-size:.9rem;background:#f4f7fb;border-radius:6px;padding:.4rem .6rem}
h2{font-size:1.1rem;margin-top:1.6rem} .missing{color:#b3362c}
@media (max-width:480px){body{margin:.8rem auto;padding:0 .6rem}h1{font-size:1.15rem}.card b{font-size:1.25rem}.bullet{padding:.6rem .7rem}}
"""


def to_html(report: PacketReport) -> str:
    """A self-contained HTML page (inline CSS, no scripts, no network assets) for 400 px and up."""
    e = html.escape
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
    fix = report.fix_first()
    if fix:
        parts.append("<h2>Fix first</h2><ol class=\"fix\">" + "".join(
            f"<li>line {b.line}: {e(b.text)} <span class=\"gain\">({e(_gain(report, b))})</span></li>" for b in fix)
            + "</ol>")
    parts.append(f"<p class=\"{'missing' if report.missing_moves else 'sub'}\">Moves never used: {e(_never_used(report))}</p>")
    if report.weak_bullets:
        parts.append(f"<h2>Weak bullets ({report.n_weak}), weakest first</h2>")
        parts += [_bullet_html(b) for b in report.weak_bullets]
    if report.strong_bullets:
        parts.append(f"<h2>Strong bullets ({len(report.strong_bullets)})</h2>")
        parts += [_bullet_html(b) for b in report.strong_bullets]
    parts.append("<p class=\"meta\">P(strong) is the calibrated probability that a calibration committee reads "
                 "the bullet as strong (the rubric: <code>packetlens rubric</code>). A trailing ? marks a verdict inside the uncertain band.</p>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _bullet_html(b: BulletScore) -> str:
    e = html.escape
    present = set(b.moves_present)
    moves = "".join(f"<span class=\"{'on' if m in present else 'off'}\">{'✓' if m in present else '✗'} "
                    f"{e(MOVE_SHORT[m])}</span>" for m in MOVES if m in b.moves)
    extra = ""
    if not b.is_strong:
        hints = "".join(f"<li><code>{e(h.code)}</code> {e(h.message)}</li>" for h in b.hint_details)
        extra = f"<ul class=\"hints\">{hints}</ul>" if hints else ""
        if b.rewrite:
            extra += f"<div class=\"rewrite\"><b>Rewrite:</b> {e(b.rewrite)}</div>"
        extra += (f"<div class=\"ex\"><b>A strong bullet on nearby work:</b> {e(b.exemplar.text)}</div>" if b.exemplar
                  else "<div class=\"ex\">No close exemplar in the bank.</div>")
    if not b.in_score:
        extra = f"<ul class=\"hints\"><li>{e(_why(b))}; left out of the packet score</li></ul>"
    evidence = "".join(f"<li>{e(x.text)} <span class=\"meta\">line {x.line}</span></li>" for x in b.evidence)
    section = f" · {e(b.section)}" if b.section else ""
    return (f"<div class=\"bullet {e(b.strength.label)}\"><div class=\"meta\"><span class=\"verdict\">"
            f"{e(_verdict(b))}</span> · line {b.line}{section} · P(strong) {b.strength.p:.2f}"
            f" · {e(_framing(b))}</div>"
            f"<div class=\"text\">{e(b.text)}</div>{'<ul>' + evidence + '</ul>' if evidence else ''}"
            f"<div class=\"moves\">{moves}</div>{extra}</div>")
