"""The output tables and HTML report of an :class:`~nqpf.services.analyze_run.AnalysisRun`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from nqpf.reports.html import Section
from nqpf.services import _run_steps as steps

# The former writer of this module, kept for existing imports: runs are written by the
# services' path plumbing.
from nqpf.services.files import write_run as write_analyze_outputs

if TYPE_CHECKING:
    from nqpf.services.analyze_run import AnalysisRun

__all__ = [
    "TABLE_TITLES",
    "build_report",
    "dagum_paper_table",
    "finish_tables",
    "write_analyze_outputs",
]

TABLE_TITLES = {
    "gini": "基尼系数",
    "dagum": "Dagum 基尼系数分解（论文格式）",
    "dagum_components": "Dagum 分解：总体、组内、组间、超变密度",
    "dagum_groups": "Dagum 分解：区域内差异",
    "dagum_pairs": "Dagum 分解：区域间差异",
    "theil": "泰尔指数及其分解（论文格式）",
    "theil_groups": "泰尔指数：各区域",
    "theil_subgroups": "泰尔指数：嵌套子组",
    "kde": "核密度估计值",
    "kde_peaks": "核密度分布特征（主峰、峰数、宽度）",
    "markov": "传统马尔可夫转移概率矩阵",
    "spatial_markov": "空间马尔可夫转移概率矩阵",
    "spatial_markov_tests": "空间马尔可夫同质性检验",
    "mobility": "流动性指数：各类型（Prais、平均停留时间）",
    "mobility_indices": "流动性指数（Shorrocks、Bartholomew）",
    "moran": "全局莫兰指数",
    "local_moran": "局部莫兰指数（LISA）",
    "moran_rate": "比率的全局莫兰指数（经验贝叶斯标准化）",
    "moran_bv": "双变量全局莫兰指数",
    "local_moran_bv": "双变量局部莫兰指数",
    "sigma": "σ 收敛",
    "beta": "β 收敛回归",
    "beta_summary": "β 收敛速度与半衰期",
    "metadata": "运行信息",
}


def dagum_paper_table(res, period: str) -> pd.DataFrame:
    """One row per period: G, G_jj per region, G_jh per pair, and the three contribution rates."""
    rows = []
    for p, r in res.results.items():
        row = {period: p, "G": r.total}
        for g, v in zip(r.groups, r.G_jj, strict=True):
            row[f"{g}"] = v
        for i in range(r.k):
            for j in range(i + 1, r.k):
                row[f"{r.groups[i]}–{r.groups[j]}"] = r.G_jh[i, j]
        share = r.shares
        row["within_pct"] = 100 * share["within"]
        row["between_pct"] = 100 * share["between"]
        row["transvariation_pct"] = 100 * share["transvariation"]
        rows.append(row)
    return pd.DataFrame(rows)


def _per_period(res, table: str, period: str) -> pd.DataFrame:
    """One sub-table of every period's result, stacked (keeps integer columns integer)."""
    parts = []
    for p, r in res.results.items():
        frame = r.to_frame(table=table)
        frame.insert(0, period, p)
        parts.append(frame)
    return pd.concat(parts, ignore_index=True)


