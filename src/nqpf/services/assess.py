"""Assessment use cases shared by the CLI and the web app: objects or bytes in.

* :func:`resolve_framework` — a framework from a key, an id (its latest version) or a path;
* :func:`frameworks_table` — the shipped frameworks;
* :func:`template_bytes` — the XLSX questionnaire of a framework (:func:`make_template`
  writes it to a file);
* :func:`score_responses` — score one response file's bytes (filled template, JSON, YAML);
* :func:`responses_from_template` — the answers of an uploaded filled template;
* :func:`batch_table` — score a table's bytes (CSV/XLSX, one row per enterprise),
  reporting every bad row and scoring the good ones; a ``framework`` / ``framework_version``
  column scores each row by the framework version it names.

:func:`score_file` and :func:`batch_file` are the same for a path, read through
:func:`nqpf.services.files.read_input`.  The diagnosis report is
:mod:`nqpf.services.assess_report`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf.assessment import (
    BatchScoreResult,
    Framework,
    ScoreResult,
    batch_score,
    latest_version,
    list_frameworks,
    load_framework,
    score,
    version_key,
)
from nqpf.assessment.answers import normalize_answers
from nqpf.assessment.forms import RuleForm, rule_forms, score_form
from nqpf.assessment.outcomes import Outcome
from nqpf.exceptions import ConfigError, DataValidationError, NqpfError
from nqpf.io.assessment_template import read_responses, write_template
from nqpf.io.assessment_template import template_bytes as questionnaire_bytes
from nqpf.io.tables import read_table
from nqpf.services.files import read_input

__all__ = [
    "FRAMEWORK_COLUMNS",
    "BatchOutcome",
    "ScoreOutcome",
    "batch_file",
    "batch_table",
    "frameworks_table",
    "make_template",
    "resolve_framework",
    "responses_from_template",
    "score_file",
    "score_responses",
    "score_rule_form",
    "template_bytes",
]

SCORE_TABLES = ("summary", "dimensions", "questions", "scenes", "conditions")
BATCH_TABLES = ("scores", "errors")
#: Columns of a batch table that name each row's framework: an id or ``id-version`` key,
#: and a version (``2024``, ``2024版`` or a key).
FRAMEWORK_COLUMNS = ("framework", "framework_version")


def resolve_framework(
    framework: Framework | str | None, *, allow_path: bool = True
) -> Framework | None:
    """A framework object from a key (``sme-digital-2024``), an id, a path or None.

    An id loads its latest shipped version (:func:`nqpf.assessment.latest_version`).
    ``allow_path=False`` resolves shipped keys and ids only and never opens a file, for
    text that comes from a web request.

    Raises
    ------
    ConfigError
        An unknown key or id, or a malformed file.
    """
    if framework is None or isinstance(framework, Framework):
        return framework
    if allow_path:
        return load_framework(framework)
    text = framework.strip()
    shipped = list_frameworks()
    fw = load_framework(text if text in shipped else f"{text}-{latest_version(text)}")
    if text not in (fw.key, fw.id):  # latest_version("sme") finds "sme-digital-…" too
        raise ConfigError(f"unknown framework {text!r}; shipped: {', '.join(shipped)}", field="id")
    return fw


def frameworks_table() -> pd.DataFrame:
    """One row per shipped framework: key, id, version, name, confidence, counts.

    A shipped file that does not validate is listed with confidence ``invalid`` and the
    reason in ``name`` instead of hiding the others.
    """
    rows = []
    for key in list_frameworks():
        try:
            fw = load_framework(key)
        except NqpfError as exc:  # a broken shipped file must not hide the others
            rows.append(
                {
                    "key": key,
                    "id": key,
                    "version": "?",
                    "name": f"(无法读取 unreadable: {exc})",
                    "confidence": "invalid",
                    "rule_confidence": "invalid",
                    "questions": 0,
                    "scenes": 0,
                    "can_score": False,
                }
            )
            continue
        rows.append(
            {
                "key": fw.key,
                "id": fw.id,
                "version": fw.version,
                "name": fw.name,
                "confidence": fw.confidence,
                "rule_confidence": fw.level_rule.confidence,
                "questions": len(fw.questions),
                "scenes": len(fw.scenes),
                "can_score": bool(fw.questions),
            }
        )
    return pd.DataFrame(rows)


def make_template(framework: Framework | str, path: str | os.PathLike[str]) -> Path:
    """Write the XLSX questionnaire of ``framework`` (see :mod:`nqpf.io.assessment_template`)."""
    path = Path(path)
    if not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    fw = resolve_framework(framework)
    assert fw is not None
    return write_template(fw, path)


def template_bytes(framework: Framework | str) -> bytes:
    """The XLSX questionnaire of ``framework``, in memory (a download)."""
    fw = resolve_framework(framework)
    assert fw is not None
    return questionnaire_bytes(fw)


def _read_responses(
    data: bytes, name: str, framework: Framework | None
) -> tuple[str, str, dict[str, Any]]:
    """:func:`~nqpf.io.assessment_template.read_responses` of a file's bytes; ``name``'s
    suffix chooses the reader and messages name it."""
    return read_responses(data, framework, name=Path(name).name or "responses")


# ------------------------------------------------------------------------- one response
@dataclass(frozen=True)
class ScoreOutcome:
    """A scored response and the tables to write; ``source`` is the file (its name for bytes)."""

    source: Path
    framework: Framework
    result: ScoreResult
    tables: dict[str, pd.DataFrame] = field(repr=False)


def score_tables(framework: Framework, result: ScoreResult) -> dict[str, pd.DataFrame]:
    summary = pd.DataFrame(
        [
            {"item": "框架 framework", "value": result.framework},
            {"item": "总分 total", "value": result.total},
            {"item": "满分 max_total", "value": result.max_total},
            {"item": "等级 level", "value": result.level},
            {"item": "等级名称 level_name", "value": result.level_name},
            {"item": "等级规则可信度 rule_confidence", "value": result.rule_confidence},
        ]
    )
    max_by_dim = {d.name: d.points for d in framework.scored_dimensions}
    dims = pd.DataFrame(
        [
            {"dimension": k, "points": v, "max_points": max_by_dim.get(k)}
            for k, v in result.dimensions.items()
        ]
    )
    questions = result.to_frame()
    questions["answer"] = questions["answer"].map(
        lambda a: "|".join(a) if isinstance(a, tuple) else a
    )
    scenes = pd.DataFrame(
        [
            {
                "id": s.id,
                "name": s.name,
                "group": s.group,
                "binding": s.binding,
                "level": result.scenes.get(s.id),
            }
            for s in framework.scenes
        ],
        columns=["id", "name", "group", "binding", "level"],
    )
    next_ids = {id(c) for c in result.next_level}
    conditions = pd.DataFrame(
        [
            {
                "level": c.level,
                "level_name": c.level_name,
                "kind": c.kind,
                "label": c.label,
                "current": c.current,
                "required": c.required,
                "met": c.met,
                "next_level_unmet": id(c) in next_ids,
                "message": c.message,
            }
            for c in result.conditions
        ],
        columns=[
            "level",
            "level_name",
            "kind",
            "label",
            "current",
            "required",
            "met",
            "next_level_unmet",
            "message",
        ],
    )
    return {
        "summary": summary,
        "dimensions": dims,
        "questions": questions,
        "scenes": scenes,
        "conditions": conditions,
    }


def score_responses(
    data: bytes, name: str, framework: Framework | str | None = None
) -> ScoreOutcome:
    """Score one response file given as bytes (filled template, JSON or YAML).

    Parameters
    ----------
    data
        The file's content.
    name
        The file's name: its suffix chooses the reader, and messages name it.
    framework
        The framework the response must belong to; None takes the one the file declares.

    Raises
    ------
    DataValidationError
        Naming the file and the question: an unreadable file, an unknown question or
        option id, a missing answer, ….
    """
    fw = resolve_framework(framework)
    fid, version, responses = _read_responses(data, name, fw)
    if fw is None:
        fw = load_framework(fid, version)
    try:
        result = score(fw, responses)
    except DataValidationError as exc:
        raise exc.at(file=name) from None
    return ScoreOutcome(Path(name), fw, result, score_tables(fw, result))


def score_file(
    path: str | os.PathLike[str], framework: Framework | str | None = None
) -> ScoreOutcome:
    """:func:`score_responses` of the file at ``path``."""
    fw = resolve_framework(framework)
    source = read_input(path)
    return replace(score_responses(source.data, source.name, fw), source=Path(path))


_UPLOAD_NAME = "template.xlsx"


def responses_from_template(data: bytes, framework: Framework) -> dict[str, Any]:
    """The answers of a filled XLSX template (an upload), in their stored form.

    Blank answers are left out; the others are normalised as
    :func:`nqpf.assessment.answers.normalize_answers` does.

    Raises
    ------
    DataValidationError
        A file that is not a readable template of ``framework``, or bad cells (named by
        sheet and cell).  The upload's own name is not in the message.
    """
    try:
        _fid, _version, responses = _read_responses(data, _UPLOAD_NAME, framework)
    except DataValidationError as exc:
        # the reader names the file it read, a temporary copy of the upload
        prefix = f"{_UPLOAD_NAME}, "
        raise DataValidationError(
            exc.reason.removeprefix(prefix),
            field=exc.field,
            zh=exc.reason_zh.removeprefix(prefix),
        ) from None
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        kind = type(exc).__name__
        raise DataValidationError(
            f"cannot read the file ({kind}): upload an .xlsx template made by nqpf",
            zh=f"无法读取该文件（{kind}）：请上传本平台生成的 .xlsx 模板",
        ) from None
    answers = normalize_answers(framework, responses)
    return {k: v for k, v in answers.items() if v is not None}


# ------------------------------------------------------------------------------ batch
@dataclass(frozen=True)
class BatchOutcome:
    """A scored table: ``scores`` (every row) and ``errors`` (every problem).

    ``source`` is the file (its name for bytes).  ``framework`` is the framework the
    command asked for, or (when rows name theirs and the command none) the one most rows
    used; ``frameworks`` every framework rows were scored by, in order of first use (the
    ``framework`` column of ``scores`` says which, row by row).
    """

    source: Path
    framework: Framework
    result: BatchScoreResult
    scores: pd.DataFrame
    errors: pd.DataFrame
    frameworks: tuple[Framework, ...] = ()

    @property
    def n_rows(self) -> int:
        return len(self.scores)

    @property
    def n_valid(self) -> int:
        return int(self.scores["valid"].sum())

    @property
    def n_bad_rows(self) -> int:
        return self.n_rows - self.n_valid

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {"scores": self.scores, "errors": self.errors}


def batch_table(
    data: bytes,
    name: str,
    framework: Framework | str | None = None,
    *,
    id_column: str | None = None,
    sheet: str | int | None = None,
    frameworks: Iterable[Framework] = (),
) -> BatchOutcome:
    """Score a CSV/XLSX table, given as bytes, with one row per enterprise.

    Every input row appears in ``scores`` (``valid`` False and empty scores for a bad
    row) with the ``framework`` (key) it was scored by; every problem is a row of
    ``errors`` with the spreadsheet ``row`` number (header = row 1), the id, the column,
    the value and the message (``message`` in Chinese, ``message_en`` in English).
    Duplicate or missing ids are problems too.  ``name`` is the file's name: its suffix
    chooses the reader, and messages name it.

    Parameters
    ----------
    data, name
        The file's content and name.
    framework
        The framework of the rows: a key (``sme-digital-2024``), an id (``sme-digital``:
        its latest version, or the version a row names), a path or a
        :class:`~nqpf.assessment.Framework`; None when every row names its own.
    id_column
        The column holding the enterprise id (None: the rows are numbered 1, 2, …).
    sheet
        The Excel sheet (default: the first).
    frameworks
        Frameworks a row may name beside the shipped ones (for example one loaded from
        a file), matched by key or by id and version.

    Notes
    -----
    A ``framework`` column (an id or key) and/or a ``framework_version`` column (a
    version such as ``2024`` or ``2024版``, or a key) name each row's framework; a blank
    cell takes the command's.  Each row is scored by its own framework.  A row naming a
    framework other than the key the command gave (or another id than the id it gave) is
    refused with the whole table, naming the rows, before anything is scored.  A row whose
    framework cannot be named, or cannot score (``sme-digital-2022`` has level bands but
    no questions), is a problem of that row.

    Raises
    ------
    DataValidationError
        Only when the table cannot be read or scored at all (unreadable content, no
        question columns, unknown id column, no framework anywhere), or when rows name a
        framework the command did not ask for.
    """
    asked = _Asked.of(framework)
    extra = _extra_frameworks(asked, frameworks)
    text_cols = [c for c in (id_column, *FRAMEWORK_COLUMNS) if c]
    table = read_table(data, name=name, sheet=sheet, text_columns=text_cols)
    table = table.reset_index(drop=True)
    if id_column is not None and id_column not in table.columns:
        raise DataValidationError(
            f"id column {id_column!r} not found; columns: {', '.join(map(str, table.columns))}",
            file=name,
            column=id_column,
        )
    if table.empty:
        raise DataValidationError("the table has no data rows", file=name)
    plan = _RowFrameworks.of(table, asked, extra, file=name)
    try:
        result = _batch_score(table, plan)
    except DataValidationError as exc:
        raise exc.at(file=name) from None
    ids = (
        table[id_column].astype(object).where(table[id_column].notna(), None)
        if id_column
        else pd.Series(range(1, len(table) + 1), index=table.index, dtype=object)
    )
    extra_rows: list[dict[str, Any]] = []
    bad = ~result.scores["valid"].to_numpy().copy()
    if id_column:
        blank = ids.map(lambda v: v is None or (isinstance(v, str) and not v.strip()))
        dup = ids.duplicated(keep="first") & ~blank
        for pos in range(len(table)):
            if blank.iloc[pos]:
                msg = f"缺少企业编号（{id_column} 列为空）"
                msg_en = f"missing enterprise id (column {id_column!r} is empty)"
            elif dup.iloc[pos]:
                first = int(ids[ids == ids.iloc[pos]].index[0]) + 2
                msg = f"企业编号 {ids.iloc[pos]!r} 重复（首次出现在第 {first} 行）"
                msg_en = f"enterprise id {ids.iloc[pos]!r} repeated (first on row {first})"
            else:
                continue
            bad[pos] = True
            extra_rows.append(
                {
                    "position": pos,
                    "column": id_column,
                    "value": table[id_column].iloc[pos],
                    "message": msg,
                    "message_en": msg_en,
                }
            )
    errors = result.errors.drop(columns=["row"])
    if extra_rows:
        errors = pd.concat([errors, pd.DataFrame(extra_rows)], ignore_index=True)
        errors = errors.sort_values("position", kind="stable").reset_index(drop=True)
    errors.insert(0, "row", errors["position"].astype("int64") + 2)
    errors.insert(1, "id", [ids.iloc[int(p)] for p in errors["position"]])
    errors = errors.drop(columns=["position"])
    errors["value"] = errors["value"].map(_cell_text)

    scores = result.scores.copy()
    if bad.any():
        invalid = pd.Series(bad, index=scores.index)
        newly = invalid & scores["valid"]
        if newly.any():
            num_cols = [c for c in scores.columns if c not in ("valid", "level", "level_name")]
            scores.loc[newly, num_cols] = math.nan
            scores.loc[newly, "level"] = pd.NA
            scores.loc[newly, "level_name"] = None
            scores.loc[newly, "valid"] = False
    scores.insert(0, "row", range(2, len(scores) + 2))
    scores.insert(1, "id", ids.to_list())
    scores.insert(2, "framework", pd.Series(plan.keys, index=scores.index, dtype=object))
    if id_column:
        scores = scores.rename(columns={"id": id_column}) if id_column != "row" else scores
        errors = errors.rename(columns={"id": id_column}) if id_column != "row" else errors
    return BatchOutcome(
        Path(name),
        plan.main,
        result,
        scores.reset_index(drop=True),
        errors,
        plan.used,
    )


def batch_file(
    path: str | os.PathLike[str],
    framework: Framework | str | None = None,
    *,
    id_column: str | None = None,
    sheet: str | int | None = None,
    frameworks: Iterable[Framework] = (),
) -> BatchOutcome:
    """:func:`batch_table` of the file at ``path``."""
    asked = _Asked.of(framework)  # a bad framework is refused before the file is read
    source = read_input(path)
    outcome = batch_table(
        source.data,
        source.name,
        asked.given,
        id_column=id_column,
        sheet=sheet,
        frameworks=frameworks,
    )
    return replace(outcome, source=Path(path))


# ------------------------------------------------------------------- row frameworks
@dataclass(frozen=True)
class _Asked:
    """The framework a command asked for: ``pinned`` to one version (a key, a path, an
    object), an ``id`` whose rows may name any version, or nothing."""

    framework: Framework | None
    pinned: bool
    given: Framework | str | None

    @classmethod
    def of(cls, framework: Framework | str | None) -> _Asked:
        fw = resolve_framework(framework)
        if fw is None:
            return cls(None, False, None)
        id_only = isinstance(framework, str) and framework.strip() == fw.id
        return cls(fw, not id_only, framework)

    @property
    def label(self) -> str:
        assert self.framework is not None
        return self.framework.key if self.pinned else f"{self.framework.id} (any version)"

    def allows(self, fw: Framework) -> bool:
        if self.framework is None:
            return True
        return fw.key == self.framework.key if self.pinned else fw.id == self.framework.id


def _extra_frameworks(asked: _Asked, frameworks: Iterable[Framework]) -> dict[str, Framework]:
    """The frameworks a row may name beside the shipped ones, by key."""
    extra = {fw.key: fw for fw in frameworks}
    if asked.framework is not None:
        extra.setdefault(asked.framework.key, asked.framework)
    return extra


def _cell(value: Any) -> str | None:
    """A framework cell as text; None when blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    text = str(value).strip()
    return text or None


