"""The provider register (服务商库) an authority runs, as a state machine; and the star rating.

Pilot cities keep their provider pools the same way (reference/loop.md §1.4: 新乡's
管理办法, 厦门's 评价指引): a provider applies (自愿申报), experts review it (专家评审),
the result is publicly noticed (社会公示), then it is admitted (入库); admitted providers
are rated (评星评级) and sanctioned when they fail (警告 → 限期整改 → 取消资格), and may
appeal (申诉).  This module holds those rules, independent of any door: :func:`step`
takes a registration's :class:`RegisterState`, an action and its details, and returns the
:class:`Step` to record (the state after, and the details validated) or raises.

States (``status``)
    ``applied`` 已申请（待专家评审）, ``notice`` 公示中, ``admitted`` 已入库, ``rejected``
    未通过评审, ``warning`` 警告, ``suspended`` 暂停（限期整改）, ``removed`` 移出（取消资格）.

Actions (who: ``provider`` or ``authority``)
    ``apply`` (provider; new, or again after a rejection) → applied.
    ``review`` (authority; from applied): experts, score 0–100, opinion and the verdict;
    passed → notice until today + ``notice_days``, failed → rejected.
    ``admit`` (authority; from notice, once the notice period is over) → admitted.  There
    is no other way into ``admitted``: **no admission without a passed review**.
    ``sanction`` (authority): ``warning`` (from admitted), ``suspension`` (from admitted
    or warning), ``removal`` (from admitted, warning or suspended), with a reason.
    ``lift`` (authority; from warning or suspended, 整改完成) → admitted.
    ``appeal`` (provider; from warning, suspended, removed or rejected, none pending).
    ``decide_appeal`` (authority; an appeal pending): upheld restores the state before the
    sanction (a rejection upheld goes back to ``applied``: a new review, never straight to
    admission); dismissed leaves the state as it is.

A bad detail (no reason, a score of 120) is a :class:`~nqpf.exceptions.DataValidationError`
naming the field; an action the state does not allow is a :class:`TransitionError` (the
web answers 409).  Every message has its Chinese beside the English.

>>> import datetime as dt
>>> day = dt.date(2026, 3, 2)
>>> s = step(RegisterState(), "apply", {"statement": "工业软件与设备联网服务"}, today=day)
>>> s.after.status
'applied'
>>> s = step(s.after, "review", {"experts": ["张工", "李工", "王工"], "score": 82,
...                               "opinion": "能力符合", "passed": True}, today=day)
>>> s.after.status, s.after.notice_until.isoformat()
('notice', '2026-03-09')
>>> try:
...     step(s.after, "admit", {}, today=day)
... except TransitionError as err:
...     print(err.reason_zh)
公示期至 2026-03-09 结束，期满后方可入库
>>> step(s.after, "admit", {}, today=dt.date(2026, 3, 10)).after.status
'admitted'

The star rating (:func:`provider_rating`) is computed from the provider's delivery
records: each closed project's satisfaction score (1–5, given by the enterprise at
closing) and the share of its milestones done by their due date, shrunk toward a prior
while there are few projects.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from nqpf.exceptions import DataValidationError

__all__ = [
    "ACTIONS",
    "ACTION_LABELS",
    "APPEALABLE",
    "DEFAULT_NOTICE_DAYS",
    "RATING_DEFAULTS",
    "SANCTIONS",
    "STATUSES",
    "STATUS_LABELS",
    "DeliveryRecord",
    "RegisterState",
    "Step",
    "TransitionError",
    "allowed_actions",
    "best_standing",
    "provider_rating",
    "standing",
    "step",
]

#: State → its Chinese label.
STATUS_LABELS = MappingProxyType(
    {
        "applied": "已申请（待专家评审）",
        "notice": "公示中",
        "admitted": "已入库",
        "rejected": "未通过评审",
        "warning": "警告",
        "suspended": "暂停（限期整改）",
        "removed": "移出（取消资格）",
    }
)
STATUSES = tuple(STATUS_LABELS)
#: Action → who takes it (``provider`` / ``authority``).
ACTIONS = MappingProxyType(
    {
        "apply": "provider",
        "review": "authority",
        "admit": "authority",
        "sanction": "authority",
        "lift": "authority",
        "appeal": "provider",
        "decide_appeal": "authority",
    }
)
#: Action → its Chinese label.
ACTION_LABELS = MappingProxyType(
    {
        "apply": "申请入库",
        "review": "专家评审",
        "admit": "入库",
        "sanction": "处理",
        "lift": "解除处理",
        "appeal": "申诉",
        "decide_appeal": "申诉裁定",
    }
)
#: Sanction kind → (Chinese label, the state it leads to, the states it may start from).
SANCTIONS = MappingProxyType(
    {
        "warning": ("警告", "warning", ("admitted",)),
        "suspension": ("暂停（限期整改）", "suspended", ("admitted", "warning")),
        "removal": ("移出（取消资格）", "removed", ("admitted", "warning", "suspended")),
    }
)
#: States a provider may appeal from.
APPEALABLE = ("warning", "suspended", "removed", "rejected")
#: Calendar days of the public notice when the review does not say (公示期; pilot
#: notices run five working days, about a week — nqpf design default).
DEFAULT_NOTICE_DAYS = 7
_MAX_TEXT = 4000
# the matching engine's standing of each state (nqpf.matching.STANDINGS); a rejected
# provider is not in the register, so its solutions are not in the catalogue
_STANDING = {
    "applied": "pending",
    "notice": "pending",
    "admitted": "admitted",
    "warning": "warning",
    "suspended": "suspended",
    "removed": "removed",
}


class TransitionError(DataValidationError):
    """An action the registration's state does not allow (e.g. admission before review)."""