def finish_tables(run: AnalysisRun) -> dict[str, pd.DataFrame]:
    """The run's tables reshaped for output: Dagum in papers' layout, Markov with labels."""
    cfg = run.config
    per = cfg.data.period
    t = dict(run.tables)
    r = run.results
    if "dagum" in r:
        full = t.pop("dagum")
        t["dagum"] = dagum_paper_table(r["dagum"], per)
        for part in ("components", "groups", "pairs"):
            t[f"dagum_{part}"] = _per_period(r["dagum"], part, per)
    if "theil" in t:
        full = t.pop("theil")
        comp = full[full["table"] == "components"]
        t["theil"] = comp.pivot(index=per, columns="component", values="value").reset_index()
        shares = comp.pivot(index=per, columns="component", values="contribution_pct")
        for c in shares.columns:
            if c != "total":
                t["theil"][f"{c}_pct"] = shares[c].to_numpy()
        if cfg.analyses.theil.permutations:
            between = comp[comp["component"] == "between"].set_index(per)["p_value"]
            t["theil"]["between_p_value"] = between.loc[t["theil"][per]].to_numpy()
        t["theil_groups"] = _per_period(r["theil"], "groups", per)
        if cfg.data.subgroup:
            t["theil_subgroups"] = _per_period(r["theil"], "subgroups", per)
    if "kde" in r:
        peaks = r["kde"].peaks().reset_index(drop=True).rename(columns={"period": per})
        peaks["peaks"] = [", ".join(f"{x:.4f}" for x in v) for v in peaks["peaks"]]
        t["kde_peaks"] = peaks
    if "markov" in t:
        t["markov"] = t["markov"].reset_index()
    if "spatial_markov" in r:
        sm = r["spatial_markov"]
        t["spatial_markov_tests"] = pd.DataFrame(
            {
                "statistic": ["Q", "LR"],
                "value": [sm.Q, sm.LR],
                "dof": [sm.dof, sm.dof],
                "p_value": [sm.Q_p_value, sm.LR_p_value],
            }
        )
    if "mobility" in r:
        t["mobility_indices"] = r["mobility"].to_frame(table="indices")
    if "beta" in r:
        b = r["beta"]
        t["beta_summary"] = pd.DataFrame(
            {
                "item": ["beta", "se", "p", "speed", "half_life", "converging", "n_obs"],
                "value": [b.beta, b.se, b.p, b.speed, b.half_life, bool(b.converging), b.n_obs],
            }
        )
    meta = t.pop("metadata")
    order = [k for k in TABLE_TITLES if k in t]
    return {**{k: t[k] for k in order}, "metadata": meta}


