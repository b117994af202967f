"""The XLSX questionnaire users fill, and reading responses back (XLSX, JSON, YAML).

Template layout (:func:`write_template`)
-----------------------------------------
``说明``
    Framework name, id, version, source, confidence and how to fill the workbook.
``<dimension>`` (one sheet per scored dimension, e.g. ``数字化基础``)
    Columns ``编号 | 题目 | 题型 | 答案 | 说明/选项 | 代码``.  One row per question:

    * single choice: the 答案 cell (column D) has a dropdown of the option labels;
    * number (rates in %): the 答案 cell accepts a number between the question's
      ``min_value`` and ``max_value`` (0–100 for rates; ``35`` means 35%);
    * multi-select: the question row is a heading, followed by one row per option
      (编号 ``1.A``) whose 答案 cell has a ``是/否`` dropdown.  An option left blank counts
      as 否 once any option of the question is answered; all blank = not answered;
    * form fields (raw numbers collected beside a question, not scored) follow their
      question as optional rows (题型 ``表单字段（选填）``).

    Column F (``代码``, hidden) holds the question / option / field id of each row, so
    that a moved or deleted row is recognised instead of being misread.
``场景``
    One row per 数字化经营 scene: 序号, 场景, 分组, 类型 (约束性/指导性), 等级 (dropdown
    1–4), the four level texts, and the hidden scene id.
``_lists`` (hidden)
    The dropdown lists (Excel limits an inline list to 255 characters).
``_nqpf`` (very hidden)
    Metadata: ``framework``, ``version`` and ``checksum`` (the first 16 hex digits of
    the SHA-256 of the question, option and scene ids), so a template of another
    framework version is recognised.

Every sheet except the answer cells is protected (no password) so that labels are not
retyped by accident; the reader checks each cell anyway and names the sheet and cell of
every problem, e.g. ``模板.xlsx, sheet '数字化基础', cell D7: '很好' is not one of …``.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nqpf.assessment import Framework, Question, load_framework
from nqpf.exceptions import DataValidationError, NqpfError
from nqpf.io.atomic import atomic_write

__all__ = [
    "META_SHEET",
    "SCENE_SHEET",
    "framework_checksum",
    "read_responses",
    "template_bytes",
    "write_template",
]

COVER_SHEET = "说明"
SCENE_SHEET = "场景"
LIST_SHEET = "_lists"
META_SHEET = "_nqpf"
HEADER = ("编号", "题目", "题型", "答案", "说明/选项", "代码")
ANSWER_COL = "D"
CODE_COL = 6
YES, NO = "是", "否"
_KIND_CN = {"single": "单选", "multi": "多选（逐项填 是/否）", "number": "数值"}
_FORM_KIND = "表单字段（选填）"
_OPTION_KIND = "选项"
_MAX_PROBLEMS_SHOWN = 5
_MAPPING_CN = "应为“题目或场景编号 → 答案”的映射"
_MISSING_SHEET = "sheet is missing; generate a new template"
_MISSING_SHEET_CN = "缺少该工作表；请使用新生成的模板"
_MOVED_CN = "行被移动、插入或删除；请使用新生成的模板"


def framework_checksum(framework: Framework) -> str:
    """First 16 hex digits of SHA-256 over the question, option and scene ids."""
    parts = [framework.id]
    for q in framework.questions:
        parts.append(f"{q.id}:{q.kind}:" + ",".join(o.id for o in q.options))
    parts += [s.id for s in framework.scenes]
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:16]


def _resolve(framework: Framework | str | os.PathLike[str] | None) -> Framework | None:
    if framework is None or isinstance(framework, Framework):
        return framework
    return load_framework(framework)


def _require_questions(fw: Framework) -> None:
    if not fw.questions:
        raise DataValidationError(
            f"framework {fw.key!r} has no item tables (only level bands), so it has no "
            "questionnaire; use a framework with questions, e.g. sme-digital-2024",
            field="framework",
            zh=f"评测框架 {fw.key} 只有等级划分、没有题目，因此没有问卷；"
            "请选用有题目的框架，如 sme-digital-2024",
        )


def _dimension_questions(fw: Framework) -> list[tuple[str, list[Question]]]:
    out = []
    for d in fw.dimensions:
        ids = [ind.question for sub in d.sub_dimensions for ind in sub.indicators]
        if ids:
            out.append((d.name, [fw.question(i) for i in ids]))
    return out


def _sheet_title(name: str, taken: set[str]) -> str:
    from nqpf.io.atomic import sanitize_sheet_name

    title = sanitize_sheet_name(name, taken)
    taken.add(title.lower())
    return title


@dataclass(frozen=True)
class _Row:
    """What one row of a dimension sheet holds (the layout is derived from the framework)."""

    kind: str  # "question" (single/number), "multi" (heading), "option", "field"
    code: str
    question: Question
    option_id: str | None = None
    field_id: str | None = None


def _layout(questions: list[Question]) -> list[_Row]:
    rows: list[_Row] = []
    for q in questions:
        if q.kind == "multi":
            rows.append(_Row("multi", q.id, q))
            rows += [_Row("option", f"{q.id}.{o.id}", q, option_id=o.id) for o in q.options]
        else:
            rows.append(_Row("question", q.id, q))
        rows += [_Row("field", f.id, q, field_id=f.id) for f in q.form_fields]
    return rows


# ---------------------------------------------------------------------------- writing
def write_template(framework: Framework | str, path: str | os.PathLike[str]) -> Path:
    """Write the XLSX questionnaire of ``framework`` to ``path`` (atomically).

    Parameters
    ----------
    framework
        A :class:`~nqpf.assessment.Framework` or a key such as ``"sme-digital-2024"``.
    path
        Target ``.xlsx`` file; its folder must exist.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataValidationError
        The framework has no questions (``sme-digital-2022``) or the path is not .xlsx.
    """
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise DataValidationError(
            "a template is an .xlsx file", file=path.name, zh="模板应为 .xlsx 文件"
        )
    data = template_bytes(framework)
    with atomic_write(path, "wb") as fh:
        fh.write(data)
    return path


def template_bytes(framework: Framework | str) -> bytes:
    """The XLSX questionnaire of ``framework`` in memory (a download); see
    :func:`write_template`."""
    fw = _resolve(framework)
    assert fw is not None
    _require_questions(fw)
    book = _Book()
    yes_no = book.add_list([YES, NO])
    dims = _dimension_questions(fw)
    _write_cover(book, fw, [name for name, _ in dims])
    taken = {COVER_SHEET.lower(), SCENE_SHEET.lower(), LIST_SHEET.lower(), META_SHEET.lower()}
    for name, questions in dims:
        _write_dimension_sheet(book, _sheet_title(name, taken), questions, yes_no)
    _write_scene_sheet(book, fw)
    _write_lists_and_meta(book, fw)
    buffer = io.BytesIO()
    book.wb.save(buffer)
    return buffer.getvalue()


class _Book:
    """The workbook being written, its styles and the hidden sheet of dropdown lists."""

    def __init__(self) -> None:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill, Protection

        self.bold = Font(bold=True)
        self.fill_answer = PatternFill("solid", fgColor="FFF2CC")
        self.fill_head = PatternFill("solid", fgColor="DDEBF7")
        self.wrap = Alignment(wrap_text=True, vertical="top")
        self.unlocked = Protection(locked=False)
        self.wb = Workbook()
        self.wb.active.title = COVER_SHEET
        self.lists = self.wb.create_sheet(LIST_SHEET)
        self._list_col = 0

    def add_list(self, values: list[str]) -> str:
        """Put a dropdown list in the next column of the list sheet; return its range."""
        from openpyxl.utils import get_column_letter, quote_sheetname

        self._list_col += 1
        letter = get_column_letter(self._list_col)
        for i, v in enumerate(values, start=1):
            self.lists.cell(row=i, column=self._list_col, value=v).data_type = "s"
        return f"{quote_sheetname(LIST_SHEET)}!${letter}$1:${letter}${len(values)}"

    def validation(self, ws: Any, error: str, **kw: Any) -> Any:
        """A data validation on ``ws`` that shows ``error`` (titled 输入无效) on bad input."""
        from openpyxl.worksheet.datavalidation import DataValidation

        dv = DataValidation(showErrorMessage=True, showInputMessage=True, **kw)
        dv.error, dv.errorTitle = error, "输入无效"
        ws.add_data_validation(dv)
        return dv

    def start_sheet(self, title: str, head: tuple[str, ...], widths: tuple[int, ...]) -> Any:
        """A new sheet with a bold header row, column widths and the last (code) column hidden."""
        ws = self.wb.create_sheet(title)
        ws.append(list(head))
        for c in ws[1]:
            c.font = self.bold
            c.fill = self.fill_head
        letters = "ABCDEFGHIJ"[: len(widths)]
        for letter, width in zip(letters, widths, strict=True):
            ws.column_dimensions[letter].width = width
        ws.column_dimensions[letters[-1]].hidden = True
        ws.freeze_panes = "A2"
        return ws

    def append_row(self, ws: Any, values: list[Any]) -> int:
        """Append a wrapped row whose text cells stay text; return its row number."""
        ws.append(values)
        r = ws.max_row
        for c in ws[r]:
            c.alignment = self.wrap
            if isinstance(c.value, str):
                c.data_type = "s"
        return r

    def answer_cell(self, ws: Any, coordinate: str) -> Any:
        """Mark a cell as an answer: yellow and left unlocked in the protected sheet."""
        cell = ws[coordinate]
        cell.fill = self.fill_answer
        cell.protection = self.unlocked
        return cell


def _protect(ws: Any) -> None:
    """Protect a sheet's labels while leaving column widths and row heights adjustable."""
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def _write_cover(book: _Book, fw: Framework, dimension_names: list[str]) -> None:
    """The 说明 sheet: the framework's metadata and how to fill the workbook."""
    cover = book.wb[COVER_SHEET]
    cover_rows = [
        ("评测框架", fw.name),
        ("框架编号", fw.id),
        ("版本", fw.version),
        ("文件", fw.document or "—"),
        ("来源", fw.source),
        ("可信度", fw.confidence),
        ("等级规则可信度", fw.level_rule.confidence),
        ("", ""),
        ("填写说明", ""),
        ("1", "每个维度一个工作表（" + "、".join(dimension_names) + "），另有“场景”工作表。"),
        ("2", "只在黄色的“答案”列（D 列）填写；其他单元格受保护，请勿修改、插入或删除行。"),
        ("3", "单选题：从下拉列表选择选项（也可填写选项编号，如 B）。"),
        ("4", "多选题：每个选项一行，填“是”或“否”；选“无”时其他选项须为“否”。"),
        ("5", "比例题：填写 0–100 的数值，如 35 表示 35%。"),
        ("6", "表单字段（选填）：原始数值，不计分。"),
        ("7", "场景：每个场景的等级填 1–4（见该行的一级至四级描述）。"),
        ("8", "填好后运行：nqpf assess score 本文件.xlsx"),
    ]
    cover.column_dimensions["A"].width = 16
    cover.column_dimensions["B"].width = 90
    for r, (k, v) in enumerate(cover_rows, start=1):
        a = cover.cell(row=r, column=1, value=k)
        b = cover.cell(row=r, column=2, value=v)
        a.font = book.bold
        b.alignment = book.wrap
        a.data_type = b.data_type = "s"
    cover.protection.sheet = True


