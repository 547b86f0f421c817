"""Build the binary corpus files from text kept beside them; run it after editing either.

    .venv/bin/python tests/corpus/make_docx.py

- packet_a.docx: packet_a.md as Word writes it: a Title, Heading 2 sections, list styles for the
  bullet levels (``List Bullet``, ``List Bullet 2``, ...), a bold label-only parent, a numbered
  list, and a table that is not a claim.
- packet_a_utf16.txt: packet_a_gdocs.txt as Windows Notepad saves "Unicode" text (UTF-16 LE with
  a BOM, CRLF line ends).
"""

from __future__ import annotations

from pathlib import Path

import docx

HERE = Path(__file__).parent


def make_docx(out: Path) -> None:
    d = docx.Document()
    d.core_properties.author = "Priya Raman"
    d.add_paragraph("Promotion packet: Priya Raman", style="Title")
    d.add_paragraph("Priya leads the payments-risk ML team. This packet covers January to June 2026.")
    d.add_heading("Impact", level=2)
    d.add_paragraph(style="List Bullet").add_run("Fraud scoring").bold = True
    d.add_paragraph("Replaced the rules engine's 140 hand-tuned thresholds with a gradient-boosted model; "
                    "chargebacks fell from 0.42% to 0.27% of volume over a 10-week holdout on 8% of traffic.",
                    style="List Bullet 2")
    d.add_paragraph("The checkout team now reuses its features for their own abuse model.", style="List Bullet 3")
    d.add_paragraph("Tuned the velocity features.", style="List Bullet 2")
    p = d.add_paragraph("Cut model-refresh time from 3 days to 4 hours by moving feature backfills to ", style="List Bullet")
    p.add_run("incremental Spark jobs").italic = True
    p.add_run(".")
    d.add_paragraph("Wrote the on-call runbook.", style="List Bullet")
    d.add_paragraph()
    d.add_heading("Leadership", level=2)
    for text in ("Mentored two engineers through their first launches; both now own models end to end.",
                 "Ran the weekly model-review meeting.", "Helped with hiring."):
        d.add_paragraph(text, style="List Number")
    table = d.add_table(rows=2, cols=2)
    for i, row in enumerate((("Quarter", "Chargebacks"), ("Q1", "0.42%"))):
        for j, cell in enumerate(row):
            table.cell(i, j).text = cell
    d.save(str(out))


def make_utf16(src: Path, out: Path) -> None:
    text = src.read_text(encoding="utf-8").replace("\n", "\r\n")
    out.write_bytes(text.encode("utf-16"))  # Python writes the BOM, little-endian here


if __name__ == "__main__":
    make_docx(HERE / "packet_a.docx")
    make_utf16(HERE / "packet_a_gdocs.txt", HERE / "packet_a_utf16.txt")
    print("wrote", HERE / "packet_a.docx", "and", HERE / "packet_a_utf16.txt")
