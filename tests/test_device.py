"""--device: CPU by default, CUDA where there is a GPU (same vectors within 1e-4 cosine), a clear error where not."""

from __future__ import annotations

import numpy as np
import pytest

from packetlens.embedding import OnnxEmbedder, cuda_backends, load_embedder
from packetlens.errors import EmbeddingModelError

TEXTS = ["Tuned the reranker.", "Cut p95 latency from 480 ms to 210 ms on 2M requests/day."]
HAS_GPU = any(cuda_backends().values())


def test_unknown_device_is_a_value_error(cache_dir):
    with pytest.raises(ValueError, match="device must be one of cpu, cuda, auto"):
        load_embedder(None, cache_dir=cache_dir, device="tpu")  # type: ignore[arg-type]


def test_threads_give_the_same_vectors(cache_dir, onnx_embedder):
    one = load_embedder(None, cache_dir=cache_dir, use_vector_cache=False, threads=1)
    assert np.array_equal(one.encode(TEXTS), onnx_embedder.encode(TEXTS))


@pytest.mark.skipif(HAS_GPU, reason="this machine has a GPU: the CUDA test below runs instead")
def test_without_a_gpu_cuda_says_what_to_install_and_auto_stays_on_cpu(cache_dir, tmp_path, monkeypatch):
    with pytest.raises(EmbeddingModelError, match="no GPU found.*onnxruntime-gpu.*device 'cpu'"):
        load_embedder(None, cache_dir=cache_dir, device="cuda")
    auto = load_embedder(None, cache_dir=cache_dir, use_vector_cache=False, device="auto")
    assert isinstance(auto, OnnxEmbedder) and auto.device == "cpu"
    from typer.testing import CliRunner

    from packetlens.cli import app

    monkeypatch.setenv("PACKETLENS_CACHE_DIR", str(cache_dir))
    (tmp_path / "b.jsonl").write_text('{"text": "Tuned the reranker."}\n', encoding="utf-8")
    r = CliRunner().invoke(app, ["score-batch", str(tmp_path / "b.jsonl"), "--device", "cuda"])
    assert r.exit_code == 2 and "no GPU found" in r.stderr


@pytest.mark.skipif(not HAS_GPU, reason="no GPU on this machine (onnxruntime CUDA provider or CUDA torch)")
def test_cuda_vectors_match_the_cpu_within_1e4_cosine(cache_dir, onnx_embedder):
    gpu = load_embedder(None, cache_dir=cache_dir, use_vector_cache=False, device="cuda")
    cos = np.sum(gpu.encode(TEXTS) * onnx_embedder.encode(TEXTS), axis=1)
    assert cos.min() >= 1 - 1e-4
