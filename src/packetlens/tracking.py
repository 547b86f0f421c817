"""MLflow: log a training run, register it, move the ``champion`` alias through an evaluation gate.

The only module that imports mlflow (lazily, inside functions).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import tempfile
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from packetlens.errors import TrackingError
from packetlens.settings import DEFAULT_TRACKING_URI
CHAMPION = "champion"


@dataclass(frozen=True)
class TrackingInfo:
    """Where a run landed and what the gate decided."""

    run_id: str
    experiment: str
    model_name: str | None = None
    version: str | None = None
    champion: bool = False
    gate: str = ""
    reused: bool = False  # the registered version already held this model (same data and settings)


STORE_TIMEOUT_S = 5.0
"""How long :func:`check_store` waits for a tracking server to answer."""
_FIX = "pass --tracking-uri sqlite:///WRITABLE/DIR/mlflow.db, or --no-track"
_SERVER_SCHEMES = {"postgresql", "mysql", "mssql", "databricks", "databricks-uc", "uc"}


def check_store(tracking_uri: str, *, timeout: float = STORE_TIMEOUT_S) -> None:
    """Fail early (before any training) when the tracking store cannot be used. Imports no mlflow.

    A local SQLite file must be writable and be a SQLite database (or not exist yet); a local
    directory store is refused (MLflow 3 opens one only with ``MLFLOW_ALLOW_FILE_STORE=true``,
    and then it must be a writable directory); an ``http(s)://`` server must answer within
    ``timeout`` seconds; any other scheme MLflow does not know is refused.

    Raises:
        TrackingError: naming the store and the fix.
    """
    from urllib.parse import urlparse

    scheme = urlparse(tracking_uri).scheme.lower()
    if tracking_uri.startswith("sqlite:///"):
        _check_local(Path(tracking_uri[len("sqlite:///"):]), sqlite=True)
    elif scheme in ("http", "https"):
        _check_server(tracking_uri, timeout)
    elif scheme == "file" or len(scheme) <= 1:  # a path (one letter: a Windows drive)
        path = Path(urlparse(tracking_uri).path if scheme == "file" else tracking_uri)
        if os.environ.get("MLFLOW_ALLOW_FILE_STORE", "").lower() not in ("true", "1"):
            # MLflow 3 refuses a directory store unless told otherwise: say so now, not after training
            raise TrackingError(f"{tracking_uri}: MLflow no longer opens a directory as a tracking store; "
                                f"use --tracking-uri sqlite:///{path / 'mlflow.db'} (or set "
                                "MLFLOW_ALLOW_FILE_STORE=true), or --no-track")
        _check_local(path, sqlite=False)
    elif scheme not in _SERVER_SCHEMES:
        raise TrackingError(f"{tracking_uri}: not a tracking store MLflow knows (scheme {scheme!r}); use "
                            f"sqlite:///PATH/mlflow.db, a directory, or http(s)://HOST:PORT; {_FIX}")


def _check_local(path: Path, *, sqlite: bool) -> None:
    directory = path.parent if sqlite else path
    try:
        if sqlite and path.is_dir():
            raise TrackingError(f"{path}: is a directory, not an SQLite file; {_FIX}")
        if not sqlite and path.exists() and not path.is_dir():
            raise TrackingError(f"{path}: is a file, not a directory store; {_FIX}")
        directory.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=directory, delete=True)  # noqa: SIM115
        probe.close()
        if sqlite and path.exists():
            if not os.access(path, os.W_OK):
                raise PermissionError(13, "permission denied")
            with path.open("rb") as f:
                head = f.read(16)
            if head and head != b"SQLite format 3\x00":
                raise TrackingError(f"{path}: is not an SQLite database; {_FIX}")
    except OSError as e:
        raise TrackingError(f"{path}: the tracking store is not writable ({e.strerror or e}); {_FIX}") from e


def _check_server(tracking_uri: str, timeout: float) -> None:
    """Any HTTP answer (even an error status) means a server is there; no answer is refused."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(tracking_uri.rstrip("/") + "/health", timeout=timeout):  # noqa: S310
            pass
    except urllib.error.HTTPError:
        pass
    except Exception as e:  # URLError, timeouts, refused or blocked connections
        reason = getattr(e, "reason", None) or e
        raise TrackingError(f"{tracking_uri}: no tracking server answered within {timeout:g} s ({reason}); "
                            f"start it or {_FIX}") from e


