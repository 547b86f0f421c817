import json

import numpy as np
import pytest

from packetlens.artifact import load_model, save_model
from packetlens.data import load_labeled
from packetlens.errors import ModelArtifactError, TrainingError
from packetlens.scorer import PacketScorer
from packetlens.training import TrainConfig, train

from conftest import HashingEmbedder

FAST = TrainConfig(name="test", version="1", C_grid=(1.0,), n_folds=3)


@pytest.fixture(scope="module")
def trained(small_data, tmp_path_factory):
    from conftest import HashingEmbedder

    out = tmp_path_factory.mktemp("models") / "m"
    return train([small_data], out=out, config=FAST, embedder=HashingEmbedder())


def test_train_writes_a_loadable_model_with_oof_metrics(trained):
    m = load_model(trained.model_dir)
    assert set(m.heads) == {"strength", "framing", "quantified_counterfactual", "second_order_leverage",
                            "difficulty_named", "uncertainty_bounded"}
    from packetlens.metrics import head_metrics

    for head, metrics in trained.metrics.items():  # the figures are those of the out-of-fold predictions
        idx, p = trained.oof[head]
        y = np.array([trained.dataset.labels_for(head)[i] for i in idx])
        assert {k: metrics[k] for k in ("n", "macro_f1", "roc_auc", "brier", "ece", "confusion")} == \
            {k: v for k, v in head_metrics(y, p).items() if k in ("n", "macro_f1", "roc_auc", "brier", "ece", "confusion")}, head
        assert metrics["n"] == sum(v is not None for v in trained.dataset.labels_for(head)), head
    saved = json.loads((trained.model_dir / "metrics.json").read_text())
    assert saved["strength"]["macro_f1"] == pytest.approx(trained.metrics["strength"]["macro_f1"])
    assert not list(trained.model_dir.rglob("*.pkl"))
    assert "Out-of-fold metrics" in (trained.model_dir / "README.md").read_text()


def test_save_load_round_trip_scores_identically(trained, tmp_path):
    from conftest import HashingEmbedder

    texts = ["Tuned the reranker.", "Built the eval gate three teams use; review fell from 10 days to 40 minutes."]
    a = PacketScorer(trained.model, HashingEmbedder()).score(texts)
    copy = save_model(load_model(trained.model_dir), tmp_path / "copy")
    b = PacketScorer(load_model(copy), HashingEmbedder()).score(texts)
    assert [x.to_dict() for x in a] == [x.to_dict() for x in b]


def test_folds_never_split_a_pair(small_data):
    from packetlens.fitting import fold_ids as _fold_ids

    ds = load_labeled([small_data])
    folds = _fold_ids(ds.groups, 5, 0)
    by_group = {}
    for g, f in zip(ds.groups, folds):
        by_group.setdefault(g, set()).add(f)
    assert all(len(v) == 1 for v in by_group.values())


def test_a_model_from_another_embedding_is_refused(trained, onnx_embedder):
    with pytest.raises(ModelArtifactError, match="trained on embedding test/hashing"):
        PacketScorer(trained.model, onnx_embedder)


def test_corrupt_model_directory(trained, tmp_path):
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(trained.model_dir, bad)
    (bad / "heads.npz").write_bytes(b"garbage")
    with pytest.raises(ModelArtifactError, match="corrupt model directory"):
        load_model(bad)
    (bad / "config.json").unlink()
    with pytest.raises(ModelArtifactError, match="missing config.json"):
        load_model(bad)


def test_failed_save_keeps_the_previous_model(trained, tmp_path, monkeypatch):
    target = save_model(trained.model, tmp_path / "m")
    before = (target / "heads.npz").read_bytes()
    monkeypatch.setattr(np, "save", lambda *a, **k: (_ for _ in ()).throw(OSError(28, "No space left on device")))
    with pytest.raises(ModelArtifactError, match="previous model is untouched"):
        save_model(trained.model, target)
    assert (target / "heads.npz").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m"]  # no half-written directory left behind


def test_a_class_with_too_few_rows_is_refused(tmp_path):
    from conftest import HashingEmbedder

    rows = [{"text": f"Tuned knob number {i} again", "strength": "weak"} for i in range(30)]
    rows += [{"text": f"Built gate {i}; review fell from 10 days to 40 minutes", "strength": "strong"} for i in range(5)]
    p = tmp_path / "d.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(TrainingError, match="strength=strong has 5 labeled row"):
        train([p], config=FAST, embedder=HashingEmbedder())


