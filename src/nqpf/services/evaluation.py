"""Effect-evaluation use cases shared by the CLI and the web: objects or bytes in.

* :func:`did_panel` — a staggered-DiD estimate on a panel table
  (:func:`nqpf.evaluation.did`), its JSON document and its tables; :func:`did_bytes` reads
  the panel from a file's bytes (CSV/XLSX/Parquet); :func:`did_methods` runs several
  estimators on one panel and :func:`contrast_table` puts them side by side (the robust
  estimators beside TWFE);
* :func:`event_study_png` — the event-study chart of one or more estimates;
* :func:`compare_bytes` — one enterprise's T0/T1 comparison from two response files
  (filled templates, JSON or YAML, scored as ``nqpf assess score`` scores them), with
  :func:`compare_document` its JSON; :func:`kpis_bytes` reads a project's KPIs (JSON /
  YAML list or a CSV/XLSX table);
* :func:`programme_table`, :func:`acceptance_table`, :func:`subsidy_table` — a programme's
  T0 → T1 change and its acceptance and subsidy rules on a table of enterprises;
* :func:`tables_xlsx` — any of these tables as one XLSX download.

:func:`did_file` and :func:`compare_files` are the same for paths, read through
:func:`nqpf.services.files.read_input`.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import numpy as np
import pandas as pd
import yaml

from nqpf.evaluation import (
    METHODS,
    AcceptanceResult,
    ComparisonResult,
    DidResult,
    KpiResult,
    ProgrammeResult,
    SubsidyResult,
    compare,
    did,
    evaluate_acceptance,
    evaluate_subsidy,
    kpi_effects,
    programme_effects,
)
from nqpf.exceptions import DataValidationError
from nqpf.io.atomic import xlsx_bytes
from nqpf.io.tables import read_table
from nqpf.services.files import read_input

__all__ = [
    "COMPARE_TABLES",
    "DID_TABLES",
    "CompareOutcome",
    "DidOutcome",
    "acceptance_table",
    "compare_bytes",
    "compare_document",
    "compare_files",
    "contrast_table",
    "did_bytes",
    "did_file",
    "did_methods",
    "did_panel",
    "event_study_png",
    "kpis_bytes",
    "programme_table",
    "read_panel",
    "subsidy_table",
    "tables_xlsx",
]

DID_TABLES = ("estimate", "event_study", "detail", "cohorts", "warnings")
COMPARE_TABLES = ("dimensions", "questions", "scenes", "conditions", "kpis")


# ------------------------------------------------------------------------------- DiD
@dataclass(frozen=True)
class DidOutcome:
    """An estimate, its JSON document (``nqpf evaluate did --json``) and its tables."""

    result: DidResult
    document: dict[str, Any]
    tables: dict[str, pd.DataFrame] = field(repr=False)


def read_panel(
    data: bytes, name: str, *, sheet: str | None = None, text: Sequence[str] = ()
) -> pd.DataFrame:
    """A panel table from a file's bytes (CSV, XLSX, Parquet); ``text`` columns keep codes
    such as ``000123`` as written."""
    return read_table(data, name=name, sheet=sheet, text_columns=tuple(text))


def did_panel(
    frame: Any,
    *,
    unit: str,
    time: str,
    outcome: str,
    cohort: str | None = None,
    treatment: str | None = None,
    method: str = "cs",
    control: str | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
    **options: Any,
) -> DidOutcome:
    """:func:`nqpf.evaluation.did` on a panel table, with its document and tables."""
    result = did(
        frame, unit=unit, time=time, outcome=outcome, cohort=cohort, treatment=treatment,
        method=method, control=control, cluster=cluster, alpha=alpha, **options,
    )  # fmt: skip
    return DidOutcome(result, result.to_dict(), result.tables())


def did_bytes(data: bytes, name: str, *, sheet: str | None = None, **kwargs: Any) -> DidOutcome:
    """:func:`did_panel` of a panel file's bytes; errors name the file."""
    text = [c for c in (kwargs.get("unit"), kwargs.get("cluster")) if c]
    frame = read_panel(data, name, sheet=sheet, text=text)
    try:
        return did_panel(frame, **kwargs)
    except DataValidationError as exc:
        if exc.data_row is not None and exc.row is None:
            first = int(frame.attrs.get("first_row", 2))
            raise exc.at(file=name, row=exc.data_row + first) from None
        raise exc.at(file=name) from None


