"""One bounded read path (issue 15 #4) and text in any common encoding (issue 12)."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path

import pytest

from packetlens.errors import InputFileError
from packetlens.reading import MAX_PACKET_BYTES, decode_text, read_bytes, read_stream

PACKET = "Impact\n• Cut p95 from 480 to 210 ms — “measured” on 2M requests, café\n"


class CountingStream(io.RawIOBase):
    """An endless stream that counts what was read from it (like /dev/zero, without the device)."""

    def __init__(self) -> None:
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:  # noqa: ANN001
        b[:] = b"-" * len(b)
        self.served += len(b)
        return len(b)


def test_an_endless_stream_is_refused_after_the_cap_not_read_to_the_end():
    s = CountingStream()
    with pytest.raises(InputFileError, match="too large"):
        read_stream(io.BufferedReader(s), "<stdin>")
    assert s.served <= MAX_PACKET_BYTES + 2 * 1024 * 1024


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_at_the_cap():
    with pytest.raises(InputFileError, match="/dev/zero: more than 5 MB is too large"):
        read_bytes(Path("/dev/zero"))


def test_stdin_has_the_same_cap_as_files():
    with pytest.raises(InputFileError, match="<stdin>: more than 5 MB is too large"):
        read_stream(io.BytesIO(b"- x\n" * (20 * 1024 * 1024 // 4)), "<stdin>")
    assert read_stream(io.BytesIO(b"- x\n"), "<stdin>") == b"- x\n"


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_named_pipe_with_no_writer_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "packet.fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputFileError, match="named pipe that nothing wrote to within 0.5 s"):
        read_bytes(fifo, fifo_wait_s=0.5)


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_named_pipe_with_a_writer_is_read(tmp_path):
    fifo = tmp_path / "packet.fifo"
    os.mkfifo(fifo)

    def write() -> None:
        with open(fifo, "wb") as f:  # blocks until the reader opens: it counts as a writer then
            f.write(b"- Cut p95 from 480 to 210 ms.\n")

    t = threading.Thread(target=write)
    t.start()
    try:
        assert read_bytes(fifo) == b"- Cut p95 from 480 to 210 ms.\n"
    finally:
        t.join(10)


def test_a_regular_file_over_the_cap_is_refused_from_its_size(tmp_path):
    p = tmp_path / "big.md"
    with open(p, "wb") as f:
        f.truncate(MAX_PACKET_BYTES + 1)  # sparse: no 5 MB written
    with pytest.raises(InputFileError, match="5.2 MB is too large"):
        read_bytes(p)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig", "cp1252"])
def test_text_in_any_common_encoding_is_read(encoding):
    data = PACKET.replace("—", "-").encode(encoding) if encoding == "cp1252" else PACKET.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):  # no BOM: found from the NUL pattern
        assert not data.startswith((b"\xff\xfe", b"\xfe\xff"))
    assert decode_text(data, "p.txt") == (PACKET.replace("—", "-") if encoding == "cp1252" else PACKET)


def test_binary_is_still_refused():
    with pytest.raises(InputFileError, match="looks binary"):
        decode_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01", "x.md")


def test_docstring_examples_run():
    import doctest

    import packetlens.reading

    failed, attempted = doctest.testmod(packetlens.reading)
    assert attempted >= 1 and failed == 0
