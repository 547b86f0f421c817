"""Shared fixtures: the network is blocked in every test; the real MiniLM loads once per session."""

from __future__ import annotations

import hashlib
import os
import socket
from pathlib import Path

import numpy as np
import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from packetlens.embedding import EmbeddingIdentity  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SHARED_EVAL = ROOT.parent / "shared" / "eval" / "external_public.jsonl"
_real_connect = socket.socket.connect
_real_create_connection = socket.create_connection


class NetworkBlocked(RuntimeError):
    pass


def _guarded_connect(self, address):  # noqa: ANN001
    host = address[0] if isinstance(address, tuple) else address
    if self.family == socket.AF_UNIX or (os.environ.get("PACKETLENS_TEST_ALLOW_LOOPBACK") and
                                          host in ("127.0.0.1", "localhost", "::1")):
        return _real_connect(self, address)
    raise NetworkBlocked(f"test tried to open a network connection to {address!r}")


def dead_pid() -> int:
    """The id of a process that has exited (for leftovers named by their writer's PID)."""
    import subprocess
    import sys

    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def free_port() -> int:
    """A loopback port nothing listens on (tests that need one set PACKETLENS_TEST_ALLOW_LOOPBACK)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.fixture(autouse=True)
def block_network(monkeypatch):
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    def create_connection(address, *a, **k):  # noqa: ANN001, ANN202
        if os.environ.get("PACKETLENS_TEST_ALLOW_LOOPBACK") and address[0] in ("127.0.0.1", "localhost", "::1"):
            return _real_create_connection(address, *a, **k)
        raise NetworkBlocked(f"test tried create_connection to {address!r}")

    monkeypatch.setattr(socket, "create_connection", create_connection)
    yield


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    """One ONNX export + vector cache for the whole session."""
    return tmp_path_factory.mktemp("plcache")


@pytest.fixture(scope="session")
def onnx_embedder(cache_dir):
    from packetlens.embedding import load_embedder

    return load_embedder(None, backend="onnx", cache_dir=cache_dir, use_vector_cache=False)


class HashingEmbedder:
    """A deterministic stand-in embedder for plumbing tests: hashed word counts, L2-normalized."""

    def __init__(self, dim: int = 64) -> None:
        self.identity = EmbeddingIdentity("test/hashing", dim, hashlib.sha256(b"hashing").hexdigest())
        self.calls = 0

    def encode(self, texts):  # noqa: ANN001, ANN201
        self.calls += 1
        out = np.zeros((len(texts), self.identity.dimension), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.identity.dimension] += 1
        n = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(n, 1e-12)


@pytest.fixture
def hashing_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture(scope="session")
def small_data(tmp_path_factory) -> Path:
    """A small, real labeled file: a balanced sample of data/bullets.jsonl."""
    import json
    import random

    rows = [json.loads(x) for x in (ROOT / "data" / "bullets.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    random.Random(0).shuffle(rows)
    pick = rows[:240]
    path = tmp_path_factory.mktemp("data") / "small.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in pick), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def default_scorer(cache_dir):
    from packetlens.scorer import PacketScorer

    return PacketScorer.from_pretrained(cache_dir=cache_dir)


@pytest.fixture(scope="session")
def example_report(default_scorer):
    """examples/packet.md scored by the shipped model (a frozen record: safe to share)."""
    return default_scorer.score_packet(ROOT / "examples" / "packet.md")


@pytest.fixture(scope="session")
def exact_scorer(cache_dir):
    """The shipped model on the ONNX path without the vector cache: the vectors Spark, the pyfunc and
    score-batch compute. (The session's vector cache may hold sentence-transformers vectors of the same
    texts, equal only within 1e-6, from the training tests.)"""
    from packetlens.scorer import PacketScorer

    return PacketScorer.from_pretrained(cache_dir=cache_dir, cache_vectors=False)
