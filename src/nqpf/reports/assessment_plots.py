"""Charts of an enterprise assessment: radar of dimensions, scene ladder, level gauge,
carbon breakdown and the level distribution of a park or region.

Each function returns a matplotlib :class:`~matplotlib.figure.Figure` built with the house
helper (Agg canvas, no pyplot, the OFL CJK font from ``mplfonts``) and accepts ``note``, a
grey footnote under the axes (pass ``"示例数据，非真实统计"`` for synthetic data).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from nqpf.exceptions import DataValidationError
from nqpf.reports._figure import hide_spines, label_axes, new_figure
from nqpf.reports.number_format import score

__all__ = [
    "LEVEL_COLORS",
    "LEVEL_NAMES",
    "carbon_breakdown",
    "level_distribution",
    "level_gauge",
    "radar",
    "scene_ladder",
]

#: Chinese names of the levels (0 = not yet level one).
LEVEL_NAMES: dict[int, str] = {0: "未达一级", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}
#: One colour per level, light to dark, shared by every chart so a level keeps its colour.
LEVEL_COLORS: dict[int, str] = {
    0: "#d9d9d9",
    1: "#c6dbef",
    2: "#6baed6",
    3: "#2171b5",
    4: "#08306b",
}
_ACCENT = "#1f4e79"
_BINDING = "#c0392b"
_TARGET = "#e67e22"


def _level_name(level: int) -> str:
    return LEVEL_NAMES.get(int(level), f"{int(level)}级")


def _ink(level: int) -> str:
    """Text colour on a level's colour: white on the dark levels 3 and 4."""
    return "white" if level >= 3 else "#111111"


# ----------------------------------------------------------------------------- radar


def radar(
    dimensions: Mapping[str, tuple[float, float]],
    *,
    title: str = "各维度得分率",
    compare: Mapping[str, tuple[float, float]] | None = None,
    labels: tuple[str, str] = ("当前", "对比"),
    note: str | None = None,
) -> Figure:
    """Radar (spider) chart of the share of the maximum reached in each dimension.

    Parameters
    ----------
    dimensions
        Dimension name → ``(points, max_points)``, in drawing order (clockwise from the
        top).  At least three dimensions.
    title
        Chart title.
    compare
        Optional second polygon with the same keys (e.g. the projected result of a
        roadmap, or a park's mean), drawn dashed.
    labels
        Legend labels of the two polygons (used only with ``compare``).
    note
        Grey footnote under the axes.

    Returns
    -------
    matplotlib.figure.Figure
        Polar axes with radial axis 0–100 %; one filled polygon (two with ``compare``);
        each axis label reads ``name\\npoints/max``.
    """
    names = list(dimensions)
    if len(names) < 3:
        raise DataValidationError(
            f"a radar chart needs at least 3 dimensions, got {len(names)}", field="dimensions"
        )

    def shares(dims: Mapping[str, tuple[float, float]]) -> np.ndarray:
        out = []
        for n in names:
            if n not in dims:
                raise DataValidationError(f"dimension {n!r} missing", field="compare")
            pts, mx = (float(v) for v in dims[n])
            if not mx > 0:
                raise DataValidationError(
                    f"dimension {n!r}: maximum must be > 0, got {mx:g}", field="dimensions"
                )
            out.append(min(max(pts / mx, 0.0), 1.0))
        return np.asarray(out)

    values = shares(dimensions)
    fig, ax = new_figure(6.4, 6.0, note, projection="polar")
    ax.set_position((0.2, 0.14, 0.6, 0.68))  # room for the names left and right of the circle
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    angles = np.linspace(0, 2 * np.pi, len(names), endpoint=False)
    closed = np.append(angles, angles[0])
    ax.plot(closed, np.append(values, values[0]), color=_ACCENT, lw=2.2, label=labels[0])
    ax.fill(closed, np.append(values, values[0]), color=_ACCENT, alpha=0.25)
    ax.scatter(angles, values, color=_ACCENT, s=22, zorder=3)
    if compare is not None:
        other = shares(compare)
        ax.plot(closed, np.append(other, other[0]), color=_TARGET, lw=1.8, ls="--", label=labels[1])
        ax.legend(loc="upper right", bbox_to_anchor=(1.12, 1.1), fontsize=9)
    for a, v in zip(angles, values, strict=True):
        ax.annotate(
            f"{v:.0%}",
            (a, v),
            xytext=(0, 7),
            textcoords="offset points",
            ha="center",
            fontsize=9,
            color=_ACCENT,
        )
    ticks = [f"{n}\n{score(dimensions[n][0])}/{score(dimensions[n][1])}" for n in names]
    ax.set_xticks(angles, ticks, fontsize=10)
    # dimension names clear of the rings: outside the circle, aligned away from it
    for label, a in zip(ax.get_xticklabels(), angles, strict=True):
        side = np.sin(a)
        label.set_horizontalalignment(
            "left" if side > 0.2 else "right" if side < -0.2 else "center"
        )
    ax.tick_params(axis="x", pad=12)
    ax.set_ylim(0, 1.0)
    # the ring labels (20 % … 100 %) halfway between the first two axes, on a white
    # ground, so that neither an axis, a name nor a polygon runs through them
    ax.set_rlabel_position(float(np.degrees(angles[1] / 2)))
    ax.set_yticks([0.2, 0.4, 0.6, 0.8, 1.0], ["20%", "40%", "60%", "80%", "100%"], fontsize=7.5)
    for label in ax.get_yticklabels():
        label.set_color("#5f6b7a")
        label.set_bbox({"facecolor": "white", "edgecolor": "none", "pad": 0.6, "alpha": 0.85})
    ax.set_title(title, fontsize=14, pad=18)
    return fig


