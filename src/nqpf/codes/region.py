"""NBS 统计用区划代码 / GB/T 2260 region codes: grammar, levels, prefixes and names.

A region code has 6 digits (province 2 + prefecture 2 + county 2) or 12 (with township
and village); a *prefix* of 2, 4, 6, 9 or 12 digits names every region below it, which is
how an authority's scope is written.  The province table (codes and short names) is the
shipped ``nqpf/datasets/regions.yaml``; prefecture and county names are not shipped yet,
so :func:`region_label` names the province and shows the code.

>>> validate_region_code("440305")
'440305'
>>> region_key("440305001000", "city")
'4403'
>>> region_label("4403")
'广东 4403'
"""

from __future__ import annotations

import functools
import re
from typing import Any

from nqpf.exceptions import DataValidationError

__all__ = [
    "REGION_LEVELS",
    "SCOPE_LENGTHS",
    "province_codes",
    "province_names",
    "region_key",
    "region_label",
    "validate_region_code",
    "validate_region_prefix",
]

#: Level names (English and Chinese) → (level, prefix length).
REGION_LEVELS = {
    "province": ("province", 2),
    "省": ("province", 2),
    "city": ("city", 4),
    "市": ("city", 4),
    "county": ("county", 6),
    "县": ("county", 6),
}
#: Lengths of a region prefix: province, prefecture, county, township, village.
SCOPE_LENGTHS = (2, 4, 6, 9, 12)
_CODE = re.compile(r"[0-9]{6}|[0-9]{12}")


@functools.cache
def province_names() -> dict[str, str]:
    """Two-digit province code → short name (``"44"`` → ``"广东"``), 31 provinces."""
    from nqpf.datasets import load_regions  # the table is package data read once

    regions = load_regions()
    return dict(zip(regions["code"].astype(str), regions["name"].astype(str), strict=True))


def province_codes() -> frozenset[str]:
    """The 31 two-digit province codes."""
    return frozenset(province_names())


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def validate_region_code(
    value: Any, *, field: str = "region_code", known_province: bool = True
) -> str:
    """A 6- or 12-digit code, its province among the 31 when ``known_province``."""
    code = _text(value)
    if not code:
        raise DataValidationError("a region code is required", field=field, zh="不能为空")
    if not code.isascii() or not _CODE.fullmatch(code):
        raise DataValidationError(
            f"invalid NBS region code {value!r}: expected 6 or 12 digits, e.g. 440305",
            field=field,
            zh=f"应为 6 位或 12 位数字，实际为 {code[:20]!r}",
        )
    if known_province and code[:2] not in province_names():
        raise DataValidationError(
            f"region code {code!r}: {code[:2]!r} is not one of the 31 province codes",
            field=field,
            zh=f"的省级代码 {code[:2]!r} 不是 31 个省级行政区之一",
        )
    return code


def validate_region_prefix(
    value: Any,
    *,
    field: str = "region",
    lengths: tuple[int, ...] | None = SCOPE_LENGTHS,
    required: bool = True,
) -> str:
    """A region prefix (an authority's scope or a filter) whose province exists.

    ``lengths`` are the allowed lengths (None: any of 1–12 digits, as a filter allows);
    without ``required`` an empty value is ``""``.
    """
    code = _text(value)
    if not code:
        if required:
            raise DataValidationError("a region prefix is required", field=field, zh="不能为空")
        return ""
    allowed = lengths or tuple(range(1, 13))
    if not code.isascii() or not code.isdigit() or len(code) not in allowed:
        shown = "、".join(map(str, allowed)) if lengths else "1–12"
        raise DataValidationError(
            f"region prefix {code[:20]!r}: expected {shown.replace('、', ', ')} digits",
            field=field,
            zh=f"应为 {shown} 位数字的行政区划代码（前缀）",
        )
    if len(code) >= 2 and code[:2] not in province_names():
        raise DataValidationError(
            f"region prefix {code!r}: province code {code[:2]!r} does not exist",
            field=field,
            zh=f"的省级代码 {code[:2]} 不存在",
        )
    return code


def region_key(value: Any, level: str = "province", *, field: str = "region") -> str:
    """The prefix of a 6- or 12-digit code at ``level`` (province 2, city 4, county 6)."""
    if level not in REGION_LEVELS:
        raise DataValidationError(
            f"unknown region level {level!r}; use one of {', '.join(REGION_LEVELS)}",
            field="region_level",
            zh=f"未知的地区层级 {level!r}；可选：{'、'.join(REGION_LEVELS)}",
        )
    code = validate_region_code(value, field=field, known_province=False)
    return code[: REGION_LEVELS[level][1]]


def region_label(code: str) -> str:
    """``广东 4403``: the province's short name and the code (the code alone if unknown)."""
    province = province_names().get(str(code)[:2], "")
    return f"{province} {code}" if province else str(code)
