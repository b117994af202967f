"""Needs (需求) from an assessment's roadmap, independent of any door.

An SME-2024 roadmap (:func:`nqpf.assessment.roadmap`) lists the cheapest changes that
reach the next level: scene steps (设备管理 二级→三级) and question steps (设备联网率
25 % → 40 %).  :func:`step_suggestions` turns each step into a suggested need: its scene,
the current and target level, and the unmet condition (fact id) it addresses;
:func:`needs_from_steps` groups the chosen steps by scene into
:class:`~nqpf.matching.Need` objects (one per scene, their conditions merged), validated
by :func:`nqpf.matching.need_from_mapping` — so a need made from a roadmap obeys exactly
the rules of one written by hand.

Scenes of question steps
    A scene step names its scene.  A question step takes the first 典型场景 the SME-16 ↔
    40 crosswalk gives it (数字化基础 questions → 数字基础设施建设), otherwise the scene
    of :data:`QUESTION_SCENES` (nqpf design, confidence ``design``); the enterprise may
    choose another scene for any step.
Levels
    A scene step goes from its current to its new level.  A question step lifts the
    enterprise as a whole: from its level now (at least 一级) to the roadmap's target.

>>> from nqpf.assessment import load_framework
>>> from nqpf.services.assess_report import analyze
>>> fw = load_framework("sme-digital-2024")
>>> answers = {q.id: (q.min_value if q.kind == "number" else [] if q.kind == "multi"
...            else q.options[0].id) for q in fw.questions}
>>> answers.update(dict.fromkeys(fw.scene_ids, 1))
>>> a = analyze(fw, answers)
>>> s = step_suggestions(a)[0]
>>> s.step_id in {st.id for st in a.roadmap.steps}, 1 <= s.current_level <= s.target_level
(True, True)
>>> drafts = needs_from_steps(step_suggestions(a), enterprise_id="E1")
>>> sorted(d.need.scene for d in drafts) == sorted({s.scene for s in step_suggestions(a)})
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from nqpf.exceptions import DataValidationError
from nqpf.matching import Need, need_from_mapping, resolve_scene, scene_label
from nqpf.matching.scenes import FRAMEWORK, LEVEL_NAMES
from nqpf.services.assess_report import Analysis

__all__ = [
    "QUESTION_SCENES",
    "NeedDraft",
    "StepSuggestion",
    "choose",
    "need_title",
    "needs_from_steps",
    "step_suggestions",
]

#: Scene of a question step the crosswalk gives no 典型场景 (nqpf design; the enterprise
#: may choose another).  Keys are SME-2024 question ids, values typical-scene names.
QUESTION_SCENES = MappingProxyType(
    {
        "network": "数字基础设施建设",
        "equipment_digital_rate": "数字基础设施建设",
        "equipment_network_rate": "数字基础设施建设",
        "data_collection": "数字基础设施建设",
        "network_security": "数字基础设施建设",
        "data_security": "数字基础设施建设",
        "information_system": "数智精益管理",
        "planning": "工厂数字化规划设计",
        "management_mechanism": "工厂数字化规划设计",
        "talent": "工厂数字化规划设计",
        "funding_rate": "工厂数字化规划设计",
        "green_low_carbon": "能源智能管控",
        "product_quality": "质量分析与改进",
        "market_performance": "产品精准营销",
        "value_benefit": "数智精益管理",
    }
)
_MAX_TEXT = 4000


@dataclass(frozen=True)
class StepSuggestion:
    """A roadmap step as a suggested need.

    Attributes
    ----------
    step_id, kind, title, detail
        The step (question or scene id, ``scene`` or the question kind), its wording and
        the change in words.
    scene
        The suggested scene key (see the module notes).
    current_level, target_level
        1–4.
    addresses
        The fact ids the need addresses (the step's question or scene id).
    """

    step_id: str
    kind: str
    title: str
    detail: str
    scene: str
    current_level: int
    target_level: int
    addresses: tuple[str, ...]

    @property
    def scene_label(self) -> str:
        return scene_label(self.scene)


@dataclass(frozen=True)
class NeedDraft:
    """A need made from roadmap steps: the validated :class:`~nqpf.matching.Need`, its
    title and the step ids it came from."""

    need: Need
    title: str
    steps: tuple[str, ...]


def _clamp(level: Any) -> int:
    try:
        value = int(level)
    except (TypeError, ValueError):
        value = 1
    return min(max(value, 1), 4)


def step_suggestions(analysis: Analysis) -> list[StepSuggestion]:
    """Each step of ``analysis``'s roadmap as a suggested need (roadmap order).

    Raises
    ------
    DataValidationError
        The analysis is not of the framework matching reads (SME-2024).
    """
    if analysis.framework.key != FRAMEWORK:
        raise DataValidationError(
            f"needs are made from {FRAMEWORK} roadmaps, not {analysis.framework.key}",
            field="assessment",
            zh=f"只能从 {FRAMEWORK} 评测的路线图生成需求",
        )
    road = analysis.roadmap
    overall = _clamp(road.current_level)
    target = min(max(int(road.target_level), overall), 4)
    out = []
    for s in road.steps:
        if s.kind == "scene":
            scene = s.id
            current, to = _clamp(s.from_), _clamp(s.to)
            to = max(to, current)
        else:
            name = s.typical_scenes[0].name if s.typical_scenes else QUESTION_SCENES.get(s.id)
            scene = resolve_scene(name) if name else resolve_scene("数智精益管理")
            current, to = overall, target
        out.append(
            StepSuggestion(
                step_id=s.id,
                kind=s.kind,
                title=s.title,
                detail=s.detail,
                scene=scene,
                current_level=current,
                target_level=to,
                addresses=(s.id,),
            )
        )
    return out


def need_title(scene: str, current_level: int, target_level: int) -> str:
    """``设备管理（二级→三级）``: the default title of a need."""
    return f"{scene_label(scene)}（{LEVEL_NAMES[current_level]}→{LEVEL_NAMES[target_level]}）"


def needs_from_steps(
    suggestions: Iterable[StepSuggestion],
    *,
    enterprise_id: str,
    scenes: Mapping[str, str] | None = None,
    industry: str | None = None,
    size_class: str | None = None,
    budget_min: float | None = None,
    budget_max: float | None = None,
    deadline: dt.date | None = None,
    text: str = "",
) -> list[NeedDraft]:
    """The needs the chosen roadmap steps make, one per scene (first-seen order).

    Parameters
    ----------
    suggestions
        The chosen steps (from :func:`step_suggestions`).
    enterprise_id
        The enterprise's id (as the engine takes it: text).
    scenes
        Step id → another scene for that step (any spelling
        :func:`~nqpf.matching.resolve_scene` reads); a step moved to an SME scene keeps
        its levels.
    industry, size_class
        The enterprise's GB/T 4754 code and size class (for matching).
    budget_min, budget_max, deadline, text
        Applied to every need made (the free text is appended to the steps' wording).

    Raises
    ------
    DataValidationError
        No step chosen (field ``steps``); an unknown scene (``scenes.<step id>``); any
        rule of :func:`nqpf.matching.need_from_mapping` (budget, deadline, text …).
    """
    chosen = list(suggestions)
    if not chosen:
        raise DataValidationError(
            "choose at least one roadmap step", field="steps", zh="请至少选择一个路线图步骤"
        )
    groups: dict[str, list[StepSuggestion]] = {}
    for s in chosen:
        scene = s.scene
        override = (scenes or {}).get(s.step_id)
        if override:
            try:
                scene = resolve_scene(override, field=f"scenes.{s.step_id}")
            except DataValidationError as exc:
                raise exc.at(field=f"scenes.{s.step_id}") from None
        groups.setdefault(scene, []).append(s)
    extra = text.strip() if isinstance(text, str) else ""
    out = []
    for scene, steps in groups.items():
        current = min(s.current_level for s in steps)
        target = max(s.target_level for s in steps)
        addresses = tuple(dict.fromkeys(a for s in steps for a in s.addresses))
        words = "；".join(f"{s.title}：{s.detail}" if s.detail else s.title for s in steps)
        body = f"{words}\n{extra}" if extra else words
        need = need_from_mapping(
            {
                "enterprise_id": enterprise_id,
                "scene": scene,
                "current_level": current,
                "target_level": target,
                "addresses": list(addresses),
                "budget_min": budget_min,
                "budget_max": budget_max,
                "deadline": deadline,
                "text": body[:_MAX_TEXT],
                "industry": industry,
                "size_class": size_class,
            }
        )
        title = need_title(need.scene, need.current_level, need.target_level)
        out.append(NeedDraft(need, title, tuple(s.step_id for s in steps)))
    return out


def choose(suggestions: Sequence[StepSuggestion], step_ids: Iterable[str]) -> list[StepSuggestion]:
    """The suggestions of ``step_ids`` (roadmap order); an id not on the roadmap is refused."""
    wanted = list(dict.fromkeys(step_ids))
    known = {s.step_id for s in suggestions}
    for i, sid in enumerate(wanted):
        if sid not in known:
            raise DataValidationError(
                f"step {str(sid)[:40]!r} is not on this roadmap",
                field=f"steps[{i}]",
                zh=f"步骤“{str(sid)[:40]}”不在该评测的路线图中",
            )
    return [s for s in suggestions if s.step_id in set(wanted)]
