"""Read and validate labeled rows -> :class:`LabeledDataset`.

Files are JSONL, CSV or Parquet, read through Hugging Face ``datasets``. Labels follow the rubric
(``packetlens rubric``, src/packetlens/RUBRIC.md): ``strength`` (weak|strong), ``framing``
(housekeeping|system), or a company's own values mapped onto them (``label_values``, or numeric
ratings with ``label_thresholds``), ``moves`` (a list, or a string
separated by ``;`` / ``,`` / ``|``). A row may carry only some labels (partial labels): a head
trains only on the rows that carry its label. Validation stops at the first bad row and names its
file and line; nothing is written anywhere.

Example::

    >>> ds = load_labeled([Path("data/bullets.jsonl")])        # doctest: +SKIP
    >>> len(ds), ds.strength[:2]                               # doctest: +SKIP
    (3312, ['weak', 'strong'])
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packetlens.errors import DataValidationError
from packetlens.results import FRAMING_LABELS, MOVES, STRENGTH_LABELS

MAX_TEXT_CHARS = 20_000
SUFFIXES = {".jsonl": "json", ".json": "json", ".ndjson": "json", ".csv": "csv", ".parquet": "parquet"}
LABEL_COLUMNS = ("strength", "framing", "moves")
META_COLUMNS = ("role", "work_type", "voice", "tricky", "pair_id")


@dataclass
class LabeledDataset:
    """Validated rows. Label lists hold ``None`` where a row lacks that label.

    Attributes:
        texts: the bullet texts, one per row.
        strength: ``"weak"``/``"strong"``/``None`` per row.
        framing: ``"housekeeping"``/``"system"``/``None`` per row.
        moves: a tuple of move names, or ``None`` when the row has no ``moves`` label.
        groups: the cross-validation group of each row (its ``pair_id``, else its id), so a
            weak/strong pair never straddles folds.
        ids: row ids (given, or ``file:line``).
        meta: other per-row columns kept for slicing (role, work_type, voice, tricky, pair_id).
        sources: which file each row came from.
    """

    texts: list[str]
    strength: list[str | None]
    framing: list[str | None]
    moves: list[tuple[str, ...] | None]
    groups: list[str]
    ids: list[str]
    meta: dict[str, list[object]] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    def content_hash(self) -> str:
        """SHA-256 of the texts and labels, in order: the training-data hash models record."""
        h = hashlib.sha256()
        weights = self.meta.get("weight")
        for i, row in enumerate(zip(self.texts, self.strength, self.framing, self.moves, strict=True)):
            if weights is not None and weights[i] not in (None, 1, 1.0):
                row = (*row, weights[i])  # a weight changes the model, so it changes the hash
            h.update(json.dumps(row, ensure_ascii=False).encode("utf-8"))
            h.update(b"\n")
        return h.hexdigest()

    def labels_for(self, head: str) -> list[int | None]:
        """0/1 targets of one head (``strength``, ``framing`` or a move), ``None`` where unlabeled."""
        if head == "strength":
            return [None if s is None else int(s == "strong") for s in self.strength]
        if head == "framing":
            return [None if s is None else int(s == "system") for s in self.framing]
        if head in MOVES:
            return [None if m is None else int(head in m) for m in self.moves]
        raise KeyError(head)

    def concat(self, other: LabeledDataset) -> LabeledDataset:
        keys = set(self.meta) | set(other.meta)
        meta = {k: self.meta.get(k, [None] * len(self)) + other.meta.get(k, [None] * len(other)) for k in keys}
        return LabeledDataset(self.texts + other.texts, self.strength + other.strength,
                              self.framing + other.framing, self.moves + other.moves,
                              self.groups + other.groups, self.ids + other.ids, meta,
                              self.sources + other.sources)

    def subset(self, index: Sequence[int]) -> LabeledDataset:
        pick = list(index)
        return LabeledDataset([self.texts[i] for i in pick], [self.strength[i] for i in pick],
                              [self.framing[i] for i in pick], [self.moves[i] for i in pick],
                              [self.groups[i] for i in pick], [self.ids[i] for i in pick],
                              {k: [v[i] for i in pick] for k, v in self.meta.items()},
                              [self.sources[i] for i in pick] if self.sources else [])


def parse_label_map(items: Sequence[str]) -> dict[str, str]:
    """``["strength=verdict"]`` -> ``{"strength": "verdict"}`` (our label name -> their column)."""
    out: dict[str, str] = {}
    for item in items:
        ours, sep, theirs = item.partition("=")
        if not sep or ours.strip() not in LABEL_COLUMNS or not theirs.strip():
            raise DataValidationError(
                f"--label-col {item!r}: expected LABEL=COLUMN with LABEL one of {', '.join(LABEL_COLUMNS)}")
        out[ours.strip()] = theirs.strip()
    return out


def normalized_text(text: str) -> str:
    """The words of ``text``, case-folded (NFKC): two rows equal here say the same thing."""
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", text).casefold()))


def duplicate_groups(texts: Sequence[str], groups: Sequence[str]) -> tuple[list[str], int]:
    """Cross-validation groups in which copies of a text share a group, and how many rows are copies.

    Rows whose :func:`normalized_text` is equal (exact copies, or copies differing in case,
    spacing or punctuation) join one group, as a pair does: a copy in the training folds of its
    own held-out row would inflate every out-of-fold figure. Groups are merged transitively; the
    merged group keeps the label of its first row, so data without copies keeps its groups (and
    its folds) unchanged.

    Returns:
        ``(groups, n_copies)``: a group per row, and the number of rows whose text an earlier
        row already had.
    """
    parent: dict[str, str] = {}
    order: dict[str, int] = {}
    for g in groups:
        order.setdefault(g, len(order))
        parent.setdefault(g, g)

    def root(g: str) -> str:
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    first: dict[str, str] = {}
    n_copies = 0
    for text, g in zip(texts, groups, strict=True):
        key = normalized_text(text) or text
        if key not in first:
            first[key] = g
            continue
        n_copies += 1
        a, b = root(first[key]), root(g)
        if a != b:
            a, b = sorted((a, b), key=order.__getitem__)
            parent[b] = a
    return [root(g) for g in groups], n_copies


def _line_of(fmt: str, row: int, lines: list[int] | None) -> str:
    if lines is not None and row < len(lines):
        return f"line {lines[row]}"
    if fmt == "csv":
        return f"line {row + 2}"  # 1-based, after the header
    return f"row {row + 1}"


def _csv_lines(text: str) -> list[int]:
    """The line each CSV record after the header starts on (a quoted field may span lines)."""
    import csv
    import io

    reader = csv.reader(io.StringIO(text, newline=""))
    starts, end = [], 0
    try:
        for record in reader:
            if record:  # blank lines are skipped, as the table reader skips them
                starts.append(end + 1)
            end = reader.line_num
    except csv.Error:
        pass  # the table reader reports a malformed file; rows past this point get row numbers
    return starts[1:]


def _prescan(path: Path, fmt: str) -> tuple[list[int] | None, list[dict[str, object]] | None]:
    """Check UTF-8 (and, for JSONL, each line's JSON) with real line numbers; map rows to lines.

    Returns the JSON rows' line numbers, and the rows themselves for JSONL and CSV (read here with
    the standard library: importing ``datasets`` costs seconds, and only Parquet needs it)."""
    if fmt == "parquet":
        return None, None
    data = path.read_bytes()
    if not data.strip():
        raise DataValidationError(f"{path}: the file is empty; add labeled rows (a 'text' column and at least 'strength')")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise DataValidationError(f"{path}: line {line}: not UTF-8; save the file as UTF-8") from e
    if fmt == "csv":
        text = text.lstrip("\ufeff")
        return _csv_lines(text), _read_csv(path, text)
    lines, objects = [], []
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise DataValidationError(f"{path}: line {n}: not valid JSON ({e.msg}); fix or remove the line") from e
        if not isinstance(obj, dict):
            raise DataValidationError(f"{path}: line {n}: expected a JSON object per line, found {type(obj).__name__}")
        lines.append(n)
        objects.append(obj)
    return lines, objects


def _read_csv(path: Path, text: str) -> list[dict[str, object]]:
    """CSV rows as dicts (empty cells are ``None``, values stay text); a row with more cells than
    the header is refused with its line."""
    import csv
    import io

    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[dict[str, object]] = []
    try:
        for r in reader:
            if None in r:
                raise DataValidationError(f"{path}: line {reader.line_num}: {len(reader.fieldnames or []) + len(r[None])} "  # type: ignore[index]
                                          f"cells, the header has {len(reader.fieldnames or [])}; check that every row "
                                          "has the same columns (quote cells that hold commas)")
            rows.append({k: (None if v is None or v == "" else v) for k, v in r.items()})
    except csv.Error as e:
        raise DataValidationError(f"{path}: line {reader.line_num}: could not read it as CSV ({e}); fix the line") from e
    return rows


def _read_table(path: Path, fmt: str) -> list[dict[str, object]]:
    from packetlens.offline import stay_offline

    stay_offline()  # it resolves hub hosts even for a local file
    import datasets

    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_error()
    with tempfile.TemporaryDirectory(prefix="packetlens-ds-") as cache:
        try:
            ds = datasets.load_dataset(fmt, data_files=str(path), split="train", cache_dir=cache)
        except Exception as e:  # datasets wraps parser errors in many types
            msg = str(e).splitlines()[0][:200] if str(e) else type(e).__name__
            raise DataValidationError(f"{path}: could not read it as {fmt.upper()} ({msg}); "
                                      "check that every row has the same columns and types") from e
        return ds.to_list()


_POSITIVE_HINTS = ("strong", "exceed", "promot", "yes", "high", "good", "top", "pass", "system", "true", "outstanding")


@dataclass(frozen=True)
class LabelCoding:
    """How one label column's values become ours (``weak``/``strong`` or ``housekeeping``/``system``).

    Values are compared with case and surrounding whitespace ignored (and inner runs of
    whitespace folded). A value is ours when it is one of ``allowed``, or one the user mapped
    (``values``: our label -> their values), or, with a ``threshold``, a number (``>=`` the
    threshold is the positive label, ``allowed[1]``).

    Example::

        >>> c = LabelCoding("strength", ("weak", "strong"), {"strong": ("promoted-quality",), "weak": ("not",)})
        >>> c(" Promoted-Quality "), c("not"), c("STRONG"), c(None)
        ('strong', 'weak', 'strong', None)
        >>> LabelCoding("strength", ("weak", "strong"), threshold=3.5)(4)
        'strong'
    """

    label: str
    allowed: tuple[str, str]
    values: Mapping[str, Sequence[str]] = field(default_factory=dict)
    threshold: float | None = None

    def _lookup(self) -> dict[str, str]:
        out = {a: a for a in self.allowed}
        for ours, theirs in self.values.items():
            for v in theirs:
                out[_fold(v)] = ours
        return out

    def __call__(self, value: object) -> str | None:
        if value is None or (isinstance(value, float) and value != value):  # NaN from CSV
            return None
        if isinstance(value, str) and not value.strip():
            return None
        if self.threshold is not None:
            x = _number(value)
            if x is None:
                raise ValueError(f"{self.label} value {value!r} is not a number (--label-threshold "
                                 f"{self.label}={self.threshold:g} reads numeric ratings)")
            return self.allowed[1] if x >= self.threshold else self.allowed[0]
        ours = self._lookup().get(_fold(value))
        if ours is None:
            raise ValueError(f"unknown {self.label} value {value!r}")
        return ours

    def check_column(self, where: Callable[[int], str], column: str, values: Sequence[object]) -> None:
        """Refuse, in one line, a column holding values this coding cannot read: the first bad row
        (``where(i)`` names row ``i``), every value found, and the options that would read them."""
        found: dict[str, int] = {}
        first: tuple[int, str] | None = None
        for i, v in enumerate(values):
            try:
                self(v)
            except ValueError as e:
                first = first or (i, str(e))
            if v is not None and not (isinstance(v, float) and v != v) and str(v).strip():
                found[str(v).strip()] = found.get(str(v).strip(), 0) + 1
        if first is None:
            return
        listed = ", ".join(f"{v!r} ({n})" for v, n in sorted(found.items())[:12]) + (" ..." if len(found) > 12 else "")
        raise DataValidationError(f"{where(first[0])}: {first[1]}; column {column!r} holds: {listed}; "
                                  f"{self.suggest(list(found))}")

    def suggest(self, found: Sequence[str]) -> str:
        """The options that would read ``found``: a threshold for numbers, else a value mapping."""
        numbers = [x for x in (_number(v) for v in found) if x is not None]
        if found and len(numbers) == len(found):
            mid = sorted(numbers)[len(numbers) // 2]
            return (f"for numeric ratings pass --label-threshold {self.label}={mid:g} (ratings >= it read as "
                    f"{self.allowed[1]})")
        pos = [v for v in found if any(h in _fold(v) for h in _POSITIVE_HINTS) and _fold(v) not in self.allowed]
        neg = [v for v in found if v not in pos and _fold(v) not in self.allowed]
        parts = [f"--label-map {self.label}:{ours}={','.join(vs)}" for ours, vs in
                 ((self.allowed[1], pos), (self.allowed[0], neg)) if vs]
        return "map them to ours, e.g. " + " ".join(parts) + " (check which side each value belongs to)"


def _fold(value: object) -> str:
    return " ".join(str(value).split()).lower()


def _number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return x if x == x else None


def parse_label_values(items: Sequence[str]) -> dict[str, dict[str, tuple[str, ...]]]:
    """``["strength:strong=promoted-quality,exceeds"]`` -> ``{"strength": {"strong": ("promoted-quality", "exceeds")}}``."""
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    allowed = {"strength": STRENGTH_LABELS, "framing": FRAMING_LABELS}
    for item in items:
        head, sep1, rest = item.partition(":")
        ours, sep2, theirs = rest.partition("=")
        head, ours = head.strip(), ours.strip().lower()
        values = tuple(v.strip() for v in theirs.split(",") if v.strip())
        if not (sep1 and sep2) or head not in allowed or ours not in allowed[head] or not values:
            raise DataValidationError(
                f"--label-map {item!r}: expected LABEL:OURS=THEIRS[,THEIRS...], e.g. "
                "strength:strong=promoted-quality,exceeds or framing:system=platform (LABEL strength or framing)")
        out.setdefault(head, {})
        out[head][ours] = out[head].get(ours, ()) + values
    return out


def parse_label_thresholds(items: Sequence[str]) -> dict[str, float]:
    """``["strength=3.5"]`` -> ``{"strength": 3.5}``: numeric ratings, ``>=`` the threshold is strong (or system)."""
    out: dict[str, float] = {}
    for item in items:
        head, sep, num = item.partition("=")
        x = _number(num.strip()) if sep else None
        if head.strip() not in ("strength", "framing") or x is None:
            raise DataValidationError(f"--label-threshold {item!r}: expected LABEL=NUMBER with LABEL strength or "
                                      "framing, e.g. strength=3.5 (ratings >= 3.5 read as strong)")
        out[head.strip()] = x
    return out


def label_codings(label_values: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
                  thresholds: Mapping[str, float] | None = None) -> dict[str, LabelCoding]:
    """One :class:`LabelCoding` per single-valued label (strength, framing); refuses a label given both ways."""
    label_values, thresholds = dict(label_values or {}), dict(thresholds or {})
    allowed = {"strength": STRENGTH_LABELS, "framing": FRAMING_LABELS}
    unknown = sorted((set(label_values) | set(thresholds)) - set(allowed))
    if unknown:
        raise DataValidationError(f"label {unknown[0]!r} cannot be mapped; map values of strength or framing")
    both = sorted(set(label_values) & set(thresholds))
    if both:
        raise DataValidationError(f"{both[0]}: pass either --label-map or --label-threshold for it, not both")
    for head, m in label_values.items():
        bad = sorted(set(m) - set(allowed[head]))
        if bad:
            raise DataValidationError(f"--label-map {head}:{bad[0]}=...: {bad[0]!r} is not a {head} label "
                                      f"(ours: {' or '.join(allowed[head])})")
    return {h: LabelCoding(h, a, {k: tuple(v) for k, v in label_values.get(h, {}).items()}, thresholds.get(h))
            for h, a in allowed.items()}


def _norm_moves(value: object) -> tuple[str, ...] | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):
        s = value.strip()
        if s.startswith("["):
            value = json.loads(s)
        else:
            for sep in ";|":
                s = s.replace(sep, ",")
            value = [p for p in (x.strip() for x in s.split(",")) if p and p.lower() != "none"]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"moves must be a list of move names, found {value!r}")
    moves = tuple(str(m).strip() for m in value)
    unknown = [m for m in moves if m not in MOVES]
    if unknown:
        raise ValueError(f"unknown move {unknown[0]!r} (expected any of {', '.join(MOVES)})")
    return tuple(m for m in MOVES if m in moves)


def load_labeled(paths: Sequence[Path | str], *, text_col: str = "text",
                 label_cols: Mapping[str, str] | None = None, require: Sequence[str] = (),
                 label_values: Mapping[str, Mapping[str, Sequence[str]]] | None = None,
                 label_thresholds: Mapping[str, float] | None = None) -> LabeledDataset:
    """Load and validate labeled files into one :class:`LabeledDataset`.

    Args:
        paths: JSONL, CSV or Parquet files.
        text_col: the column holding the bullet text.
        label_cols: our label name -> the file's column (``{"strength": "verdict"}``).
        require: labels every row must carry (default none: partial labels are fine).
        label_values: your values for our labels, per label:
            ``{"strength": {"strong": ["promoted-quality", "exceeds"], "weak": ["not"]}}``.
            Case and surrounding whitespace are ignored; our own names are always understood.
        label_thresholds: numeric ratings: ``{"strength": 3.5}`` reads ratings ``>= 3.5`` as strong.

    Example::

        >>> ds = load_labeled([Path("acme.csv")], text_col="bullet", label_cols={"strength": "verdict"},
        ...                   label_values={"strength": {"strong": ["promoted-quality"], "weak": ["not"]}})  # doctest: +SKIP

    Raises:
        DataValidationError: naming the file, the line (or row) and the fix, for the first bad row.
    """
    if isinstance(paths, (str, Path)):
        raise TypeError("load_labeled() takes a list of paths; wrap one path in a list")
    label_cols = dict(label_cols or {})
    codings = label_codings(label_values, label_thresholds)
    out: LabeledDataset | None = None
    for p in paths:
        ds = _load_one(Path(p), text_col, label_cols, tuple(require), codings)
        out = ds if out is None else out.concat(ds)
    if out is None:
        raise DataValidationError("no data files given; pass at least one JSONL, CSV or Parquet file")
    seen: dict[str, int] = {}
    for i, rid in enumerate(out.ids):
        if rid in seen:
            raise DataValidationError(f"{out.sources[i]}: duplicate id {rid!r} (also in {out.sources[seen[rid]]}); "
                                      "make ids unique")
        seen[rid] = i
    return out


def _load_one(path: Path, text_col: str, label_cols: dict[str, str], require: tuple[str, ...],
              codings: dict[str, LabelCoding]) -> LabeledDataset:
    if not path.exists():
        raise DataValidationError(f"{path}: no such file; check the path")
    if path.is_dir():
        raise DataValidationError(f"{path}: is a directory; pass JSONL, CSV or Parquet files")
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise DataValidationError(f"{path}: unknown file type {path.suffix!r}; use .jsonl, .csv or .parquet")
    try:
        json_lines, rows = _prescan(path, fmt)
    except PermissionError as e:
        raise DataValidationError(f"{path}: cannot read it (permission denied); fix its permissions") from e
    if rows is None:
        rows = _read_table(path, fmt)
    if not rows:
        raise DataValidationError(f"{path}: the file has no rows; add labeled rows")
    columns = set(rows[0])
    for r in rows:
        columns |= set(r)
    if text_col not in columns:
        raise DataValidationError(f"{path}: missing column {text_col!r} (found: {', '.join(sorted(columns))}); "
                                  "pass --text-col COLUMN")
    col_of = {lab: label_cols.get(lab, lab) for lab in LABEL_COLUMNS}
    for lab, col in label_cols.items():
        if col not in columns:
            raise DataValidationError(f"{path}: missing column {col!r} for label {lab!r} "
                                      f"(found: {', '.join(sorted(columns))}); fix --label-col {lab}=COLUMN")
    if not any(col_of[lab] in columns for lab in LABEL_COLUMNS):
        raise DataValidationError(f"{path}: no label column (found: {', '.join(sorted(columns))}); it needs at "
                                  "least 'strength'; pass --label-col strength=COLUMN")
    for lab in require:
        if col_of[lab] not in columns:
            raise DataValidationError(f"{path}: missing column {col_of[lab]!r} (found: {', '.join(sorted(columns))}); "
                                      f"pass --label-col {lab}=COLUMN")
    for lab in ("strength", "framing"):  # every value readable, or one line naming them all and a fix
        if col_of[lab] in columns:
            codings[lab].check_column(lambda i: f"{path}: {_line_of(fmt, i, json_lines)}", col_of[lab],
                                      [r.get(col_of[lab]) for r in rows])
    # every other column is kept for slicing (`evaluate --by COLUMN`), the known ones first
    skip = {text_col, *col_of.values(), "id", "text"}
    extra = sorted(c for c in columns - skip - set(META_COLUMNS) if isinstance(c, str))
    ds = LabeledDataset([], [], [], [], [], [], {k: [] for k in (*META_COLUMNS, *extra) if k in columns}, [])
    ids_here: dict[str, int] = {}
    for i, r in enumerate(rows):
        where = f"{path}: {_line_of(fmt, i, json_lines)}"
        text = r.get(text_col)
        if not isinstance(text, str):
            raise DataValidationError(f"{where}: '{text_col}' is {type(text).__name__ if text is not None else 'missing'}, "
                                      "expected text; fix or remove the row")
        if not text.strip():
            raise DataValidationError(f"{where}: empty text; fix or remove the row")
        if len(text) > MAX_TEXT_CHARS:
            raise DataValidationError(f"{where}: text is {len(text):,} characters (limit {MAX_TEXT_CHARS:,}); "
                                      "a row is one bullet; split or remove it")
        try:
            strength = codings["strength"](r.get(col_of["strength"]))
            framing = codings["framing"](r.get(col_of["framing"]))
            moves = _norm_moves(r.get(col_of["moves"])) if col_of["moves"] in columns else None
        except ValueError as e:
            raise DataValidationError(f"{where}: {e}; fix the label (the rubric: `packetlens rubric`)") from e
        for lab, val in (("strength", strength), ("framing", framing), ("moves", moves)):
            if lab in require and val is None:
                raise DataValidationError(f"{where}: no {lab} label; every row needs one here")
        if strength is None and framing is None and moves is None:
            raise DataValidationError(f"{where}: the row has no label at all; add 'strength' or remove the row")
        rid = r.get("id")
        rid = str(rid) if rid not in (None, "") else f"{path.name}:{_line_of(fmt, i, json_lines).split()[-1]}"
        if rid in ids_here:
            raise DataValidationError(f"{where}: duplicate id {rid!r} (first at row {ids_here[rid] + 1}); make ids unique")
        ids_here[rid] = i
        pair = r.get("pair_id")
        ds.texts.append(text.strip())
        ds.strength.append(strength)
        ds.framing.append(framing)
        ds.moves.append(moves)
        ds.groups.append(f"pair:{pair}" if pair not in (None, "") else f"id:{rid}")
        ds.ids.append(rid)
        ds.sources.append(str(path))
        if "weight" in r and r["weight"] not in (None, ""):
            wv = r["weight"]
            try:
                ok = not isinstance(wv, bool) and 0 < float(wv) < float("inf")  # type: ignore[arg-type]
            except (TypeError, ValueError):
                ok = False
            if not ok:
                raise DataValidationError(f"{where}: weight {wv!r} is not a positive number; fix it or drop the "
                                          "'weight' column")
            r = {**r, "weight": float(wv)}  # type: ignore[arg-type]
        for k in ds.meta:
            v = r.get(k)
            ds.meta[k].append(v if v is None or isinstance(v, (str, int, float, bool)) else json.dumps(v, sort_keys=True))
    return ds
