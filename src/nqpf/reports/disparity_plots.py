"""Charts of regional disparity and dynamics: kernel density, Dagum, Markov, Moran.

Each function returns a matplotlib Figure built with the house figure kit
(:mod:`nqpf.reports._figure`: Agg canvas, no pyplot, CJK font), Chinese labels, and an
optional grey footnote (``note``, e.g. 示例数据，非真实统计).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from nqpf.reports._figure import (
    PALETTE,
    REGION_COLORS,
    label_axes,
    label_cells,
    new_canvas,
    new_figure,
)


def kde_3d(
    grid: np.ndarray,
    density: np.ndarray,
    periods: Sequence,
    *,
    title: str = "核密度估计",
    xlabel: str = "指数",
    note: str | None = None,
) -> Figure:
    """Kernel densities of all periods as a 3-D surface (x, year, density), as papers draw them."""
    fig, ax = new_figure(9.0, 6.0, note, projection="3d")
    years = np.asarray([float(p) if _numeric(p) else i for i, p in enumerate(periods)])
    X, Y = np.meshgrid(grid, years)
    ax.plot_surface(X, Y, density, cmap="viridis", linewidth=0, antialiased=True, alpha=0.9)
    label_axes(ax, title, xlabel, "年份")
    ax.set_zlabel("密度")
    ax.view_init(elev=28, azim=-60)
    return fig


def _numeric(p) -> bool:
    try:
        float(p)
    except (TypeError, ValueError):
        return False
    return True


def kde_ridge(
    grid: np.ndarray,
    density: np.ndarray,
    periods: Sequence,
    *,
    title: str = "核密度分布的演进",
    xlabel: str = "指数",
    note: str | None = None,
) -> Figure:
    """One density line per period, stacked upwards (ridge plot)."""
    fig, ax = new_figure(8.0, 6.5, note)
    step = float(np.nanmax(density)) * 0.45
    for i, (p, d) in enumerate(zip(periods, density, strict=True)):
        base = i * step
        # Beyond seven ridges colours stop telling periods apart: draw them in black.
        color = PALETTE[i % len(PALETTE)] if len(periods) <= 7 else None
        ax.fill_between(grid, base, base + d, alpha=0.35, color=color, linewidth=0)
        ax.plot(grid, base + d, color=color or "black", linewidth=1)
        ax.text(grid[0], base + step * 0.15, str(p), fontsize=8, va="bottom")
    ax.set_yticks([])
    label_axes(ax, title, xlabel)
    return fig


def dagum_trend(frame: pd.DataFrame, *, period: str, note: str | None = None) -> Figure:
    """Total Gini and the shares of within, net between and transvariation over time."""
    fig, ax = new_figure(8.5, 4.8, note)
    ax.plot(frame[period], frame["G"], marker="o", color="black", label="总体基尼系数 G")
    ax.set_ylabel("基尼系数")
    ax2 = ax.twinx()
    for col, label, color in (
        ("within_pct", "组内贡献率", "#1f77b4"),
        ("between_pct", "组间贡献率", "#d62728"),
        ("transvariation_pct", "超变密度贡献率", "#2ca02c"),
    ):
        ax2.plot(frame[period], frame[col], linestyle="--", marker=".", color=color, label=label)
    ax2.set_ylabel("贡献率 (%)")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(
        lines[0] + lines2[0],
        lines[1] + lines2[1],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12),
        ncol=4,
        frameon=False,
    )
    label_axes(ax, "Dagum 基尼系数及其分解", "年份")
    return fig


def group_gini_trend(
    frame: pd.DataFrame,
    *,
    period: str,
    groups: Sequence[str],
    title: str = "区域内基尼系数 G_jj",
    note: str | None = None,
) -> Figure:
    fig, ax = new_figure(8.0, 4.5, note)
    for i, g in enumerate(groups):
        ax.plot(
            frame[period],
            frame[g],
            marker="o",
            label=g,
            color=REGION_COLORS.get(g, PALETTE[i % len(PALETTE)]),
        )
    ax.legend(frameon=False)
    label_axes(ax, title, "年份", "基尼系数")
    return fig


def markov_heatmap(
    p: np.ndarray,
    labels: Sequence[str],
    *,
    title: str = "马尔可夫转移概率矩阵",
    note: str | None = None,
) -> Figure:
    fig, ax = new_figure(5.8, 5.0, note)
    im = ax.imshow(p, cmap="Blues", vmin=0, vmax=1)
    k = len(labels)
    ax.set_xticks(range(k), labels)
    ax.set_yticks(range(k), labels)
    label_cells(ax, p, lambda v: f"{v:.3f}", lambda v: "white" if v > 0.6 else "black", fontsize=9)
    fig.colorbar(im, ax=ax, shrink=0.8)
    label_axes(ax, title, "t+1 期类型", "t 期类型")
    return fig


def moran_trend(frame: pd.DataFrame, *, period: str, note: str | None = None) -> Figure:
    """Global Moran's I by period with its expectation; significant years marked."""
    fig, ax = new_figure(8.0, 4.5, note)
    ax.plot(frame[period], frame["I"], marker="o", color="#1f77b4", label="Moran's I")
    ax.axhline(float(frame["EI"].iloc[0]), color="grey", linestyle=":", label="E[I]")
    p = frame["p_sim"] if "p_sim" in frame and frame["p_sim"].notna().all() else frame["p_norm"]
    sig = p < 0.05
    ax.scatter(
        frame[period][sig],
        frame["I"][sig],
        s=80,
        facecolors="none",
        edgecolors="#d62728",
        label="p < 0.05",
    )
    ax.legend(frameon=False)
    label_axes(ax, "全局莫兰指数", "年份", "全局莫兰指数")
    return fig


