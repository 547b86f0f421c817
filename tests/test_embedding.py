import subprocess
import sys
import textwrap

import numpy as np
import pytest

from packetlens.embedding import CachedEmbedder, VectorCache, load_embedder, resolve_embedding
from packetlens.errors import EmbeddingModelError

SENTENCES = [
    "Cut p95 latency of the ranking service from 480 ms to 210 ms across 2M requests a day.",
    "Tuned the reranker.",
    "Built the regression-eval gate that replaced a ten-day manual review with a 45-minute CI check; "
    "three teams now gate launches on it.",
    "We had no holdout, so I attribute between half and all of the lift and report the middle.",
    "helped w/ on-call",
    "Recieved feedback from teh design team and shipped the new onboarding flow!!",
]


def test_onnx_vectors_are_normalized_float32(onnx_embedder):
    v = onnx_embedder.encode(SENTENCES)
    assert v.dtype == np.float32 and v.shape == (len(SENTENCES), 384)
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    assert onnx_embedder.identity.name == "sentence-transformers/all-MiniLM-L6-v2"
    assert len(onnx_embedder.identity.weights_sha256) == 64


@pytest.mark.slow
def test_onnx_and_sentence_transformers_agree(onnx_embedder, cache_dir):
    st = load_embedder(None, backend="sentence-transformers", cache_dir=cache_dir, use_vector_cache=False)
    a, b = onnx_embedder.encode(SENTENCES), st.encode(SENTENCES)
    cos = (a * b).sum(axis=1)
    assert cos.min() >= 0.9999, cos
    assert st.identity == onnx_embedder.identity


def test_batching_does_not_change_vectors(onnx_embedder):
    together = onnx_embedder.encode(SENTENCES)
    alone = np.stack([onnx_embedder.encode([s])[0] for s in SENTENCES])
    assert np.allclose(together, alone, atol=1e-5)


def test_vector_cache_embeds_each_text_once(onnx_embedder, tmp_path):
    cached = CachedEmbedder(onnx_embedder, VectorCache(tmp_path / "v.sqlite"))
    first = cached.encode(SENTENCES)
    assert cached.last_misses == len(SENTENCES)
    again = cached.encode(SENTENCES[::-1] + ["a new one here"])
    assert cached.last_misses == 1
    assert np.allclose(again[: len(SENTENCES)], first[::-1])


def test_encode_rejects_a_bare_string(onnx_embedder):
    with pytest.raises(TypeError):
        onnx_embedder.encode("one string")


@pytest.mark.parametrize("make", ["missing", "file", "empty_dir"])
def test_bad_model_path_names_path_and_fix(tmp_path, make):
    p = tmp_path / "m"
    if make == "file":
        p.write_text("x")
    elif make == "empty_dir":
        p.mkdir()
    with pytest.raises(EmbeddingModelError, match=str(p)) as e:
        resolve_embedding(p)
    assert "sentence-transformers directory" in str(e.value)


def test_scoring_path_runs_with_torch_and_transformers_unimportable(cache_dir, onnx_embedder):
    # the session fixture has already exported the ONNX file into cache_dir
    code = textwrap.dedent(f"""
        import sys
        for name in ("torch", "transformers", "sentence_transformers", "mlflow", "sklearn"):
            sys.modules[name] = None  # any import of these now raises ImportError
        from pathlib import Path
        from packetlens.scorer import PacketScorer
        scorer = PacketScorer.from_pretrained(cache_dir=Path({str(cache_dir)!r}))
        report = scorer.score_text("- Tuned the reranker.\\n- Cut p95 from 480 to 210 ms on 2M requests.\\n")
        print(report.n_bullets, [b.strength.label for b in report.bullets])
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("2 ")


def test_the_vector_cache_is_bounded(tmp_path):
    """A long-lived server embeds ever new texts; the cache keeps the newest max_rows of them."""
    from conftest import HashingEmbedder
    from packetlens.embedding import CachedEmbedder, VectorCache

    inner = HashingEmbedder()
    emb = CachedEmbedder(inner, VectorCache(tmp_path / "v.sqlite", max_rows=50))
    for start in range(0, 400, 25):
        emb.encode([f"bullet number {i}" for i in range(start, start + 25)])
    assert len(emb.cache) == 50
    calls = inner.calls
    emb.encode([f"bullet number {i}" for i in range(350, 400)])  # the newest 50: all cached
    assert inner.calls == calls
    emb.encode(["bullet number 0"])  # long evicted: embedded again
    assert inner.calls == calls + 1


def test_a_damaged_cache_row_is_a_miss_not_a_wrong_vector(tmp_path):
    import sqlite3

    from conftest import HashingEmbedder
    from packetlens.embedding import CachedEmbedder, VectorCache

    inner = HashingEmbedder()
    emb = CachedEmbedder(inner, VectorCache(tmp_path / "v.sqlite"))
    good = emb.encode(["Tuned the reranker."])
    with sqlite3.connect(tmp_path / "v.sqlite") as c:
        c.execute("UPDATE vectors SET vec = ?", (b"\x00" * 12,))
    np.testing.assert_array_equal(emb.encode(["Tuned the reranker."]), good)


def test_a_file_that_is_not_a_cache_is_one_line_error(tmp_path):
    from packetlens.embedding import VectorCache
    from packetlens.errors import CacheError

    (tmp_path / "vectors.sqlite").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(CacheError, match="vectors.sqlite: cannot use the vector cache"):
        VectorCache(tmp_path / "vectors.sqlite")


def test_loading_the_onnx_embedder_removes_partial_exports_of_dead_processes(cache_dir):
    """A process killed while exporting left its .export-*.onnx behind for good."""
    from conftest import dead_pid
    from packetlens.embedding import OnnxEmbedder

    emb = OnnxEmbedder(resolve_embedding(None), cache_dir=cache_dir)
    stale = emb.onnx_path.parent / f".export-{dead_pid()}-0badf00d.onnx"
    stale.write_bytes(b"half an export")
    OnnxEmbedder(resolve_embedding(None), cache_dir=cache_dir)
    assert not stale.exists() and emb.onnx_path.is_file()
