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
* :func:`tables_xlsx` — any of these tables as one XLSX download;
* for the platform's stored data: :func:`compare_stored` (two stored response mappings),
  :func:`project_kpis` (stored project KPIs), :func:`read_members` (a programme's member
  file), :func:`programme_evaluation` (a programme's whole evaluation as one JSON
  document) and :func:`programme_xlsx` / :func:`programme_sections` (that document as an
  XLSX download and as report sections); :func:`run_programme_job` runs the evaluation
  as the background job kind ``programme_evaluation``.

:func:`did_file` and :func:`compare_files` are the same for paths, read through
:func:`nqpf.services.files.read_input`.
"""

from __future__ import annotations

import base64
import functools
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
from nqpf.services.jobs import JobOutput, OutputFile, job_kind

__all__ = [
    "COMPARE_TABLES",
    "DID_TABLES",
    "CompareOutcome",
    "DidOutcome",
    "acceptance_table",
    "compare_bytes",
    "compare_document",
    "compare_files",
    "compare_stored",
    "contrast_table",
    "did_bytes",
    "did_file",
    "did_methods",
    "did_panel",
    "event_study_png",
    "kpis_bytes",
    "programme_evaluation",
    "programme_sections",
    "programme_table",
    "programme_tables",
    "programme_xlsx",
    "project_kpis",
    "read_members",
    "read_panel",
    "rule_choices",
    "run_programme_job",
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

    # column by column (``tolist`` gives Python scalars): a fraction of to_dict("records")
    columns = [str(c) for c in frame.columns]
    values = [[plain(v) for v in frame[c].tolist()] for c in frame.columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


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


# ---------------------------------------------------------------- stored data (the web)
def compare_stored(
    t0: Mapping[str, Any], t1: Mapping[str, Any], *, framework: Any
) -> CompareOutcome:
    """Score two stored response mappings (an enterprise's T0 and T1 as the platform keeps
    them) with ``framework`` and compare them (:func:`nqpf.evaluation.compare`).

    Remembered by the answers (a page shows the same pair again and again); the outcome
    is frozen and its tables are not to be changed.
    """
    texts = (json.dumps(dict(t), sort_keys=True, ensure_ascii=False) for t in (t0, t1))
    return _compare_stored(framework, *texts)


@functools.lru_cache(maxsize=256)
def _compare_stored(framework: Any, t0_json: str, t1_json: str) -> CompareOutcome:
    from nqpf.assessment import score

    a, b = (score(framework, json.loads(t)) for t in (t0_json, t1_json))
    result = compare(a, b, framework=framework)
    return CompareOutcome(result, None, dict(result.tables()))


def project_kpis(projects: Sequence[tuple[str, Sequence[Mapping[str, Any]]]]) -> list[dict]:
    """:func:`nqpf.evaluation.kpi_effects` of each project's stored KPIs, as JSON-ready
    rows with the project's title in front (a project without KPIs gives none)."""
    rows: list[dict[str, Any]] = []
    for title, kpis in projects:
        if kpis:
            text = json.dumps(list(kpis), sort_keys=True, ensure_ascii=False)
            rows += [{"project": title, **r} for r in _kpi_records(text)]
    return rows


@functools.lru_cache(maxsize=1024)
def _kpi_records(kpis_json: str) -> tuple[dict[str, Any], ...]:
    return tuple(_records(kpi_effects(json.loads(kpis_json)).table))


_MEMBER_COLUMNS = {
    "credit_code": ("统一社会信用代码", "credit_code", "信用代码"),
    "start_year": ("起始年份", "start_year", "参与年份", "加入年份"),
    "scale": ("规模", "scale", "规上/规下"),
}


