"""Answers to a framework's questions, scenes and form fields, checked one at a time.

A questionnaire is filled piecemeal (autosaved drafts, an uploaded template), so each
answer is checked and put in its stored shape when it arrives, long before the whole
response is scored with :func:`nqpf.assessment.score`:

* a single-choice question takes one option id (``"B"``);
* a multi-choice question takes option ids (a list, or ``"A|C"``), each once, in the
  framework's option order; an exclusive option (``无``) stands alone;
* a number question takes a number (``35``, ``"35%"``) inside its range;
* a scene takes a level 1–4;
* a form field (a raw count or amount collected beside a question) takes a number ≥ 0.

Every problem is a :class:`~nqpf.exceptions.DataValidationError` whose ``field`` is the
answer's key, with the reason in English and in Chinese (``reason_zh``, which names the
question as the questionnaire shows it: ``第3题“…”应为数值，收到 'x'``).

Examples
--------
>>> from nqpf.assessment import load_framework
>>> fw = load_framework("sme-digital-2024")
>>> normalize_answers(fw, {"equipment_digital_rate": "35%", "scene_quality": "2"})
{'equipment_digital_rate': 35.0, 'scene_quality': 2}
>>> try:
...     normalize_answer(fw, "scene_quality", 7)
... except DataValidationError as exc:
...     print(exc.field, exc.reason_zh)
scene_quality 场景“质量管理”的等级应为 1–4 的整数，收到 7
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from nqpf._suggest import close_matches
from nqpf.assessment.schema import FormField, Framework, Question, fmt_num
from nqpf.exceptions import DataValidationError

__all__ = ["MAX_FORM_NUMBER", "normalize_answer", "normalize_answers"]

#: Largest value of a form field (a raw count or amount): anything larger is a typo.
MAX_FORM_NUMBER = 1e12
_MAX_NUMBER_TEXT = 40  # characters; a longer "number" is not one a person typed


def normalize_answer(framework: Framework, key: str, value: Any) -> Any:
    """The stored form of ``value`` answering question, scene or form field ``key``.

    Parameters
    ----------
    framework
        The framework the answer belongs to.
    key
        A question id, a scene id or a form-field id of ``framework``.
    value
        The answer as given: an option id, option ids (list or ``|``-joined text), a
        number (or its text, ``%`` allowed) or a scene level.

    Returns
    -------
    str, list of str, float or int
        The option id; the option ids in the framework's order; the number; the level.

    Raises
    ------
    DataValidationError
        ``field`` = ``key``: an unknown key or option, a repeated option, an exclusive
        option with others, a number that is not one or is out of range, a scene level
        outside 1–4, a negative or huge form-field value.
    """
    for q in framework.questions:
        if q.id == key:
            return _CHECKS[q.kind](q, value)
    if key in framework.scene_ids:
        return _scene_level(framework, key, value)
    for q in framework.questions:
        for f in q.form_fields:
            if f.id == key:
                return _form_number(f, value)
    en, zh = _near_keys(framework, key)
    raise DataValidationError(
        f"framework {framework.key} has no question or scene {_show(key)}{en}",
        field=key,
        zh=f"评测框架 {framework.key} 中没有题目或场景 {_show(key)}{zh}",
    )


def _near_keys(framework: Framework, key: Any) -> tuple[str, str]:
    """``"; did you mean …"`` (and its Chinese) naming the keys closest to ``key``.

    Question, scene and form-field ids are compared, and so are the titles and names the
    questionnaire shows (``网络建设`` given as a key suggests the id of that question).
    """
    labels: dict[str, str] = {}
    for q in framework.questions:
        labels[q.id] = f"第{q.number}题“{q.title}”" if q.number else f"“{q.title}”"
        for f in q.form_fields:
            labels[f.id] = f"“{f.label}”"
    for s in framework.scenes:
        labels[s.id] = f"场景“{s.name}”"
    spellings = {k: k for k in labels}
    for q in framework.questions:
        spellings.setdefault(q.title, q.id)
    for s in framework.scenes:
        spellings.setdefault(s.name, s.id)
    names = close_matches(key, spellings)
    if not names:
        return "", ""
    return (
        "; did you mean " + " or ".join(map(repr, names)) + "?",
        "；是否指" + "或".join(f" {k}（{labels[k]}）" for k in names) + "？",
    )


def normalize_answers(framework: Framework, answers: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`normalize_answer` of every answer; ``None`` (an answer cleared) stays ``None``.

    Raises the first problem found, in the order of ``answers``.
    """
    return {
        str(k): None if v is None else normalize_answer(framework, str(k), v)
        for k, v in answers.items()
    }


