"""The ``packetlens`` command: validate arguments -> one library call -> render -> exit code.

Exit codes: 0 done, 1 the packet fell under ``--fail-under`` (and nothing else), 2 bad input or
usage (one line on stderr naming the file, line or option), 3 an unexpected error (a bug: the
traceback is printed), 130 interrupted. Importing this module imports no torch, transformers or
mlflow; each command imports what it needs.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
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
    line = "line"
    github = "github"


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


def _steps(quiet: bool):  # noqa: ANN202
    """rich's progress display on stderr when stderr is a terminal and --quiet is not given; else nothing."""
    from packetlens.progress import RichProgress, Silent

    if quiet or not sys.stderr.isatty():
        return Silent()
    from rich.console import Console

    return RichProgress(Console(file=sys.stderr))  # bound now: MLflow's notes are silenced later


LabelMapOpt = Annotated[Optional[list[str]], typer.Option(
    "--label-map", help="Your values for our labels: strength:strong=promoted-quality,exceeds (repeatable; "
                        "case and spaces ignored).")]
ThresholdOpt = Annotated[Optional[list[str]], typer.Option(
    "--label-threshold", help="Numeric ratings: strength=3.5 reads ratings >= 3.5 as strong (repeatable).")]
NoCacheOpt = Annotated[bool, typer.Option("--no-cache", help="Write no bullet vector to disk (confidential text); "
                                                             "the ONNX export is still cached.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display on stderr.")]


def _reading(text_col: str, label_col: list[str] | None, label_map: list[str] | None,
             label_threshold: list[str] | None) -> dict[str, object]:
    """The keyword arguments of load_labeled/train that say how the user's files are read."""
    from packetlens.data import label_codings, parse_label_map, parse_label_thresholds, parse_label_values

    values, thresholds = parse_label_values(label_map or []), parse_label_thresholds(label_threshold or [])
    label_codings(values, thresholds)  # refuse a bad combination before reading any file
    return {"text_col": text_col, "label_cols": parse_label_map(label_col or []), "label_values": values,
            "label_thresholds": thresholds}


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


EXIT_UNEXPECTED = 3


def _run(fn):  # noqa: ANN001, ANN202
    """Run a command body: a packetlens error is one line on stderr and exit 2; anything else
    unexpected prints its traceback and exits 3, so exit 1 keeps meaning ``--fail-under``."""
    import click

    from packetlens.errors import PacketlensError

    try:
        return fn()
    except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
        raise
    except PacketlensError as e:
        raise _err(str(e)) from None
    except KeyboardInterrupt:
        raise _err("interrupted", 130) from None
    except Exception:
        import traceback

        traceback.print_exc()
        raise _err("unexpected error (a bug in packetlens: please report it with the traceback above)",
                   EXIT_UNEXPECTED) from None


PACKET_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".docx")


def _expand(paths: list[str]) -> list[str]:
    """Files as given, directories as their packet files (PACKET_SUFFIXES) in sorted order."""
    out: list[str] = []
    for p in paths:
        d = Path(p)
        if p != "-" and d.is_dir():
            found = sorted(str(f) for f in d.rglob("*") if f.is_file() and f.suffix.lower() in PACKET_SUFFIXES
                           and not any(part.startswith(".") for part in f.relative_to(d).parts))
            if not found:
                raise _err(f"{p}: is a directory with no packet files ({', '.join(PACKET_SUFFIXES)}); pass a file or another directory")
            out += found
        else:
            out.append(p)
    return out


def _ignore(option: list[str] | None, settings: dict[str, object]) -> list[str]:
    configured = settings.get("ignore", [])
    if isinstance(configured, str):
        configured = [configured]
    if not isinstance(configured, list):
        raise _err(f"[tool.packetlens] ignore = {configured!r}: use a list of codes, e.g. ignore = [\"PL101\"]")
    return [str(c) for c in configured] + list(option or [])


