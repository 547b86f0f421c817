"""MLflow: log a training run, register it, move the ``champion`` alias through an evaluation gate.

The only module that imports mlflow (lazily, inside functions).
"""

from __future__ import annotations

import logging
import os
import tempfile
import warnings
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


def check_store(tracking_uri: str) -> None:
    """Fail early (before any training) when a local SQLite store cannot be written. Imports no mlflow."""
    if tracking_uri.startswith("sqlite:///"):
        db = Path(tracking_uri[len("sqlite:///"):])
        try:
            db.parent.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=db.parent, delete=True)  # noqa: SIM115
            probe.close()
            if db.exists() and not os.access(db, os.W_OK):
                raise PermissionError(13, "permission denied")
        except OSError as e:
            raise TrackingError(f"{db}: the tracking store is not writable ({e.strerror}); "
                                "pass --tracking-uri sqlite:///WRITABLE/DIR/mlflow.db or --no-track") from e


def _experiment_id(mlflow, experiment: str, tracking_uri: str) -> str:  # noqa: ANN001
    """The id of ``experiment`` in the store, created (artifacts beside the store) if missing."""
    try:
        exp = mlflow.get_experiment_by_name(experiment)
        return exp.experiment_id if exp else mlflow.create_experiment(
            experiment, artifact_location=_artifact_location(tracking_uri))
    except Exception as e:
        raise TrackingError(f"{tracking_uri}: cannot open the tracking store ({str(e).splitlines()[0][:160]}); "
                            "pass a writable --tracking-uri") from e


def _mlflow(tracking_uri: str):
    check_store(tracking_uri)
    import mlflow

    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    mlflow.set_tracking_uri(tracking_uri)
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
        info = mlflow.pyfunc.log_model(name="model", **_pyfunc_kwargs(result.model_dir))
        run_id = run.info.run_id
    if not register:
        return TrackingInfo(run_id, experiment)
    return _register(mlflow, run_id, info.model_uri, experiment, register, result, force, tracking_uri)


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
                            f"({str(e).splitlines()[0][:160]}); check the name, alias and --tracking-uri") from e
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
