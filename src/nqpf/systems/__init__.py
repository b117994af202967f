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

import functools
import os
from importlib import resources
from pathlib import Path

from nqpf._datafile import parse_yaml_model
from nqpf.exceptions import SystemDefinitionError
from nqpf.systems.schema import Dimension, Indicator, IndicatorSystem, SubDimension

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
    return parse_yaml_model(
        text,
        IndicatorSystem,
        filename=filename,
        error=SystemDefinitionError,
        what="an indicator system",
        pattern_hint=_pattern_hint,
    )


def _pattern_hint(model: type | None, key: str | int | None, pattern: str | None) -> str | None:
    if key == "id" and model is Indicator:
        return (
            "an ASCII identifier (letters, digits and _, not starting with a digit) "
            "such as 'edu_years', since it names a data column"
        )
    if key == "id":
        return "an ASCII id (letters, digits, '.', '_', '-') such as 'my-system'"
    return None
