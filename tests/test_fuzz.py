"""Seeded fuzzing: generated packets through the CLI, damaged model directories through loading.

What must hold for every input: no traceback; exit 0, or 2 with one line on stderr (1 only
under --fail-under); JSON that parses with finite numbers; no control characters in text output.
The packets are small (the parser's speed on huge inputs is tested where the parser is).
"""

import json
import math
import random
import shutil

import numpy as np
import pytest
from typer.testing import CliRunner

from packetlens.artifact import load_model
from packetlens.errors import ModelArtifactError
from packetlens.scorer import PacketScorer, default_model_dir

N_PACKETS = 300
N_DAMAGES = 48
runner = CliRunner()

WORDS = ("Tuned the reranker", "Cut p95 latency from 480 ms to 210 ms", "five teams now gate launches on it",
         "Merged 140 PRs", "on-call", "we don't know yet whether", "the hard part was the backfill",
         "**bold**", "`code span`", "[a link](http://example.com)", "<b>html</b>", "| pipe |", "[/b]", "[bold]",
         ":smile:", "\\", "ünïcödé", "日本語のテキスト", "مرحبا", "👩‍💻🚀", "e\u0301", "\u202eevil", "\u200b",
         "x" * 300, "1.", "-", "#", "> quote", "~~~", "$$", "%s", "{0}", "\t", "2M requests", "NaN", "inf")
LINES = ("- {}", "* {}", "+ {}", "1. {}", "2) {}", "• {}", "  - {}", "    - {}", "# {}", "## {}", "{}", "",
         "```", "---", "<!-- {} -->", "| a | b |", "|---|---|", "> {}", "    {}", "- [ ] {}", "- [x] {}",
         "<!-- packetlens: ignore -->", "+++", "Title: {}")
CONTROL = "\x1b\x07\x08\x0b\x0c\x7f\x85\x9b"


def make_packet(rng: random.Random) -> bytes:
    lines = []
    for _ in range(rng.randint(0, 14)):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 6)))
        if rng.random() < 0.1:
            text += rng.choice(CONTROL)
        lines.append(rng.choice(LINES).format(text))
    sep = rng.choice(["\n", "\n", "\r\n", "\r"])
    data = sep.join(lines).encode("utf-8")
    roll = rng.random()
    if roll < 0.04:
        data = b"\xef\xbb\xbf" + data  # a BOM
    elif roll < 0.07:
        data += b"\xff\xfe bad utf-8"
    elif roll < 0.09:
        data = b"\x00" + data
    elif roll < 0.12 and data:
        cut = rng.randrange(len(data))
        data = data[:cut]  # perhaps in the middle of a character
    return data


def _finite_numbers(obj) -> bool:
    if isinstance(obj, float):
        return math.isfinite(obj)
    if isinstance(obj, dict):
        return all(_finite_numbers(v) for v in obj.values())
    if isinstance(obj, list):
        return all(_finite_numbers(v) for v in obj)
    return True


def _check(r, args, fmt, fail_under) -> None:
    where = f"{args!r}: exit {r.exit_code}\n{r.stderr[-1500:]}"
    assert r.exit_code in ((0, 1, 2) if fail_under is not None else (0, 2)), where
    assert r.exception is None or isinstance(r.exception, SystemExit), where
    assert "Traceback" not in r.stderr, where
    if r.exit_code == 2:
        assert len(r.stderr.strip().splitlines()) == 1, where
        return
    if fmt == "json" and r.stdout.strip():
        assert _finite_numbers(json.loads(r.stdout)), where
    elif fmt == "jsonl":
        for line in r.stdout.splitlines():
            assert _finite_numbers(json.loads(line)), where
    elif fmt in ("table", "markdown", "html"):
        assert not set(r.stdout) & set(CONTROL + "\x00"), where