def _row_values(row: _Row) -> list[Any]:
    """The cells of one dimension-sheet row: 编号, 题目, 题型, answer (empty), 说明/选项, 代码."""
    q = row.question
    num = str(q.number or "")
    if row.kind == "multi":
        hint = "逐项填写“是/否”"
        if any(o.exclusive for o in q.options):
            ex = "、".join(o.label for o in q.options if o.exclusive)
            hint += f"；“{ex}”不能与其他选项同时为“是”"
        return [num, q.title, _KIND_CN["multi"], None, hint, row.code]
    if row.kind == "option":
        opt = q.option(row.option_id)
        return [f"{num}.{opt.id}", opt.label, _OPTION_KIND, None, "", row.code]
    if row.kind == "field":
        f = next(f for f in q.form_fields if f.id == row.field_id)
        unit = f"（{f.unit}）" if f.unit else ""
        k = [x.id for x in q.form_fields].index(f.id) + 1
        return [f"{num}-{k}", f.label + unit, _FORM_KIND, None, "不计分，可不填", row.code]
    if q.kind == "single":
        opts = "\n".join(f"{o.id}. {o.label}" for o in q.options)
        return [num, q.title, _KIND_CN["single"], None, opts, row.code]
    lo, hi = q.min_value, q.max_value
    rng = f"填写 {lo:g}–{hi:g} 的数值" + ("（如 35 表示 35%）" if q.unit == "%" else "")
    bands = "；".join(f"{b.interval(q.unit)}" for b in q.bands)
    return [num, q.title, _KIND_CN["number"], None, f"{rng}。分档：{bands}", row.code]


