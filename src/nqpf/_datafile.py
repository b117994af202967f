"""Shared home of nqpf's data files: the YAML loader and the schema field types.

Every YAML file nqpf reads (indicator systems, assessment frameworks, rule files, factor
tables, CLI configs) is parsed here and validated by a pydantic model built from the field
types below, so that each file kind reports errors the same way and shares one meaning of
``confidence``, ``version`` and "text".

YAML → model
    :func:`parse_yaml_model` parses the text once into PyYAML's node tree (kept for line
    numbers) and into plain data for the model.  A malformed file raises one error (a
    :class:`~nqpf.exceptions.ConfigError` by default) whose message names the file, the
    1-based line and the key path, e.g. ``mine.yaml, line 12, field
    'dimensions[0].indicators[1].direction': expected '+' or '-', got 'up'``; duplicate keys,
    misspelt keys (with "did you mean") and YAML syntax errors (with their line) are reported
    the same way.  A model-level check raises :class:`LocatedValueError` to point at a key
    below the model.
Field types and bases
    :data:`Confidence`, :data:`Text`, :data:`Note`, :data:`Version`, :data:`Number`,
    :data:`Identifier`, :data:`FileId`; :class:`FrozenModel` (text stripped) and
    :class:`StrictModel` (text kept as written), both frozen and refusing unknown keys.
Checks and views
    :func:`refuse_duplicates`, :func:`numbers_agree` and :func:`fmt_num` for model-level
    checks and their messages; :func:`find_entry` and :func:`leaves` to look up entries
    and walk a dimension → sub-dimension → indicator tree.

The module is private (its users are nqpf's schema modules); its names are public to them.

Examples
--------
>>> class Item(FrozenModel):
...     id: Identifier
...     weight: Number
...     confidence: Confidence
>>> try:
...     parse_yaml_model("id: b\\nweigth: 2\\nconfidence: official\\n", Item, filename="item.yaml")
... except ConfigError as err:
...     print(err)
item.yaml, line 2, field 'weigth': unknown key 'weigth'; did you mean 'weight'?
"""

from __future__ import annotations

import difflib
import math
import typing
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from nqpf.exceptions import ConfigError

__all__ = [
    "Confidence",
    "FileId",
    "FrozenModel",
    "Identifier",
    "LocatedValueError",
    "Note",
    "Number",
    "PatternHint",
    "StrictModel",
    "Text",
    "Version",
    "compose_yaml",
    "find_entry",
    "fmt_num",
    "format_loc",
    "key_line",
    "leaves",
    "locate",
    "located_error",
    "numbers_agree",
    "parse_yaml_model",
    "refuse_duplicates",
    "require_number",
    "validation_error",
]

# -- schema field types and bases ----------------------------------------------------------

#: How far a data file's content was checked: ``official`` (read in the primary source),
#: ``secondary`` (third-party or abstract level) or ``unverified`` (recalled; check it).
Confidence = Literal["official", "secondary", "unverified"]

#: Non-empty text with surrounding blanks removed.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

#: Free text that may be left blank; ``unit:`` with nothing after it reads as null in YAML.
Note = Annotated[str, BeforeValidator(lambda v: "" if v is None else v)]

#: An ASCII identifier (letters, digits, ``_``; not starting with a digit), usable as a
#: column name in CSV files, pandas, Polars and SQL and as a key in a response mapping.
Identifier = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
]

#: The id of a data file (``nqpf-three-factor``, ``sme-digital``): ASCII letters, digits,
#: ``.``, ``_`` and ``-``, starting with a letter or digit.
FileId = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
]


def _require_str(value: Any) -> Any:
    # YAML reads `version: 2024.10` as the float 2024.1, silently losing the trailing zero;
    # refusing numbers (with a hint to quote) keeps version strings exact.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f'expected a quoted string such as "{value}", got the number {value!r}')
    return value