# ----------------------------------------------------------------------- scene ladder


def _scene_rows(scenes: Any) -> list[dict[str, Any]]:
    """Rows (name, level, binding, required) from Diagnosis.scenes, dicts or a DataFrame."""
    if isinstance(scenes, pd.DataFrame):
        missing = [c for c in ("name", "level") if c not in scenes.columns]
        if missing:
            raise DataValidationError(
                f"scene table lacks column(s) {missing}; expected name, level[, binding, "
                "required_level]",
                column=missing[0],
            )
        records = scenes.to_dict("records")
    else:
        records = []
        for s in scenes:
            if isinstance(s, Mapping):
                records.append(dict(s))
            else:
                records.append(
                    {
                        "name": s.name,
                        "level": s.level,
                        "binding": getattr(s, "binding", False),
                        "required_level": getattr(s, "required_level", None),
                    }
                )
    rows = []
    for i, r in enumerate(records):
        level = r.get("level")
        if level is None or (isinstance(level, float) and np.isnan(level)):
            level = 0
        try:
            level = int(level)
        except (TypeError, ValueError):
            raise DataValidationError(
                f"scene {r.get('name')!r}: level must be 0–4, got {level!r}", row=i
            ) from None
        if not 0 <= level <= 4:
            raise DataValidationError(f"scene {r.get('name')!r}: level must be 0–4", row=i)
        req = r.get("required_level")
        req = None if req is None or (isinstance(req, float) and np.isnan(req)) else int(req)
        rows.append(
            {
                "name": str(r.get("name", "")),
                "level": level,
                "binding": bool(r.get("binding", False)),
                "required": req,
            }
        )
    return rows


def _ladder_cell(x: float, y: float, **style: Any) -> Rectangle:
    """The cell of level ``x + 1`` in ladder row ``y``, inset so neighbours stay apart."""
    return Rectangle((x + 0.04, y + 0.08), 0.92, 0.84, **style)


