"""Deployment projects (场景落地): the rules of a project's plan, independent of any door.

A project has a start date, an optional planned end, a budget and spend (万元),
milestones (title, due date, done date) and the KPIs it promises (name, baseline, target,
optional actual, unit).  :func:`check_plan` validates all of it at once and returns a
:class:`Plan` ready to store (JSON lists, the earliest open due date); every problem is a
:class:`~nqpf.exceptions.DataValidationError` naming the field (``milestones[1].due``)
with the reason in English and Chinese, so a door shows it beside the field and stores
nothing.

Rules
-----
* No milestone is due before the project start, and none is done before it or in the
  future; a planned end is not before the start.
* A KPI needs a unit (:func:`kpi_unit`): a unit of :mod:`nqpf.codes.units` (万元, kWh,
  tce …, written in its canonical form) or one of :data:`EXTRA_UNITS` (%, 天, 小时, 件 …,
  which that table does not hold).
* Budget and spend are ≥ 0; satisfaction is a whole number 1–5.

>>> import datetime as dt
>>> plan = check_plan(
...     start=dt.date(2026, 3, 1),
...     milestones=[{"title": "设备联网", "due": "2026-04-30"}],
...     kpis=[{"name": "设备联网率", "baseline": 25, "target": 60, "unit": "%"}],
...     today=dt.date(2026, 3, 2))
>>> plan.next_due, plan.kpis[0]["unit"]
(datetime.date(2026, 4, 30), '%')
>>> try:
...     check_plan(start=dt.date(2026, 3, 1),
...                milestones=[{"title": "启动会", "due": "2026-02-20"}], today=dt.date(2026, 3, 2))
... except Exception as err:
...     print(err.field, "|", err.reason_zh)
milestones[0].due | 里程碑“启动会”的到期日（2026-02-20）不能早于项目开始日期（2026-03-01）
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nqpf.codes.units import unit_info
from nqpf.exceptions import DataValidationError

__all__ = [
    "EXTRA_UNITS",
    "MAX_KPIS",
    "MAX_MILESTONES",
    "Plan",
    "check_plan",
    "check_satisfaction",
    "kpi_unit",
    "on_time",
    "overdue",
]

#: Units a KPI may use besides those of :mod:`nqpf.codes.units` (shares, time, counts).
EXTRA_UNITS = (
    "%",
    "个百分点",
    "天",
    "小时",
    "分钟",
    "秒",
    "周",
    "月",
    "年",
    "次",
    "次/年",
    "次/月",
    "件",
    "台",
    "套",
    "个",
    "人",
    "项",
    "批",
    "元/件",
    "件/人",
    "分",
    "星",
)
_EXTRA = {unicodedata.normalize("NFKC", u).casefold(): u for u in EXTRA_UNITS}
_EXTRA.update({"％": "%", "percent": "%", "pct": "%", "h": "小时", "d": "天"})
MAX_MILESTONES = 50
MAX_KPIS = 30
_MAX_TITLE = 200
_MAX_NOTE = 1000
_BOUND = 1e12


def kpi_unit(text: Any, *, field: str = "unit") -> str:
    """The canonical spelling of a KPI unit; a blank or unknown unit is refused.

    >>> kpi_unit("万吨标准煤"), kpi_unit("％"), kpi_unit(" 天 ")
    ('万tce', '%', '天')
    """
    raw = "" if text is None else str(text)
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).casefold()
    if not key:
        raise DataValidationError(
            "a KPI needs a unit (%, 天, 万元 …)",
            field=field,
            zh="必须注明单位（如 %、天、万元）",
        )
    if key in _EXTRA:
        return _EXTRA[key]
    try:
        return unit_info(raw, field=field).unit
    except DataValidationError:
        shown = raw.strip()[:20]
        raise DataValidationError(
            f"unknown unit {shown!r}: use a unit of nqpf.codes.units (万元, kWh, tce …) or "
            f"one of {', '.join(EXTRA_UNITS)}",
            field=field,
            zh=f"单位“{shown}”无法识别；可用 万元、kWh、tce 等计量单位，或 {'、'.join(EXTRA_UNITS[:8])} 等",
        ) from None


def _date(value: Any, field: str, label: str, *, required: bool) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DataValidationError(f"{field} is required", field=field, zh=f"请填写{label}")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        shown = str(value).strip()[:20]
        raise DataValidationError(
            f"{field}: expected a date YYYY-MM-DD, got {shown!r}",
            field=field,
            zh=f"{label}应为日期（如 2026-03-01），实际为“{shown}”",
        ) from None


def _number(
    value: Any, field: str, label: str, *, required: bool, lo: float | None = None
) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise DataValidationError(f"{field} is required", field=field, zh=f"请填写{label}")
        return None
    if isinstance(value, bool):
        value = "是" if value else "否"
    try:
        x = float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        x = math.nan
    if not math.isfinite(x) or abs(x) > _BOUND:
        shown = str(value).strip()[:20]
        raise DataValidationError(
            f"{field}: expected a number, got {shown!r}",
            field=field,
            zh=f"{label}应为数字，实际为“{shown}”",
        )
    if lo is not None and x < lo:
        raise DataValidationError(
            f"{field} must be ≥ {lo:g}, got {x:g}", field=field, zh=f"{label}不能小于 {lo:g}"
        )
    return x


def _text(value: Any, field: str, label: str, *, required: bool, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else "" if value is None else str(value).strip()
    if required and not text:
        raise DataValidationError(f"{field} is required", field=field, zh=f"请填写{label}")
    if len(text) > limit:
        raise DataValidationError(
            f"{field} is longer than {limit} characters",
            field=field,
            zh=f"{label}不能超过 {limit} 字",
        )
    return text


@dataclass(frozen=True)
class Plan:
    """A checked project plan, JSON-ready: dates as ISO strings inside the lists."""

    start: dt.date
    end: dt.date | None
    budget: float | None
    spend: float
    milestones: tuple[dict[str, Any], ...]
    kpis: tuple[dict[str, Any], ...]
    next_due: dt.date | None


def check_plan(
    *,
    start: Any,
    end: Any = None,
    budget: Any = None,
    spend: Any = 0,
    milestones: Sequence[Mapping[str, Any]] = (),
    kpis: Sequence[Mapping[str, Any]] = (),
    today: dt.date,
) -> Plan:
    """Validate a project's plan (see the module rules) and return it ready to store.

    Milestones are ``{title, due, done (optional), note (optional)}``; KPIs are ``{name,
    baseline, target, actual (optional), unit}``.  Dates may be :class:`datetime.date` or
    ISO text.  ``today`` bounds the done dates.

    Raises
    ------
    DataValidationError
        The first problem, naming its field (``start``, ``end``, ``budget``, ``spend``,
        ``milestones[i].due``, ``kpis[i].unit`` …).
    """
    start_d = _date(start, "start", "项目开始日期", required=True)
    assert start_d is not None
    end_d = _date(end, "end", "计划完成日期", required=False)
    if end_d is not None and end_d < start_d:
        raise DataValidationError(
            f"end ({end_d}) is before start ({start_d})",
            field="end",
            zh=f"计划完成日期（{end_d}）不能早于项目开始日期（{start_d}）",
        )
    budget_v = _number(budget, "budget", "预算", required=False, lo=0)
    spend_v = _number(spend, "spend", "已支出", required=False, lo=0) or 0.0
    if len(milestones) > MAX_MILESTONES:
        raise DataValidationError(
            f"at most {MAX_MILESTONES} milestones",
            field="milestones",
            zh=f"里程碑最多 {MAX_MILESTONES} 个",
        )
    if len(kpis) > MAX_KPIS:
        raise DataValidationError(
            f"at most {MAX_KPIS} KPIs", field="kpis", zh=f"指标最多 {MAX_KPIS} 个"
        )
    out_m: list[dict[str, Any]] = []
    for i, m in enumerate(milestones):
        at = f"milestones[{i}]"
        title = _text(m.get("title"), f"{at}.title", "里程碑名称", required=True, limit=_MAX_TITLE)
        due = _date(m.get("due"), f"{at}.due", f"里程碑“{title}”的到期日", required=True)
        assert due is not None
        if due < start_d:
            raise DataValidationError(
                f"{at}.due ({due}) is before the project start ({start_d})",
                field=f"{at}.due",
                zh=f"里程碑“{title}”的到期日（{due}）不能早于项目开始日期（{start_d}）",
            )
        done = _date(m.get("done"), f"{at}.done", f"里程碑“{title}”的完成日期", required=False)
        if done is not None and done < start_d:
            raise DataValidationError(
                f"{at}.done ({done}) is before the project start ({start_d})",
                field=f"{at}.done",
                zh=f"里程碑“{title}”的完成日期（{done}）不能早于项目开始日期（{start_d}）",
            )
        if done is not None and done > today:
            raise DataValidationError(
                f"{at}.done ({done}) is in the future",
                field=f"{at}.done",
                zh=f"里程碑“{title}”的完成日期（{done}）不能晚于今天（{today}）",
            )
        note = _text(m.get("note"), f"{at}.note", "备注", required=False, limit=_MAX_NOTE)
        out_m.append(
            {
                "title": title,
                "due": due.isoformat(),
                "done": done.isoformat() if done else None,
                "note": note,
            }
        )
    out_k: list[dict[str, Any]] = []
    for i, k in enumerate(kpis):
        at = f"kpis[{i}]"
        name = _text(k.get("name"), f"{at}.name", "指标名称", required=True, limit=_MAX_TITLE)
        try:
            unit = kpi_unit(k.get("unit"), field=f"{at}.unit")
        except DataValidationError as exc:
            raise DataValidationError(
                f"KPI {name!r}: {exc.reason}",
                field=f"{at}.unit",
                zh=f"指标“{name}”：{exc.reason_zh}",
            ) from None
        out_k.append(
            {
                "name": name,
                "baseline": _number(
                    k.get("baseline"), f"{at}.baseline", f"指标“{name}”的基线值", required=True
                ),
                "target": _number(
                    k.get("target"), f"{at}.target", f"指标“{name}”的目标值", required=True
                ),
                "actual": _number(
                    k.get("actual"), f"{at}.actual", f"指标“{name}”的实际值", required=False
                ),
                "unit": unit,
            }
        )
    open_due = [dt.date.fromisoformat(m["due"]) for m in out_m if m["done"] is None]
    return Plan(
        start=start_d,
        end=end_d,
        budget=budget_v,
        spend=spend_v,
        milestones=tuple(out_m),
        kpis=tuple(out_k),
        next_due=min(open_due) if open_due else None,
    )


def overdue(milestones: Sequence[Mapping[str, Any]], today: dt.date) -> list[dict[str, Any]]:
    """The stored milestones not done whose due date is before ``today``."""
    return [
        dict(m)
        for m in milestones
        if not m.get("done") and dt.date.fromisoformat(str(m["due"])) < today
    ]


def on_time(milestones: Sequence[Mapping[str, Any]]) -> tuple[int, int]:
    """(milestones done by their due date, all milestones) of a stored plan."""
    done = sum(
        1
        for m in milestones
        if m.get("done") and str(m["done"]) <= str(m["due"])  # ISO dates order as text
    )
    return done, len(milestones)


def check_satisfaction(value: Any, *, field: str = "satisfaction") -> int:
    """The enterprise's satisfaction score at closing: a whole number 1–5."""
    try:
        x = float(value) if not isinstance(value, bool) else math.nan
    except (TypeError, ValueError):
        x = math.nan
    if not math.isfinite(x) or not x.is_integer() or not 1 <= x <= 5:
        raise DataValidationError(
            f"satisfaction must be a whole number 1–5, got {str(value)[:20]!r}",
            field=field,
            zh="满意度应为 1–5 的整数（5 = 非常满意）",
        )
    return int(x)