@contextmanager
def _store_lock(tracking_uri: str) -> Iterator[None]:
    """Hold an exclusive lock on a local SQLite store's ``.lock`` file (elsewhere: nothing).

    MLflow creates a new store's tables the first time it opens it; two processes doing that at
    once fail with "table already exists" after their training is done. The lock is a file of its
    own (``mlflow.db.lock``, empty): closing any descriptor of the database file itself would drop
    the POSIX locks SQLite holds on it in this process.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Windows; create-then-retry still applies
        yield
        return
    if not tracking_uri.startswith("sqlite:///"):
        yield
        return
    db = Path(tracking_uri[len("sqlite:///"):])
    try:
        f = open(db.with_name(db.name + ".lock"), "a")  # noqa: SIM115
    except OSError:  # a read-only store (reading a registered model) has nothing to initialise
        yield
        return
    with f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _open_store(mlflow, tracking_uri: str) -> None:  # noqa: ANN001
    """Create the store's tables (tracking and registry), one process at a time, retrying once."""
    from mlflow import MlflowClient

    for attempt in (1, 2):
        try:
            with _store_lock(tracking_uri):
                client = MlflowClient(tracking_uri)
                client.search_experiments(max_results=1)
                client.search_registered_models(max_results=1)
            return
        except Exception as e:
            if attempt == 2:
                raise TrackingError(f"{tracking_uri}: cannot open the tracking store ({_first_line(e)}); "
                                    f"{_FIX}") from e


def _experiment_id(mlflow, experiment: str, tracking_uri: str) -> str:  # noqa: ANN001
    """The id of ``experiment`` in the store, created (artifacts beside the store) if missing.

    Two processes may both find it missing: the one whose create fails reads the other's.
    """
    try:
        exp = mlflow.get_experiment_by_name(experiment)
        if exp:
            return exp.experiment_id
        try:
            return mlflow.create_experiment(experiment, artifact_location=_artifact_location(tracking_uri))
        except Exception:
            exp = mlflow.get_experiment_by_name(experiment)
            if exp is None:
                raise
            return exp.experiment_id
    except Exception as e:
        raise TrackingError(f"{tracking_uri}: cannot open the tracking store ({_first_line(e)}); "
                            "pass a writable --tracking-uri") from e


def _first_line(e: BaseException) -> str:
    return str(e).splitlines()[0][:160] if str(e).strip() else type(e).__name__


def _mlflow(tracking_uri: str):
    check_store(tracking_uri)
    from packetlens.offline import stay_offline

    stay_offline()  # no telemetry
    # a server that stops answering fails in about a minute, not after MLflow's 7 retries of 120 s
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
    import mlflow

    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    mlflow.set_tracking_uri(tracking_uri)
    _open_store(mlflow, tracking_uri)
    return mlflow


def _artifact_location(tracking_uri: str) -> str | None:
    """Artifacts beside the SQLite store (mlruns/artifacts), not in the working directory."""
    if tracking_uri.startswith("sqlite:///"):
        return (Path(tracking_uri[len("sqlite:///"):]).parent.resolve() / "artifacts").as_uri()
    return None


