"""Regional analytics as a background job (kind ``analytics``): index → disparity → report.

One run takes a panel (an upload or a stored dataset such as the bundled demo panel) and
a JSON config (:func:`build_config`), computes the composite index
(:func:`nqpf.services.index_run.run_index`) and the disparity analyses of its values
(:func:`nqpf.services.analyze_run.run_analysis`), and returns the files a results page
offers — the HTML report (index and analyses in one page), its PDF, the two workbooks —
and a small summary (ranking of the last period, yearly series, weights, the values of
the map) that the page shows and that two runs are compared by (:func:`compare`).

Everything here is door-independent: the web stores the config and the panel with the
job (:mod:`nqpf.web.jobs`), so any run can be repeated from what is stored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from nqpf.datasets import SYNTHETIC_LABEL
from nqpf.exceptions import DataValidationError
from nqpf.io import read_table
from nqpf.io.atomic import xlsx_bytes
from nqpf.reports.maps import NO_DATA_COLOR, SEQUENTIAL, LegendEntry, MapCell, tile_grid
from nqpf.reports.maps import tile_map_svg as _tile_map_svg
from nqpf.services import analyze_run, index_run
from nqpf.services.files import InputFile
from nqpf.services.jobs import (
    JobOutput,
    JobProgress,
    OutputFile,
    job_kind,
    located_text,
    stage_progress,
)
from nqpf.systems import list_systems, load_system
from nqpf.systems.schema import IndicatorSystem

__all__ = [
    "AGGREGATIONS",
    "ANALYSES",
    "ANALYSIS_OPTIONS",
    "DATASETS",
    "WEIGHTINGS",
    "Comparison",
    "Dataset",
    "QualityView",
    "build_config",
    "check_upload",
    "compare",
    "dataset_bytes",
    "index_map_svg",
    "run_analytics",
    "series_svg",
    "system_options",
]

#: Weightings offered (key → label), as ``method.weighting`` of an index config.
WEIGHTINGS = {
    "entropy": "熵值法",
    "critic": "CRITIC 法",
    "cv": "变异系数法",
    "equal": "等权",
}
#: Aggregations offered (key → label), as ``method.aggregation``.
AGGREGATIONS = {
    "weighted_sum": "线性加权",
    "topsis": "TOPSIS",
    "grey": "灰色关联",
    "gra_topsis": "灰色关联 TOPSIS",
}
#: Disparity analyses offered (key → label and what it needs: ``group`` / ``code``).
ANALYSES: dict[str, tuple[str, str]] = {
    "gini": ("基尼系数", ""),
    "dagum": ("Dagum 基尼系数分解", "group"),
    "theil": ("泰尔指数", "group"),
    "kde": ("核密度估计", ""),
    "markov": ("马尔可夫链", ""),
    "spatial_markov": ("空间马尔可夫链", "code"),
    "moran": ("全局莫兰指数", "code"),
    "sigma": ("σ 收敛", ""),
    "beta": ("β 收敛", ""),
}
#: Permutations of the Moran tests in a job (as the CLI example, examples/nqpf-analyze.yaml).
PERMUTATIONS = 999
#: Seed of the permutation tests.
SEED = 20241
#: Options of the analyses that take any (as the CLI example).  :func:`build_config`
#: writes them into each run's config, so a re-run repeats them even if these change.
ANALYSIS_OPTIONS: dict[str, dict[str, Any]] = {
    "kde": {"bandwidth": "silverman"},
    "markov": {"k": 4},
    "spatial_markov": {"k": 4, "lag_cutoff_mode": "same"},
    "moran": {"permutations": PERMUTATIONS, "seed": SEED},
    "sigma": {"measure": "cv", "ddof": 0},
    "beta": {"kind": "absolute"},
}
CUSTOM = "custom"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Dataset:
    """A stored dataset an analyst can pick instead of uploading."""

    key: str
    label: str
    filename: str
    entity: str
    period: str
    code: str
    group: str
    system: str


DATASETS: dict[str, Dataset] = {
    "demo": Dataset(
        "demo",
        f"省域新质生产力示例面板（31 省 × 2012–2023，{SYNTHETIC_LABEL}）",
        "demo_panel.csv",
        "province",
        "year",
        "province_code",
        "region",
        "nqpf-three-factor",
    )
}


def dataset_bytes(key: str) -> bytes:
    """The bytes of the stored dataset ``key`` (CSV, UTF-8)."""
    if key not in DATASETS:
        raise DataValidationError(
            f"unknown dataset {key!r}", field="dataset", zh=f"没有名为 {key!r} 的数据集"
        )
    from nqpf.services.demo import demo_panel

    return demo_panel(system=DATASETS[key].system).to_csv(index=False).encode("utf-8")


def system_options() -> dict[str, str]:
    """The indicator-system presets (id → name) and ``custom``."""
    options = {
        s: f"{load_system(s).name}（{s}）"
        for s in list_systems()
        if not load_system(s).subsystems  # coupling systems need sub-systems' columns
    }
    options[CUSTOM] = "自定义：从数据的数值列中选择指标"
    return options


# -------------------------------------------------------------------------- config


def _choice(value: Any, options: Mapping[str, Any], field: str, label: str) -> str:
    if value not in options:
        raise DataValidationError(
            f"{field}: {value!r} is not one of {sorted(options)}",
            field=field,
            zh=f"{label}应为 {'、'.join(map(str, options))} 之一，收到 {value!r}",
        )
    return str(value)


def build_config(form: Mapping[str, Any], *, draft: bool = False) -> dict[str, Any]:
    """The canonical JSON config of a run from the form's fields.

    ``draft=True`` (the data check before the choices are complete) accepts a custom
    system without indicators yet.

    Fields: ``title``, ``filename``, ``entity``, ``period``, ``code`` and ``group``
    (columns; the last two may be empty), ``system`` (a preset id or ``custom``),
    ``indicators`` (custom: column ids) with ``direction_<id>`` (``+`` / ``-``),
    ``weighting``, ``aggregation``, ``analyses`` (keys of :data:`ANALYSES`).
    """
    system = _choice(form.get("system"), system_options(), "system", "指标体系")
    entity, period = str(form.get("entity") or "").strip(), str(form.get("period") or "").strip()
    for field, value, label in (("entity", entity, "单位列"), ("period", period, "时期列")):
        if not value:
            raise DataValidationError(f"{field} is required", field=field, zh=f"{label}不能为空")
    code, group = str(form.get("code") or "").strip(), str(form.get("group") or "").strip()
    analyses = [str(a) for a in form.get("analyses") or ()]
    for a in analyses:
        _choice(a, ANALYSES, "analyses", "分析方法")
        need = ANALYSES[a][1]
        if need == "group" and not group:
            raise DataValidationError(
                f"analysis {a!r} needs a group column",
                field="group",
                zh=f"{ANALYSES[a][0]}需要分组列（如 东部/中部/西部/东北）",
            )
        if need == "code" and not code:
            raise DataValidationError(
                f"analysis {a!r} needs the province code column",
                field="code",
                zh=f"{ANALYSES[a][0]}需要省级行政区代码列（用于空间权重）",
            )
    indicators: list[dict[str, str]] = []
    if system == CUSTOM:
        for ind in form.get("indicators") or ():
            direction = str(form.get(f"direction_{ind}") or "+")
            _choice(direction, {"+": 0, "-": 0}, f"direction_{ind}", f"指标 {ind} 的方向")
            indicators.append({"id": str(ind), "direction": direction})
        if len(indicators) < 2 and not draft:
            raise DataValidationError(
                "a custom system needs at least two indicators",
                field="indicators",
                zh="自定义指标体系至少需要选择两个指标列",
            )
    return {
        "title": str(form.get("title") or "区域新质生产力综合指数与区域差异").strip()[:200],
        "data": {
            "filename": str(form.get("filename") or "panel.csv"),
            "entity": entity,
            "period": period,
            "code": code,
            "group": group,
            "synthetic": bool(form.get("synthetic")),
        },
        "system": system,
        "indicators": indicators,
        "weighting": _choice(form.get("weighting"), WEIGHTINGS, "weighting", "赋权方法"),
        "aggregation": _choice(form.get("aggregation"), AGGREGATIONS, "aggregation", "集成方法"),
        "analyses": analyses,
        "analysis_options": {
            a: dict(ANALYSIS_OPTIONS[a]) for a in analyses if a in ANALYSIS_OPTIONS
        },
    }


def _custom_system(indicators: Sequence[Mapping[str, str]]) -> IndicatorSystem:
    return IndicatorSystem.model_validate(
        {
            "id": "custom",
            "version": "1",
            "name": "自定义指标体系",
            "source": "用户在平台上从上传数据的列中选择",
            "confidence": "unverified",
            "dimensions": [
                {
                    "name": "综合",
                    "sub_dimensions": [
                        {
                            "name": "所选指标",
                            "indicators": [
                                {"id": i["id"], "name": i["id"], "direction": i["direction"]}
                                for i in indicators
                            ],
                        }
                    ],
                }
            ],
        }
    )


def _system(config: Mapping[str, Any]) -> IndicatorSystem:
    if config["system"] == CUSTOM:
        return _custom_system(config["indicators"])
    return load_system(config["system"])


def _index_config(config: Mapping[str, Any]) -> Any:
    d = config["data"]
    keep = [c for c in (d["code"], d["group"]) if c]
    return index_run.parse_index_config(
        {
            "title": config["title"],
            "data": {
                "path": d["filename"],
                "entity": d["entity"],
                "period": d["period"],
                "keep": keep,
                "synthetic": d["synthetic"],
            },
            "system": config["system"] if config["system"] != CUSTOM else "custom",
            "method": {"weighting": config["weighting"], "aggregation": config["aggregation"]},
            # obstacle factors: the three largest, or all of a smaller custom system
            "obstacle": {"top_k": min(3, len(config["indicators"]) or 3)},
            "output": {"formats": ["xlsx"]},
        }
    )


def _analyze_config(config: Mapping[str, Any]) -> Any:
    d = config["data"]
    options = config.get("analysis_options", {})
    analyses = {a: options.get(a, {}) for a in config["analyses"]}
    spatial = any(ANALYSES[a][1] == "code" for a in analyses)
    return analyze_run.parse_analyze_config(
        {
            "title": f"{config['title']}：区域差异与动态演进",
            "data": {
                "path": "index.csv",
                "entity": d["entity"],
                "period": d["period"],
                "value": "index",
                "group": d["group"] or None,
                "keep": [d["code"]] if d["code"] else [],
                "synthetic": d["synthetic"],
            },
            "weights": (
                {"kind": "province_contiguity", "id_column": d["code"]} if spatial else None
            ),
            "analyses": analyses,
        }
    )


# -------------------------------------------------------------------- check upload


@dataclass(frozen=True)
class QualityView:
    """What the page shows before the analyst confirms: the data-quality report's
    findings and the table's columns."""

    rows: int
    units: int
    periods: int
    findings: tuple[tuple[str, str, str, int], ...]  # check, status, text (zh), count
    columns: tuple[str, ...]
    numeric: tuple[str, ...]
    missing_indicators: tuple[str, ...]

    @property
    def has_errors(self) -> bool:
        return any(f[1] == "error" for f in self.findings) or bool(self.missing_indicators)


