"""Period labels: ``2023``, ``2023年``, ``2023-12``, ``2023年12月``, ``2023Q4``, ``2023年第四季度``.

:func:`parse_period` reads one label into a :class:`Period` (year, frequency, sub-period)
that sorts and compares in time order — labels compared as text put ``2023年`` after
``2018`` only by luck, and a filter ``from: 2018, to: 2023`` on text labels such as
``2012年 … 2023年`` silently dropped 2023.  :func:`parse_periods` does the same for a whole
column, parsing each distinct label once.

Rules (what is read, what is refused)
-------------------------------------
* Digits may be full-width (``２０２３年``); blanks are ignored.
* Years have four digits.  ``23`` or ``23年`` is refused: a two-digit year is ambiguous.
* Annual: ``2023``, ``2023年``, ``2023年度``, the integer ``2023`` (or ``2023.0`` from a
  spreadsheet).
* Monthly, year first: ``2023-12``, ``2023/12``, ``2023-1``, ``2023年12月``, ``2023年12月份``,
  ``2023M12``.  ``2023.12`` is read only with a two-digit month (``2023.01`` …
  ``2023.12``): ``2023.1`` is refused because the number 2023.10 prints that way.
  Month-first forms (``12/2023``, ``12-2023``) are refused: in mixed data they are
  usually cut-off dates (``01/12/2023`` read as D/M/Y or M/D/Y), so the year must come first.
* Quarterly: ``2023Q4``, ``2023-Q4``, ``2023 Q4``, ``Q4 2023``, ``2023q4``, ``2023年Q4``,
  ``2023年第四季度``, ``2023年四季度``, ``2023年第4季度``.
* Dates are not periods: ``2023-12-31`` is refused; a ``datetime``/``date`` value on the
  first of a month (a spreadsheet cell formatted ``2023-12``) is read as that month.

Order: by the start of the period, then longer first: ``2023 < 2023Q1 < 2023-01 <
2023-02 < 2023Q2``.  For a range filter across frequencies use :meth:`Period.within`.

>>> sorted(parse_period(x) for x in ["2023年", "2018", "2012年"])
[Period('2012'), Period('2018'), Period('2023')]
>>> parse_period("2023年第四季度"), parse_period("２０２３年１２月")
(Period('2023Q4'), Period('2023-12'))
>>> parse_period("2023年") <= parse_period(2023)
True
"""

from __future__ import annotations

import datetime as _dt
import functools
import re
import unicodedata
from typing import TYPE_CHECKING, Any, Literal

from nqpf.exceptions import DataValidationError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Period", "parse_period", "parse_periods"]

Freq = Literal["Y", "Q", "M"]
_SPAN = {"Y": 12, "Q": 3, "M": 1}