def require_number(value: Any) -> float:
    """``value`` as a float if it is a finite number; ``ValueError`` otherwise.

    Booleans are refused: YAML reads ``yes`` as ``True`` and pydantic would take it as 1.0.

    Examples
    --------
    >>> require_number(3)
    3.0
    >>> require_number(True)
    Traceback (most recent call last):
    ...
    ValueError: expected a number, got True
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"expected a finite number, got {value!r}")
    return float(value)


#: A version string; a bare number is refused with a hint to quote it.
Version = Annotated[Text, BeforeValidator(_require_str)]

#: A finite number (an ``int`` is read as ``float``; booleans are refused).
Number = Annotated[float, BeforeValidator(require_number)]


class FrozenModel(BaseModel):
    """Base of data-file models: frozen, unknown keys refused, text stripped of blanks."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class StrictModel(BaseModel):
    """Base of data-file models whose text is kept as written: frozen, unknown keys refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class LocatedValueError(ValueError):
    """A validation error that knows where in the document it belongs.

    Model-level checks (duplicate ids, for example) run on the whole object, so pydantic
    would report them at the root.  Raising this instead lets the YAML loader point at
    the offending key and its line.

    Parameters
    ----------
    message
        What is wrong and what was expected.
    loc
        Key path below the model that raised it, e.g.
        ``("dimensions", 1, "sub_dimensions", 0, "indicators", 2, "id")``.
    related
        Optional second location, such as the first occurrence of a duplicate.
    """

    def __init__(
        self,
        message: str,
        loc: tuple[str | int, ...],
        related: tuple[str | int, ...] | None = None,
    ) -> None:
        super().__init__(message)
        self.loc = loc
        self.related = related


def refuse_duplicates(
    values: Iterable[Hashable], what: str, loc: Callable[[int], tuple[str | int, ...]]
) -> None:
    """Raise :class:`LocatedValueError` at a value's second occurrence, pointing at the first.

    Parameters
    ----------
    values
        The values that must be unique, in document order.
    what
        What they are, for the message ``duplicate {what} {value!r}``.
    loc
        Key path of the ``i``-th value, below the model that checks.

    Examples
    --------
    >>> try:
    ...     refuse_duplicates(["a", "b", "a"], "item id", lambda i: ("items", i, "id"))
    ... except LocatedValueError as err:
    ...     print(err, err.loc, err.related)
    duplicate item id 'a' ('items', 2, 'id') ('items', 0, 'id')
    """
    first: dict[Hashable, int] = {}
    for i, value in enumerate(values):
        if value in first:
            raise LocatedValueError(f"duplicate {what} {value!r}", loc(i), loc(first[value]))
        first[value] = i


T = TypeVar("T")


def find_entry(entries: Sequence[T], key: object, *, by: str = "id") -> T:
    """The first of ``entries`` whose attribute ``by`` equals ``key``; ``KeyError(key)`` if none.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> find_entry([NS(id="a", n=1), NS(id="b", n=2)], "b").n
    2
    """
    for entry in entries:
        if getattr(entry, by) == key:
            return entry
    raise KeyError(key)


def leaves(dimensions: Iterable[Any]) -> Iterator[tuple[Any, Any, Any]]:
    """``(dimension, sub-dimension, indicator)`` of every leaf of a dimension tree, in order.

    A tree is dimensions holding ``sub_dimensions`` holding ``indicators``, as in indicator
    systems and assessment frameworks.
    """
    for dim in dimensions:
        for sub in dim.sub_dimensions:
            for ind in sub.indicators:
                yield dim, sub, ind


_TOL = 1e-9


def numbers_agree(a: float, b: float) -> bool:
    """Whether two numbers of a data file agree (a sum and its stated total, say), to 1e-9.

    Examples
    --------
    >>> numbers_agree(0.1 + 0.2, 0.3), numbers_agree(1.0, 1.001)
    (True, False)
    """
    return math.isclose(a, b, rel_tol=_TOL, abs_tol=_TOL)


def fmt_num(x: float) -> str:
    """Render a point value or a bound without a trailing ``.0``: ``1.875``, ``10``.

    Examples
    --------
    >>> fmt_num(1.875), fmt_num(10.0)
    ('1.875', '10')
    """
    return f"{x:.6f}".rstrip("0").rstrip(".") if x != int(x) else str(int(x))


# -- YAML → validated model ----------------------------------------------------------------

M = TypeVar("M", bound=BaseModel)
E = TypeVar("E", bound=ConfigError)
Loc = tuple[str | int, ...]

#: ``pattern_hint(model, key, pattern)`` → what a value that fails a ``pattern``
#: constraint should look like (e.g. ``"an ASCII id such as 'my-system'"``), or ``None``
#: for the default ``"text matching '<pattern>'"``.  ``model`` is the pydantic model that
#: holds ``key``, when it can be worked out.
PatternHint = Callable[[type[BaseModel] | None, str | int | None, str | None], str | None]


def format_loc(loc: Loc) -> str:
    """Render a key path as ``dimensions[1].indicators[0].direction``.

    Examples
    --------
    >>> format_loc(("dimensions", 1, "indicators", 0, "direction"))
    'dimensions[1].indicators[0].direction'
    """
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def located_error(
    reason: str,
    filename: str,
    line: int | None,
    field: str | None = None,
    *,
    error: type[E] = ConfigError,  # type: ignore[assignment]
) -> E:
    """An ``error`` whose message reads ``file, line N, field 'x': reason``.

    The attributes keep their plain meanings: ``file`` is the file name, ``line`` the
    1-based line (or ``None``) and ``field`` the key path (or ``None``).
    """
    # DataValidationError has no `line` argument, so the line goes into the location
    # prefix it builds and the attributes are then restored for programmatic use.
    where = filename if line is None else f"{filename}, line {line}"
    err = error(reason, file=where, field=field or None)
    err.file = filename
    err.line = line  # type: ignore[attr-defined]
    return err


# -- YAML → nodes + data -------------------------------------------------------------------


def compose_yaml(
    text: str,
    filename: str,
    *,
    error: type[ConfigError] = ConfigError,
    what: str | None = None,
    top_keys: typing.Iterable[str] | None = None,
) -> tuple[MappingNode, Any]:
    """Parse YAML once into its node tree (for line numbers) and its Python data.

    Parameters
    ----------
    text, filename
        The document and the name to use in messages.
    error
        Exception class raised (a :class:`~nqpf.exceptions.ConfigError` subclass).
    what
        What the file should hold, for the message about an empty file
        (e.g. ``"an indicator system"``).
    top_keys
        Keys expected at the top level, named when the document is not a mapping.

    Raises
    ------
    ConfigError
        For an empty document, a YAML syntax error (with its line and, for the classic
        ``direction: -`` trap, a hint to quote the sign), a duplicate key (with the line
        of its first occurrence) or a top level that is not a mapping.
    """
    loader = None
    try:
        # the reader checks the characters as soon as it is built, so build it in here
        loader = yaml.SafeLoader(text)
        node = loader.get_single_node()
        if node is None:
            reason = "the file is empty" + (f"; expected {what}" if what else "")
            raise located_error(reason, filename, 1, error=error)
        _check_duplicate_keys(node, filename, error)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        hint = ""
        if exc.problem and exc.context and exc.context_mark is not None:
            # e.g. "while parsing a block mapping" started lines earlier: that is often
            # where the mistake is (an unclosed quote, a bad indent)
            hint = f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        if "sequence entries are not allowed" in problem:
            # The classic trap: `direction: -` starts a list; the sign must be quoted.
            hint += "; a bare '-' starts a list item, so quote a sign as \"-\" or write -1"
        raise located_error(
            f"YAML syntax error: {problem}{hint}", filename, line, error=error
        ) from None
    except yaml.YAMLError as exc:  # reader errors (control characters, bad encoding)
        position = getattr(exc, "position", None)
        line = text[:position].count("\n") + 1 if isinstance(position, int) else None
        raise located_error(f"YAML syntax error: {exc}", filename, line, error=error) from None
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(node, MappingNode):
        keys = list(top_keys or ())
        listed = f" ({', '.join(keys[:6])}{' …' if len(keys) > 6 else ''})" if keys else ""
        raise located_error(
            f"expected a mapping of keys{listed} at the top level, got {_node_kind(node)}",
            filename,
            node.start_mark.line + 1,
            error=error,
        )
    return node, data


def _node_kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the value {node.value!r}"


def _check_duplicate_keys(
    node: Node, filename: str, error: type[ConfigError], path: Loc = ()
) -> None:
    # PyYAML silently keeps the last of two equal keys; in a hand-edited file that almost
    # always means a copy-paste slip, so refuse it.
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    raise located_error(
                        f"duplicate key {key.value!r} (first given on line {seen[key.value]})",
                        filename,
                        key.start_mark.line + 1,
                        format_loc((*path, key.value)),
                        error=error,
                    )
                seen[key.value] = key.start_mark.line + 1
                _check_duplicate_keys(value, filename, error, (*path, key.value))
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicate_keys(item, filename, error, (*path, i))


# -- key path → line -----------------------------------------------------------------------


def locate(root: Node, loc: Loc) -> tuple[list[str | int], int, str | None]:
    """Follow a key path (e.g. a pydantic ``loc``) through the node tree.

    Returns the resolved part of the path, the 1-based line to report and the first key
    that could not be found (a missing key), if any.  A field is reported at the line of
    its key; a list item at the line where the item starts.  Parts that pydantic adds for
    validators and union members (``function-after[...]``, ``float``) are skipped.
    """
    node: Node = root
    line = root.start_mark.line + 1
    resolved: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and "[" in part:
            continue  # a validator's or a generic type's tag, not a key
        if isinstance(node, MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == part:
                    resolved.append(part)
                    line = key.start_mark.line + 1
                    node = value
                    break
            else:
                return resolved, line, part
        elif isinstance(node, SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return resolved, line, str(part)
            node = node.value[part]
            resolved.append(part)
            line = node.start_mark.line + 1
        elif isinstance(node, ScalarNode) and isinstance(part, str):
            continue  # a union member's tag ("float") under a scalar value
        else:
            return resolved, line, str(part)
    return resolved, line, None


def key_line(root: Node | None, key: str | Loc) -> int | None:
    """1-based line of a key path (``"analyses.dagum"`` or a tuple) in a node tree.

    ``None`` if the tree is empty or the key is not there.

    Examples
    --------
    >>> root, _ = compose_yaml("a:\\n  b: 1\\n  c: [x, y]\\n", "f.yaml")
    >>> key_line(root, "a.c"), key_line(root, ("a", "c", 1)), key_line(root, "a.d")
    (3, 3, None)
    """
    if root is None:
        return None
    loc = tuple(key.split(".")) if isinstance(key, str) else key
    _, line, missing = locate(root, loc)
    return line if missing is None else None


# -- pydantic errors → file, line, key path ------------------------------------------------


def _model_in(tp: Any) -> type[BaseModel] | None:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    for arg in typing.get_args(tp):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _model_at(model: type[BaseModel] | None, path: typing.Sequence[str | int]) -> Any:
    """The pydantic model that holds the mapping at ``path`` (``None`` if unknown)."""
    for part in path:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return None
        model = _model_in(model.model_fields[part].annotation)
    return model


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "nothing (null)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_EXPECTED = {
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "tuple_type": "a list",
    "list_type": "a list",
    "model_type": "a mapping of keys",
    "model_attributes_type": "a mapping of keys",
    "dict_type": "a mapping",
}


def _reason(
    err: Any,
    path: list[str | int],
    model: type[BaseModel],
    pattern_hint: PatternHint | None,
    reasons: Mapping[str, str] | None,
) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    key = path[-1] if path else None
    if reasons and kind in reasons:
        return reasons[kind].format(key=key, input=_show(err.get("input")), **ctx)
    if kind == "missing":
        return f"missing required key {key!r}"
    if kind == "extra_forbidden":
        holder = _model_at(model, path[:-1])
        if holder is None:
            return f"unknown key {key!r}"
        allowed = list(holder.model_fields)
        near = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.75)
        if near:
            return f"unknown key {key!r}; did you mean {near[0]!r}? (expected one of: " + (
                f"{', '.join(allowed)})"
            )
        return f"unknown key {key!r}; expected one of: {', '.join(allowed)}"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "string_too_short":
        return "expected non-empty text"
    if kind == "too_short":
        return (
            f"expected a list with at least {ctx.get('min_length', 1)} item(s), "
            f"got {ctx.get('actual_length', 0)}"
        )
    if kind == "string_pattern_mismatch":
        pattern = ctx.get("pattern")
        expected = None
        if pattern_hint is not None:
            expected = pattern_hint(_model_at(model, path[:-1]), key, pattern)
        expected = expected or f"text matching {pattern!r}"
        return f"expected {expected}, got {_show(err['input'])}"
    if kind == "literal_error":
        return f"expected one of {ctx.get('expected')}, got {_show(err['input'])}"
    if kind in _EXPECTED:
        return f"expected {_EXPECTED[kind]}, got {_show(err['input'])}"
    return f"{err['msg']}, got {_show(err['input'])}"


def _merge_misspelt_keys(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold "missing 'direction'" into "unknown key 'directon'" when one is a typo of the other.

    A misspelt key yields two errors, one at the mapping (missing) and one at the typo
    (unknown); one message that points at the typo is what the user needs.
    """
    extras = [p for p in problems if p["_type"] == "extra_forbidden"]
    dropped: set[int] = set()
    for miss in (p for p in problems if p["_type"] == "missing"):
        parent, wanted = miss["_path"][:-1], miss["_path"][-1]
        for extra in extras:
            typo = extra["_path"][-1]
            if (
                extra["_path"][:-1] == parent
                and isinstance(typo, str)
                and difflib.get_close_matches(typo, [str(wanted)], n=1, cutoff=0.75)
            ):
                extra["reason"] = f"unknown key {typo!r}; did you mean {wanted!r}?"
                dropped.add(id(miss))
                break
    return [
        {k: v for k, v in p.items() if not k.startswith("_")}
        for p in problems
        if id(p) not in dropped
    ]


