"""Scoring a framework's questionnaire: one response (:func:`score`) or a table (:func:`batch_score`).

Score = Σ over questions of the points of the chosen option (single), the sum of the chosen
options (multi) or the points of the band the number falls in (number).  The level is the
highest row of the framework's level rule whose conditions all hold (score threshold, and
where the rule asks for it, how many scenes reach a level and how many of those are
约束性).  The rule is data (see :mod:`nqpf.assessment.schema`), never code.

Responses map question id → option id (single), option ids (multi: a list, or one string
joined with ``|``; ``[]`` or ``""`` is an explicit empty selection) or a number (rates in
percent, 0–100), and scene id → level 1–4.  Form-field ids may be present: they score
nothing.  Each answer is checked by :mod:`nqpf.assessment.answers`, the rule a questionnaire
page applies as it is filled, so every door refuses the same answers with the same reasons
(in English and in Chinese).
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype, is_bool_dtype, is_numeric_dtype

from nqpf._datafile import find_entry, fmt_num
from nqpf._suggest import close_matches
from nqpf.assessment.answers import normalize_answer
from nqpf.assessment.schema import (
    Framework,
    LevelRow,
    LevelRule,
    Question,
    Scene,
    confidence_zh,
)
from nqpf.exceptions import DataValidationError
from nqpf.results import Result, Summary

try:  # the compiled reader of response dicts (setup.py); optional, see _compiled_columns
    from nqpf.assessment import _records
except ImportError:  # built without a C compiler: the dicts are read in Python
    _records = None

__all__ = [
    "BatchScoreResult",
    "Condition",
    "QuestionScore",
    "ScoreResult",
    "batch_score",
    "score",
]

_ROUND = 6  # point values are multiples of 0.025; rounding removes float dust (0.7 × 13)
_LEVEL_CN = {0: "未达一级", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}


def _level_name(rule: LevelRule, level: int) -> str:
    if level == 0:
        return "未达一级"
    return rule.row(level).name


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionPoints:
    """Points of one question: what its score and its diagnosis both record."""

    id: str
    title: str
    dimension: str
    kind: str
    answer: Any
    points: float
    max_points: float


@dataclass(frozen=True)
class QuestionScore(QuestionPoints):
    """Points of one question and why."""

    reason: str


def records_frame(records: Iterable[Any], columns: Sequence[str]) -> pd.DataFrame:
    """One row per record (a result's entries), holding the attributes named in ``columns``."""
    return pd.DataFrame([{c: getattr(r, c) for c in columns} for r in records])


@dataclass(frozen=True)
class Condition:
    """One condition of a level: what it asks, the current value and whether it holds."""

    level: int
    level_name: str
    kind: str  # "score", "scenes" or "binding"
    label: str
    current: float
    required: float
    met: bool

    @property
    def message(self) -> str:
        op = "≥"
        state = "已满足" if self.met else "未满足"
        return (
            f"{self.level_name}：{self.label}需{op}{fmt_num(self.required)}，"
            f"当前{fmt_num(self.current)}（{state}）"
        )

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, eq=False)
class ScoreResult(Result):
    """Score of one response.

    Attributes
    ----------
    framework
        ``id-version`` of the framework used.
    total, max_total
        Points scored (the base of the level rule) and the maximum.
    level, level_name
        Level reached (0 = 未达一级) and its name.
    dimensions
        Dimension name → points (scored dimensions only).
    questions
        Per-question points with the reason for each.
    scenes
        Scene id → level given.
    next_level
        The unmet conditions of the next level (empty at the top level).
    conditions
        Every condition of every level, met or not.
    rule_confidence
        Confidence of the level rule (``secondary`` for SME-2024).
    """

    framework: str
    total: float
    max_total: float
    level: int
    level_name: str
    dimensions: Mapping[str, float]
    questions: tuple[QuestionScore, ...]
    scenes: Mapping[str, int]
    next_level: tuple[Condition, ...]
    conditions: tuple[Condition, ...] = field(repr=False)
    rule_confidence: str = "official"

    def question(self, question_id: str) -> QuestionScore:
        return find_entry(self.questions, question_id)

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [
            ("框架", self.framework),
            ("总分", f"{fmt_num(self.total)} / {fmt_num(self.max_total)}"),
            ("等级", self.level_name),
        ]
        rows += [(name, fmt_num(p)) for name, p in self.dimensions.items()]
        rows += [(f"{q.id} {q.title}", q.reason) for q in self.questions]
        notes = [f"下一等级未满足条件：{c.message}" for c in self.next_level]
        if self.rule_confidence != "official":
            label = confidence_zh(self.rule_confidence)
            notes.append(f"等级规则的可信度为“{label}”，须以官方文件核对。")
        return Summary(title=f"评测结果 {self.framework}", rows=tuple(rows), notes=tuple(notes))

    def to_frame(self) -> pd.DataFrame:
        """One row per question: id, title, dimension, answer, points, max_points, reason."""
        columns = ("id", "title", "dimension", "answer", "points", "max_points", "reason")
        return records_frame(self.questions, columns)


@dataclass(frozen=True, eq=False)
class BatchScoreResult(Result):
    """Scores of a table of responses.

    Attributes
    ----------
    scores
        One row per input row, same index: ``valid``, ``total``, ``level``,
        ``level_name``, one column per scored dimension and one per question.  Rows with
        a problem have ``valid = False`` and missing scores; no row is dropped.
    errors
        One row per problem: ``row`` (index label), ``position``, ``column``, ``value``,
        ``message`` (Chinese, as the questionnaire names the question) and ``message_en``
        (the same in English).  A row missing several answers has one problem per
        missing answer.
    """

    framework: str
    scores: pd.DataFrame
    errors: pd.DataFrame

    @property
    def n_valid(self) -> int:
        return int(self.scores["valid"].sum())

    def summary(self) -> Summary:
        n = len(self.scores)
        rows: list[tuple[str, Any]] = [
            ("框架", self.framework),
            ("行数", n),
            ("有效行", self.n_valid),
            ("问题数", len(self.errors)),
        ]
        if self.n_valid:
            ok = self.scores[self.scores["valid"]]
            rows.append(("平均总分", float(ok["total"].mean())))
            for lvl, cnt in ok["level_name"].value_counts().sort_index().items():
                rows.append((f"等级 {lvl}", int(cnt)))
        return Summary(title=f"批量评测 {self.framework}", rows=tuple(rows))

    def to_frame(self) -> pd.DataFrame:
        return self.scores


