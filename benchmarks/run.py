"""One command for every figure in the README: quality and speed, side by side, on this machine.

    .venv/bin/python benchmarks/run.py              # all (about 10 minutes on 2 cores)
    .venv/bin/python benchmarks/run.py --skip-train # keep the last 10,000-row training figures

Writes benchmarks/RESULTS.md and benchmarks/results.json, and replaces the block between the
`<!-- bench:start -->` and `<!-- bench:end -->` markers of README.md with the same tables.
Timings are medians of repeated fresh processes; memory is the peak RSS of the process.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PY = sys.executable
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))


def run_with_rss(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one fresh process.

    The RSS comes from GNU time (/usr/bin/time), not from wait4() here: Linux carries a forked
    parent's high-water mark into the child's ru_maxrss, so a big benchmark process would inflate it.
    """
    e = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    gnu_time = Path("/usr/bin/time")
    full = [str(gnu_time), "-f", "PLRSS %M", *cmd] if gnu_time.exists() else cmd
    start = time.perf_counter()
    p = subprocess.run(full, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    if p.returncode not in (0, 1):
        raise RuntimeError(f"{cmd} failed: {p.stderr[-2000:]}")
    rss = [int(x.split()[1]) for x in p.stderr.splitlines() if x.startswith("PLRSS ")]
    return wall, (rss[-1] / 1024 if rss else float("nan"))


def median_of(n: int, cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    runs = [run_with_rss(cmd, env) for _ in range(n)]
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs)


def prepare_cache() -> Path:
    """A cache dir holding only the ONNX export (no cached vectors), so every score embeds for real."""
    from packetlens.embedding import load_embedder

    base = ROOT / ".packetlens-cache"
    load_embedder(None, backend="onnx", cache_dir=base, use_vector_cache=False)
    d = Path(tempfile.mkdtemp(prefix="plbench-"))
    shutil.copytree(base / "onnx", d / "onnx")
    if (base / "weights-sha256.json").is_file():
        shutil.copy(base / "weights-sha256.json", d)
    return d


def startup(cache: Path) -> dict[str, float]:
    env = {"PACKETLENS_CACHE_DIR": str(cache)}
    out: dict[str, float] = {}
    out["help_s"], _ = median_of(7, [str(BIN / "packetlens"), "--help"])
    out["import_typer_s"], _ = median_of(7, [PY, "-c", "import typer"])
    out["import_st_s"], _ = median_of(3, [PY, "-c", "import sentence_transformers"])
    bullets = [x.strip("- ").strip() for x in (ROOT / "examples" / "packet.md").read_text().splitlines() if x.startswith("- ")]
    bullets = (bullets * 2)[:40]
    code = ("import sys; from pathlib import Path; from packetlens.embedding import load_embedder; "
            f"e = load_embedder(None, backend='onnx', cache_dir=Path({str(cache)!r}), use_vector_cache=False); "
            f"v = e.encode({bullets!r}); assert v.shape == (40, 384); assert 'torch' not in sys.modules")
    out["onnx_cold_40_s"], _ = median_of(5, [PY, "-c", code])
    runs = []
    for _ in range(5):
        (cache / "vectors.sqlite").unlink(missing_ok=True)
        runs.append(run_with_rss([str(BIN / "packetlens"), "score", str(ROOT / "examples" / "packet.md")], env))
    out["score_cold_s"] = statistics.median(r[0] for r in runs)
    out["score_cold_peak_mb"] = max(r[1] for r in runs)
    return out


def throughput(cache: Path) -> dict[str, float]:
    from packetlens.artifact import load_model
    from packetlens.embedding import load_embedder
    from packetlens.scorer import PacketScorer, default_model_dir

    rows = [json.loads(x) for x in (ROOT / "data" / "bullets.jsonl").read_text().splitlines() if x.strip()]
    texts = [r["text"] for r in rows[:2000]]
    emb = load_embedder(None, backend="onnx", cache_dir=cache, use_vector_cache=False)
    scorer = PacketScorer(load_model(default_model_dir()), emb)
    emb.encode(texts[:64])
    scorer.score(texts[:64])  # warm both
    bare, full = [], []
    for _ in range(3):
        t = time.perf_counter()
        emb.encode(texts)
        bare.append(time.perf_counter() - t)
        t = time.perf_counter()
        scorer.score(texts)
        full.append(time.perf_counter() - t)
    out = {"bare_onnx_2000_s": min(bare), "score_2000_s": min(full)}
    out["throughput_ratio"] = out["bare_onnx_2000_s"] / out["score_2000_s"]
    txt = cache / "2000.txt"
    txt.write_text("\n".join("- " + t for t in texts) + "\n")
    (cache / "vectors.sqlite").unlink(missing_ok=True)
    _, out["score_2000_cli_peak_mb"] = run_with_rss([str(BIN / "packetlens"), "score", str(txt), "-f", "jsonl"],
                                                    {"PACKETLENS_CACHE_DIR": str(cache)})
    return out


def training() -> dict[str, float]:
    rows = [json.loads(x) for x in (ROOT / "data" / "bullets.jsonl").read_text().splitlines() if x.strip()]
    big = []
    for k, tag in enumerate(["", " (H1)", " (H2)"]):  # 10,000 distinct texts from the real rows
        for r in rows:
            big.append({**r, "id": f"{r['id']}-{k}", "text": r["text"] + tag,
                        "pair_id": f"{r['pair_id']}-{k}" if r["pair_id"] else None})
    d = Path(tempfile.mkdtemp(prefix="pltrain-"))
    data = d / "rows10k.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in big[:10000]))
    embed_code = ("from pathlib import Path; from packetlens.data import load_labeled; "
                  "from packetlens.embedding import load_embedder; "
                  f"ds = load_labeled([Path({str(data)!r})]); "
                  f"load_embedder(None, backend='sentence-transformers', cache_dir=Path({str(d / 'c1')!r})).encode(ds.texts)")
    train_code = ("from pathlib import Path; from packetlens.training import TrainConfig, train; "
                  f"train([Path({str(data)!r})], out=Path({str(d / 'model')!r}), "
                  f"config=TrainConfig.from_file(Path({str(ROOT / 'training' / 'default.toml')!r})), "
                  f"cache_dir=Path({str(d / 'c2')!r}))")
    out: dict[str, float] = {}
    out["embed_10k_s"], _ = run_with_rss([PY, "-c", embed_code])
    out["train_10k_s"], out["train_10k_peak_mb"] = run_with_rss([PY, "-c", train_code])
    out["retrain_warm_10k_s"], _ = run_with_rss([PY, "-c", train_code])
    out["train_ratio"] = out["train_10k_s"] / out["embed_10k_s"]
    shutil.rmtree(d, ignore_errors=True)
    return out


def quality() -> dict[str, dict]:
    import quality as q

    return q.collect()


def tables(r: dict) -> str:
    s, t, tr, q = r.get("startup", {}), r.get("throughput", {}), r.get("training", {}), r.get("quality", {})
    lines = ["### Quality (strength)", "",
             "| | packetlens | TF-IDF + LR | kNN on MiniLM | \"has a digit\" | verb + number |", "|---|---|---|---|---|---|"]
    names = ["packetlens", "tfidf_lr", "knn_embedding", "rule_has_digit", "rule_verb_and_number"]

    def row(label: str, key: str, ci: str | None = None) -> None:
        cells = []
        for n in names:
            v = q.get(n, {}).get(key)
            c = q.get(n, {}).get(ci) if ci else None
            cells.append("n/a" if v is None else f"{v:.3f}" + (f" [{c[0]:.3f}, {c[1]:.3f}]" if c else ""))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    if q:
        row("eval: strong rewrite outscores its weak original (41 pairs)", "pairs_ordered")
        row("eval: source-weak rows scored weak (60)", "weak_rows_scored_weak")
        row("eval: source-strong rows scored strong (90)", "source_strong_rows_scored_strong")
        row("eval: macro-F1 against the sources' labels (150, 95% CI)", "macro_f1_vs_source_labels", "macro_f1_vs_source_labels_ci95")
        row("data/: out-of-fold macro-F1 (95% CI)", "oof_macro_f1_data", "oof_macro_f1_data_ci95")
        row("data/: leave-one-writer-out macro-F1", "lowo_macro_f1_data")
        row("data/ tricky rows: out-of-fold macro-F1 (95% CI)", "tricky_macro_f1", "tricky_macro_f1_ci95")
        cli = q.get("packetlens_cli", {})
        if cli:
            lines += ["", f"Through `packetlens score - --format json` on the eval texts: pairs ordered "
                          f"{cli['pairs_ordered']:.3f}, source-weak rows scored weak {cli['weak_rows_scored_weak']:.3f}."]
    heads = r.get("heads", {})
    if heads:
        goals = {"strength": "macro-F1 >= 0.90", "framing": "macro-F1 >= 0.88"}
        lines += ["", "### Every head, out-of-fold on data/ (the shipped model's `metrics.json`)", "",
                  "Pair-grouped 5-fold CV by `training/train_default.py`; probabilities after Platt calibration, "
                  "decisions at 0.5. Positive-class F1 is the F1 of `strong`, `system` or the move being present.", "",
                  "| head | macro-F1 | positive-class F1 | ROC AUC | ECE | C | goal |", "|---|---|---|---|---|---|---|"]
        for h, m in heads.items():
            goal = goals.get(h, "F1 >= 0.75") + ", ECE <= 0.05"
            lines.append(f"| {h} | {m['macro_f1']:.3f} | {m['f1_positive']:.3f} | {m['roc_auc']:.3f} | {m['ece']:.3f} | "
                         f"{m['C']:g} | {goal} |")
    lines += ["", "### Speed and memory (2 cores, no GPU)", "", "| measure | packetlens | reference | ratio | goal |", "|---|---|---|---|---|"]
    if s:
        lines.append(f"| `packetlens --help` vs `python -c \"import typer\"` | {s['help_s']:.3f} s | {s['import_typer_s']:.3f} s | "
                     f"{s['help_s'] / s['import_typer_s']:.2f}x | < 2x |")
        lines.append(f"| cold ONNX embedder start + 40 bullets vs `import sentence_transformers` | {s['onnx_cold_40_s']:.2f} s | "
                     f"{s['import_st_s']:.2f} s | {s['onnx_cold_40_s'] / s['import_st_s']:.3f}x | < 0.15x |")
        lines.append(f"| cold `packetlens score examples/packet.md` (table) vs `import sentence_transformers` | {s['score_cold_s']:.2f} s | "
                     f"{s['import_st_s']:.2f} s | {s['score_cold_s'] / s['import_st_s']:.3f}x | <= 0.2x |")
        lines.append(f"| peak memory, cold score of the example packet | {s['score_cold_peak_mb']:.0f} MB | | | <= 400 MB |")
    if t:
        lines.append(f"| scoring 2,000 bullets vs the bare ONNX encoder (throughput) | {t['score_2000_s']:.2f} s | "
                     f"{t['bare_onnx_2000_s']:.2f} s | {t['throughput_ratio']:.2f}x | >= 0.9x |")
        lines.append(f"| peak memory, `packetlens score` of 2,000 bullets | {t['score_2000_cli_peak_mb']:.0f} MB | | | <= 400 MB |")
    if tr:
        lines.append(f"| training on 10,000 rows vs embedding them alone | {tr['train_10k_s']:.1f} s | {tr['embed_10k_s']:.1f} s | "
                     f"{tr['train_ratio']:.2f}x | <= 1.3x |")
        lines.append(f"| retrain on the same 10,000 rows, vector cache warm (fresh process, no MLflow) | {tr['retrain_warm_10k_s']:.1f} s | | | <= 10 s |")
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--skip-quality", action="store_true")
    args = ap.parse_args()
    cache = prepare_cache()
    results: dict[str, object] = {"date": time.strftime("%Y-%m-%d"), "machine": f"{os.cpu_count()} cores"}
    previous = ROOT / "benchmarks" / "results.json"
    if previous.is_file():  # a skipped section keeps its last measured figures
        old = json.loads(previous.read_text())
        results.update({k: old[k] for k in ("quality", "training") if k in old})
    shipped = json.loads((ROOT / "models" / "default" / "metrics.json").read_text())
    results["heads"] = {h: {k: m[k] for k in ("macro_f1", "f1_positive", "roc_auc", "ece", "C")} for h, m in shipped.items()}
    if not args.skip_quality:
        print("quality ...", file=sys.stderr)
        results["quality"] = quality()
    print("startup ...", file=sys.stderr)
    results["startup"] = startup(cache)
    print("throughput ...", file=sys.stderr)
    results["throughput"] = throughput(cache)
    if not args.skip_train:
        print("training (10,000 rows) ...", file=sys.stderr)
        results["training"] = training()
    shutil.rmtree(cache, ignore_errors=True)
    md = tables(results)
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    results_md = ROOT / "benchmarks" / "RESULTS.md"
    # keep the block benchmarks/spark_batch.py writes (a separate, longer run)
    kept = re.search(r"<!-- spark-batch:start -->.*?<!-- spark-batch:end -->", results_md.read_text(), flags=re.S) \
        if results_md.exists() else None
    results_md.write_text(
        f"# Benchmark results ({results['date']}, {results['machine']})\n\nMade by `.venv/bin/python benchmarks/run.py`.\n\n"
        + md + ("\n" + kept.group(0) + "\n" if kept else ""))
    readme = (ROOT / "README.md").read_text()
    block = f"<!-- bench:start -->\n_Measured {results['date']} by `.venv/bin/python benchmarks/run.py`._\n\n{md}<!-- bench:end -->"
    if "<!-- bench:start -->" in readme:
        readme = re.sub(r"<!-- bench:start -->.*?<!-- bench:end -->", lambda _m: block, readme, flags=re.S)
        (ROOT / "README.md").write_text(readme)
    print(md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
