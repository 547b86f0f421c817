"""Parsing speed on 5 MB adversarial packets, and the import cost of the scoring path, before and after.

    .venv/bin/python benchmarks/parsing.py                 # compares with the parent of the parser rewrite
    .venv/bin/python benchmarks/parsing.py --base c58d5cf  # or any revision

Prints a Markdown section (paste it into benchmarks/RESULTS.md). Parse times are one in-process
run per input, through the same path as ``packetlens score FILE`` (bytes -> format -> claims).
Import costs are medians of fresh processes; "before" runs the ``--base`` revision's ``src/``
(extracted with ``git archive``) under the same interpreter.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PY = sys.executable
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from run import median_of, prepare_cache  # noqa: E402

FIVE_MB = 5 * 1024 * 1024
CASES: dict[str, tuple[str, bytes]] = {
    # (file name, content): the two inputs of issue 15 first, then the worst shapes found here
    '`"<a "` repeated (Markdown)': ("a.md", b"<a " * (FIVE_MB // 3)),
    "120 KB of spaces before a bullet": ("s.md", b" " * (120 * 1024) + b"- x\n"),
    "5 MB of spaces before a bullet": ("s5.md", b" " * FIVE_MB + b"- x\n"),
    "5 MB of spaces before a bullet (text)": ("s5.txt", b" " * FIVE_MB + b"- x\n"),
    "unclosed HTML comments": ("c.md", b"- x <!-- " * (FIVE_MB // 9)),
    "open link brackets `- [`": ("b.md", b"- [" * (FIVE_MB // 3)),
    "open emphasis `- **a `": ("e.md", b"- **a " * (FIVE_MB // 6)),
    '`"<a "` repeated (HTML)': ("a.html", b"<a " * (FIVE_MB // 3)),
    "unclosed HTML comments (HTML)": ("c.html", b"<!-- " * (FIVE_MB // 5)),
    "20,000-word bullets (Markdown)": ("w.md", ("- " + "word " * 20_000 + "\n").encode() * (FIVE_MB // 100_000)),
    "25k Google Docs glyph bullets, wrapped (text, the 50,000-line limit)": ("g.txt", "● Built it\nwrapped and\n".encode() * 24_999),
    "50k bullets (Markdown, 1.5 MB: the 50,000-line limit)": ("m.md", b"- Cut p95 from 480 to 210 ms.\n" * 49_999),
    "50k bullets (text, the line limit)": ("m.txt", b"- Cut p95 from 480 to 210 ms.\n" * 49_999),
    "200k list items on one line (HTML, the 200,000-tag limit)": ("l.html", b"<li>x" * 199_999),
    "175k bullets (5 MB Markdown): refused, over the line limit": ("r.md", b"- Cut p95 from 480 to 210 ms.\n" * (FIVE_MB // 30)),
    "1M list items (5 MB HTML): refused, over the tag limit": ("r.html", b"<li>x" * (FIVE_MB // 5)),
}


def parse_times() -> list[tuple[str, float, int]]:
    from packetlens.errors import InputFileError
    from packetlens.parsing import parse_bytes

    out = []
    for label, (name, data) in CASES.items():
        t = time.perf_counter()
        try:
            n = len(parse_bytes(data, name).bullets)
        except InputFileError:
            n = -1
        out.append((label, time.perf_counter() - t, n))
        print(f"  {label}: {out[-1][1]:.2f} s", file=sys.stderr)
    return out


def base_src(rev: str) -> Path:
    d = Path(tempfile.mkdtemp(prefix="plbase-"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(d)], input=archive, check=True)
    for link in ("models", "data"):  # src/packetlens/default_model links to ../../models/default
        (d / link).symlink_to(ROOT / link)
    return d / "src"


def import_costs(base: Path, cache: Path) -> dict[str, float]:
    example = ROOT / "examples" / "packet.md"
    # the scoring path up to the model: CLI module, scorer, reading, parsing of the example packet
    new = ("import packetlens.cli, packetlens.scorer; from pathlib import Path; "
           "from packetlens.parsing import parse_bytes; from packetlens.reading import read_bytes; "
           f"assert len(parse_bytes(read_bytes(Path({str(example)!r})), 'packet.md').bullets) == 30")
    old = ("import packetlens.cli, packetlens.scorer; from pathlib import Path; "
           "from packetlens.parsing import parse_packet; from packetlens.reading import read_text_file; "
           f"assert len(parse_packet(read_text_file(Path({str(example)!r})), 'markdown')) == 30")
    r: dict[str, float] = {}
    r["help_s"], _ = median_of(7, [str(BIN / "packetlens"), "--help"], {"PYTHONPATH": str(ROOT / "src")})
    r["import_typer_s"], _ = median_of(7, [PY, "-c", "import typer"])
    r["parse_path_s"], _ = median_of(7, [PY, "-c", new], {"PYTHONPATH": str(ROOT / "src")})
    r["parse_path_base_s"], _ = median_of(7, [PY, "-c", old], {"PYTHONPATH": str(base)})
    env = {"PYTHONPATH": str(ROOT / "src"), "PACKETLENS_CACHE_DIR": str(cache)}
    r["score_cold_s"], r["score_peak_mb"] = median_of(3, [str(BIN / "packetlens"), "score", str(example)], env)
    r["import_st_s"], _ = median_of(3, [PY, "-c", "import sentence_transformers"])
    return r


def report(times: list[tuple[str, float, int]], c: dict[str, float], rev: str) -> str:
    lines = ["## Parsing: 5 MB adversarial packets and the scoring path's import cost "
             f"({time.strftime('%Y-%m-%d')}, 2 shared cores)", "",
             "Made by `.venv/bin/python benchmarks/parsing.py`. Goal (issue 15): a 5 MB adversarial packet "
             "parses in <= 5 s. Before the rewrite, 120 KB of spaces before a bullet took 190 s and "
             '`"<a "` repeated did not finish (issue 15).', "",
             "| input (5 MB unless named) | parse time | claims | goal |", "|---|---|---|---|"]
    for label, s, n in times:
        lines.append(f"| {label} | {s:.2f} s | {'refused (exit 2)' if n < 0 else n} | <= 5 s |")
    lines += ["", f"| measure | now | reference | ratio | goal |", "|---|---|---|---|---|",
              f"| `packetlens --help` vs `python -c \"import typer\"` | {c['help_s']:.3f} s | {c['import_typer_s']:.3f} s | "
              f"{c['help_s'] / c['import_typer_s']:.2f}x | <= 2x |",
              f"| import CLI + scorer + read and parse examples/packet.md, now vs `{rev}` | {c['parse_path_s']:.3f} s | "
              f"{c['parse_path_base_s']:.3f} s | {c['parse_path_s'] / c['parse_path_base_s']:.2f}x | unchanged |",
              f"| cold `packetlens score examples/packet.md` vs `import sentence_transformers` | {c['score_cold_s']:.2f} s | "
              f"{c['import_st_s']:.2f} s | {c['score_cold_s'] / c['import_st_s']:.3f}x | <= 0.15x (issue 12), <= 0.2x (README) |",
              f"| peak memory of that cold score | {c['score_peak_mb']:.0f} MB | | | <= 400 MB |", ""]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", default="c58d5cf", help="the revision to compare the import cost with")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    print("parsing 5 MB inputs", file=sys.stderr)
    times = parse_times()
    print("import costs", file=sys.stderr)
    base, cache = base_src(args.base), prepare_cache()
    try:
        costs = import_costs(base, cache)
    finally:
        shutil.rmtree(base.parent, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
    print(report(times, costs, args.base))
    return 0


if __name__ == "__main__":
    sys.exit(main())