def _head_figure(result, head: str):  # noqa: ANN001
    """One head's out-of-fold confusion matrix (numbers legible on any cell) beside its reliability diagram."""
    import matplotlib.pyplot as plt

    from packetlens.artifact import HEAD_LABELS
    from packetlens.metrics import confusion, reliability

    fig, (ax_cm, ax_rel) = plt.subplots(1, 2, figsize=(9, 4))
    if head not in result.oof:
        for ax in (ax_cm, ax_rel):
            ax.axis("off")
        fig.suptitle(f"{head}: not trained (no row carried a {head} label)")
        return fig
    idx, p = result.oof[head]
    y = np.array([result.dataset.labels_for(head)[i] for i in idx])
    pos, neg = HEAD_LABELS[head]
    cm = np.array(confusion(y, p >= 0.5))
    ax_cm.imshow(cm, cmap="Blues", vmin=0, vmax=max(int(cm.max()), 1))
    for (i, j), v in np.ndenumerate(cm):  # white on dark cells, black on light ones
        ax_cm.text(j, i, f"{v}\n({v / max(cm.sum(), 1):.0%})", ha="center", va="center", fontsize=13,
                   fontweight="bold", color="white" if v > cm.max() / 2 else "black")
    ticks = [neg[:14], pos[:14]]
    ax_cm.set_xticks([0, 1], ticks)
    ax_cm.set_yticks([0, 1], ticks)
    ax_cm.set_xlabel("predicted (out-of-fold)")
    ax_cm.set_ylabel("label")
    ax_cm.set_title(f"confusion, n={len(y)}")
    ax_rel.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label="perfectly calibrated")
    curves = [("all rows", np.ones(len(idx), bool))]
    own = idx >= result.n_base
    if result.n_base and own.any():
        curves.append(("your rows", own))
    for label, mask in curves:
        bins = reliability(y[mask], p[mask])
        ax_rel.plot([b["mean_p"] for b in bins], [b["observed"] for b in bins], "o-",
                    label=f"{label} (n={int(mask.sum())})")
    ax_rel.set_xlim(0, 1)
    ax_rel.set_ylim(0, 1)
    ax_rel.set_xlabel(f"predicted P({pos[:20]}) (out-of-fold)")
    ax_rel.set_ylabel("observed rate")
    ax_rel.set_title("reliability")
    ax_rel.legend(loc="upper left", fontsize=8)
    fig.suptitle(head)
    fig.tight_layout()
    return fig


