"""Build data/bullets.jsonl and data/exemplars.jsonl from the writers' slices in data/raw/.

Drops near-duplicates (MiniLM cosine >= 0.95 between rows not of the same pair; the later row
goes) and any row close to the public eval set (normalized text equal, or cosine >= 0.9), then
writes data/stats.json, which the data card quotes. Run from the repository root:

    .venv/bin/python training/build_data.py
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
EVAL = ROOT.parent / "shared" / "eval" / "external_public.jsonl"
FIELDS = ["id", "text", "strength", "framing", "moves", "role", "work_type", "pair_id", "voice", "tricky",
          "category", "weight"]
DISQ = RAW / "disq"
# writers of data/raw/disq/ kept out of training entirely: data/heldout/unseen_writers.jsonl
HELDOUT_VOICES = ("v16", "v17")
# rows written to teach the rubric's disqualifiers count this many times in training: they are
# the only rows that vary one disqualifier at a time (benchmarks/unseen_writers.py --weights)
DISQ_WEIGHT = 10.0
CONTROL_CATEGORIES = ("clear_strong", "clear_weak", "pair_fixed")
MOVES = ["quantified_counterfactual", "second_order_leverage", "difficulty_named", "uncertainty_bounded"]


def norm(t: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", t.lower()).strip()


def read(paths):
    rows = []
    for p in paths:
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rows.append(json.loads(line))
    return rows


def shortcut_acc(rows):
    def acc(rule):
        return round(sum(rule(r) == (r["strength"] == "strong") for r in rows) / max(len(rows), 1), 3)
    return {"has_digit": acc(lambda r: bool(re.search(r"\d", r["text"]))),
            "len_ge_25": acc(lambda r: len(r["text"].split()) >= 25),
            "has_percent": acc(lambda r: "%" in r["text"])}


def apply_reviews(rows: list[dict], *, difficulty_pass: bool = True) -> dict[str, int]:
    """Apply every review to the writers' labels in place, in order; returns what each changed.

    1. data/review/adjudicated*.jsonl: the blind second pass's disagreements, resolved by the rubric.
    2. data/review/audit_resolution_*.jsonl: rows `packetlens audit` flagged, resolved.
    3. data/review/difficulty_pass/adjudicated_*.jsonl: a blind pass over every row on
       difficulty_named alone (the label with the lowest kappa), its disagreements resolved.
    """
    review = ROOT / "data" / "review"
    adjudicated = {a["id"]: a for a in read(sorted(review.glob("adjudicated*.jsonl")))}
    audit = {a["id"]: a for a in read(sorted(review.glob("audit_resolution_*.jsonl")))}
    difficulty = {a["id"]: a for a in read(sorted((review / "difficulty_pass").glob("adjudicated_*.jsonl")))} \
        if difficulty_pass else {}
    counts = {"adjudicated_rows": len(adjudicated), "labels_changed_by_adjudication": 0,
              "audit_flagged_rows": len(audit), "audit_rows_relabelled": 0,
              "difficulty_pass_disagreements": len(difficulty), "difficulty_pass_rows_relabelled": 0}
    for r in rows:
        r["moves"] = [m for m in MOVES if m in r["moves"]]
        for source, counter in ((adjudicated, "labels_changed_by_adjudication"), (audit, "audit_rows_relabelled")):
            a = source.get(r["id"])
            if a:
                new = {"strength": a["strength"], "framing": a["framing"], "moves": [m for m in MOVES if m in a["moves"]]}
                counts[counter] += any(r[k] != new[k] for k in new)
                r.update(new)
        d = difficulty.get(r["id"])
        if d is not None and ("difficulty_named" in r["moves"]) != d["difficulty_named"]:
            counts["difficulty_pass_rows_relabelled"] += 1
            moves = set(r["moves"]) ^ {"difficulty_named"}
            r["moves"] = [m for m in MOVES if m in moves]
    return counts


def disq_rows() -> tuple[list[dict], list[dict], dict[str, int]]:
    """The disqualifier writers' rows (data/raw/disq/), adjudicated: (training rows, held-out rows, counts).

    Their labels are the writer's, except where the blind second pass disagreed: there the
    adjudicated label (data/review/disq/adjudicated_*.jsonl) wins.
    """
    rows = read(sorted(DISQ.glob("voice_*.jsonl")))
    adjudicated = {a["id"]: a for a in read(sorted((ROOT / "data/review/disq").glob("adjudicated_*.jsonl")))}
    changed = 0
    for r in rows:
        a = adjudicated.get(r["id"])
        if a:
            new = {"strength": a["strength"], "framing": a["framing"], "moves": [m for m in MOVES if m in a["moves"]]}
            changed += any(r[k] != new[k] for k in new)
            r.update(new)
        r["moves"] = [m for m in MOVES if m in r["moves"]]
        r["tricky"] = r["category"] not in CONTROL_CATEGORIES
    train = [r for r in rows if r["voice"] not in HELDOUT_VOICES]
    held = [r for r in rows if r["voice"] in HELDOUT_VOICES]
    for r in train:
        r["weight"] = DISQ_WEIGHT
    return train, held, {"disq_rows": len(rows), "disq_adjudicated_rows": len(adjudicated),
                         "disq_labels_changed_by_adjudication": changed}


def main() -> int:
    sys.path.insert(0, str(ROOT / "src"))
    from packetlens.embedding import load_embedder

    emb = load_embedder(None, backend="onnx", cache_dir=ROOT / ".packetlens-cache")
    rows = read(sorted(RAW.glob("voice_*.jsonl")))
    ex = read(sorted(RAW.glob("exemplars_*.jsonl")))
    counts = apply_reviews(rows)
    for r in rows:
        r.setdefault("category", None)
        r.setdefault("weight", None)
    disq_train, heldout, disq_counts = disq_rows()
    counts.update(disq_counts)
    rows += disq_train
    # pairs broken by a drop lose their pair_id below; first vectors
    V = emb.encode([r["text"] for r in rows])
    S = V @ V.T
    np.fill_diagonal(S, 0)
    drop = set()
    for i in range(len(rows)):
        if i in drop:
            continue
        for j in np.nonzero(S[i] >= 0.95)[0]:
            j = int(j)
            if j > i and j not in drop and not (rows[i]["pair_id"] and rows[i]["pair_id"] == rows[j]["pair_id"]):
                drop.add(j)
    near_dup = len(drop)
    eval_rows = read([EVAL]) if EVAL.is_file() else []
    eval_hits = 0
    if eval_rows:
        E = emb.encode([r["text"] for r in eval_rows])
        en = {norm(r["text"]) for r in eval_rows}
        close = (V @ E.T).max(axis=1)
        for i, r in enumerate(rows):
            if norm(r["text"]) in en or close[i] >= 0.9:
                drop.add(i)
                eval_hits += 1
    kept = [r for i, r in enumerate(rows) if i not in drop]
    pairs = Counter(r["pair_id"] for r in kept if r["pair_id"])
    for r in kept:
        if r["pair_id"] and pairs[r["pair_id"]] != 2:
            r["pair_id"] = None
    # exemplars: drop near-duplicates of each other, of data rows, and of eval rows
    XV = emb.encode([r["text"] for r in ex])
    keep_ex, seen = [], []
    KV = V[[i for i in range(len(rows)) if i not in drop]]
    for i, r in enumerate(ex):
        if seen and (XV[seen] @ XV[i]).max() >= 0.95:
            continue
        if (KV @ XV[i]).max() >= 0.95:
            continue
        if eval_rows and (E @ XV[i]).max() >= 0.9:
            continue
        seen.append(i)
        keep_ex.append({"id": r["id"], "text": r["text"], "moves": [m for m in MOVES if m in r["moves"]],
                        "role": r["role"], "work_type": r["work_type"], "voice": r["voice"]})
    with (ROOT / "data" / "bullets.jsonl").open("w", encoding="utf-8") as f:
        for r in kept:
            f.write(json.dumps({k: r[k] for k in FIELDS}, ensure_ascii=False) + "\n")
    # held-out writers: never trained on; only what touches the public eval set is dropped
    held_keep = []
    if heldout:
        HV = emb.encode([r["text"] for r in heldout])
        close_ev = (HV @ E.T).max(axis=1) if eval_rows else np.zeros(len(heldout))
        held_keep = [r for i, r in enumerate(heldout) if norm(r["text"]) not in en and close_ev[i] < 0.9] \
            if eval_rows else heldout
        (ROOT / "data" / "heldout").mkdir(exist_ok=True)
        with (ROOT / "data" / "heldout" / "unseen_writers.jsonl").open("w", encoding="utf-8") as f:
            for r in held_keep:
                f.write(json.dumps({k: r[k] for k in FIELDS if k != "weight"}, ensure_ascii=False) + "\n")
    with (ROOT / "data" / "exemplars.jsonl").open("w", encoding="utf-8") as f:
        for r in keep_ex:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    n = len(kept)
    tricky = [r for r in kept if r["tricky"]]
    words = [len(r["text"].split()) for r in kept]
    stats = {
        "rows_written": len(rows), "rows": n, **counts, "near_duplicates_dropped": near_dup,
        "near_duplicate_rate": round(near_dup / len(rows), 4), "eval_overlap_dropped": eval_hits,
        "strength": dict(Counter(r["strength"] for r in kept)),
        "framing": dict(Counter(r["framing"] for r in kept)),
        "framing_differs_from_strength": round(sum((r["strength"] == "strong") != (r["framing"] == "system") for r in kept) / n, 3),
        "paired_rows": sum(1 for r in kept if r["pair_id"]), "paired_share": round(sum(1 for r in kept if r["pair_id"]) / n, 3),
        "tricky_rows": len(tricky), "tricky_share": round(len(tricky) / n, 3),
        "moves_share": {m: round(sum(m in r["moves"] for r in kept) / n, 3) for m in MOVES},
        "roles": dict(Counter(r["role"] for r in kept).most_common()),
        "work_types": dict(Counter(r["work_type"] for r in kept).most_common()),
        "voices": dict(sorted(Counter(r["voice"] for r in kept).items())),
        "length_words": {"min": min(words), "median": int(np.median(words)), "max": max(words),
                         "buckets": dict(Counter("4-10" if w <= 10 else "11-20" if w <= 20 else "21-35" if w <= 35 else "36-80" for w in words))},
        "shortcuts_all_rows": shortcut_acc(kept), "shortcuts_tricky_rows": shortcut_acc(tricky),
        "heldout_rows": len(held_keep), "heldout_voices": list(HELDOUT_VOICES),
        "categories": dict(Counter(r["category"] for r in kept if r["category"]).most_common()),
        "heldout_categories": dict(Counter(r["category"] for r in held_keep).most_common()),
        "exemplars": len(keep_ex), "exemplar_roles": len({r["role"] for r in keep_ex}),
        "exemplar_moves": {m: sum(m in r["moves"] for r in keep_ex) for m in MOVES},
    }
    (ROOT / "data" / "stats.json").write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: stats[k] for k in ("rows", "near_duplicates_dropped", "eval_overlap_dropped", "exemplars",
                                             "shortcuts_all_rows", "shortcuts_tricky_rows")}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
