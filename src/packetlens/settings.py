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
            if not isinstance(section, dict):
                raise InputFileError(f"{f}: [tool.packetlens] must be a table of settings")
            _check(section, f)
            if section:
                return dict(section), f
            return {}, None
    return {}, None


def _check(section: dict[str, object], f: Path) -> None:
    """Each known key has the type (and range) the CLI option it stands for has."""
    for key, value in section.items():
        if key == "fail_under":
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
                raise InputFileError(f"{f}: [tool.packetlens] fail_under = {value!r}: expected a number "
                                     "from 0 to 100")
        elif key == "ignore":
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
                raise InputFileError(f"{f}: [tool.packetlens] ignore = {value!r}: expected a list of hint codes "
                                     "or names, e.g. ignore = [\"PL101\"]")
        elif not isinstance(value, str) or not value.strip():
            raise InputFileError(f"{f}: [tool.packetlens] {key} = {value!r}: expected a non-empty string")
