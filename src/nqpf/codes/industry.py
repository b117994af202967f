"""GB/T 4754-2017 国民经济行业分类 codes: the grammar, levels and group keys.

A code is a 门类 (section) letter A–T followed by 2, 3 or 4 digits: 大类 (division, 2),
中类 (group, 3), 小类 (class, 4), e.g. ``C3511``.  Statistical tables often drop the
letter (``3511``); :func:`split_industry_code` accepts that unless a letter is required.
nqpf ships no 大类 → 门类 table, so a 门类 key comes from the code's own letter or from a
user mapping ``sections`` (two-digit 大类 → letter).

>>> validate_industry_code(" c3511 ")
'C3511'
>>> industry_key("C3511", "中类")
'351'
>>> industry_key("3512", "门类", sections={"35": "C"})
'C'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from nqpf.exceptions import DataValidationError

__all__ = [
    "INDUSTRY_LEVELS",
    "industry_key",
    "split_industry_code",
    "validate_industry_code",
    "validate_industry_prefix",
]

#: Level names (Chinese and English aliases) → the Chinese level.
INDUSTRY_LEVELS = {
    "门类": "门类",
    "section": "门类",
    "大类": "大类",
    "division": "大类",
    "中类": "中类",
    "group": "中类",
    "小类": "小类",
    "class": "小类",
}
_DIGITS = {"大类": 2, "中类": 3, "小类": 4}
_CODE = re.compile(r"([A-T])?([0-9]{2,4})?")
_PREFIX = re.compile(r"[A-T][0-9]{0,4}")


def _code_text(value: Any) -> str:
    """A code cell as text: spaces stripped, upper case, ``3511.0`` (a spreadsheet's
    number) read as ``3511``."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip().upper()


def split_industry_code(
    value: Any, *, require_section: bool = False, field: str = "industry"
) -> tuple[str | None, str]:
    """(门类 letter or None, digits) of a code, or :class:`DataValidationError`.

    A letter alone is a 门类; digits alone are accepted unless ``require_section``.
    """
    text = _code_text(value)
    m = _CODE.fullmatch(text)
    if not text or not m or (require_section and not (m.group(1) and m.group(2))):
        shape = (
            "门类字母 A–T 加 2–4 位数字" if require_section else "可选的门类字母 A–T 加 2–4 位数字"
        )
        letter = "a 门类 letter A–T" if require_section else "an optional 门类 letter A–T"
        raise DataValidationError(
            f"invalid GB/T 4754 industry code {value!r}: expected {letter} followed by "
            "2–4 digits, e.g. C3511",
            field=field,
            zh=f"应为 GB/T 4754 代码：{shape}，如 C3511，实际为 {text[:20]!r}",
        )
    return m.group(1), m.group(2) or ""


def validate_industry_code(value: Any, *, field: str = "industry") -> str:
    """The normalised full code (letter and 2–4 digits, e.g. ``C3511``) of a profile."""
    if value is None or not _code_text(value):
        raise DataValidationError("an industry code is required", field=field, zh="不能为空")
    letter, digits = split_industry_code(value, require_section=True, field=field)
    return f"{letter}{digits}"


def validate_industry_prefix(value: Any, *, field: str = "industry") -> str:
    """A filter prefix: a 门类 letter and 0–4 digits (``C``, ``C34``), or ``""`` for none."""
    text = "" if value is None else _code_text(value)
    if text and not _PREFIX.fullmatch(text):
        raise DataValidationError(
            f"industry prefix {text[:20]!r}: expected a 门类 letter A–T and 0–4 digits, e.g. C34",
            field=field,
            zh="应为 GB/T 4754 门类字母 A–T 加 0–4 位数字，如 C34",
        )
    return text


def industry_key(
    value: Any,
    level: str = "大类",
    *,
    sections: Mapping[str, str] | None = None,
    field: str = "industry",
) -> str:
    """The group key of a code at ``level``: the 门类 letter, or its first 2/3/4 digits."""
    if level not in INDUSTRY_LEVELS:
        raise DataValidationError(
            f"unknown industry level {level!r}; use one of {', '.join(INDUSTRY_LEVELS)}",
            field="industry_level",
            zh=f"未知的行业层级 {level!r}；可选：{'、'.join(INDUSTRY_LEVELS)}",
        )
    lv = INDUSTRY_LEVELS[level]
    letter, digits = split_industry_code(value, field=field)
    if lv != "门类":
        need = _DIGITS[lv]
        if len(digits) < need:
            raise DataValidationError(
                f"industry code {value!r} is too short for level {lv} ({need} digits needed)",
                field=field,
                zh=f"行业代码 {value!r} 不足以按{lv}汇总（需 {need} 位数字）",
            )
        return digits[:need]
    secs = {str(k).strip().zfill(2): str(v).strip().upper() for k, v in (sections or {}).items()}
    mapped = secs.get(digits[:2]) if digits else None
    if letter and mapped and mapped != letter:
        raise DataValidationError(
            f"industry code {value!r}: its letter {letter} contradicts the 门类 mapping "
            f"{digits[:2]} → {mapped}",
            field=field,
            zh=f"行业代码 {value!r} 的门类字母 {letter} 与门类对照 {digits[:2]} → {mapped} 不一致",
        )
    key = letter or mapped
    if key is None:
        raise DataValidationError(
            f"industry code {value!r} has no 门类 letter and no 门类 mapping was given for "
            f"大类 {digits[:2]!r} (nqpf ships no 大类 → 门类 table; pass sections=)",
            field=field,
            zh=f"行业代码 {value!r} 没有门类字母，也未给出大类 {digits[:2]!r} 的门类对照",
        )
    return key
