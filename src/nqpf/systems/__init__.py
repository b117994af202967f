"""Indicator systems (指标体系) as versioned YAML data.

A system is a dimension → sub-dimension → indicator hierarchy with its source and a
confidence flag (see :mod:`nqpf.systems.schema` for the file format).  nqpf ships a few
presets taken from the NQPF (新质生产力) literature; users edit them or supply their own.

Every shipped preset is ``verified: false``: the published indicator tables have not been
checked against the papers, so the lists are templates to adapt, not replications.

Examples
--------
>>> from nqpf.systems import list_systems, load_system
>>> list_systems()
['digital-real-coupling', 'nqpf-tech-green-digital', 'nqpf-three-factor']
>>> s = load_system("nqpf-three-factor")
>>> s.confidence, s.verified, len(s.indicators)
('unverified', False, 18)
>>> s.to_frame().columns.tolist()
['dimension', 'sub_dimension', 'id', 'name', 'unit', 'direction', 'description']
"""

from __future__ import annotations

import difflib
import functools
import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from nqpf.exceptions import SystemDefinitionError
from nqpf.systems.schema import (
    Dimension,
    Indicator,
    IndicatorSystem,
    LocatedValueError,
    SubDimension,
    format_loc,
)

__all__ = [
    "Dimension",
    "Indicator",
    "IndicatorSystem",
    "SubDimension",
    "list_systems",
    "load_system",
    "parse_system",
]

_SUFFIXES = (".yaml", ".yml")


def list_systems() -> list[str]:
    """Ids of the indicator systems shipped with nqpf, sorted.

    Returns
    -------
    list[str]
        Names accepted by :func:`load_system`.
    """
    root = resources.files(__name__)
    return sorted(
        Path(entry.name).stem
        for entry in root.iterdir()
        if entry.is_file() and entry.name.endswith(_SUFFIXES)
    )


def load_system(name_or_path: str | os.PathLike[str]) -> IndicatorSystem:
    """Load a shipped indicator system by id, or a user's YAML file by path.

    Parameters
    ----------
    name_or_path
        A shipped id (see :func:`list_systems`) or the path of a YAML file.  A bare name
        is looked up among the shipped systems first; anything with a directory part or a
        ``.yaml``/``.yml`` suffix is treated as a path.

    Returns
    -------
    IndicatorSystem
        The validated, frozen system.

    Raises
    ------
    SystemDefinitionError
        If the name is unknown, the file is missing, or the file is malformed.  The
        message names the file, the line, the key path (e.g.
        ``dimensions[1].sub_dimensions[0].indicators[2].direction``) and what was expected.

    Examples
    --------
    >>> load_system("nqpf-tech-green-digital").dimension_names
    ['科技生产力', '绿色生产力', '数字生产力']
    """
    if isinstance(name_or_path, str) and name_or_path in list_systems():
        return _load_shipped(name_or_path)
    path = Path(name_or_path)
    looks_like_path = (
        not isinstance(name_or_path, str)
        or path.suffix.lower() in _SUFFIXES
        or len(path.parts) > 1
        or path.exists()
    )
    if not looks_like_path:
        raise SystemDefinitionError(
            f"unknown indicator system {name_or_path!r}; shipped systems are "
            f"{', '.join(list_systems())}, or give the path of a YAML file"
        )
    if not path.is_file():
        raise SystemDefinitionError("file not found", file=str(path))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SystemDefinitionError(
            f"cannot read the file as UTF-8 text ({exc.reason} at byte {exc.start}); "
            "save it as UTF-8",
            file=str(path),
        ) from None
    return parse_system(text, filename=str(path))


@functools.cache
def _load_shipped(name: str) -> IndicatorSystem:
    # Shipped files never change at run time and the model is frozen, so one parse per
    # process is enough.
    resource = resources.files(__name__) / f"{name}.yaml"
    return parse_system(resource.read_text(encoding="utf-8"), filename=f"{name}.yaml")


def parse_system(text: str, *, filename: str = "<string>") -> IndicatorSystem:
    """Validate YAML text as an indicator system.

    Parameters
    ----------
    text
        The YAML document.
    filename
        Name used in error messages (e.g. the name of an uploaded file).

    Returns
    -------
    IndicatorSystem

    Raises
    ------
    SystemDefinitionError
        With ``file``, ``line`` (1-based), ``field`` (key path) and ``problems`` (every
        problem found, as dicts with ``line``, ``field`` and ``reason``) as attributes.

    Examples
    --------
    >>> text = '''id: mine
    ... version: "1"
    ... name: 示例体系
    ... source: own choice
    ... confidence: unverified
    ... dimensions:
    ...   - name: A
    ...     sub_dimensions:
    ...       - name: A1
    ...         indicators:
    ...           - {id: x1, name: 指标1, direction: "+"}
    ...           - {id: x2, name: 指标2, direction: up}
    ... '''
    >>> try:
    ...     parse_system(text, filename="mine.yaml")
    ... except SystemDefinitionError as err:
    ...     print(err)
    mine.yaml, line 12, field 'dimensions[0].sub_dimensions[0].indicators[1].direction': expected '+' or '-' (or +1 / -1), got 'up'
    >>> parse_system(text.replace("up", "-1")).directions
    array([ 1, -1])
    """
    root, data = _compose(text, filename)
    try:
        return IndicatorSystem.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, root, filename) from None


# -- YAML → nodes + data ---------------------------------------------------------------


