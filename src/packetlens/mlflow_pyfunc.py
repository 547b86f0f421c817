"""The MLflow pyfunc model, logged from code (no pickled python_model).

MLflow runs this file to build the model: it defines the class and calls ``set_model``. It is a
batch model with a signature (:func:`packetlens.tracking.pyfunc_signature`):

- **bullets**: a DataFrame with a ``text`` column (or a list of strings) in, one row per bullet
  out, typed as :data:`packetlens.table.BULLET_COLUMNS` (hints an array of strings).
- **packets**: a ``packet`` column of packet texts (and optionally ``packet_id``) in; with
  ``params={"output": "bullets"}`` (the default) one row per bullet, led by the packet id and the
  bullet's place; with ``params={"output": "packets"}`` one summary row per packet, which is what a
  Spark UDF needs (one row out per row in).

``model_config`` (at log time, or at load: ``mlflow.pyfunc.load_model(uri, model_config=...)``,
``spark_udf(..., model_config=...)``): ``cache_dir`` (where the ONNX export lives; default the
user cache of the machine that loads the model, so local to each Spark executor), ``device``
(``cpu``, ``cuda``, ``auto``), ``threads`` (onnxruntime threads; default ``$OMP_NUM_THREADS``,
which a Spark deployment sets per task slot, else every core) and ``vector_cache`` (default off:
a batch job over new text gains nothing from it, and executors must not share one SQLite file).
Scoring always goes through :class:`~packetlens.scorer.PacketScorer` on the ONNX path.
A row whose ``text`` (or ``packet``) is not a string (null, a number, an object) is refused with
HTTP 400 by ``mlflow models serve``, never scored as its ``str()``.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

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


def _threads(config: dict) -> int | None:
    # the deployment boundary: Spark and most schedulers state a worker's share of the cores here
    value = config.get("threads") or os.environ.get("OMP_NUM_THREADS")
    try:
        return max(1, int(value)) if value else None
    except ValueError:
        return None


class PacketlensPyfunc(PythonModel):
    def load_context(self, context):  # noqa: ANN001 - MLflow's signature
        stay_offline()
        _refuse_deep_json()
        import os
        from pathlib import Path

        from packetlens.scorer import PacketScorer

        # an entry point, like the CLI: the one place besides it that reads the environment
        config = dict(context.model_config or {})
        cache_dir = config.get("cache_dir") or os.environ.get("PACKETLENS_CACHE_DIR")
        no_cache = os.environ.get("PACKETLENS_NO_CACHE", "") not in ("", "0")
        self.scorer = PacketScorer.from_pretrained(
            context.artifacts["model_dir"], cache_dir=Path(cache_dir) if cache_dir else None,
            device=config.get("device") or "cpu", threads=_threads(config),
            cache_vectors=bool(config.get("vector_cache", False)) and not no_cache)

    def predict(self, context, model_input, params=None):  # noqa: ANN001
        from mlflow.exceptions import MlflowException

        try:
            return self._predict(model_input, params)
        except (ValueError, TypeError) as e:  # bad input: a 400 that says what to fix, not a bare 500
            raise MlflowException.invalid_parameter_value(f"packetlens: {e}") from e

    def _predict(self, model_input, params):  # noqa: ANN001, ANN202
        import pandas as pd

        from packetlens.table import columns_for, score_bullets, score_packets

        output = str((params or {}).get("output") or "bullets")
        df = model_input if isinstance(model_input, pd.DataFrame) else pd.DataFrame({"text": list(model_input)})
        has = {c for c in ("text", "packet") if c in df.columns and not df[c].isna().all()}
        if len(df) and len(has) != 1:
            raise MlflowException.invalid_parameter_value("give a 'text' column (one bullet a row) or a 'packet' column (one packet a row, "
                             f"with an optional 'packet_id'), not {'both' if has else 'neither'}; "
                             f"found columns: {', '.join(map(str, df.columns))}")
        from_packets = has == {"packet"}
        if from_packets:
            ids = df["packet_id"].tolist() if "packet_id" in df.columns else None
            packets = texts_of(df[["packet"]].rename(columns={"packet": "text"}))
            rows = score_packets(self.scorer, packets, ids, output=output)  # type: ignore[arg-type]
        else:
            if output != "bullets":
                raise MlflowException.invalid_parameter_value(f"output {output!r} needs a 'packet' column; bullets give output 'bullets'")
            rows = score_bullets(self.scorer, texts_of(df) if "text" in df.columns else [])
        columns = columns_for(output, from_packets=from_packets)  # type: ignore[arg-type]
        # nullable columns stay object so that a missing value is None (JSON null), never NaN
        return pd.DataFrame({c.name: pd.Series([r[c.name] for r in rows], dtype=object if c.nullable else None)
                             for c in columns}, columns=[c.name for c in columns])


mlflow.models.set_model(PacketlensPyfunc())