def moran_scatter(
    z: np.ndarray,
    lag: np.ndarray,
    labels: Sequence[str] | None = None,
    *,
    title: str = "莫兰散点图",
    note: str | None = None,
) -> Figure:
    fig, ax = new_figure(6.5, 6.0, note)
    ax.scatter(z, lag, color="#1f77b4", s=28)
    slope = float(np.dot(z, lag) / np.dot(z, z))
    xs = np.linspace(float(np.min(z)), float(np.max(z)), 2)
    ax.plot(xs, slope * xs, color="#d62728", linewidth=1.2, label=f"斜率 = {slope:.3f}")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.axvline(0, color="grey", linewidth=0.8)
    if labels is not None:
        for x, y, t in zip(z, lag, labels, strict=True):
            ax.annotate(str(t), (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points")
    for x, y, t in (
        (0.98, 0.98, "高-高"),
        (0.02, 0.98, "低-高"),
        (0.02, 0.02, "低-低"),
        (0.98, 0.02, "高-低"),
    ):
        ax.text(
            x,
            y,
            t,
            transform=ax.transAxes,
            ha="right" if x > 0.5 else "left",
            va="top" if y > 0.5 else "bottom",
            color="grey",
        )
    label_axes(ax, title, "标准化值 z", "空间滞后 Wz")
    ax.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 0.08))
    return fig


def sigma_trend(
    frame: pd.DataFrame,
    *,
    period: str,
    value: str = "sigma",
    ylabel: str = "变异系数",
    note: str | None = None,
) -> Figure:
    fig, ax = new_figure(8.0, 4.2, note)
    ax.plot(frame[period], frame[value], marker="o", color="#2ca02c")
    label_axes(ax, "σ 收敛", "年份", ylabel)
    return fig


def kde_by_group(
    curves: dict,
    grid: np.ndarray,
    *,
    periods: Sequence | None = None,
    xlabel: str = "指数",
    note: str | None = None,
) -> Figure:
    """One panel per region with the densities of a few periods (first, middle, last)."""
    names = list(curves)
    cols = min(2, len(names))
    rows = -(-len(names) // cols)
    fig = new_canvas(5.0 * cols, 3.4 * rows, note)
    axes = fig.subplots(rows, cols, squeeze=False, sharex=True)
    for ax, name in zip(axes.flat, names, strict=False):
        res = curves[name]
        ps = list(res.periods)
        pick = periods or sorted({ps[0], ps[len(ps) // 2], ps[-1]}, key=ps.index)
        for i, p in enumerate(q for q in pick if q in ps):
            ax.plot(grid, res[p], label=str(p), color=PALETTE[i % len(PALETTE)])
        ax.legend(frameon=False, fontsize=8)
        label_axes(ax, str(name), xlabel)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    fig.suptitle("分区域核密度")
    return fig
