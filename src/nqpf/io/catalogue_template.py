"""The solution catalogue as a table (CSV / XLSX / Parquet) and its XLSX template.

One row per solution.  Single values have a column each; lists are written in one cell,
items separated by ``；`` (or ``;``, ``、``, a line break):

=================  ===================================================================
column             cell
=================  ===================================================================
方案编号 id          the solution's id (unique)
方案名称 name        its name
服务商编号 …         ``provider_id``, ``provider_name``; 服务商状态 入库/警告/暂停/移出/审核中;
                   服务商评级 0–5
场景 scene          the main scene (SME-2024 name such as 设备管理, or
                   ``典型场景 28 设备故障诊断与预测``), with 起始等级 / 目标等级 1–4
其他场景             more scenes, ``能耗管理:2-3；典型场景 16 能源智能管控:2-4``
适用行业             GB/T 4754 codes or prefixes, ``C35；C3981`` (blank: every industry)
适用规模             ``小型；中型`` (blank: every size)
部署方式             SaaS / 私有化 / 均可
价格区间             a band such as ``20–50万``, or 最低价格 / 最高价格 (万元), which win
交付周期（周）         weeks
前提条件             ``equipment_network_rate >= 40 %；has_erp == true`` (fact op value [unit])
改善指标             fact ids the solution raises, ``equipment_network_rate；data_collection``
案例               cases, each ``[行业代码] 指标=数值 单位，指标=数值 单位``:
                   ``C3511 OEE提升=12 %，停机时间降低=30 %；C3412 良品率提升=2.5 %``
方案介绍             description (Chinese text used for relevance)
=================  ===================================================================

:func:`read_catalogue` turns a table into solutions and reports every bad row by its
spreadsheet row and column; :func:`catalogue_frame` writes solutions back in the same
columns; :func:`catalogue_template_bytes` is the XLSX template with dropdowns (scenes,
levels, standing, deployment, price bands) and sheets listing the scenes and the facts.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from nqpf._suggest import did_you_mean
from nqpf.exceptions import DataValidationError
from nqpf.io.atomic import atomic_write
from nqpf.matching import (
    DEPLOYMENTS,
    PRICE_BANDS,
    SIZE_CLASSES,
    STANDINGS,
    Solution,
    load_facts,
    scenes,
    solution_from_mapping,
)
from nqpf.matching.scenes import LEVEL_NAMES, scene_label

__all__ = [
    "COLUMNS",
    "CatalogueRows",
    "RowError",
    "catalogue_frame",
    "catalogue_template_bytes",
    "read_catalogue",
    "write_catalogue_template",
]

DATA_SHEET = "方案目录"
HELP_SHEET = "填写说明"
SCENE_SHEET = "场景清单"
FACT_SHEET = "事实清单"
LIST_SHEET = "_lists"
_TEMPLATE_ROWS = 500

#: column key → (template header, other accepted spellings, width, help).
COLUMNS: dict[str, tuple[str, tuple[str, ...], int, str]] = {
    "id": ("方案编号", ("id", "solution_id"), 12, "必填；每个方案唯一"),
    "name": ("方案名称", ("name",), 28, "必填"),
    "provider_id": ("服务商编号", ("provider_id",), 12, "必填"),
    "provider_name": ("服务商名称", ("provider_name",), 22, "选填"),
    "provider_standing": ("服务商状态", ("provider_standing", "standing"), 12, "下拉：入库/警告/暂停/移出/审核中；空 = 入库"),
    "provider_rating": ("服务商评级", ("provider_rating", "rating"), 10, "0–5 星，选填"),
    "scene": ("场景", ("scene",), 30, "必填；下拉选择 SME-2024 场景或典型场景"),
    "from_level": ("起始等级", ("from_level",), 10, "必填；1–4"),
    "to_level": ("目标等级", ("to_level",), 10, "必填；1–4，高于起始等级"),
    "more_scenes": ("其他场景", ("more_scenes",), 30, "选填；如 能耗管理:2-3；典型场景 16 能源智能管控:2-4"),
    "industries": ("适用行业", ("industries",), 16, "GB/T 4754 代码或前缀，如 C35；C3981；空 = 不限行业"),
    "sizes": ("适用规模", ("sizes",), 14, "大型/中型/小型/微型，可多个；空 = 不限"),
    "deployment": ("部署方式", ("deployment",), 10, "必填；下拉：SaaS/私有化/均可"),
    "price_band": ("价格区间", ("price_band",), 12, "下拉；或填最低/最高价格（优先）"),
    "price_min": ("最低价格（万元）", ("price_min",), 12, "万元"),
    "price_max": ("最高价格（万元）", ("price_max",), 12, "万元"),
    "delivery_weeks": ("交付周期（周）", ("delivery_weeks",), 10, "必填；周"),
    "prerequisites": ("前提条件", ("prerequisites",), 36, "事实 比较符 数值 [单位]，如 equipment_network_rate >= 40 %；has_erp == true（事实见“事实清单”）"),
    "improves": ("改善指标", ("improves",), 24, "方案提升的事实编号，如 equipment_network_rate"),
    "evidence": ("案例", ("evidence", "cases"), 40, "每个案例：[行业代码] 指标=数值 单位，…；如 C3511 OEE提升=12 %，停机时间降低=30 %"),
    "description": ("方案介绍", ("description",), 50, "方案的中文介绍（用于文本匹配）"),
}  # fmt: skip
_REQUIRED = ("id", "name", "provider_id", "scene", "from_level", "to_level", "deployment",
             "delivery_weeks")  # fmt: skip
_SPLIT = re.compile(r"[；;、\n\r]+")
_KPI_SPLIT = re.compile(r"[，,]+")
_LEVEL_WORDS = {v: k for k, v in LEVEL_NAMES.items()}
_CONDITION = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(>=|<=|==|!=|≥|≤|≠|>|<|=)\s*(\S+)\s*(\S*)\s*$")
_SCENE_ITEM = re.compile(r"^(.+?)\s*[:：]\s*(\S+?)\s*(?:-|–|→|~|至)\s*(\S+)$")
_KPI = re.compile(r"^\s*(.+?)\s*[=：:]\s*([+-]?\d+(?:\.\d+)?)\s*(.*?)\s*$")
_CASE_CODE = re.compile(r"^\s*([A-Ta-t]\d{2,4})\s+(.*)$")
_TRUE, _FALSE = {"true", "是", "yes", "1"}, {"false", "否", "no", "0"}


@dataclass(frozen=True)
class RowError:
    """One bad row: its spreadsheet row, the column at fault, and the reason (en, zh)."""

    row: int
    column: str
    field: str
    message: str
    message_zh: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column!r}: {self.message}"


@dataclass(frozen=True)
class CatalogueRows:
    """The solutions of the good rows and an error for each bad row (file order)."""

    solutions: tuple[Solution, ...]
    errors: tuple[RowError, ...]
    n_rows: int


class _CellError(ValueError):
    def __init__(self, key: str, message: str, zh: str) -> None:
        super().__init__(message)
        self.key, self.zh = key, zh


# -- reading -------------------------------------------------------------------------------


def _header_keys(columns: Sequence[str], file: str) -> dict[str, str]:
    """Column key → the header as written in the file; unknown or missing columns refused."""
    spellings = {}
    for key, (head, others, _, _) in COLUMNS.items():
        for s in (head, key, *others):
            spellings[s.strip().lower()] = key
    found: dict[str, str] = {}
    for col in columns:
        key = spellings.get(str(col).strip().lower())
        if key is None:
            en, zh = did_you_mean(col, {s: COLUMNS[k][0] for s, k in spellings.items()})
            hint, hint_zh = (f" ({en})", f"（{zh}）") if en else ("", "")
            raise DataValidationError(
                f"unknown column {col!r}{hint}; the catalogue's columns are "
                f"{', '.join(COLUMNS)} (or their Chinese headers)",
                file=file,
                column=str(col),
                zh=f"未知列“{col}”{hint_zh}；目录的列见模板“{HELP_SHEET}”工作表",
            )
        if key in found:
            raise DataValidationError(
                f"columns {found[key]!r} and {col!r} are the same field",
                file=file,
                column=str(col),
                zh=f"列“{found[key]}”与“{col}”是同一字段",
            )
        found[key] = str(col)
    missing = [k for k in _REQUIRED if k not in found]
    if "price_band" not in found and not {"price_min", "price_max"} <= found.keys():
        missing.append("price_band 或 price_min + price_max")
    if missing:
        heads = "、".join(COLUMNS[k][0] if k in COLUMNS else k for k in missing)
        raise DataValidationError(
            f"missing column(s): {', '.join(missing)}",
            file=file,
            zh=f"缺少列：{heads}",
        )
    return found


def _items(text: str) -> list[str]:
    return [t.strip() for t in _SPLIT.split(text) if t.strip()]


def _level(text: str, key: str) -> int:
    text = text.strip()
    if text in _LEVEL_WORDS:
        return _LEVEL_WORDS[text]
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value.is_integer() and 1 <= value <= 4:
        return int(value)
    raise _CellError(
        key, f"expected a level 1–4, got {text!r}", f"应为等级 1–4（或 一级–四级），实际为“{text}”"
    )


def _condition(text: str, key: str) -> dict[str, Any]:
    m = _CONDITION.match(text)
    if not m:
        raise _CellError(
            key,
            f"{text!r} should read: fact op value [unit], e.g. equipment_network_rate >= 40 %",
            f"“{text}”应写作：事实 比较符 数值 [单位]，如 equipment_network_rate >= 40 %",
        )
    fact, op, raw, unit = m.groups()
    spec = load_facts().specs.get(fact)
    value: Any = raw
    if spec is not None and spec.kind == "flag":
        # the model says what else is wrong with a yes/no value it does not know
        value = True if raw.lower() in _TRUE else False if raw.lower() in _FALSE else raw
    elif spec is None or spec.kind != "option":
        try:
            value = float(raw.rstrip("%％"))
            if raw.endswith(("%", "％")) and not unit:
                unit = "%"
        except ValueError:
            value = raw
    return {"fact": fact, "op": op, "value": value, "unit": unit or None}


def _scene_item(text: str, key: str) -> dict[str, Any]:
    m = _SCENE_ITEM.match(text)
    if not m:
        raise _CellError(
            key,
            f"{text!r} should read scene:from-to, e.g. 能耗管理:2-3",
            f"“{text}”应写作 场景:起始等级-目标等级，如 能耗管理:2-3",
        )
    scene, frm, to = m.groups()
    return {"scene": scene, "from_level": _level(frm, key), "to_level": _level(to, key)}


def _case(text: str, key: str) -> dict[str, Any]:
    industry = None
    m = _CASE_CODE.match(text)
    if m:
        industry, text = m.group(1).upper(), m.group(2)
    kpis = []
    for part in (p.strip() for p in _KPI_SPLIT.split(text) if p.strip()):
        k = _KPI.match(part)
        if not k:
            raise _CellError(
                key,
                f"KPI {part!r} should read name=value unit, e.g. OEE提升=12 %",
                f"案例指标“{part}”应写作 指标=数值 单位，如 OEE提升=12 %",
            )
        kpis.append({"name": k.group(1), "value": float(k.group(2)), "unit": k.group(3)})
    return {"industry": industry, "kpis": kpis}


def _record(cells: dict[str, str]) -> dict[str, Any]:
    """A row's non-blank cells (key → text) as the mapping :class:`Solution` validates."""
    rec: dict[str, Any] = {
        k: cells[k]
        for k in ("id", "name", "provider_id", "provider_name", "provider_standing",
                  "provider_rating", "price_min", "price_max", "delivery_weeks", "description")
        if k in cells
    }  # fmt: skip
    if "scene" in cells or "from_level" in cells or "to_level" in cells:
        rec["scenes"] = [
            {
                "scene": cells.get("scene"),
                "from_level": _level(cells.get("from_level", ""), "from_level"),
                "to_level": _level(cells.get("to_level", ""), "to_level"),
            }
        ]
    rec.setdefault("scenes", [])
    rec["scenes"] += [_scene_item(t, "more_scenes") for t in _items(cells.get("more_scenes", ""))]
    for key in ("industries", "sizes", "improves"):
        rec[key] = _items(cells.get(key, ""))
    rec["deployment"] = cells.get("deployment", [])
    band = cells.get("price_band")
    if band is not None:
        if band not in PRICE_BANDS:
            raise _CellError(
                "price_band",
                f"unknown price band {band!r}; one of {', '.join(PRICE_BANDS)}",
                f"未知价格区间“{band}”；应为 {'、'.join(PRICE_BANDS)} 之一",
            )
        lo, hi = PRICE_BANDS[band]
        rec.setdefault("price_min", lo)
        rec.setdefault("price_max", hi)
    rec["prerequisites"] = [
        _condition(t, "prerequisites") for t in _items(cells.get("prerequisites", ""))
    ]
    rec["evidence"] = [
        _case(t, "evidence")
        for t in re.split(r"[；;\n\r]+", cells.get("evidence", ""))
        if t.strip()
    ]
    return rec