# -- one answer --------------------------------------------------------------------------
# The answer module checks each answer and puts it in its stored form (option id, option
# ids in the framework's order, number, scene level); here those forms earn their points.


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    try:
        return bool(isinstance(value, float | np.floating) and math.isnan(value))
    except TypeError:  # pragma: no cover
        return False


def _plain(value: Any) -> Any:
    """``value`` as the answer module reads answers: numpy scalars and arrays, sets → Python."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, set | frozenset):
        return list(value)
    return value


def _label_cn(q: Question) -> str:
    """A question as the questionnaire shows it: ``第3题“…”``."""
    return f"第{q.number}题“{q.title}”" if q.number else f"“{q.title}”"


def _missing_en(q: Question) -> str:
    """A missing answer in English, as :func:`score` says it of one question."""
    return f"missing answer to question {q.id!r} ({q.title})"


def _answer_points(q: Question, answer: Any) -> float:
    """Points of a stored answer: the option's, the options' sum or the band's."""
    if q.kind == "single":
        return q.option(answer).points
    if q.kind == "multi":
        return round(sum(q.option(oid).points for oid in answer), _ROUND)
    return q.band_for(answer).points


def _option_text(o: Any) -> str:
    """An option as a reader names it: the official letter with its label (``选项D（…）``),
    or the label alone where the option's id is a key, not a letter (``选项“工艺设计”``)."""
    return f"选项{o.id}（{o.label}）" if len(o.id) == 1 else f"选项“{o.label}”"


def _single_points(q: Question, oid: str) -> tuple[Any, float, str]:
    opt = q.option(oid)
    reason = f"{_option_text(opt)}：{fmt_num(opt.points)}分（满分{fmt_num(q.max_points)}分）"
    return opt.id, opt.points, reason


def _multi_points(q: Question, ids: list[str]) -> tuple[Any, float, str]:
    chosen = [q.option(oid) for oid in ids]
    top = fmt_num(q.max_points)
    if not chosen:
        return (), 0.0, f"未选择任何选项：0分（满分{top}分）"
    pts = _answer_points(q, ids)
    names = "、".join(o.id if len(o.id) == 1 else o.label for o in chosen)
    if len(chosen) == 1:
        o = chosen[0]
        reason = f"{_option_text(o)}：{fmt_num(pts)}分（满分{top}分）"
    else:
        terms = "+".join(fmt_num(o.points) for o in chosen)
        reason = f"选项{names}：{terms}={fmt_num(pts)}分（满分{top}分）"
    return tuple(o.id for o in chosen), pts, reason


def _number_points_of(q: Question, x: float) -> tuple[Any, float, str]:
    band = q.band_for(x)
    what = "比例" if q.unit == "%" else "数值"
    reason = (
        f"{what} {fmt_num(x)}{q.unit} 落在 {band.interval(q.unit)} 区间："
        f"{fmt_num(band.points)}分（满分{fmt_num(q.max_points)}分）"
    )
    return x, band.points, reason


#: Question kind → (stored answer → answer as recorded, points, reason).
_POINTS = {"single": _single_points, "multi": _multi_points, "number": _number_points_of}


def _refuse_missing(framework: Framework, answers: Mapping[str, Any]) -> None:
    """One error listing every question and scene of ``framework`` left without an answer."""
    questions = [q for q in framework.questions if q.id not in answers]
    scenes = [s for s in framework.scenes if s.id not in answers]
    if not questions and not scenes:
        return
    en, zh = [], []
    if questions:
        head = (
            "missing answers to questions" if len(questions) > 1 else "missing answer to question"
        )
        en.append(f"{head} " + ", ".join(f"{q.id!r} ({q.title})" for q in questions))
        zh.append("、".join(map(_label_cn, questions)) + "缺少答案")
    if scenes:
        head = (
            "missing levels (1–4) of scenes" if len(scenes) > 1 else "missing level (1–4) of scene"
        )
        en.append(f"{head} " + ", ".join(f"{s.id!r} ({s.name})" for s in scenes))
        zh.append("场景" + "、".join(f"“{s.name}”" for s in scenes) + "缺少等级（1–4）")
    first = questions[0].id if questions else scenes[0].id
    raise DataValidationError("; ".join(en), field=first, zh="；".join(zh))


# -- level rule --------------------------------------------------------------------------


def _row_conditions(
    rule: LevelRule, row: LevelRow, total: float, scene_levels: np.ndarray, binding: np.ndarray
) -> list[Condition]:
    out = [
        Condition(
            row.level,
            row.name,
            "score",
            "总分",
            total,
            row.min_score,
            rule.score_met(row, total),
        )
    ]
    if row.scene_level is not None and row.min_scenes is not None:
        at = scene_levels >= row.scene_level
        lv = _LEVEL_CN.get(row.scene_level, str(row.scene_level))
        n_at = int(at.sum())
        out.append(
            Condition(
                row.level,
                row.name,
                "scenes",
                f"达到{lv}及以上的场景数",
                n_at,
                row.min_scenes,
                n_at >= row.min_scenes,
            )
        )
        if row.min_binding is not None:
            n_b = int((at & binding).sum())
            out.append(
                Condition(
                    row.level,
                    row.name,
                    "binding",
                    f"其中约束性场景数（{lv}及以上）",
                    n_b,
                    row.min_binding,
                    n_b >= row.min_binding,
                )
            )
    return out


