"""Load a YAML file into a pydantic model, with errors that name the key and its line."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel

from nqpf.exceptions import ConfigError
from nqpf.yamlmodel import key_line as _node_key_line
from nqpf.yamlmodel import parse_yaml_model

M = TypeVar("M", bound=BaseModel)

# The wording the CLI has always used for a missing key (the field names the key).
_REASONS = {"missing": "required key is missing"}


def key_line(path: str | Path, key: str) -> int | None:
    """1-based line of a dotted key (``analyses.dagum``) in a YAML file, if it is there."""
    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    return _node_key_line(root, key)


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
    return parse_yaml_model(text, model, filename=name, reasons=_REASONS)