def _log_figures(mlflow, result) -> None:  # noqa: ANN001
    """``plots/<head>.png`` for all six heads (a head the model lacks says so)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from packetlens.results import HEADS

    for head in HEADS:
        fig = _head_figure(result, head)
        mlflow.log_figure(fig, f"plots/{head}.png")
        plt.close(fig)


def config_sha256(result) -> str:  # noqa: ANN001
    """A hash of what besides the rows makes the model: the settings (not its name) and the embedding."""
    from dataclasses import asdict

    cfg = {k: v for k, v in asdict(result.config).items() if k not in ("name", "version")}
    raw = json.dumps([cfg, result.model.embedding.key], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def _numeric(prefix: str, m: dict[str, object]) -> dict[str, float]:
    return {f"{prefix}{k}": float(v) for k, v in m.items()  # type: ignore[arg-type]
            if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v}


class TrainingRun:
    """An MLflow run opened before training and closed after it: FINISHED with the model, or
    FAILED with the error (tag ``error``) when training raises.

    The run is created in a background thread (importing mlflow and opening a fresh store take
    seconds that would otherwise come before the first row is embedded); its start time is the
    moment the ``with`` block is entered.

    Example::

        >>> with TrainingRun(tracking_uri=uri, experiment="packetlens", run_name="acme",
        ...                  params={"files": "acme.csv"}) as run:          # doctest: +SKIP
        ...     result = train([Path("acme.csv")], out=Path("models/acme"))
        ...     info = run.log(result, register="acme")
    """

    def __init__(self, *, tracking_uri: str = DEFAULT_TRACKING_URI, experiment: str = "packetlens",
                 run_name: str | None = None, params: dict[str, object] | None = None) -> None:
        self.tracking_uri, self.experiment, self.run_name = tracking_uri, experiment, run_name
        self.params = dict(params or {})
        self._run_id = ""
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _open(self, start_ms: int) -> None:
        try:
            from mlflow import MlflowClient
            from mlflow.entities import Param

            self._mlflow = _mlflow(self.tracking_uri)
            exp_id = _experiment_id(self._mlflow, self.experiment, self.tracking_uri)
            client = MlflowClient()
            run = client.create_run(exp_id, start_time=start_ms, run_name=self.run_name)
            self._run_id = run.info.run_id
            if self.params:
                client.log_batch(self._run_id, params=[Param(k, str(v)[:490]) for k, v in self.params.items()])
        except BaseException as e:  # re-raised in the caller's thread
            self._error = e

    @property
    def run_id(self) -> str:
        self._wait()
        return self._run_id

    def _wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error

    def __enter__(self) -> TrainingRun:
        import time

        self._thread = threading.Thread(target=self._open, args=(int(time.time() * 1000),), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        from mlflow import MlflowClient

        if self._thread is not None:
            self._thread.join()
        if self._error is not None:  # no run was opened: the store's error, unless training failed first
            if exc is None:
                raise self._error
            return
        client = MlflowClient()
        if exc is None:
            client.set_terminated(self._run_id, "FINISHED")
            return
        try:
            client.set_tag(self._run_id, "error", f"{exc_type.__name__}: {exc}"[:4900])
        finally:
            client.set_terminated(self._run_id, "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")

    def log(self, result, *, register: str | None = None, force: bool = False,  # noqa: ANN001
            progress=None) -> TrackingInfo:  # noqa: ANN001
        """Log a :class:`~packetlens.training.TrainResult` (saved to disk) into this run, and register it.

        Logs params, the training data as inputs (digest: its hash), per-head metrics on all rows
        and on the user's rows (``own.<head>.<metric>``), a plot per head, the model directory and
        a pyfunc model. With ``register``: an identical model (same data hash and config as a
        registered version) reuses that version; otherwise a new version is registered and the
        ``champion`` alias moves only when the gate allows (or with ``force``).
        """
        if result.model_dir is None:
            raise TrackingError("the model must be saved (pass out=...) before it is logged")
        from packetlens.progress import as_progress

        self._wait()
        mlflow = self._mlflow
        with warnings.catch_warnings(), _quiet_stderr():
            warnings.simplefilter("ignore")  # MLflow's advice on type hints and colour codes
            with as_progress(progress).step("logging the run to MLflow"):
                with mlflow.start_run(run_id=self._run_id):  # resumed in this thread for the fluent API
                    _log_result(mlflow, result)
                    info = _log_pyfunc(mlflow, result)
                client = mlflow.MlflowClient()
                client.update_run(self._run_id, status="RUNNING")  # still open: registration may fail
            if not register:
                return TrackingInfo(self._run_id, self.experiment)
            return _register(mlflow, self._run_id, info.model_uri, self.experiment, register, result, force,
                             self.tracking_uri, progress)


@contextlib.contextmanager
def _quiet_stderr():  # noqa: ANN202
    """MLflow prints "Successfully registered model ..." and similar notes straight to stderr."""
    with contextlib.redirect_stderr(io.StringIO()):
        yield


def _log_pyfunc(mlflow, result):  # noqa: ANN001, ANN202
    """The pyfunc model with its signature (mlflow_pyfunc.py), as `mlflow models serve` and
    `mlflow.pyfunc.spark_udf` read it."""
    return mlflow.pyfunc.log_model(name="model", **_pyfunc_kwargs(result.model_dir))


def _log_result(mlflow, result) -> None:  # noqa: ANN001
    from mlflow.data.dataset_source_registry import resolve_dataset_source
    from mlflow.data.meta_dataset import MetaDataset

    mlflow.log_params({k: (str(v)[:490]) for k, v in result.params.items()})
    mlflow.set_tags({"training_data_sha256": result.data_hash, "train_config_sha256": config_sha256(result),
                     "embedding": result.model.embedding.key})
    user_files = sorted({s for s in result.dataset.sources[result.n_base:]}) or ["(in memory)"]
    base_files = sorted({s for s in result.dataset.sources[:result.n_base]})
    for context, files in (("training", user_files), ("base", base_files)):
        for f in files:
            source = resolve_dataset_source(str(Path(f).resolve()) if Path(f).exists() else f)
            mlflow.log_input(MetaDataset(source, name=Path(f).name, digest=result.data_hash[:32]), context=context,
                             tags={"training_data_sha256": result.data_hash})
    for head, m in result.metrics.items():
        mlflow.log_metrics(_numeric(f"{head}.", m))
        if isinstance(m.get("own_rows"), dict):
            mlflow.log_metrics(_numeric(f"own.{head}.", m["own_rows"]))
    mlflow.log_metrics({"embed_seconds": result.embed_seconds, "fit_seconds": result.fit_seconds})
    _log_figures(mlflow, result)
    mlflow.log_artifacts(str(result.model_dir), artifact_path="model_dir")


def log_training(result, *, tracking_uri: str = DEFAULT_TRACKING_URI, experiment: str = "packetlens",  # noqa: ANN001
                 register: str | None = None, force: bool = False, run_name: str | None = None) -> TrackingInfo:
    """Log an already trained :class:`~packetlens.training.TrainResult` as one MLflow run
    (:meth:`TrainingRun.log`); to record the training itself (its time, a failure), train inside
    a :class:`TrainingRun` instead."""
    if result.model_dir is None:
        raise TrackingError("the model must be saved (pass out=...) before it is logged")
    name = run_name or f"{result.config.name} {result.config.version} ({len(result.dataset)} rows)"
    with TrainingRun(tracking_uri=tracking_uri, experiment=experiment, run_name=name) as run:
        return run.log(result, register=register, force=force)


def model_version(name: str, *, alias: str | None = None, version: str | None = None,
                  tracking_uri: str = DEFAULT_TRACKING_URI):  # noqa: ANN201
    """The registry's ``ModelVersion`` for ``name`` at ``alias`` (or ``version``)."""
    mlflow = _mlflow(tracking_uri)
    from mlflow import MlflowClient

    try:
        client = MlflowClient()
        return client.get_model_version_by_alias(name, alias) if alias else client.get_model_version(name, str(version))
    except Exception as e:
        raise TrackingError(f"models:/{name}{'@' + alias if alias else '/' + str(version)}: cannot find it in "
                            f"{mlflow.get_tracking_uri()} ({str(e).splitlines()[0][:160]}); check the name, alias "
                            "and --tracking-uri") from e