# -- public API --------------------------------------------------------------------------


def _require_items(framework: Framework) -> None:
    if not isinstance(framework, Framework):
        raise DataValidationError(
            f"expected a Framework (see nqpf.assessment.load_framework), got {type(framework).__name__}"
        )
    if not framework.questions:
        raise DataValidationError(
            f"framework {framework.key!r} has no item tables, so responses cannot be scored; "
            "use framework.level_rule.level_of(total) with a total obtained elsewhere",
            zh=f"评测框架 {framework.key} 只有等级划分、没有题目，无法按答卷评分",
        )


def _answers(framework: Framework, responses: Any) -> dict[str, Any]:
    """Every answer of ``responses`` in its stored form, checked by the answer module.

    Unknown keys and form fields are checked first (as given), then the questions and
    scenes in questionnaire order; a missing value (None, NaN) is no answer.
    """
    if not isinstance(responses, Mapping):
        raise DataValidationError(
            f"responses must be a mapping of question/scene id → answer, got {type(responses).__name__}",
            zh=f"答卷应为“题目或场景编号 → 答案”的映射，收到 {type(responses).__name__}",
        )
    order = {k: i for i, k in enumerate(framework.question_ids + framework.scene_ids)}
    given = {str(k): v for k, v in responses.items() if not _is_missing(v)}
    return {
        key: normalize_answer(framework, key, _plain(given[key]))
        for key in sorted(given, key=lambda k: order.get(k, -1))
    }


def score(framework: Framework, responses: Mapping[str, Any]) -> ScoreResult:
    """Score one response.

    Parameters
    ----------
    framework
        A framework from :func:`nqpf.assessment.load_framework`.
    responses
        Question id → option id / option ids / number; scene id → level 1–4.

    Returns
    -------
    ScoreResult

    Raises
    ------
    DataValidationError
        From :func:`nqpf.assessment.answers.normalize_answer`: an unknown question, scene
        or option id, a number out of range, a multi-select combining '无' with another
        option, a scene level outside 1–4, a bad form-field value; or one error listing
        every missing answer.  ``field`` names the (first) question or scene at fault;
        ``reason_zh`` names the questions as the questionnaire shows them.

    Examples
    --------
    >>> from nqpf.assessment import load_framework
    >>> fw = load_framework("sme-digital", "2024")
    >>> answers = {q.id: (35 if q.kind == "number" else [] if q.kind == "multi" else "A")
    ...            for q in fw.questions}
    >>> answers.update({s.id: 1 for s in fw.scenes})
    >>> r = score(fw, answers)
    >>> r.total, r.level
    (9.75, 0)
    >>> r.question("equipment_digital_rate").reason
    '比例 35% 落在 (20%, 40%] 区间：3分（满分6分）'
    """
    _require_items(framework)
    answers = _answers(framework, responses)
    _refuse_missing(framework, answers)
    dim_of = framework.dimension_of
    qscores = []
    dims: dict[str, float] = {d.name: 0.0 for d in framework.scored_dimensions}
    for q in framework.questions:
        answer, pts, reason = _POINTS[q.kind](q, answers[q.id])
        dims[dim_of[q.id]] += pts
        qscores.append(
            QuestionScore(q.id, q.title, dim_of[q.id], q.kind, answer, pts, q.max_points, reason)
        )
    levels = {s.id: answers[s.id] for s in framework.scenes}
    total = round(sum(q.points for q in qscores), _ROUND)
    dims = {k: round(v, _ROUND) for k, v in dims.items()}
    scene_arr = np.array([levels[s.id] for s in framework.scenes], dtype=np.int64)
    binding = np.array([s.binding for s in framework.scenes], dtype=bool)
    rule = framework.level_rule
    conditions: list[Condition] = []
    level = 0
    for row in rule.rows:
        conds = _row_conditions(rule, row, total, scene_arr, binding)
        conditions += conds
        if all(c.met for c in conds):
            level = max(level, row.level)
    above = [r for r in rule.rows if r.level > level]
    nxt = above[0].level if above else None
    next_level = tuple(c for c in conditions if c.level == nxt and not c.met)
    return ScoreResult(
        framework=framework.key,
        total=total,
        max_total=framework.max_total,
        level=level,
        level_name=_level_name(rule, level),
        dimensions=MappingProxyType(dims),
        questions=tuple(qscores),
        scenes=MappingProxyType(levels),
        next_level=next_level,
        conditions=tuple(conditions),
        rule_confidence=rule.confidence,
    )


def _group_keys(col: pd.Series) -> pd.Series:
    """Hashable stand-ins for the cells of ``col``, equal only where the cells are.

    factorize groups equal cells, but a list of option ids (a multi-select answer) is
    unhashable, and ``True`` equals ``1`` although only the number is an answer: such cells
    stand in tagged.
    """
    if col.dtype != object or infer_dtype(col, skipna=True) == "string":
        return col

    def key(v: Any) -> Any:
        if isinstance(v, list | tuple | set | frozenset | np.ndarray):
            return ("seq", *map(repr, _plain(v)))
        if isinstance(v, bool | np.bool_):
            return ("bool", bool(v))
        return v

    return col.map(key)