def _version_text(text: str) -> str:
    """``2024版`` / ``2024年版`` → ``2024``."""
    return text.removesuffix("版").removesuffix("年").strip()


def _lookup(
    ident: str | None, version: str | None, asked: _Asked, extra: dict[str, Framework]
) -> Framework:
    """The framework a row names by id and/or version (either may be a whole key).

    Raises DataValidationError (or ConfigError) with both languages.
    """
    shipped = list_frameworks()

    def by_key(key: str) -> Framework | None:
        if key in extra:
            return extra[key]
        return load_framework(key) if key in shipped else None

    for cell, other in ((version, ident), (ident, version)):
        fw = by_key(cell) if cell else None
        if fw is not None:
            if (
                other
                and other not in (fw.id, fw.key, fw.version)
                and (_version_text(other) != fw.version)
            ):
                raise DataValidationError(
                    f"framework {ident!r} and framework_version {version!r} name different "
                    "frameworks",
                    zh=f"framework 列（{ident}）与 framework_version 列（{version}）不一致",
                )
            return fw
    if ident is None:
        ids = {fw.id for fw in extra.values()} | {_shipped_id(k) for k in shipped}
        if asked.framework is not None:
            ident = asked.framework.id
        elif len(ids) == 1:
            ident = ids.pop()
        else:
            raise DataValidationError(
                f"framework_version {version!r} without a framework id: add a 'framework' "
                "column or give --framework",
                zh=f"framework_version 为 {version!r}，但未指明评测框架：请增加 framework 列"
                "或指定 --framework",
            )
    if version is None:
        if asked.framework is not None and asked.framework.id == ident:
            return asked.framework
        return load_framework(ident)
    version = _version_text(version)
    for fw in extra.values():
        if fw.id == ident and fw.version == version:
            return fw
    return load_framework(ident, version)


