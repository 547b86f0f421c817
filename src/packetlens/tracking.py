"""MLflow: log a training run, register it, move the ``champion`` alias through an evaluation gate.

The only module that imports mlflow (lazily, inside functions).
"""

from __future__ import annotations

import logging
import os
import tempfile
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


def _figures(result) -> dict[str, object]:  # noqa: ANN001
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from packetlens.metrics import reliability

    figs = {}
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    for ax, head, labels in ((axes[0], "strength", ("weak", "strong")), (axes[1], "framing", ("housekeeping", "system"))):
        cm = np.array(result.metrics[head]["confusion"])
        ax.imshow(cm, cmap="Blues")
        for (i, j), v in np.ndenumerate(cm):
            ax.text(j, i, str(v), ha="center", va="center")
        ax.set_xticks([0, 1], labels)
        ax.set_yticks([0, 1], labels)
        ax.set_xlabel("predicted (out-of-fold)")
        ax.set_ylabel("label")
        ax.set_title(head)
    fig.tight_layout()
    figs["confusion_matrix.png"] = fig
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot([0, 1], [0, 1], "k--", lw=1)
    for head, (idx, p) in result.oof.items():
        if head not in ("strength", "framing"):
            continue
        y = np.array([result.dataset.labels_for(head)[i] for i in idx])
        bins = reliability(y, p)
        ax.plot([b["mean_p"] for b in bins], [b["observed"] for b in bins], "o-", label=head)
    ax.set_xlabel("predicted probability (out-of-fold)")
    ax.set_ylabel("observed rate")
    ax.set_title("reliability")
    ax.legend()
    fig.tight_layout()
    figs["reliability_diagram.png"] = fig
    return figs


def log_training(result, *, tracking_uri: str = DEFAULT_TRACKING_URI, experiment: str = "packetlens",  # noqa: ANN001
                 register: str | None = None, force: bool = False) -> TrackingInfo:
    """Log a :class:`~packetlens.training.TrainResult` (saved to disk) as one MLflow run.

    Logs params, the training-data hash, per-head metrics, a confusion-matrix plot and a
    reliability diagram, the model directory, and a pyfunc model from code. With ``register``,
    registers a version and moves the ``champion`` alias only when the new model's out-of-fold
    strength macro-F1 beats the current champion's on the same rows (or with ``force``).
    """
    if result.model_dir is None:
        raise TrackingError("the model must be saved (pass out=...) before it is logged")
    mlflow = _mlflow(tracking_uri)
    exp_id = _experiment_id(mlflow, experiment, tracking_uri)
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    with mlflow.start_run(experiment_id=exp_id) as run, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MLflow's advice on type hints and colour codes
        mlflow.log_params({k: (str(v)[:490]) for k, v in result.params.items()})
        mlflow.set_tags({"training_data_sha256": result.data_hash, "embedding": result.model.embedding.key})
        for head, m in result.metrics.items():
            mlflow.log_metrics({f"{head}.{k}": float(v) for k, v in m.items()
                                if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v})
        mlflow.log_metrics({"embed_seconds": result.embed_seconds, "fit_seconds": result.fit_seconds})
        import matplotlib.pyplot as plt

        for name, fig in _figures(result).items():
            mlflow.log_figure(fig, name)
            plt.close(fig)
        mlflow.log_artifacts(str(result.model_dir), artifact_path="model_dir")
        signature = ModelSignature(inputs=Schema([ColSpec("string", "text")]))
        info = mlflow.pyfunc.log_model(
            name="model", python_model=str(Path(__file__).with_name("mlflow_pyfunc.py")),
            artifacts={"model_dir": str(result.model_dir)}, signature=signature,
            pip_requirements=["packetlens"])
        run_id = run.info.run_id
    if not register:
        return TrackingInfo(run_id, experiment)
    return _register(mlflow, run_id, info.model_uri, experiment, register, result, force, tracking_uri)


def _register(mlflow, run_id: str, model_uri: str, experiment: str, name: str, result, force: bool,  # noqa: ANN001
              tracking_uri: str) -> TrackingInfo:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    mv = mlflow.register_model(model_uri, name)
    new_f1 = float(result.metrics["strength"]["macro_f1"])
    try:
        current = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        current = None
    if current is None:
        promote, gate = True, f"no champion yet; version {mv.version} becomes champion"
    else:
        champ_f1, how = champion_f1_on(result, f"models:/{name}@{CHAMPION}", tracking_uri)
        promote = force or new_f1 > champ_f1
        gate = (f"strength macro-F1 on the same {len(result.dataset)} rows: new {new_f1:.4f} (out-of-fold) vs "
                f"champion v{current.version} {champ_f1:.4f} ({how}); " +
                ("champion moves to v" + str(mv.version) + (" (forced)" if force and new_f1 <= champ_f1 else "")
                 if promote else "champion stays (pass --force to move it)"))
    if promote:
        client.set_registered_model_alias(name, CHAMPION, mv.version)
    client.set_model_version_tag(name, mv.version, "gate", gate)
    return TrackingInfo(run_id, experiment, name, str(mv.version), promote, gate)


def champion_f1_on(result, uri: str, tracking_uri: str) -> tuple[float, str]:  # noqa: ANN001
    """Strength macro-F1 of the model at ``uri`` on the rows of ``result``, and how it was measured.

    When the champion was trained on exactly these rows (same data hash), its own out-of-fold
    figure is the fair comparison. Otherwise it scores the rows; if it saw some of them in
    training that favours the champion, so the gate errs toward keeping it.
    """
    from packetlens.artifact import load_model
    from packetlens.metrics import macro_f1
    from packetlens.scorer import PacketScorer

    directory = download_model(uri, tracking_uri=tracking_uri)
    champion = load_model(directory)
    if champion.extra.get("training_data_sha256") == result.data_hash and "strength" in champion.metrics:
        return float(champion.metrics["strength"]["macro_f1"]), "its out-of-fold figure on the same data"
    scorer = PacketScorer.from_model(champion)
    idx, _ = result.oof["strength"]
    y = np.array([result.dataset.labels_for("strength")[i] for i in idx])
    p = scorer.head_probas([result.dataset.texts[i] for i in idx])["strength"]
    return macro_f1(y, p >= 0.5), "scored on these rows"


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
    with mlflow.start_run(experiment_id=exp_id) as run:
        mlflow.set_tags({"data": ",".join(data)[:4000], "data_sha256": data_hash,
                         "model": f"{report['model']['name']} {report['model']['version']}"})  # type: ignore[index]
        for head, m in report["heads"].items():  # type: ignore[union-attr]
            mlflow.log_metrics({f"{head}.{k}": float(v) for k, v in m.items()
                                if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v})
        mlflow.log_dict(report, "evaluation.json")
        return run.info.run_id