@functools.total_ordering
class Period:
    """A year, quarter or month: ``Period(2023)``, ``Period(2023, "Q", 4)``, ``Period(2023, "M", 12)``.

    Immutable and hashable; compares and sorts in time order (see the module notes).
    ``str()`` gives the canonical label ``2023``, ``2023Q4`` or ``2023-12``.

    Examples
    --------
    >>> p = Period(2023, "Q", 4)
    >>> str(p), p.start_month, p.end_month, p.to_pandas()
    ('2023Q4', (2023, 10), (2023, 12), Period('2023Q4', 'Q-DEC'))
    >>> Period(2023, "M", 11).within(Period(2018), Period(2023))
    True
    """

    __slots__ = ("freq", "sub", "year")
    year: int
    freq: Freq
    sub: int

    def __init__(self, year: int, freq: Freq = "Y", sub: int = 0) -> None:
        limit = {"Y": 0, "Q": 4, "M": 12}.get(freq)
        if limit is None or not (1000 <= year <= 9999):
            raise ValueError(f"Period({year!r}, {freq!r}, {sub!r}): bad year or frequency")
        if (limit == 0 and sub != 0) or (limit and not 1 <= sub <= limit):
            raise ValueError(f"Period({year!r}, {freq!r}, {sub!r}): sub-period out of range")
        object.__setattr__(self, "year", int(year))
        object.__setattr__(self, "freq", freq)
        object.__setattr__(self, "sub", int(sub))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Period is immutable")

    def __reduce__(self) -> tuple[Any, ...]:
        return (Period, (self.year, self.freq, self.sub))

    @property
    def _first(self) -> int:
        """Months since year 0 at the period's start."""
        start = {"Y": 1, "Q": 3 * self.sub - 2, "M": self.sub}[self.freq]
        return self.year * 12 + start - 1

    @property
    def _key(self) -> tuple[int, int]:
        return (self._first, -_SPAN[self.freq])

    @property
    def start_month(self) -> tuple[int, int]:
        """(year, month) of the first month."""
        return divmod(self._first, 12)[0], self._first % 12 + 1

    @property
    def end_month(self) -> tuple[int, int]:
        """(year, month) of the last month."""
        last = self._first + _SPAN[self.freq] - 1
        return last // 12, last % 12 + 1

    def within(self, lo: Period | None = None, hi: Period | None = None) -> bool:
        """Whether the period lies inside ``[lo, hi]`` (bounds of any frequency; None: open)."""
        last = self._first + _SPAN[self.freq] - 1
        if lo is not None and self._first < lo._first:
            return False
        return hi is None or last <= hi._first + _SPAN[hi.freq] - 1

    def to_pandas(self) -> pd.Period:
        """The same period as a :class:`pandas.Period`."""
        import pandas as pd

        return pd.Period(str(self), freq={"Y": "Y", "Q": "Q", "M": "M"}[self.freq])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return (self.year, self.freq, self.sub) == (other.year, other.freq, other.sub)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Period):
            return NotImplemented
        return self._key < other._key

    def __hash__(self) -> int:
        return hash((self.year, self.freq, self.sub))

    def __str__(self) -> str:
        if self.freq == "Y":
            return f"{self.year}"
        if self.freq == "Q":
            return f"{self.year}Q{self.sub}"
        return f"{self.year}-{self.sub:02d}"

    def __repr__(self) -> str:
        return f"Period({str(self)!r})"


_CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(\d{4})(?:年度?)?"), "Y"),
    (re.compile(r"(\d{4})(?:[-/]|年)(\d{1,2})(?:月份?)?"), "M"),
    (re.compile(r"(\d{4})\.(\d{2})"), "M"),
    (re.compile(r"(\d{4})[Mm](\d{1,2})"), "M"),
    (re.compile(r"(\d{4})(?:-|年)?[Qq]([1-4])"), "Q"),
    (re.compile(r"[Qq]([1-4])-?(\d{4})"), "QR"),
    (re.compile(r"(\d{4})年第?([一二三四1-4])季度?"), "QC"),
)
_WHY = (
    (
        re.compile(r"\d{1,2}(?:年度?)?|\d{2}[-/.]\d{1,2}|\d{1,2}[-/]\d{2}"),
        "a two-digit year is ambiguous",
        "两位数年份有歧义",
    ),
    (
        re.compile(r"\d{1,2}[-/]\d{4}"),
        "write the year first (2023-12): month-first labels are often cut-off dates",
        "请把年份写在前面（如 2023-12）：月份在前的写法常是被截断的日期",
    ),
    (
        re.compile(r"\d{4}\.\d"),
        "'2023.1' could be the number 2023.10; write 2023-01 or 2023-10",
        "'2023.1' 可能是数字 2023.10，请写作 2023-01 或 2023-10",
    ),
    (
        re.compile(r"\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?"),
        "a date is not a period; write 2023 or 2023-12",
        "日期不是期间，请写作 2023 或 2023-12",
    ),
)
_EXPECTED = "2023, 2023年, 2023-12, 2023年12月, 2023Q4 or 2023年第四季度"


def _fail(value: Any, field: str, why: str = "", why_zh: str = "") -> DataValidationError:
    shown = str(value)[:30]
    return DataValidationError(
        f"cannot read {shown!r} as a period"
        + (f": {why}" if why else "")
        + f"; expected {_EXPECTED}",
        field=field,
        zh=f"无法将 {shown!r} 识别为期间"
        + (f"：{why_zh}" if why_zh else "")
        + f"；应为 {_EXPECTED}",
    )