def batch_score(framework: Framework, table: Any) -> BatchScoreResult:
    """Score a table of responses, vectorised over rows.

    Parameters
    ----------
    framework
        The framework.
    table
        One row per response; one column per question id (multi-select as a list or a
        ``|``-joined string) and per scene id (int 1–4).  Other columns are ignored.
        A pandas DataFrame, a PyArrow ``Table``/``RecordBatch`` (or a frame with
        ``to_arrow()``, e.g. Polars), or a list of dicts (one response each, as
        :func:`score` takes it): only the question and scene columns are converted,
        each read as a DataFrame of the same rows would hold it (the same scores and
        problems in every form).  A list of dicts is read by a compiled reader in one
        pass over the dicts (``nqpf.assessment._records``; without a C compiler at
        install, in Python at about three times the time).

    Returns
    -------
    BatchScoreResult
        ``scores`` (every input row, ``valid`` flag) and ``errors`` (one row per problem).

    Raises
    ------
    DataValidationError
        When question or scene columns are missing altogether.

    Notes
    -----
    Each distinct cell is checked once by :func:`nqpf.assessment.answers.normalize_answer`
    (the rule :func:`score` applies), except the plain numbers inside a question's range
    or 1–4 for a scene, which are taken as they are so that large tables stay fast.
    ``benchmarks/bench_assessment.py`` times 10⁶ SME-2024 responses in each input form.

    Examples
    --------
    >>> import pandas as pd
    >>> from nqpf.assessment import load_framework
    >>> fw = load_framework("sme-digital")
    >>> row = {q.id: (100 if q.kind == "number" else "A" if q.kind == "single" else "")
    ...        for q in fw.questions}
    >>> row.update({s.id: 4 for s in fw.scenes})
    >>> bad = dict(row, equipment_digital_rate=130)
    >>> out = batch_score(fw, pd.DataFrame([row, bad]))
    >>> out.scores["valid"].tolist(), out.scores["total"].tolist()[0]
    ([True, False], 19.5)
    >>> out.errors["column"].tolist()
    ['equipment_digital_rate']
    """
    _require_items(framework)
    table = _with_item_columns(framework, table)
    errors = _RowErrors(table)
    n = len(table)
    # The scores frame's float block (total, dimensions, questions), column-major: each
    # question's points are written once, into their own contiguous column of it.
    dims = len(framework.scored_dimensions)
    block = np.empty((n, 1 + dims + len(framework.questions)), dtype=np.float64, order="F")
    P = block[:, 1 + dims :]
    for j, q in enumerate(framework.questions):
        points_of = _number_points if q.kind == "number" else _choice_points
        P[:, j] = points_of(framework, q, table[q.id], errors)
    S = np.zeros((n, len(framework.scenes)), dtype=np.int8, order="F")  # levels 0–4
    for j, s in enumerate(framework.scenes):
        S[:, j] = _scene_levels(framework, s, table[s.id], errors)
    total = np.round(P.sum(axis=1), _ROUND)
    binding = np.array([s.binding for s in framework.scenes], dtype=bool)
    level = _levels(framework.level_rule, total, S, binding)
    scores = _scores_frame(framework, table.index, block, total, level, valid=~errors.bad)
    return BatchScoreResult(framework=framework.key, scores=scores, errors=errors.frame())


def _with_item_columns(framework: Framework, table: Any) -> Any:
    """``table``'s columns by id (a DataFrame or :class:`_Columns`), refused unless it has a
    column per question and scene id."""
    needed = framework.question_ids + framework.scene_ids
    if not isinstance(table, pd.DataFrame):
        table = _item_columns(framework, table)
    missing = [c for c in needed if c not in table.columns]
    if missing:
        en, zh = _near_columns(missing, [str(c) for c in table.columns if c not in needed])
        raise DataValidationError(
            f"missing column(s) {', '.join(missing)}; expected one column per question and "
            f"scene id{en}",
            column=missing[0],
            zh=f"缺少列 {'、'.join(missing)}；每道题目和每个场景各需一列（列名为其编号）{zh}",
        )
    return table


@dataclass(frozen=True)
class _Columns:
    """What batch scoring reads of a table that is not a DataFrame: its question and scene
    columns by id (Series) and the row labels."""

    columns: dict[str, pd.Series]
    index: pd.Index

    def __getitem__(self, key: str) -> pd.Series:
        return self.columns[key]

    def __len__(self) -> int:
        return len(self.index)


def _item_columns(framework: Framework, table: Any) -> Any:
    """The question and scene columns of an Arrow table, a frame with ``to_arrow()`` or a
    list of dicts, converted by column or group of columns (no DataFrame assembled);
    other kinds through ``pd.DataFrame``."""
    needed = framework.question_ids + framework.scene_ids
    if hasattr(table, "to_arrow") and not hasattr(table, "column_names"):
        table = table.to_arrow()  # Polars and the like
    if hasattr(table, "column_names") and hasattr(table, "column"):  # pyarrow Table/RecordBatch
        names = set(table.column_names)
        columns = {c: table.column(c).to_pandas() for c in needed if c in names}
        return _Columns(columns, pd.RangeIndex(table.num_rows))
    if isinstance(table, Sequence) and table and isinstance(table[0], Mapping):
        return _Columns(_columns_of_records(framework, table), pd.RangeIndex(len(table)))
    return pd.DataFrame(table)


_ABSENT = object()  # a key a response does not have


def _columns_of_records(framework: Framework, records: Sequence[Mapping]) -> dict[str, pd.Series]:
    """One column per question or scene id a response has, typed as
    ``pd.DataFrame(records)`` types it.

    A list of dicts with str keys goes to the compiled reader (:func:`_compiled_columns`).
    Otherwise, or when nqpf was built without it, every response is visited once for all
    its answers (:func:`_cell_blocks`); then the number questions (rates, floats), the
    scene levels (ints) and the choice questions (text) are each typed by one scan and
    one conversion of the whole group (:func:`_number_columns`, :func:`_text_columns`).
    A column those fast paths do not fit (a ``True`` or ``"35%"`` among numbers, a list
    of options, bytes) is typed by pandas itself (:func:`_inferred`), so every cell
    reaches the answer module as a DataFrame would hand it over.
    """
    if _records is not None and isinstance(records, list):
        columns = _compiled_columns(framework, records)
        if columns is not None:
            return columns
    numbers = [q.id for q in framework.questions if q.kind == "number"]
    choices = [q.id for q in framework.questions if q.kind != "number"]
    groups = (
        (_number_columns, numbers),
        (_number_columns, list(framework.scene_ids)),
        (_text_columns, choices),
    )
    blocks = _cell_blocks(records, [keys for _, keys in groups])
    by_key: dict[str, pd.Series] = {}
    for (read, keys), cells in zip(groups, blocks, strict=True):
        by_key.update(read(records, keys, cells))
    needed = framework.question_ids + framework.scene_ids
    return {c: by_key[c] for c in needed if c in by_key}


