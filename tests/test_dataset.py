"""The shipped data: schema, mix, and no overlap with the public eval set."""

import json
import re

import numpy as np
import pytest

from conftest import ROOT, SHARED_EVAL
from packetlens.data import load_labeled

ROWS = [json.loads(x) for x in (ROOT / "data" / "bullets.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]


def test_loads_with_the_library_and_meets_the_mix():
    ds = load_labeled([ROOT / "data" / "bullets.jsonl"], require=("strength", "framing", "moves"))
    n = len(ds)
    assert n >= 3000
    assert 0.4 <= ds.strength.count("strong") / n <= 0.6
    assert len({r["role"] for r in ROWS}) >= 12 and len({r["work_type"] for r in ROWS}) >= 25
    assert len({r["voice"] for r in ROWS}) >= 8
    assert sum(r["pair_id"] is not None for r in ROWS) / n >= 0.30
    assert sum(r["tricky"] for r in ROWS) / n >= 0.20
    for m in ("quantified_counterfactual", "second_order_leverage", "difficulty_named", "uncertainty_bounded"):
        assert sum(m in r["moves"] for r in ROWS) / n >= 0.08, m
    assert sum((r["strength"] == "strong") != (r["framing"] == "system") for r in ROWS) / n >= 0.12
    assert all(4 <= len(r["text"].split()) <= 80 for r in ROWS)


def test_shortcuts_fail_on_tricky_rows():
    tricky = [r for r in ROWS if r["tricky"]]
    for rule in (lambda t: bool(re.search(r"\d", t)), lambda t: len(t.split()) >= 25, lambda t: "%" in t):
        acc = np.mean([rule(r["text"]) == (r["strength"] == "strong") for r in tricky])
        assert acc < 0.65


def test_exemplar_bank_covers_roles_and_moves():
    ex = [json.loads(x) for x in (ROOT / "data" / "exemplars.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    assert len(ex) >= 400
    assert {r["role"] for r in ex} >= {r["role"] for r in ROWS}
    for m in ("quantified_counterfactual", "second_order_leverage", "difficulty_named", "uncertainty_bounded"):
        assert any(m in r["moves"] for r in ex)


@pytest.mark.skipif(not SHARED_EVAL.is_file(), reason="../shared/eval is not beside this checkout")
def test_no_row_matches_the_public_eval_set(onnx_embedder):
    ev = [json.loads(x)["text"] for x in SHARED_EVAL.read_text(encoding="utf-8").splitlines() if x.strip()]
    norm = lambda t: re.sub(r"[^a-z0-9]+", " ", t.lower()).strip()  # noqa: E731
    assert not ({norm(r["text"]) for r in ROWS} & {norm(t) for t in ev})
    sims = onnx_embedder.encode([r["text"] for r in ROWS]) @ onnx_embedder.encode(ev).T
    assert sims.max() < 0.9