def _column_of(field: str | None) -> str:
    """The column key that holds a model field path (``scenes[1].to_level`` → more_scenes)."""
    if not field:
        return "id"
    top = re.split(r"[.\[]", field)[0]
    if top == "scenes":
        m = re.match(r"scenes\[(\d+)\](?:\.(\w+))?", field)
        if m and m.group(1) == "0":
            return {"from_level": "from_level", "to_level": "to_level"}.get(
                m.group(2) or "", "scene"
            )
        return "more_scenes"
    return top if top in COLUMNS else "id"


def read_catalogue(frame: pd.DataFrame, *, file: str = "<catalogue>") -> CatalogueRows:
    """The solutions of a catalogue table (read with every column as text).

    Parameters
    ----------
    frame
        From :func:`nqpf.io.tables.read_table` with ``text_columns=True``: row ``i`` is
        spreadsheet row ``i + 2``.
    file
        The file's name, for messages.

    Returns
    -------
    CatalogueRows
        The good rows' solutions and one :class:`RowError` per bad row (row and column);
        blank rows are skipped.

    Raises
    ------
    DataValidationError
        For the table as a whole: an unknown or duplicated column, a missing column.
    """
    headers = _header_keys(list(frame.columns), file)
    solutions: list[Solution] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    n_rows = 0
    for i, values in enumerate(frame.itertuples(index=False, name=None)):
        row = i + 2
        cells = {
            key: str(v).strip()
            for key, v in zip(
                headers,
                (values[list(frame.columns).index(h)] for h in headers.values()),
                strict=True,
            )
            if v is not None and not (isinstance(v, float) and v != v) and str(v).strip()
        }
        if not cells:
            continue
        n_rows += 1
        try:
            solution = solution_from_mapping(_record(cells))
        except _CellError as exc:
            errors.append(RowError(row, headers.get(exc.key, exc.key), exc.key, str(exc), exc.zh))
            continue
        except DataValidationError as exc:
            key = _column_of(exc.field)
            errors.append(
                RowError(row, headers.get(key, key), exc.field or key, exc.reason, exc.reason_zh)
            )
            continue
        if solution.id in seen:
            errors.append(RowError(row, headers["id"], "id",
                                   f"solution id {solution.id!r} is already on row {seen[solution.id]}",
                                   f"方案编号 {solution.id} 与第 {seen[solution.id]} 行重复"))  # fmt: skip
            continue
        seen[solution.id] = row
        solutions.append(solution)
    return CatalogueRows(tuple(solutions), tuple(errors), n_rows)