@dataclass(frozen=True)
class RegisterState:
    """Where a registration stands.

    Attributes
    ----------
    status
        One of :data:`STATUSES`, or ``None`` before the first application.
    previous_status
        The state before the last sanction or rejection (restored by an upheld appeal).
    notice_until
        The last day of the public notice (set by a passed review).
    appeal
        ``"pending"`` while an appeal awaits the authority's decision, else ``""``.
    """

    status: str | None = None
    previous_status: str | None = None
    notice_until: dt.date | None = None
    appeal: str = ""


@dataclass(frozen=True)
class Step:
    """One transition: the action, the state before and after, the validated details."""

    action: str
    before: RegisterState
    after: RegisterState
    detail: Mapping[str, Any] = field(default_factory=dict)


def standing(status: str | None) -> str | None:
    """The matching engine's provider standing of a state (``None``: not in the register)."""
    return _STANDING.get(status or "")


# -- details -------------------------------------------------------------------------------


def _text(details: Mapping[str, Any], key: str, label: str) -> str:
    value = details.get(key)
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise DataValidationError(f"{key} is required", field=key, zh=f"请填写{label}")
    if len(text) > _MAX_TEXT:
        raise DataValidationError(
            f"{key} is longer than {_MAX_TEXT} characters",
            field=key,
            zh=f"{label}不能超过 {_MAX_TEXT} 字",
        )
    return text


def _flag(details: Mapping[str, Any], key: str, label: str) -> bool:
    value = details.get(key)
    if isinstance(value, bool):
        return value
    raise DataValidationError(
        f"{key} must be true or false", field=key, zh=f"请选择{label}（是/否）"
    )


def _number(details: Mapping[str, Any], key: str, label: str, lo: float, hi: float) -> float:
    value = details.get(key)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or not lo <= value <= hi:  # type: ignore[operator]
        raise DataValidationError(
            f"{key} must be a number from {lo:g} to {hi:g}, got {value!r}"[:200],
            field=key,
            zh=f"{label}应为 {lo:g}–{hi:g} 的数字",
        )
    return float(value)  # type: ignore[arg-type]


def _experts(details: Mapping[str, Any], min_experts: int) -> list[str]:
    raw = details.get("experts")
    items = raw if isinstance(raw, list | tuple) else []
    names = [e.strip() for e in items if isinstance(e, str) and e.strip()]
    if len(names) < min_experts:
        raise DataValidationError(
            f"an expert review needs at least {min_experts} expert(s), got {len(names)}",
            field="experts",
            zh=f"专家评审至少需要 {min_experts} 位专家，实际 {len(names)} 位",
        )
    if len(set(names)) != len(names):
        raise DataValidationError(
            "an expert is listed twice", field="experts", zh="专家名单中有重复"
        )
    if any(len(n) > 100 for n in names) or len(names) > 50:
        raise DataValidationError(
            "too many or too long expert names",
            field="experts",
            zh="专家名单过长（最多 50 位，每位不超过 100 字）",
        )
    return names


def _notice_days(details: Mapping[str, Any]) -> int:
    value = details.get("notice_days", DEFAULT_NOTICE_DAYS)
    if value is None:
        value = DEFAULT_NOTICE_DAYS
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 30:
        raise DataValidationError(
            f"notice_days must be a whole number of days from 1 to 30, got {value!r}"[:200],
            field="notice_days",
            zh="公示天数应为 1–30 的整数",
        )
    return value


