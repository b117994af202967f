"""The scenes a need or a solution may name: the 16 SME-2024 scenes and the 40 典型场景.

A scene key is the SME-2024 scene id (``scene_equipment``) or the typical scene's name
(``设备故障诊断与预测``).  Names, not numbers, key the typical scenes because numbers 9–40
are nqpf's provisional numbering (``assessment/data/typical_scenes_2025.yaml``); a number
is accepted only beside its name and checked against it.  Both kinds share the 一级–四级
ladder of SME-2024's scene levels (its ``pattern_levels``), so a need and a solution can
speak of "二级→三级" on any scene.

Two scenes are *related* when the SME-16 ↔ 40 crosswalk (``sme16_crosswalk.yaml``,
confidence ``design``) links them (one hop: an SME scene and a typical scene).

>>> resolve_scene("设备管理"), resolve_scene("典型场景 28 设备故障诊断与预测")
('scene_equipment', '设备故障诊断与预测')
>>> scene_label("scene_equipment"), scene_label("设备故障诊断与预测")
('设备管理', '典型场景 28 设备故障诊断与预测')
>>> sorted(related_scenes("scene_equipment"))[:2]
['设备故障诊断与预测', '设备维修维护']
"""

from __future__ import annotations

import difflib
import functools
import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from nqpf.exceptions import DataValidationError

__all__ = [
    "FRAMEWORK",
    "LEVEL_NAMES",
    "SceneInfo",
    "related_scenes",
    "resolve_scene",
    "scene_info",
    "scene_label",
    "scenes",
]

#: The assessment framework whose scenes and facts matching reads.
FRAMEWORK = "sme-digital-2024"
#: Scene level → its Chinese name (the SME-2024 ladder).
LEVEL_NAMES = MappingProxyType({1: "一级", 2: "二级", 3: "三级", 4: "四级"})
_TYPICAL_PREFIX = "典型场景"
_NUMBERED = re.compile(rf"^(?:{_TYPICAL_PREFIX})?\s*(\d{{1,2}})\s*[.、:：]?\s*(.+)$")


@dataclass(frozen=True)
class SceneInfo:
    """One scene: its key, name, kind (``sme`` / ``typical``), number and group."""

    key: str
    name: str
    kind: Literal["sme", "typical"]
    number: int | None
    group: str

    @property
    def label(self) -> str:
        """The Chinese label: the SME scene's name, or ``典型场景 28 设备故障诊断与预测``."""
        if self.kind == "sme":
            return self.name
        return f"{_TYPICAL_PREFIX} {self.number} {self.name}"


@functools.cache
def scenes() -> tuple[SceneInfo, ...]:
    """The 16 SME-2024 scenes, then the 40 typical scenes in number order.

    >>> len(scenes()), scenes()[0].key, scenes()[16].label
    (56, 'scene_product_design', '典型场景 1 工厂数字化规划设计')
    """
    from nqpf.assessment import load_framework
    from nqpf.assessment.diagnosis import load_typical_scenes

    framework_id, version = FRAMEWORK.rsplit("-", 1)
    fw = load_framework(framework_id, version)
    out = [SceneInfo(s.id, s.name, "sme", None, s.group) for s in fw.scenes]
    out += [SceneInfo(t.name, t.name, "typical", t.number, t.stage) for t in load_typical_scenes()]
    return tuple(out)


@functools.cache
def _by_key() -> MappingProxyType[str, SceneInfo]:
    return MappingProxyType({s.key: s for s in scenes()})


@functools.cache
def _by_label() -> MappingProxyType[str, SceneInfo]:
    table = {s.name: s for s in scenes()}
    table.update({s.label: s for s in scenes()})
    return MappingProxyType(table)


def scene_info(key: str) -> SceneInfo:
    """The :class:`SceneInfo` of a resolved scene key."""
    return _by_key()[key]


def scene_label(key: str) -> str:
    """The Chinese label of a resolved scene key."""
    return _by_key()[key].label


def resolve_scene(value: Any, *, field: str = "scene") -> str:
    """The scene key of an id, a name or a label; :class:`DataValidationError` otherwise.

    Accepted: an SME-2024 scene id (``scene_equipment``) or name (``设备管理``), a typical
    scene's name (``设备故障诊断与预测``) or its label with the number
    (``典型场景 28 设备故障诊断与预测``, ``28 设备故障诊断与预测``: number and name must agree).
    """
    text = re.sub(r"\s+", " ", str(value if value is not None else "")).strip()
    if not text:
        raise DataValidationError("a scene is required", field=field, zh="不能为空")
    found = _by_key().get(text) or _by_label().get(text)
    if found is not None:
        return found.key
    m = _NUMBERED.match(text)
    if m:
        number, name = int(m.group(1)), m.group(2).strip()
        named = _by_label().get(name)
        if named is not None and named.kind == "typical":
            if named.number != number:
                raise DataValidationError(
                    f"typical scene {number} is not {name!r} ({name} is number {named.number})",
                    field=field,
                    zh=f"典型场景编号 {number} 与名称“{name}”不符（该场景编号为 {named.number}）",
                )
            return named.key
    near = difflib.get_close_matches(text, list(_by_label()) + list(_by_key()), n=1, cutoff=0.6)
    hint = f"; did you mean {near[0]!r}?" if near else ""
    hint_zh = f"；是否为“{near[0]}”？" if near else ""
    raise DataValidationError(
        f"unknown scene {text[:40]!r}: expected an SME-2024 scene (e.g. 设备管理, "
        f"scene_equipment) or one of the 40 典型场景 by name{hint}",
        field=field,
        zh=f"未知场景“{text[:40]}”：应为 SME-2024 场景（如 设备管理）或 40 个典型场景之一的名称{hint_zh}",
    )


@functools.cache
def _relations() -> MappingProxyType[str, frozenset[str]]:
    from nqpf.assessment.diagnosis import load_crosswalk

    links: dict[str, set[str]] = {s.key: set() for s in scenes()}
    for sme_id, typical in load_crosswalk().scenes.items():
        for t in typical:
            links[sme_id].add(t.name)
            links[t.name].add(sme_id)
    return MappingProxyType({k: frozenset(v) for k, v in links.items()})


def related_scenes(key: str) -> frozenset[str]:
    """Scene keys linked to ``key`` by the crosswalk (``key`` itself excluded)."""
    return _relations()[key]