def scene_ladder(
    scenes: Any,
    *,
    target_level: int | None = None,
    title: str = "数字化经营场景等级阶梯",
    note: str | None = None,
) -> Figure:
    """Scenes × levels 1–4 as a ladder: filled up to each scene's current level.

    Parameters
    ----------
    scenes
        ``Diagnosis.scenes`` (:class:`~nqpf.assessment.diagnosis.SceneDiagnosis`), a
        sequence of mappings or a DataFrame with ``name``, ``level`` (0–4) and optionally
        ``binding`` (约束性) and ``required_level`` (the scene level the next overall
        level asks for).
    target_level
        A scene level to mark with a dashed orange line across every row (e.g. the scene
        level of the target overall level); cells between a scene's level and the target
        (or its own ``required_level``) are hatched as the gap to close.
    title
        Chart title.
    note
        Grey footnote under the axes.

    Returns
    -------
    matplotlib.figure.Figure
        One row per scene (first scene at the top); 约束性 scenes are labelled with ★ in
        red; the current level's cell has a thick dark edge and is labelled with its
        level name.
    """
    rows = _scene_rows(scenes)
    if not rows:
        raise DataValidationError("no scenes to draw", field="scenes")
    if target_level is not None and not 1 <= int(target_level) <= 4:
        raise DataValidationError("target_level must be 1–4", field="target_level")
    n = len(rows)
    fig, ax = new_figure(8.6, max(3.2, 0.36 * n + 1.7), note)
    for i, r in enumerate(rows):
        y = n - 1 - i
        goal = max(r["required"] or 0, int(target_level or 0))
        for lvl in range(1, 5):
            x = lvl - 1
            if lvl <= r["level"]:
                face, hatch, edge = LEVEL_COLORS[lvl], None, "white"
            elif lvl <= goal:
                face, hatch, edge = "#fdf2e9", "///", _TARGET
            else:
                face, hatch, edge = "#f4f4f4", None, "white"
            ax.add_patch(_ladder_cell(x, y, facecolor=face, edgecolor=edge, hatch=hatch, lw=0.8))
        if r["level"] >= 1:
            x = r["level"] - 1
            ax.add_patch(_ladder_cell(x, y, fill=False, edgecolor="#111111", lw=2.0))
            ink = _ink(r["level"])
            ax.text(x + 0.5, y + 0.5, "当前", ha="center", va="center", fontsize=8, color=ink)
    if target_level is not None:
        ax.axvline(int(target_level), color=_TARGET, ls="--", lw=1.6)
        ax.text(
            int(target_level),
            n + 0.05,
            f"目标 {_level_name(int(target_level))}",
            ha="center",
            va="bottom",
            fontsize=9,
            color=_TARGET,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0},
        )
    labels = [("★ " if r["binding"] else "") + r["name"] for r in rows]
    ax.set_yticks([n - 1 - i + 0.5 for i in range(n)], labels, fontsize=9)
    for tick, r in zip(ax.get_yticklabels(), rows, strict=True):
        if r["binding"]:
            tick.set_color(_BINDING)
    ax.set_xticks([0.5, 1.5, 2.5, 3.5], [_level_name(k) for k in range(1, 5)], fontsize=10)
    ax.xaxis.tick_top()
    ax.set_xlim(0, 4)
    ax.set_ylim(0, n + 0.6)
    ax.tick_params(length=0)
    hide_spines(ax)
    handles = [
        Patch(facecolor=LEVEL_COLORS[3], label="已达到"),
        Patch(facecolor="#fdf2e9", edgecolor=_TARGET, hatch="///", label="待提升"),
        Patch(facecolor="#f4f4f4", label="未涉及"),
        Patch(facecolor="white", edgecolor=_BINDING, label="★ 约束性场景"),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.01),
        ncol=4,
        fontsize=8,
        frameon=False,
    )
    ax.set_title(title, fontsize=14, pad=24)
    return fig


# ----------------------------------------------------------------------- level gauge


def level_gauge(
    total: float,
    thresholds: Sequence[tuple[int, str, float]],
    *,
    max_total: float = 100.0,
    level: int | None = None,
    title: str = "总分与等级门槛",
    note: str | None = None,
) -> Figure:
    """One horizontal bar 0–``max_total`` shaded by level band, with the total marked.

    Parameters
    ----------
    total
        The score.
    thresholds
        ``(level, name, min_score)`` per level, e.g. from ``Framework.level_rule.levels``.
    max_total
        Right end of the bar.
    level
        The level reached (its name is printed by the marker); the score band alone does
        not decide the level when the rule also counts scenes.
    title
        Chart title.
    note
        Grey footnote under the axes.

    Returns
    -------
    matplotlib.figure.Figure
        One ``Rectangle`` per band plus the marker line.
    """
    if not max_total > 0:
        raise DataValidationError("max_total must be > 0", field="max_total")
    rows = sorted((int(lv), str(nm), float(ms)) for lv, nm, ms in thresholds)
    fig, ax = new_figure(8.6, 2.5, note)
    edges = [(0, LEVEL_NAMES[0], 0.0), *rows]
    for k, (lv, nm, lo) in enumerate(edges):
        hi = edges[k + 1][2] if k + 1 < len(edges) else float(max_total)
        if hi <= lo:
            continue
        ax.barh(0, hi - lo, left=lo, height=0.6, color=LEVEL_COLORS.get(lv, "#999999"), lw=0)
        ax.text((lo + hi) / 2, 0, nm, ha="center", va="center", fontsize=10, color=_ink(lv))
        if lo > 0:
            ax.text(lo, -0.42, f"{lo:g}", ha="center", va="top", fontsize=8, color="#555555")
    t = float(np.clip(total, 0, max_total))
    ax.plot([t, t], [-0.38, 0.38], color=_BINDING, lw=3)
    label = f"{total:g} 分" + (f"（{_level_name(level)}）" if level is not None else "")
    ax.text(t, 0.42, label, ha="center", va="bottom", fontsize=11, color=_BINDING)
    ax.set_xlim(0, max_total)
    ax.set_ylim(-0.8, 0.9)
    for x in (0.0, float(max_total)):
        ax.text(x, -0.42, f"{x:g}", ha="center", va="top", fontsize=8, color="#555555")
    ax.set_yticks([])
    ax.set_xticks([])
    hide_spines(ax)
    ax.set_title(title, fontsize=13)
    return fig


