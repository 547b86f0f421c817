"""Bullets per second on a GPU, and whether its vectors match the CPU's; says so and exits 0 without one.

    .venv/bin/python benchmarks/gpu.py              # 20,000 bullets
    .venv/bin/python benchmarks/gpu.py --n 100000

With a GPU it measures, on N bullets (data/bullets.jsonl repeated): the bare encoder on CUDA
(onnxruntime's CUDA execution provider when onnxruntime-gpu is installed, else
sentence-transformers on a CUDA torch), then the whole scorer with ``device="cuda"`` (what
``packetlens score-batch --device cuda`` and the pyfunc's ``device`` config run); and the worst
cosine between CUDA and CPU vectors on 512 of the bullets (the contract: within 1e-4). For
reference, MiniLM in fp16 on one H100 runs about 8,600 bullets/s; this path runs fp32.
Prints one JSON object; nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".packetlens-cache"
sys.path.insert(0, str(ROOT / "src"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20_000, help="bullets to score (default 20,000)")
    ap.add_argument("--chunk", type=int, default=4096, help="bullets per call (default 4,096)")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from packetlens.embedding import cuda_backends, load_embedder

    found = cuda_backends()
    if not any(found.values()):
        print(json.dumps({"gpu": None, "found": found,
                          "note": "no GPU here (onnxruntime has no CUDAExecutionProvider and torch sees no CUDA "
                                  "device); nothing to measure"}))
        return 0
    import numpy as np

    from packetlens.scorer import PacketScorer

    base = [json.loads(x)["text"] for x in (ROOT / "data" / "bullets.jsonl").read_text(encoding="utf-8").splitlines()
            if x.strip()]
    texts = [base[i % len(base)] for i in range(args.n)]
    gpu = load_embedder(None, backend="onnx", cache_dir=CACHE, use_vector_cache=False, device="cuda")
    backend = type(gpu).__name__
    gpu.encode(texts[:256])  # warm up: CUDA context, kernels, allocator

    def rate(fn) -> float:  # noqa: ANN001
        start = time.perf_counter()
        for i in range(0, len(texts), args.chunk):
            fn(texts[i:i + args.chunk])
        return round(len(texts) / (time.perf_counter() - start), 1)

    encoder = rate(gpu.encode)
    scorer = PacketScorer.from_pretrained(cache_dir=CACHE, cache_vectors=False, device="cuda")
    scorer.score(texts[:256])
    library = rate(scorer.score)
    sample = base[:512]
    cpu = load_embedder(None, backend="onnx", cache_dir=CACHE, use_vector_cache=False, device="cpu")
    cos = np.sum(gpu.encode(sample) * cpu.encode(sample), axis=1)
    name = None
    try:
        import torch

        name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    except Exception:  # noqa: BLE001 - the name is a nicety
        pass
    print(json.dumps({"gpu": name or "CUDA device", "found": found, "backend": backend, "n": args.n,
                      "encoder_bullets_per_s": encoder, "scorer_bullets_per_s": library,
                      "min_cosine_vs_cpu": round(float(cos.min()), 6),
                      "within_1e-4": bool(cos.min() >= 1 - 1e-4)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