def _answer_validation(book: _Book, ws: Any, row: _Row, dv_yes: Any) -> Any:
    """The data validation of a row's answer cell: 是/否, a non-negative number, an option
    label or a number in the question's range."""
    q = row.question
    if row.kind == "option":
        return dv_yes
    if row.kind == "field":
        return book.validation(
            ws, "请填写非负数值", type="decimal", operator="greaterThanOrEqual", formula1="0"
        )
    if q.kind == "single":
        options = book.add_list([o.label for o in q.options])
        return book.validation(
            ws, "请从下拉列表选择", type="list", formula1=options, allow_blank=True
        )
    return book.validation(
        ws,
        f"请填写 {q.min_value:g}–{q.max_value:g} 的数值",
        type="decimal",
        operator="between",
        formula1=f"{q.min_value:g}",
        formula2=f"{q.max_value:g}",
        allow_blank=True,
    )


def _write_dimension_sheet(book: _Book, title: str, questions: list[Question], yes_no: str) -> None:
    """One dimension's sheet: a row per question, option and form field, answers in column D."""
    ws = book.start_sheet(title, HEADER, (8, 50, 16, 28, 60, 24))
    dv_yes = book.validation(ws, "请填写“是”或“否”", type="list", formula1=yes_no, allow_blank=True)
    for row in _layout(questions):
        r = book.append_row(ws, _row_values(row))
        if row.kind == "multi":
            for c in ws[r]:
                c.font = book.bold
            continue
        cell = book.answer_cell(ws, f"{ANSWER_COL}{r}")
        _answer_validation(book, ws, row, dv_yes).add(cell.coordinate)
    _protect(ws)


