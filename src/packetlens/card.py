"""The generated model card (README.md of a model directory)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from packetlens.artifact import PacketModel
from packetlens.data import LabeledDataset
from packetlens.results import HEADS


def _fmt(x: object) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def _metric_rows(metrics: dict[str, object], key: str | None) -> list[str]:
    rows = []
    for head in HEADS:
        m = metrics.get(head)
        if isinstance(m, dict) and key is not None:
            m = m.get(key)
        if isinstance(m, dict):
            rows.append(f"| {head} | {m['n']} | {_fmt(m['macro_f1'])} | {_fmt(m['roc_auc'])} | "
                        f"{_fmt(m['brier'])} | {_fmt(m['ece'])} |")
        elif key is None:
            rows.append(f"| {head} | - | not trained: no row carried this label | | | |")
    return rows


def model_card(model: PacketModel, ds: LabeledDataset, *, n_base: int = 0) -> str:
    """Markdown: what the model is, what it was trained on, and its out-of-fold metrics, on all
    rows and on the user's own rows (the rows after the first ``n_base`` base rows)."""
    own = ds.subset(range(n_base, len(ds)))
    sources = model.extra.get("sources") or sorted(set(own.sources))
    shipped = (Path(__file__).parent / "base_data" / "bullets.jsonl").resolve()
    company = n_base > 0 or any(Path(str(s)).resolve() != shipped for s in sources)
    mapping = model.extra.get("label_values")
    lines = [
        f"# {model.name} {model.version}",
        "",
        "A packetlens model: logistic heads over an L2-normalized sentence embedding "
        f"(`{model.embedding.name}`, dimension {model.embedding.dimension}, weights sha256 "
        f"`{model.embedding.weights_sha256[:16]}...`) scaled by {model.embed_scale}, beside TF-IDF "
        f"of words ({model.tfidf.n_terms} terms). Probabilities are Platt-calibrated on out-of-fold scores.",
        "",
        f"Heads: {', '.join(h for h in HEADS if h in model.heads)}"
        + (f"; not trained (no row carried the label): {', '.join(h for h in HEADS if h not in model.heads)}."
           if len(model.heads) < len(HEADS) else "."),
        "",
        "Load it with `PacketScorer.from_pretrained(\"<this directory>\")` or "
        "`packetlens score --model <this directory> PACKET`. Loading executes no code from this directory.",
        "",
        "## Training data",
        "",
        f"- files: {', '.join(f'`{s}`' for s in sources) or '(in memory)'}",
        f"- rows: {len(ds)} (sha256 `{str(model.extra.get('training_data_sha256', ''))[:16]}...`)"
        + (f": {len(own)} of yours and {n_base} shipped rows (`--base`)" if n_base else ""),
        f"- strength (your rows): {dict(Counter(s for s in own.strength if s))}",
        f"- framing (your rows): {dict(Counter(s for s in own.framing if s)) or 'none labeled'}",
    ]
    if mapping:
        lines.append(f"- label values read as: `{mapping}`")
    lines += [
        f"- exemplar bank: {len(model.exemplars)} strong bullets",
        *([f"- rows repeating an earlier row's text (cross-validated in one fold with it): "
           f"{model.extra['n_duplicate_rows']}"] if model.extra.get("n_duplicate_rows") else []),
        "",
        "## Out-of-fold metrics on your rows",
        "",
        "The rows of the files above alone" + (", from the same cross-validation as the combined figures "
                                              "below." if n_base else " (no base rows were mixed in)."),
        "",
        "| head | n | macro-F1 | ROC AUC | Brier | ECE |",
        "|---|---|---|---|---|---|",
        *(_metric_rows(model.metrics, "own_rows") or ["| (none) | | | | | |"]),
    ]
    if n_base:
        lines += ["", "## Out-of-fold metrics on all rows (yours and the shipped ones)", "",
                  "| head | n | macro-F1 | ROC AUC | Brier | ECE |", "|---|---|---|---|---|---|",
                  *_metric_rows(model.metrics, None)]
    else:
        lines += [*[r for r in _metric_rows(model.metrics, None) if "not trained" in r]]
    lines += [
        "",
        "## Limits",
        "",
        ("- Trained on your organisation's labeled bullets" + (" and packetlens's shipped rows" if n_base else "")
         + "; its verdicts are your reviewers' verdicts, as far as these rows show them" if company else
         "- Trained on English bullets written for this project (see data/README.md)")
        + "; it judges the text alone, as the rubric (`packetlens rubric`) asks, and cannot know what "
          "the author left out.",
        f"- P(strong) between {model.abstain_band[0]} and {model.abstain_band[1]} is flagged uncertain.",
        "",
    ]
    return "\n".join(lines)
