"""What matching reads: an enterprise's :class:`Need` and a provider's :class:`Solution`.

Both are frozen pydantic models.  Build them with :func:`need_from_mapping` and
:func:`solution_from_mapping` (or ``Model.model_validate``): bad input raises one
:class:`~nqpf.exceptions.DataValidationError` naming the field (``scenes[0].to_level``)
with the reason in English and Chinese (``reason_zh``).

Amounts are in 万元 and delivery times in weeks; levels are the 一级–四级 scene ladder of
SME-2024 (:mod:`nqpf.matching.scenes`).

>>> need = need_from_mapping({"enterprise_id": "E1", "scene": "设备管理",
...                           "current_level": 2, "target_level": 3})
>>> need.scene, need.level_text
('scene_equipment', '设备管理（二级→三级）')
>>> try:
...     need_from_mapping({"enterprise_id": "E1", "scene": "设备管理",
...                        "current_level": 3, "target_level": 2})
... except Exception as err:
...     print(err.field, "|", err.reason_zh)
target_level | 目标等级（二级）不能低于当前等级（三级）
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from nqpf._datafile import fmt_num
from nqpf.codes import validate_industry_code, validate_industry_prefix
from nqpf.exceptions import DataValidationError
from nqpf.matching._validation import Invalid, model_error
from nqpf.matching.facts import Condition, find_contradiction, load_facts
from nqpf.matching.scenes import LEVEL_NAMES, resolve_scene, scene_label

__all__ = [
    "DEPLOYMENTS",
    "PRICE_BANDS",
    "SIZE_CLASSES",
    "STANDINGS",
    "Case",
    "Kpi",
    "Need",
    "SceneLift",
    "Solution",
    "need_from_mapping",
    "solution_from_mapping",
]

#: Size classes (the enterprise register's) and their Chinese names.
SIZE_CLASSES = MappingProxyType(
    {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
)
#: A provider's standing in the register and its Chinese name.
STANDINGS = MappingProxyType(
    {
        "admitted": "入库",
        "warning": "警告",
        "suspended": "暂停",
        "removed": "移出",
        "pending": "审核中",
    }
)
#: Deployment modes and their Chinese names.
DEPLOYMENTS = MappingProxyType({"saas": "SaaS", "private": "私有化"})
#: Price bands offered by the catalogue template: label → (min, max) in 万元.
PRICE_BANDS = MappingProxyType(
    {"5万以下": (0.0, 5.0), "5–20万": (5.0, 20.0), "20–50万": (20.0, 50.0),
     "50–100万": (50.0, 100.0), "100–300万": (100.0, 300.0), "300–1000万": (300.0, 1000.0)}
)  # fmt: skip

_ALIASES = {
    "sizes": {v: k for k, v in SIZE_CLASSES.items()},
    "standing": {
        **{v: k for k, v in STANDINGS.items()},
        "已入库": "admitted", "公示中": "pending", "申请中": "pending", "取消资格": "removed",
    },
    "deployment": {"saas": "saas", "云": "saas", "私有化": "private", "本地部署": "private"},
}  # fmt: skip

Size = Literal["large", "medium", "small", "micro"]
Standing = Literal["admitted", "warning", "suspended", "removed", "pending"]
Deployment = Literal["saas", "private"]
Level = Annotated[int, Field(ge=1, le=4)]
Amount = Annotated[float, Field(ge=0, allow_inf_nan=False)]


def _alias(kind: str, value: Any) -> Any:
    if isinstance(value, str):
        text = value.strip()
        return _ALIASES[kind].get(text, _ALIASES[kind].get(text.lower(), text.lower()))
    return value


def _located(exc: DataValidationError, *loc: str | int) -> Invalid:
    return Invalid(exc.reason, exc.reason_zh, loc)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _resolve_scene(value: Any) -> str:
    try:
        return resolve_scene(value)
    except DataValidationError as exc:
        raise _located(exc) from None


def _fact_ids(values: tuple[str, ...]) -> tuple[str, ...]:
    for i, fact in enumerate(values):
        try:
            load_facts().spec(fact)
        except Invalid as exc:
            raise Invalid(str(exc), exc.zh, (i,)) from None
    return values


class SceneLift(_Model):
    """A scene a solution lifts, from one level to a higher one."""

    scene: str
    from_level: Level
    to_level: Level

    @field_validator("scene", mode="before")
    @classmethod
    def _scene(cls, value: Any) -> str:
        return _resolve_scene(value)

    @model_validator(mode="after")
    def _lifts(self) -> SceneLift:
        if self.to_level <= self.from_level:
            raise Invalid(
                f"to_level ({self.to_level}) must be above from_level ({self.from_level})",
                f"目标等级（{LEVEL_NAMES[self.to_level]}）应高于起始等级（{LEVEL_NAMES[self.from_level]}）",
                ("to_level",),
            )
        return self

    @property
    def text(self) -> str:
        """``设备管理（二级→三级）``."""
        return f"{scene_label(self.scene)}（{LEVEL_NAMES[self.from_level]}→{LEVEL_NAMES[self.to_level]}）"


class Kpi(_Model):
    """One KPI of a delivered case: its value and unit (required), an optional baseline,
    and where the number comes from (default: the provider's own claim, unverified)."""

    name: str = Field(min_length=1)
    value: float = Field(allow_inf_nan=False)
    unit: str = Field(default="", validate_default=True)
    baseline: float | None = Field(default=None, allow_inf_nan=False)
    source: str = "服务商自报"
    confidence: Literal["official", "secondary", "unverified"] = "unverified"

    @field_validator("unit", mode="before")
    @classmethod
    def _unit(cls, unit: Any) -> Any:
        if unit is None or not str(unit).strip():
            raise Invalid(
                "a KPI needs a unit (%, 天, 万元 …)", "案例指标必须注明单位（如 %、天、万元）"
            )
        return unit


class Case(_Model):
    """A delivered case: a title, the client's industry (GB/T 4754) and its KPIs."""

    title: str = ""
    industry: str | None = None
    kpis: tuple[Kpi, ...] = ()

    @field_validator("industry", mode="before")
    @classmethod
    def _industry(cls, value: Any) -> Any:
        if value is None or not str(value).strip():
            return None
        try:
            return validate_industry_code(value, field="industry")
        except DataValidationError as exc:
            raise _located(exc) from None


class Need(_Model):
    """An enterprise's need (需求): a scene to lift from ``current_level`` to ``target_level``.

    Attributes
    ----------
    id, enterprise_id
        The need's own id (optional) and the enterprise's.
    scene
        An SME-2024 scene or one of the 40 典型场景 (any spelling
        :func:`~nqpf.matching.scenes.resolve_scene` accepts; stored as its key).
    current_level, target_level
        1–4, target ≥ current.
    addresses
        The unmet conditions the need addresses, as fact ids (questions or scenes of the
        roadmap, e.g. ``equipment_network_rate``).
    budget_min, budget_max
        The budget band in 万元 (optional).
    deadline
        When the solution should be delivered (optional).
    text
        Free text in Chinese: what the enterprise wants.
    industry, size_class
        The enterprise's GB/T 4754 code (letter and digits) and size class (optional).
    note
        A free note (e.g. 示例数据); not used for matching.
    """

    id: str = ""
    enterprise_id: str = Field(min_length=1)
    scene: str
    current_level: Level
    target_level: Level
    addresses: tuple[str, ...] = ()
    budget_min: Amount | None = None
    budget_max: Amount | None = None
    deadline: dt.date | None = None
    text: str = ""
    industry: str | None = None
    size_class: Size | None = None
    note: str = ""

    @field_validator("scene", mode="before")
    @classmethod
    def _scene(cls, value: Any) -> str:
        return _resolve_scene(value)

    @field_validator("addresses")
    @classmethod
    def _addresses(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _fact_ids(values)

    @field_validator("industry", mode="before")
    @classmethod
    def _industry(cls, value: Any) -> Any:
        if value is None or not str(value).strip():
            return None
        try:
            return validate_industry_code(value, field="industry")
        except DataValidationError as exc:
            raise _located(exc) from None

    @field_validator("size_class", mode="before")
    @classmethod
    def _size(cls, value: Any) -> Any:
        return None if value is None or value == "" else _alias("sizes", value)

    @model_validator(mode="after")
    def _consistent(self) -> Need:
        if self.target_level < self.current_level:
            raise Invalid(
                f"target_level ({self.target_level}) is below current_level ({self.current_level})",
                f"目标等级（{LEVEL_NAMES[self.target_level]}）不能低于当前等级"
                f"（{LEVEL_NAMES[self.current_level]}）",
                ("target_level",),
            )
        if (
            self.budget_min is not None
            and self.budget_max is not None
            and self.budget_min > self.budget_max
        ):
            raise Invalid(
                f"budget_min ({self.budget_min:g}) is above budget_max ({self.budget_max:g})",
                f"预算下限（{self.budget_min:g} 万元）高于上限（{self.budget_max:g} 万元）",
                ("budget_min",),
            )
        return self

    @property
    def level_text(self) -> str:
        """``设备管理（二级→三级）``."""
        return (
            f"{scene_label(self.scene)}（{LEVEL_NAMES[self.current_level]}→"
            f"{LEVEL_NAMES[self.target_level]}）"
        )


class Solution(_Model):
    """A provider's solution (解决方案) in the catalogue.

    Attributes
    ----------
    id, name, description
        The solution's id, name and description (Chinese text, used for relevance).
    provider_id, provider_name, provider_standing, provider_rating
        Who offers it, their standing in the register (``admitted`` 入库, ``warning`` 警告,
        ``suspended`` 暂停, ``removed`` 移出, ``pending`` 审核中) and star rating 0–5.
    scenes
        The scenes it lifts and from which level to which (at least one).
    improves
        Further facts it raises (fact ids, e.g. ``equipment_network_rate``).
    industries
        GB/T 4754 codes or prefixes it is made for (``C``, ``C35``, ``C3511``); empty =
        every industry.
    sizes
        Size classes it is made for; empty = every size.
    prerequisites
        Conditions on assessment facts the enterprise must meet; contradictory ones are
        refused.
    deployment
        ``saas`` and/or ``private`` (私有化).
    price_min, price_max
        Price band in 万元.
    delivery_weeks
        Delivery time in weeks.
    evidence
        Delivered cases with their KPIs (each with a unit).
    """

    id: str = Field(min_length=1)
    provider_id: str = Field(min_length=1)
    provider_name: str = ""
    provider_standing: Standing = "admitted"
    provider_rating: float | None = Field(default=None, ge=0, le=5, allow_inf_nan=False)
    name: str = Field(min_length=1)
    description: str = ""
    scenes: tuple[SceneLift, ...] = Field(min_length=1)
    improves: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    sizes: tuple[Size, ...] = ()
    prerequisites: tuple[Condition, ...] = ()
    deployment: tuple[Deployment, ...] = Field(min_length=1)
    price_min: Amount
    price_max: Amount
    delivery_weeks: float = Field(gt=0, allow_inf_nan=False)
    evidence: tuple[Case, ...] = ()

    @field_validator("improves")
    @classmethod
    def _improves(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _fact_ids(values)

    @field_validator("provider_standing", mode="before")
    @classmethod
    def _standing(cls, value: Any) -> Any:
        return _alias("standing", value)

    @field_validator("sizes", mode="before")
    @classmethod
    def _sizes(cls, values: Any) -> Any:
        return [_alias("sizes", v) for v in values] if isinstance(values, list | tuple) else values

    @field_validator("deployment", mode="before")
    @classmethod
    def _deployment(cls, values: Any) -> Any:
        if isinstance(values, str):
            values = ["saas", "private"] if values.strip() in ("均可", "both") else [values]
        return (
            [_alias("deployment", v) for v in values]
            if isinstance(values, list | tuple)
            else values
        )

    @field_validator("deployment")
    @classmethod
    def _deployment_order(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(d for d in DEPLOYMENTS if d in values)

    @field_validator("industries", mode="before")
    @classmethod
    def _industries(cls, values: Any) -> Any:
        if not isinstance(values, list | tuple):
            return values
        out = []
        for i, value in enumerate(values):
            try:
                code = validate_industry_prefix(value, field="industries")
            except DataValidationError as exc:
                raise _located(exc, i) from None
            if not code:
                raise Invalid("an industry code is empty", "行业代码不能为空", (i,))
            out.append(code)
        return out

    @model_validator(mode="after")
    def _consistent(self) -> Solution:
        if self.price_min > self.price_max:
            raise Invalid(
                f"price_min ({self.price_min:g}) is above price_max ({self.price_max:g})",
                f"最低价格（{self.price_min:g} 万元）高于最高价格（{self.price_max:g} 万元）",
                ("price_min",),
            )
        clash = find_contradiction(self.prerequisites)
        if clash is not None:
            i, j = clash
            a, b = self.prerequisites[i].text_zh(), self.prerequisites[j].text_zh()
            en_a = _condition_en(self.prerequisites[i])
            en_b = _condition_en(self.prerequisites[j])
            if i == j:
                raise Invalid(
                    f"prerequisite {en_a} can never hold",
                    f"前提条件“{a}”不可能满足",
                    ("prerequisites", j),
                )
            raise Invalid(
                f"prerequisites contradict each other: {en_a} and {en_b}",
                f"前提条件相互矛盾：“{a}”与“{b}”",
                ("prerequisites", j),
            )
        return self

    @property
    def provider_label(self) -> str:
        return self.provider_name or self.provider_id


def _condition_en(c: Condition) -> str:
    unit = f" {c.unit}" if c.unit else ""
    value = str(c.value).lower() if isinstance(c.value, bool) else c.value
    if isinstance(value, float):
        value = fmt_num(value)
    return f"{c.fact} {c.op} {value}{unit}"


def _validated(model: type[_Model], data: Mapping[str, Any]) -> Any:
    if not isinstance(data, Mapping):
        raise DataValidationError(
            f"expected a mapping of fields, got {type(data).__name__}",
            zh="应为字段映射（JSON 对象）",
        )
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise model_error(exc, model) from None


def need_from_mapping(data: Mapping[str, Any]) -> Need:
    """A :class:`Need` from a mapping (parsed JSON/YAML); errors name the field."""
    return _validated(Need, data)


def solution_from_mapping(data: Mapping[str, Any]) -> Solution:
    """A :class:`Solution` from a mapping; errors name the field."""
    return _validated(Solution, data)
