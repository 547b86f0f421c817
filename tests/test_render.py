"""The report a person reads: summary first in every format, strong bullets apart, width, HTML in Chromium."""

import json
import os
import re
import shutil
import struct
import subprocess

import pytest

from packetlens.render import render, to_html

HUMAN = ("table", "markdown", "html", "line", "github")


def _first_weak(report):
    return report.weak_bullets[0]


@pytest.mark.parametrize("fmt", HUMAN)
def test_summary_comes_first_in_every_format(example_report, fmt):
    out = render(example_report, fmt, color=False, width=100)
    fix = example_report.fix_first()
    assert len(fix) == 3
    score = f"{example_report.score:.0f}/100"
    assert score in out
    if fmt in ("line", "github"):
        first = out.splitlines()[0]
        assert "PL000" in first and score in first and f"line {fix[0].line}" in first
        return
    assert all(b.text in out for b in fix)
    weak_section = out.index("Weak bullets") if fmt != "table" else out.index("Weak bullets (")
    assert out.index(score) < weak_section and out.index(fix[0].text) < weak_section
    assert out.index("Moves never used") < weak_section


def test_json_and_jsonl_carry_the_summary(example_report):
    doc = json.loads(render(example_report, "json"))
    assert [f["text"] for f in doc["packet"]["fix_first"]] == [b.text for b in example_report.fix_first()]
    assert doc["packet"]["moves_never_used"] == list(example_report.missing_moves)
    lines = [json.loads(x) for x in render(example_report, "jsonl").splitlines()]
    assert lines[0]["type"] == "packet" and lines[0]["path"] == example_report.path
    assert all(x["type"] == "bullet" and x["path"] == example_report.path for x in lines[1:])
    assert len(lines) == example_report.n_bullets + 1
    b = lines[1]
    assert isinstance(b["hints"], list) and all(isinstance(h, str) for h in b["hints"])
    assert b["hint_codes"] == [d["code"] for d in b["hint_details"]]


def test_fix_first_breaks_near_ties_by_the_score_gain(example_report):
    fix = example_report.fix_first()
    weakest = example_report.weak_bullets
    assert all(int(b.strength.p * 10) == int(weakest[0].strength.p * 10) for b in fix)
    gains = [example_report.score_gain(b) for b in fix]
    assert gains == sorted(gains, reverse=True)


def test_strong_bullets_have_their_own_section_without_hints(example_report):
    md = render(example_report, "markdown")
    strong = md[md.index("## Strong bullets"):]
    assert all(b.text.replace("|", "\\|") in strong for b in example_report.strong_bullets)
    assert "`PL" not in strong and "rewrite:" not in strong and "like:" not in strong
    page = to_html(example_report)
    strong_html = page[page.index("<h2>Strong bullets"):]
    assert 'class="hints"' not in strong_html and "Rewrite:" not in strong_html


@pytest.mark.parametrize("width", [50, 80, 120])
def test_the_table_fits_the_width(example_report, width):
    for compact in (False, True):
        out = render(example_report, "table", color=False, width=width, compact=compact)
        assert max(len(x) for x in out.splitlines()) <= width
    compact = render(example_report, "table", color=False, width=width, compact=True)
    assert len(compact.splitlines()) <= example_report.n_bullets + 12
    assert compact.index("Fix first") < compact.index("Weak, weakest first")


def test_markdown_prints_the_score_once(example_report):
    md = render(example_report, "markdown")
    assert md.count(f"{example_report.score:.0f}/100") == 1


def test_html_move_chips_are_present_or_absent(example_report):
    page = to_html(example_report)
    chips = re.findall(r'<span class="(on|off)">([^<]*)</span>', page)
    assert chips and {c for c, _ in chips} == {"on", "off"}
    assert not any(re.search(r"\d\.\d", text) for _, text in chips)


def _measuring_page(html, width):
    """The report in an iframe exactly ``width`` px wide (headless windows have a minimum width), with a
    script that writes what the browser measured into attributes of the outer page's body."""
    import html as h

    return (f'<!doctype html><html><body style="margin:0"><iframe id="f" style="width:{width}px;height:1400px;border:0" '
            f'srcdoc="{h.escape(html, quote=True)}"></iframe><script>'
            "window.addEventListener('load', () => {"
            " const d = document.getElementById('f').contentDocument, b = document.body;"
            " const tops = [...d.querySelectorAll('.card')].map(c => Math.round(c.getBoundingClientRect().top));"
            " b.setAttribute('data-inner-width', d.defaultView.innerWidth);"
            " b.setAttribute('data-scroll-width', d.documentElement.scrollWidth);"
            " b.setAttribute('data-card-rows', new Set(tops).size);"
            " b.setAttribute('data-h1-right', Math.ceil(d.querySelector('h1').getBoundingClientRect().right));"
            " b.setAttribute('data-bullets', d.querySelectorAll('.bullet').length);"
            "});</script></body></html>")


def _chromium(tmp_path, page, *args):
    return subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}", *args, page.as_uri()],
                          capture_output=True, text=True, timeout=120)


def _png_size(path):
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (.ci/run installs it)")
@pytest.mark.parametrize("width, card_rows", [(400, 2), (1280, 1)])
def test_html_report_at_400_and_1280_px_in_headless_chromium(example_report, tmp_path, width, card_rows):
    """Screenshots at both widths (kept in $PACKETLENS_SCREENSHOT_DIR when set), and the layout measured
    by the browser: nothing wider than the window, the title inside it, the four cards in 2x2 or 1x4."""
    html = to_html(example_report)
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    shot = tmp_path / f"report-{width}.png"
    out = _chromium(tmp_path, page, f"--window-size={width},1400", f"--screenshot={shot}")
    assert shot.is_file(), out.stderr[-2000:]
    assert _png_size(shot)[0] == width
    keep = os.environ.get("PACKETLENS_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, keep)
    measured = tmp_path / "measured.html"
    measured.write_text(_measuring_page(html, width), encoding="utf-8")
    dom = _chromium(tmp_path, measured, "--window-size=1400,1500", "--virtual-time-budget=5000", "--dump-dom").stdout
    attrs = {k: int(v) for k, v in re.findall(r'data-([a-z0-9-]+)="(\d+)"', dom)}
    assert attrs["inner-width"] == width, attrs
    assert attrs["scroll-width"] <= width and attrs["h1-right"] <= width, attrs
    assert attrs["card-rows"] == card_rows and attrs["bullets"] == example_report.n_bullets
    for text in ("Fix first", "Moves never used", "Weak bullets", "Strong bullets", "A strong bullet on nearby work"):
        assert text in html
    assert "<script" not in html and "http://" not in html.split("<body")[0]