def read_members(data: bytes, name: str) -> list[dict[str, Any]]:
    """A programme's members from a CSV/XLSX file: 统一社会信用代码 (credit_code), 起始年份
    (start_year, the first year in the programme) and optionally 规模 (scale: 规上 / 规下).

    Returns one ``{"row", "credit_code", "start_year", "scale"}`` per line (``row`` is the
    spreadsheet row).  Errors name the file, row and column: a missing column, an invalid
    credit code, a year that is not a whole number 1990–2100, a scale other than 规上 /
    规下, a credit code listed twice.
    """
    frame = read_table(data, name=name, text_columns=True).dropna(how="all")
    first = int(frame.attrs.get("first_row", 2))
    found = {}
    for role, names in _MEMBER_COLUMNS.items():
        hit = next((c for c in frame.columns if str(c).strip() in names), None)
        if hit is None and role != "scale":
            raise DataValidationError(
                f"missing column {names[1]!r} ({names[0]})",
                file=name,
                column=names[0],
                zh=f"缺少列“{names[0]}”（{names[1]}）",
            )
        found[role] = hit
    from nqpf.codes import validate_credit_code

    out: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i, rec in enumerate(frame.to_dict("records")):
        row = i + first

        def cell(role: str, rec: Mapping[str, Any] = rec) -> str:
            v = rec.get(found[role]) if found[role] is not None else None
            return "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()

        try:
            code = validate_credit_code(cell("credit_code"))
        except DataValidationError as exc:
            raise exc.at(file=name, row=row) from None
        year_text = cell("start_year").removesuffix(".0").removesuffix("年")
        if not (year_text.isdigit() and 1990 <= int(year_text) <= 2100):
            raise DataValidationError(
                f"start year must be a whole year 1990–2100, got {cell('start_year')!r}",
                file=name,
                row=row,
                column=_MEMBER_COLUMNS["start_year"][0],
                zh=f"起始年份应为 1990–2100 的整数年份，收到 {cell('start_year')!r}",
            )
        scale = cell("scale")
        if scale not in ("", "规上", "规下"):
            raise DataValidationError(
                f"scale must be 规上 or 规下 (or empty), got {scale!r}",
                file=name,
                row=row,
                column=_MEMBER_COLUMNS["scale"][0],
                zh=f"规模应为“规上”或“规下”（或留空），收到 {scale!r}",
            )
        if code in seen:
            raise DataValidationError(
                f"credit code {code} is listed twice (rows {seen[code]} and {row})",
                file=name,
                row=row,
                column=_MEMBER_COLUMNS["credit_code"][0],
                zh=f"统一社会信用代码 {code} 重复出现（第 {seen[code]} 行与第 {row} 行）",
            )
        seen[code] = row
        out.append({"row": row, "credit_code": code, "start_year": int(year_text), "scale": scale})
    if not out:
        raise DataValidationError("the file lists no member", file=name, zh="文件中没有成员企业")
    return out


def _estimates(
    frame: pd.DataFrame, control: str, alpha: float, progress: Any
) -> tuple[list[DidResult], list[str]]:
    """The programme's estimates: CS with the chosen comparison group (simple and dynamic
    aggregation), CS with the other one, SA, did2s and the TWFE contrast.  The headline
    estimate's errors propagate; another that its data cannot support is left out with a
    note (SA without never-treated units …)."""
    other = "notyet" if control == "never" else "never"
    plan = [
        ("cs", control),
        ("cs", other),
        ("sa", "never"),
        ("did2s", "notyet"),
        ("twfe", "implicit"),
    ]
    results, notes = [], []
    for i, (method, group) in enumerate(plan):
        if progress is not None:
            progress(i / len(plan), f"估计 {method}（{group}）")
        kwargs = dict(unit="unit", time="year", cohort="cohort", outcome="y", alpha=alpha)
        try:
            results.append(did(frame, method=method, control=group, **kwargs))
        except DataValidationError as exc:
            if i == 0:
                raise
            notes.append(f"{method}（{group}）未能估计：{exc.reason_zh}")
    return results, notes


def _did_document(results: Sequence[DidResult], notes: Sequence[str]) -> dict[str, Any]:
    head = results[0]
    return {
        "estimates": _records(contrast_table(results)),
        "event_study": [
            {
                "method": r.method,
                "control": r.control,
                "rows": _records(r.event_study[["e", "att", "se", "ci_lo", "ci_hi"]]),
            }
            for r in results
        ],
        "cohorts": _records(head.cohorts),
        "warnings": [
            {"method": r.method, "control": r.control, "code": w.code, "message": w.message}
            for r in results
            for w in r.warnings
        ],
        "notes": list(notes),
        "chart_png": base64.b64encode(event_study_png(list(results))).decode(),
    }