def _refuse(action: str, state: RegisterState, *, en: str = "", zh: str = "") -> TransitionError:
    shown = STATUS_LABELS.get(state.status or "", "未申请")
    return TransitionError(
        en or f"{action} is not allowed from {state.status or 'no registration'}",
        field="status",
        zh=zh or f"当前状态为“{shown}”，不能{ACTION_LABELS[action]}",
    )


# -- the machine ---------------------------------------------------------------------------


def allowed_actions(state: RegisterState, *, today: dt.date) -> tuple[str, ...]:
    """The actions :func:`step` accepts from ``state`` (details aside), in a stable order."""
    s = state.status
    out: list[str] = []
    if s in (None, "rejected") and not state.appeal:
        out.append("apply")
    if s == "applied":
        out.append("review")
    if s == "notice" and state.notice_until is not None and today > state.notice_until:
        out.append("admit")
    if any(s in starts for _, _, starts in SANCTIONS.values()):
        out.append("sanction")
    if s in ("warning", "suspended"):
        out.append("lift")
    if s in APPEALABLE and not state.appeal:
        out.append("appeal")
    if state.appeal == "pending":
        out.append("decide_appeal")
    return tuple(out)


def step(
    state: RegisterState,
    action: str,
    details: Mapping[str, Any] | None = None,
    *,
    today: dt.date,
    min_experts: int = 1,
) -> Step:
    """The transition ``action`` makes from ``state`` with ``details``.

    Parameters
    ----------
    state
        The registration now (``RegisterState()`` before the first application).
    action
        One of :data:`ACTIONS`.
    details
        ``apply``: ``statement``; ``review``: ``experts`` (names), ``score`` (0–100),
        ``opinion``, ``passed`` (bool), optional ``notice_days`` (1–30, default
        :data:`DEFAULT_NOTICE_DAYS`); ``sanction``: ``kind`` (warning / suspension /
        removal) and ``reason``; ``lift`` and ``appeal``: ``reason``; ``decide_appeal``:
        ``upheld`` (bool) and ``opinion``; ``admit``: nothing.
    today
        The day of the action (notice periods are counted from it).
    min_experts
        The fewest experts a review names (default 1; pilot cities often ask for 3).

    Raises
    ------
    TransitionError
        The state does not allow the action (field ``status``, or ``notice_until`` while
        the notice runs).
    DataValidationError
        A detail is missing or bad (its field named).
    """
    d = dict(details or {})
    if action not in ACTIONS:
        raise DataValidationError(
            f"unknown action {str(action)[:40]!r}; one of {', '.join(ACTIONS)}",
            field="action",
            zh=f"未知操作“{str(action)[:40]}”",
        )
    s = state.status
    if action == "apply":
        if s not in (None, "rejected") or state.appeal:
            raise _refuse(action, state)
        detail = {"statement": _text(d, "statement", "申请说明")}
        return Step(action, state, RegisterState("applied"), detail)
    if action == "review":
        if s != "applied":
            raise _refuse(action, state)
        detail = {
            "experts": _experts(d, min_experts),
            "score": _number(d, "score", "评审得分", 0, 100),
            "opinion": _text(d, "opinion", "评审意见"),
            "passed": _flag(d, "passed", "评审结论"),
        }
        if detail["passed"]:
            days = _notice_days(d)
            detail["notice_days"] = days
            until = today + dt.timedelta(days=days)
            return Step(action, state, RegisterState("notice", notice_until=until), detail)
        return Step(action, state, RegisterState("rejected", previous_status="applied"), detail)
    if action == "admit":
        if s != "notice" or state.notice_until is None:
            if s == "applied":
                raise _refuse(
                    action,
                    state,
                    en="no admission without a passed expert review",
                    zh="未经专家评审和公示，不能入库",
                )
            raise _refuse(action, state)
        if today <= state.notice_until:
            until = state.notice_until.isoformat()
            raise TransitionError(
                f"the public notice runs until {until}; admit after it",
                field="notice_until",
                zh=f"公示期至 {until} 结束，期满后方可入库",
            )
        return Step(action, state, RegisterState("admitted"), {})
    if action == "sanction":
        kind = d.get("kind")
        if kind not in SANCTIONS:
            raise DataValidationError(
                f"kind must be one of {', '.join(SANCTIONS)}, got {str(kind)[:40]!r}",
                field="kind",
                zh="处理方式应为 警告、暂停（限期整改）或 移出（取消资格）",
            )
        label, target, starts = SANCTIONS[kind]
        if s not in starts:
            raise _refuse(
                action,
                state,
                en=f"a {kind} is not allowed from {s}",
                zh=f"当前状态为“{STATUS_LABELS.get(s or '', '未申请')}”，不能给予{label}",
            )
        detail = {"kind": kind, "reason": _text(d, "reason", "处理理由")}
        return Step(action, state, RegisterState(target, previous_status=s), detail)
    if action == "lift":
        if s not in ("warning", "suspended"):
            raise _refuse(action, state)
        detail = {"reason": _text(d, "reason", "解除理由")}
        return Step(action, state, RegisterState("admitted"), detail)
    if action == "appeal":
        if s not in APPEALABLE:
            raise _refuse(action, state)
        if state.appeal:
            raise TransitionError(
                "an appeal is already pending", field="appeal", zh="已有申诉在处理中"
            )
        detail = {"reason": _text(d, "reason", "申诉理由")}
        return Step(action, state, replace(state, appeal="pending"), detail)
    # decide_appeal
    if state.appeal != "pending":
        raise TransitionError(
            "there is no pending appeal to decide", field="appeal", zh="没有待裁定的申诉"
        )
    detail = {"upheld": _flag(d, "upheld", "裁定结论"), "opinion": _text(d, "opinion", "裁定意见")}
    if not detail["upheld"]:
        return Step(action, state, replace(state, appeal=""), detail)
    if s == "rejected":  # a new review, never straight to admission
        return Step(action, state, RegisterState("applied"), detail)
    restored = state.previous_status or "admitted"
    return Step(action, state, RegisterState(restored), detail)