def build_report(run: AnalysisRun, tables: dict[str, pd.DataFrame]) -> str:
    # matplotlib is loaded only when a report is drawn (not by every import of the
    # services, e.g. the web app's start)
    from nqpf.reports import disparity_plots as dp
    from nqpf.reports.plots import figure_to_data_uri as uri

    cfg = run.config
    per, ent = cfg.data.period, cfg.data.entity
    note = steps.synthetic_note(cfg)
    r = run.results
    sections: list[Section] = []
    if "dagum" in r:
        paper = tables["dagum"]
        groups = list(next(iter(r["dagum"].results.values())).groups)
        sections.append(
            Section(
                "区域差异：Dagum 基尼系数分解",
                text=(
                    "G = G_w + G_nb + G_t（Dagum 1997）；组内差异、组间净差异与超变密度的贡献率。"
                    "区域按均值升序排列。"
                ),
                figures=[
                    ("总体差异与贡献率", uri(dp.dagum_trend(paper, period=per, note=note))),
                    (
                        "区域内差异",
                        uri(dp.group_gini_trend(paper, period=per, groups=groups, note=note)),
                    ),
                ],
                tables=[(TABLE_TITLES["dagum"], paper)],
            )
        )
    elif "gini" in tables:
        sections.append(Section("基尼系数", tables=[(TABLE_TITLES["gini"], tables["gini"])]))
    if "theil" in tables:
        sections.append(Section("泰尔指数", tables=[(TABLE_TITLES["theil"], tables["theil"])]))
    if "kde" in r:
        k = r["kde"]
        periods = list(k.periods)
        group_kde = []
        if r.get("kde_groups"):
            fig = dp.kde_by_group(r["kde_groups"], k.grid, xlabel=cfg.data.value, note=note)
            group_kde.append(("分区域核密度", uri(fig)))
        sections.append(
            Section(
                "动态演进：核密度估计",
                text=f"高斯核，带宽规则 {k.bandwidth_rule}；各年份在同一网格上估计。",
                figures=[
                    (
                        "三维核密度",
                        uri(
                            dp.kde_3d(k.grid, k.density, periods, xlabel=cfg.data.value, note=note)
                        ),
                    ),
                    (
                        "分年份密度曲线",
                        uri(
                            dp.kde_ridge(
                                k.grid, k.density, periods, xlabel=cfg.data.value, note=note
                            )
                        ),
                    ),
                    *group_kde,
                ],
                tables=[(TABLE_TITLES["kde_peaks"], tables["kde_peaks"])],
            )
        )
    if "markov" in r:
        m = r["markov"]
        sections.append(
            Section(
                "传统马尔可夫链",
                text=f"按分位数划分为 {m.k} 类（{'、'.join(m.labels)}），切分点 {np.round(m.cutoffs, 4).tolist()}。",
                figures=[uri(dp.markov_heatmap(m.p, list(m.labels), note=note))],
                tables=[(TABLE_TITLES["markov"], tables["markov"])],
            )
        )
    if "spatial_markov" in r:
        sections.append(
            Section(
                "空间马尔可夫链",
                text="以 t 期邻域（空间滞后）类型为条件的转移概率；Q 与 LR 为 Bickenbach–Bode 同质性检验。",
                tables=[
                    (TABLE_TITLES["spatial_markov"], tables["spatial_markov"]),
                    (TABLE_TITLES["spatial_markov_tests"], tables["spatial_markov_tests"]),
                ],
            )
        )
    if "mobility" in r:
        sections.append(
            Section(
                "流动性指数",
                text="传统马尔可夫链的 Prais 流动性（1 − p_ii）、平均停留时间与 Shorrocks、Bartholomew 指数（giddy）。",
                tables=[
                    (TABLE_TITLES["mobility"], tables["mobility"]),
                    (TABLE_TITLES["mobility_indices"], tables["mobility_indices"]),
                ],
            )
        )
    if "moran" in r or "local_moran" in r:
        figs, tabs = [], []
        if "moran" in r:
            figs.append(
                ("全局莫兰指数", uri(dp.moran_trend(tables["moran"], period=per, note=note)))
            )
            tabs.append((TABLE_TITLES["moran"], tables["moran"]))
        if "local_moran" in r:
            sc = r["local_moran"].moran_scatter_data()
            scatter = dp.moran_scatter(
                sc["z"].to_numpy(),
                sc["lag"].to_numpy(),
                list(tables["local_moran"][ent]),
                note=note,
            )
            figs.append((f"{r['local_moran_period']} 年莫兰散点图", uri(scatter)))
            tabs.append((TABLE_TITLES["local_moran"], tables["local_moran"]))
        sections.append(Section("空间相关性：莫兰指数", figures=figs, tables=tabs))
    variants = [n for n in ("moran_rate", "moran_bv", "local_moran_bv") if n in tables]
    if variants:
        sections.append(
            Section(
                "空间相关性：比率与双变量莫兰指数",
                text=(
                    "比率按经验贝叶斯标准化（Assunção–Reis，esda Moran_Rate）；双变量莫兰指数为"
                    f"{cfg.data.value} 与另一变量空间滞后的相关（esda Moran_BV）。"
                ),
                tables=[(TABLE_TITLES[n], tables[n]) for n in variants],
            )
        )
    if "sigma" in tables or "beta" in tables:
        figs, tabs = [], []
        if "sigma" in tables:
            figs.append(uri(dp.sigma_trend(tables["sigma"], period=per, note=note)))
            tabs.append((TABLE_TITLES["sigma"], tables["sigma"]))
        if "beta" in tables:
            tabs += [
                (TABLE_TITLES["beta_summary"], tables["beta_summary"]),
                (TABLE_TITLES["beta"], tables["beta"]),
            ]
        sections.append(Section("收敛性检验", figures=figs, tables=tabs))
    return steps.render(run, cfg.data.value, sections)