def _shipped_id(key: str) -> str:
    """The id of a shipped key (``sme-digital-2024`` → ``sme-digital``)."""
    try:
        return load_framework(key).id
    except NqpfError:  # a broken shipped file: the key stands for itself
        return key


@dataclass(frozen=True)
class _RowFrameworks:
    """Each row's framework: ``keys`` per row (None where it could not be named),
    ``frameworks`` by key, the problems of the rows that cannot be scored, ``main``
    (the outcome's framework) and ``used`` (in order of first use)."""

    keys: list[str | None]
    frameworks: dict[str, Framework]
    problems: list[dict[str, Any]]
    main: Framework
    used: tuple[Framework, ...]

    @classmethod
    def of(
        cls, table: pd.DataFrame, asked: _Asked, extra: dict[str, Framework], *, file: str
    ) -> _RowFrameworks:
        present = [c for c in FRAMEWORK_COLUMNS if c in table.columns]
        if not present:
            if asked.framework is None:
                raise DataValidationError(
                    "no framework: give --framework or a 'framework' / 'framework_version' column",
                    file=file,
                    zh="未指明评测框架：请指定 --framework，或在表中增加 framework / "
                    "framework_version 列",
                )
            fw = asked.framework
            return cls([fw.key] * len(table), {fw.key: fw}, [], fw, (fw,))
        column = present[-1]  # errors name the version column when there is one
        blank = [None] * len(table)
        columns = [
            [_cell(v) for v in table[c].tolist()] if c in present else blank
            for c in FRAMEWORK_COLUMNS
        ]
        cells = list(zip(*columns, strict=True))
        found: dict[tuple[str | None, str | None], Framework | DataValidationError] = {}
        for ident, version in dict.fromkeys(cells):
            if ident is None and version is None:
                if asked.framework is None:
                    found[ident, version] = DataValidationError(
                        "no framework: the row names none and the command gave none (--framework)",
                        zh="未填写评测框架，命令也未指定（--framework）",
                    )
                else:
                    found[ident, version] = asked.framework
                continue
            try:
                found[ident, version] = _lookup(ident, version, asked, extra)
            except DataValidationError as exc:
                found[ident, version] = exc
        _refuse_conflicts(cells, found, asked, present, file)
        keys: list[str | None] = []
        problems: list[dict[str, Any]] = []
        frameworks: dict[str, Framework] = {}
        for pos, pair in enumerate(cells):
            got = found[pair]
            if isinstance(got, Framework) and not got.questions:
                got = DataValidationError(
                    f"framework {got.key} has level bands but no questions, so its rows "
                    "cannot be scored",
                    zh=f"评测框架 {got.key} 只有等级划分、没有题目，无法按答卷评分",
                )
            if isinstance(got, Framework):
                keys.append(got.key)
                frameworks.setdefault(got.key, got)
                continue
            keys.append(None)
            problems.append(
                {
                    "position": pos,
                    "column": column,
                    "value": table[column].iloc[pos],
                    "message": got.reason_zh,
                    "message_en": got.reason,
                }
            )
        used = tuple(frameworks.values())
        main = asked.framework or _most_used(keys, frameworks) or _first(found)
        return cls(keys, frameworks, problems, main, used)


