"""Assessment use cases shared by the CLI and the web app: objects or bytes in.

* :func:`resolve_framework` — a framework from a key, an id (its latest version) or a path;
* :func:`frameworks_table` — the shipped frameworks;
* :func:`template_bytes` — the XLSX questionnaire of a framework (:func:`make_template`
  writes it to a file);
* :func:`score_responses` — score one response file's bytes (filled template, JSON, YAML);
* :func:`responses_from_template` — the answers of an uploaded filled template;
* :func:`batch_table` — score a table's bytes (CSV/XLSX, one row per enterprise),
  reporting every bad row and scoring the good ones.

:func:`score_file` and :func:`batch_file` are the same for a path, read through
:func:`nqpf.services.files.read_input`.  The diagnosis report is
:mod:`nqpf.services.assess_report`.
"""

from __future__ import annotations

import math
import os
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
)
from nqpf.assessment.answers import normalize_answers
from nqpf.exceptions import ConfigError, DataValidationError, NqpfError
from nqpf.io.assessment_template import read_responses, write_template
from nqpf.io.assessment_template import template_bytes as questionnaire_bytes
from nqpf.io.tables import read_table
from nqpf.services.files import read_input

__all__ = [
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
    "template_bytes",
]

SCORE_TABLES = ("summary", "dimensions", "questions", "scenes", "conditions")
BATCH_TABLES = ("scores", "errors")


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

    ``source`` is the file (its name for bytes).
    """

    source: Path
    framework: Framework
    result: BatchScoreResult
    scores: pd.DataFrame
    errors: pd.DataFrame

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
    framework: Framework | str,
    *,
    id_column: str | None = None,
    sheet: str | int | None = None,
) -> BatchOutcome:
    """Score a CSV/XLSX table, given as bytes, with one row per enterprise.

    Every input row appears in ``scores`` (``valid`` False and empty scores for a bad
    row); every problem is a row of ``errors`` with the spreadsheet ``row`` number
    (header = row 1), the id, the column, the value and the message.  Duplicate or
    missing ids are problems too.  ``name`` is the file's name: its suffix chooses the
    reader, and messages name it.

    Raises
    ------
    DataValidationError
        Only when the table cannot be read at all (unreadable content, no question
        columns, unknown id column).
    """
    fw = resolve_framework(framework)
    assert fw is not None
    text_cols = [id_column] if id_column else []
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
    try:
        result = batch_score(fw, table)
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
    if id_column:
        scores = scores.rename(columns={"id": id_column}) if id_column != "row" else scores
        errors = errors.rename(columns={"id": id_column}) if id_column != "row" else errors
    return BatchOutcome(Path(name), fw, result, scores.reset_index(drop=True), errors)


def batch_file(
    path: str | os.PathLike[str],
    framework: Framework | str,
    *,
    id_column: str | None = None,
    sheet: str | int | None = None,
) -> BatchOutcome:
    """:func:`batch_table` of the file at ``path``."""
    fw = resolve_framework(framework)
    assert fw is not None
    source = read_input(path)
    outcome = batch_table(source.data, source.name, fw, id_column=id_column, sheet=sheet)
    return replace(outcome, source=Path(path))


def _cell_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value if isinstance(value, str | int | float) else str(value)
