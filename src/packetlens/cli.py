"""The ``packetlens`` command: validate arguments -> one library call -> render -> exit code.

Exit codes: 0 done, 1 the packet fell under ``--fail-under``, 2 bad input or usage (one line on
stderr naming the file, line or option). Importing this module imports no torch, transformers or
mlflow; each command imports what it needs.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from packetlens import __version__
from packetlens.settings import DEFAULT_TRACKING_URI, find_settings

app = typer.Typer(
    help="packetlens: how a calibration committee will read each bullet of a promotion packet.",
    rich_markup_mode=None, pretty_exceptions_enable=False, add_completion=False,
    no_args_is_help=True, context_settings={"help_option_names": ["-h", "--help"]},
)


class Fmt(str, Enum):
    table = "table"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"
    html = "html"


class EvalFmt(str, Enum):
    table = "table"
    json = "json"


def _err(msg: str, code: int = 2) -> typer.Exit:
    typer.echo(f"packetlens: error: {msg}", err=True)
    return typer.Exit(code)


def _settings() -> dict[str, object]:
    """``[tool.packetlens]`` of the nearest pyproject.toml: defaults under every command's options."""
    return _run(lambda: find_settings(Path.cwd()))[0]


def _cache_dir(option: Path | None, settings: dict[str, object]) -> Path | None:
    """--cache-dir, else $PACKETLENS_CACHE_DIR, else [tool.packetlens] cache_dir, else the default."""
    configured = option or os.environ.get("PACKETLENS_CACHE_DIR") or settings.get("cache_dir")
    return Path(str(configured)) if configured else None


def _tracking_uri(option: str | None, settings: dict[str, object]) -> str:
    return option or str(settings.get("tracking_uri") or DEFAULT_TRACKING_URI)


