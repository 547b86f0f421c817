"""Reading user files safely: every failure is one line naming the file and the fix."""

from __future__ import annotations

from pathlib import Path

from packetlens.errors import InputFileError

MAX_PACKET_BYTES = 5 * 1024 * 1024


def read_text_file(path: Path, *, max_bytes: int = MAX_PACKET_BYTES, what: str = "packet") -> str:
    """Read a UTF-8 text file, refusing directories, binary files and files over ``max_bytes``."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise InputFileError(f"{path}: is a directory; pass a {what} file")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputFileError(f"{path}: {size / 1e6:.1f} MB is too large for a {what} "
                                 f"(limit {max_bytes / 1e6:.0f} MB); split it or pass only the bullets")
        data = path.read_bytes()
    except PermissionError as e:
        raise InputFileError(f"{path}: cannot read it (permission denied); fix its permissions") from e
    except OSError as e:
        raise InputFileError(f"{path}: cannot read it ({e.strerror}); check the path") from e
    return decode_text(data, str(path), what=what)


def decode_text(data: bytes, name: str, *, what: str = "packet") -> str:
    if b"\x00" in data[:8192]:
        raise InputFileError(f"{name}: looks binary, not a text {what}; pass a Markdown or plain-text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise InputFileError(f"{name}: line {line}: not UTF-8 text; save it as UTF-8 and try again") from e