def _mostly_numbers(column: pd.Series) -> bool:
    """A candidate indicator: at least half its cells read as numbers (the quality check
    then names the cells that do not)."""
    if pd.api.types.is_numeric_dtype(column):
        return True
    parsed = pd.to_numeric(column.astype(str).str.replace(",", ""), errors="coerce")
    return bool(parsed.notna().mean() >= 0.5)


def check_upload(name: str, data: bytes, config: Mapping[str, Any]) -> QualityView:
    """The data-quality report (:mod:`nqpf.io.quality`) of an upload under ``config``.

    For a custom system without chosen indicators yet, every column but the id columns
    whose cells are mostly numbers is checked.  Unreadable files raise :class:`DataValidationError`.
    """
    table = read_table(data, name=name)
    ids = {config["data"][k] for k in ("entity", "period", "code", "group")}
    columns = tuple(str(c) for c in table.columns)
    numeric = tuple(
        str(c) for c in table.columns if str(c) not in ids and _mostly_numbers(table[c])
    )
    cfg = dict(config)
    if cfg["system"] == CUSTOM and len(cfg.get("indicators") or ()) < 2:
        cfg["indicators"] = [{"id": c, "direction": "+"} for c in numeric]
    system = _system(cfg) if cfg["system"] != CUSTOM or cfg["indicators"] else None
    missing = tuple(i for i in (system.indicator_ids if system else ()) if i not in columns)
    if system is None or missing:
        return QualityView(len(table), 0, 0, (), columns, numeric, missing)
    report = index_run.check_data(_index_config(cfg), InputFile(name, data), system=system)
    findings = tuple(
        (f.check, f.status, located_text(f.error) if f.error else f.zh or f.message, f.count)
        for f in report.findings
    )
    return QualityView(report.rows, report.units, report.periods, findings, columns, numeric, ())