def _same_model_version(client, name: str, data_hash: str, cfg_hash: str):  # noqa: ANN001, ANN202
    try:
        versions = client.search_model_versions(f"name = '{name}'")
    except Exception:  # no such registered model yet
        return None
    for mv in sorted(versions, key=lambda v: int(v.version)):
        tags = mv.tags or {}
        if tags.get("training_data_sha256") == data_hash and tags.get("train_config_sha256") == cfg_hash:
            return mv
    return None


def pyfunc_signature():  # noqa: ANN201 - an mlflow ModelSignature
    """The pyfunc's signature: ``text`` or ``packet`` (+ ``packet_id``) in, bullet rows out.

    The output schema is :data:`packetlens.table.BULLET_COLUMNS` (what ``spark_udf`` types its
    result with when no ``result_type`` is given); the ``output`` param (``bullets`` or
    ``packets``) picks one row per bullet or one per packet for a ``packet`` column.
    """
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, DataType, ParamSchema, ParamSpec, Schema
    from mlflow.types.schema import Array

    from packetlens.table import BULLET_COLUMNS

    def spec(c) -> ColSpec:  # noqa: ANN001
        kind = Array(DataType.string) if c.type == "array<string>" else c.type
        return ColSpec(kind, c.name, required=not c.nullable)

    inputs = Schema([ColSpec("string", name, required=False) for name in ("text", "packet", "packet_id")])
    return ModelSignature(inputs=inputs, outputs=Schema([spec(c) for c in BULLET_COLUMNS]),
                          params=ParamSchema([ParamSpec("output", "string", "bullets")]))


