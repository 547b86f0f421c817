"""Exceptions a user can cause. Each message says what was found, where, and what to do.

They subclass builtins (as scikit-learn's do) so callers can catch ``ValueError`` or
``FileNotFoundError`` without importing packetlens.
"""

from __future__ import annotations


class PacketlensError(Exception):
    """Base class of every error packetlens raises on bad input."""


class InputFileError(PacketlensError, ValueError):
    """A file given by the user is missing, unreadable, a directory, binary or too large."""


class EmbeddingModelError(PacketlensError, ValueError):
    """A path that should hold a sentence-transformers model does not."""


class ModelArtifactError(PacketlensError, ValueError):
    """A packetlens model directory is missing, corrupt, or built on another embedding."""


class DataValidationError(PacketlensError, ValueError):
    """A labeled-data file has a bad row; the message names the file and line."""


class TrainingError(PacketlensError, ValueError):
    """Training cannot go on with these rows or settings."""


class TrackingError(PacketlensError, RuntimeError):
    """The MLflow tracking store or registry cannot be used."""


class CacheError(PacketlensError, OSError):
    """The cache directory (ONNX export, vector cache) cannot be written or read."""


class SettingsError(PacketlensError, ValueError):
    """An option or a ``[tool.packetlens]`` setting has a value packetlens does not know."""
