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
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import mlflow
from mlflow.pyfunc import PythonModel

# MLflow suggests type hints on predict(); ours takes a DataFrame or a list, validated below
warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method")


def _threads(config: dict) -> int | None:
    # the deployment boundary: Spark and most schedulers state a worker's share of the cores here
    value = config.get("threads") or os.environ.get("OMP_NUM_THREADS")
    try:
        return max(1, int(value)) if value else None
    except ValueError:
        return None


class PacketlensPyfunc(PythonModel):
    def load_context(self, context):  # noqa: ANN001 - MLflow's signature
        from packetlens.scorer import PacketScorer

        config = dict(context.model_config or {})
        cache_dir = config.get("cache_dir")
        self.scorer = PacketScorer.from_pretrained(
            context.artifacts["model_dir"], cache_dir=Path(cache_dir) if cache_dir else None,
            device=config.get("device") or "cpu", threads=_threads(config),
            vector_cache=bool(config.get("vector_cache", False)))

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
            raise ValueError("give a 'text' column (one bullet a row) or a 'packet' column (one packet a row, "
                             f"with an optional 'packet_id'), not {'both' if has else 'neither'}; "
                             f"found columns: {', '.join(map(str, df.columns))}")
        from_packets = has == {"packet"}
        if from_packets:
            ids = df["packet_id"].tolist() if "packet_id" in df.columns else None
            rows = score_packets(self.scorer, df["packet"].tolist(), ids, output=output)  # type: ignore[arg-type]
        else:
            if output != "bullets":
                raise ValueError(f"output {output!r} needs a 'packet' column; bullets give output 'bullets'")
            rows = score_bullets(self.scorer, df["text"].tolist() if "text" in df.columns else [])
        columns = columns_for(output, from_packets=from_packets)  # type: ignore[arg-type]
        # nullable columns stay object so that a missing value is None (JSON null), never NaN
        return pd.DataFrame({c.name: pd.Series([r[c.name] for r in rows], dtype=object if c.nullable else None)
                             for c in columns}, columns=[c.name for c in columns])


mlflow.models.set_model(PacketlensPyfunc())