def _most_used(keys: Sequence[str | None], frameworks: dict[str, Framework]) -> Framework | None:
    counts = pd.Series([k for k in keys if k is not None], dtype=object).value_counts(sort=False)
    if counts.empty:
        return None
    top = counts[counts == counts.max()].index
    return max((frameworks[k] for k in top), key=lambda fw: version_key(fw.version))


def _first(found: dict[Any, Framework | DataValidationError]) -> Framework:
    """A framework for the outcome when no row could be scored: the first a row named."""
    for got in found.values():
        if isinstance(got, Framework):
            return got
    return load_framework(list_frameworks()[-1])


def _rows_text(positions: Sequence[int], *, zh: bool = False) -> str:
    """Spreadsheet rows ``3, 5, 9`` (the first ten, then how many in all)."""
    rows = [str(p + 2) for p in positions]
    shown = ("、" if zh else ", ").join(rows[:10])
    if len(rows) > 10:
        shown += f" 等共 {len(rows)} 行" if zh else f", … ({len(rows)} rows)"
    return shown


def _refuse_conflicts(
    cells: Sequence[tuple[str | None, str | None]],
    found: dict[tuple[str | None, str | None], Framework | DataValidationError],
    asked: _Asked,
    present: Sequence[str],
    file: str,
) -> None:
    """One error naming the rows whose framework is not the one the command asked for."""
    by_key: dict[str, list[int]] = {}
    for pos, pair in enumerate(cells):
        got = found[pair]
        if isinstance(got, Framework) and not asked.allows(got):
            by_key.setdefault(got.key, []).append(pos)
    if not by_key:
        return
    column = " / ".join(present)
    en = "; ".join(
        f"row{'s' if len(p) > 1 else ''} {_rows_text(p)} name{'' if len(p) > 1 else 's'} {k}"
        for k, p in by_key.items()
    )
    zh = "；".join(f"第 {_rows_text(p, zh=True)} 行为 {k}" for k, p in by_key.items())
    raise DataValidationError(
        f"{en}, but the command asked for {asked.label} (--framework); leave --framework "
        "out to score each row by the framework it names, or correct those rows",
        file=file,
        column=present[-1],
        zh=f"{column} 列与命令不一致：{zh}，而命令指定 {asked.label}（--framework）；"
        "如需按各行所列框架评分，请去掉 --framework，或更正这些行",
    )


