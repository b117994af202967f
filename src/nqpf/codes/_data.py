"""Loading the code tables shipped in ``nqpf/codes/data`` (private).

Each table is a YAML file with the usual header keys (``id``, ``version``, ``source``,
``confidence`` …) validated by a pydantic model, and its rows as tab-separated text blocks
(``regions: |``), which keeps a ~3,000-row table loadable in milliseconds: PyYAML's C
loader reads the file when it is available, and the pure-Python path of
:func:`nqpf._datafile.parse_yaml_model` re-reads it only to locate an error.

Rows of a block are parsed by :func:`tsv_rows`; ``-`` stands for an empty field.
"""

from __future__ import annotations

from importlib import resources
from typing import Any, TypeVar

from nqpf.exceptions import ConfigError

M = TypeVar("M")


def read_text(name: str) -> str:
    """The text of ``nqpf/codes/data/<name>``."""
    return resources.files("nqpf.codes").joinpath("data", name).read_text("utf-8")


def load_model(name: str, model: type[M]) -> M:
    """``nqpf/codes/data/<name>`` validated as ``model`` (fast path: libyaml when present)."""
    import yaml
    from pydantic import ValidationError

    from nqpf._datafile import parse_yaml_model

    text = read_text(name)
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is not None:
        try:
            return model.model_validate(yaml.load(text, Loader=loader))  # type: ignore[attr-defined]
        except (ValidationError, yaml.YAMLError, ValueError):
            pass  # re-read below for an error that names the line and key
    return parse_yaml_model(text, model, filename=f"nqpf/codes/data/{name}")  # type: ignore[type-var]


def tsv_rows(block: str, columns: int, what: str) -> list[list[str]]:
    """The rows of a tab-separated block, each with ``columns`` fields (``-`` → ``""``).

    Raises ``ValueError`` (reported by pydantic at the block's key) for a row with
    another number of fields.
    """
    rows = []
    for i, line in enumerate(block.splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != columns:
            raise ValueError(
                f"{what} row {i} has {len(fields)} tab-separated fields, expected {columns}: "
                f"{line[:60]!r}"
            )
        rows.append(["" if f == "-" else f for f in fields])
    return rows


def table_error(message: str, name: str, **kw: Any) -> ConfigError:
    """An error about a shipped table itself (a packaging fault, not user input)."""
    return ConfigError(message, file=f"nqpf/codes/data/{name}", **kw)