def test_partial_labels_train_only_their_heads(small_data, tmp_path):
    from conftest import HashingEmbedder

    rows = [json.loads(x) for x in small_data.read_text().splitlines()]
    p = tmp_path / "strength_only.jsonl"
    p.write_text("".join(json.dumps({"text": r["text"], "strength": r["strength"]}) + "\n" for r in rows[:120]))
    result = train([p], base_data=[small_data], config=FAST, embedder=HashingEmbedder())
    assert result.metrics["strength"]["n"] == len(rows) + 120
    assert result.metrics["framing"]["n"] == len(rows)


def test_config_file_unknown_key(tmp_path):
    p = tmp_path / "c.json"
    p.write_text('{"C_grid": [1.0], "learning_rate": 3}')
    with pytest.raises(TrainingError, match="unknown setting 'learning_rate'"):
        TrainConfig.from_file(p)


def test_unwritable_output_fails_before_training(small_data, tmp_path):
    from conftest import HashingEmbedder

    emb = HashingEmbedder()
    (tmp_path / "file.txt").write_text("x")  # a file where the output's parent directory should be
    with pytest.raises(ModelArtifactError, match="cannot write the model here"):
        train([small_data], out=tmp_path / "file.txt" / "m", config=FAST, embedder=emb)
    assert emb.calls == 0


def test_the_bank_grows_with_the_users_strong_rows(trained, small_data):
    rows = [json.loads(x) for x in small_data.read_text().splitlines()]
    strong = {r["text"] for r in rows if r["strength"] == "strong"}
    assert {e.text for e in trained.model.exemplars} == strong


def test_embed_dims_fits_the_heads_in_the_top_principal_directions(small_data):
    from conftest import HashingEmbedder

    from packetlens.features import principal_basis as _embedding_basis

    emb = HashingEmbedder()
    texts = ["Tuned the reranker.", "Built the eval gate three teams use; review fell from 10 days to 40 minutes."]
    full = train([small_data], config=FAST, embedder=emb)
    rotated = train([small_data], config=TrainConfig(**{**FAST.__dict__, "embed_dims": 64}), embedder=emb)
    reduced = train([small_data], config=TrainConfig(**{**FAST.__dict__, "embed_dims": 16}), embedder=emb)
    # all 64 directions: a rotation, and L2-regularized logistic regression does not care
    a = PacketScorer(full.model, emb).head_probas(texts)
    b = PacketScorer(rotated.model, emb).head_probas(texts)
    for head in a:
        np.testing.assert_allclose(a[head], b[head], atol=2e-3, err_msg=head)
    # 16 directions: every head's embedding weights lie in their span, stored at full width
    basis = _embedding_basis(emb.encode(load_labeled([small_data]).texts), 16)
    for head, h in reduced.model.heads.items():
        assert h.coef_emb.shape == (64,)
        residual = h.coef_emb - basis @ (basis.T @ h.coef_emb)
        assert np.linalg.norm(residual) < 1e-8 * max(np.linalg.norm(h.coef_emb), 1.0), head
        assert not np.allclose(h.coef_emb, full.model.heads[head].coef_emb, atol=1e-3), head


@pytest.mark.parametrize("value", [0, -3, 2.5, "192", True])
def test_config_embed_dims_must_be_a_positive_whole_number(tmp_path, value):
    p = tmp_path / "c.json"
    p.write_text(json.dumps({"embed_dims": value}))
    with pytest.raises(TrainingError, match=r"c\.json: embed_dims must be a positive whole number"):
        TrainConfig.from_file(p)