def _compiled_columns(framework: Framework, records: list[Mapping]) -> dict[str, pd.Series] | None:
    """The columns of :func:`_columns_of_records`, read by the compiled reader in one pass
    over the dicts, or None when some record is not a dict or has a key that is not a str.

    Numbers (and scene levels) come back as floats with flags saying whether the column
    held floats, ints or missing cells, choices as codes into each column's distinct
    strings; a column holding any other cell (a ``True``, ``"35%"`` among numbers, a list
    of options, a NumPy int) is read again on its own by the Python path, so each column
    is typed as ``pd.DataFrame(records)`` types it either way.
    """
    choices = {q.id for q in framework.questions if q.kind != "number"}
    needed = framework.question_ids + framework.scene_ids
    kinds = bytes(ord("t") if key in choices else ord("n") for key in needed)
    n, texts = len(records), len(choices)
    floats = np.empty((len(needed) - texts, n), dtype=np.float64)
    codes = np.empty((texts, n), dtype=np.int32)
    column_of = {key: j for j, key in enumerate(needed)}
    got = _records.read_columns(records, column_of, kinds, floats, codes)
    if got is None:
        return None
    flags, distinct = got
    r = _records  # what the reader saw in a column: its F_* flags
    out: dict[str, pd.Series] = {}
    slots = {"n": 0, "t": 0}
    for key, kind, flag in zip(needed, kinds.decode(), flags, strict=True):
        slot = slots[kind]
        slots[kind] += 1
        if not flag & r.F_PRESENT:
            continue
        if flag & r.F_OTHER or not flag & r.F_VALUE:  # typed the exact way, as pandas would
            values = _object_column(records, key)
            assert values is not None
            out[key] = _text_column(values) if kind == "t" else _number_column(values)
        elif kind == "t":
            text = pd.Categorical.from_codes(
                codes[slot], categories=pd.Index(distinct[slot], dtype=object), validate=False
            )
            out[key] = pd.Series(text, copy=False)
        elif flag & (r.F_FLOAT | r.F_MISSING):
            out[key] = pd.Series(floats[slot], copy=False)
        else:  # ints only, none missing: pandas keeps them as int64 (cast in place)
            ints = floats[slot].view(np.int64)
            np.copyto(ints, floats[slot], casting="unsafe")  # overlap: numpy copies first
            out[key] = pd.Series(ints, copy=False)
    return out


def _cell_blocks(
    records: Sequence[Mapping], groups: Sequence[Sequence[str]]
) -> list[np.ndarray | None]:
    """Per group of keys, the cells of ``records`` as an n × k object block (a row per
    record), or None for a group some record lacks a key of.

    Every key of every group is read in one pass over the records, group after group in
    each record: besides its look-ups, a pass pays a step per record (the ``itemgetter``
    call and its tuple, the record's dict brought into cache), so one pass for all keys
    costs less than a pass per group (about two thirds at 10⁶ SME-2024 responses), and
    each group's block is then a slice of the cells (a view, not a copy).  Only when some
    record lacks some key is each group read on its own, to tell the whole groups from
    the rest.  Records that all hold the same keys in the same order are read by their
    values instead (:func:`_same_key_cells`), each group taken from them as a contiguous
    block.
    """
    n = len(records)
    same = _same_key_cells(records)
    if same is not None and all(key in same[1] for keys in groups for key in keys):
        cells, column = same
        return [np.take(cells, [column[key] for key in keys], axis=1) for keys in groups]
    flat = _row_major(records, [key for keys in groups for key in keys])
    if flat is None:
        blocks = [_row_major(records, keys) if keys else None for keys in groups]
        return [None if b is None else b.reshape(n, -1) for b in blocks]
    cells = flat.reshape(n, -1)
    ends = np.cumsum([len(keys) for keys in groups])
    return [cells[:, end - len(keys) : end] for keys, end in zip(groups, ends, strict=True)]


def _same_key_cells(records: Sequence[Mapping]) -> tuple[np.ndarray, dict[Any, int]] | None:
    """Every value of every record as an n × m object block and each key's column, when
    all records are dicts with the first record's keys in its order (as rows read from
    JSON, a DataFrame or a form are); else None.

    Walking a dict's values costs less than looking its keys up one by one (each look-up
    hashes and probes); the keys are checked first, record by record, as tuples equal to
    the first record's (equal keys are mostly the same objects, compared by identity).
    """
    order = tuple(records[0])
    try:
        if not order or not all(map(order.__eq__, map(tuple, records))):
            return None
        values = itertools.chain.from_iterable(map(dict.values, records))
        cells = np.fromiter(values, dtype=object, count=len(records) * len(order))
    except TypeError:  # a record that is not a dict: read key by key
        return None
    return cells.reshape(len(records), -1), {key: j for j, key in enumerate(order)}