# ---------------------------------------------------------------------------- run


def _body(html: str) -> str:
    match = re.search(r"<body[^>]*>(.*)</body>", html, flags=re.S)
    return match.group(1) if match else html


def _report(index_html: str, analysis_html: str | None) -> str:
    """Index and analyses in one HTML page (both reports share one stylesheet)."""
    if analysis_html is None:
        return index_html
    return index_html.replace("</body>", f"<hr>{_body(analysis_html)}</body>", 1)


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) or math.isinf(v) else v


def _series(frame: pd.DataFrame | None, period: str, column: str) -> dict[str, float | None]:
    if frame is None or column not in frame.columns or period not in frame.columns:
        return {}
    return {str(p): _num(v) for p, v in zip(frame[period], frame[column], strict=True)}


def _summary(config: Mapping[str, Any], run: Any, analysis: Any) -> dict[str, Any]:
    d = config["data"]
    ent, per = d["entity"], d["period"]
    index = run.tables["index"]
    last = index[per].max()
    latest = index[index[per] == last].sort_values("index", ascending=False)
    ranking = [
        {
            "entity": str(row[ent]),
            "code": str(row[d["code"]]) if d["code"] else "",
            "index": _num(row["index"]),
        }
        for _, row in latest.iterrows()
    ]
    mean = index.groupby(per, sort=True)["index"].mean()
    series: dict[str, dict[str, float | None]] = {
        "平均指数": {str(p): _num(v) for p, v in mean.items()}
    }
    if analysis is not None:
        tables = analysis.output_tables
        year = "year" if "year" in tables.get("gini", pd.DataFrame()).columns else per
        for key, column, label in (
            ("gini", "G", "基尼系数"),
            ("theil", "total", "泰尔指数"),
            ("moran", "I", "莫兰指数 I"),
            ("sigma", "sigma", "σ 收敛系数"),
        ):
            values = _series(tables.get(key), year, column)
            if values:
                series[label] = values
    weights = run.tables["weights"]
    id_col = "id" if "id" in weights.columns else weights.columns[0]
    name_col = "name" if "name" in weights.columns else id_col
    weight_rows = [
        {"indicator": str(r[id_col]), "name": str(r[name_col]), "weight": _num(r["weight"])}
        for _, r in weights.iterrows()
    ]
    return {
        "entities": int(run.panel.n_entities),
        "periods": int(run.panel.n_periods),
        "last_period": str(last),
        "method": str(run.result.method),
        "ranking": ranking,
        "series": series,
        "weights": weight_rows,
        "analyses": list(config["analyses"]),
    }


