"""The HTML report of an :class:`~nqpf.services.index_run.IndexRun` and its table captions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from nqpf.indices.coupling import coordination_classes
from nqpf.reports.html import Section
from nqpf.services import _run_steps as steps

# The former writer of this module, kept for existing imports: runs are written by the
# services' path plumbing.
from nqpf.services.files import write_run as write_index_outputs

if TYPE_CHECKING:
    from nqpf.services.index_run import IndexRun

__all__ = ["TABLE_TITLES", "build_report", "write_index_outputs"]

#: Captions of the output tables (sheet names stay the ASCII keys).
TABLE_TITLES = {
    "index": "综合指数、排名与维度得分",
    "index_wide": "综合指数（单位 × 年份）",
    "rank_wide": "排名（单位 × 年份）",
    "period_summary": "各年份描述统计",
    "sub_dimensions": "二级维度得分",
    "weights": "指标权重",
    "dimension_weights": "维度权重",
    "obstacles_top": "主要障碍因子",
    "obstacles_dimension": "维度障碍度",
    "coupling": "耦合协调度",
    "filled_cells": "缺失值处理记录",
    "metadata": "运行信息",
}


def build_report(run: IndexRun) -> str:
    """The HTML report of a run: trends, weights, ranks, coupling and obstacles."""
    from nqpf.reports import plots  # matplotlib: loaded only when a report is drawn
    cfg = run.config
    ent, per = cfg.data.entity, cfg.data.period
    note = steps.synthetic_note(cfg)
    index = run.tables["index"]
    group = next((c for c in cfg.data.keep if c in ("region", "区域", "地区", "group")), None)

    sections = []
    trend_figs = [
        (
            "各单位综合指数",
            plots.figure_to_data_uri(
                plots.index_trend(
                    index, entity=ent, period=per, value="index", group=group, note=note
                )
            ),
        )
    ]
    if group is not None:
        trend_figs.append(
            (
                "分区域均值",
                plots.figure_to_data_uri(
                    plots.group_trend(index, group=group, period=per, value="index", note=note)
                ),
            )
        )
    sections.append(
        Section(
            "综合指数",
            text=f"方法：{run.result.method}。指数越高表示发展水平越高；排名 1 为最高。",
            figures=trend_figs,
            tables=[
                (TABLE_TITLES["index_wide"], run.tables["index_wide"]),
                (TABLE_TITLES["period_summary"], run.tables["period_summary"]),
            ],
        )
    )
    weights = run.tables["weights"].copy()
    weights["label"] = weights["name"].fillna(weights["id"])
    sections.append(
        Section(
            "指标权重",
            text=f"权重方法：{run.result.weights.method}。",
            figures=[
                plots.figure_to_data_uri(
                    plots.weights_bar(
                        weights, label="label", weight="weight", group="dimension", note=note
                    )
                )
            ],
            tables=[
                (TABLE_TITLES["dimension_weights"], run.tables["dimension_weights"]),
                (TABLE_TITLES["weights"], run.tables["weights"]),
            ],
        )
    )
    sections.append(
        Section(
            "排名",
            figures=[
                plots.figure_to_data_uri(
                    plots.rank_heatmap(index, entity=ent, period=per, rank="rank", note=note)
                )
            ],
            tables=[(TABLE_TITLES["rank_wide"], run.tables["rank_wide"])],
        )
    )
    if run.coupling is not None:
        classes = coordination_classes()
        coup = run.tables["coupling"]
        sections.append(
            Section(
                "耦合协调度",
                text=(
                    f"子系统：{'、'.join(run.coupling.subsystems)}；C 的形式：{run.coupling.method}。"
                    f"分类标准：{classes.source}"
                ),
                figures=[
                    plots.figure_to_data_uri(
                        plots.coupling_trend(coup, entity=ent, period=per, D="D", note=note)
                    )
                ],
                tables=[(TABLE_TITLES["coupling"], coup)],
            )
        )
    ob = run.result.obstacles
    mean_ob = pd.DataFrame({"indicator": list(ob.names), "obstacle": ob.mean_degrees})
    names = dict(zip(weights["id"], weights["label"], strict=True))
    mean_ob["label"] = mean_ob["indicator"].map(names)
    sections.append(
        Section(
            "障碍因子",
            text="障碍度 O_ij = w_j(1 − x'_ij) / Σ_j w_j(1 − x'_ij)；图为全样本平均障碍度。",
            figures=[
                plots.figure_to_data_uri(
                    plots.obstacle_bar(mean_ob, label="label", value="obstacle", note=note)
                )
            ],
            tables=[(TABLE_TITLES["obstacles_top"], run.tables["obstacles_top"])],
        )
    )
    if "filled_cells" in run.tables:
        sections.append(
            Section(
                "缺失值处理", tables=[(TABLE_TITLES["filled_cells"], run.tables["filled_cells"])]
            )
        )
    return steps.render(run, run.system.name, sections)
