"""The generated model card (README.md of a model directory)."""

from __future__ import annotations

from collections import Counter

from packetlens.artifact import PacketModel
from packetlens.data import LabeledDataset
from packetlens.results import MOVES


def _fmt(x: object) -> str:
    return f"{x:.3f}" if isinstance(x, float) else str(x)


def model_card(model: PacketModel, ds: LabeledDataset) -> str:
    """Markdown: what the model is, what it was trained on, and its out-of-fold metrics."""
    lines = [
        f"# {model.name} {model.version}",
        "",
        "A packetlens model: logistic heads over an L2-normalized sentence embedding "
        f"(`{model.embedding.name}`, dimension {model.embedding.dimension}, weights sha256 "
        f"`{model.embedding.weights_sha256[:16]}...`) scaled by {model.embed_scale}, beside TF-IDF "
        f"of words ({model.tfidf.n_terms} terms). Probabilities are Platt-calibrated on out-of-fold scores.",
        "",
        "Load it with `PacketScorer.from_pretrained(\"<this directory>\")` or "
        "`packetlens score --model <this directory> PACKET`. Loading executes no code from this directory.",
        "",
        "## Training data",
        "",
        f"- rows: {len(ds)} (sha256 `{str(model.extra.get('training_data_sha256', ''))[:16]}...`)",
        f"- strength: {dict(Counter(s for s in ds.strength if s))}",
        f"- framing: {dict(Counter(s for s in ds.framing if s))}",
        f"- exemplar bank: {len(model.exemplars)} strong bullets",
        *([f"- rows repeating an earlier row's text (cross-validated in one fold with it): "
           f"{model.extra['n_duplicate_rows']}"] if model.extra.get("n_duplicate_rows") else []),
        "",
        "## Out-of-fold metrics (grouped by pair_id)",
        "",
        "| head | n | macro-F1 | ROC AUC | Brier | ECE | C |",
        "|---|---|---|---|---|---|---|",
    ]
    for head in ("strength", "framing", *MOVES):
        m = model.metrics.get(head)
        if isinstance(m, dict):
            lines.append(f"| {head} | {m['n']} | {_fmt(m['macro_f1'])} | {_fmt(m['roc_auc'])} | "
                         f"{_fmt(m['brier'])} | {_fmt(m['ece'])} | {m['C']} |")
    lines += [
        "",
        "## Limits",
        "",
        "- Trained on English bullets written for this project (see data/README.md); it judges the text "
        "alone, as LABELS.md asks, and cannot know what the author left out.",
        f"- P(strong) between {model.abstain_band[0]} and {model.abstain_band[1]} is flagged uncertain.",
        "",
    ]
    return "\n".join(lines)