def _progress(msg: str) -> None:
    typer.echo(f"packetlens: {msg}", err=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"packetlens {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """packetlens: how a calibration committee will read each bullet of a promotion packet."""


def _run(fn):  # noqa: ANN001, ANN202
    """Turn every packetlens error into one line on stderr and exit code 2."""
    from packetlens.errors import PacketlensError

    try:
        return fn()
    except PacketlensError as e:
        raise _err(str(e)) from None
    except KeyboardInterrupt:
        raise _err("interrupted", 130) from None


@app.command()
def score(
    path: Annotated[str, typer.Argument(help="The packet: Markdown or plain text, or - for stdin.")],
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Model directory or MLflow URI (models:/packetlens@champion). Default: the shipped model.")] = None,
    fmt: Annotated[Optional[Fmt], typer.Option("--format", "-f", help="Output format.")] = None,
    fail_under: Annotated[Optional[float], typer.Option("--fail-under", min=0, max=100, help="Exit 1 when the packet score (0-100) is below this.")] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the output to this file instead of stdout.")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="ONNX export and vector cache (default ~/.cache/packetlens, or $PACKETLENS_CACHE_DIR).")] = None,
    tracking_uri: Annotated[Optional[str], typer.Option("--tracking-uri", help="MLflow store for a models:/ URI.")] = None,
) -> None:
    """Score each bullet of a packet as a committee will read it."""
    settings = _settings()
    model = model or settings.get("model")  # type: ignore[assignment]
    fmt_s = (fmt.value if fmt else None) or str(settings.get("format", "table"))
    if fmt_s not in Fmt.__members__:
        raise _err(f"[tool.packetlens] format {fmt_s!r}: use one of {', '.join(Fmt.__members__)}")
    if fail_under is None and "fail_under" in settings:
        fail_under = float(settings["fail_under"])  # type: ignore[arg-type]

    def go() -> int:
        from packetlens.reading import decode_text, read_text_file
        from packetlens.scorer import PacketScorer

        if path == "-":
            text, name = decode_text(sys.stdin.buffer.read(), "<stdin>"), "<stdin>"
        else:
            text, name = read_text_file(Path(path)), path
        scorer = PacketScorer.from_pretrained(model, cache_dir=_cache_dir(cache_dir, settings),
                                              tracking_uri=tracking_uri or settings.get("tracking_uri"))
        fmt_hint = "markdown" if name.lower().endswith((".md", ".markdown")) else "auto"
        report = scorer.score_packet(text, fmt=fmt_hint, name=name)  # type: ignore[arg-type]
        for w in report.warnings:
            typer.echo(f"packetlens: warning: {w}", err=True)
        if not report.bullets:
            typer.echo(f"packetlens: {name}: no bullets found (list items, or lines of text)", err=True)
            if fmt_s in ("json", "jsonl"):
                _write(render_report(report, fmt_s), output)
            return 0
        _write(render_report(report, fmt_s), output)
        if fail_under is not None and report.score < fail_under:
            typer.echo(f"packetlens: packet score {report.score:.1f} is under --fail-under {fail_under:g}", err=True)
            return 1
        return 0

    raise typer.Exit(_run(go))


def render_report(report, fmt_s: str) -> str:  # noqa: ANN001
    from packetlens.render import render

    color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    try:
        width = os.get_terminal_size().columns if sys.stdout.isatty() else 120
    except OSError:
        width = 120
    return render(report, fmt_s, color=color, width=width)  # type: ignore[arg-type]


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise _err(f"{output}: cannot write the output ({e.strerror}); pass a writable --output") from None
    typer.echo(f"packetlens: wrote {output}", err=True)


@app.command()
def train(
    data: Annotated[list[Path], typer.Argument(help="Labeled JSONL, CSV or Parquet files.")],
    config: Annotated[Optional[Path], typer.Option("--config", help="A JSON or TOML file of TrainConfig settings.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Where to write the model directory (atomically).")] = Path("models/custom"),
    base: Annotated[bool, typer.Option("--base/--no-base", help="Mix in the shipped labeled data and exemplar bank.")] = True,
    text_col: Annotated[str, typer.Option("--text-col", help="The column holding the bullet text.")] = "text",
    label_col: Annotated[Optional[list[str]], typer.Option("--label-col", help="Map a label to your column: strength=verdict (repeatable).")] = None,
    exemplars: Annotated[Optional[list[Path]], typer.Option("--exemplars", help="Extra exemplar JSONL files.")] = None,
    tracking_uri: Annotated[Optional[str], typer.Option("--tracking-uri", help=f"MLflow tracking store. Default: {DEFAULT_TRACKING_URI}.")] = None,
    experiment: Annotated[str, typer.Option("--experiment", help="MLflow experiment name.")] = "packetlens",
    register: Annotated[Optional[str], typer.Option("--register", help="Register the model under this name; the champion alias moves only if it wins the gate.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Move the champion alias even if the new model loses the gate.")] = False,
    track: Annotated[bool, typer.Option("--track/--no-track", help="Log the run to MLflow.")] = True,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="ONNX export and vector cache.")] = None,
) -> None:
    """Train a model on labeled rows: validate, embed, cross-validate, fit, save, log to MLflow."""

    def go() -> None:
        from packetlens.data import parse_label_map
        from packetlens.training import TrainConfig, base_files
        from packetlens.training import train as train_fn

        settings = _settings()
        uri = _tracking_uri(tracking_uri, settings)
        if track:  # before any work: a bad store must not cost a training run or touch the model
            from packetlens.tracking import check_store

            check_store(uri)
        cfg = TrainConfig.from_file(config) if config else TrainConfig()
        bdata, bex = base_files() if base else ((), ())
        result = train_fn(data, out=out, config=cfg, base_data=bdata, exemplar_files=[*bex, *(exemplars or [])],
                          cache_dir=_cache_dir(cache_dir, settings), text_col=text_col,
                          label_cols=parse_label_map(label_col or []), progress=_progress)
        for head, m in result.metrics.items():
            typer.echo(f"{head:26s} macro-F1 {m['macro_f1']:.3f}  AUC {m['roc_auc']:.3f}  "
                       f"Brier {m['brier']:.3f}  ECE {m['ece']:.3f}  (n={m['n']}, out-of-fold)")
        typer.echo(f"model saved to {result.model_dir}")
        if track:
            from packetlens.tracking import log_training

            _progress(f"logging the run to {uri}")
            info = log_training(result, tracking_uri=uri, experiment=experiment,
                                register=register, force=force)
            typer.echo(f"mlflow run {info.run_id} in experiment {info.experiment!r}")
            if info.version:
                typer.echo(f"registered {info.model_name} v{info.version}: {info.gate}")

    _run(go)


@app.command()
def evaluate(
    data: Annotated[list[Path], typer.Argument(help="Labeled JSONL, CSV or Parquet files.")],
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Model directory or MLflow URI. Default: the shipped model.")] = None,
    fmt: Annotated[EvalFmt, typer.Option("--format", "-f", help="Output format.")] = EvalFmt.table,
    text_col: Annotated[str, typer.Option("--text-col", help="The column holding the bullet text.")] = "text",
    label_col: Annotated[Optional[list[str]], typer.Option("--label-col", help="Map a label to your column: strength=verdict.")] = None,
    log: Annotated[bool, typer.Option("--log", help="Record the evaluation as an MLflow run.")] = False,
    tracking_uri: Annotated[Optional[str], typer.Option("--tracking-uri", help=f"MLflow tracking store. Default: {DEFAULT_TRACKING_URI}.")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="ONNX export and vector cache.")] = None,
    by: Annotated[Optional[list[str]], typer.Option("--by", help="Slice by a column of the data (repeatable), e.g. --by category --by voice.")] = None,
) -> None:
    """Metrics of a model on labeled data: per head, per slice, with bootstrap 95% intervals."""

    def go() -> None:
        import json

        from packetlens.data import load_labeled, parse_label_map
        from packetlens.evaluation import evaluate as evaluate_fn
        from packetlens.evaluation import format_evaluation
        from packetlens.scorer import PacketScorer

        settings = _settings()
        uri = _tracking_uri(tracking_uri, settings)
        ds = load_labeled(data, text_col=text_col, label_cols=parse_label_map(label_col or []))
        scorer = PacketScorer.from_pretrained(model or settings.get("model"),  # type: ignore[arg-type]
                                              cache_dir=_cache_dir(cache_dir, settings), tracking_uri=uri)
        report = evaluate_fn(scorer, ds, by=by)
        typer.echo(json.dumps(report, indent=2) if fmt == EvalFmt.json else format_evaluation(report), nl=False)
        if log:
            from packetlens.tracking import log_evaluation

            run_id = log_evaluation(report, data=[str(d) for d in data], data_hash=ds.content_hash(),
                                    tracking_uri=uri)
            _progress(f"logged evaluation run {run_id}")

    _run(go)


@app.command()
def audit(
    data: Annotated[list[Path], typer.Argument(help="Labeled JSONL, CSV or Parquet files.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Write the flagged rows here (.csv or .json).")] = Path("audit.csv"),
    text_col: Annotated[str, typer.Option("--text-col", help="The column holding the bullet text.")] = "text",
    label_col: Annotated[Optional[list[str]], typer.Option("--label-col", help="Map a label to your column: strength=verdict.")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="ONNX export and vector cache.")] = None,
) -> None:
    """Rows whose labels the model disagrees with out-of-fold: suspected label errors, most suspect first."""

    def go() -> None:
        import csv
        import json

        from packetlens.data import load_labeled, parse_label_map
        from packetlens.evaluation import audit as audit_fn

        if out.suffix.lower() not in (".csv", ".json"):
            raise _err(f"--out {out}: use a .csv or .json file")
        ds = load_labeled(data, text_col=text_col, label_cols=parse_label_map(label_col or []))
        flagged = audit_fn(ds, cache_dir=_cache_dir(cache_dir, _settings()))
        try:
            if out.suffix.lower() == ".json":
                out.write_text(json.dumps(flagged, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            else:
                with out.open("w", newline="", encoding="utf-8") as f:
                    w = csv.DictWriter(f, fieldnames=["rank", "head", "id", "given", "suggested", "p_given", "text"])
                    w.writeheader()
                    w.writerows(flagged)
        except OSError as e:
            raise _err(f"{out}: cannot write ({e.strerror}); pass a writable --out") from None
        n_rows = len({r["id"] for r in flagged})
        typer.echo(f"{len(flagged)} suspected label issues on {n_rows} of {len(ds)} rows "
                   f"({n_rows / max(len(ds), 1):.1%}); written to {out}")

    _run(go)


@app.command()
def info(
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Model directory. Default: the shipped model.")] = None,
) -> None:
    """Print the model card of a model."""

    def go() -> None:
        from packetlens.artifact import load_model
        from packetlens.scorer import default_model_dir

        typer.echo(load_model(Path(model) if model else default_model_dir()).card)

    _run(go)


class BatchFmt(str, Enum):
    jsonl = "jsonl"
    parquet = "parquet"


class BatchRows(str, Enum):
    bullets = "bullets"
    packets = "packets"


class DeviceOpt(str, Enum):
    cpu = "cpu"
    cuda = "cuda"
    auto = "auto"


@app.command("score-batch")
def score_batch(
    inputs: Annotated[list[Path], typer.Argument(help="JSONL/Parquet tables (a 'text' column of bullets, or a 'packet' column with 'packet_id'), packet files, or directories of them.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write here (.jsonl or .parquet) instead of JSONL on stdout.")] = None,
    fmt: Annotated[Optional[BatchFmt], typer.Option("--format", "-f", help="Output format. Default: from --output's suffix, else jsonl.")] = None,
    rows: Annotated[BatchRows, typer.Option("--rows", help="One row per bullet, or one summary row per packet (packet inputs).")] = BatchRows.bullets,
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Model directory or MLflow URI. Default: the shipped model.")] = None,
    text_col: Annotated[str, typer.Option("--text-col", help="The bullet column of bullet tables.")] = "text",
    id_col: Annotated[str, typer.Option("--id-col", help="An id column of bullet tables, copied to each row's 'id'.")] = "id",
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, help="Rows read, scored and written at a time (bounds memory).")] = 1024,
    device: Annotated[DeviceOpt, typer.Option("--device", help="Embed on the CPU, a CUDA GPU, or a GPU when there is one.")] = DeviceOpt.cpu,
    threads: Annotated[Optional[int], typer.Option("--threads", min=1, help="onnxruntime threads. Default: every core.")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="Where the ONNX export lives (default ~/.cache/packetlens, or $PACKETLENS_CACHE_DIR).")] = None,
    tracking_uri: Annotated[Optional[str], typer.Option("--tracking-uri", help="MLflow store for a models:/ URI.")] = None,
) -> None:
    """Score a whole organisation on one machine: tables or directories in, JSONL or Parquet rows out, in chunks."""

    def go() -> None:
        from packetlens.batch import score_batch as score_batch_fn
        from packetlens.scorer import PacketScorer

        settings = _settings()
        fmt_s = fmt.value if fmt else ("parquet" if output and output.suffix.lower() == ".parquet" else "jsonl")
        if fmt_s == "parquet" and output is None:
            raise _err("--format parquet needs --output FILE.parquet")
        scorer = PacketScorer.from_pretrained(model or settings.get("model"),  # type: ignore[arg-type]
                                              cache_dir=_cache_dir(cache_dir, settings),
                                              tracking_uri=tracking_uri or settings.get("tracking_uri"),  # type: ignore[arg-type]
                                              device=device.value, threads=threads, vector_cache=False)
        every = [0.0]

        def progress(st) -> None:  # noqa: ANN001
            if st.seconds - every[0] >= 10:
                every[0] = st.seconds
                _progress(f"{st.n_bullets:,} bullets, {st.n_rows:,} rows ({st.bullets_per_second:.0f} bullets/s)")

        try:
            stats = score_batch_fn(scorer, inputs, output, fmt=fmt_s, output=rows.value,  # type: ignore[arg-type]
                                   text_col=text_col, id_col=id_col, chunk_size=chunk_size, progress=progress)
        except BrokenPipeError:  # `score-batch ... | head`: the reader is done; so are we
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        except OSError as e:
            raise _err(f"{output}: cannot write the output ({e.strerror}); pass a writable --output") from None
        _progress(f"scored {stats.n_bullets:,} bullets ({stats.n_packets:,} packets) into {stats.n_rows:,} rows "
                  f"in {stats.seconds:.1f} s ({stats.bullets_per_second:.0f} bullets/s)"
                  + (f"; wrote {output}" if output else ""))

    _run(go)


def main() -> None:
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
