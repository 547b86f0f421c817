"""Keep the libraries packetlens drives off the network.

``datasets`` resolves hub hosts while reading a local JSONL file, and MLflow sends telemetry; on
a network that drops packets that cost about 10 s a run, and packetlens needs nothing from
either. :func:`stay_offline` sets their switches; it is called just before each of those
libraries is imported (never at ``import packetlens``, which changes no global state).
"""

from __future__ import annotations

import os

OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "MLFLOW_DISABLE_TELEMETRY": "true",
}
"""Environment switches each library reads (most at import) to stay off the network."""


def stay_offline() -> None:
    """Set :data:`OFFLINE_ENV`, and the same switches of those libraries already imported."""
    import sys

    os.environ.update(OFFLINE_ENV)
    if "huggingface_hub" in sys.modules:
        sys.modules["huggingface_hub"].constants.HF_HUB_OFFLINE = True
    if "datasets" in sys.modules:
        sys.modules["datasets"].config.HF_HUB_OFFLINE = True