# -- writing -------------------------------------------------------------------------------


def _level_range(lift: Any) -> str:
    return f"{lift.from_level}-{lift.to_level}"


def _number(x: float) -> str:
    return f"{x:g}"


def catalogue_frame(solutions: Iterable[Solution]) -> pd.DataFrame:
    """Solutions as a catalogue table with the template's Chinese headers (text cells).

    :func:`read_catalogue` reads it back to the same solutions (KPI sources and case
    titles aside, which the table does not hold).
    """
    rows = []
    for s in solutions:
        first, *more = s.scenes
        rows.append({
            "id": s.id,
            "name": s.name,
            "provider_id": s.provider_id,
            "provider_name": s.provider_name,
            "provider_standing": STANDINGS[s.provider_standing],
            "provider_rating": "" if s.provider_rating is None else _number(s.provider_rating),
            "scene": scene_label(first.scene),
            "from_level": str(first.from_level),
            "to_level": str(first.to_level),
            "more_scenes": "；".join(f"{scene_label(x.scene)}:{_level_range(x)}" for x in more),
            "industries": "；".join(s.industries),
            "sizes": "；".join(SIZE_CLASSES[z] for z in s.sizes),
            "deployment": "均可" if len(set(s.deployment)) == 2 else DEPLOYMENTS[s.deployment[0]],
            "price_band": "",
            "price_min": _number(s.price_min),
            "price_max": _number(s.price_max),
            "delivery_weeks": _number(s.delivery_weeks),
            "prerequisites": "；".join(
                f"{c.fact} {c.op} {str(c.value).lower() if isinstance(c.value, bool) else c.value if isinstance(c.value, str) else _number(c.value)}"
                + (f" {c.unit}" if c.unit else "")
                for c in s.prerequisites
            ),
            "improves": "；".join(s.improves),
            "evidence": "；".join(
                " ".join(x for x in (c.industry or "", "，".join(f"{k.name}={_number(k.value)} {k.unit}" for k in c.kpis)) if x)
                for c in s.evidence
            ),
            "description": s.description,
        })  # fmt: skip
    frame = pd.DataFrame(rows, columns=list(COLUMNS), dtype=object)
    return frame.rename(columns={k: v[0] for k, v in COLUMNS.items()})


