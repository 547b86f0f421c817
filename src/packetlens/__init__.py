"""packetlens: how a calibration committee will read each bullet of a promotion packet.

Importing this package is cheap: it imports no torch, transformers or mlflow. The heavy
objects load on first use::

    >>> from packetlens import PacketScorer            # doctest: +SKIP
    >>> scorer = PacketScorer.from_pretrained()         # doctest: +SKIP
    >>> scorer.score(["Tuned the reranker."])[0].strength.label  # doctest: +SKIP
    'weak'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY = {
    "PacketScorer": "packetlens.scorer",
    "BulletScore": "packetlens.results",
    "PacketReport": "packetlens.results",
    "HeadScore": "packetlens.results",
    "Exemplar": "packetlens.results",
    "train": "packetlens.training",
    "TrainConfig": "packetlens.training",
    "load_labeled": "packetlens.data",
    "LabeledDataset": "packetlens.data",
    "evaluate": "packetlens.evaluation",
    "PacketlensError": "packetlens.errors",
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover
    from packetlens.data import LabeledDataset, load_labeled
    from packetlens.errors import PacketlensError
    from packetlens.evaluation import evaluate
    from packetlens.results import BulletScore, Exemplar, HeadScore, PacketReport
    from packetlens.scorer import PacketScorer
    from packetlens.training import TrainConfig, train


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'packetlens' has no attribute {name!r}")
