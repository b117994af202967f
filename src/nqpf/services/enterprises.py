"""Enterprise profiles: the field rules and the bulk-import table, for any door.

Field rules
-----------
``name``
    1–200 characters, no control characters.
``credit_code``
    统一社会信用代码 with a valid check character
    (:func:`nqpf.codes.validate_credit_code`); stored upper-case.
``industry``
    A full GB/T 4754 code, section letter and 2–4 digits, e.g. ``C3484``
    (:func:`nqpf.codes.validate_industry_code`; a lower-case letter is upper-cased).
``region_code``
    An NBS code of 6 or 12 digits in one of the 31 provinces
    (:func:`nqpf.codes.validate_region_code`).
``size_class``
    ``large`` / ``medium`` / ``small`` / ``micro`` or 大型 / 中型 / 小型 / 微型.
``chains``
    Up to 20 industry-chain memberships ``{"chain": ≤ 50 characters, "stage": 上游 | 中游
    | 下游}``; as text ``新能源汽车:中游;高端装备:上游`` (``;``, ``；`` or new lines
    between items, ``:`` or ``：`` between chain and stage).

Each rule raises :class:`~nqpf.exceptions.DataValidationError` naming the field, with the
reason in English and in Chinese (``reason_zh``, phrased to follow the field's label), so
the web shows ``统一社会信用代码（credit_code）校验位错误：…`` and a command line the English.

Bulk import
-----------
:func:`read_import_table` reads a CSV (UTF-8 or GB18030) or XLSX upload through
:func:`nqpf.io.tables.read_table`, maps its headers (Chinese or English,
:data:`IMPORT_COLUMNS`) and checks every row, duplicates within the file included.  What
needs the platform — credit codes already registered, the importer's region scope, the
transaction and the audit trail — is the door's.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import pandas as pd

from nqpf.codes import (
    credit_code_check_char,
    validate_credit_code,
    validate_industry_code,
    validate_region_code,
)
from nqpf.exceptions import DataValidationError
from nqpf.io.tables import read_table

__all__ = [
    "EXAMPLE_MARK",
    "IMPORT_COLUMNS",
    "MAX_IMPORT_ROWS",
    "PROFILE_FIELDS",
    "REQUIRED_FIELDS",
    "SIZE_ALIASES",
    "SIZE_CLASSES",
    "STAGES",
    "ImportRow",
    "ImportTable",
    "check_profile",
    "clean_chains",
    "clean_credit_code",
    "clean_industry",
    "clean_name",
    "clean_region_code",
    "clean_size_class",
    "format_chains",
    "has_control_characters",
    "import_template_csv",
    "read_import_table",
]

PROFILE_FIELDS = ("name", "credit_code", "industry", "region_code", "size_class", "chains")
REQUIRED_FIELDS = ("name", "credit_code", "industry", "region_code", "size_class")
SIZE_CLASSES = ("large", "medium", "small", "micro")
SIZE_ALIASES = {"大型": "large", "中型": "medium", "小型": "small", "微型": "micro"}
STAGES = ("上游", "中游", "下游")
NAME_MAX = 200
CHAIN_MAX = 50
MAX_CHAINS = 20

#: canonical column → accepted header spellings (case-insensitive; ``中文/english`` too);
#: the first spelling is the template's header
IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("企业名称", "name"),
    "credit_code": ("统一社会信用代码", "credit_code"),
    "industry": ("行业代码", "industry"),
    "region_code": ("地区代码", "region_code"),
    "size_class": ("规模", "size_class"),
    "chains": ("产业链", "chains"),
    "note": ("备注", "note"),
}
#: a row whose 备注 is this is the template's example and is skipped
EXAMPLE_MARK = "示例"
MAX_IMPORT_ROWS = 10_000
IMPORT_SUFFIXES = (".csv", ".txt", ".xlsx")


# --------------------------------------------------------------------------- fields


def has_control_characters(text: str) -> bool:
    """True when ``text`` holds a control character or a lone surrogate."""
    return any(unicodedata.category(ch) in ("Cc", "Cs") for ch in text)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _required(name: str) -> DataValidationError:
    return DataValidationError(f"{name} is required", field=name, zh="不能为空")


def clean_name(value: Any) -> str:
    """The enterprise name, stripped: 1–200 characters, no control characters."""
    text = _text(value)
    if not text:
        raise _required("name")
    if len(text) > NAME_MAX:
        raise DataValidationError(
            f"at most {NAME_MAX} characters, got {len(text)}",
            field="name",
            zh=f"最长 {NAME_MAX} 个字符，实际 {len(text)} 个",
        )
    if has_control_characters(text):
        raise DataValidationError(
            "control characters are not allowed", field="name", zh="不能包含控制字符"
        )
    return text


def clean_credit_code(value: Any) -> str:
    """The 统一社会信用代码, upper-cased, its check character verified."""
    return validate_credit_code(_text(value))


def clean_industry(value: Any) -> str:
    """The full GB/T 4754 code (section letter and 2–4 digits), upper-cased."""
    return validate_industry_code(value)


def clean_region_code(value: Any) -> str:
    """The 6- or 12-digit NBS region code, in one of the 31 provinces."""
    return validate_region_code(value)


def clean_size_class(value: Any, *, field: str = "size_class") -> str:
    """``large`` / ``medium`` / ``small`` / ``micro`` from either spelling (大型 … 微型).

    >>> clean_size_class("小型"), clean_size_class(" Medium ")
    ('small', 'medium')
    """
    text = _text(value)
    if not text:
        raise _required(field)
    size = SIZE_ALIASES.get(text, text.lower())
    if size not in SIZE_CLASSES:
        raise DataValidationError(
            f"expected large, medium, small or micro (or 大型/中型/小型/微型), got {text[:20]!r}",
            field=field,
            zh=f"应为 大型/中型/小型/微型（large/medium/small/micro），实际为 {text[:20]!r}",
        )
    return size


def _chains_error(message: str, zh: str) -> DataValidationError:
    return DataValidationError(message, field="chains", zh=zh)


def _chain_items(text: str) -> list[dict[str, str]]:
    """``新能源汽车:中游;高端装备:上游`` → ``[{"chain": …, "stage": …}, …]``, unchecked."""
    items = []
    for item in re.split(r"[;；\n\r]+", text):
        item = item.strip()
        if not item:
            continue
        parts = re.split(r"[:：]", item, maxsplit=1)
        if len(parts) != 2:
            raise _chains_error(
                f"{item[:60]!r} should read chain:stage (stage 上游, 中游 or 下游)",
                f"的 {item[:60]!r} 应写作 产业链名:环节（上游/中游/下游）",
            )
        items.append({"chain": parts[0].strip(), "stage": parts[1].strip()})
    return items


def _chain(item: Any) -> dict[str, str]:
    """One membership checked: a chain name and its stage."""
    if not isinstance(item, Mapping):
        raise _chains_error("each item needs a chain and a stage", "的每一项应含 chain 与 stage")
    chain = _text(item.get("chain") or "")
    stage = _text(item.get("stage") or "")
    if not chain:
        raise _chains_error("a chain name is required", "的产业链名称不能为空")
    if len(chain) > CHAIN_MAX:
        raise _chains_error(
            f"a chain name has at most {CHAIN_MAX} characters: {chain[:60]!r}",
            f"的产业链名称最长 {CHAIN_MAX} 个字符：{chain[:60]!r}",
        )
    if has_control_characters(chain):
        raise _chains_error("control characters are not allowed", "不能包含控制字符")
    if stage not in STAGES:
        raise _chains_error(
            f"the stage of {chain!r} should be 上游, 中游 or 下游, got {stage[:20]!r}",
            f"中 {chain!r} 的环节应为 上游/中游/下游，实际为 {stage[:20]!r}",
        )
    return {"chain": chain, "stage": stage}


def clean_chains(value: Any) -> list[dict[str, str]]:
    """Chain memberships from text (``链:环节;链:环节``) or a list of mappings, checked
    and without repeats; empty for ``None`` or ``""``.

    >>> clean_chains("新能源汽车：中游；高端装备:上游")
    [{'chain': '新能源汽车', 'stage': '中游'}, {'chain': '高端装备', 'stage': '上游'}]
    """
    if value is None or value == "":
        return []
    if isinstance(value, str):
        raw: list[Any] = _chain_items(value)
    elif isinstance(value, list | tuple):
        raw = list(value)
    else:
        raise _chains_error("expected text or a list of {chain, stage}", "格式有误")
    if len(raw) > MAX_CHAINS:
        raise _chains_error(
            f"at most {MAX_CHAINS} chains, got {len(raw)}",
            f"最多 {MAX_CHAINS} 项，实际 {len(raw)} 项",
        )
    chains: list[dict[str, str]] = []
    for item in raw:
        entry = _chain(item)
        if entry not in chains:
            chains.append(entry)
    return chains


def format_chains(chains: Iterable[Mapping[str, str]] | None) -> str:
    """The text form of ``chains`` (``链:环节;链:环节``), as forms and imports write it."""
    return ";".join(f"{c.get('chain', '')}:{c.get('stage', '')}" for c in chains or [])


_CLEANERS: dict[str, Callable[[Any], Any]] = {
    "name": clean_name,
    "credit_code": clean_credit_code,
    "industry": clean_industry,
    "region_code": clean_region_code,
    "size_class": clean_size_class,
    "chains": clean_chains,
}


def check_profile(
    data: Mapping[str, Any], *, partial: bool = False
) -> tuple[dict[str, Any], dict[str, DataValidationError]]:
    """Every profile field of ``data`` checked: (clean values, field → error).

    ``partial`` checks only the fields given (``None`` counts as not given), as an edit
    does; otherwise the fields of :data:`REQUIRED_FIELDS` are required.
    """
    clean: dict[str, Any] = {}
    errors: dict[str, DataValidationError] = {}
    for name in PROFILE_FIELDS:
        if name not in data or (partial and data[name] is None):
            if not partial and name in REQUIRED_FIELDS:
                errors[name] = _required(name)
            continue
        try:
            clean[name] = _CLEANERS[name](data[name])
        except DataValidationError as exc:
            errors[name] = exc
    return clean, errors


# --------------------------------------------------------------------------- import


def import_template_csv() -> bytes:
    """The import template: UTF-8 CSV with a byte-order mark (so spreadsheet programs read
    it as UTF-8), the header row and one synthetic example row marked 示例 in 备注."""
    body = "91440300MA5EXAMPL"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([spellings[0] for spellings in IMPORT_COLUMNS.values()])
    writer.writerow(
        [
            "示例智能制造有限公司（示例数据）",
            body + credit_code_check_char(body),
            "C3484",
            "440305",
            "小型",
            "新能源汽车:中游;高端装备:上游",
            EXAMPLE_MARK,
        ]
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@dataclass(frozen=True)
class ImportRow:
    """One data row: its spreadsheet number (header = row 1), the cells of the known
    columns as written, the clean values and the errors by field."""

    row: int
    cells: dict[str, str]
    clean: dict[str, Any]
    errors: dict[str, DataValidationError]


@dataclass(frozen=True)
class ImportTable:
    """A checked import file: the header of each known column and the data rows (blank
    rows and the template's example row left out)."""

    name: str
    headers: dict[str, str]
    rows: list[ImportRow]


def _file_error(name: str, message: str, zh: str) -> DataValidationError:
    return DataValidationError(message, file=name, field="file", zh=zh)


def _read_upload(data: bytes, name: str) -> pd.DataFrame:
    """The upload as text cells (blank rows kept); errors name the file, in both languages."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in IMPORT_SUFFIXES:
        raise _file_error(
            name,
            f"unsupported file type {name!r}: upload a .csv or .xlsx file",
            f"不支持的文件类型：{name!r}（请上传 .csv 或 .xlsx 文件）",
        )
    if not data.strip():
        raise _file_error(name, "the file is empty", f"文件 {name!r} 是空的：缺少表头行")
    kind = "XLSX 工作簿" if suffix == ".xlsx" else "CSV 文件（UTF-8 或 GB18030 编码）"
    # a .txt upload is read as the CSV it is
    read_as = name if suffix != ".txt" else f"{PurePath(name).stem}.csv"
    try:
        return read_table(data, name=read_as, text_columns=True)
    except DataValidationError as exc:
        raise _file_error(
            name, exc.reason, f"文件 {name!r} 不是有效的 {kind}（{exc.reason_zh}）"
        ) from None


def _header_key(text: str) -> str | None:
    cleaned = text.strip().lower()
    candidates = [cleaned, *(p.strip() for p in re.split(r"[/|]", cleaned))]
    for key, spellings in IMPORT_COLUMNS.items():
        if any(c in spellings for c in candidates):
            return key
    return None


def _import_headers(columns: Iterable[Any], name: str) -> dict[str, str]:
    """Canonical field → the header as written, for the columns the import knows."""
    headers: dict[str, str] = {}
    for index, column in enumerate(columns):
        key = _header_key(str(column))
        if key is None:
            continue
        if key in headers:
            raise _file_error(
                name,
                f"column {index + 1} ({column!r}) repeats an earlier column",
                f"表头第 {index + 1} 列 {column!r} 与前面的列重复",
            )
        headers[key] = str(column)
    missing = [k for k in REQUIRED_FIELDS if k not in headers]
    if missing:
        raise _file_error(
            name,
            f"missing required column(s): {', '.join(missing)}",
            f"文件 {name!r} 缺少必需列：{'、'.join(f'{IMPORT_COLUMNS[k][0]}/{k}' for k in missing)}",
        )
    return headers


def _cell(value: Any) -> str:
    return "" if pd.isna(value) else str(value).strip()


def _duplicate_code(code: str, first: int) -> DataValidationError:
    return DataValidationError(
        f"{code} repeats row {first}", field="credit_code", zh=f" {code} 与第 {first} 行重复"
    )


def read_import_table(data: bytes, name: str) -> ImportTable:
    """Read and check an enterprise import file (CSV or XLSX bytes named ``name``).

    Raises :class:`~nqpf.exceptions.DataValidationError` on ``field="file"`` when the file
    as a whole cannot be used: an unsupported type, unreadable content, a repeated or
    missing required column, no data rows, more than :data:`MAX_IMPORT_ROWS` rows.  Bad
    cells do not raise: each :class:`ImportRow` carries its errors, located by row and
    column.
    """
    frame = _read_upload(data, name)
    headers = _import_headers(frame.columns, name)
    positions = {key: frame.columns.get_loc(header) for key, header in headers.items()}
    records = [
        (number, cells)
        for number, cells in enumerate(
            ([_cell(v) for v in values] for values in frame.itertuples(index=False)),
            start=frame.attrs["first_row"],
        )
        if any(cells)  # blank rows are left out; the numbers of the others stay true
    ]
    if len(records) > MAX_IMPORT_ROWS:
        raise _file_error(
            name,
            f"at most {MAX_IMPORT_ROWS} rows per import",
            f"一次最多导入 {MAX_IMPORT_ROWS} 行",
        )
    rows: list[ImportRow] = []
    first_row_of: dict[str, int] = {}
    for number, values in records:
        cells = {key: values[i] for key, i in positions.items()}
        if cells.get("note") == EXAMPLE_MARK:
            continue
        clean, errors = check_profile({k: v for k, v in cells.items() if k != "note"})
        code = clean.get("credit_code")
        if code is not None:
            if code in first_row_of:
                errors["credit_code"] = _duplicate_code(code, first_row_of[code])
            else:
                first_row_of[code] = number
        located = {k: e.at(file=name, row=number, column=headers[k]) for k, e in errors.items()}
        rows.append(ImportRow(number, cells, clean, located))
    if not rows:
        raise _file_error(name, "no data rows", f"文件 {name!r} 没有数据行")
    return ImportTable(name=name, headers=headers, rows=rows)