def _row_major(records: Sequence[Mapping], keys: Sequence[str]) -> np.ndarray | None:
    """The ``keys`` of every record, record after record, as one flat n·k object array
    (each response's dict visited once, its cells side by side in memory), or None when
    some record lacks a key."""
    n, k = len(records), len(keys)
    get = operator.itemgetter(*keys)
    cells = map(get, records) if k == 1 else itertools.chain.from_iterable(map(get, records))
    try:
        return np.fromiter(cells, dtype=object, count=n * k)
    except KeyError:
        return None
    except TypeError:
        raise DataValidationError(
            "every response must be a mapping of question/scene id to answer",
            zh="每条回答都应是“题目/场景编号 → 答案”的映射",
        ) from None


def _object_columns(records: Sequence[Mapping], keys: Sequence[str]) -> dict[str, np.ndarray]:
    """The ``keys`` of ``records`` as object arrays, one by one; NaN where a record lacks
    a key (as in ``pd.DataFrame(records)``), and no array for a key no record has."""
    return {c: v for c in keys if (v := _object_column(records, c)) is not None}


def _object_column(records: Sequence[Mapping], key: str) -> np.ndarray | None:
    """``key`` of every record (NaN where a record lacks it), or None if none has it."""
    got = [r.get(key, _ABSENT) for r in records]
    if all(v is _ABSENT for v in got):
        return None
    values = np.empty(len(records), dtype=object)
    values[:] = [np.nan if v is _ABSENT else v for v in got]
    return values


def _block_columns(keys: Sequence[str], cells: np.ndarray) -> dict[str, np.ndarray]:
    """The columns of an n × k object block as contiguous object arrays."""
    return {c: np.ascontiguousarray(cells[:, j]) for j, c in enumerate(keys)}


def _text_columns(
    records: Sequence[Mapping], keys: Sequence[str], cells: np.ndarray | None
) -> dict[str, pd.Series]:
    """The ``keys`` of ``records`` (their cells as an n × k block, or None when a record
    lacks a key) as categorical columns of their texts when every cell is text (None or
    NaN where missing): checked by one scan, converted by one Arrow call over the cells in
    record order (read column by column, the scattered string objects take Arrow twice as
    long) and coded by one hash pass (:func:`_coded_text`), so each column is its codes
    into the distinct texts and scoring groups equal answers by those codes, not by the
    strings again.  Otherwise each column on its own (:func:`_text_column`)."""
    if not keys:
        return {}
    if cells is None:
        return {c: _text_column(v) for c, v in _object_columns(records, keys).items()}
    n, k = cells.shape
    flat = cells.ravel()  # record order, contiguous (a copy of the pointers if a slice)
    coded = _coded_text(flat)
    if coded is None:
        return {c: _text_column(v) for c, v in _block_columns(keys, cells).items()}
    codes, texts = coded
    codes = codes.reshape(n, k)
    out = {}
    for j, c in enumerate(keys):
        column = np.ascontiguousarray(codes[:, j])
        if (column == -1).all():  # a column with no text at all is not text to pandas either
            out[c] = _inferred(flat[j::k])
        else:
            text = pd.Categorical.from_codes(column, categories=texts, validate=False)
            out[c] = pd.Series(text, copy=False)
    return out


def _coded_text(values: np.ndarray) -> tuple[np.ndarray, pd.Index] | None:
    """``values`` as codes into their distinct texts (-1 where missing) if pandas would
    read them as text (:func:`_arrow_text`), else None.  Arrow hashes the texts it holds
    as bytes, faster than a hash table of the Python strings."""
    import pyarrow.compute as pc

    texts = _arrow_text(values)
    if texts is None:
        return None
    coded = texts.dictionary_encode()
    codes = pc.fill_null(coded.indices, -1).to_numpy()
    return codes, pd.Index(coded.dictionary.to_pylist(), dtype=object)


def _text_column(values: np.ndarray) -> pd.Series:
    """A choice column: text as pandas' Arrow strings, anything else typed by pandas."""
    texts = _arrow_text(values)
    return _inferred(values) if texts is None else texts.to_pandas()


def _arrow_text(values: np.ndarray) -> Any:
    """``values`` as an Arrow string array if pandas would read them as text (str cells,
    None/NaN/NA missing), else None."""
    import pyarrow as pa

    if infer_dtype(values, skipna=True) != "string":  # one C-level scan; bytes are not text
        return None
    try:
        return pa.array(values, type=pa.string(), from_pandas=True)
    except pa.ArrowException:  # a missing cell Arrow does not take, e.g. a float32 NaN
        return None


#: pandas' inferred kinds of an object column that holds plain numbers only (no bools).
_PLAIN_NUMBERS = ("floating", "integer", "mixed-integer-float")


def _number_columns(
    records: Sequence[Mapping], keys: Sequence[str], cells: np.ndarray | None
) -> dict[str, pd.Series]:
    """The ``keys`` of ``records`` (their cells as an n × k block, or None when a record
    lacks a key) as number columns.  When the cells are all floats (None or NaN where
    missing) or all ints (none missing), one scan and one ``astype`` in record order type
    them all, as pandas types each such column; otherwise each column on its own
    (:func:`_number_column`)."""
    if not keys:
        return {}
    if cells is None:
        return {c: _number_column(v) for c, v in _object_columns(records, keys).items()}
    k = len(keys)
    flat = cells.ravel()  # record order, contiguous (a copy of the pointers if a slice)
    block = _plain_block(flat)
    if block is None:
        return {c: _number_column(v) for c, v in _block_columns(keys, cells).items()}
    out = {}
    for j, c in enumerate(keys):
        x = np.ascontiguousarray(block[j::k])
        # A column with no number at all is not a number column to pandas either (its
        # first cell settles most columns without a scan; ints are never NaN).
        empty = np.isnan(x[0]) and np.isnan(x).all()
        out[c] = _inferred(flat[j::k]) if empty else pd.Series(x, copy=False)
    return out