def _write_scene_sheet(book: _Book, fw: Framework) -> None:
    """The 场景 sheet: a row per scene with its four level texts, the level in column E."""
    head = ("序号", "场景", "分组", "类型", "等级", "一级", "二级", "三级", "四级", "代码")
    ws = book.start_sheet(SCENE_SHEET, head, (6, 16, 18, 8, 8, 36, 36, 36, 36, 24))
    dv = book.validation(
        ws, "请填写 1–4 的整数", type="list", formula1='"1,2,3,4"', allow_blank=True
    )
    for i, s in enumerate(fw.scenes, start=1):
        kind = "约束性" if s.binding else "指导性"
        r = book.append_row(ws, [i, s.name, s.group, kind, None, *s.levels, s.id])
        dv.add(book.answer_cell(ws, f"E{r}").coordinate)
    _protect(ws)


def _write_lists_and_meta(book: _Book, fw: Framework) -> None:
    """Move the dropdown lists to the end, hidden, and add the very hidden metadata sheet."""
    wb = book.wb
    wb.move_sheet(LIST_SHEET, offset=len(wb.sheetnames))
    book.lists.sheet_state = "hidden"
    book.lists.protection.sheet = True
    meta = wb.create_sheet(META_SHEET)
    for k, v in (
        ("framework", fw.id),
        ("version", fw.version),
        ("checksum", framework_checksum(fw)),
        ("template_format", "1"),
    ):
        meta.append([k, v])
        for c in meta[meta.max_row]:
            c.data_type = "s"
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True