def did_file(path: str | os.PathLike[str], **kwargs: Any) -> DidOutcome:
    """:func:`did_bytes` of the file at ``path``."""
    source = read_input(path)
    return did_bytes(source.data, source.name, **kwargs)


def did_methods(
    frame: Any, *, methods: Sequence[str] = METHODS, **kwargs: Any
) -> dict[str, DidResult]:
    """Several estimators on one panel (each with its default comparison group unless
    ``control`` is given and it implements it)."""
    from nqpf.evaluation import CONTROLS

    out = {}
    control = kwargs.pop("control", None)
    for m in methods:
        use = control if control in CONTROLS[m] else None
        out[m] = did(frame, method=m, control=use, **kwargs)
    return out


def contrast_table(results: Mapping[str, DidResult] | Sequence[DidResult]) -> pd.DataFrame:
    """One row per estimate (method, control, ATT, SE, interval, pre-trend p, warnings)."""
    items = list(results.values()) if isinstance(results, Mapping) else list(results)
    frame = pd.concat([r.estimate_frame() for r in items], ignore_index=True)
    frame["warnings"] = ["; ".join(r.warning_codes) for r in items]
    return frame


def event_study_png(
    results: DidResult | Sequence[DidResult], *, note: str | None = None, dpi: int = 150
) -> bytes:
    """The event-study chart (:func:`nqpf.reports.evaluation_plots.event_study_chart`) as PNG."""
    from nqpf.reports._figure import _close
    from nqpf.reports.evaluation_plots import event_study_chart

    fig = event_study_chart(results, note=note)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white")
    _close(fig)
    return buf.getvalue()


# --------------------------------------------------------------------- one enterprise
@dataclass(frozen=True)
class CompareOutcome:
    """A T0/T1 comparison (and the KPIs, when given) with its tables."""

    result: ComparisonResult
    kpis: KpiResult | None
    tables: dict[str, pd.DataFrame] = field(repr=False)


def _mapping_document(data: bytes, name: str) -> Any:
    suffix = PurePath(name).suffix.lower()
    text = data.decode("utf-8-sig", errors="replace")
    try:
        return json.loads(text) if suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise DataValidationError(
            f"cannot read the file: {exc}", file=name, zh=f"无法读取该文件：{exc}"
        ) from None


def kpis_bytes(data: bytes, name: str) -> KpiResult:
    """A project's KPIs from a JSON / YAML list (or ``{kpis: [...]}``) or a CSV / XLSX /
    Parquet table with columns name, baseline, target, achieved (or actual), unit."""
    if PurePath(name).suffix.lower() in (".json", ".yaml", ".yml"):
        doc = _mapping_document(data, name)
        items = doc.get("kpis") if isinstance(doc, Mapping) else doc
    else:
        frame = read_table(data, name=name, text_columns=True)
        frame = frame.dropna(how="all")
        items = [
            {k: v for k, v in row.items() if not pd.isna(v)} for row in frame.to_dict("records")
        ]
    try:
        return kpi_effects(items if items is not None else [])
    except DataValidationError as exc:
        raise exc.at(file=name) from None


def compare_bytes(
    t0: bytes,
    t0_name: str,
    t1: bytes,
    t1_name: str,
    *,
    framework: Any = None,
    kpis: tuple[bytes, str] | None = None,
) -> CompareOutcome:
    """Score two response files (T0, T1) of one enterprise and compare them.

    Each file is what ``nqpf assess score`` reads: a filled XLSX template or a JSON /
    YAML mapping of answers (flat, or ``{framework, version, responses}``).  ``kpis``
    optionally gives a KPI file's bytes and name (:func:`kpis_bytes`).
    """
    from nqpf.services.assess import score_responses

    first = score_responses(t0, t0_name, framework)
    second = score_responses(t1, t1_name, framework if framework is not None else first.framework)
    result = compare(first.result, second.result, framework=first.framework)
    kpi = kpis_bytes(*kpis) if kpis is not None else None
    tables = dict(result.tables())
    if kpi is not None:
        tables["kpis"] = kpi.table
    return CompareOutcome(result, kpi, tables)


