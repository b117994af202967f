"""Load a YAML file into a pydantic model, with errors that name the key and its line."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from nqpf.exceptions import ConfigError

M = TypeVar("M", bound=BaseModel)


def _where(root: Node, loc: tuple) -> tuple[str, int]:
    """Dotted key path and 1-based line of a pydantic error location."""
    node, line, parts = root, root.start_mark.line + 1, []
    for part in loc:
        if isinstance(node, MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == part:
                    node, line = value, key.start_mark.line + 1
                    break
            else:
                parts.append(str(part))
                break
        elif isinstance(node, SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            # pydantic adds union-member and function tags to loc; they are not keys.
            continue
        parts.append(f"[{part}]" if isinstance(part, int) else str(part))
    return ".".join(parts).replace(".[", "["), line


def key_line(path: str | Path, key: str) -> int | None:
    """1-based line of a dotted key (``analyses.dagum``) in a YAML file, if it is there."""
    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    if root is None:
        return None
    parts = tuple(key.split("."))
    where, line = _where(root, parts)
    return line if where == key else None


def load_yaml_model(path: str | Path, model: type[M], *, text: str | None = None) -> M:
    """Parse ``path`` (or ``text``) as YAML and validate it as ``model``.

    Raises
    ------
    ConfigError
        For a missing or empty file, a YAML syntax error (with its line) or a value the
        model rejects (with the key path, its line and what was expected).
    """
    name = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise ConfigError("file not found", file=name) from None
        except UnicodeDecodeError:
            raise ConfigError("file is not UTF-8 text", file=name) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f"line {mark.line + 1}: " if mark else ""
        raise ConfigError(
            f"{line}YAML syntax error: {exc.problem or exc.context}", file=name
        ) from None
    if root is None:
        raise ConfigError("file is empty", file=name)
    data: Any = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping of keys at the top level", file=name)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key, line = _where(root, tuple(err["loc"]))
        if err["type"] == "missing":
            reason = "required key is missing"
        elif err["type"] == "extra_forbidden":
            reason = "unknown key (misspelt?)"
        elif not err["loc"]:  # a check across keys: its message says what is wrong
            reason = err["msg"].removeprefix("Value error, ")
        else:
            reason = f"{err['msg']}; got {err.get('input')!r}"
        more = len(exc.errors()) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        raise ConfigError(f"line {line}: {reason}{suffix}", file=name, field=key) from None