# ---------------------------------------------------------------------------- reading
class _Problems:
    """The bad cells of a workbook, each with its reason in English and in Chinese."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.items: list[dict[str, str]] = []

    def add(self, sheet: str, cell: str, message: str, zh: str, field: str | None = None) -> None:
        self.items.append(
            {"sheet": sheet, "cell": cell, "field": field or "", "message": message, "zh": zh}
        )

    def raise_if_any(self) -> None:
        if not self.items:
            return
        # Sheet order as written, then top to bottom (multi-selects are checked last).
        order = {sh: k for k, sh in enumerate(dict.fromkeys(p["sheet"] for p in self.items))}
        self.items.sort(
            key=lambda p: (order[p["sheet"]], int(re.sub(r"\D", "", p["cell"].split(":")[0]) or 0))
        )
        parts = [f"sheet '{p['sheet']}', cell {p['cell']}: {p['message']}" for p in self.items]
        parts_zh = [f"{_where_cn(p['sheet'], p['cell'])}：{p['zh']}" for p in self.items]
        text = "; ".join(parts[:_MAX_PROBLEMS_SHOWN])
        text_zh = "；".join(parts_zh[:_MAX_PROBLEMS_SHOWN])
        if len(parts) > _MAX_PROBLEMS_SHOWN:
            text += f" (and {len(parts) - _MAX_PROBLEMS_SHOWN} more problem(s))"
            text_zh += f"（另有 {len(parts) - _MAX_PROBLEMS_SHOWN} 处问题）"
        err = DataValidationError(f"{self.filename}, {text}", zh=text_zh)
        err.file = self.filename
        err.field = self.items[0]["field"] or None
        err.problems = self.items  # type: ignore[attr-defined]
        raise err


def _where_cn(sheet: str, cell: str) -> str:
    """``工作表“数字化基础”D7 单元格`` (just the sheet when it is missing altogether)."""
    return f"工作表“{sheet}”" if cell == "—" else f"工作表“{sheet}”{cell} 单元格"


def _label_cn(q: Question) -> str:
    """A question as the questionnaire shows it: ``第3题“…”``."""
    return f"第{q.number}题“{q.title}”" if q.number else f"“{q.title}”"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _show(value: Any) -> str:
    return repr(value.strip()) if isinstance(value, str) else repr(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        x = float(value)
    elif isinstance(value, str):
        try:
            x = float(value.strip().rstrip("%").strip())
        except ValueError:
            return None
    else:
        return None
    return x if math.isfinite(x) else None


def read_responses(
    path: str | os.PathLike[str] | bytes,
    framework: Framework | str | None = None,
    *,
    name: str | None = None,
) -> tuple[str, str, dict[str, Any]]:
    """Read one response from a filled template (.xlsx) or a JSON / YAML mapping.

    Parameters
    ----------
    path
        ``.xlsx`` written by :func:`write_template` and filled in, or ``.json`` /
        ``.yaml`` / ``.yml``: either a flat mapping question/scene id → answer, or
        ``{framework: sme-digital, version: "2024", responses: {...}}``.  Or the file's
        content as ``bytes`` (an upload), with ``name`` giving its file name.
    name
        The file name messages show and whose suffix chooses the reader (bytes only).
    framework
        The framework the responses must belong to (object or key).  ``None`` takes the
        one the file declares (required for a flat JSON/YAML mapping).

    Returns
    -------
    (framework_id, version, responses)
        ``responses`` maps question ids to option ids (single), tuples of option ids
        (multi) or numbers, scene ids to levels 1–4, and filled form fields to numbers.

    Raises
    ------
    DataValidationError
        Naming the file, sheet and cell (XLSX) or field (JSON/YAML): a cell that is not
        one of the listed options, a number out of range, '无' with another option, a
        missing answer, a moved row, a template of another framework version.
    """
    if isinstance(path, bytes | bytearray):
        if not name:
            raise TypeError("reading bytes needs name= (the file name, for its suffix)")
        path = _File(name, bytes(path))
    else:
        path = Path(path)
        if not path.is_file():
            raise DataValidationError("file not found", file=str(path), zh="找不到该文件")
        path = _File(path.name, path.read_bytes())
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, framework)
    if suffix in (".json", ".yaml", ".yml"):
        return _read_mapping(path, framework)
    raise DataValidationError(
        f"cannot read {path.suffix or 'files without a suffix'!r} responses; use a filled "
        "template (.xlsx), .json or .yaml",
        file=path.name,
        zh=f"无法读取{path.suffix or '无扩展名'}格式的答卷；请使用填好的模板（.xlsx）、.json 或 .yaml",
    )


class _File:
    """A response file's name (messages, suffix) and content."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.data = Path(name).name, data
        self.suffix = Path(name).suffix

    def read_text(self, encoding: str) -> str:
        try:
            return self.data.decode(encoding)
        except UnicodeDecodeError:
            raise DataValidationError(
                "not UTF-8 text", file=self.name, zh="不是 UTF-8 编码的文本文件"
            ) from None