# -- rating --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeliveryRecord:
    """One closed project of a provider: the enterprise's satisfaction (1–5) and how many
    of its milestones were done by their due date."""

    satisfaction: int
    milestones: int = 0
    on_time: int = 0


#: Constants of :func:`provider_rating` (nqpf design, confidence design; not official).
RATING_DEFAULTS = MappingProxyType({"prior": 3.0, "prior_weight": 2.0, "satisfaction_weight": 0.7})


def provider_rating(
    records: Iterable[DeliveryRecord],
    *,
    prior: float = RATING_DEFAULTS["prior"],
    prior_weight: float = RATING_DEFAULTS["prior_weight"],
    satisfaction_weight: float = RATING_DEFAULTS["satisfaction_weight"],
) -> float | None:
    """Star rating 0–5 of a provider from its delivery records (``None`` without any).

    Each record scores x = w·satisfaction + (1 − w)·(1 + 4·on-time share) (both on the
    1–5 scale; a project without milestones counts its satisfaction only); the rating is
    the shrunk mean (m·prior + Σx)/(m + n), rounded to one decimal, so one project moves
    a new provider only part of the way from the prior.

    Parameters
    ----------
    records
        The provider's closed projects.
    prior, prior_weight
        The rating a provider is pulled toward, and how many projects' worth it weighs
        (a Bayesian average; nqpf design defaults 3.0 and 2).
    satisfaction_weight
        w, the share of satisfaction in a project's score (0.7; delivery 0.3).

    Notes
    -----
    The 厦门 draft 服务商服务能力评价指引 scores providers on 服务企业情况, 产品服务能力,
    工作实效评价 and 综合服务能力 (reference/loop.md §1.4; the other weights are not
    public); this rating covers the two that the platform observes — the enterprises'
    satisfaction at acceptance and on-time delivery — and is nqpf's own design.

    Examples
    --------
    >>> provider_rating([])
    >>> provider_rating([DeliveryRecord(5, milestones=2, on_time=2)])
    3.7
    >>> provider_rating([DeliveryRecord(5, 2, 2)] * 10)
    4.7
    """
    total, n = 0.0, 0
    for r in records:
        if not 1 <= r.satisfaction <= 5:
            raise DataValidationError(
                f"satisfaction must be 1–5, got {r.satisfaction!r}",
                field="satisfaction",
                zh="满意度应为 1–5",
            )
        if r.milestones:
            delivery = 1 + 4 * min(max(r.on_time / r.milestones, 0.0), 1.0)
            total += satisfaction_weight * r.satisfaction + (1 - satisfaction_weight) * delivery
        else:
            total += float(r.satisfaction)
        n += 1
    if n == 0:
        return None
    value = (prior_weight * prior + total) / (prior_weight + n)
    return round(min(max(value, 0.0), 5.0), 1)


def best_standing(statuses: Sequence[str | None]) -> str | None:
    """The best engine standing among several registers' states (admitted first)."""
    order = ("admitted", "warning", "suspended", "pending", "removed")
    found = {standing(s) for s in statuses} - {None}
    return next((o for o in order if o in found), None)