def _plain_block(values: np.ndarray) -> np.ndarray | None:
    """``values`` as float64 if all are floats or missing, as int64 if all are ints (none
    missing), else None."""
    kind = infer_dtype(values, skipna=True)  # one C-level scan; True is never a number
    try:
        if kind == "integer":
            return values.astype(np.int64)  # refuses None, NaN and ints beyond int64
        if kind == "floating":
            return values.astype(np.float64)
    except (OverflowError, TypeError, ValueError):  # also pd.NA among floats
        pass
    return None


def _number_column(values: np.ndarray) -> pd.Series:
    """A number or level column: plain ints (none missing) as int64, plain ints and floats
    as float64, as pandas types them; any other column (a ``True`` or ``"35%"`` among
    the numbers) typed by pandas' own inference (:func:`_inferred`)."""
    kind = infer_dtype(values, skipna=True)  # one C-level scan; True is never a number
    if kind not in _PLAIN_NUMBERS:
        return _inferred(values)
    if kind == "integer":  # levels stay ints unless one is missing (or beyond int64)
        try:
            return pd.Series(values.astype(np.int64), copy=False)
        except (OverflowError, TypeError, ValueError):
            pass
    try:
        x = values.astype(np.float64)
    except (OverflowError, TypeError, ValueError):  # e.g. an int beyond int64, pd.NA
        return _inferred(values)
    if kind == "floating" or not (np.abs(x) >= 2.0**63).any():
        return pd.Series(x, copy=False)
    return _inferred(values)  # pandas keeps an int beyond 64 bits as given


def _inferred(values: np.ndarray) -> pd.Series:
    """An object column typed by pandas' inference for a list, the one
    ``pd.DataFrame(records)`` applies to each column (numbers with None or NaN as
    floats, text as strings, a ``True`` or a list of options kept as given)."""
    return pd.Series(values.tolist())


def _near_columns(missing: Sequence[str], others: Sequence[str]) -> tuple[str, str]:
    """``"; columns that look misspelt: …"`` naming given columns close to missing ones."""
    pairs = []
    for want in missing:
        near = close_matches(want, [c for c in others if c not in {p for _, p in pairs}], n=1)
        if near:
            pairs.append((want, near[0]))
    if not pairs:
        return "", ""
    en = ", ".join(f"{got!r} ({want}?)" for want, got in pairs)
    zh = "、".join(f"“{got}”（应为 {want}？）" for want, got in pairs)
    return f"; columns that look misspelt: {en}", f"；疑似列名有误：{zh}"


class _RowErrors:
    """The problems found in a batch table: which rows, which column, what value and why."""

    def __init__(self, table: pd.DataFrame) -> None:
        self.table = table
        self.positions = np.arange(len(table))
        self.bad = np.zeros(len(table), dtype=bool)
        self.pos: list[np.ndarray] = []
        self.col: list[str] = []
        self.msg: list[np.ndarray] = []
        self.msg_en: list[np.ndarray] = []
        self.val: list[np.ndarray] = []

    def record(
        self,
        mask: np.ndarray,
        column: str,
        messages: np.ndarray | str,
        messages_en: np.ndarray | str,
    ) -> None:
        """Mark the rows in ``mask`` bad in ``column``: one message (Chinese, English) for
        all, or one per marked row (in row order)."""
        idx = self.positions[mask]
        if idx.size:
            self.bad[idx] = True
            self.pos.append(idx)
            self.col.append(column)
            self.val.append(self.table[column].to_numpy(dtype=object)[idx])
            self.msg.append(self._per_row(messages, idx.size))
            self.msg_en.append(self._per_row(messages_en, idx.size))

    @staticmethod
    def _per_row(messages: np.ndarray | str, size: int) -> np.ndarray:
        if isinstance(messages, str):
            return np.full(size, messages, dtype=object)
        return messages

    def frame(self) -> pd.DataFrame:
        """One row per problem, by row position (problems of a row in the order found)."""
        if not self.pos:
            return pd.DataFrame(
                {
                    "row": [],
                    "position": np.array([], dtype=np.int64),
                    "column": [],
                    "value": [],
                    "message": [],
                    "message_en": [],
                }
            )
        pos = np.concatenate(self.pos)
        cols = np.concatenate(
            [np.full(p.size, c, dtype=object) for p, c in zip(self.pos, self.col, strict=True)]
        )
        order = np.argsort(pos, kind="stable")
        pos, cols = pos[order], cols[order]
        return pd.DataFrame(
            {
                "row": self.table.index[pos],
                "position": pos,
                "column": cols,
                "value": np.concatenate(self.val)[order],
                "message": np.concatenate(self.msg)[order],
                "message_en": np.concatenate(self.msg_en)[order],
            }
        )


def _distinct_answers(
    framework: Framework, key: str, col: pd.Series
) -> tuple[np.ndarray, list[Any], np.ndarray, np.ndarray]:
    """Each distinct cell of ``col`` checked once by the answer module.

    Returns the code of every cell (-1 where missing), and per code its stored answer
    (None where refused) and the reason it was refused, in Chinese and in English (""
    where accepted); the last slot serves code -1.
    """
    keys = _group_keys(col)
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    if keys is col:
        cells = list(uniques)
    else:  # a cell of each code (any one: they are equal)
        seen = np.flatnonzero(codes >= 0)
        holder = np.empty(len(uniques), dtype=np.int64)
        holder[codes[seen]] = seen
        cells = list(col.to_numpy(dtype=object)[holder])
    stored: list[Any] = []
    why = np.full(len(uniques) + 1, "", dtype=object)
    why_en = why.copy()
    for k, cell in enumerate(cells):
        try:
            stored.append(normalize_answer(framework, key, _plain(cell)))
        except DataValidationError as exc:
            stored.append(None)
            why[k], why_en[k] = exc.reason_zh, exc.reason
    stored.append(None)
    return codes, stored, why, why_en