def _read_mapping(path: _File, framework: Framework | str | None) -> tuple[str, str, dict[str, Any]]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DataValidationError(
            f"not readable ({exc})".replace("\n", " "),
            file=path.name,
            zh=f"文件格式有误，无法读取（{type(exc).__name__}）",
        ) from None
    if not isinstance(data, dict):
        raise DataValidationError(
            "expected a mapping of question/scene id → answer", file=path.name, zh=_MAPPING_CN
        )
    declared_id = declared_version = None
    if "responses" in data:
        extra = set(data) - {"framework", "version", "responses", "id", "name", "note"}
        if extra:
            raise DataValidationError(
                f"unknown top-level key(s) {sorted(extra)}; expected framework, version, responses",
                file=path.name,
                field=sorted(extra)[0],
                zh=f"未知的顶层键 {sorted(extra)}；应为 framework、version、responses",
            )
        declared_id = data.get("framework")
        declared_version = data.get("version")
        responses = data["responses"]
        if not isinstance(responses, dict):
            raise DataValidationError(
                "expected a mapping of question/scene id → answer",
                file=path.name,
                field="responses",
                zh=_MAPPING_CN,
            )
        if declared_version is not None:
            declared_version = str(declared_version)
        if declared_id is not None:
            declared_id = str(declared_id)
            # "sme-digital-2024" given as the framework key
            if declared_version is None:
                try:
                    fw_declared = load_framework(declared_id)
                    declared_id, declared_version = fw_declared.id, fw_declared.version
                except NqpfError:
                    pass
    else:
        responses = data
    fw = _resolve(framework)
    if fw is None:
        if declared_id is None:
            raise DataValidationError(
                "the file does not say which framework it answers; give the framework "
                "(--framework sme-digital-2024) or a top-level 'framework' key",
                file=path.name,
                field="framework",
                zh="文件未注明所答的评测框架；请指定评测框架，或在文件顶层写明 framework",
            )
        fw = load_framework(declared_id, declared_version)
    _check_version(fw, declared_id, declared_version, path.name, "file")
    return fw.id, fw.version, {str(k): v for k, v in responses.items()}


def _check_version(
    fw: Framework, fid: str | None, version: str | None, filename: str, what: str
) -> None:
    what_cn = {"file": "该文件", "template": "该模板"}[what]
    if fid is not None and fid != fw.id:
        raise DataValidationError(
            f"{what} is for framework {fid} {version or ''}".rstrip()
            + f"; this is {fw.id} {fw.version}",
            file=filename,
            field="framework",
            zh=f"{what_cn}属于评测框架 {fid} {version or ''}".rstrip()
            + f"，而本次评测使用 {fw.id} {fw.version}",
        )
    if version is not None and version != fw.version:
        raise DataValidationError(
            f"{what} is for {fw.id} {version}; this is {fw.version}. Generate a new "
            f"template with: nqpf assess template --framework {fw.key}",
            file=filename,
            field="version",
            zh=f"{what_cn}属于 {fw.id} {version} 版，而本次评测使用 {fw.version} 版；"
            "请使用新版模板重新填写",
        )