def _batch_score(table: pd.DataFrame, plan: _RowFrameworks) -> BatchScoreResult:
    """:func:`~nqpf.assessment.batch_score` of each framework's rows, put back in row order,
    with the rows whose framework could not be named or cannot score as problems."""
    if len(plan.frameworks) == 1 and not plan.problems:  # one framework: the table as it is
        return batch_score(plan.main if plan.main.key in plan.frameworks else plan.used[0], table)
    keys = pd.Series(plan.keys, index=table.index, dtype=object)
    parts = [batch_score(fw, table[keys == key]) for key, fw in plan.frameworks.items()]
    frames = [p.scores for p in parts]
    if not frames or len(frames[0]) < len(table):  # rows scored by none
        frames.append(pd.DataFrame({"valid": False}, index=keys.index[keys.isna()]))
    scores = pd.concat(frames).reindex(table.index)
    scores["valid"] = scores["valid"].fillna(False).astype(bool)
    scores["level"] = scores["level"].astype("Int64") if "level" in scores else pd.NA
    for col in ("total", "level_name"):
        if col not in scores:
            scores[col] = math.nan if col == "total" else None
    errors = [p.errors for p in parts]
    if plan.problems:
        found = pd.DataFrame(plan.problems)
        found.insert(0, "row", table.index[found["position"].to_numpy()])
        errors.append(found)
    if errors:
        frame = pd.concat([e for e in errors if len(e)] or errors[:1], ignore_index=True)
        frame["position"] = table.index.get_indexer(frame["row"])
        frame = frame.sort_values("position", kind="stable").reset_index(drop=True)
    else:
        frame = pd.DataFrame(
            columns=["row", "position", "column", "value", "message", "message_en"]
        )
    label = ", ".join(plan.frameworks) or plan.main.key
    return BatchScoreResult(framework=label, scores=scores, errors=frame)


def _cell_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value if isinstance(value, str | int | float) else str(value)


def score_rule_form(form: RuleForm | str, answers: Mapping[str, Any]) -> tuple[Any, Outcome]:
    """Score the form answers of a rule framework (CMMM self-check, smart-factory tiers,
    优质中小企业 2022/2026, green factory) with its engine: ``(engine result, outcome)``.

    ``form`` is a :class:`~nqpf.assessment.forms.RuleForm` or its key
    (``smart-factory-tiers-2025``); see :func:`nqpf.assessment.forms.score_form`.
    """
    if isinstance(form, str):
        forms = rule_forms()
        if form not in forms:
            raise ConfigError(
                f"unknown rule framework {form!r}; shipped: {', '.join(forms)}",
                field="framework",
                zh=f"没有评测框架 {form!r}；可选：{'、'.join(forms)}",
            )
        form = forms[form]
    return score_form(form, answers)
