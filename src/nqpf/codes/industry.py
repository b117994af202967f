"""GB/T 4754-2017 国民经济行业分类 codes: the grammar, levels, group keys, names, crosswalk.

A code is a 门类 (section) letter A–T followed by 2, 3 or 4 digits: 大类 (division, 2),
中类 (group, 3), 小类 (class, 4), e.g. ``C3511``.  Statistical tables often drop the
letter (``3511``); :func:`split_industry_code` accepts that unless a letter is required.

The code table ``nqpf/codes/data/industry_codes.yaml`` (built by
``scripts/build_industry_codes.py`` from two public transcriptions of the standard) gives
the names at all four levels (:func:`industry_name`, :func:`industries`), the 大类 → 门类
mapping (:func:`industry_section`; a 门类 key of a code without its letter no longer needs
``sections=``, which stays as an override) and a derived 2011 → 2017 crosswalk
(:func:`current_industry_code`).

>>> validate_industry_code(" c3511 ")
'C3511'
>>> industry_key("C3511", "中类")
'351'
>>> industry_key("3512", "门类", sections={"35": "C"})
'C'
>>> industry_key("3512", "门类"), industry_name("3512")
('C', '石油钻采专用设备制造')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from nqpf.exceptions import DataValidationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "INDUSTRY_LEVELS",
    "current_industry_code",
    "industries",
    "industry_key",
    "industry_name",
    "industry_section",
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


def validate_industry_code(value: Any, *, field: str = "industry", known: bool = False) -> str:
    """The normalised full code (letter and 2–4 digits, e.g. ``C3511``) of a profile.

    With ``known``, the code must also be a GB/T 4754-2017 code whose letter is its
    门类 (``C3511`` passes, ``D3511`` and ``C3599`` do not).

    Examples
    --------
    >>> validate_industry_code("c3511", known=True)
    'C3511'
    """
    if value is None or not _code_text(value):
        raise DataValidationError("an industry code is required", field=field, zh="不能为空")
    letter, digits = split_industry_code(value, require_section=True, field=field)
    code = f"{letter}{digits}"
    if known:
        _row(code, field)
    return code


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
    if mapped is None and letter is None and digits:
        mapped = _table().sections.get(digits[:2])
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
            f"industry code {value!r} has no 门类 letter and 大类 {digits[:2]!r} is not a "
            "GB/T 4754-2017 大类 (pass sections= to map it)",
            field=field,
            zh=f"行业代码 {value!r} 没有门类字母，且大类 {digits[:2]!r} 不是 GB/T 4754-2017 的大类",
        )
    return key


# --------------------------------------------------------------------------- code table


class _Class(NamedTuple):
    code: str
    name: str
    level: str
    parent: str


class _Table(NamedTuple):
    id: str
    version: str
    source: str
    confidence: str
    crosswalk_confidence: str
    counts: Mapping[str, int]
    classes: Mapping[str, _Class]
    by_digits: Mapping[str, str]
    sections: Mapping[str, str]
    classes_2011: Mapping[str, _Class]
    crosswalk: Mapping[str, tuple[str, str]]


@functools.cache
def _table() -> _Table:
    from typing import Literal

    from nqpf._datafile import Confidence, FileId, FrozenModel, Text, Version
    from nqpf.codes._data import load_model, table_error, tsv_rows

    Level = Literal["门类", "大类", "中类", "小类"]

    class IndustryCodeFile(FrozenModel):
        id: FileId
        version: Version
        source: Text
        confidence: Confidence
        crosswalk_confidence: Confidence
        counts: dict[Level, int]
        counts_2011: dict[Level, int]
        columns: dict[str, list[str]]
        classes: str
        classes_2011: str
        crosswalk_2011: str

    name = "industry_codes.yaml"
    f = load_model(name, IndustryCodeFile)
    try:
        classes = {r[0]: _Class(*r) for r in tsv_rows(f.classes, 4, "classes")}
        old = {r[0]: _Class(*r) for r in tsv_rows(f.classes_2011, 4, "classes_2011")}
        walk = {r[0]: (r[1], r[2]) for r in tsv_rows(f.crosswalk_2011, 3, "crosswalk_2011")}
    except ValueError as exc:
        raise table_error(str(exc), name) from None
    for table, counts in ((classes, f.counts), (old, f.counts_2011)):
        found = {lv: sum(c.level == lv for c in table.values()) for lv in counts}
        if found != dict(counts) or any(c.parent and c.parent not in table for c in table.values()):
            raise table_error(f"counts {found} differ from the header's {dict(counts)}", name)
    return _Table(
        f.id,
        f.version,
        f.source,
        f.confidence,
        f.crosswalk_confidence,
        dict(f.counts),
        classes,
        {c[1:]: c for c in classes if len(c) > 1},
        {c[1:]: c[0] for c in classes if len(c) == 3},
        old,
        walk,
    )


def _row(value: Any, field: str) -> _Class:
    """The table row of a code with or without its 门类 letter (``C3511``, ``3511``, ``C``)."""
    letter, digits = split_industry_code(value, field=field)
    t = _table()
    code = t.by_digits.get(digits) if digits else letter
    row = t.classes.get(code or "")
    if row is None:
        old = t.classes_2011.get(f"{letter or ''}{digits}") or next(
            (c for k, c in t.classes_2011.items() if k[1:] == digits and digits), None
        )
        hint = (
            f"; it is the 2011 code of {old.name} (map it with current_industry_code())"
            if old
            else ""
        )
        raise DataValidationError(
            f"industry code {_code_text(value)!r} is not a GB/T 4754-2017 code{hint}",
            field=field,
            zh=f"行业代码 {_code_text(value)!r} 不是 GB/T 4754-2017 的代码"
            + (f"（2011 版为{old.name}，可用 current_industry_code 转换）" if old else ""),
        )
    if letter and digits and row.code[0] != letter:
        raise DataValidationError(
            f"industry code {_code_text(value)!r}: 大类 {digits[:2]} belongs to 门类 "
            f"{row.code[0]}, not {letter}",
            field=field,
            zh=f"行业代码 {_code_text(value)!r} 的大类 {digits[:2]} 属于门类 {row.code[0]}，不是 {letter}",
        )
    return row


def industry_name(code: Any, *, field: str = "industry") -> str:
    """The GB/T 4754-2017 name of a 门类, 大类, 中类 or 小类 code (letter optional).

    Examples
    --------
    >>> industry_name("C"), industry_name("C35"), industry_name("351"), industry_name("C3511")
    ('制造业', '专用设备制造业', '采矿、冶金、建筑专用设备制造', '矿山机械制造')
    """
    return _row(code, field).name


def industry_section(code: Any, *, field: str = "industry") -> str:
    """The 门类 letter of a code, from the table (``"3511"`` → ``"C"``).

    A code that carries a letter is checked against the table (``D3511`` is refused).

    Examples
    --------
    >>> industry_section("3511"), industry_section("I65"), industry_section("A")
    ('C', 'I', 'A')
    """
    return _row(code, field).code[0]


def industries(level: str | None = None) -> pd.DataFrame:
    """The GB/T 4754-2017 table, one row per class, in code order.

    Parameters
    ----------
    level
        Keep one level: ``门类``/``section``, ``大类``/``division``, ``中类``/``group`` or
        ``小类``/``class``.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (with its letter: ``C3511``), ``digits`` (``3511``; ``""`` for a
        门类), ``name``, ``level`` (门类/大类/中类/小类), ``parent`` (None for a 门类) and
        ``section``; ``attrs`` holds ``id``, ``version``, ``source`` and ``confidence``.

    Examples
    --------
    >>> industries().groupby("level").size()[["门类", "大类", "中类", "小类"]].tolist()
    [20, 97, 473, 1381]
    """
    import pandas as pd

    t = _table()
    rows = list(t.classes.values())
    if level is not None:
        if level not in INDUSTRY_LEVELS:
            raise DataValidationError(
                f"unknown industry level {level!r}; use one of {', '.join(INDUSTRY_LEVELS)}",
                field="industry_level",
                zh=f"未知的行业层级 {level!r}；可选：{'、'.join(INDUSTRY_LEVELS)}",
            )
        rows = [r for r in rows if r.level == INDUSTRY_LEVELS[level]]
    frame = pd.DataFrame(
        {
            "code": [r.code for r in rows],
            "digits": [r.code[1:] for r in rows],
            "name": [r.name for r in rows],
            "level": [r.level for r in rows],
            "parent": [r.parent or None for r in rows],
            "section": [r.code[0] for r in rows],
        }
    )
    frame.attrs.update(id=t.id, version=t.version, source=t.source, confidence=t.confidence)
    return frame


def current_industry_code(code_2011: Any, *, field: str = "industry") -> str:
    """The GB/T 4754-2017 code (with its letter) of a GB/T 4754-2011 code.

    Parameters
    ----------
    code_2011
        A 2011 大类, 中类 or 小类 code, with or without its 门类 letter.

    Raises
    ------
    DataValidationError
        For a code that is not a 2011 code, or one the crosswalk does not map (a class
        that 2017 split, merged or renamed): the message names the 2011 class and the
        2017 class that now holds its code, if any.

    Notes
    -----
    The crosswalk is derived from the two editions' tables, not transcribed from the NBS
    2011 → 2017 对照表 (``crosswalk_confidence: unverified``): a 2011 code maps to the 2017
    code with the same code and name, or to the only 2017 code of its level with the
    same name.  Of the 1,094 2011 小类, 723 keep code and name and 211 keep their name
    under another code; the others need the 对照表.

    Examples
    --------
    >>> current_industry_code("C2520")  # 2011 炼焦 → 2017 2521 炼焦
    'C2521'
    >>> current_industry_code("6510")  # 软件开发 (2011 小类) → 2017 中类 651 has 小类 6511–6519
    Traceback (most recent call last):
    ...
    nqpf.exceptions.DataValidationError: field 'industry': 2011 industry code '6510' (软件开发) has no one-to-one GB/T 4754-2017 code in the derived crosswalk; see the NBS 2011→2017 对照表
    """
    letter, digits = split_industry_code(code_2011, field=field)
    t = _table()
    old = next(
        (c for k, c in t.classes_2011.items() if k[1:] == digits and (letter in (None, k[0]))),
        None,
    )
    if old is None or not digits:
        raise DataValidationError(
            f"industry code {_code_text(code_2011)!r} is not a GB/T 4754-2011 大类, 中类 or 小类",
            field=field,
            zh=f"行业代码 {_code_text(code_2011)!r} 不是 GB/T 4754-2011 的大类、中类或小类代码",
        )
    mapped = t.crosswalk.get(old.code)
    if mapped is None:
        raise DataValidationError(
            f"2011 industry code {_code_text(code_2011)!r} ({old.name}) has no one-to-one "
            "GB/T 4754-2017 code in the derived crosswalk; see the NBS 2011→2017 对照表",
            field=field,
            zh=f"2011 版行业代码 {_code_text(code_2011)!r}（{old.name}）在推导的对照中没有一一对应的 "
            "2017 版代码，请查国家统计局 2011→2017 对照表",
        )
    return mapped[0]
