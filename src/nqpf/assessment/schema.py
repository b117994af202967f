"""Assessment frameworks (评测指标) as validated, frozen data.

A framework file is YAML with ``id``, ``version``, ``source`` and ``confidence``
(``official`` / ``secondary`` / ``unverified``), its dimension tree with weights, its
questions (options with points, or numeric bands), its scenes and its level rule as a
table.  :func:`parse_framework` validates the text with the pydantic models below and
reports a malformed file as a :class:`~nqpf.exceptions.ConfigError` that names the file,
the line and the key path, e.g.
``bad.yaml, line 31, field 'questions[0].options[1].points': expected a number, got 'two'``.

Official numbers live in the data files, never in code: the models only check that a file
is consistent (each question's maximum equals the product of its nested weights, a
multi-select's options add up to its maximum, numeric bands tile their range without gaps
or overlaps, level thresholds rise with the level).
"""

from __future__ import annotations

import itertools
import os
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import pandas as pd
from pydantic import BaseModel, BeforeValidator, Field, StringConstraints, model_validator

from nqpf._datafile import (
    Confidence,
    FileId,
    FrozenModel,
    Identifier,
    LocatedValueError,
    Note,
    Number,
    Text,
    Version,
    find_entry,
    fmt_num,
    leaves,
    numbers_agree,
    parse_yaml_model,
    require_number,
)
from nqpf.exceptions import ConfigError

__all__ = [
    "Band",
    "Confidence",
    "Dimension",
    "FormField",
    "Framework",
    "Indicator",
    "LevelRow",
    "LevelRule",
    "Option",
    "Question",
    "Scene",
    "SubDimension",
    "parse_framework",
]

M = TypeVar("M", bound=BaseModel)

#: Option ids are what a respondent writes: letters, digits and ``_``.
OptionId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_]+$")]
#: Points of an option, band, question or dimension: a non-negative number.
Points = Annotated[float, BeforeValidator(require_number), Field(ge=0)]

_TOL = 1e-9  # slack when a score is compared with a threshold or a maximum

#: What a ``confidence`` code of the assessment's rule files means, for the Chinese texts
#: the core writes itself (summaries, notes); the report and web doors have their own labels.
CONFIDENCE_ZH = {
    "official": "官方发布",
    "secondary": "二手来源（待与官方公告核对）",
    "unverified": "未核实（常用引用值，使用前请核对标准）",
    "design": "nqpf 设计值（非官方）",
    "user": "用户指定",
    "provisional": "暂用值（当年因子尚未发布，沿用最新已发布年份）",
}


def confidence_zh(code: str) -> str:
    """The Chinese label of a ``confidence`` code (an unknown code as it is).

    >>> confidence_zh("secondary")
    '二手来源（待与官方公告核对）'
    """
    return CONFIDENCE_ZH.get(code, code)


class Option(FrozenModel):
    """One answer option of a choice question.

    Attributes
    ----------
    id
        What the respondent gives (``"B"``, or a 业务环节 code such as ``"quality"``).
    label
        The official wording.
    points
        Points scored when chosen (a multi-select adds the points of its choices).
    exclusive
        ``True`` for "无": it cannot be combined with another option.
    """

    id: OptionId
    label: Text
    points: Points
    exclusive: bool = False
    confidence: Confidence | None = None
    note: Note = ""


class Band(FrozenModel):
    """A numeric class ``lower``–``upper`` with explicit open/closed sides and its points."""

    id: OptionId
    lower: Number
    upper: Number
    lower_closed: bool
    upper_closed: bool
    points: Points

    @model_validator(mode="after")
    def _check_order(self) -> Band:
        if self.lower >= self.upper:
            raise LocatedValueError(
                f"expected lower < upper, got {fmt_num(self.lower)} ≥ {fmt_num(self.upper)}",
                ("upper",),
            )
        return self

    def interval(self, unit: str = "") -> str:
        """The band in interval notation, e.g. ``(20%, 40%]``."""
        left = "[" if self.lower_closed else "("
        right = "]" if self.upper_closed else ")"
        return f"{left}{fmt_num(self.lower)}{unit}, {fmt_num(self.upper)}{unit}{right}"

    def contains(self, x: float) -> bool:
        """Whether ``x`` falls in the band (respecting the open/closed sides)."""
        above = x >= self.lower if self.lower_closed else x > self.lower
        below = x <= self.upper if self.upper_closed else x < self.upper
        return above and below