def _choice_points(
    framework: Framework, q: Question, col: pd.Series, errors: _RowErrors
) -> np.ndarray:
    """Points per row of a choice question, each distinct answer scored once; bad ones noted."""
    codes, stored, why, why_en = _distinct_answers(framework, q.id, col)
    errors.record(codes == -1, q.id, f"{_label_cn(q)}缺少答案", _missing_en(q))
    _record_refused(errors, q.id, np.ones(len(codes), dtype=bool), codes, why, why_en)
    points = np.array([0.0 if a is None else _answer_points(q, a) for a in stored])
    return points[codes]


def _numbers(
    framework: Framework,
    key: str,
    col: pd.Series,
    inside: Callable[[np.ndarray], np.ndarray],
    errors: _RowErrors,
    missing: tuple[str, str],
) -> np.ndarray:
    """A number column as floats (NaN where missing or refused); problems noted.

    Plain numbers that ``inside`` accepts are taken as they are; every other cell (text
    such as ``"35%"``, a number out of range, true/false) is read by the answer module.
    """
    plain = is_numeric_dtype(col.dtype) and not is_bool_dtype(col.dtype)
    x = (
        col.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
        if plain
        else np.full(len(col), np.nan)
    )
    isna = col.isna().to_numpy()
    errors.record(isna, key, *missing)
    rest = ~inside(x) & ~isna
    if rest.any():
        codes, stored, why, why_en = _distinct_answers(framework, key, col[rest])
        x[rest] = np.array([np.nan if a is None else float(a) for a in stored])[codes]
        _record_refused(errors, key, rest, codes, why, why_en)
    return x


def _record_refused(
    errors: _RowErrors,
    key: str,
    rows: np.ndarray,
    codes: np.ndarray,
    why: np.ndarray,
    why_en: np.ndarray,
) -> None:
    """Note the refused cells among ``rows`` (a mask; ``codes`` are their answers' codes
    from :func:`_distinct_answers`): which codes are refused is decided once per distinct
    answer, and only the refused rows' reasons are gathered, so a clean column costs a
    take of booleans, not a string per row."""
    refused = np.array([w != "" for w in why], dtype=bool)[codes]
    if refused.any():
        bad = np.zeros(len(rows), dtype=bool)
        bad[rows] = refused
        errors.record(bad, key, why[codes[refused]], why_en[codes[refused]])


def _number_points(
    framework: Framework, q: Question, col: pd.Series, errors: _RowErrors
) -> np.ndarray:
    """Points per row of a number question: the band each number falls in; problems noted."""
    lo, hi = q.min_value, q.max_value
    assert lo is not None and hi is not None
    missing = (f"{_label_cn(q)}缺少答案", _missing_en(q))
    x = _numbers(framework, q.id, col, lambda x: (x >= lo) & (x <= hi), errors, missing)
    pts = np.zeros(len(x))
    for b in q.bands:
        above = x >= b.lower if b.lower_closed else x > b.lower
        below = x <= b.upper if b.upper_closed else x < b.upper
        pts = np.where(above & below, b.points, pts)
    return pts


def _scene_levels(framework: Framework, s: Scene, col: pd.Series, errors: _RowErrors) -> np.ndarray:
    """Level 1–4 per row of a scene (0 where missing or refused, which is noted)."""
    x = _numbers(
        framework,
        s.id,
        col,
        lambda x: (x >= 1) & (x <= 4) & (x == np.floor(x)),
        errors,
        (f"场景“{s.name}”缺少等级（1–4）", f"missing level (1–4) of scene {s.id!r} ({s.name})"),
    )
    return np.where(np.isnan(x), 0, x).astype(np.int64)


def _levels(rule: LevelRule, total: np.ndarray, S: np.ndarray, binding: np.ndarray) -> np.ndarray:
    """The level rule over all rows at once: the highest level whose conditions hold, or 0."""
    level = np.zeros(len(total), dtype=np.int64)
    for row in rule.rows:
        if rule.score_bound == "min_inclusive":
            met = total >= row.min_score - 1e-9
        else:
            met = total > row.min_score + 1e-9
        if row.scene_level is not None and row.min_scenes is not None:
            at = row.scene_level <= S
            met &= at.sum(axis=1) >= row.min_scenes
            if row.min_binding is not None:
                met &= at[:, binding].sum(axis=1) >= row.min_binding
        level = np.where(met, np.maximum(level, row.level), level)
    return level


def _scores_frame(
    framework: Framework,
    index: pd.Index,
    block: np.ndarray,
    total: np.ndarray,
    level: np.ndarray,
    *,
    valid: np.ndarray,
) -> pd.DataFrame:
    """One row per response: valid flag, total, level, dimension and question points.

    ``block`` is the column-major float block whose last columns hold the questions'
    points; the total and the dimensions are filled in before it, and it becomes the
    frame's single float block as it is (no per-column arrays stacked into a copy, no
    second block of the points).
    """
    rule = framework.level_rule
    names = np.array([_level_name(rule, k) for k in range(rule.top_level + 1)], dtype=object)
    dim_of = framework.dimension_of
    qids = framework.question_ids
    dims = framework.scored_dimensions
    P = block[:, 1 + len(dims) :]
    block[:, 0] = total
    for i, d in enumerate(dims):
        cols = [k for k, qid in enumerate(qids) if dim_of[qid] == d.name]
        block[:, 1 + i] = np.round(P[:, cols].sum(axis=1), _ROUND)
    block[~valid] = np.nan
    frame = pd.DataFrame(
        block, index=index, columns=["total", *(d.name for d in dims), *qids], copy=False
    )
    levels = pd.array(level, dtype="Int64")
    levels[~valid] = pd.NA
    frame.insert(0, "valid", valid)
    frame.insert(2, "level", levels)
    frame.insert(3, "level_name", np.where(valid, names[level], None))
    return frame