@app.command()
def score(
    paths: Annotated[list[str], typer.Argument(help="Packets: Markdown, text (a Google Docs or Word paste), .html or .docx files, directories of them, or - for stdin.")],
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Model directory or MLflow URI (models:/packetlens@champion). Default: the shipped model.")] = None,
    fmt: Annotated[Optional[Fmt], typer.Option("--format", "-f", help="Output format (json and html take one packet).")] = None,
    fail_under: Annotated[Optional[float], typer.Option("--fail-under", min=0, max=100, help="Exit 1 when a packet score (0-100) is below this; exit 2 when a packet has no bullets.")] = None,
    ignore: Annotated[Optional[list[str]], typer.Option("--ignore", help="Silence hints by code or name (PL101, vague-verb; repeatable or comma-separated).")] = None,
    compact: Annotated[bool, typer.Option("--compact", help="Table: one line per bullet.")] = False,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the output to this file instead of stdout.")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="ONNX export and vector cache (default ~/.cache/packetlens, or $PACKETLENS_CACHE_DIR).")] = None,
    tracking_uri: Annotated[Optional[str], typer.Option("--tracking-uri", help="MLflow store for a models:/ URI.")] = None,
    no_cache: NoCacheOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Score each bullet of one or more packets as a committee will read it."""

    def go() -> int:
        from packetlens.hints import resolve_ignore
        from packetlens.reading import read_bytes, read_stream
        from packetlens.render import render_many
        from packetlens.scorer import PacketScorer

        settings = _settings()
        model_ = model or settings.get("model")
        fmt_s = (fmt.value if fmt else None) or str(settings.get("format", "table"))
        if fmt_s not in Fmt.__members__:
            raise _err(f"[tool.packetlens] format {fmt_s!r}: use one of {', '.join(Fmt.__members__)}")
        configured = settings.get("fail_under")  # a number from 0 to 100: settings.py checks it
        under_at = fail_under if fail_under is not None else None if configured is None else float(configured)  # type: ignore[arg-type]
        files = _expand(paths)
        if len(files) > 1 and fmt_s in ("json", "html"):
            raise _err(f"--format {fmt_s} takes one packet, got {len(files)}; use jsonl, line, github, table or markdown")
        silenced = resolve_ignore(_ignore(ignore, settings))
        # one bounded read path for files, devices, pipes and stdin; the format is decided by
        # parsing.detect_format, as for library callers
        if "-" in files and sys.stdin.isatty():
            _progress("reading the packet from stdin (end it with Ctrl-D)")
        inputs = [(read_stream(sys.stdin.buffer, "<stdin>"), "<stdin>") if p == "-" else (read_bytes(Path(p)), p)
                  for p in files]
        steps = _steps(quiet)
        scorer = PacketScorer.from_pretrained(model_, cache_dir=_cache_dir(cache_dir, settings),  # type: ignore[arg-type]
                                              tracking_uri=tracking_uri or settings.get("tracking_uri"),
                                              cache_vectors=not no_cache, progress=steps)
        reports, shown = [], []
        for data, name in inputs:
            report = scorer.score_bytes(data, name=name, progress=steps, ignore=silenced)
            for w in report.warnings:
                typer.echo(f"packetlens: warning: {name}: {w}", err=True)
            if not report.bullets and under_at is None:  # under --fail-under it is the one error line below
                typer.echo(f"packetlens: {name}: no bullets found (list items, or lines of text)", err=True)
            reports.append(report)
            if report.bullets or fmt_s in ("json", "jsonl"):
                shown.append(report)
        if shown:
            _write(render_many(shown, fmt_s, color=_color(output), width=_width(), compact=compact), output)  # type: ignore[arg-type]
        if under_at is not None:
            empty = [r.path for r in reports if not r.bullets]
            if empty:
                typer.echo(f"packetlens: error: {empty[0]}: no bullets to score, so --fail-under {under_at:g} "
                           "cannot pass; add list items or lines of text, or leave the file out", err=True)
                return 2
            under = [r for r in reports if r.score < under_at]
            for r in under:
                typer.echo(f"packetlens: {r.path}: packet score {r.score:.1f} is under --fail-under {under_at:g}", err=True)
            return 1 if under else 0
        return 0

    raise typer.Exit(_run(go))


class DiffFmt(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"


@app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="The earlier version of the packet.")],
    new: Annotated[Path, typer.Argument(help="The later version of the packet.")],
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Model directory or MLflow URI. Default: the shipped model.")] = None,
    fmt: Annotated[DiffFmt, typer.Option("--format", "-f", help="Output format.")] = DiffFmt.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the output to this file instead of stdout.")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="ONNX export and vector cache.")] = None,
    tracking_uri: Annotated[Optional[str], typer.Option("--tracking-uri", help="MLflow store for a models:/ URI.")] = None,
) -> None:
    """Compare two versions of a packet: bullets matched by meaning, what improved, what regressed, the score change."""
    settings = _settings()

    def go() -> None:
        from packetlens.diffing import render_diff
        from packetlens.scorer import PacketScorer

        scorer = PacketScorer.from_pretrained(model or settings.get("model"),  # type: ignore[arg-type]
                                              cache_dir=_cache_dir(cache_dir, settings),
                                              tracking_uri=tracking_uri or settings.get("tracking_uri"))
        result = scorer.diff(old, new)
        _write(render_diff(result, fmt.value, width=_width()), output)  # type: ignore[arg-type]

    _run(go)


def _color(output: Path | None) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _width() -> int:
    """$COLUMNS when set, else the terminal's width, else 100 (output to a file or a pipe)."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    try:
        return os.get_terminal_size().columns if sys.stdout.isatty() else 100
    except OSError:
        return 100


def _write(text: str, output: Path | None) -> None:
    if output is None:
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except BrokenPipeError:  # the reader stopped early (| head): not an error of ours
            _silence_stdout()
        except OSError as e:
            raise _err(f"<stdout>: cannot write the output ({e.strerror}); pass --output FILE") from None
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise _err(f"{output}: cannot write the output ({e.strerror}); pass a writable --output") from None
    typer.echo(f"packetlens: wrote {output}", err=True)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no file descriptor behind stdout (a test runner)
        pass


@app.command()
def train(
    data: Annotated[list[Path], typer.Argument(help="Labeled JSONL, CSV or Parquet files.")],
    config: Annotated[Optional[Path], typer.Option("--config", help="A JSON or TOML file of TrainConfig settings.")] = None,
    out: Annotated[Path, typer.Option("--out", help="Where to write the model directory (atomically).")] = Path("models/custom"),
    base: Annotated[bool, typer.Option("--base/--no-base", help="Mix in the shipped labeled data and exemplar bank; heads your file does not label are trained on the shipped rows.")] = True,
    text_col: Annotated[str, typer.Option("--text-col", help="The column holding the bullet text.")] = "text",
    label_col: Annotated[Optional[list[str]], typer.Option("--label-col", help="Map a label to your column: strength=verdict (repeatable).")] = None,
    label_map: LabelMapOpt = None,
    label_threshold: ThresholdOpt = None,
    exemplars: Annotated[Optional[list[Path]], typer.Option("--exemplars", help="Extra exemplar JSONL files.")] = None,
    tracking_uri: Annotated[Optional[str], typer.Option("--tracking-uri", help=f"MLflow tracking store. Default: {DEFAULT_TRACKING_URI}.")] = None,
    experiment: Annotated[str, typer.Option("--experiment", help="MLflow experiment name.")] = "packetlens",
    register: Annotated[Optional[str], typer.Option("--register", help="Register the model under this name; the champion alias moves only if it wins the gate; an identical model reuses its version.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Move the champion alias even if the new model loses the gate.")] = False,
    track: Annotated[bool, typer.Option("--track/--no-track", help="Log the run to MLflow.")] = True,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="ONNX export and vector cache.")] = None,
    no_cache: NoCacheOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train a model on labeled rows: validate, embed, cross-validate, fit, save, log to MLflow."""

    def go() -> None:
        import datetime as dt
        from contextlib import nullcontext

        from packetlens.training import TrainConfig, base_files
        from packetlens.training import train as train_fn

        settings = _settings()
        uri = _tracking_uri(tracking_uri, settings)
        reading = _reading(text_col, label_col, label_map, label_threshold)
        if track:  # before any work: a bad store must not cost a training run or touch the model
            from packetlens.tracking import check_store

            check_store(uri)
        cfg = TrainConfig.from_file(config) if config else TrainConfig()
        now = dt.datetime.now(dt.UTC)
        if cfg.name == TrainConfig.name and cfg.version == TrainConfig.version:  # not named in a config file
            cfg = replace(cfg, name=register or out.name, version=now.strftime("%Y-%m-%d.%H%M"))
        bdata, bex = base_files() if base else ((), ())
        steps = _steps(quiet)
        run = nullcontext()
        if track:
            from packetlens.tracking import TrainingRun

            run = TrainingRun(tracking_uri=uri, experiment=experiment,
                              run_name=f"{cfg.name} {now.strftime('%Y-%m-%d %H:%M')} ({'base' if base else 'no base'})",
                              params={"files": ",".join(str(d) for d in data), "base": base, "out": str(out),
                                      "register": register or "", "config_file": str(config or ""),
                                      "text_col": text_col, "label_col": ",".join(label_col or []),
                                      "label_map": ";".join(label_map or []),
                                      "label_threshold": ";".join(label_threshold or []), "no_cache": no_cache})
        with run as active:
            result = train_fn(data, out=out, config=cfg, base_data=bdata, exemplar_files=[*bex, *(exemplars or [])],
                              cache_dir=_cache_dir(cache_dir, settings), cache_vectors=not no_cache,
                              progress=steps, **reading)  # type: ignore[arg-type]
            _print_metrics(result)
            typer.echo(f"model saved to {result.model_dir}")
            if active is not None:
                info = active.log(result, register=register, force=force, progress=steps)
                typer.echo(f"mlflow run {info.run_id} in experiment {info.experiment!r}")
                if info.version:
                    typer.echo(f"{'kept' if info.reused else 'registered'} {info.model_name} v{info.version}: {info.gate}")

    _run(go)


def _print_metrics(result) -> None:  # noqa: ANN001
    """Each head's out-of-fold figures: on the user's rows, and on all rows when base rows were mixed in."""
    from packetlens.results import HEADS

    def line(head: str, m: dict[str, object], where: str) -> str:
        return (f"{head:26s} macro-F1 {m['macro_f1']:.3f}  AUC {m['roc_auc']:.3f}  Brier {m['brier']:.3f}  "
                f"ECE {m['ece']:.3f}  (n={m['n']}, out-of-fold, {where})")

    for head in HEADS:
        m = result.metrics.get(head)
        if m is None:
            typer.echo(f"{head:26s} not trained: no row carries a {head} label")
            continue
        own = m.get("own_rows")
        if result.n_base == 0:
            typer.echo(line(head, m, "your rows"))
            continue
        typer.echo(line(head, m, "all rows"))
        typer.echo(line("", own, "your rows") if own else f"{'':26s} (your rows carry no {head} label: "
                                                          "trained on the shipped rows)")


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
    label_map: LabelMapOpt = None,
    label_threshold: ThresholdOpt = None,
    no_cache: NoCacheOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Metrics of a model on labeled data: per head, per slice, with bootstrap 95% intervals."""

    def go() -> None:
        import json

        from packetlens.data import load_labeled
        from packetlens.evaluation import evaluate as evaluate_fn
        from packetlens.evaluation import format_evaluation
        from packetlens.scorer import PacketScorer

        settings = _settings()
        uri = _tracking_uri(tracking_uri, settings)
        if log:  # before any work, as train does
            from packetlens.tracking import check_store

            check_store(uri)
        ds = load_labeled(data, **_reading(text_col, label_col, label_map, label_threshold))  # type: ignore[arg-type]
        steps = _steps(quiet)
        scorer = PacketScorer.from_pretrained(model or settings.get("model"),  # type: ignore[arg-type]
                                              cache_dir=_cache_dir(cache_dir, settings), tracking_uri=uri,
                                              cache_vectors=not no_cache, progress=steps)
        with steps.step(f"scoring {len(ds)} rows"):
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
    label_map: LabelMapOpt = None,
    label_threshold: ThresholdOpt = None,
    no_cache: NoCacheOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Rows whose labels the model disagrees with out-of-fold: suspected label errors, most suspect first."""

    def go() -> None:
        import csv
        import json

        from packetlens.data import load_labeled
        from packetlens.evaluation import audit as audit_fn

        if out.suffix.lower() not in (".csv", ".json"):
            raise _err(f"--out {out}: use a .csv or .json file")
        ds = load_labeled(data, **_reading(text_col, label_col, label_map, label_threshold))  # type: ignore[arg-type]
        flagged = audit_fn(ds, cache_dir=_cache_dir(cache_dir, _settings()), cache_vectors=not no_cache,
                           progress=_steps(quiet))
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
    model: Annotated[Optional[str], typer.Option("--model", "-m", help="Model directory or MLflow URI (models:/NAME@ALIAS). Default: the shipped model.")] = None,
    tracking_uri: Annotated[Optional[str], typer.Option("--tracking-uri", help="MLflow store for a models:/ URI.")] = None,
    cache_dir: Annotated[Optional[Path], typer.Option("--cache-dir", help="Where local copies of registered models are kept.")] = None,
) -> None:
    """Print the model card of a model."""

    def go() -> None:
        from packetlens.artifact import load_model
        from packetlens.scorer import default_model_dir

        settings = _settings()
        name = model or settings.get("model")
        if name and str(name).startswith(("models:/", "runs:/")):
            from packetlens.registry import local_model, registered_as

            directory = local_model(str(name), tracking_uri=_tracking_uri(tracking_uri, settings),
                                    cache_dir=_cache_dir(cache_dir, settings))
            reg = registered_as(directory)
            if reg is not None:
                typer.echo(f"registered model {reg.name} version {reg.version}"
                           + (f" (alias {reg.alias})" if reg.alias else "") + f", run {reg.run_id}\n")
        else:
            directory = Path(str(name)) if name else default_model_dir()
        typer.echo(load_model(directory).card)

    _run(go)


@app.command()
def rubric() -> None:
    """Print the labeling rubric: what makes a bullet weak or strong, its framing, the four moves."""
    from importlib.resources import files

    typer.echo(files("packetlens").joinpath("RUBRIC.md").read_text(encoding="utf-8"), nl=False)


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
                                              device=device.value, threads=threads, cache_vectors=False)
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
