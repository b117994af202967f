"""The weights and conventions of the matching score, as a versioned data file.

``data/weights-1.yaml`` is nqpf's illustrative default (confidence ``design``): the share
of each score component, the gates' settings and every constant the components use.  Pass
your own as a :class:`MatchWeights`, a mapping or a YAML path wherever ``weights=`` is
taken; a changed default is a new file, so old rankings stay reproducible.

>>> w = load_weights()
>>> w.id, w.version, w.confidence, w.components.scene_level
('nqpf-matching-weights', '1', 'design', 0.3)
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nqpf.exceptions import ConfigError

__all__ = ["COMPONENTS", "MatchWeights", "load_weights"]

#: The score components, in the order results show them, and their Chinese names.
COMPONENTS = {
    "scene_level": "场景与等级",
    "text": "文本相关",
    "industry": "行业",
    "prerequisite_margin": "前提余量",
    "price": "价格",
    "rating": "服务商评级",
    "delivery": "交付周期",
    "size": "企业规模",
}

_Unit = Field(ge=0, le=1, allow_inf_nan=False)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Components(_Model):
    """Share of each component (≥ 0; normalised over the components that apply)."""

    scene_level: float = Field(ge=0, allow_inf_nan=False)
    text: float = Field(ge=0, allow_inf_nan=False)
    industry: float = Field(ge=0, allow_inf_nan=False)
    prerequisite_margin: float = Field(ge=0, allow_inf_nan=False)
    price: float = Field(ge=0, allow_inf_nan=False)
    rating: float = Field(ge=0, allow_inf_nan=False)
    delivery: float = Field(ge=0, allow_inf_nan=False)
    size: float = Field(ge=0, allow_inf_nan=False)


class Gates(_Model):
    standings: tuple[Literal["admitted", "warning", "suspended", "removed", "pending"], ...]
    industry: Literal["none", "section", "division", "group", "class"]


class SceneParams(_Model):
    crosswalk: float = _Unit
    start_penalty: float = _Unit
    addresses_share: float = _Unit


class Depth(_Model):
    class_: float = Field(alias="class", ge=0, le=1)
    group: float = _Unit
    division: float = _Unit
    section: float = _Unit
    generic: float = _Unit
    other: float = _Unit


class IndustryParams(_Model):
    depth: Depth
    cases_share: float = _Unit
    cases_full: int = Field(ge=1)
    case_level: Literal["division", "group", "class"]


class PrerequisiteParams(_Model):
    margin_full: float = Field(gt=0, le=1)
    unverified: float = _Unit


class SizeParams(_Model):
    match: float = _Unit
    generic: float = _Unit
    other: float = _Unit


class RatingParams(_Model):
    unrated: float = _Unit
    warning_factor: float = _Unit


class DeliveryParams(_Model):
    half_weeks: float = Field(gt=0, allow_inf_nan=False)


class ResultParams(_Model):
    near_miss_max_missing: int = Field(ge=0)
    max_per_provider: int | None = Field(default=None, ge=1)


class MatchWeights(_Model):
    """The weights file (see ``data/weights-1.yaml`` for every key and its meaning)."""

    id: str
    version: str
    source: str
    confidence: Literal["official", "secondary", "design", "unverified"]
    components: Components
    gates: Gates
    scene: SceneParams
    industry: IndustryParams
    prerequisites: PrerequisiteParams
    size: SizeParams
    rating: RatingParams
    delivery: DeliveryParams
    results: ResultParams

    @property
    def key(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"


def load_weights(
    weights: MatchWeights | Mapping[str, Any] | str | os.PathLike[str] | None = None,
) -> MatchWeights:
    """The weights: the shipped default (``None``), a mapping or a YAML file path."""
    if isinstance(weights, MatchWeights):
        return weights
    name = "weights-1.yaml"
    if weights is None:
        text = resources.files("nqpf.matching").joinpath("data", name).read_text("utf-8")
        data = yaml.safe_load(text)
    elif isinstance(weights, Mapping):
        data, name = dict(weights), "<weights mapping>"
    else:
        path = Path(weights)
        if not path.is_file():
            raise ConfigError("weights file not found", file=str(path), zh="找不到权重文件")
        data, name = yaml.safe_load(path.read_text(encoding="utf-8-sig")), str(path)
    try:
        return MatchWeights.model_validate(data)
    except ValidationError as exc:
        e = exc.errors()[0]
        where = ".".join(str(p) for p in e["loc"])
        raise ConfigError(
            f"{e['msg']} (got {e.get('input')!r})", file=name, field=where, zh="权重文件格式有误"
        ) from None
