"""Reading user input safely: one bounded read path and one decoder for files, devices, pipes and stdin.

Every failure is an :class:`~packetlens.errors.InputFileError` with one line naming the input and
the fix. No read holds more than ``max_bytes + 1`` bytes: ``/dev/zero``, a 20 MB stdin and a
5 GB file all stop at the cap, and a named pipe with no writer is refused instead of waiting.

    >>> decode_text("- café".encode("utf-16"), "p.txt")
    '- café'
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path
from typing import BinaryIO

from packetlens.errors import InputFileError

MAX_PACKET_BYTES = 5 * 1024 * 1024
_CHUNK = 1024 * 1024
FIFO_WAIT_S = 5.0
"""How long a named pipe may stay silent before it is refused (a writer usually starts at once)."""
# the encodings charset-normalizer may choose among when a file is not UTF-8: the Windows and ISO
# code pages people's editors still save in; an open list lets it pick exotic ones (cp775 for a
# cp1252 packet, measured)
_LEGACY_ENCODINGS = ["cp1252", "cp1250", "cp1251", "latin_1", "iso8859_15", "mac_roman",
                     "shift_jis", "gb18030", "euc_kr", "big5", "koi8_r"]


def _too_large(name: str, what: str, max_bytes: int, found: str) -> InputFileError:
    return InputFileError(f"{name}: {found} is too large for a {what} (limit {max_bytes / 1e6:.0f} MB); "
                          "split it or pass only the bullets")


def read_stream(stream: BinaryIO, name: str, *, max_bytes: int = MAX_PACKET_BYTES, what: str = "packet") -> bytes:
    """Read a binary stream to its end, refusing it once it passes ``max_bytes``.

    Memory stays under ``max_bytes`` plus one chunk whatever the stream holds.
    """
    chunks: list[bytes] = []
    total = 0
    while total <= max_bytes:
        try:
            chunk = stream.read(min(_CHUNK, max_bytes + 1 - total))
        except OSError as e:
            raise InputFileError(f"{name}: cannot read it ({e.strerror or e}); check the input") from e
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        chunks.append(chunk)
    raise _too_large(name, what, max_bytes, f"more than {max_bytes / 1e6:.0f} MB")


def _cannot_read(name: str, e: OSError) -> InputFileError:
    if isinstance(e, FileNotFoundError):
        return InputFileError(f"{name}: no such file; check the path")
    if isinstance(e, PermissionError):
        return InputFileError(f"{name}: cannot read it (permission denied); fix its permissions")
    return InputFileError(f"{name}: cannot read it ({e.strerror}); check the path")


def _wait_for_writer(fd: int, name: str, what: str, wait_s: float) -> None:
    """Wait up to ``wait_s`` for a FIFO's writer to write (or close); refuse the pipe after that.

    Linux reports neither data nor hang-up on a FIFO that no writer has opened since the reader
    did, so the poll ends only when a writer acts: a FIFO nobody writes to cannot hang the run.
    """
    import select

    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP)
    if not poller.poll(int(wait_s * 1000)):
        raise InputFileError(f"{name}: is a named pipe that nothing wrote to within {wait_s:g} s; "
                             f"start the writer first, or pipe the {what} to stdin (-)")


def read_bytes(path: Path, *, max_bytes: int = MAX_PACKET_BYTES, what: str = "packet",
               fifo_wait_s: float = FIFO_WAIT_S) -> bytes:
    """Read a file, device or named pipe, at most ``max_bytes`` of it.

    A regular file over the cap is refused from its size, before any read; anything else (a
    device, a pipe) is read through the same bounded loop as stdin. A named pipe that no process
    writes to within ``fifo_wait_s`` is refused rather than waited on forever.
    """
    path = Path(path)
    name = str(path)
    try:
        st = os.stat(path)
    except OSError as e:
        raise _cannot_read(name, e) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputFileError(f"{name}: is a directory; pass a {what} file")
    if stat.S_ISREG(st.st_mode) and st.st_size > max_bytes:
        raise _too_large(name, what, max_bytes, f"{st.st_size / 1e6:.1f} MB")
    fifo = stat.S_ISFIFO(st.st_mode)
    try:
        # a FIFO opened without O_NONBLOCK waits for a writer forever; with it, open returns at once
        fd = os.open(path, os.O_RDONLY | (os.O_NONBLOCK if fifo else 0))
    except OSError as e:
        raise _cannot_read(name, e) from None
    with os.fdopen(fd, "rb", buffering=0) as f:
        if fifo:
            _wait_for_writer(fd, name, what, fifo_wait_s)
            os.set_blocking(fd, True)
        return read_stream(f, name, max_bytes=max_bytes, what=what)  # type: ignore[arg-type]


def read_text_file(path: Path, *, max_bytes: int = MAX_PACKET_BYTES, what: str = "packet") -> str:
    """Read a text file in any common encoding (see :func:`decode_text`), at most ``max_bytes``."""
    return decode_text(read_bytes(path, max_bytes=max_bytes, what=what), str(path), what=what)


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),  # before UTF-16: FF FE 00 00
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le``/``-be`` when every other byte of ``head`` is NUL (ASCII text saved as UTF-16)."""
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
        return "utf-16-be"
    return None


def decode_text(data: bytes, name: str, *, what: str = "packet") -> str:
    """Bytes -> text: a BOM (UTF-8/16/32) decides; then UTF-8; then UTF-16 without a BOM; then the
    legacy code page charset-normalizer finds (cp1252 for most Windows files)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as e:
                raise InputFileError(f"{name}: starts with a {encoding.upper()} mark but is not valid "
                                     f"{encoding.upper()} at byte {e.start}; save it again as UTF-8") from e
    head = data[:8192]
    if b"\x00" in head:  # NUL is valid UTF-8, but no text editor writes it: UTF-16 without a BOM, or binary
        encoding = _utf16_without_bom(head)
        if encoding:
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                pass
        raise InputFileError(f"{name}: looks binary, not a text {what}; pass a Markdown, text, .docx or .html file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        bad_line = data[: e.start].count(b"\n") + 1
    import charset_normalizer  # only for files that are not UTF-8

    best = charset_normalizer.from_bytes(data, cp_isolation=_LEGACY_ENCODINGS).best()
    if best is None:
        raise InputFileError(f"{name}: line {bad_line}: not UTF-8 text, nor any common encoding; "
                             "save it as UTF-8 and try again")
    return str(best)


def peek_text(data: bytes, size: int = 65536) -> str:
    """The first ``size`` bytes as text, leniently (a BOM or UTF-16 pattern, else UTF-8): for sniffing."""
    head = data[:size]
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return head.decode(encoding, errors="ignore")
    encoding = _utf16_without_bom(head[:8192]) if b"\x00" in head[:8192] else None
    return head.decode(encoding or "utf-8", errors="ignore")
