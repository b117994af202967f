"""Validation errors of the matching models, in English and Chinese.

A model check raises :class:`Invalid` (a :class:`ValueError` that carries its Chinese
text); :func:`model_error` turns pydantic's :class:`~pydantic.ValidationError` into one
:class:`~nqpf.exceptions.DataValidationError` naming the field (``scenes[0].to_level``),
with the Chinese reason as ``reason_zh``, so the CLI and the web say the same rule in
their own language.
"""

from __future__ import annotations

import re
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from nqpf._datafile import format_loc
from nqpf._suggest import close_matches, did_you_mean
from nqpf.exceptions import DataValidationError

__all__ = ["Invalid", "model_error"]


class Invalid(ValueError):
    """A model rule broken: the English reason, and ``zh`` the same in Chinese.

    ``loc`` optionally points below the field that raised it (e.g. ``("prerequisites", 1)``).
    """

    def __init__(self, message: str, zh: str, loc: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.zh = zh
        self.loc = loc


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The model class inside a field's type (``list[SceneLift]``, ``Kpi | None`` …)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _fields_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """The field names of the (sub-)model holding the field at ``loc``."""
    for part in loc[:-1]:
        if model is None:
            return []
        if isinstance(part, str):
            field = model.model_fields.get(part)
            model = None if field is None else _model_in(field.annotation)
    return [] if model is None else list(model.model_fields)


def _suggestion(err: Any, model: type[BaseModel] | None) -> tuple[str, str]:
    """Did-you-mean for an unknown field (its model's fields) or a value outside a list of
    choices (the choices pydantic names); ``("", "")`` otherwise."""
    if err["type"] == "extra_forbidden" and err["loc"]:
        return did_you_mean(err["loc"][-1], _fields_at(model, tuple(err["loc"])))
    if err["type"] == "literal_error" and isinstance(err.get("input"), str):
        choices = re.findall(r"'([^']*)'", str((err.get("ctx") or {}).get("expected", "")))
        return did_you_mean(err["input"], choices)
    return "", ""


def _reasons(err: Any, model: type[BaseModel] | None = None) -> tuple[str, str]:
    en, zh = _plain_reasons(err)
    hint, hint_zh = _suggestion(err, model)
    return (f"{en}; {hint}", f"{zh}；{hint_zh}") if hint else (en, zh)


def _plain_reasons(err: Any) -> tuple[str, str]:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    got = _show(err.get("input"))
    cause = ctx.get("error")
    if isinstance(cause, Invalid):
        return str(cause), cause.zh
    table = {
        "missing": ("required", "不能为空"),
        "string_too_short": ("expected non-empty text", "不能为空"),
        "extra_forbidden": ("unknown field", "未知字段"),
        "too_short": (
            f"expected at least {ctx.get('min_length', 1)} item(s)",
            f"至少需要 {ctx.get('min_length', 1)} 项",
        ),
        "literal_error": (
            f"expected one of {ctx.get('expected')}, got {got}",
            f"应为 {ctx.get('expected')} 之一，实际为 {got}",
        ),
        "greater_than_equal": (
            f"must be ≥ {ctx.get('ge')}, got {got}",
            f"应 ≥ {ctx.get('ge')}，实际为 {got}",
        ),
        "greater_than": (
            f"must be > {ctx.get('gt')}, got {got}",
            f"应 > {ctx.get('gt')}，实际为 {got}",
        ),
        "less_than_equal": (
            f"must be ≤ {ctx.get('le')}, got {got}",
            f"应 ≤ {ctx.get('le')}，实际为 {got}",
        ),
        "bool_parsing": (
            f"expected true or false, got {got}",
            f"应为 是/否（true/false），实际为 {got}",
        ),
        "bool_type": (
            f"expected true or false, got {got}",
            f"应为 是/否（true/false），实际为 {got}",
        ),
        "date_from_datetime_parsing": (
            f"expected a date such as 2025-12-31, got {got}",
            f"应为日期（如 2025-12-31），实际为 {got}",
        ),
        "list_type": (f"expected a list, got {got}", f"应为列表，实际为 {got}"),
        "tuple_type": (f"expected a list, got {got}", f"应为列表，实际为 {got}"),
        "model_type": (f"expected a mapping, got {got}", f"应为键值映射，实际为 {got}"),
        "dict_type": (f"expected a mapping, got {got}", f"应为键值映射，实际为 {got}"),
    }
    if kind in table:
        return table[kind]
    if kind.startswith(("float_", "int_", "finite_number")):
        return f"expected a number, got {got}", f"应为数字，实际为 {got}"
    if kind.startswith(("date_", "datetime_")):
        return (
            f"expected a date such as 2025-12-31, got {got}",
            f"应为日期（如 2025-12-31），实际为 {got}",
        )
    if kind.startswith("string_"):
        return f"expected text, got {got}", f"应为文本，实际为 {got}"
    return f"{err['msg']}, got {got}", f"输入无效（{err['msg']}），实际为 {got}"


def _path(err: Any) -> tuple[str | int, ...]:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, Invalid):
        loc = (*loc, *cause.loc)
    return loc


def _typo_echoes(errors: list[Any], model: type[BaseModel] | None) -> set[tuple[Any, ...]]:
    """Locations of "required" errors caused by a misspelt key beside them (``to_levl``
    given, so ``to_level`` is missing): the unknown key's message says it better."""
    echoes = set()
    for e in errors:
        loc = tuple(e["loc"])
        if e["type"] == "extra_forbidden" and loc:
            for name in close_matches(loc[-1], _fields_at(model, loc), n=1):
                echoes.add((*loc[:-1], name))
    return echoes


def model_error(exc: ValidationError, model: type[BaseModel] | None = None) -> DataValidationError:
    """The first problem of ``exc`` as a :class:`DataValidationError` naming its field.

    ``field`` is the key path (``scenes[0].to_level``); further problems are counted in
    the English message.  ``problems`` keeps every ``(field, reason, reason_zh)``.  With
    the ``model`` validated, an unknown key suggests the field meant (and the "required"
    error of that field is left out as its echo); a value outside a list of choices
    suggests the choice meant.
    """
    errors = exc.errors()
    echoes = _typo_echoes(errors, model)
    errors = [e for e in errors if not (e["type"] == "missing" and tuple(e["loc"]) in echoes)]
    # pydantic counts only the valid items of a list against its minimum length, so one bad
    # item also yields "at least 1 item" on the list: an echo that would hide the real fault
    deeper = [tuple(e["loc"]) for e in errors]
    errors = [
        e
        for e in errors
        if not (
            e["type"] == "too_short"
            and any(
                len(o) > len(e["loc"]) and o[: len(e["loc"])] == tuple(e["loc"]) for o in deeper
            )
        )
    ]
    problems = []
    for err in errors:
        en, zh = _reasons(err, model)
        problems.append((format_loc(_path(err)), en, zh))
    field, en, zh = problems[0]
    if len(problems) > 1:
        en += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
    error = DataValidationError(en, field=field or None, zh=zh)
    error.problems = problems  # type: ignore[attr-defined]
    return error