def programme_evaluation(
    members: Sequence[Mapping[str, Any]],
    panel: Sequence[Mapping[str, Any]],
    *,
    outcome: str,
    acceptance_rule: str = "acceptance-sme-pilot-2023",
    subsidy_rule: str = "subsidy-longyan-2025",
    control: str = "never",
    alpha: float = 0.05,
    n_boot: int = 2000,
    rng: Any = 0,
    progress: Any = None,
) -> dict[str, Any]:
    """The whole evaluation of a programme as one JSON-ready document.

    Parameters
    ----------
    members
        One mapping per member enterprise: ``enterprise`` (name), ``scale`` (规上 / 规下 /
        empty), ``segment`` (细分行业: the industry code), ``level_t0``, ``level_t1``,
        ``total_t0``, ``total_t1`` (first and latest assessment; None when missing),
        optionally ``outcome_t0``, ``outcome_t1`` (the outcome at the first and the last
        year it was reported) and ``eligible_spend`` (万元: its projects' spend).
    panel
        One mapping per enterprise and year of the scope: ``unit``, ``year``, ``cohort``
        (the member's start year; 0 for an enterprise of the scope that is not a member:
        never treated) and ``y`` (the outcome).
    outcome
        The outcome's label (shown with the estimates; ``总分`` is the assessment total).
    acceptance_rule, subsidy_rule
        Shipped rule names (:func:`nqpf.evaluation.list_rules`).
    control
        Comparison group of the headline Callaway–Sant'Anna estimate (``never`` or
        ``notyet``); the other is estimated beside it.
    alpha, n_boot, rng
        1 − confidence level; bootstrap resamples and seed of the T0 → T1 intervals.
    progress
        ``progress(fraction, stage)`` called before each estimate.

    Returns
    -------
    dict
        ``change`` (:func:`programme_table`: outcomes, levels, level change, transition
        counts and shares), ``acceptance`` and ``subsidy`` (rows, rule, source,
        confidence), ``did`` (estimates side by side, event studies, cohorts, named
        warnings, notes, the event-study chart as base64 PNG) and ``caveats`` (every
        Chinese caveat once).

    Raises
    ------
    DataValidationError
        No member has two assessments; the headline estimate refused its panel (no
        never-treated unit with ``control="never"``, no treated unit …), in Chinese.
    """
    firms = pd.DataFrame(list(members))
    paired = firms.dropna(subset=["level_t0", "level_t1"]) if len(firms) else firms
    if paired.empty:
        raise DataValidationError(
            "no member has a first and a latest assessment",
            field="members",
            zh="没有成员企业有两次已提交的评测（T0 与 T1），无法评估前后变化",
        )
    outcomes = {"总分": ("total_t0", "total_t1")}
    if outcome != "总分" and paired.get("outcome_t0") is not None:
        both = paired[["outcome_t0", "outcome_t1"]].notna().all(axis=1)
        if both.any():
            outcomes[outcome] = ("outcome_t0", "outcome_t1")
    change = programme_table(paired, outcomes=outcomes, n_boot=n_boot, ci=1 - alpha, rng=rng)
    acceptance = acceptance_table(paired, acceptance_rule)
    subsidy = subsidy_table(paired, subsidy_rule, enterprise="enterprise")
    results, notes = _estimates(pd.DataFrame(list(panel)), control, alpha, progress)
    if progress is not None:
        progress(1.0, "完成")
    t = change.transition
    doc = {
        "outcome": outcome,
        "n_members": len(firms),
        "change": {
            "outcomes": _records(change.outcomes),
            "levels": _records(change.levels),
            "level_change": {k: float(v) for k, v in change.level_change.items()},
            "transitions": None
            if t is None
            else {
                "labels": list(t.labels),
                "counts": np.asarray(t.transitions).tolist(),
                "p": np.nan_to_num(np.asarray(t.p, dtype=float)).tolist(),
            },
            "notes": list(change.notes),
        },
        "acceptance": {
            "rule": acceptance.rule,
            "name": acceptance.name,
            "source": acceptance.source,
            "confidence": acceptance.confidence,
            "passed": acceptance.passed,
            "rows": _records(acceptance.table),
            "notes": list(acceptance.notes),
        },
        "subsidy": {
            "rule": subsidy.rule,
            "name": subsidy.name,
            "source": subsidy.source,
            "confidence": subsidy.confidence,
            "unit": subsidy.unit,
            "total": subsidy.total,
            "rows": _records(subsidy.table),
            "notes": list(subsidy.notes),
        },
        "did": _did_document(results, notes),
    }
    caveats = [w["message"] for w in doc["did"]["warnings"]] + list(change.notes)
    doc["caveats"] = list(dict.fromkeys(caveats))
    return doc


