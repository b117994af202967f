"""A provider's solutions as a form, a stored record and an engine object — one rule set.

A solution is edited with the columns of the catalogue template
(:mod:`nqpf.io.catalogue_template`: 场景 ``scene``, 起始等级 ``from_level``, 其他场景
``more_scenes`` ``能耗管理:2-3；…``, 前提条件 ``equipment_network_rate >= 40 %``, 案例
``C3511 OEE提升=12 %`` …), one text per column, so a form, the JSON API and an uploaded
XLSX row go through the same reader and obey the same rules:

* :func:`solution_from_fields` — the :class:`~nqpf.matching.Solution` of one row's texts,
  or a :class:`~nqpf.exceptions.DataValidationError` whose ``field`` is the column key;
* :func:`solution_fields` — a solution's texts for the edit form;
* :func:`solution_data` / :func:`solution_from_data` — the JSON stored beside the
  provider (without the provider fields: standing and rating come from the register and
  the delivery records when the catalogue is indexed).

>>> s = solution_from_fields({"name": "设备联网与预测性维护", "scene": "设备管理",
...     "from_level": "2", "to_level": "3", "deployment": "SaaS", "price_band": "20–50万",
...     "delivery_weeks": "8", "prerequisites": "equipment_network_rate >= 20 %"},
...     ref="A-01", provider_id="P1")
>>> s.scenes[0].text, s.price_min, s.price_max
('设备管理（二级→三级）', 20.0, 50.0)
>>> try:
...     solution_from_fields({"name": "x", "scene": "设备管理", "from_level": "2",
...         "to_level": "3", "deployment": "SaaS", "price_band": "5万以下",
...         "delivery_weeks": "4", "prerequisites": "equipment_network_rate >= 40 %；"
...         "equipment_network_rate < 30 %"}, ref="A-02", provider_id="P1")
... except Exception as err:
...     print(err.field, "|", err.reason_zh)
prerequisites | 前提条件相互矛盾：“设备联网率 ≥ 40 %”与“设备联网率 < 30 %”
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import pandas as pd

from nqpf.exceptions import DataValidationError
from nqpf.io.catalogue_template import COLUMNS, RowError, catalogue_frame, read_catalogue
from nqpf.io.tables import read_table
from nqpf.matching import Solution

__all__ = [
    "FIELDS",
    "FIELD_LABELS",
    "PROVIDER_FIELDS",
    "REQUIRED",
    "UploadRows",
    "read_upload",
    "solution_data",
    "solution_fields",
    "solution_from_data",
    "solution_from_fields",
]

#: Fields the engine's solution takes from its provider, not from the solution's form.
PROVIDER_FIELDS = ("provider_id", "provider_name", "provider_standing", "provider_rating")
#: The form's fields: the catalogue columns but the id and the provider's.
FIELDS = tuple(k for k in COLUMNS if k != "id" and k not in PROVIDER_FIELDS)
#: Field → its Chinese label (the template's header).
FIELD_LABELS = {k: COLUMNS[k][0] for k in ("id", *FIELDS)}
#: Fields a solution must fill (a price band, or both prices, besides).
REQUIRED = ("name", "scene", "from_level", "to_level", "deployment", "delivery_weeks")
#: Longest text of a field (characters); the others take up to 4000.
LIMITS = {"id": 64, "name": 200}
_MAX_FIELD = 4000
# text travels in one cell: tabs and line breaks separate items, other control characters
# (NUL above all, which PostgreSQL refuses) have no place in a catalogue
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
UPLOAD_SUFFIXES = (".xlsx", ".csv", ".parquet")


def _cell_problem(key: str, text: str) -> tuple[str, str] | None:
    """(English, Chinese) of what is wrong with a cell's text, or None."""
    label = FIELD_LABELS.get(key, key)
    limit = LIMITS.get(key, _MAX_FIELD)
    if len(text) > limit:
        return f"longer than {limit} characters", f"{label}不能超过 {limit} 字"
    if _CONTROL.search(text):
        return "contains a control character", f"{label}含有控制字符"
    return None