@pytest.mark.parametrize("curve", [
    {8.0: 0.90, 2.0: 0.95, 0.5: 0.93, 0.125: 0.80},   # peak inside the grid
    {8.0: 0.99, 2.0: 0.97, 0.5: 0.95, 0.125: 0.90},   # best at the largest C, the rest far below
    {8.0: 0.981, 2.0: 0.980, 0.5: 0.979, 0.125: 0.960},  # a flat top: the one-SE band reaches down
    {8.0: 0.70, 2.0: 0.75, 0.5: 0.80, 0.125: 0.85},   # still rising at the smallest C
])
@pytest.mark.parametrize("one_se", [True, False])
def test_walking_the_grid_down_chooses_what_the_full_grid_would(curve, one_se):
    from packetlens.fitting import choose_C as _choose_C, needs_smaller_C as _needs_smaller_C

    n = 400
    full = _choose_C({C: (f, 0.5) for C, f in curve.items()}, n, one_se)
    grid = sorted(curve, reverse=True)
    seen = {C: (curve[C], 0.5) for C in grid[:2]}
    while min(seen) > grid[-1] and _needs_smaller_C(seen, n, one_se):
        C = max(c for c in grid if c < min(seen))
        seen[C] = (curve[C], 0.5)
    assert _choose_C(seen, n, one_se) == full
    if curve[8.0] == 0.99:
        assert len(seen) == 2  # nothing below can win: not cross-validated


def test_cv_record_names_the_C_values_tried_and_skipped(trained, small_data):
    from conftest import HashingEmbedder

    result = train([small_data], config=TrainConfig(**{**FAST.__dict__, "C_grid": (0.25, 1.0, 4.0)}),
                   embedder=HashingEmbedder())
    for head, m in result.metrics.items():
        tried = {float(c) for c in m["cv"]}
        assert tried | set(m["cv_not_needed"]) == {0.25, 1.0, 4.0} and not tried & set(m["cv_not_needed"]), head
        assert {1.0, 4.0} <= tried and m["C"] in tried and m["C_best_cv"] in tried, head


def test_training_is_deterministic_and_independent_of_worker_count(small_data, monkeypatch):
    """liblinear's random generator is process-wide: fits sharing a process in threads disturbed
    each other, and the same rows could choose a different C from run to run."""
    from functools import partial

    from conftest import HashingEmbedder

    import packetlens.fitting as fitting
    import packetlens.training as training

    config = TrainConfig(**{**FAST.__dict__, "C_grid": (0.5, 2.0, 8.0)})
    runs = [train([small_data], config=config, embedder=HashingEmbedder()) for _ in range(2)]
    monkeypatch.setattr(training, "fit_heads", partial(fitting.fit_heads, n_jobs=1))
    runs.append(train([small_data], config=config, embedder=HashingEmbedder()))
    first = runs[0]
    for other in runs[1:]:
        for head, h in first.model.heads.items():
            o = other.model.heads[head]
            assert h.C == o.C, head
            np.testing.assert_array_equal(h.coef_emb, o.coef_emb, err_msg=head)
            np.testing.assert_array_equal(first.oof[head][1], other.oof[head][1], err_msg=head)


def test_a_bad_embed_dims_is_refused_from_the_library_too():
    with pytest.raises(TrainingError, match="embed_dims must be a positive whole number"):
        TrainConfig(embed_dims=0)


def _tripled(small_data, tmp_path, n=80):
    """``n`` rows, each three times: as written, upper-cased, and with other end punctuation."""
    rows = [json.loads(x) for x in small_data.read_text().splitlines()][:n]
    out = [{**r, "id": f"{r['id']}-{k}", "pair_id": None, "text": t}
           for r in rows for k, t in enumerate((r["text"], r["text"].upper(), r["text"].rstrip(".") + " !"))]
    p = tmp_path / "tripled.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in out))
    return p


def test_copies_of_a_row_never_straddle_folds(small_data, tmp_path):
    """Copies without ids in common used to land in different folds: a held-out row's copy was in
    training, and out-of-fold strength macro-F1 on this file was 1.000."""
    messages = []
    result = train([_tripled(small_data, tmp_path)], config=TrainConfig(C_grid=(1.0,), n_folds=5),
                   embedder=HashingEmbedder(), progress=messages.append)
    assert result.metrics["strength"]["macro_f1"] < 0.95  # 0.885 now; 1.000 when copies straddled folds
    assert result.n_duplicate_rows == 160 and result.model.extra["n_duplicate_rows"] == 160
    assert any(m.startswith("160 row(s) repeat an earlier row's text") for m in messages)
    assert "repeating an earlier row's text (cross-validated in one fold with it): 160" in result.model.card

    from packetlens.data import duplicate_groups, normalized_text
    from packetlens.fitting import fold_ids

    ds = load_labeled([tmp_path / "tripled.jsonl"])
    groups, n_copies = duplicate_groups(ds.texts, ds.groups)
    assert n_copies == 160
    folds = fold_ids(groups, 5, 13)
    fold_of: dict[str, set[int]] = {}
    for t, f in zip(ds.texts, folds):
        fold_of.setdefault(normalized_text(t), set()).add(int(f))
    assert len(fold_of) == 80 and all(len(v) == 1 for v in fold_of.values())