# -------------------------------------------------------------------------- questions
def _single(q: Question, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(
            q,
            f"expects one option id, got {_show(value)}",
            f"应选择一个选项，收到 {_show(value)}",
        )
    oid = value.strip()
    ids = [o.id for o in q.options]
    if oid not in ids:
        raise _unknown_option(q, oid, ids)
    return oid


def _multi(q: Question, value: Any) -> list[str]:
    if isinstance(value, str):
        value = [p for p in value.split("|") if p.strip()] if value.strip() else []
    if not isinstance(value, list | tuple):
        raise _bad(
            q,
            f"expects a list of option ids, got {_show(value)}",
            f"应为选项列表，收到 {_show(value)}",
        )
    ids = [o.id for o in q.options]
    chosen: list[str] = []
    for v in value:
        if not isinstance(v, str) or v.strip() not in ids:
            raise _unknown_option(q, v, ids)
        oid = v.strip()
        if oid in chosen:
            raise _bad(q, f"option {oid} is given twice", f"的选项 {oid} 重复")
        chosen.append(oid)
    exclusive = [o for o in q.options if o.exclusive and o.id in chosen]
    if exclusive and len(chosen) > 1:
        o = exclusive[0]
        raise _bad(
            q,
            f"option {o.id} ({o.label}) cannot be chosen with other options",
            f"的选项{o.id}（{o.label}）不能与其他选项同时选择",
        )
    return sorted(chosen, key=ids.index)


def _number_answer(q: Question, value: Any) -> float:
    x = _number(value)
    if x is None:
        raise _bad(q, f"expects a number, got {_show(value)}", f"应为数值，收到 {_show(value)}")
    lo, hi = q.min_value, q.max_value
    assert lo is not None and hi is not None  # the schema requires them of a number question
    if not lo <= x <= hi:
        span = f"[{fmt_num(lo)}{q.unit}, {fmt_num(hi)}{q.unit}]"
        raise _bad(
            q,
            f"{fmt_num(x)}{q.unit} is outside {span}",
            f"的数值 {fmt_num(x)}{q.unit} 超出范围 {span}",
        )
    return x


_CHECKS = {"single": _single, "multi": _multi, "number": _number_answer}


def _bad(q: Question, reason: str, zh: str) -> DataValidationError:
    """``reason`` about question ``q``; ``zh`` follows the question's Chinese label."""
    label = f"第{q.number}题“{q.title}”" if q.number else f"“{q.title}”"
    return DataValidationError(f"question {q.id!r}: {reason}", field=q.id, zh=f"{label}{zh}")


def _unknown_option(q: Question, value: Any, ids: list[str]) -> DataValidationError:
    """No option ``value``; the options closest to it (by id or by label) are suggested."""
    shown = _show(value)
    spellings = {o.id: o.id for o in q.options}
    for o in q.options:
        spellings.setdefault(o.label, o.id)
    near = [q.option(oid) for oid in close_matches(value, spellings)] if value is not None else []
    en = zh = ""
    if near:
        en = " (did you mean " + " or ".join(f"{o.id!r}: {o.label}" for o in near) + "?)"
        zh = "（是否指" + "或".join(f"{o.id}“{o.label}”" for o in near) + "？）"
    return _bad(
        q,
        f"has no option {shown}{en}; options: {', '.join(ids)}",
        f"没有选项 {shown}{zh}；可选 {'、'.join(ids)}",
    )


# --------------------------------------------------------------- scenes, form fields
def _scene_level(framework: Framework, key: str, value: Any) -> int:
    x = _number(value)
    if x is None or x != int(x) or not 1 <= x <= 4:
        name = framework.scene(key).name
        raise DataValidationError(
            f"scene {key!r} ({name}) expects a whole level 1–4, got {_show(value)}",
            field=key,
            zh=f"场景“{name}”的等级应为 1–4 的整数，收到 {_show(value)}",
        )
    return int(x)


def _form_number(f: FormField, value: Any) -> float:
    x = _number(value)
    if x is None or not 0 <= x <= MAX_FORM_NUMBER:
        raise DataValidationError(
            f"form field {f.id!r} ({f.label}) expects a number ≥ 0 ({f.unit}), got {_show(value)}",
            field=f.id,
            zh=f"“{f.label}”应为不小于 0 的数值（{f.unit}），收到 {_show(value)}",
        )
    return x


# ------------------------------------------------------------------------- helpers
def _number(value: Any) -> float | None:
    """A finite number from a number or its text (``"35%"`` → 35.0); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip().rstrip("%").strip()
        if not text or len(text) > _MAX_NUMBER_TEXT:
            return None
        try:
            x = float(text)
        except ValueError:
            return None
    elif isinstance(value, int | float):
        try:
            x = float(value)
        except OverflowError:  # an int too large for a float
            return None
    else:
        return None
    return x if math.isfinite(x) else None


def _show(value: Any) -> str:
    """``repr`` of a user's value, cut short so a message stays one readable line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"