def _problems(
    exc: ValidationError,
    root: Node,
    model: type[BaseModel],
    pattern_hint: PatternHint | None,
    reasons: Mapping[str, str] | None,
) -> list[dict[str, Any]]:
    errors = exc.errors()
    # pydantic checks a list's minimum length after validating its items and counts only
    # the valid ones, so one bad item also yields "at least 1 item" errors on every
    # enclosing list; those echoes would bury the real problem, so drop them.
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
        loc = tuple(err["loc"])
        cause = (err.get("ctx") or {}).get("error")
        related_line = None
        # A LocatedValueError from a model-level check carries the
        # key path it belongs to, below the model that raised it.
        cause_loc = getattr(cause, "loc", None)
        if isinstance(cause, ValueError) and isinstance(cause_loc, tuple):
            base = loc
            loc = (*base, *cause_loc)
            related = getattr(cause, "related", None)
            if related is not None:
                related_line = locate(root, (*base, *related))[1]
        resolved, line, missing = locate(root, loc)
        path = [*resolved, missing] if missing is not None else resolved
        reason = _reason(err, path, model, pattern_hint, reasons)
        if related_line is not None:
            reason += f" (first given on line {related_line})"
        problems.append(
            {
                "line": line,
                "field": format_loc(tuple(path)),
                "reason": reason,
                "_type": err["type"],
                "_path": tuple(path),
            }
        )
    problems = _merge_misspelt_keys(problems)
    problems.sort(key=lambda p: p["line"])
    return problems


