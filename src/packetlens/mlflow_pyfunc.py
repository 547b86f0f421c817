"""The MLflow pyfunc model, logged from code (no pickled python_model).

MLflow runs this file to build the model: it defines the class and calls ``set_model``. Input: a
DataFrame with a ``text`` column (or a list of strings); output: one row per bullet with the
strength, framing and move probabilities and the nearest exemplar.
"""

from __future__ import annotations

import warnings

import mlflow
from mlflow.pyfunc import PythonModel

# MLflow suggests type hints on predict(); ours takes a DataFrame or a list, validated below
warnings.filterwarnings("ignore", message=".*Add type hints to the `predict` method")


class PacketlensPyfunc(PythonModel):
    def load_context(self, context):  # noqa: ANN001 - MLflow's signature
        import os
        from pathlib import Path

        from packetlens.scorer import PacketScorer

        # an entry point, like the CLI: the one place besides it that reads the cache setting
        cache = os.environ.get("PACKETLENS_CACHE_DIR")
        self.scorer = PacketScorer.from_pretrained(context.artifacts["model_dir"], cache_dir=Path(cache) if cache else None,
                                                   cache_vectors=os.environ.get("PACKETLENS_NO_CACHE", "") in ("", "0"))

    def predict(self, context, model_input, params=None):  # noqa: ANN001
        import pandas as pd

        if isinstance(model_input, pd.DataFrame):
            texts = [str(t) for t in model_input["text"].tolist()]
        else:
            texts = [str(t) for t in model_input]
        rows = []
        for b in self.scorer.score(texts):
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