def _pdf(html: str) -> bytes | None:
    from nqpf.reports.pdf import find_chromium, html_to_pdf_bytes

    if find_chromium() is None:
        return None
    return html_to_pdf_bytes(html)


@job_kind("analytics", "区域分析")
def run_analytics(
    config: Mapping[str, Any], inputs: Mapping[str, bytes], progress: JobProgress
) -> JobOutput:
    """Index, disparity analyses, report and workbooks of one stored config and panel.

    Progress: index 0–50 %, analyses 50–75 %, report 75–85 %, PDF 85–100 %.
    """
    name = config["data"]["filename"]
    if name not in inputs:
        raise DataValidationError(
            f"input file {name!r} is missing", field="data", zh=f"缺少输入文件 {name!r}"
        )
    index_stages = ("load", "quality", "weights", "aggregate", "coupling", "tables")
    run = index_run.run_index(
        _index_config(config),
        InputFile(name, inputs[name]),
        system=_system(config),
        progress=stage_progress(progress, 0.0, 0.5, index_stages),
    )
    analysis = None
    if config["analyses"]:
        analysis = analyze_run.run_analysis(
            _analyze_config(config),
            run.tables["index"],
            progress=stage_progress(progress, 0.5, 0.75, ("load", "quality", "analyses")),
        )
    progress(0.75, "生成报告")
    html = _report(run.report_html, analysis.report_html if analysis else None)
    files = [
        OutputFile("report.html", "text/html; charset=utf-8", html.encode("utf-8")),
        OutputFile("index.xlsx", XLSX, xlsx_bytes(run.output_tables)),
    ]
    if analysis is not None:
        files.append(OutputFile("analysis.xlsx", XLSX, xlsx_bytes(analysis.output_tables)))
    progress(0.85, "生成 PDF")
    pdf = _pdf(html)
    if pdf is not None:
        files.append(OutputFile("report.pdf", "application/pdf", pdf))
    summary = _summary(config, run, analysis)
    summary["pdf"] = pdf is not None
    return JobOutput(files=tuple(files), summary=summary)


# -------------------------------------------------------------------- page pieces