class FormField(FrozenModel):
    """A raw number collected beside a question (表单字段); not scored."""

    id: Identifier
    label: Text
    unit: Note = ""


class Question(FrozenModel):
    """One scored question (题目).

    Attributes
    ----------
    id
        ASCII id; the key in a response mapping and the column in a batch table.
    number
        The question's number in the official table.
    title
        The official Chinese wording.
    kind
        ``single`` (one option), ``multi`` (any options, points added) or ``number``
        (a value, scored by the band it falls in).
    max_points
        The question's maximum.
    options, bands
        Options of a choice question; bands of a number question.
    unit, min_value, max_value
        Unit and admissible range of a number question (rates: ``%``, 0–100).
    form_fields
        Raw numbers collected alongside (not scored).
    confidence
        Set when the question is less certain than the framework as a whole.
    """

    id: Identifier
    number: int | None = None
    title: Text
    kind: Literal["single", "multi", "number"]
    max_points: Points
    options: tuple[Option, ...] = ()
    bands: tuple[Band, ...] = ()
    unit: Note = ""
    min_value: Number | None = None
    max_value: Number | None = None
    form_fields: tuple[FormField, ...] = ()
    confidence: Confidence | None = None
    note: Note = ""

    @model_validator(mode="after")
    def _check(self) -> Question:
        top = fmt_num(self.max_points)
        if self.kind in ("single", "multi"):
            if not self.options:
                raise LocatedValueError(
                    f"a {self.kind} question needs at least one option", ("options",)
                )
            if self.bands:
                raise LocatedValueError(
                    f"a {self.kind} question takes options, not bands", ("bands",)
                )
            seen: dict[str, int] = {}
            for i, opt in enumerate(self.options):
                if opt.id in seen:
                    raise LocatedValueError(
                        f"duplicate option id {opt.id!r}",
                        ("options", i, "id"),
                        ("options", seen[opt.id], "id"),
                    )
                seen[opt.id] = i
                if opt.points > self.max_points + _TOL:
                    raise LocatedValueError(
                        f"option points {fmt_num(opt.points)} exceed max_points {top}",
                        ("options", i, "points"),
                    )
                if opt.exclusive and opt.points != 0:
                    raise LocatedValueError(
                        "an exclusive option ('无') must score 0", ("options", i, "points")
                    )
            if self.kind == "single":
                best = max(o.points for o in self.options)
                if not numbers_agree(best, self.max_points):
                    raise LocatedValueError(
                        f"the best option scores {fmt_num(best)} but max_points is {top}",
                        ("max_points",),
                    )
            else:
                total = sum(o.points for o in self.options if not o.exclusive)
                if not numbers_agree(total, self.max_points):
                    raise LocatedValueError(
                        f"the options add up to {fmt_num(total)} but max_points is {top}",
                        ("max_points",),
                    )
            return self
        # number
        if self.options:
            raise LocatedValueError("a number question takes bands, not options", ("options",))
        if not self.bands:
            raise LocatedValueError("a number question needs at least one band", ("bands",))
        if self.min_value is None or self.max_value is None:
            missing = "min_value" if self.min_value is None else "max_value"
            raise LocatedValueError(f"a number question needs {missing}", (missing,))
        first, last = self.bands[0], self.bands[-1]
        if not (numbers_agree(first.lower, self.min_value) and first.lower_closed):
            raise LocatedValueError(
                f"the first band must start at min_value {fmt_num(self.min_value)}, closed",
                ("bands", 0, "lower"),
            )
        if not (numbers_agree(last.upper, self.max_value) and last.upper_closed):
            raise LocatedValueError(
                f"the last band must end at max_value {fmt_num(self.max_value)}, closed",
                ("bands", len(self.bands) - 1, "upper"),
            )
        for i in range(1, len(self.bands)):
            prev, cur = self.bands[i - 1], self.bands[i]
            if not numbers_agree(prev.upper, cur.lower):
                raise LocatedValueError(
                    f"band starts at {fmt_num(cur.lower)} but the previous band ends at "
                    f"{fmt_num(prev.upper)}; bands must be contiguous and in order",
                    ("bands", i, "lower"),
                )
            if prev.upper_closed == cur.lower_closed:
                what = "both include" if cur.lower_closed else "both exclude"
                raise LocatedValueError(
                    f"band {i - 1} and band {i} {what} the shared edge {fmt_num(cur.lower)}; "
                    "exactly one of upper_closed / lower_closed must be true",
                    ("bands", i, "lower_closed"),
                )
        ids = [b.id for b in self.bands]
        if len(set(ids)) != len(ids):
            raise LocatedValueError("band ids must be unique", ("bands",))
        best = max(b.points for b in self.bands)
        if not numbers_agree(best, self.max_points):
            raise LocatedValueError(
                f"the best band scores {fmt_num(best)} but max_points is {top}",
                ("max_points",),
            )
        return self

    def option(self, option_id: str) -> Option:
        """The option with this id (``KeyError`` naming the valid ids otherwise)."""
        for opt in self.options:
            if opt.id == option_id:
                return opt
        raise KeyError(option_id)

    def band_for(self, x: float) -> Band:
        """The band holding ``x`` (which must lie in ``[min_value, max_value]``)."""
        for band in self.bands:
            if band.contains(x):
                return band
        raise ValueError(f"{x!r} lies in no band of question {self.id!r}")