def _pyfunc_kwargs(model_dir: Path, model_config: dict[str, object] | None = None) -> dict[str, object]:
    return {"python_model": str(Path(__file__).with_name("mlflow_pyfunc.py")),
            "artifacts": {"model_dir": str(Path(model_dir).resolve())}, "signature": pyfunc_signature(),
            "pip_requirements": ["packetlens"], "model_config": model_config}


def save_pyfunc(model_dir: Path, path: Path, *, model_config: dict[str, object] | None = None) -> Path:
    """Write the pyfunc model of a model directory to ``path`` without a tracking store.

    The same model :func:`log_training` logs; load it with ``mlflow.pyfunc.load_model(path)`` or
    ``mlflow.pyfunc.spark_udf(spark, str(path))``. ``model_config``: see
    :mod:`packetlens.mlflow_pyfunc`.
    """
    import mlflow

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow.pyfunc.save_model(path=str(path), **_pyfunc_kwargs(Path(model_dir), model_config))
    return Path(path)


def _register(mlflow, run_id: str, model_uri: str, experiment: str, name: str, result, force: bool,  # noqa: ANN001
              tracking_uri: str, progress=None) -> TrackingInfo:  # noqa: ANN001
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    from packetlens.progress import as_progress

    client = MlflowClient()
    cfg_hash = config_sha256(result)
    same = _same_model_version(client, name, result.data_hash, cfg_hash)
    if same is not None:  # nothing changed: no new version, the alias stays where it is
        gate = (f"unchanged: the same data (sha256 {result.data_hash[:12]}) and settings as v{same.version}; "
                f"no new version registered, v{same.version} reused")
        try:
            champ = client.get_model_version_by_alias(name, CHAMPION)
            is_champ = str(champ.version) == str(same.version)
        except MlflowException:
            is_champ = False
        return TrackingInfo(run_id, experiment, name, str(same.version), is_champ, gate, reused=True)
    mv = mlflow.register_model(model_uri, name, tags={"training_data_sha256": result.data_hash,
                                                      "train_config_sha256": cfg_hash})
    try:
        current = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        current = None
    if current is None:
        promote, gate = True, f"no champion yet; version {mv.version} becomes champion"
    else:
        with as_progress(progress).step(f"gate: scoring champion v{current.version} on the training rows"):
            champ = champion_f1_on(result, f"models:/{name}@{CHAMPION}", tracking_uri, result.cache_dir)
        new_own, new_all = own_strength_f1(result), float(result.metrics["strength"]["macro_f1"])
        promote = force or new_own > champ.own_f1
        gate = (f"strength macro-F1 on your {len(result.own_index)} rows: new {new_own:.4f} (out-of-fold) vs "
                f"champion v{current.version} {champ.own_f1:.4f}; on all {len(result.dataset)} rows: new "
                f"{new_all:.4f} vs {champ.all_f1:.4f} ({champ.how}); " +
                ("champion moves to v" + str(mv.version) + (" (forced)" if force and new_own <= champ.own_f1 else "")
                 if promote else "champion stays (pass --force to move it)"))
    if promote:
        client.set_registered_model_alias(name, CHAMPION, mv.version)
    client.set_model_version_tag(name, mv.version, "gate", gate)
    return TrackingInfo(run_id, experiment, name, str(mv.version), promote, gate)


