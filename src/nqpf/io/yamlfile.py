"""Load a YAML file into a pydantic model, with errors that name the key and its line."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel

from nqpf import _datafile
from nqpf._datafile import parse_yaml_model
from nqpf.exceptions import ConfigError

M = TypeVar("M", bound=BaseModel)

# The wording the CLI has always used for a missing key (the field names the key).
_REASONS = {"missing": "required key is missing"}


def key_line_in_file(path: str | Path, key: str) -> int | None:
    """1-based line of a dotted key (``analyses.dagum``) in a YAML file, if it is there.

    :func:`nqpf.yamlmodel.key_line` does the same for a parsed node tree.
    """
    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8-sig"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    return _datafile.key_line(root, key)


#: The former name of :func:`key_line_in_file`, kept for existing imports.
key_line = key_line_in_file


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