@functools.lru_cache(maxsize=4096)
def _parse_text(text: str) -> Period | tuple[str, str] | None:
    norm = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    for pattern, kind in _PATTERNS:
        m = pattern.fullmatch(norm)
        if m is None:
            continue
        try:
            if kind == "Y":
                return Period(int(m.group(1)))
            if kind == "M":
                return Period(int(m.group(1)), "M", int(m.group(2)))
            if kind == "QR":
                return Period(int(m.group(2)), "Q", int(m.group(1)))
            return Period(int(m.group(1)), "Q", _CN_QUARTER[m.group(2)])
        except ValueError:
            return ("the month or quarter is out of range", "月份或季度超出范围")
    for pattern, why, why_zh in _WHY:
        if pattern.fullmatch(norm):
            return (why, why_zh)
    return None


def parse_period(value: Any, *, field: str = "period") -> Period:
    """A :class:`Period` from a label, an integer year or a first-of-month date.

    Raises :class:`~nqpf.exceptions.DataValidationError` naming the value and, for the
    refused forms of the module notes, why.

    Examples
    --------
    >>> parse_period("2023-12") == parse_period("2023年12月") == parse_period("2023M12")
    True
    >>> parse_period("23")
    Traceback (most recent call last):
    ...
    nqpf.exceptions.DataValidationError: field 'period': cannot read '23' as a period: a two-digit year is ambiguous; expected 2023, 2023年, 2023-12, 2023年12月, 2023Q4 or 2023年第四季度
    """
    if isinstance(value, Period):
        return value
    if isinstance(value, bool):
        raise _fail(value, field)
    if isinstance(value, _dt.date):
        if value.day == 1 and not (isinstance(value, _dt.datetime) and value.time() != _dt.time()):
            return Period(value.year, "M", value.month)
        raise _fail(value, field, "a date is not a period", "日期不是期间")
    if isinstance(value, float) and value == value and not float(value).is_integer():
        raise _fail(value, field, "a year is a whole number", "年份应为整数")
    if (isinstance(value, int | float) and value == value) or type(value).__name__.startswith(
        "int"
    ):
        year = int(value)
        if 1000 <= year <= 9999:
            return Period(year)
        raise _fail(value, field, "a year has four digits", "年份应为四位数")
    if value is None or (isinstance(value, float) and value != value):
        raise _fail("", field, "the period is missing", "缺少期间")
    text = str(value)
    got = _parse_text(text)
    if isinstance(got, Period):
        return got
    raise _fail(text.strip(), field, *(got or ("", "")))


def parse_periods(values: Any, *, field: str = "period") -> pd.Series:
    """:func:`parse_period` over a column: a Series of :class:`Period` with the same index.

    Each distinct label is parsed once (``pandas.factorize``), so a 1e6-row panel with a
    few dozen labels costs about as much as factorising the column.  The first label that
    fails raises, naming the label and the position of its first row.

    Examples
    --------
    >>> import pandas as pd
    >>> s = parse_periods(pd.Series(["2012年", "2023年", "2018年", "2023年"]))
    >>> s.tolist()
    [Period('2012'), Period('2023'), Period('2018'), Period('2023')]
    >>> s[s.map(lambda p: p.within(Period(2018), Period(2023)))].map(str).tolist()
    ['2023', '2018', '2023']
    """
    import numpy as np
    import pandas as pd

    series = values if isinstance(values, pd.Series) else pd.Series(values)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if (codes < 0).any():
        pos = int(np.argmax(codes < 0))
        label = series.index[pos]
        label = label.item() if hasattr(label, "item") else label
        raise DataValidationError(
            f"the period is missing at position {pos} (index {label!r})",
            field=field,
            data_row=pos,
            zh=f"第 {pos + 1} 行缺少期间",
        )
    parsed = np.empty(len(uniques), dtype=object)
    for i, label in enumerate(uniques):
        try:
            parsed[i] = parse_period(label, field=field)
        except DataValidationError as exc:
            pos = int(np.argmax(codes == i))
            label = series.index[pos]
            label = label.item() if hasattr(label, "item") else label
            raise DataValidationError(
                f"{exc.reason} (first at position {pos}, index {label!r})",
                field=field,
                data_row=pos,
                zh=f"{exc.reason_zh}（首次出现在第 {pos + 1} 个值）",
            ) from None
    return pd.Series(parsed[codes], index=series.index, name=series.name, dtype=object)