def own_strength_f1(result) -> float:  # noqa: ANN001
    """The new model's out-of-fold strength macro-F1 on the user's own rows."""
    m = result.metrics["strength"]
    own = m.get("own_rows") if isinstance(m.get("own_rows"), dict) else m
    return float(own["macro_f1"])  # type: ignore[index]


@dataclass(frozen=True)
class ChampionFigures:
    own_f1: float
    all_f1: float
    how: str


def champion_f1_on(result, uri: str, tracking_uri: str, cache_dir: Path | None = None) -> ChampionFigures:  # noqa: ANN001
    """Strength macro-F1 of the model at ``uri`` on the user's rows of ``result`` and on all its rows.

    When the champion was trained on exactly these rows (same data hash), its own out-of-fold
    figures are the fair comparison. Otherwise it scores the rows; if it saw some of them in
    training that favours the champion, so the gate errs toward keeping it. Its vectors come from
    ``cache_dir`` (the same cache the training used).
    """
    from packetlens.artifact import load_model
    from packetlens.metrics import macro_f1
    from packetlens.registry import local_model
    from packetlens.scorer import PacketScorer

    champion = load_model(local_model(uri, tracking_uri=tracking_uri, cache_dir=cache_dir))
    m = champion.metrics.get("strength")
    if champion.extra.get("training_data_sha256") == result.data_hash and isinstance(m, dict):
        own = m.get("own_rows") if isinstance(m.get("own_rows"), dict) else m
        return ChampionFigures(float(own["macro_f1"]), float(m["macro_f1"]),  # type: ignore[index]
                               "its out-of-fold figures on the same data")
    scorer = PacketScorer.from_model(champion, cache_dir=cache_dir, cache_vectors=result.cache_vectors)
    idx, _ = result.oof["strength"]
    y = np.array([result.dataset.labels_for("strength")[i] for i in idx])
    p = scorer.head_probas([result.dataset.texts[i] for i in idx])["strength"]
    own = idx >= result.n_base
    return ChampionFigures(macro_f1(y[own], p[own] >= 0.5), macro_f1(y, p >= 0.5), "scored on these rows")


def download_model(uri: str, *, tracking_uri: str | None = None) -> Path:
    """Fetch a logged model (``models:/NAME@ALIAS``, ``runs:/ID/model``) and return its model directory."""
    mlflow = _mlflow(tracking_uri or DEFAULT_TRACKING_URI)
    try:
        local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except Exception as e:
        raise TrackingError(f"{uri}: cannot load it from {mlflow.get_tracking_uri()} "
                            f"({_first_line(e)}); check the name, alias and --tracking-uri") from e
    for cfg in sorted(local.rglob("config.json")):
        if (cfg.parent / "heads.npz").is_file():
            return cfg.parent
    raise TrackingError(f"{uri}: the logged model holds no packetlens model directory")


def log_evaluation(report: dict[str, object], *, data: list[str], data_hash: str,
                   tracking_uri: str = DEFAULT_TRACKING_URI, experiment: str = "packetlens-evaluation") -> str:
    """Record an :func:`~packetlens.evaluation.evaluate` report as an MLflow run; returns its id."""
    mlflow = _mlflow(tracking_uri)
    exp_id = _experiment_id(mlflow, experiment, tracking_uri)
    run_name = f"evaluate {report['model']['name']} {report['model']['version']} on {len(data)} file(s)"  # type: ignore[index]
    with mlflow.start_run(experiment_id=exp_id, run_name=run_name) as run:
        mlflow.set_tags({"data": ",".join(data)[:4000], "data_sha256": data_hash,
                         "model": f"{report['model']['name']} {report['model']['version']}"})  # type: ignore[index]
        for head, m in report["heads"].items():  # type: ignore[union-attr]
            mlflow.log_metrics({f"{head}.{k}": float(v) for k, v in m.items()
                                if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v})
        mlflow.log_dict(report, "evaluation.json")
        return run.info.run_id
