"""``[tool.packetlens]`` settings from the nearest pyproject.toml (CLI defaults)."""

from __future__ import annotations

from pathlib import Path

from packetlens.errors import InputFileError

DEFAULT_TRACKING_URI = "sqlite:///mlruns/mlflow.db"
KNOWN = {"model", "format", "fail_under", "cache_dir", "tracking_uri", "ignore"}


def find_settings(start: Path) -> tuple[dict[str, object], Path | None]:
    """Read ``[tool.packetlens]`` from the first pyproject.toml in ``start`` or its parents."""
    import tomllib

    for d in [start, *start.parents]:
        f = d / "pyproject.toml"
        if f.is_file():
            try:
                data = tomllib.loads(f.read_text(encoding="utf-8"))
            except (ValueError, OSError) as e:
                raise InputFileError(f"{f}: cannot read [tool.packetlens] ({e}); fix the TOML") from e
            section = data.get("tool", {}).get("packetlens", {})
            unknown = sorted(set(section) - KNOWN)
            if unknown:
                raise InputFileError(f"{f}: [tool.packetlens] has unknown key {unknown[0]!r}; known: {', '.join(sorted(KNOWN))}")
            if section:
                return dict(section), f
            return {}, None
    return {}, None
