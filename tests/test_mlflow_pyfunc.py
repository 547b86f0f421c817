"""The pyfunc as a batch model: signature, bullet and packet modes, and MLflow's serving input parsing.

Requests go through ``mlflow.pyfunc.scoring_server.invocations`` in-process: the parsing and
schema enforcement ``mlflow models serve`` applies, without a server (test_tracking.py starts one).
"""

from __future__ import annotations

import json

import pytest

from packetlens.results import MOVES
from packetlens.scorer import default_model_dir
from packetlens.table import BULLET_COLUMNS, PACKET_COLUMNS, PLACE_COLUMNS, score_bullets

pytestmark = [pytest.mark.slow,
              pytest.mark.filterwarnings("ignore:.*Add type hints to the `predict` method:UserWarning")]
PACKET = "# Impact\n- Tuned the reranker.\n- Cut p95 latency from 480 ms to 210 ms on 2M requests/day.\n"


@pytest.fixture(scope="module")
def model(tmp_path_factory, cache_dir, onnx_embedder):
    import mlflow

    from packetlens.tracking import save_pyfunc

    path = save_pyfunc(default_model_dir(), tmp_path_factory.mktemp("pyfunc") / "model",
                       model_config={"cache_dir": str(cache_dir)})
    return mlflow.pyfunc.load_model(str(path))


def _post(model, body: dict) -> tuple[int, object]:
    from mlflow.pyfunc import scoring_server

    r = scoring_server.invocations(json.dumps(body), "application/json", model, model.metadata.get_input_schema())
    return r.status, json.loads(r.response)


def test_signature_types_every_bullet_column(model):
    sig = model.metadata.signature
    assert [c.name for c in sig.outputs.inputs] == [c.name for c in BULLET_COLUMNS]
    types = {c.name: str(c.type) for c in sig.outputs.inputs}
    assert types["p_strong"].endswith("double") and "Array" in types["hints"] and types["uncertain"].endswith("boolean")
    assert {c.name for c in sig.inputs.inputs} == {"text", "packet", "packet_id"}
    assert sig.params.params[0].name == "output" and sig.params.params[0].default == "bullets"


def test_bullet_request_gives_the_library_rows(model, exact_scorer):
    texts = ["Tuned the reranker.", "Built the eval gate five teams use; review fell from ten days to 40 minutes."]
    status, out = _post(model, {"dataframe_records": [{"text": t} for t in texts]})
    assert status == 200
    assert out["predictions"] == score_bullets(exact_scorer, texts)
    assert isinstance(out["predictions"][0]["hints"], list)


def test_packet_endpoint_gives_one_row_per_bullet_with_its_packet(model, exact_scorer):
    status, out = _post(model, {"dataframe_split": {"columns": ["packet_id", "packet"],
                                                    "data": [["ana", PACKET], ["bo", "- Helped with the migration."]]}})
    assert status == 200
    rows = out["predictions"]
    assert [(r["packet_id"], r["index"], r["line"]) for r in rows] == [("ana", 0, 2), ("ana", 1, 3), ("bo", 0, 1)]
    assert rows[0]["section"] == "Impact" and rows[2]["section"] is None
    assert list(rows[0]) == [c.name for c in (*PLACE_COLUMNS, *BULLET_COLUMNS)]
    report = exact_scorer.score_packet(PACKET)
    assert [r["p_strong"] for r in rows[:2]] == [b.to_dict()["strength"]["p_strong"] for b in report.bullets]


def test_packet_endpoint_summary_rows(model, exact_scorer):
    status, out = _post(model, {"dataframe_records": [{"packet_id": "ana", "packet": PACKET}],
                                "params": {"output": "packets"}})
    assert status == 200
    (row,) = out["predictions"]
    assert list(row) == [c.name for c in PACKET_COLUMNS]
    report = exact_scorer.score_packet(PACKET)
    assert row["n_bullets"] == 2 and row["score"] == round(report.score, 2)
    assert sum(row[f"n_{m}"] for m in MOVES) == sum(report.moves_present.values())


def test_bad_requests_name_the_columns(model):
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException, match="not both"):
        _post(model, {"dataframe_records": [{"text": "a", "packet": "- b"}]})
    with pytest.raises(MlflowException, match="needs a 'packet' column"):
        _post(model, {"dataframe_records": [{"text": "a"}], "params": {"output": "packets"}})
