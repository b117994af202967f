"""YAML text → validated pydantic model, with errors that name the file, line and key path.

The loader lives in :mod:`nqpf._datafile` beside the field types the schemas share; this
module keeps the import path ``nqpf.yamlmodel`` for the names it has always offered.

Examples
--------
>>> from pydantic import BaseModel, ConfigDict
>>> from nqpf.exceptions import ConfigError
>>> class Item(BaseModel):
...     model_config = ConfigDict(extra="forbid")
...     id: str
...     weight: float
>>> try:
...     parse_yaml_model("id: b\\nweigth: 2\\n", Item, filename="item.yaml")
... except ConfigError as err:
...     print(err)
item.yaml, line 2, field 'weigth': unknown key 'weigth'; did you mean 'weight'?
"""

from __future__ import annotations

from nqpf._datafile import (
    PatternHint,
    compose_yaml,
    format_loc,
    key_line,
    locate,
    located_error,
    parse_yaml_model,
    validation_error,
)

__all__ = [
    "PatternHint",
    "compose_yaml",
    "format_loc",
    "key_line",
    "locate",
    "located_error",
    "parse_yaml_model",
    "validation_error",
]
