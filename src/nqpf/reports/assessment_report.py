"""HTML reports of enterprise assessments: one enterprise, and a park or region roll-up.

:func:`enterprise_report` lays out one scored response: the level and total, the dimension
table and radar, the unmet conditions of the next level, the 数字化经营 scene ladder with
the texts of the current and next level of every scene, the cheapest roadmap (steps, cost,
the 智能制造典型场景 each step is crosswalked to) and, when given, the carbon accounting
(totals, intensities, factors with sources and override flags).

:func:`rollup_report` summarises many scored enterprises (the ``scores`` table of
:func:`nqpf.services.assess.batch_file` or :func:`nqpf.assessment.batch_score`) by park,
district or region: level distribution, mean scores and the weakest scenes or questions.

Both return one self-contained HTML page from :func:`nqpf.reports.html.render_report`
(every caller string is escaped); print it to PDF with :func:`nqpf.reports.pdf.html_to_pdf`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from nqpf.assessment import Framework, ScoreResult, load_framework
from nqpf.assessment.carbon import FACTOR_NAMES_ZH
from nqpf.assessment.diagnosis import Diagnosis, Roadmap, diagnose
from nqpf.exceptions import DataValidationError, NqpfError
from nqpf.reports.assessment_plots import (
    LEVEL_NAMES,
    carbon_breakdown,
    level_distribution,
    level_gauge,
    radar,
    scene_ladder,
)
from nqpf.reports.html import Section, render_report
from nqpf.reports.labels import (
    CARBON_LINE_COLUMNS,
    answer_text,
    confidence_label,
    question_numbers,
)
from nqpf.reports.number_format import score
from nqpf.reports.plots import figure_to_data_uri

__all__ = ["SYNTHETIC_LABEL", "enterprise_report", "rollup_report"]

#: Banner and chart footnote for synthetic data.
SYNTHETIC_LABEL = "示例数据，非真实统计"

_ENTERPRISE_FIELDS = (
    ("name", "企业名称"),
    ("credit_code", "统一社会信用代码"),
    ("industry", "所属行业"),
    ("region", "所在地区"),
)
_KIND_CN = {"single": "单选题", "multi": "多选题", "number": "数值题", "scene": "场景"}


def _num(x: float) -> str:
    """Short number text: 51.7, 40, 0.025."""
    return f"{float(x):.6f}".rstrip("0").rstrip(".") if float(x) != int(x) else str(int(x))


def _level_name(level: int | None) -> str:
    return "—" if level is None else LEVEL_NAMES.get(int(level), f"{int(level)}级")


def _framework(result: ScoreResult, framework: Framework | None) -> Framework | None:
    if framework is not None:
        return framework
    try:
        return load_framework(result.framework)
    except NqpfError:
        return None


def _enterprise_meta(enterprise: Mapping[str, Any] | None) -> dict[str, str]:
    meta: dict[str, str] = {}
    if not enterprise:
        return meta
    known = dict(_ENTERPRISE_FIELDS)
    for key, label in _ENTERPRISE_FIELDS:
        value = enterprise.get(key)
        if value not in (None, ""):
            meta[label] = str(value)
    for key, value in enterprise.items():
        if key not in known and value not in (None, ""):
            meta[str(key)] = str(value)
    return meta


# ----------------------------------------------------------------------- enterprise


def _dimension_section(
    result: ScoreResult, note: str | None, fw: Framework | None = None
) -> Section:
    max_by_dim: dict[str, float] = {}
    for q in result.questions:
        max_by_dim[q.dimension] = max_by_dim.get(q.dimension, 0.0) + float(q.max_points)
    rows = []
    for name, pts in result.dimensions.items():
        mx = max_by_dim.get(name)
        rows.append(
            {
                "维度": name,
                "得分": float(pts),
                "满分": mx,
                "得分率": f"{pts / mx:.1%}" if mx else "",
            }
        )
    rows.append(
        {
            "维度": "合计",
            "得分": float(result.total),
            "满分": float(result.max_total),
            "得分率": f"{result.total / result.max_total:.1%}" if result.max_total else "",
        }
    )
    figures: list[tuple[str, str]] = []
    dims = {n: (float(p), max_by_dim[n]) for n, p in result.dimensions.items() if max_by_dim.get(n)}
    if len(dims) >= 3:
        figures.append(("各维度得分率雷达图", figure_to_data_uri(radar(dims, note=note))))
    number = question_numbers(result.questions)
    asked = {q.id: q for q in fw.questions} if fw is not None else {}
    lost = sorted(
        (q for q in result.questions if q.max_points - q.points > 1e-9),
        key=lambda q: q.points - q.max_points,
    )
    lost_frame = pd.DataFrame(
        [
            {
                "题号": number[q.id],
                "题目": q.title,
                "维度": q.dimension,
                "作答": answer_text(asked.get(q.id), q.answer),
                "得分": float(q.points),
                "满分": float(q.max_points),
                "失分": float(q.max_points - q.points),
            }
            for q in lost
        ],
        columns=["题号", "题目", "维度", "作答", "得分", "满分", "失分"],
    )
    tables = [("维度得分", pd.DataFrame(rows))]
    if not lost_frame.empty:
        tables.append(("失分题目（按失分从多到少）", lost_frame))
    return Section("维度得分", figures=figures, tables=tables)


def _conditions_section(result: ScoreResult) -> Section:
    if not result.next_level:
        text = (
            "已达到最高等级，无下一等级条件。"
            if result.level > 0 and not any(c.level > result.level for c in result.conditions)
            else "下一等级的条件均已满足。"
        )
        return Section("升级条件", text=text)
    frame = pd.DataFrame(
        [
            {
                "等级": c.level_name,
                "条件": c.label,
                "要求": _num(c.required),
                "当前": _num(c.current),
                "状态": "已满足" if c.met else "未满足",
                "说明": c.message,
            }
            for c in result.next_level
        ]
    )
    nxt = result.next_level[0].level_name
    return Section(
        "升级条件",
        text=f"距{nxt}尚有 {len(result.next_level)} 项条件未满足：",
        tables=[(f"{nxt}未满足条件", frame)],
    )


def _scene_target(fw: Framework | None, level: int | None) -> int | None:
    if fw is None or level is None:
        return None
    for row in fw.level_rule.levels:
        if row.level == level:
            return row.scene_level
    return None


def _scene_section(
    diagnosis: Diagnosis, target_scene_level: int | None, note: str | None
) -> Section:
    frame = pd.DataFrame(
        [
            {
                "场景": s.name,
                "类别": "约束性" if s.binding else "指导性",
                "场景组": s.group,
                "当前等级": _level_name(s.level),
                "当前水平": s.current_text,
                "下一级要求": s.next_text or "（已达最高级）",
                "升级所需等级": _level_name(s.required_level) if s.required_level else "",
                "差距": s.gap,
                "典型场景": "；".join(map(str, s.typical_scenes)),
            }
            for s in diagnosis.scenes
        ]
    )
    fig = scene_ladder(diagnosis.scenes, target_level=target_scene_level, note=note)
    n_bind = sum(s.binding for s in diagnosis.scenes)
    text = (
        f"共 {len(diagnosis.scenes)} 个数字化经营场景，其中约束性场景 {n_bind} 个（★）。"
        "阶梯图中实心格为已达到的等级，粗框为当前等级，斜线格为升级所需补齐的等级。"
    )
    return Section(
        "数字化经营场景",
        text=text,
        figures=[("场景等级阶梯", figure_to_data_uri(fig))],
        tables=[("场景现状与下一级要求", frame)],
    )


def _roadmap_section(rm: Roadmap) -> Section:
    paragraphs = [
        f"从{_level_name(rm.current_level)}到{_level_name(rm.target_level)}："
        + (
            f"共 {len(rm.steps)} 步，最小总成本 {_num(round(rm.total_cost, 6))}（{rm.cost_units}）。"
            if rm.reachable
            else "按当前框架无法达到目标等级。"
        )
    ]
    if rm.message:
        paragraphs.append(rm.message)
    if rm.projected is not None:
        paragraphs.append(
            f"全部实施后：总分 {score(rm.projected.total)}，等级 {rm.projected.level_name}。"
        )
    paragraphs.append(
        f"成本表可信度：{confidence_label(rm.cost_confidence)}；成本为 nqpf 示例默认值，"
        "非官方报价，请按实际情况替换。"
    )
    steps = pd.DataFrame(
        [
            {
                "序号": i,
                "类型": _KIND_CN.get(s.kind, s.kind),
                "事项": s.title,
                "调整": s.detail,
                "加分": float(s.points_gain),
                "成本": float(s.cost),
                "约束性": "★" if s.binding else "",
                "典型场景": "；".join(map(str, s.typical_scenes)),
            }
            for i, s in enumerate(rm.steps, 1)
        ],
        columns=["序号", "类型", "事项", "调整", "加分", "成本", "约束性", "典型场景"],
    )
    tables = [("提升步骤", steps)] if rm.steps else []
    seen: dict[int, Any] = {}
    for s in rm.steps:
        for ts in s.typical_scenes:
            seen.setdefault(ts.number, ts)
    if seen:
        ref = pd.DataFrame(
            [
                {
                    "编号": ts.number,
                    "典型场景": ts.name,
                    "环节": ts.stage,
                    "编号可信度": confidence_label(ts.number_confidence),
                    "说明": ts.description,
                }
                for _, ts in sorted(seen.items())
            ]
        )
        tables.append(("涉及的智能制造典型场景（2025年版）", ref))
    return Section("提升路线图", text="\n\n".join(paragraphs), tables=tables)


def _carbon_section(carbon: Any, note: str | None) -> Section:
    summary = carbon.summary()
    totals = pd.DataFrame(
        [{"项目": k, "数值": v if isinstance(v, int | float) else str(v)} for k, v in summary.rows]
    )
    totals["数值"] = totals["数值"].map(
        lambda v: f"{v:,.4f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)
    )
    tables: list[tuple[str, pd.DataFrame]] = [("核算结果", totals)]
    if carbon.intensities:
        tables.append(
            (
                "强度指标",
                pd.DataFrame(
                    [{"指标": n, "数值": float(v), "单位": u} for n, v, u in carbon.intensities]
                ),
            )
        )
    lines = carbon.to_frame().rename(columns=CARBON_LINE_COLUMNS)
    tables.append(("分品种能耗与排放", lines))
    factors = carbon.factors_frame()
    factors = pd.DataFrame(
        {
            "能源品种": factors["carrier"],
            "因子": factors["factor"].map(lambda f: FACTOR_NAMES_ZH.get(f, f)),
            "数值": factors["value"].astype(float),
            "单位": factors["unit"],
            "来源": factors["source"],
            "可信度": factors["confidence"].map(confidence_label),
            "用户覆盖": factors["overridden"].map(lambda b: "是（用户指定）" if b else "否"),
        }
    )
    tables.append(("使用的排放因子与折标系数", factors))
    region = "全国" if carbon.region is None else f"{carbon.region}（{carbon.region_code}）"
    paragraphs = [
        f"核算年份 {carbon.year}，地区 {region}；综合能耗 {carbon.energy_tce:,.2f} tce，"
        f"排放总量 E = {carbon.e_total:,.2f} tCO2。",
        *(carbon.notes_zh or carbon.notes),
    ]
    if carbon.tables:
        paragraphs.append("因子表：" + "；".join(carbon.tables))
    return Section(
        "碳排放与能耗",
        text="\n\n".join(paragraphs),
        figures=[("排放构成", figure_to_data_uri(carbon_breakdown(carbon, note=note)))],
        tables=tables,
    )


def enterprise_report(
    result: ScoreResult,
    *,
    roadmap: Roadmap | None = None,
    diagnosis: Diagnosis | None = None,
    carbon: Any = None,
    enterprise: Mapping[str, Any] | None = None,
    synthetic: bool = False,
    framework: Framework | None = None,
    title: str | None = None,
    extra_sections: Sequence[Section] = (),
) -> str:
    """HTML diagnosis report of one enterprise.

    Parameters
    ----------
    result
        The scored response (:func:`nqpf.assessment.score`).
    roadmap
        :func:`nqpf.assessment.roadmap` of ``result``; adds the 提升路线图 section and marks
        the target scene level on the ladder.
    diagnosis
        :func:`nqpf.assessment.diagnose` of ``result``; computed here when omitted (and
        the scene section is left out if the framework cannot be loaded).
    carbon
        A :class:`~nqpf.assessment.carbon.CarbonResult`; adds the 碳排放与能耗 section.
    enterprise
        Facts shown under the heading: ``name`` (企业名称), ``credit_code`` (统一社会信用代码),
        ``industry``, ``region``; any other keys are shown as given.
    synthetic
        Mark the page and every chart as 示例数据，非真实统计.
    framework
        The framework used, when it is not a shipped one (a YAML path).
    title
        Page title; default ``"<name> 数字化水平诊断报告"``.
    extra_sections
        Sections added at the end (the effect section of a re-assessment).

    Returns
    -------
    str
        The HTML page.
    """
    if not isinstance(result, ScoreResult):
        raise DataValidationError(
            f"expected a ScoreResult, got {type(result).__name__}", field="result"
        )
    note = SYNTHETIC_LABEL if synthetic else None
    fw = _framework(result, framework)
    if diagnosis is None and fw is not None:
        diagnosis = diagnose(result, framework=fw)
    name = (enterprise or {}).get("name")
    if title is None:
        title = f"{name} 数字化水平诊断报告" if name else "企业数字化水平诊断报告"
    meta = _enterprise_meta(enterprise)
    meta["评测等级"] = result.level_name
    meta["总分"] = f"{score(result.total)} / {score(result.max_total)}"
    meta["评测框架"] = f"{fw.name}（{result.framework}）" if fw is not None else result.framework
    meta["等级规则可信度"] = confidence_label(result.rule_confidence)

    thresholds = sorted(
        {(c.level, c.level_name, float(c.required)) for c in result.conditions if c.kind == "score"}
    )
    overview = [
        f"评测等级：{result.level_name}；总分 {score(result.total)} 分（满分 {score(result.max_total)}）。"
    ]
    if result.next_level:
        overview.append(
            f"距{result.next_level[0].level_name}尚有 {len(result.next_level)} 项条件未满足，"
            "见“升级条件”。"
        )
    if result.rule_confidence != "official":
        overview.append(
            f"等级规则的可信度为“{confidence_label(result.rule_confidence)}”，"
            "正式认定须以官方文件与评测机构结论为准。"
        )
    figures = []
    if thresholds:
        gauge = level_gauge(
            result.total, thresholds, max_total=result.max_total, level=result.level, note=note
        )
        figures.append(("总分与等级门槛", figure_to_data_uri(gauge)))
    sections = [
        Section("评测结论", text="\n\n".join(overview), figures=figures),
        _dimension_section(result, note, fw),
        _conditions_section(result),
    ]
    if diagnosis is not None:
        target = roadmap.target_level if roadmap is not None else diagnosis.next_level
        sections.append(_scene_section(diagnosis, _scene_target(fw, target), note))
    if roadmap is not None:
        sections.append(_roadmap_section(roadmap))
    if carbon is not None:
        sections.append(_carbon_section(carbon, note))
    sections.extend(extra_sections)
    return render_report(
        title=title,
        subtitle=f"评测等级 {result.level_name} · 总分 {score(result.total)}",
        synthetic_label=SYNTHETIC_LABEL if synthetic else None,
        meta=meta,
        sections=sections,
        decimals=2,
    )


# --------------------------------------------------------------------------- roll-up


def _resolve(framework: Framework | str | None) -> Framework:
    if isinstance(framework, Framework):
        return framework
    return load_framework(framework or "sme-digital")


def _scores_sections(
    scores: pd.DataFrame, group: str | None, fw: Framework, note: str | None, weakest: int
) -> tuple[list[Section], int]:
    """Sections computed from the per-enterprise ``scores`` table, and the number used."""
    if not isinstance(scores, pd.DataFrame):
        raise DataValidationError("'scores' must be a pandas DataFrame", field="scores")
    for col in ("level", "total", *([group] if group else [])):
        if col not in scores.columns:
            raise DataValidationError(
                f"scores table lacks column {col!r}; columns: {', '.join(map(str, scores.columns))}",
                column=col,
            )
    data = scores
    if "valid" in data.columns:
        data = data[data["valid"].astype(bool)]
    data = data[data["level"].notna()].copy()
    n_invalid = len(scores) - len(data)
    if data.empty:
        raise DataValidationError("no validly scored enterprise in 'scores'", field="scores")
    data["level"] = data["level"].astype(int)
    gcol = group or "_all"
    if group is None:
        data[gcol] = "全部"
    data[gcol] = data[gcol].astype(str)
    max_level = max(r.level for r in fw.level_rule.levels)

    counts = (
        data.groupby(gcol, sort=True)["level"]
        .value_counts()
        .unstack(fill_value=0)
        .reindex(columns=range(max_level + 1), fill_value=0)
    )
    if group is not None and len(counts) > 1:
        counts.loc["合计"] = counts.sum()
    dist_fig = level_distribution(counts, note=note)
    dist_table = counts.rename(columns={k: _level_name(k) for k in counts.columns}).astype(int)
    dist_table.insert(0, "企业数", dist_table.sum(axis=1))
    dist_table.index.name = group or "范围"

    dims = [d.name for d in fw.scored_dimensions if d.name in data.columns]
    grouped = data.groupby(gcol, sort=True)
    means = grouped[["total", *dims]].mean().rename(columns={"total": "平均总分"})
    means.insert(0, "企业数", grouped.size())
    means["二级及以上占比"] = grouped["level"].apply(lambda s: f"{(s >= 2).mean():.1%}")
    if group is not None and len(means) > 1:
        overall = data[["total", *dims]].mean().rename({"total": "平均总分"})
        means.loc["合计"] = {
            "企业数": len(data),
            **overall.to_dict(),
            "二级及以上占比": f"{(data['level'] >= 2).mean():.1%}",
        }
    means["企业数"] = means["企业数"].astype(int)
    means.index.name = group or "范围"

    sections = [
        Section(
            "等级分布",
            text=(
                f"纳入汇总的企业 {len(data)} 家"
                + (f"（另有 {n_invalid} 行无效，未计入）" if n_invalid else "")
                + "。"
            ),
            figures=[("各组等级分布", figure_to_data_uri(dist_fig))],
            tables=[("等级分布（企业数）", dist_table)],
        ),
        Section("平均得分", tables=[("各组平均得分", means)]),
    ]

    scene_cols = [s for s in fw.scenes if s.id in data.columns]
    if scene_cols:
        rows = []
        for s in scene_cols:
            lv = pd.to_numeric(data[s.id], errors="coerce")
            rows.append(
                {
                    "场景": s.name,
                    "类别": "约束性" if s.binding else "指导性",
                    "平均等级": float(lv.mean()),
                    "一级企业占比": f"{(lv <= 1).mean():.1%}",
                }
            )
        weak = pd.DataFrame(rows).sort_values("平均等级", kind="stable").head(weakest)
        sections.append(
            Section("最薄弱场景", text="按平均场景等级从低到高。", tables=[("薄弱场景", weak)])
        )
    else:
        qs = [q for q in fw.questions if q.id in data.columns]
        number = question_numbers(fw.questions)
        if qs:
            rows = []
            for q in qs:
                mx = float(q.max_points)
                pts = pd.to_numeric(data[q.id], errors="coerce")
                rows.append(
                    {
                        "题号": number[q.id],
                        "题目": q.title,
                        "维度": fw.dimension_of.get(q.id, ""),
                        "平均得分": float(pts.mean()),
                        "满分": mx,
                        "平均得分率": float(pts.mean() / mx) if mx > 0 else np.nan,
                    }
                )
            weak = pd.DataFrame(rows).sort_values("平均得分率", kind="stable").head(weakest)
            sections.append(
                Section(
                    "最薄弱题目",
                    text="输入表中没有场景等级列，按各题平均得分率从低到高列出。",
                    tables=[("薄弱题目", weak)],
                )
            )
    return sections, len(data)


_GROUP_TITLES = {
    "rollup_industry": "按行业汇总",
    "rollup_region": "按地区汇总",
    "rollup_chain": "按产业链环节汇总",
}
_SCENE_COLUMNS = {
    "rank": "序号",
    "scene": "场景",
    "binding": "约束性",
    "mean_level": "平均等级",
    "typical_scenes": "典型场景",
}


def _is_group_table(frame: Any) -> bool:
    """A precomputed roll-up table (``nqpf.assessment.rollup``: group, n, n_<level>, mean_…)."""
    return (
        isinstance(frame, pd.DataFrame)
        and "n" in frame.columns
        and "mean_total" in frame.columns
        and any(str(c).startswith("n_") and c != "n_valid" for c in frame.columns)
    )


def _group_table_section(
    key: str, frame: pd.DataFrame, scenes: pd.DataFrame | None, fw: Framework, note: str | None
) -> Section:
    cols = list(frame.columns)
    keys = cols[: cols.index("n")] or ["group"]
    label = frame[keys].astype(str).agg(" / ".join, axis=1)
    names = {0: LEVEL_NAMES[0], **{r.level: r.name for r in fw.level_rule.levels}}
    counts = pd.DataFrame(
        {lv: frame[f"n_{nm}"].to_numpy() for lv, nm in sorted(names.items()) if f"n_{nm}" in cols},
        index=label.to_numpy(),
    )
    figures = []
    if not counts.empty and counts.to_numpy().sum() > 0:
        figures.append(("等级分布", figure_to_data_uri(level_distribution(counts, note=note))))
    show = [c for c in keys if c in cols] + [
        c
        for c in cols
        if c in ("n", "n_valid")
        or (c.startswith("n_") and c != "n_valid")
        or c.startswith(("share_ge_", "mean_"))
        or c == "weakest_scenes"
    ]
    rename = {"group": "分组", "n": "企业数", "n_valid": "有效", "weakest_scenes": "最薄弱场景"}
    for c in show:
        if c.startswith("n_") and c != "n_valid":
            rename[c] = c[2:]
        elif c.startswith("share_ge_"):
            rename[c] = f"{c[9:]}及以上占比"
        elif c == "mean_total":
            rename[c] = "平均总分"
        elif c.startswith("mean_"):
            rename[c] = f"平均{c[5:]}"
    table = frame[show].rename(columns=rename)
    for c in table.columns:
        if c.endswith("及以上占比"):
            table[c] = table[c].map(lambda v: "" if pd.isna(v) else f"{float(v):.1%}")
    tables = [("各组统计", table)]
    if scenes is not None and not scenes.empty:
        keep = [c for c in scenes.columns if c != "scene_id"]
        weak = scenes[keep].rename(columns={"group": "分组", **_SCENE_COLUMNS})
        if "约束性" in weak.columns:
            weak["约束性"] = weak["约束性"].map(lambda b: "★" if bool(b) else "")
        tables.append(("各组最薄弱场景", weak))
    return Section(_GROUP_TITLES.get(key, f"汇总：{key}"), figures=figures, tables=tables)


def rollup_report(
    rollup_tables: Mapping[str, pd.DataFrame],
    *,
    title: str,
    synthetic: bool = False,
    group: str | None = None,
    framework: Framework | str | None = None,
    meta: Mapping[str, str] | None = None,
    weakest: int = 10,
    extra_sections: Sequence[Section] = (),
) -> str:
    """HTML roll-up of many scored enterprises for a park or region.

    Parameters
    ----------
    rollup_tables
        Either or both of:

        * ``scores``: one row per enterprise with ``level``, ``total``, the dimension
          columns and optionally ``valid``, question columns (points) and scene columns
          (levels, by scene id) — the ``scores`` table of
          :func:`nqpf.services.assess.batch_file`, plus the ``group`` column;
        * precomputed roll-up tables (``rollup_industry``, ``rollup_region``,
          ``rollup_chain`` … from :mod:`nqpf.assessment.rollup`: key columns, ``n``,
          ``n_valid``, ``n_<level name>``, ``share_ge_<level name>``, ``mean_total``,
          ``mean_<dimension>``, ``weakest_scenes``), each with its ``<key>_scenes`` table
          of weakest scenes if present; each gets a section with its level distribution.

        Any other tables are appended as they are, under 附表.
    title
        Page title, e.g. ``"某某高新区企业数字化水平汇总"``.
    synthetic
        Mark the page and charts as 示例数据，非真实统计.
    group
        Column to group by (park, district, industry …); ``None`` treats all as one group.
    framework
        The framework the scores come from (default the latest ``sme-digital``); gives
        the dimension names, question maxima and scene names.
    meta
        Extra facts under the heading.
    weakest
        Number of weakest scenes (or questions) to list.
    extra_sections
        Sections added after the roll-up (the evaluations of the authority's programmes,
        :func:`nqpf.services.evaluation.programme_sections`).

    Returns
    -------
    str
        The HTML page.  From ``scores``: level distribution by group (chart and table),
        mean scores by group, weakest scenes (mean scene level, lowest first) when scene columns are
        present, else weakest questions (mean share of the maximum).
    """
    group_keys = [k for k, v in rollup_tables.items() if _is_group_table(v)]
    if "scores" not in rollup_tables and not group_keys:
        raise DataValidationError(
            "rollup_tables needs a 'scores' table or roll-up tables (group, n, n_<level>, "
            f"mean_total …); got {sorted(rollup_tables)}",
            field="rollup_tables",
        )
    fw = _resolve(framework)
    note = SYNTHETIC_LABEL if synthetic else None
    sections: list[Section] = []
    used = set(group_keys)
    n_used: int | None = None
    if "scores" in rollup_tables:
        sections, n_used = _scores_sections(rollup_tables["scores"], group, fw, note, weakest)
        used.add("scores")
    for key in group_keys:
        scenes = rollup_tables.get(f"{key}_scenes")
        if isinstance(scenes, pd.DataFrame):
            used.add(f"{key}_scenes")
        else:
            scenes = None
        sections.append(_group_table_section(key, rollup_tables[key], scenes, fw, note))
    sections.extend(extra_sections)
    extra = [(k, v) for k, v in rollup_tables.items() if k not in used]
    if extra:
        sections.append(Section("附表", tables=[(str(k), v) for k, v in extra]))
    info = dict(meta or {})
    info.setdefault("评测框架", f"{fw.name}（{fw.key}）")
    if n_used is not None:
        info.setdefault("企业数", str(n_used))
    return render_report(
        title=title,
        synthetic_label=SYNTHETIC_LABEL if synthetic else None,
        meta=info,
        sections=sections,
        decimals=2,
    )