def solution_from_fields(
    fields: Mapping[str, Any],
    *,
    ref: str,
    provider_id: str,
    provider_name: str = "",
    standing: str = "admitted",
    rating: float | None = None,
) -> Solution:
    """The solution of one catalogue row given as texts (column key → text).

    Blank texts count as empty cells; the provider fields come from the arguments, never
    from ``fields``.

    Raises
    ------
    DataValidationError
        ``field`` is the column key at fault (``prerequisites``, ``to_level``,
        ``evidence`` …; ``id`` for the ref) and ``reason_zh`` says why.
    """
    cells: dict[str, str] = {}
    ref_text = str(ref or "").strip()
    for key in ("id", *FIELDS):
        value = ref_text if key == "id" else fields.get(key)
        text = "" if value is None else str(value).strip()
        problem = _cell_problem(key, text)
        if problem is not None:
            raise DataValidationError(f"{key}: {problem[0]}", field=key, zh=problem[1])
        if not text and (key in REQUIRED or key == "id"):
            raise DataValidationError(
                f"{key} is required", field=key, zh=f"请填写{FIELD_LABELS[key]}"
            )
        if key != "id":
            cells[key] = text
    if not cells["price_band"] and not (cells["price_min"] and cells["price_max"]):
        raise DataValidationError(
            "give a price band or both prices",
            field="price_band",
            zh="请选择价格区间，或填写最低价格与最高价格",
        )
    row = {
        "id": ref_text,
        "provider_id": str(provider_id),
        "provider_name": provider_name,
        "provider_standing": standing,
        "provider_rating": "" if rating is None else f"{rating:g}",
        **cells,
    }
    frame = pd.DataFrame([row], columns=["id", *PROVIDER_FIELDS, *FIELDS], dtype=object)
    frame = frame.replace("", None)
    rows = read_catalogue(frame, file="<form>")
    if rows.errors:
        e = rows.errors[0]
        key = e.column if e.column in COLUMNS else e.field
        raise DataValidationError(e.message, field=key, zh=e.message_zh)
    if not rows.solutions:
        raise DataValidationError("the solution is empty", field="name", zh="请填写方案内容")
    return rows.solutions[0]


def solution_fields(solution: Solution) -> dict[str, str]:
    """The form texts of ``solution`` (column key → text), :func:`solution_from_fields`
    reads them back to the same solution (KPI sources and case titles aside)."""
    frame = catalogue_frame([solution])
    heads = {COLUMNS[k][0]: k for k in COLUMNS}
    row = frame.iloc[0]
    return {heads[h]: ("" if v is None else str(v)) for h, v in row.items() if heads[h] in FIELDS}


def solution_data(solution: Solution) -> dict[str, Any]:
    """The JSON stored for ``solution``: everything but its id and provider fields."""
    data = solution.model_dump(mode="json")
    for key in ("id", *PROVIDER_FIELDS):
        data.pop(key, None)
    return data


def solution_from_data(
    data: Mapping[str, Any],
    *,
    id: str,
    provider_id: str,
    provider_name: str = "",
    standing: str = "admitted",
    rating: float | None = None,
) -> Solution:
    """The engine's :class:`~nqpf.matching.Solution` of stored ``data`` with its provider."""
    return Solution.model_validate(
        {
            **data,
            "id": id,
            "provider_id": provider_id,
            "provider_name": provider_name,
            "provider_standing": standing,
            "provider_rating": rating,
        }
    )


@dataclass(frozen=True)
class UploadRows:
    """A catalogue file read for a provider: the good rows' solutions (ids = the file's
    方案编号), each bad row's error, and how many rows were not blank."""

    solutions: tuple[Solution, ...]
    errors: tuple[RowError, ...]
    n_rows: int


def read_upload(data: bytes, name: str) -> UploadRows:
    """The rows of an uploaded catalogue table (``.xlsx``, ``.csv``, ``.parquet``).

    The rules are the template's (:func:`nqpf.io.catalogue_template.read_catalogue`) plus
    the limits a stored catalogue needs (:data:`LIMITS`, no control characters); a row
    breaking any of them is reported by its spreadsheet row and column and left out.  The
    provider columns are read as the template defines them but a door may replace them.

    Raises
    ------
    DataValidationError
        The file as a whole: another format, unreadable, an unknown or missing column.
    """
    suffix = PurePath(name or "").suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise DataValidationError(
            f"upload a catalogue table ({', '.join(UPLOAD_SUFFIXES)}), not {suffix or name!r}",
            field="file",
            zh="请上传方案目录表格（.xlsx、.csv 或 .parquet，可先下载模板）",
        )
    frame = read_table(data, name=name, text_columns=True)
    keys = {}
    for col in frame.columns:
        low = str(col).strip().lower()
        keys[col] = next(
            (
                k
                for k, (head, others, _, _) in COLUMNS.items()
                if low in {head.lower(), k, *(o.lower() for o in others)}
            ),
            None,
        )
    early: list[RowError] = []
    blank = [None] * len(frame.columns)
    for i in range(len(frame)):
        for col in frame.columns:
            value = frame.iat[i, frame.columns.get_loc(col)]
            if value is None or (isinstance(value, float) and value != value):
                continue
            key = keys[col] or str(col)
            problem = _cell_problem(key, str(value).strip())
            if problem is not None:
                early.append(RowError(i + 2, str(col), key, problem[0], problem[1]))
                frame.iloc[i] = blank  # a blank row: skipped, the numbering kept
                break
    rows = read_catalogue(frame, file=name)
    errors = tuple(sorted((*early, *rows.errors), key=lambda e: e.row))
    return UploadRows(rows.solutions, errors, rows.n_rows + len(early))