_METHOD_NAMES = {
    "cs": "Callaway–Sant'Anna",
    "sa": "Sun–Abraham",
    "did2s": "did2s（Gardner）",
    "twfe": "TWFE（有偏对照）",
}
_CONTROL_NAMES = {"never": "从未参与", "notyet": "尚未参与", "implicit": "其余观测（禁止比较）"}


def _frame(rows: Sequence[Mapping[str, Any]], columns: Mapping[str, str]) -> pd.DataFrame:
    """Stored rows as a table with Chinese headers (only ``columns``, in their order)."""
    frame = pd.DataFrame(list(rows))
    if frame.empty:
        return pd.DataFrame(columns=list(columns.values()))
    return frame[[c for c in columns if c in frame.columns]].rename(columns=columns)


def programme_tables(document: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The tables of a :func:`programme_evaluation` document, with Chinese names and headers."""
    did_doc, change = document["did"], document["change"]
    estimates = _frame(
        [
            {
                **r,
                "method": _METHOD_NAMES.get(r["method"], r["method"]),
                "control": _CONTROL_NAMES.get(r["control"], r["control"]),
            }
            for r in did_doc["estimates"]
        ],
        {
            "method": "方法",
            "control": "对照组",
            "att": "ATT",
            "se": "标准误",
            "ci_lo": "区间下限",
            "ci_hi": "区间上限",
            "pretrend_p": "处理前趋势 p 值",
            "n_units": "企业数",
            "n_treated": "处理企业数",
            "n_control": "对照企业数",
            "n_obs": "观测数",
            "warnings": "提示",
        },
    )
    events = pd.concat(
        [
            _frame(
                [
                    {
                        **r,
                        "method": _METHOD_NAMES[s["method"]],
                        "control": _CONTROL_NAMES.get(s["control"], s["control"]),
                    }
                    for r in s["rows"]
                ],
                {
                    "method": "方法",
                    "control": "对照组",
                    "e": "距参与年数 e",
                    "att": "效应",
                    "se": "标准误",
                    "ci_lo": "区间下限",
                    "ci_hi": "区间上限",
                },
            )
            for s in did_doc["event_study"]
        ],
        ignore_index=True,
    )
    t = change["transitions"]
    tables = {
        "前后变化": _frame(
            change["outcomes"],
            {
                "outcome": "结果",
                "n_pairs": "两期均有的企业数",
                "mean_t0": "T0 均值",
                "mean_t1": "T1 均值",
                "mean_delta": "平均变化",
                "mean_lo": "平均变化下限",
                "mean_hi": "平均变化上限",
                "median_delta": "中位数变化",
                "median_lo": "中位数下限",
                "median_hi": "中位数上限",
                "share_improving": "提升企业占比",
                "share_lo": "占比下限",
                "share_hi": "占比上限",
            },
        ),
        "等级分布": _frame(
            change["levels"],
            {
                "name": "等级",
                "n_t0": "T0 企业数",
                "n_t1": "T1 企业数",
                "share_at_least_t0": "T0 该级及以上占比",
                "share_at_least_t1": "T1 该级及以上占比",
            },
        ),
        "等级转移": pd.DataFrame(
            t["counts"] if t else [],
            index=pd.Index(t["labels"] if t else [], name="T0 \\ T1"),
            columns=t["labels"] if t else [],
        ).reset_index(),
        "验收": _frame(
            document["acceptance"]["rows"],
            {
                "label": "目标",
                "group": "分组",
                "n": "企业数",
                "n_meeting": "达到企业数",
                "share_t0": "T0 占比",
                "share_t1": "T1 占比",
                "value": "指标值",
                "threshold": "门槛",
                "passed": "达标",
            },
        ),
        "补助": _frame(
            document["subsidy"]["rows"],
            {
                "enterprise": "企业",
                "level": "改造后等级",
                "eligible_spend": "可补投入（万元）",
                "cap": "封顶（万元）",
                "subsidy": "补助（万元）",
                "reason": "说明",
            },
        ),
        "因果估计": estimates,
        "事件研究": events,
        "提示": pd.DataFrame({"提示": document["caveats"] + did_doc["notes"]}),
    }
    return tables


def programme_xlsx(document: Mapping[str, Any]) -> bytes:
    """A :func:`programme_evaluation` document as one XLSX download (a sheet per table)."""
    return tables_xlsx(programme_tables(document))


def programme_sections(document: Mapping[str, Any], *, name: str) -> list[Any]:
    """A :func:`programme_evaluation` document as report sections
    (:class:`nqpf.reports.html.Section`: the roll-up report and the programme's own PDF)."""
    from nqpf.reports.html import Section

    tables = programme_tables(document)
    did_doc = document["did"]
    head = did_doc["estimates"][0]
    text = [
        f"项目“{name}”：成员企业 {document['n_members']} 家，结果变量“{document['outcome']}”。",
        f"Callaway–Sant'Anna 平均处理效应 ATT = {head['att']:.4g}"
        f"（95% 区间 {head['ci_lo']:.4g} ~ {head['ci_hi']:.4g}；对照组："
        f"{_CONTROL_NAMES.get(head['control'], head['control'])}）。TWFE 仅作为有偏对照列出。",
        *document["caveats"],
        *did_doc["notes"],
    ]
    acc, sub = document["acceptance"], document["subsidy"]
    return [
        Section(
            f"项目效果评估：{name}",
            text="\n\n".join(text),
            figures=[("事件研究图", "data:image/png;base64," + did_doc["chart_png"])],
            tables=[
                ("因果估计（各方法并列）", tables["因果估计"]),
                ("前后变化（自助法区间）", tables["前后变化"]),
                ("T0 → T1 等级转移（企业数）", tables["等级转移"]),
            ],
        ),
        Section(
            f"验收与补助：{name}",
            text=f"验收规则：{acc['name']}（{acc['rule']}，来源 {acc['source']}，可信度 "
            f"{acc['confidence']}）\n\n补助规则：{sub['name']}（{sub['rule']}，来源 "
            f"{sub['source']}，可信度 {sub['confidence']}）；补助合计 {sub['total']:.2f} 万元。",
            tables=[("验收", tables["验收"]), ("补助", tables["补助"])],
        ),
    ]


def rule_choices() -> dict[str, list[tuple[str, str, str]]]:
    """The shipped rules by kind: ``{"acceptance": [(name, title, confidence)], "subsidy":
    [...]}`` (the programme form's choices)."""
    from nqpf.evaluation import list_rules, load_rule

    out: dict[str, list[tuple[str, str, str]]] = {"acceptance": [], "subsidy": []}
    for stem in list_rules():
        rule = load_rule(stem)
        out[rule.kind].append((stem, rule.name, rule.confidence))
    return out


# ------------------------------------------------------------------------ as a job
@job_kind("programme_evaluation", "项目效果评估")
def run_programme_job(
    config: Mapping[str, Any], inputs: Mapping[str, bytes], progress: Any
) -> JobOutput:
    """:func:`programme_evaluation` as a background job (kind ``programme_evaluation``).

    ``inputs["programme.json"]`` holds ``members`` and ``panel``; ``config`` the keyword
    options (``outcome``, ``acceptance_rule``, ``subsidy_rule``, ``control``) and the
    ``programme_id`` and ``revision`` the platform adopts the result for.  The result file
    ``evaluation.json`` is the document.
    """
    data = json.loads(inputs["programme.json"])
    options = {k: config[k] for k in ("outcome", "acceptance_rule", "subsidy_rule", "control")}
    progress(0.02, "读取面板")
    document = programme_evaluation(
        data["members"],
        data["panel"],
        progress=lambda done, stage: progress(0.05 + 0.9 * done, stage),
        **options,
    )
    head = document["did"]["estimates"][0]
    return JobOutput(
        files=(OutputFile("evaluation.json", "application/json",
                          json.dumps(document, ensure_ascii=False).encode()),),
        summary={"programme_id": config["programme_id"], "revision": config["revision"],
                 "att": head["att"], "ci": [head["ci_lo"], head["ci_hi"]]},
    )  # fmt: skip
