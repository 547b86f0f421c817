"""CI retrains the shipped model from data/ and checks its out-of-fold metrics match metrics.json."""

import json

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def test_default_model_is_reproducible_from_data(cache_dir):
    from packetlens.training import TrainConfig, train

    cfg = TrainConfig.from_file(ROOT / "training" / "default.toml")
    result = train([ROOT / "data" / "bullets.jsonl"], exemplar_files=[ROOT / "data" / "exemplars.jsonl"],
                   config=cfg, cache_dir=cache_dir, bank_from_data=False)
    committed = json.loads((ROOT / "models" / "default" / "metrics.json").read_text())
    for head, m in committed.items():
        assert result.metrics[head]["macro_f1"] == pytest.approx(m["macro_f1"], abs=0.01), head
        assert result.metrics[head]["ece"] == pytest.approx(m["ece"], abs=0.01), head
    assert result.data_hash == json.loads((ROOT / "models" / "default" / "config.json").read_text())["training_data_sha256"]


def test_default_model_quality_on_data(default_scorer):
    m = default_scorer.model.metrics
    assert m["strength"]["macro_f1"] >= 0.90
    assert m["strength"]["ece"] <= 0.05


def test_committed_mlruns_holds_the_shipped_model(monkeypatch, cache_dir):
    """`models:/packetlens@champion` in the committed store is the model in models/default."""
    from packetlens.scorer import PacketScorer

    monkeypatch.chdir(ROOT)
    scorer = PacketScorer.from_pretrained("models:/packetlens@champion", tracking_uri="sqlite:///mlruns/mlflow.db",
                                          cache_dir=cache_dir)
    shipped = json.loads((ROOT / "models" / "default" / "config.json").read_text())
    assert scorer.model.extra["training_data_sha256"] == shipped["training_data_sha256"]