def _read_xlsx(path: _File, framework: Framework | str | None) -> tuple[str, str, dict[str, Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    name = path.name
    try:
        wb = load_workbook(io.BytesIO(path.data), data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise DataValidationError(
            f"not a readable .xlsx file ({exc})",
            file=name,
            zh=f"不是可读取的 .xlsx 文件（{type(exc).__name__}）",
        ) from None
    if META_SHEET not in wb.sheetnames:
        raise DataValidationError(
            "not an nqpf assessment template (its metadata sheet is missing); generate one "
            "with: nqpf assess template --framework sme-digital-2024",
            file=name,
            zh="不是本平台的评测模板（缺少元数据工作表）；请使用本平台生成的模板",
        )
    meta = {}
    for row in wb[META_SHEET].iter_rows(values_only=True):
        if row and row[0] is not None:
            meta[str(row[0]).strip()] = "" if len(row) < 2 or row[1] is None else str(row[1])
    fid, version, checksum = meta.get("framework"), meta.get("version"), meta.get("checksum")
    if not fid or not version:
        raise DataValidationError(
            "the template's metadata (framework, version) is damaged; generate a new template",
            file=name,
            zh="模板的元数据（评测框架、版本）已损坏；请使用新生成的模板",
        )
    fw = _resolve(framework)
    if fw is None:
        try:
            fw = load_framework(fid, version)
        except NqpfError as exc:
            raise DataValidationError(
                f"template is for {fid} {version}, which is not available here ({exc})",
                file=name,
                field="version",
                zh=f"该模板属于 {fid} {version} 版，本平台没有这一版本",
            ) from None
    _check_version(fw, fid, version, name, "template")
    _require_questions(fw)
    if checksum != framework_checksum(fw):
        raise DataValidationError(
            f"template questions do not match {fw.key} (checksum {checksum} ≠ "
            f"{framework_checksum(fw)}); generate a new template with: "
            f"nqpf assess template --framework {fw.key}",
            file=name,
            field="checksum",
            zh=f"模板中的题目与评测框架 {fw.key} 不一致（校验码不符）；请使用新生成的模板",
        )
    problems = _Problems(name)
    responses: dict[str, Any] = {}
    taken = {COVER_SHEET.lower(), SCENE_SHEET.lower(), LIST_SHEET.lower(), META_SHEET.lower()}
    for dim, questions in _dimension_questions(fw):
        title = _sheet_title(dim, taken)
        if title not in wb.sheetnames:
            problems.add(title, "—", _MISSING_SHEET, _MISSING_SHEET_CN)
            continue
        _read_dimension_sheet(wb[title], questions, problems, responses)
    if fw.scenes:
        if SCENE_SHEET not in wb.sheetnames:
            problems.add(SCENE_SHEET, "—", _MISSING_SHEET, _MISSING_SHEET_CN)
        else:
            _read_scene_sheet(wb[SCENE_SHEET], fw, problems, responses)
    wb.close()
    problems.raise_if_any()
    return fw.id, fw.version, responses


def _read_dimension_sheet(ws, questions: list[Question], problems: _Problems, out: dict) -> None:
    sheet = ws.title
    multi: dict[str, list[tuple[str, str, Any]]] = {}
    for i, row in enumerate(_layout(questions)):
        r = i + 2
        code = ws.cell(row=r, column=CODE_COL).value
        if str(code or "").strip() != row.code:
            problems.add(
                sheet,
                f"F{r}",
                f"expected row for {row.code!r}, found {code!r}: rows were moved, inserted "
                "or deleted; generate a new template",
                f"此处应为 {row.code!r} 所在行，实为 {code!r}：{_MOVED_CN}",
                row.question.id,
            )
            return
        if row.kind == "multi":
            continue
        cell = f"{ANSWER_COL}{r}"
        value = ws[cell].value
        q = row.question
        label = f"{q.number}题 {q.title}" if q.number else q.title
        label_cn = _label_cn(q)
        if row.kind == "option":
            multi.setdefault(q.id, []).append((row.option_id or "", cell, value))
        elif row.kind == "field":
            if _blank(value):
                continue
            x = _number(value)
            if x is None or x < 0:
                f = next(f for f in q.form_fields if f.id == row.field_id)
                problems.add(
                    sheet,
                    cell,
                    f"{_show(value)} is not a non-negative number ({row.field_id})",
                    f"“{f.label}”应为不小于 0 的数值，收到 {_show(value)}",
                    row.field_id,
                )
            else:
                out[row.field_id or ""] = x
        elif _blank(value):
            problems.add(
                sheet,
                cell,
                f"missing answer to question {q.id!r} ({label})",
                f"{label_cn}缺少答案",
                q.id,
            )
        elif q.kind == "single":
            labels = {o.label: o.id for o in q.options}
            text = str(value).strip()
            if text in labels:
                out[q.id] = labels[text]
            elif text in {o.id for o in q.options}:
                out[q.id] = text
            else:
                allowed = "、".join(f"{o.id}. {o.label}" for o in q.options)
                problems.add(
                    sheet,
                    cell,
                    f"{_show(value)} is not one of the options of question {q.id!r} "
                    f"({label}): {allowed}",
                    f"{label_cn}没有选项 {_show(value)}，可选：{allowed}",
                    q.id,
                )
        else:
            x = _number(value)
            lo, hi = q.min_value, q.max_value
            assert lo is not None and hi is not None
            if x is None:
                problems.add(
                    sheet,
                    cell,
                    f"{_show(value)} is not a number (question {q.id!r}, {label})",
                    f"{label_cn}应为数值，收到 {_show(value)}",
                    q.id,
                )
            elif not lo <= x <= hi:
                problems.add(
                    sheet,
                    cell,
                    f"{x:g} is out of range [{lo:g}, {hi:g}] (question {q.id!r}, {label})",
                    f"{label_cn}的数值 {x:g} 超出范围 [{lo:g}, {hi:g}]",
                    q.id,
                )
            else:
                out[q.id] = x
    for q in questions:
        if q.kind != "multi":
            continue
        cells = multi.get(q.id, [])
        label = f"{q.number}题 {q.title}" if q.number else q.title
        if cells and all(_blank(v) for _, _, v in cells):
            problems.add(
                sheet,
                f"{cells[0][1]}:{cells[-1][1]}",
                f"missing answer to question {q.id!r} ({label}): fill 是 or 否 for each option",
                f"{_label_cn(q)}缺少答案：请为每个选项填写 是 或 否",
                q.id,
            )
            continue
        chosen: list[tuple[str, str]] = []
        ok = True
        for oid, cell, value in cells:
            if _blank(value):
                continue
            text = str(value).strip()
            if text in (YES, "Y", "y", "1", "True", "TRUE") or value is True or value == 1:
                chosen.append((oid, cell))
            elif text in (NO, "N", "n", "0", "False", "FALSE") or value is False or value == 0:
                continue
            else:
                ok = False
                problems.add(
                    sheet,
                    cell,
                    f"{_show(value)} is not one of 是/否 (question {q.id!r} option {oid!r})",
                    f"{_label_cn(q)}的选项{oid}应填 是 或 否，收到 {_show(value)}",
                    q.id,
                )
        if not ok:
            continue
        exclusive = [(oid, cell) for oid, cell in chosen if q.option(oid).exclusive]
        if exclusive and len(chosen) > 1:
            oid, cell = exclusive[0]
            others = ", ".join(c for o, c in chosen if o != oid)
            problems.add(
                sheet,
                cell,
                f"option {oid!r} ({q.option(oid).label}) of question {q.id!r} cannot be 是 "
                f"together with other options (是 in {others})",
                f"{_label_cn(q)}的选项{oid}（{q.option(oid).label}）不能与其他选项同时为 是"
                f"（{others.replace(', ', '、')} 为 是）",
                q.id,
            )
            continue
        out[q.id] = tuple(oid for oid, _ in chosen)


def _read_scene_sheet(ws, fw: Framework, problems: _Problems, out: dict) -> None:
    sheet = ws.title
    for i, s in enumerate(fw.scenes):
        r = i + 2
        code = ws.cell(row=r, column=10).value
        if str(code or "").strip() != s.id:
            problems.add(
                sheet,
                f"J{r}",
                f"expected scene {s.id!r}, found {code!r}: rows were moved, inserted or "
                "deleted; generate a new template",
                f"此处应为场景“{s.name}”所在行，实为 {code!r}：{_MOVED_CN}",
                s.id,
            )
            return
        cell = f"E{r}"
        value = ws[cell].value
        if _blank(value):
            problems.add(
                sheet,
                cell,
                f"missing level (1–4) of scene {s.id!r} ({s.name})",
                f"场景“{s.name}”缺少等级（1–4）",
                s.id,
            )
            continue
        x = _number(value)
        if x is None or x != int(x) or not 1 <= x <= 4:
            problems.add(
                sheet,
                cell,
                f"{_show(value)} is not one of 1, 2, 3, 4 (scene {s.id!r}, {s.name})",
                f"场景“{s.name}”的等级应为 1、2、3、4 之一，收到 {_show(value)}",
                s.id,
            )
            continue
        out[s.id] = int(x)