def _error(
    reason: str, filename: str, line: int | None, field: str | None = None
) -> SystemDefinitionError:
    # DataValidationError has no `line` argument, so the line goes into the location
    # prefix it builds ("file, line N, field 'x': reason") and the attributes are then
    # restored to their plain meanings for programmatic use.
    where = filename if line is None else f"{filename}, line {line}"
    err = SystemDefinitionError(reason, file=where, field=field or None)
    err.file = filename
    err.line = line
    return err


def _compose(text: str, filename: str) -> tuple[MappingNode, Any]:
    """Parse YAML once into the node tree (for line numbers) and the Python data."""
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _error("the file is empty; expected an indicator system", filename, 1)
        _check_duplicate_keys(node, filename)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        hint = ""
        if exc.problem and exc.context and exc.context_mark is not None:
            # e.g. "while parsing a block mapping" started lines earlier: that is
            # often where the mistake is (an unclosed quote, a bad indent)
            hint = f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
        if "sequence entries are not allowed" in problem:
            # The classic trap: `direction: -` starts a list; the sign must be quoted.
            hint += "; a bare '-' starts a list item, so quote a sign as \"-\" or write -1"
        raise _error(f"YAML syntax error: {problem}{hint}", filename, line) from None
    except yaml.YAMLError as exc:  # reader errors (control characters, bad encoding)
        position = getattr(exc, "position", None)
        line = text[:position].count("\n") + 1 if isinstance(position, int) else None
        raise _error(f"YAML syntax error: {exc}", filename, line) from None
    finally:
        loader.dispose()
    if not isinstance(node, MappingNode):
        raise _error(
            "expected a mapping of keys (id, version, name, source, confidence, dimensions …) "
            f"at the top level, got {_node_kind(node)}",
            filename,
            node.start_mark.line + 1,
        )
    return node, data


def _node_kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the value {node.value!r}"


def _check_duplicate_keys(node: Node, filename: str, path: tuple[str | int, ...] = ()) -> None:
    # PyYAML silently keeps the last of two equal keys; in a hand-edited system file that
    # almost always means a copy-paste slip, so refuse it.
    if isinstance(node, MappingNode):
        seen: dict[str, int] = {}
        for key, value in node.value:
            if isinstance(key, ScalarNode):
                if key.value in seen:
                    raise _error(
                        f"duplicate key {key.value!r} (first given on line {seen[key.value]})",
                        filename,
                        key.start_mark.line + 1,
                        format_loc((*path, key.value)),
                    )
                seen[key.value] = key.start_mark.line + 1
                _check_duplicate_keys(value, filename, (*path, key.value))
    elif isinstance(node, SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicate_keys(item, filename, (*path, i))


# -- pydantic errors → file, line, key path -------------------------------------------


def _locate(root: Node, loc: tuple[str | int, ...]) -> tuple[list[str | int], int, str | None]:
    """Follow a pydantic ``loc`` through the node tree.

    Returns the resolved part of the path, the 1-based line to report and the first
    part that could not be found (a missing key), if any.  A field is reported at the line
    of its key; a list item at the line where the item starts.
    """
    node: Node = root
    line = root.start_mark.line + 1
    resolved: list[str | int] = []
    for part in loc:
        if isinstance(node, MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == part:
                    resolved.append(part)
                    line = key.start_mark.line + 1
                    node = value
                    break
            else:
                return resolved, line, part
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            resolved.append(part)
            line = node.start_mark.line + 1
        else:
            return resolved, line, str(part)
    return resolved, line, None


_MODEL_AT = {"dimensions": Dimension, "sub_dimensions": SubDimension, "indicators": Indicator}


def _model_at(path: list[str | int]) -> type:
    model: type = IndicatorSystem
    for part in path:
        if isinstance(part, str) and part in _MODEL_AT:
            model = _MODEL_AT[part]
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


def _reason(err: dict[str, Any], path: list[str | int]) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    key = path[-1] if path else None
    if kind == "missing":
        return f"missing required key {key!r}"
    if kind == "extra_forbidden":
        allowed = ", ".join(_model_at(path[:-1]).model_fields)
        return f"unknown key {key!r}; expected one of: {allowed}"
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
        if key == "id" and _model_at(path[:-1]) is Indicator:
            expected = (
                "an ASCII identifier (letters, digits and _, not starting with a digit) "
                "such as 'edu_years', since it names a data column"
            )
        elif key == "id":
            expected = "an ASCII id (letters, digits, '.', '_', '-') such as 'my-system'"
        else:
            expected = f"text matching {ctx.get('pattern')!r}"
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


def _validation_error(
    exc: ValidationError, root: MappingNode, filename: str
) -> SystemDefinitionError:
    errors = exc.errors()
    # pydantic checks a list's minimum length after validating its items and counts only
    # the valid ones, so one bad indicator also yields "at least 1 item" errors on every
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
        if isinstance(cause, LocatedValueError):
            base = loc
            loc = (*base, *cause.loc)
            if cause.related is not None:
                related_line = _locate(root, (*base, *cause.related))[1]
        resolved, line, missing = _locate(root, loc)
        path = [*resolved, missing] if missing is not None else resolved
        reason = _reason(err, path)
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
    first = problems[0]
    reason = first["reason"]
    if len(problems) > 1:
        n = len(problems) - 1
        others = ", ".join(f"line {p['line']} {p['field']}".rstrip() for p in problems[1:6])
        more = "" if n <= 5 else ", …"
        reason += f" (and {n} more problem{'s' if n > 1 else ''}: {others}{more})"
    err = _error(reason, filename, first["line"], first["field"])
    err.problems = problems
    return err