# -------------------------------------------------------------------- carbon breakdown

_CARBON_PARTS = (
    ("e_combustion", "化石燃料燃烧", 1),
    ("e_process", "过程排放", 1),
    ("e_purchased_electricity", "购入电力", 1),
    ("e_purchased_heat", "购入热力", 1),
    ("e_exported_electricity", "输出电力（扣减）", -1),
    ("e_exported_heat", "输出热力（扣减）", -1),
)


def carbon_breakdown(
    carbon_result: Any,
    *,
    title: str = "二氧化碳排放构成",
    xlabel: str = "排放量 (tCO2)",
    note: str | None = None,
) -> Figure:
    """Horizontal bars of tCO2 by source (E燃烧, E过程, E购入电, E购入热, exports) and E.

    Parameters
    ----------
    carbon_result
        A :class:`~nqpf.assessment.carbon.CarbonResult`.
    title, xlabel
        Chart texts.
    note
        Grey footnote under the axes.

    Returns
    -------
    matplotlib.figure.Figure
        One bar per non-zero component (exports negative, in green) and one dark bar for
        the total E, each labelled with its value.
    """
    items = []
    for attr, name, sign in _CARBON_PARTS:
        v = float(getattr(carbon_result, attr))
        if v != 0:
            items.append((name, sign * v, "#2e8b57" if sign < 0 else "#4c72b0"))
    items.append(("排放总量 E", float(carbon_result.e_total), "#1a1a1a"))
    n = len(items)
    fig, ax = new_figure(8.4, max(2.8, 0.5 * n + 1.4), note)
    y = np.arange(n)[::-1]
    vals = [v for _, v, _ in items]
    ax.barh(y, vals, color=[c for _, _, c in items], height=0.6)
    span = max(abs(v) for v in vals) or 1.0
    for yy, v in zip(y, vals, strict=True):
        ax.text(
            v + (0.01 * span if v >= 0 else -0.01 * span),
            yy,
            f"{v:,.2f}",
            va="center",
            ha="left" if v >= 0 else "right",
            fontsize=9,
        )
    lo = min(0.0, min(vals))
    ax.set_xlim(lo - 0.18 * span * (lo < 0), max(0.0, max(vals)) + 0.2 * span)
    ax.axvline(0, color="#555555", lw=0.8)
    ax.set_yticks(y, [name for name, _, _ in items], fontsize=10)
    label_axes(ax, title, xlabel, fontsize=14)
    hide_spines(ax, "top", "right")
    return fig


# ---------------------------------------------------------------- level distribution


def level_distribution(
    counts: pd.DataFrame,
    *,
    title: str = "等级分布",
    xlabel: str = "企业数",
    note: str | None = None,
) -> Figure:
    """Stacked horizontal bars: number of enterprises per level in each group.

    Parameters
    ----------
    counts
        Groups (index) × levels 0–4 (columns, integers), enterprise counts.
    title, xlabel
        Chart texts.
    note
        Grey footnote under the axes.

    Returns
    -------
    matplotlib.figure.Figure
        One bar segment per non-zero (group, level), coloured by level, with its count.
    """
    if counts.empty:
        raise DataValidationError("no enterprises to count", field="counts")
    levels = sorted(int(c) for c in counts.columns)
    groups = [str(g) for g in counts.index]
    n = len(groups)
    fig, ax = new_figure(8.6, max(2.8, 0.42 * n + 1.6), note)
    y = np.arange(n)[::-1]
    left = np.zeros(n)
    for lv in levels:
        vals = counts[lv].to_numpy(dtype=float)
        ax.barh(
            y, vals, left=left, height=0.62, color=LEVEL_COLORS.get(lv, "#999999"),
            label=_level_name(lv), edgecolor="white", lw=0.6,
        )  # fmt: skip
        for yy, lft, v in zip(y, left, vals, strict=True):
            if v > 0:
                ax.text(lft + v / 2, yy, f"{int(v)}", ha="center", va="center", fontsize=8,
                        color=_ink(lv))  # fmt: skip
        left += vals
    ax.set_yticks(y, groups, fontsize=9)
    ax.set_xlim(0, max(left.max(), 1) * 1.05)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=9, frameon=False)
    label_axes(ax, title, xlabel, fontsize=14)
    hide_spines(ax, "top", "right")
    return fig