def test_groups_without_copies_are_unchanged():
    from packetlens.data import duplicate_groups

    groups = ["pair:1", "id:a", "pair:1", "id:b"]
    assert duplicate_groups(["one", "two", "three", "four"], groups) == (groups, 0)
    # copies join transitively and keep the first row's group
    merged, n = duplicate_groups(["x y", "X, y!", "z", "z."], ["id:a", "pair:2", "pair:2", "id:d"])
    assert merged == ["id:a"] * 4 and n == 2


@pytest.mark.parametrize("bad, match", [
    ({"n_folds": 1}, "n_folds must be a whole number of at least 2"),
    ({"n_folds": 0}, "n_folds must be"),
    ({"C_grid": ()}, "C_grid must be a non-empty list of positive numbers"),
    ({"C_grid": (1.0, -2.0)}, "C_grid must be"),
    ({"C_grid": (float("nan"),)}, "C_grid must be"),
    ({"abstain_band": (0.65, 0.35)}, "abstain_band must be two probabilities"),
    ({"abstain_band": (0.2, 1.5)}, "abstain_band must be"),
    ({"embed_scale": 0}, "embed_scale must be a positive number"),
    ({"min_df": 0}, "min_df must be a positive whole number"),
    ({"name": ""}, "name must be a non-empty string"),
])
def test_train_config_is_validated_in_one_place(bad, match, tmp_path):
    with pytest.raises(TrainingError, match=match):
        TrainConfig(**bad)
    p = tmp_path / "c.json"
    p.write_text(json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in bad.items()}))
    with pytest.raises(TrainingError, match=r"c\.json: " + match):
        TrainConfig.from_file(p)


def test_a_config_changed_after_construction_is_checked_before_any_embedding(small_data):
    cfg = TrainConfig(C_grid=(1.0,), n_folds=3)
    cfg.n_folds = 1
    emb = HashingEmbedder()
    with pytest.raises(TrainingError, match="n_folds must be"):
        train([small_data], config=cfg, embedder=emb)
    assert emb.calls == 0


def test_a_file_without_strength_is_refused_before_any_embedding(tmp_path):
    from conftest import HashingEmbedder

    rows = [{"text": f"Built pipeline {i} for the search team", "framing": "system"} for i in range(10)]
    rows += [{"text": f"Adjusted ranking weight {i}", "framing": "housekeeping"} for i in range(10)]
    p = tmp_path / "framing_only.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    emb = HashingEmbedder()
    with pytest.raises(TrainingError, match="no row carries a strength label.*train with --base"):
        train([p], config=FAST, embedder=emb)
    with pytest.raises(TrainingError, match="no row carries a strength label") as e:
        train([p], config=FAST, embedder=emb, base_option=None)  # audit: no --base to offer
    assert "--base" not in str(e.value)
    assert emb.calls == 0


def test_a_strength_only_model_scores_without_made_up_heads(tmp_path, small_data):
    from conftest import HashingEmbedder

    rows = [json.loads(x) for x in small_data.read_text().splitlines()]
    p = tmp_path / "s.jsonl"
    p.write_text("".join(json.dumps({"text": r["text"], "strength": r["strength"]}) + "\n" for r in rows))
    result = train([p], out=tmp_path / "m", config=FAST, embedder=HashingEmbedder())
    assert set(result.model.heads) == {"strength"}
    assert result.metrics["strength"]["own_rows"]["n"] == len(rows)
    b = PacketScorer(load_model(tmp_path / "m"), HashingEmbedder()).score(["Tuned the reranker."])[0]
    assert b.framing is None and b.moves == {} and b.moves_present == ()
    d = b.to_dict()
    assert d["framing"] is None and set(d["moves"].values()) == {None}