def catalogue_template_bytes() -> bytes:
    """The XLSX catalogue template: the data sheet with dropdowns, help, scenes and facts.

    The first sheet, ``方案目录``, is the one :func:`read_catalogue` reads; the dropdowns
    (scene, levels, standing, deployment, price band) take their lists from a hidden sheet.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter, quote_sheetname
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    wrap = Alignment(wrap_text=True, vertical="top")
    keys = list(COLUMNS)
    for c, key in enumerate(keys, start=1):
        head, _, width, _ = COLUMNS[key]
        cell = ws.cell(row=1, column=c, value=head)
        cell.font, cell.fill = bold, head_fill
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "B2"

    lists = wb.create_sheet(LIST_SHEET)
    dropdowns = {
        "scene": [s.label for s in scenes()],
        "from_level": ["1", "2", "3", "4"],
        "to_level": ["1", "2", "3", "4"],
        "provider_standing": list(STANDINGS.values()),
        "deployment": [*DEPLOYMENTS.values(), "均可"],
        "price_band": list(PRICE_BANDS),
    }
    for n, (key, values) in enumerate(dropdowns.items(), start=1):
        letter = get_column_letter(n)
        for r, v in enumerate(values, start=1):
            lists.cell(row=r, column=n, value=v).data_type = "s"
        dv = DataValidation(
            type="list",
            formula1=f"{quote_sheetname(LIST_SHEET)}!${letter}$1:${letter}${len(values)}",
            allow_blank=True,
            showErrorMessage=True,
        )
        dv.error, dv.errorTitle = "请从下拉列表选择", "输入无效"
        col = get_column_letter(keys.index(key) + 1)
        dv.add(f"{col}2:{col}{_TEMPLATE_ROWS + 1}")
        ws.add_data_validation(dv)
    for key, low, high in (("provider_rating", "0", "5"), ("price_min", "0", "100000"),
                           ("price_max", "0", "100000"), ("delivery_weeks", "0", "520")):  # fmt: skip
        dv = DataValidation(type="decimal", operator="between", formula1=low, formula2=high,
                            allow_blank=True, showErrorMessage=True)  # fmt: skip
        dv.error, dv.errorTitle = f"请填写 {low}–{high} 的数值", "输入无效"
        col = get_column_letter(keys.index(key) + 1)
        dv.add(f"{col}2:{col}{_TEMPLATE_ROWS + 1}")
        ws.add_data_validation(dv)

    help_ws = wb.create_sheet(HELP_SHEET)
    help_ws.append(["列", "英文名", "说明"])
    for key, (head, _, _, text) in COLUMNS.items():
        help_ws.append([head, key, text])
    help_ws.append([])
    help_ws.append(
        [
            "说明",
            "",
            "每行一个方案；多项内容用“；”分隔。填好后运行：nqpf match 需求.json 本文件.xlsx",
        ]
    )
    help_ws.column_dimensions["A"].width = 18
    help_ws.column_dimensions["B"].width = 18
    help_ws.column_dimensions["C"].width = 90

    scene_ws = wb.create_sheet(SCENE_SHEET)
    scene_ws.append(["场景（下拉中的写法）", "类别", "编号", "分组/环节", "代码"])
    for s in scenes():
        kind = "SME-2024 数字化经营场景" if s.kind == "sme" else "智能制造典型场景（2025）"
        scene_ws.append([s.label, kind, s.number or "", s.group, s.key])
    scene_ws.column_dimensions["A"].width = 36
    scene_ws.column_dimensions["D"].width = 20

    fact_ws = wb.create_sheet(FACT_SHEET)
    fact_ws.append(["事实编号", "名称", "类型", "单位", "取值范围", "来源"])
    kinds = {"number": "数值", "option": "单选（按选项顺序比较）", "count": "多选项数",
             "flag": "是/否", "level": "等级", "points": "得分"}  # fmt: skip
    for spec in load_facts():
        rng = ("、".join(spec.options) if spec.kind == "option"
               else "true/false" if spec.kind == "flag" else f"{spec.lo:g}–{spec.hi:g}")  # fmt: skip
        fact_ws.append([spec.id, spec.label, kinds[spec.kind], spec.unit, rng, spec.source])
    fact_ws.column_dimensions["A"].width = 30
    fact_ws.column_dimensions["B"].width = 40
    fact_ws.column_dimensions["F"].width = 30
    for sheet in (help_ws, scene_ws, fact_ws):
        for cell in sheet[1]:
            cell.font, cell.fill = bold, head_fill
        for row in sheet.iter_rows():
            for cell in row:
                cell.alignment = wrap
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        sheet.protection.sheet = True
    wb.move_sheet(LIST_SHEET, offset=len(wb.sheetnames))
    lists.sheet_state = "hidden"
    lists.protection.sheet = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_catalogue_template(path: str | os.PathLike[str]) -> Path:
    """Write :func:`catalogue_template_bytes` to an ``.xlsx`` path (atomically)."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise DataValidationError(
            "a template is an .xlsx file", file=path.name, zh="模板应为 .xlsx 文件"
        )
    data = catalogue_template_bytes()
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return path