def validation_error(
    exc: ValidationError,
    root: Node,
    model: type[BaseModel],
    filename: str,
    *,
    error: type[E] = ConfigError,  # type: ignore[assignment]
    pattern_hint: PatternHint | None = None,
    reasons: Mapping[str, str] | None = None,
) -> E:
    """Turn a pydantic :class:`~pydantic.ValidationError` into one located ``error``.

    The message is the first problem (by line); the others are summarised after it and
    all of them are kept as ``problems`` (dicts with ``line``, ``field`` and ``reason``).
    """
    problems = _problems(exc, root, model, pattern_hint, reasons)
    first = problems[0]
    reason = first["reason"]
    if len(problems) > 1:
        n = len(problems) - 1
        others = ", ".join(f"line {p['line']} {p['field']}".rstrip() for p in problems[1:6])
        more = "" if n <= 5 else ", …"
        reason += f" (and {n} more problem{'s' if n > 1 else ''}: {others}{more})"
    err = located_error(reason, filename, first["line"], first["field"], error=error)
    err.problems = problems  # type: ignore[attr-defined]
    return err


def parse_yaml_model(
    text: str,
    model: type[M],
    *,
    filename: str = "<string>",
    error: type[ConfigError] = ConfigError,
    what: str | None = None,
    pattern_hint: PatternHint | None = None,
    reasons: Mapping[str, str] | None = None,
) -> M:
    """Parse YAML ``text`` and validate it as ``model``.

    Parameters
    ----------
    text
        The YAML document.
    model
        The pydantic model the top-level mapping must satisfy.
    filename
        Name used in error messages.
    error
        Exception class to raise: :class:`~nqpf.exceptions.ConfigError` or a subclass.
    what
        What the file should hold, for the message about an empty file.
    pattern_hint
        Optional wording for values that fail a ``pattern`` constraint (see
        :data:`PatternHint`).
    reasons
        Optional wording by pydantic error type, overriding the default, e.g.
        ``{"missing": "required key is missing"}``; ``{key}``, ``{input}`` and the
        error's context (``{min_length}``, ``{pattern}`` …) are filled in.

    Returns
    -------
    model
        The validated instance.

    Raises
    ------
    ConfigError
        (or ``error``) with ``file``, ``line`` (1-based), ``field`` (key path such as
        ``dimensions[1].indicators[0].direction``) and, for model errors, ``problems``.
    """
    root, data = compose_yaml(text, filename, error=error, what=what, top_keys=model.model_fields)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(
            exc, root, model, filename, error=error, pattern_hint=pattern_hint, reasons=reasons
        ) from None