def test_generated_packets_through_the_cli(default_scorer, tmp_path, monkeypatch):
    """Every run reads, parses, scores and renders for real; the loaded scorer is reused so a few
    hundred runs do not each start an ONNX session."""
    from packetlens.cli import app

    monkeypatch.setattr(PacketScorer, "from_pretrained", classmethod(lambda cls, *a, **k: default_scorer))
    monkeypatch.chdir(tmp_path)
    rng = random.Random(15)
    for i in range(N_PACKETS):
        data = make_packet(rng)
        fmt = rng.choice(["table", "json", "jsonl", "markdown", "html"])
        fail_under = rng.choice([None, None, None, 0, 50.5, 100])
        extra = ["--fail-under", str(fail_under)] if fail_under is not None else []
        if rng.random() < 0.5:
            args = ["score", "-", "--format", fmt, *extra]
            r = runner.invoke(app, args, input=data)
        else:
            name = f"p{i}{rng.choice(['.md', '.txt', '.markdown', '', '.MD', ' [bold] x[b].md', ' :smile: [i].md'])}"
            (tmp_path / name).write_bytes(data)
            args = ["score", name, "--format", fmt, *extra]
            r = runner.invoke(app, args)
        _check(r, args, fmt, fail_under)


def _damage(d, rng: random.Random) -> str:
    """One damage to a model directory (a second one may find the file it wants already damaged:
    then the file it picked is deleted instead)."""
    files = sorted(p.name for p in d.iterdir() if p.is_file() and not p.is_symlink())
    name = rng.choice(files)
    kind = rng.choice(["truncate", "flip", "delete", "empty", "json-value", "array", "link-out", "dir"])
    try:
        return _apply(d, d / name, kind, rng)
    except Exception:
        (d / name).unlink(missing_ok=True)
        return f"delete {name}"


def _apply(d, path, kind: str, rng: random.Random) -> str:
    name = path.name
    if kind == "truncate":
        data = path.read_bytes()
        path.write_bytes(data[:rng.randrange(max(len(data), 1))])
    elif kind == "flip":
        data = bytearray(path.read_bytes())
        for _ in range(rng.randint(1, 20)):
            if data:
                data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(bytes(data))
    elif kind == "delete":
        path.unlink()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "json-value":
        cfg = json.loads((d / "config.json").read_text())
        keys = [("name",), ("version",), ("embedding", "dimension"), ("embedding",), ("features", "embed_scale"),
                ("heads",), ("heads", "strength"), ("abstain_band",), ("schema_version",)]
        key = rng.choice(keys)
        value = rng.choice([None, "x", -1, 0, 1e308, [], {}, [0.9, 0.1], True, float("nan")])
        target = cfg
        for k in key[:-1]:
            target = target[k]
        target[key[-1]] = value
        (d / "config.json").write_text(json.dumps(cfg))
        name = "config.json:" + ".".join(key)
    elif kind == "array":
        with np.load(d / "heads.npz") as z:
            arrays = {k: z[k] for k in z.files}
        key = rng.choice(sorted(arrays))
        arrays[key] = rng.choice([arrays[key][:-1], arrays[key] * np.nan, arrays[key] * np.inf,
                                  arrays[key].astype(np.int8), np.zeros((2, 2)), np.array(["text"])])
        np.savez(d / "heads.npz", **arrays)
        name = "heads.npz:" + key
    elif kind == "link-out":
        path.unlink()
        path.symlink_to("/etc/hostname")
    else:
        path.unlink()
        path.mkdir()
    return f"{kind} {name}"


def test_damaged_model_directories(default_scorer, tmp_path):
    """Each damage is refused with a ModelArtifactError, or loads into a model that scores finitely."""
    from packetlens.cli import app

    rng = random.Random(7)
    texts = ["Tuned the reranker.", "Cut p95 latency from 480 ms to 210 ms for 2M daily requests."]
    refused = 0
    for i in range(N_DAMAGES):
        d = shutil.copytree(default_model_dir(), tmp_path / f"m{i}")
        what = [_damage(d, rng) for _ in range(rng.choice([1, 1, 2]))]
        r = runner.invoke(app, ["info", "--model", str(d)])
        assert r.exit_code in (0, 2) and "Traceback" not in r.stderr, (what, r.stderr)
        try:
            model = load_model(d)
        except ModelArtifactError:
            refused += 1
            assert r.exit_code == 2 and len(r.stderr.strip().splitlines()) == 1, (what, r.stderr)
            continue
        try:
            scorer = PacketScorer(model, default_scorer.embedder)
        except ModelArtifactError:  # a damaged embedding identity: refused at the scorer
            refused += 1
            continue
        for b in scorer.score(texts):
            d_ = b.to_dict()
            assert _finite_numbers(d_) and 0 <= b.strength.p <= 1 and 0 <= b.framing.p <= 1, what
    assert refused >= N_DAMAGES // 2  # the damages do bite