def compare_files(
    t0: str | os.PathLike[str],
    t1: str | os.PathLike[str],
    *,
    framework: Any = None,
    kpis: str | os.PathLike[str] | None = None,
) -> CompareOutcome:
    """:func:`compare_bytes` of the files at these paths."""
    a, b = read_input(t0), read_input(t1)
    k = read_input(kpis) if kpis is not None else None
    return compare_bytes(
        a.data, a.name, b.data, b.name, framework=framework,
        kpis=(k.data, k.name) if k is not None else None,
    )  # fmt: skip


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    def plain(v: Any) -> Any:
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, float) and not np.isfinite(v):
            return None
        return None if v is pd.NA else v

    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def compare_document(outcome: CompareOutcome) -> dict[str, Any]:
    """The JSON document of ``nqpf evaluate compare --json`` (docs/evaluation-guide.md)."""
    r = outcome.result
    doc: dict[str, Any] = {
        "framework": r.framework,
        "total": {"t0": r.total_t0, "t1": r.total_t1, "delta": r.delta_total, "max": r.max_total},
        "level": {
            "t0": r.level_t0,
            "t1": r.level_t1,
            "name_t0": r.level_name_t0,
            "name_t1": r.level_name_t1,
            "change": r.level_change,
        },
        "dimensions": _records(r.dimensions),
        "questions": _records(r.questions),
        "scenes": _records(r.scenes),
        "conditions": _records(r.conditions),
        "remaining": [c.message for c in r.remaining],
    }
    if outcome.kpis is not None:
        doc["kpis"] = _records(outcome.kpis.table)
    return doc


# ------------------------------------------------------------------------- programme
def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        raise DataValidationError(
            f"missing column {column!r}", column=column, zh=f"缺少列 {column!r}"
        )
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)


def programme_table(
    frame: pd.DataFrame,
    *,
    outcomes: Mapping[str, tuple[str, str]] | None = None,
    level_t0: str | None = "level_t0",
    level_t1: str | None = "level_t1",
    **options: Any,
) -> ProgrammeResult:
    """:func:`nqpf.evaluation.programme_effects` of a table of enterprises (one row each).

    ``outcomes`` maps an outcome name to its (T0 column, T1 column), default
    ``{"总分": ("total_t0", "total_t1")}``; the level columns are used when present.
    """
    outcomes = dict(outcomes or {"总分": ("total_t0", "total_t1")})
    a = np.column_stack([_numbers(frame, c0) for c0, _ in outcomes.values()])
    b = np.column_stack([_numbers(frame, c1) for _, c1 in outcomes.values()])
    have = level_t0 in frame.columns and level_t1 in frame.columns
    return programme_effects(
        a, b, names=list(outcomes),
        levels_t0=_numbers(frame, level_t0) if have else None,
        levels_t1=_numbers(frame, level_t1) if have else None,
        **options,
    )  # fmt: skip


def acceptance_table(
    frame: pd.DataFrame, rule: Any = "acceptance-sme-pilot-2023", **options: Any
) -> AcceptanceResult:
    """:func:`nqpf.evaluation.evaluate_acceptance` (default rule: the pilot cities' target)."""
    return evaluate_acceptance(rule, frame, **options)


def subsidy_table(frame: pd.DataFrame, rule: Any, **options: Any) -> SubsidyResult:
    """:func:`nqpf.evaluation.evaluate_subsidy` of a table of enterprises."""
    return evaluate_subsidy(rule, frame, **options)


def tables_xlsx(tables: Mapping[str, pd.DataFrame]) -> bytes:
    """Named tables as one XLSX download (:func:`nqpf.io.atomic.xlsx_bytes`)."""
    return xlsx_bytes(dict(tables))
