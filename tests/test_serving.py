"""The pyfunc model behind `mlflow models serve`, through MLflow's own scoring app (in process)."""

import json
import shutil

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def client(tmp_path_factory, cache_dir):
    import os
    import warnings

    import mlflow
    from mlflow.models import ModelSignature
    from mlflow.pyfunc import scoring_server
    from mlflow.types import ColSpec, Schema
    from starlette.testclient import TestClient

    import packetlens.mlflow_pyfunc as pyfunc_module
    from packetlens.scorer import default_model_dir

    os.environ["PACKETLENS_CACHE_DIR"] = str(cache_dir)
    d = tmp_path_factory.mktemp("pyfunc")
    model_dir = shutil.copytree(default_model_dir(), d / "model_dir")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.pyfunc.save_model(str(d / "pyfunc"), python_model=pyfunc_module.__file__,
                                 artifacts={"model_dir": str(model_dir)},
                                 signature=ModelSignature(inputs=Schema([ColSpec("string", "text")])))
        model = mlflow.pyfunc.load_model(str(d / "pyfunc"))
    return TestClient(scoring_server.init(model), raise_server_exceptions=False)


def post(client, body):
    return client.post("/invocations", content=body if isinstance(body, str) else json.dumps(body),
                       headers={"Content-Type": "application/json"})


def test_strings_are_scored(client):
    r = post(client, {"dataframe_records": [{"text": "Tuned the reranker."}]})
    assert r.status_code == 200 and r.json()["predictions"][0]["strength"] == "weak"


@pytest.mark.parametrize("value, found", [(None, "null"), (12345, "int"), ({"a": 1}, "dict"), ([1, 2], "list")])
def test_a_text_that_is_not_a_string_is_refused_with_400(client, value, found):
    """It used to be scored as its str(): "None", "12345"."""
    r = post(client, {"dataframe_records": [{"text": "Tuned the reranker."}, {"text": value}]})
    assert r.status_code == 400, r.text[:300]
    assert f"row 1: 'text' must be a string, found {found}" in r.json()["message"]


@pytest.mark.parametrize("depth", [5_000, 200_000])
def test_deeply_nested_json_is_a_400_not_a_500(client, depth):
    r = post(client, '{"dataframe_records": [{"text": ' + "[" * depth + "]" * depth + "}]}")
    assert r.status_code == 400 and "nested too deeply" in r.json()["message"]