def index_map_svg(summary: Mapping[str, Any], *, note: str = "") -> str | None:
    """The tile map of the last period's index by province (None without codes).

    Five equal-width classes between the smallest and largest value; provinces without
    a value are grey.  Every region carries ``data-region-code``.
    """
    values: dict[str, float] = {}
    for row in summary.get("ranking", ()):
        code = str(row.get("code") or "")[:2]
        if code and row.get("index") is not None:
            values[code] = float(row["index"])
    if not values:
        return None
    lo, hi = min(values.values()), max(values.values())
    step = (hi - lo) / len(SEQUENTIAL) or 1.0

    def color(v: float) -> str:
        return SEQUENTIAL[min(int((v - lo) / step), len(SEQUENTIAL) - 1)]

    cells = []
    for tile in tile_grid(None):
        v = values.get(tile.key)
        text = "—" if v is None else f"{v:.3f}"
        cells.append(
            MapCell(
                tile.code,
                tile.name,
                tile.row,
                tile.col,
                v,
                text,
                NO_DATA_COLOR if v is None else color(v),
                tooltip=f"{tile.full_name}：综合指数 {text}",
            )
        )
    legend = [
        LegendEntry(f"{lo + i * step:.3f}–{lo + (i + 1) * step:.3f}", c)
        for i, c in enumerate(SEQUENTIAL)
    ] + [LegendEntry("无数据", NO_DATA_COLOR)]
    title = f"综合指数（{summary.get('last_period', '')}）"
    return _tile_map_svg(cells, title=title, legend=legend, note=note)


def series_svg(name: str, values: Mapping[str, float | None], *, width: int = 460) -> str:
    """A yearly series as a small line chart (SVG text): the axis from the series' own
    minimum to maximum (three decimals), each point with its value as a tooltip."""
    from html import escape

    points = [(str(p), float(v)) for p, v in values.items() if v is not None]
    height, left, right, top, bottom = 220, 56, 16, 30, 34
    lo = min((v for _, v in points), default=0.0)
    hi = max((v for _, v in points), default=1.0)
    span = (hi - lo) or 1.0
    step = (width - left - right) / max(len(points) - 1, 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top + (height - top - bottom) * (1 - (v - lo) / span)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart series" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{escape(name)}</title>"
        f'<text x="{left}" y="18" font-size="14" font-weight="600" fill="#1f2933">'
        f"{escape(name)}</text>",
    ]
    for v in (lo, hi):
        y = xy(0, v)[1]
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e4e7eb"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" fill="#7b8794" '
            f'text-anchor="end">{v:.3f}</text>'
        )
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, (_, v) in enumerate(points)))
    parts.append(f'<polyline points="{line}" fill="none" stroke="#3182bd" stroke-width="2"/>')
    for i, (period, v) in enumerate(points):
        x, y = xy(i, v)
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="#08519c">'
            f"<title>{escape(period)}：{v:.4f}</title></circle>"
        )
        if i % max(1, len(points) // 6) == 0 or i == len(points) - 1:
            parts.append(
                f'<text x="{x:.1f}" y="{height - bottom + 18}" font-size="11" fill="#1f2933" '
                f'text-anchor="middle">{escape(period)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Comparison:
    """Two runs side by side: what differs in the config and inputs, the index of each
    unit in the last period, and the yearly series."""

    config_changes: tuple[tuple[str, str, str], ...]  # key, run A, run B
    same_input: bool
    ranking: tuple[tuple[str, float | None, float | None, float | None], ...]
    series: tuple[tuple[str, str, float | None, float | None], ...]  # series, period, A, B


def _flat(config: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in config.items():
        if isinstance(v, Mapping):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = ", ".join(map(str, v)) if isinstance(v, list) else str(v)
    return out


def compare(
    config_a: Mapping[str, Any],
    summary_a: Mapping[str, Any],
    config_b: Mapping[str, Any],
    summary_b: Mapping[str, Any],
    *,
    same_input: bool,
) -> Comparison:
    """Compare two runs by their stored configs and summaries (B − A differences)."""
    fa, fb = _flat(config_a), _flat(config_b)
    changes = tuple(
        (k, fa.get(k, "—"), fb.get(k, "—"))
        for k in sorted(set(fa) | set(fb))
        if fa.get(k) != fb.get(k)
    )
    a = {r["entity"]: r["index"] for r in summary_a.get("ranking", ())}
    b = {r["entity"]: r["index"] for r in summary_b.get("ranking", ())}
    ranking = tuple(
        (e, a.get(e), b.get(e), None if a.get(e) is None or b.get(e) is None else b[e] - a[e])
        for e in sorted(set(a) | set(b), key=lambda e: -(b.get(e) or a.get(e) or 0.0))
    )
    sa, sb = summary_a.get("series", {}), summary_b.get("series", {})
    series = tuple(
        (name, period, sa.get(name, {}).get(period), sb.get(name, {}).get(period))
        for name in dict.fromkeys([*sa, *sb])
        for period in sorted(set(sa.get(name, {})) | set(sb.get(name, {})))
    )
    return Comparison(changes, same_input, ranking, series)
