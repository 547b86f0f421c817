"""Registered models that feel local: resolve ``models:/NAME@ALIAS`` once, reuse a local copy.

A registry URI is resolved to its version (name, version number, run id) and the model directory
is copied once into ``<cache_dir>/registry/<key>/model``, where ``key`` changes whenever the
version does. While the alias points at the same version, later calls reuse the copy. For a
local SQLite store (the default ``sqlite:///mlruns/mlflow.db``) the alias is read with
:mod:`sqlite3` directly, so a warm call imports no mlflow (about 5 s saved per call on 2 cores);
any other store, and ``runs:/`` URIs, go through mlflow.

Example::

    >>> local_model("models:/acme@champion", tracking_uri="sqlite:///mlruns/mlflow.db",
    ...             cache_dir=Path("/tmp/pl"))                                # doctest: +SKIP
    PosixPath('/tmp/pl/registry/4f1c.../model')
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

from packetlens.embedding import default_cache_dir
from packetlens.errors import TrackingError
from packetlens.settings import DEFAULT_TRACKING_URI

_MODELS_URI = re.compile(r"^models:/(?P<name>[^@/]+)(?:@(?P<alias>[^/]+)|/(?P<version>\d+))/?$")


@dataclass(frozen=True)
class RegisteredVersion:
    """Which registered model version a URI names."""

    uri: str
    name: str
    version: str
    run_id: str
    alias: str | None = None

    def key(self, tracking_uri: str) -> str:
        raw = json.dumps([tracking_uri, self.name, self.version, self.run_id])
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


def _sqlite_path(tracking_uri: str) -> Path | None:
    return Path(tracking_uri[len("sqlite:///"):]) if tracking_uri.startswith("sqlite:///") else None


def resolve_version(uri: str, tracking_uri: str) -> RegisteredVersion | None:
    """The version a ``models:/`` URI names, read from a local SQLite store without mlflow;
    ``None`` when that is not possible (another store, or a schema this code does not know)."""
    m = _MODELS_URI.match(uri)
    db = _sqlite_path(tracking_uri)
    if m is None or db is None or not db.is_file():
        return None
    name, alias, version = m["name"], m["alias"], m["version"]
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=10)
        try:
            if alias is not None:
                row = conn.execute("SELECT version FROM registered_model_aliases WHERE name = ? AND alias = ?",
                                   (name, alias)).fetchone()
                if row is None:
                    return None  # let mlflow say what is wrong, in its words
                version = str(row[0])
            row = conn.execute("SELECT run_id, status FROM model_versions WHERE name = ? AND version = ?",
                               (name, int(version))).fetchone()  # type: ignore[arg-type]
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    if row is None or row[1] not in (None, "READY"):
        return None
    return RegisteredVersion(uri, name, str(version), str(row[0] or ""), alias)


def _resolve_with_mlflow(uri: str, tracking_uri: str) -> RegisteredVersion | None:
    m = _MODELS_URI.match(uri)
    if m is None:
        return None
    from packetlens.tracking import model_version

    mv = model_version(m["name"], alias=m["alias"], version=m["version"], tracking_uri=tracking_uri)
    return RegisteredVersion(uri, m["name"], str(mv.version), str(mv.run_id or ""), m["alias"])


def local_model(uri: str, *, tracking_uri: str | None = None, cache_dir: Path | None = None) -> Path:
    """A local model directory for ``uri`` (``models:/NAME@ALIAS``, ``models:/NAME/3``, ``runs:/ID/model``).

    The copy lives under ``<cache_dir>/registry/`` with a ``registry.json`` naming the version;
    it is made once per version and reused while the URI resolves to the same version.

    Raises:
        TrackingError: the store, name, alias or version cannot be found.
    """
    from packetlens.tracking import download_model

    tracking_uri = tracking_uri or DEFAULT_TRACKING_URI
    version = resolve_version(uri, tracking_uri) or _resolve_with_mlflow(uri, tracking_uri)
    if version is None:  # runs:/ and other URIs: no version to key a copy on
        return download_model(uri, tracking_uri=tracking_uri)
    root = Path(cache_dir) if cache_dir else default_cache_dir()
    home = root / "registry" / version.key(tracking_uri)
    if (home / "model" / "config.json").is_file() and (home / "registry.json").is_file():
        return home / "model"
    source = download_model(uri, tracking_uri=tracking_uri)
    try:
        home.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=home.parent, prefix=f".{home.name}.tmp-"))
        shutil.copytree(source, tmp / "model")
        (tmp / "registry.json").write_text(json.dumps(asdict(version), indent=2) + "\n", encoding="utf-8")
        try:
            os.replace(tmp, home)
        except OSError:  # another process made the same copy first
            shutil.rmtree(tmp, ignore_errors=True)
    except OSError as e:
        raise TrackingError(f"{root}: cannot keep a local copy of {uri} ({e.strerror}); pass a writable "
                            "--cache-dir") from e
    return home / "model"


def registered_as(model_dir: Path) -> RegisteredVersion | None:
    """The registered version a local copy was made from (``None`` for any other directory)."""
    f = Path(model_dir).parent / "registry.json"
    if not f.is_file():
        return None
    try:
        return RegisteredVersion(**json.loads(f.read_text(encoding="utf-8")))
    except (ValueError, TypeError):
        return None