class Indicator(FrozenModel):
    """A leaf of the dimension tree (三级指标): its weight and the question that scores it."""

    name: Text
    weight: Annotated[Number, Field(gt=0, le=100)]
    question: Identifier


class SubDimension(FrozenModel):
    """二级指标: a weight (percent of its dimension) and its indicators."""

    name: Text
    weight: Annotated[Number, Field(gt=0, le=100)]
    indicators: tuple[Indicator, ...] = Field(min_length=1)


class Dimension(FrozenModel):
    """一级维度.  ``scored: false`` (数字化经营) keeps an unscored dimension in the tree."""

    name: Text
    points: Points | None = None
    scored: bool = True
    note: Note = ""
    sub_dimensions: tuple[SubDimension, ...] = ()


class Scene(FrozenModel):
    """A 数字化经营 scene rated 一级 to 四级.

    Attributes
    ----------
    id, name, group
        ASCII id (the response key), Chinese name and the scene's group.
    binding
        ``True`` for a 约束性 scene, ``False`` for 指导性.
    levels
        The texts of levels 1–4.
    level_texts
        ``scene``: texts specific to this scene; ``pattern``: the pattern shared by every
        scene (used where the source's scene-specific ladder is not available).
    """

    id: Identifier
    name: Text
    group: Text
    binding: bool
    levels: tuple[Text, Text, Text, Text]
    level_texts: Literal["scene", "pattern"] = "scene"


class LevelRow(FrozenModel):
    """One row of a level rule: the conditions of one level."""

    level: Annotated[int, Field(ge=1)]
    name: Text
    min_score: Number
    scene_level: Annotated[int, Field(ge=1, le=4)] | None = None
    min_scenes: Annotated[int, Field(ge=0)] | None = None
    min_binding: Annotated[int, Field(ge=0)] | None = None
    description: Note = ""
    confidence: Confidence | None = None
    note: Note = ""

    @model_validator(mode="after")
    def _check(self) -> LevelRow:
        given = [self.scene_level is not None, self.min_scenes is not None]
        if any(given) and not all(given):
            key = "min_scenes" if self.scene_level is not None else "scene_level"
            raise LocatedValueError(
                "scene_level and min_scenes go together; give both or neither", (key,)
            )
        if self.min_binding is not None and self.scene_level is None:
            raise LocatedValueError("min_binding needs scene_level", ("min_binding",))
        return self

    @property
    def has_scene_condition(self) -> bool:
        return self.scene_level is not None


