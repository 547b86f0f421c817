"""The MLflow pyfunc model, logged from code (no pickled python_model).

MLflow runs this file to build the model: it defines the class and calls ``set_model``. Input: a
DataFrame with a ``text`` column of strings (or a list of strings); output: one row per bullet
with the strength, framing and move probabilities and the nearest exemplar. A row whose ``text``
is not a string (null, a number, an object) is refused with HTTP 400 by ``mlflow models serve``,
never scored as its ``str()``.
"""

from __future__ import annotations

import warnings

import mlflow
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PythonModel

from packetlens.offline import stay_offline

# MLflow suggests type hints on predict(); ours takes a DataFrame or a list, validated below
warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method")

MAX_ROWS = 10_000
"""The most bullets one request may hold."""


def texts_of(model_input: object) -> list[str]:
    """The bullet strings of a request; ``MlflowException`` (HTTP 400) naming the first bad row."""
    import pandas as pd

    if isinstance(model_input, pd.DataFrame):
        if "text" not in model_input.columns:
            raise MlflowException.invalid_parameter_value(
                f"the input needs a 'text' column (found: {', '.join(map(str, model_input.columns))})")
        values = model_input["text"].tolist()
    elif isinstance(model_input, (list, tuple)):
        values = list(model_input)
    else:
        raise MlflowException.invalid_parameter_value(
            f"the input must be a table with a 'text' column or a list of strings, not {type(model_input).__name__}")
    if len(values) > MAX_ROWS:
        raise MlflowException.invalid_parameter_value(f"{len(values)} rows; send at most {MAX_ROWS} per request")
    for i, v in enumerate(values):
        if not isinstance(v, str):
            missing = v is None or (isinstance(v, float) and v != v)  # pandas turns a null among strings into NaN
            raise MlflowException.invalid_parameter_value(
                f"row {i}: 'text' must be a string, found {'null' if missing else type(v).__name__}")
    return values


def _refuse_deep_json() -> None:
    """Make MLflow's scoring server answer 400, not 500, to JSON nested too deeply to parse.

    ``json.loads`` raises RecursionError on deep nesting, which the server's decoder does not
    catch (MLflow 3.x). The server looks the decoder up by name on each request, so wrapping it
    here, when the server loads this model, covers every request.
    """
    try:
        from mlflow.pyfunc import scoring_server
    except ImportError:  # pragma: no cover - a serving-less MLflow
        return
    decode = getattr(scoring_server, "_decode_json_input", None)
    if decode is None or getattr(decode, "packetlens_guard", False):
        return

    def guarded(json_input):  # noqa: ANN001, ANN202
        try:
            return decode(json_input)
        except RecursionError:
            raise MlflowException.invalid_parameter_value(
                'the request JSON is nested too deeply; send {"dataframe_records": [{"text": "..."}]}') from None

    guarded.packetlens_guard = True  # type: ignore[attr-defined]
    scoring_server._decode_json_input = guarded


class PacketlensPyfunc(PythonModel):
    def load_context(self, context):  # noqa: ANN001 - MLflow's signature
        stay_offline()
        _refuse_deep_json()
        import os
        from pathlib import Path

        from packetlens.scorer import PacketScorer

        # an entry point, like the CLI: the one place besides it that reads the cache setting
        cache = os.environ.get("PACKETLENS_CACHE_DIR")
        self.scorer = PacketScorer.from_pretrained(context.artifacts["model_dir"], cache_dir=Path(cache) if cache else None,
                                                   cache_vectors=os.environ.get("PACKETLENS_NO_CACHE", "") in ("", "0"))

    def predict(self, context, model_input, params=None):  # noqa: ANN001
        import pandas as pd

        rows = []
        for b in self.scorer.score(texts_of(model_input)):
            d = b.to_dict()
            rows.append({
                "text": b.text,
                "strength": b.strength.label, "p_strong": d["strength"]["p_strong"],
                "framing": b.framing.label if b.framing else None,
                "p_system": d["framing"]["p_system"] if d["framing"] else None,
                **{f"p_{m}": p for m, p in d["moves"].items()},
                "exemplar": b.exemplar.text if b.exemplar else None,
                "hints": " | ".join(b.hints),
            })
        return pd.DataFrame(rows)


mlflow.models.set_model(PacketlensPyfunc())
