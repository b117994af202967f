"""Matching use case shared by the CLI and the web: objects or bytes in, results out.

* :func:`need_from_bytes` — a need from a JSON / YAML file's bytes (or
  :func:`nqpf.matching.need_from_mapping` for a parsed mapping);
* :func:`load_catalogue` — a catalogue from a file's bytes (CSV, XLSX, Parquet, or JSON /
  YAML lists of solutions), every bad row reported by row and column, the good rows kept
  when asked; :func:`catalogue_from_frame` is the same for a table already read;
* :func:`facts_from_bytes` — an enterprise's facts from its SME-2024 assessment (a
  response file: filled template, JSON or YAML, scored here) or from a ``{facts: …}``
  mapping;
* :func:`match` — rank a catalogue for a need (:func:`nqpf.matching.rank`) and the JSON
  document of the result (:func:`match_document`);
* :func:`catalogue_template_bytes` — the XLSX catalogue template.

:func:`match_files` and :func:`write_catalogue_template` are the same for paths, read
through :func:`nqpf.services.files.read_input`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from types import MappingProxyType
from typing import Any

import pandas as pd
import yaml

from nqpf.exceptions import DataValidationError
from nqpf.io.catalogue_template import (
    CatalogueRows,
    RowError,
    catalogue_template_bytes,
    read_catalogue,
    write_catalogue_template,
)
from nqpf.io.tables import read_table
from nqpf.matching import (
    MatchIndex,
    MatchResult,
    MatchWeights,
    Need,
    Solution,
    check_facts,
    facts_from_assessment,
    need_from_mapping,
    solution_from_mapping,
)
from nqpf.matching.scenes import FRAMEWORK
from nqpf.services.files import read_input

__all__ = [
    "CatalogueOutcome",
    "MatchOutcome",
    "catalogue_from_frame",
    "catalogue_template_bytes",
    "facts_from_bytes",
    "load_catalogue",
    "match",
    "match_document",
    "match_files",
    "need_from_bytes",
    "write_catalogue_template",
]

_MAPPING_SUFFIXES = (".json", ".yaml", ".yml")
_SHOWN = 5


def _suffix(name: str) -> str:
    return PurePath(name).suffix.lower()


def _mapping_document(data: bytes, name: str) -> Any:
    """The parsed content of a JSON or YAML file's bytes."""
    if _suffix(name) not in _MAPPING_SUFFIXES:
        raise DataValidationError(
            f"cannot read {_suffix(name) or 'a file without a suffix'!r} here; use .json or .yaml",
            file=name,
            zh="应为 .json 或 .yaml 文件",
        )
    try:
        text = data.decode("utf-8-sig")
        return json.loads(text) if _suffix(name) == ".json" else yaml.safe_load(text)
    except (UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DataValidationError(
            f"not readable ({type(exc).__name__}: {str(exc).splitlines()[0]})",
            file=name,
            zh=f"文件格式有误，无法读取（{type(exc).__name__}）",
        ) from None


def need_from_bytes(data: bytes, name: str) -> Need:
    """A :class:`~nqpf.matching.Need` from a JSON / YAML file (a mapping of its fields).

    Raises
    ------
    DataValidationError
        Naming the file and the field (e.g. ``target_level``) with the reason in Chinese.
    """
    doc = _mapping_document(data, name)
    try:
        return need_from_mapping(doc)
    except DataValidationError as exc:
        raise exc.at(file=name) from None


# -- the catalogue -------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueOutcome:
    """A catalogue read from a file: the good rows' solutions and the bad rows' errors."""

    name: str
    solutions: tuple[Solution, ...]
    errors: tuple[RowError, ...]
    n_rows: int


def _rows_error(name: str, rows: CatalogueRows) -> DataValidationError:
    shown = rows.errors[:_SHOWN]
    more = len(rows.errors) - len(shown)
    en = "; ".join(str(e) for e in shown) + (f" (and {more} more)" if more else "")
    zh = "；".join(f"第 {e.row} 行“{e.column}”列：{e.message_zh}" for e in shown)
    zh += f"（另有 {more} 处）" if more else ""
    error = DataValidationError(
        f"{len(rows.errors)} of {rows.n_rows} catalogue rows have errors: {en}; fix them, "
        "or keep the good rows (--keep-good-rows)",
        file=name,
        zh=f"目录中 {rows.n_rows} 行有 {len(rows.errors)} 行有误：{zh}。请修改，或选择仅保留正确的行",
    )
    error.problems = rows.errors  # type: ignore[attr-defined]
    return error


def _outcome(name: str, rows: CatalogueRows, keep_good_rows: bool) -> CatalogueOutcome:
    if rows.errors and not keep_good_rows:
        raise _rows_error(name, rows)
    return CatalogueOutcome(name, rows.solutions, rows.errors, rows.n_rows)


def catalogue_from_frame(
    frame: pd.DataFrame, name: str = "<catalogue>", *, keep_good_rows: bool = False
) -> CatalogueOutcome:
    """The catalogue in a table already read with every column as text (see
    :func:`nqpf.io.catalogue_template.read_catalogue` for the columns).

    Raises
    ------
    DataValidationError
        A bad table (unknown or missing columns); or bad rows unless ``keep_good_rows``:
        its ``problems`` holds every :class:`~nqpf.io.catalogue_template.RowError`.
    """
    return _outcome(name, read_catalogue(frame, file=name), keep_good_rows)


def _catalogue_items(doc: Any, name: str) -> CatalogueRows:
    items = doc.get("solutions") if isinstance(doc, Mapping) else doc
    if not isinstance(items, list):
        raise DataValidationError(
            "expected a list of solutions (or {solutions: [...]})",
            file=name,
            zh="应为方案列表（或 {solutions: [...]}）",
        )
    solutions, errors, seen = [], [], set()
    for i, item in enumerate(items, start=1):
        try:
            s = solution_from_mapping(item)
        except DataValidationError as exc:
            errors.append(RowError(i, exc.field or "", exc.field or "", exc.reason, exc.reason_zh))
            continue
        if s.id in seen:
            errors.append(RowError(i, "id", "id", f"solution id {s.id!r} is given twice",
                                   f"方案编号 {s.id} 重复"))  # fmt: skip
            continue
        seen.add(s.id)
        solutions.append(s)
    return CatalogueRows(tuple(solutions), tuple(errors), len(items))


def load_catalogue(data: bytes, name: str, *, keep_good_rows: bool = False) -> CatalogueOutcome:
    """The catalogue in a file's bytes: ``.csv``, ``.xlsx``, ``.parquet`` (one row per
    solution, see :mod:`nqpf.io.catalogue_template`) or ``.json`` / ``.yaml`` (a list of
    solution mappings, or ``{solutions: [...]}``; an item's "row" is its position, from 1).

    Raises
    ------
    DataValidationError
        As :func:`catalogue_from_frame`.
    """
    if _suffix(name) in _MAPPING_SUFFIXES:
        return _outcome(name, _catalogue_items(_mapping_document(data, name), name), keep_good_rows)
    frame = read_table(data, name=name, text_columns=True)
    return catalogue_from_frame(frame, name, keep_good_rows=keep_good_rows)


# -- facts -------------------------------------------------------------------------------


def facts_from_bytes(data: bytes, name: str) -> MappingProxyType[str, Any]:
    """An enterprise's facts from its assessment file.

    ``name``'s suffix chooses: a filled SME-2024 template (``.xlsx``) or a response file
    (``.json`` / ``.yaml``, as ``nqpf assess score`` reads) is scored here and its facts
    read (:func:`nqpf.matching.facts_from_assessment`); a JSON / YAML mapping with a
    ``facts`` key gives the facts directly (checked by :func:`nqpf.matching.check_facts`).
    """
    from nqpf.services.assess import score_responses

    if _suffix(name) in _MAPPING_SUFFIXES:
        doc = _mapping_document(data, name)
        if isinstance(doc, Mapping) and "facts" in doc:
            if not isinstance(doc["facts"], Mapping):
                raise DataValidationError(
                    "facts must be a mapping of fact id → value",
                    file=name,
                    field="facts",
                    zh="facts 应为“事实编号 → 值”的映射",
                )
            try:
                return check_facts(doc["facts"])
            except DataValidationError as exc:
                raise exc.at(file=name) from None
    outcome = score_responses(data, name, FRAMEWORK)
    return facts_from_assessment(outcome.result)


# -- ranking -------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchOutcome:
    """A ranking, the catalogue it ranked (with any rows skipped) and its JSON document."""

    result: MatchResult
    catalogue: CatalogueOutcome
    document: dict[str, Any]


def match_document(result: MatchResult, skipped: tuple[RowError, ...] = ()) -> dict[str, Any]:
    """The JSON document of a ranking (docs/matching-guide.md): :meth:`MatchResult.to_dict`
    plus ``skipped_rows``, the catalogue rows left out (``row``, ``column``, ``message``,
    ``message_zh``)."""
    doc = result.to_dict()
    doc["skipped_rows"] = [
        {"row": e.row, "column": e.column, "message": e.message, "message_zh": e.message_zh}
        for e in skipped
    ]
    return doc


def match(
    need: Need | Mapping[str, Any],
    catalogue: CatalogueOutcome | MatchIndex,
    facts: Mapping[str, Any] | None = None,
    *,
    top: int = 10,
    near_misses: int = 5,
    weights: MatchWeights | Mapping[str, Any] | str | None = None,
    as_of: dt.date | None = None,
) -> MatchOutcome:
    """Rank a catalogue (read from a file, or a fitted index the caller keeps) for a need."""
    if isinstance(catalogue, MatchIndex):
        index = catalogue
        source = CatalogueOutcome("<index>", index.solutions_, (), len(index.solutions_))
    else:
        index, source = MatchIndex(weights=weights).fit(catalogue.solutions), catalogue
    result = index.rank(need, facts, top=top, near_misses=near_misses, weights=weights, as_of=as_of)
    return MatchOutcome(result, source, match_document(result, source.errors))


def match_files(
    need: str | os.PathLike[str],
    catalogue: str | os.PathLike[str],
    assessment: str | os.PathLike[str] | None = None,
    *,
    top: int = 10,
    near_misses: int = 5,
    keep_good_rows: bool = False,
    weights: str | os.PathLike[str] | None = None,
    as_of: dt.date | None = None,
) -> MatchOutcome:
    """:func:`match` of the files at these paths (need JSON/YAML, catalogue table, optional
    assessment file)."""
    need_file, catalogue_file = read_input(need), read_input(catalogue)
    the_need = need_from_bytes(need_file.data, need_file.name)
    facts = None
    if assessment is not None:
        source = read_input(assessment)
        facts = facts_from_bytes(source.data, source.name)
    rows = load_catalogue(catalogue_file.data, catalogue_file.name, keep_good_rows=keep_good_rows)
    return match(
        the_need, rows, facts, top=top, near_misses=near_misses,
        weights=None if weights is None else Path(weights), as_of=as_of,
    )  # fmt: skip