class LevelRule(FrozenModel):
    """A level rule as a table: score thresholds plus scene counts per level.

    A level is reached when every condition of its row holds (score ≥ ``min_score``, or
    > with ``score_bound: min_exclusive``; at least ``min_scenes`` scenes at level
    ≥ ``scene_level``, of which at least ``min_binding`` 约束性).  The result is the highest
    level reached, or 0.
    """

    source: Text
    confidence: Confidence
    score_bound: Literal["min_inclusive", "min_exclusive"]
    levels: tuple[LevelRow, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> LevelRule:
        rows = sorted(self.levels, key=lambda r: r.level)
        seen: set[int] = set()
        for i, row in enumerate(self.levels):
            if row.level in seen:
                raise LocatedValueError(f"duplicate level {row.level}", ("levels", i, "level"))
            seen.add(row.level)
        for lo, hi in itertools.pairwise(rows):
            if hi.min_score <= lo.min_score:
                i = self.levels.index(hi)
                raise LocatedValueError(
                    f"level {hi.level} needs a higher min_score than level {lo.level} "
                    f"({fmt_num(lo.min_score)}), got {fmt_num(hi.min_score)}",
                    ("levels", i, "min_score"),
                )
        return self

    @property
    def rows(self) -> tuple[LevelRow, ...]:
        """Rows in ascending level order."""
        return tuple(sorted(self.levels, key=lambda r: r.level))

    @property
    def top_level(self) -> int:
        return max(r.level for r in self.levels)

    def row(self, level: int) -> LevelRow:
        return find_entry(self.levels, level, by="level")

    def score_met(self, row: LevelRow, total: float) -> bool:
        if self.score_bound == "min_inclusive":
            return total >= row.min_score - _TOL
        return total > row.min_score + _TOL

    def level_of(self, total: float) -> int:
        """Level reached by the score conditions alone (all a score-only rule needs).

        Examples
        --------
        >>> from nqpf.assessment import load_framework
        >>> rule = load_framework("sme-digital", "2022").level_rule
        >>> [rule.level_of(x) for x in (19.9, 20, 39.9, 40, 80, 100)]
        [0, 1, 1, 2, 4, 4]
        """
        level = 0
        for row in self.rows:
            if self.score_met(row, total):
                level = row.level
        return level

    def to_frame(self) -> pd.DataFrame:
        """The rule as a table, one row per level (descending)."""
        return pd.DataFrame(
            [
                {
                    "level": r.level,
                    "name": r.name,
                    "min_score": r.min_score,
                    "scene_level": r.scene_level,
                    "min_scenes": r.min_scenes,
                    "min_binding": r.min_binding,
                    "confidence": r.confidence or self.confidence,
                    "description": r.description,
                }
                for r in reversed(self.rows)
            ]
        )


class Framework(FrozenModel):
    """An assessment framework: metadata, dimension tree, questions, scenes and level rule.

    Examples
    --------
    >>> from nqpf.assessment import load_framework
    >>> fw = load_framework("sme-digital", "2024")
    >>> len(fw.questions), len(fw.scenes), sum(s.binding for s in fw.scenes)
    (15, 16, 10)
    >>> fw.question("network").max_points, fw.level_rule.confidence
    (8.0, 'secondary')
    """

    id: FileId
    version: Version
    name: Text
    document: Note = ""
    source: Text
    confidence: Confidence
    total_points: Points
    sector_tables: tuple[Text, ...] = ()
    dimensions: tuple[Dimension, ...] = Field(min_length=1)
    questions: tuple[Question, ...] = ()
    pattern_levels: tuple[Text, Text, Text, Text] | None = None
    scenes: tuple[Scene, ...] = ()
    level_rule: LevelRule

    @model_validator(mode="before")
    @classmethod
    def _fill_pattern_levels(cls, data: Any) -> Any:
        # Scenes without their own ladder take the shared pattern texts.
        if isinstance(data, dict) and data.get("pattern_levels") is not None:
            scenes = data.get("scenes")
            if isinstance(scenes, list):
                filled = []
                for s in scenes:
                    if isinstance(s, dict) and "levels" not in s:
                        s = {**s, "levels": data["pattern_levels"], "level_texts": "pattern"}
                    filled.append(s)
                data = {**data, "scenes": filled}
        return data

    @model_validator(mode="after")
    def _check(self) -> Framework:
        ids: dict[str, tuple[str | int, ...]] = {}
        for i, q in enumerate(self.questions):
            loc = ("questions", i, "id")
            if q.id in ids:
                raise LocatedValueError(f"duplicate question id {q.id!r}", loc, ids[q.id])
            ids[q.id] = loc
        for i, s in enumerate(self.scenes):
            loc = ("scenes", i, "id")
            if s.id in ids:
                raise LocatedValueError(
                    f"duplicate id {s.id!r}; question and scene ids share one namespace",
                    loc,
                    ids[s.id],
                )
            ids[s.id] = loc
        by_id = {q.id: q for q in self.questions}
        used: dict[str, tuple[str | int, ...]] = {}
        for i, dim in enumerate(self.dimensions):
            if dim.scored and self.questions and dim.points is None:
                raise LocatedValueError("a scored dimension needs points", ("dimensions", i))
            for j, sub in enumerate(dim.sub_dimensions):
                for k, ind in enumerate(sub.indicators):
                    loc = ("dimensions", i, "sub_dimensions", j, "indicators", k, "question")
                    if ind.question not in by_id:
                        raise LocatedValueError(
                            f"unknown question {ind.question!r}; known: {', '.join(by_id)}", loc
                        )
                    if ind.question in used:
                        raise LocatedValueError(
                            f"question {ind.question!r} is already scored by another indicator",
                            loc,
                            used[ind.question],
                        )
                    used[ind.question] = loc
                    leaf = (dim.points or 0) * sub.weight * ind.weight / 10_000
                    q = by_id[ind.question]
                    if not numbers_agree(leaf, q.max_points):
                        raise LocatedValueError(
                            f"{dim.name} {fmt_num(dim.points or 0)} × {fmt_num(sub.weight)}% × "
                            f"{fmt_num(ind.weight)}% = {fmt_num(leaf)} points, but question "
                            f"{q.id!r} has max_points {fmt_num(q.max_points)}",
                            (*loc[:-1], "weight"),
                        )
        for i, q in enumerate(self.questions):
            if q.id not in used:
                raise LocatedValueError(
                    f"question {q.id!r} is not placed in the dimension tree",
                    ("questions", i, "id"),
                )
        if self.questions:
            scored = sum(d.points or 0 for d in self.dimensions if d.scored)
            if not numbers_agree(scored, self.total_points):
                raise LocatedValueError(
                    f"scored dimensions add up to {fmt_num(scored)}, "
                    f"total_points is {fmt_num(self.total_points)}",
                    ("total_points",),
                )
        n_scenes, n_binding = len(self.scenes), sum(s.binding for s in self.scenes)
        for i, row in enumerate(self.level_rule.levels):
            loc = ("level_rule", "levels", i)
            if row.min_scenes is not None and row.min_scenes > n_scenes:
                raise LocatedValueError(
                    f"needs {row.min_scenes} scenes but the framework has {n_scenes}",
                    (*loc, "min_scenes"),
                )
            if row.min_binding is not None and row.min_binding > n_binding:
                raise LocatedValueError(
                    f"needs {row.min_binding} 约束性 scenes but the framework has {n_binding}",
                    (*loc, "min_binding"),
                )
        return self

    # -- views -----------------------------------------------------------------------

    @property
    def key(self) -> str:
        """``id-version``, the shipped file's stem."""
        return f"{self.id}-{self.version}"

    @property
    def question_ids(self) -> list[str]:
        return [q.id for q in self.questions]

    @property
    def scene_ids(self) -> list[str]:
        return [s.id for s in self.scenes]

    def question(self, question_id: str) -> Question:
        """The question with this id (``KeyError`` listing the known ids otherwise)."""
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(
            f"framework {self.key!r} has no question {question_id!r}; "
            f"known: {', '.join(self.question_ids)}"
        )

    def scene(self, scene_id: str) -> Scene:
        for s in self.scenes:
            if s.id == scene_id:
                return s
        raise KeyError(
            f"framework {self.key!r} has no scene {scene_id!r}; known: {', '.join(self.scene_ids)}"
        )

    @property
    def scored_dimensions(self) -> list[Dimension]:
        return [d for d in self.dimensions if d.scored and d.sub_dimensions]

    @property
    def dimension_of(self) -> dict[str, str]:
        """Mapping question id → dimension name."""
        return {ind.question: d.name for d, _, ind in leaves(self.dimensions)}

    @property
    def max_total(self) -> float:
        return float(sum(q.max_points for q in self.questions))

    def to_frame(self) -> pd.DataFrame:
        """The scored tree, one row per option or band."""
        where = {
            ind.question: (d.name, sub.name, ind.name) for d, sub, ind in leaves(self.dimensions)
        }
        rows = []
        for q in self.questions:
            dim, sub, ind = where[q.id]
            base = {
                "dimension": dim,
                "sub_dimension": sub,
                "indicator": ind,
                "question": q.id,
                "title": q.title,
                "kind": q.kind,
                "max_points": q.max_points,
            }
            for o in q.options:
                rows.append({**base, "option": o.id, "label": o.label, "points": o.points})
            for b in q.bands:
                rows.append(
                    {**base, "option": b.id, "label": b.interval(q.unit), "points": b.points}
                )
        return pd.DataFrame(rows)

    def scenes_frame(self) -> pd.DataFrame:
        """One row per scene: id, name, group, binding and the four level texts."""
        return pd.DataFrame(
            [
                {
                    "id": s.id,
                    "name": s.name,
                    "group": s.group,
                    "binding": s.binding,
                    **{f"L{i + 1}": t for i, t in enumerate(s.levels)},
                    "level_texts": s.level_texts,
                }
                for s in self.scenes
            ]
        )


# -- YAML → validated Framework, errors with line and key path ---------------------------


def _id_hint(model: type | None, key: str | int | None, pattern: str | None) -> str:
    # Every pattern-constrained field of the assessment files is an id of some kind.
    return "an ASCII id (letters, digits, _)"


def parse_rule_model(
    text: str, model: type[M], *, filename: str = "<string>", what: str | None = None
) -> M:
    """Validate YAML text as one of the assessment's file models (a framework, a rule set …).

    Errors name the file, the line and the key path as for every nqpf data file; a value
    that fails a pattern is described as an ASCII id, which every such field here is.
    """
    return parse_yaml_model(text, model, filename=filename, what=what, pattern_hint=_id_hint)


def read_rule_file(path_or_id: str | os.PathLike[str], shipped: tuple[str, ...]) -> tuple[str, str]:
    """The text and display name of a shipped assessment file (by id) or a YAML file by path.

    Raises
    ------
    ConfigError
        For an id that is not in ``shipped`` (listing those that are) or a missing file.
    """
    if isinstance(path_or_id, str) and path_or_id in shipped:
        text = resources.files("nqpf.assessment").joinpath("frameworks", f"{path_or_id}.yaml")
        return text.read_text("utf-8"), f"{path_or_id}.yaml"
    path = Path(path_or_id)
    if not path.is_file():
        if isinstance(path_or_id, str) and not path_or_id.endswith((".yaml", ".yml")):
            raise ConfigError(
                f"unknown id {path_or_id!r}; shipped: {', '.join(shipped)}",
                field="id",
                zh=f"没有规则文件 {path_or_id!r}；可选：{'、'.join(shipped)}",
            )
        raise ConfigError("file not found", file=str(path), zh="找不到该文件")
    return path.read_text(encoding="utf-8-sig"), str(path)


def parse_framework(text: str, *, filename: str = "<string>") -> Framework:
    """Validate YAML text as a framework.

    Raises
    ------
    ConfigError
        Naming the file, the 1-based ``line`` and the key path (``field``) of the first
        problem; ``problems`` lists every problem found.

    Examples
    --------
    >>> from importlib import resources
    >>> from nqpf.exceptions import ConfigError
    >>> text = resources.files("nqpf.assessment").joinpath(
    ...     "frameworks/sme-digital-2024.yaml").read_text("utf-8")
    >>> bad = text.replace("{id: B, label: 单个业务环节, points: 2.5}",
    ...                    "{id: B, label: 单个业务环节, points: lots}")
    >>> try:
    ...     parse_framework(bad, filename="bad.yaml")
    ... except ConfigError as err:
    ...     print(err.line, err.field)
    157 questions[4].options[1].points
    """
    return parse_rule_model(text, Framework, filename=filename, what="a framework")
