"""Static charts for index reports (matplotlib, Chinese labels).

Every function takes a long (tidy) :class:`pandas.DataFrame` plus the names of the
columns to use, and returns a :class:`matplotlib.figure.Figure`.  Nothing is shown or
written: pass the figure to :func:`figure_to_data_uri` or :func:`figure_to_svg` to embed
it in a report, or call ``fig.savefig``.

The figures come from the house figure kit (:mod:`nqpf.reports._figure`: Agg canvas
without ``pyplot``, CJK font, region colours, rendering), whose public names this
module re-exports.

Every function accepts ``note``, a footnote drawn in grey under the axes.  Pass
``"示例数据，非真实统计"`` whenever the data are synthetic, so that a chart copied out of
a report cannot be mistaken for official statistics.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, PercentFormatter

from nqpf.exceptions import DataValidationError
from nqpf.indices.coupling import coordination_classes
from nqpf.reports._figure import (
    MEAN_COLOR,
    MUTED,
    PALETTE,
    REGION_COLORS,
    REGION_ORDER,
    figure_to_data_uri,
    figure_to_svg,
    group_colors,
    group_order,
    hide_spines,
    label_axes,
    label_cells,
    light_grid,
    line_style,
    new_figure,
)

__all__ = [
    "COUPLING_CLASSES",
    "REGION_COLORS",
    "REGION_ORDER",
    "coupling_scatter",
    "coupling_trend",
    "figure_to_data_uri",
    "figure_to_svg",
    "group_trend",
    "index_trend",
    "obstacle_bar",
    "rank_heatmap",
    "weights_bar",
]

_classes = coordination_classes()

#: The ten classes of the coupling coordination degree D as ``(lo, hi, label)``, from the
#: versioned class table of :mod:`nqpf.indices.coupling` (地理学报 76(4) T1).
COUPLING_CLASSES: tuple[tuple[float, float, str], ...] = tuple(
    zip(
        (0.0, *_classes.uppers[:-1]),
        _classes.uppers,
        _classes.labels,
        strict=True,
    )
)


# --------------------------------------------------------------------------- helpers


def _as_pandas(frame: Any) -> pd.DataFrame:
    """Accept pandas directly and any narwhals-supported eager frame (Polars, PyArrow)."""
    if isinstance(frame, pd.DataFrame):
        return frame
    try:
        import narwhals as nw

        return nw.from_native(frame, eager_only=True).to_pandas()
    except TypeError as exc:  # narwhals: not a frame it knows
        raise DataValidationError(
            f"expected a data frame (pandas, Polars, PyArrow), got {type(frame).__name__}"
        ) from exc


def _require(frame: pd.DataFrame, *columns: str | None) -> None:
    missing = [c for c in columns if c is not None and c not in frame.columns]
    if missing:
        raise DataValidationError(
            f"column(s) {missing} not found; available: {list(frame.columns)}",
            column=str(missing[0]),
        )


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    try:
        return pd.to_numeric(frame[column]).astype(float)
    except (TypeError, ValueError) as exc:
        raise DataValidationError("expected numbers", column=column) from exc


def _wide(frame: pd.DataFrame, *, entity: str, period: str, value: str) -> pd.DataFrame:
    """Periods x entities table of ``value``; duplicate (entity, period) rows are errors."""
    _require(frame, entity, period, value)
    dup = frame.duplicated([entity, period])
    if dup.any():
        first = frame.loc[dup, [entity, period]].iloc[0].tolist()
        raise DataValidationError(
            f"more than one row for {entity}={first[0]!r}, {period}={first[1]!r}; "
            "expected one row per entity and period",
            row=int(np.flatnonzero(dup.to_numpy())[0]),
        )
    data = frame[[entity, period]].assign(_v=_numeric(frame, value))
    return data.pivot(index=period, columns=entity, values="_v").sort_index()


def _order_by_latest(wide: pd.DataFrame, *, descending: bool = True) -> list[Hashable]:
    """Entities sorted by their last observed value, so legend order matches line order."""
    latest = wide.ffill().iloc[-1] if len(wide) else pd.Series(dtype=float)
    return list(latest.sort_values(ascending=not descending, na_position="last").index)


def _time_axes(
    ax: Any, periods: pd.Index, title: str, xlabel: str, ylabel: str, *, grid: bool = True
) -> None:
    """Texts, light grid and a period x axis that shows years as whole numbers."""
    label_axes(ax, title, xlabel, ylabel, fontsize=14)
    if grid:
        light_grid(ax)
    if pd.api.types.is_integer_dtype(periods) or (
        pd.api.types.is_float_dtype(periods)
        and np.all(np.mod(periods.to_numpy(dtype=float), 1) == 0)
    ):
        # Years: never show 2015.5.
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _x(periods: pd.Index) -> np.ndarray:
    """Numeric periods as numbers; anything else (e.g. '2020Q1') as ordered labels."""
    if pd.api.types.is_numeric_dtype(periods) or pd.api.types.is_datetime64_any_dtype(periods):
        return periods.to_numpy()
    return periods.astype(str).to_numpy()


def _check_known(names: Sequence[Hashable], known: Sequence[Hashable], what: str) -> None:
    unknown = [n for n in names if n not in set(known)]
    if unknown:
        raise DataValidationError(f"{what} {unknown} not in the data", field=what)


# ------------------------------------------------------------------------ line charts


def index_trend(
    frame: Any,
    *,
    entity: str,
    period: str,
    value: str,
    title: str = "综合指数变化趋势",
    group: str | None = None,
    highlight: Sequence[Hashable] | None = None,
    max_lines: int | None = None,
    show_mean: bool = True,
    xlabel: str = "年份",
    ylabel: str = "综合指数",
    note: str | None = None,
) -> Figure:
    """Lines of an index over time, one per entity (e.g. 31 provinces).

    Parameters
    ----------
    frame
        Long table with one row per entity and period.
    entity, period, value
        Column names: entity label, period (year), index value.
    title
        Chart title.
    group
        Optional column (e.g. region 东部/中部/西部/东北).  When given, lines are
        coloured by group and the legend lists groups instead of entities.
    highlight
        Entities to emphasise.  Without ``group`` the other entities are drawn thin and
        grey and only the highlighted ones enter the legend; with ``group`` the
        highlighted lines are drawn thicker and labelled at their last point.
    max_lines
        Draw at most this many entity lines: the highlighted entities plus those with
        the highest value in the latest period.  The mean still uses every entity.
    show_mean
        Add the cross-entity mean per period as a thick black line.
    xlabel, ylabel
        Axis labels.
    note
        Grey footnote under the axes, e.g. ``"示例数据，非真实统计"``.

    Returns
    -------
    matplotlib.figure.Figure
        One ``Line2D`` per drawn entity, plus one for the mean when ``show_mean``.

    Notes
    -----
    Without ``group`` or ``highlight`` each entity gets one of 10 colours x 4 dash
    patterns (40 combinations), and the legend sits outside the axes on the right, in
    two columns beyond 12 entries, ordered by the latest value so that legend order
    matches the order of line ends.
    """
    df = _as_pandas(frame)
    _require(df, group)
    wide = _wide(df, entity=entity, period=period, value=value)
    order = _order_by_latest(wide)
    highlight = list(highlight or [])
    _check_known(highlight, order, "highlight")
    if max_lines is not None and len(order) > max_lines:
        rest = [e for e in order if e not in highlight]
        drawn = highlight + rest[: max(max_lines - len(highlight), 0)]
        order = [e for e in order if e in drawn]
        truncated = True
    else:
        truncated = False

    fig, ax = new_figure(10.0, 5.8, note)
    x = _x(wide.index)
    handles: list[Any] = []
    if group is not None:
        membership = df.drop_duplicates(entity).set_index(entity)[group]
        groups = group_order(membership.loc[order].tolist())
        colors = group_colors(groups)
        for e in order:
            hl = e in highlight
            ax.plot(
                x,
                wide[e].to_numpy(),
                color=colors[membership[e]],
                lw=2.4 if hl else 1.0,
                alpha=1.0 if hl else 0.75,
                zorder=3 if hl else 2,
            )
            if hl:
                _label_end(ax, x, wide[e].to_numpy(), str(e), colors[membership[e]])
        handles = [Line2D([], [], color=colors[g], lw=2, label=str(g)) for g in groups]
    elif highlight:
        for e in order:
            if e not in highlight:
                ax.plot(x, wide[e].to_numpy(), color=MUTED, lw=0.8, alpha=0.8, zorder=1)
        for i, e in enumerate(highlight):
            (line,) = ax.plot(
                x,
                wide[e].to_numpy(),
                **line_style(i),
                lw=2.2,
                marker="o",
                ms=3.5,
                zorder=3,
                label=str(e),
            )
            handles.append(line)
        if len(order) > len(highlight):
            handles.append(Line2D([], [], color=MUTED, lw=1, label="其他"))
    else:
        for i, e in enumerate(order):
            (line,) = ax.plot(x, wide[e].to_numpy(), **line_style(i), lw=1.4, label=str(e))
            handles.append(line)
    if show_mean:
        (mean_line,) = ax.plot(
            x,
            wide.mean(axis=1).to_numpy(),
            color=MEAN_COLOR,
            lw=2.8,
            zorder=4,
            # Say so when the mean covers more entities than the lines drawn.
            label="均值（全部）" if truncated else "均值",
        )
        handles.append(mean_line)

    _time_axes(ax, wide.index, title, xlabel, ylabel)
    if handles:
        fig.legend(
            handles=handles,
            loc="outside right upper",
            ncols=2 if len(handles) > 12 else 1,
            fontsize=8.5,
            frameon=False,
            title=f"最新期排名前 {len(order)} 个" if truncated else None,
            title_fontsize=8.5,
        )
    return fig


def _label_end(ax: Any, x: np.ndarray, y: np.ndarray, text: str, color: Any) -> None:
    ok = ~np.isnan(y)
    if ok.any():
        i = np.flatnonzero(ok)[-1]
        ax.annotate(
            text,
            (x[i], y[i]),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=8.5,
            color=color,
        )


def group_trend(
    frame: Any,
    *,
    group: str,
    period: str,
    value: str,
    title: str = "分区域均值变化趋势",
    order: Sequence[Hashable] | None = None,
    xlabel: str = "年份",
    ylabel: str = "综合指数均值",
    note: str | None = None,
) -> Figure:
    """Mean of ``value`` by group (东部/中部/西部/东北) over time, one line per group.

    Parameters
    ----------
    frame
        Long table, one row per entity and period, with a group column.
    group, period, value
        Column names.
    title, xlabel, ylabel
        Chart texts.
    order
        Group order in the legend; default 东部, 中部, 西部, 东北, then other groups in
        order of appearance.
    note
        Grey footnote under the axes.

    Returns
    -------
    matplotlib.figure.Figure
        One ``Line2D`` per group.

    Notes
    -----
    The group mean is the unweighted mean over the entities of the group present in a
    period.  The four regions keep fixed colours (:data:`REGION_COLORS`).
    """
    df = _as_pandas(frame)
    _require(df, group, period, value)
    means = (
        df[[group, period]]
        .assign(_v=_numeric(df, value))
        .groupby([period, group], sort=True)["_v"]
        .mean()
        .unstack(group)
        .sort_index()
    )
    groups = list(order) if order is not None else group_order(df[group].tolist())
    _check_known(groups, list(means.columns), "order")
    colors = group_colors(groups)

    fig, ax = new_figure(8.5, 5.0, note)
    x = _x(means.index)
    for g in groups:
        ax.plot(x, means[g].to_numpy(), color=colors[g], lw=2.2, marker="o", ms=4, label=g)
    _time_axes(ax, means.index, title, xlabel, ylabel)
    ax.legend(frameon=False, fontsize=9)
    return fig


# ------------------------------------------------------------------------- bar charts


def _hbar(
    frame: Any,
    label: str,
    value: str,
    group: str | None,
    title: str,
    xlabel: str,
    fmt: str,
    note: str | None,
    *,
    by_group: bool = False,
    top: int | None = None,
    percent: bool = False,
) -> Figure:
    """Sorted horizontal bars, largest at the top, values written at the bar ends."""
    df = _as_pandas(frame)
    _require(df, label, value, group)
    data = df[[label] + ([group] if group else [])].assign(_v=_numeric(df, value))
    data = data.sort_values("_v", ascending=False, kind="stable")
    if top is not None:
        data = data.head(top)
    if group is not None and by_group:
        rank = {g: i for i, g in enumerate(group_order(df[group].tolist()))}
        data = data.sort_values(
            [group, "_v"], key=lambda s: s.map(rank) if s.name == group else -s, kind="stable"
        )
    n = len(data)
    fig, ax = new_figure(8.5, max(3.0, 0.3 * n + 1.5), note)
    y = np.arange(n)
    if group is not None:
        # Colours follow the order of the input (the indicator system's order of
        # dimensions), so a dimension keeps its colour in every chart of a report.
        all_groups = group_order(df[group].tolist())
        colors = group_colors(all_groups)
        shown = set(data[group])
        groups = [g for g in all_groups if g in shown]
        bar_colors = [colors[g] for g in data[group]]
    else:
        bar_colors = [PALETTE[0]] * n
    values = data["_v"].to_numpy()
    bars = ax.barh(y, values, color=bar_colors, height=0.7)
    ax.bar_label(bars, labels=[fmt.format(v) for v in values], padding=3, fontsize=8)
    ax.set_yticks(y, [str(v) for v in data[label]], fontsize=9)
    ax.invert_yaxis()  # largest first, read top-down
    lo = min(0.0, float(np.nanmin(values))) if n else 0.0
    hi = float(np.nanmax(values)) if n else 1.0
    # Room on the right for the value labels.
    ax.set_xlim(lo * 1.18, hi * 1.18 if hi > 0 else 1.0)
    if percent:
        ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    label_axes(ax, title, xlabel, fontsize=14)
    light_grid(ax, axis="x")
    hide_spines(ax, "top", "right")
    if group is not None:
        fig.legend(
            handles=[Patch(color=colors[g], label=str(g)) for g in groups],
            loc="outside right upper",
            frameon=False,
            fontsize=9,
        )
    return fig


def weights_bar(
    frame: Any,
    *,
    label: str,
    weight: str,
    group: str | None = None,
    title: str = "指标权重",
    by_group: bool = False,
    fmt: str = "{:.4f}",
    xlabel: str = "权重",
    note: str | None = None,
) -> Figure:
    """Horizontal bars of indicator weights, sorted, coloured by dimension.

    Parameters
    ----------
    frame
        One row per indicator.
    label, weight
        Column names: indicator name and its weight.
    group
        Optional column with the dimension (准则层) of each indicator; bars are coloured
        by it and a legend is added.
    title, xlabel
        Chart texts.
    by_group
        Keep the indicators of a dimension together (dimensions in order of first
        appearance, weights descending within each) instead of one global ranking.
    fmt
        Format of the value written at the end of each bar.
    note
        Grey footnote under the axes.

    Returns
    -------
    matplotlib.figure.Figure
        One bar (``Rectangle`` in ``ax.patches``) per indicator.
    """
    return _hbar(frame, label, weight, group, title, xlabel, fmt, note, by_group=by_group)


def obstacle_bar(
    frame: Any,
    *,
    label: str,
    value: str,
    title: str = "主要障碍因子",
    group: str | None = None,
    top: int | None = 10,
    percent: bool = True,
    xlabel: str = "障碍度",
    note: str | None = None,
) -> Figure:
    """Horizontal bars of the largest obstacle degrees.

    Parameters
    ----------
    frame
        One row per factor (indicator or dimension).
    label, value
        Column names: factor name and obstacle degree.
    title, xlabel
        Chart texts.
    group
        Optional dimension column to colour bars by.
    top
        Show only the ``top`` largest factors (None: all).
    percent
        Values are shares of 1 (obstacle degrees summing to 1) and are shown as
        percentages; set False to print them as plain numbers with 4 decimals.
    note
        Grey footnote under the axes.

    Returns
    -------
    matplotlib.figure.Figure
        One bar per factor shown.
    """
    fmt = "{:.2%}" if percent else "{:.4f}"
    return _hbar(frame, label, value, group, title, xlabel, fmt, note, top=top, percent=percent)


# ---------------------------------------------------------------------------- heatmap


def rank_heatmap(
    frame: Any,
    *,
    entity: str,
    period: str,
    rank: str,
    title: str = "排名变化热力图",
    cmap: str = "RdYlGn_r",
    xlabel: str = "年份",
    note: str | None = None,
) -> Figure:
    """Entities x periods heatmap of ranks, each cell labelled with its rank.

    Parameters
    ----------
    frame
        Long table, one row per entity and period.
    entity, period, rank
        Column names; rank 1 is the best.
    title, xlabel
        Chart texts.
    cmap
        Colormap; the default makes rank 1 green and the last rank red.
    note
        Grey footnote under the axes.

    Returns
    -------
    matplotlib.figure.Figure
        One image; one text per non-missing cell.  Rows are ordered by the rank in the
        latest period, best at the top.
    """
    df = _as_pandas(frame)
    wide = _wide(df, entity=entity, period=period, value=rank)
    order = _order_by_latest(wide, descending=False)
    table = wide[order].T  # entities x periods
    values = table.to_numpy(dtype=float)
    n, m = values.shape

    fig, ax = new_figure(max(6.0, 0.6 * m + 3.2), max(3.5, 0.3 * n + 1.6), note)
    finite = values[np.isfinite(values)]
    vmin, vmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    im = ax.imshow(np.ma.masked_invalid(values), aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax)
    colormap = im.get_cmap()

    def ink(v: float) -> str:
        # White digits on dark cells, black on light ones (relative luminance).
        r, g, b, _ = colormap(im.norm(v))
        return "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"

    label_cells(
        ax,
        values,
        lambda v: f"{int(v)}" if float(v).is_integer() else f"{v:.1f}",
        ink,
        fontsize=8 if m <= 15 and n <= 40 else 6,
    )
    ax.set_xticks(np.arange(m), [str(p) for p in table.columns], fontsize=9)
    ax.set_yticks(np.arange(n), [str(e) for e in table.index], fontsize=9)
    ax.tick_params(length=0)
    hide_spines(ax)
    label_axes(ax, title, xlabel, fontsize=14)
    cbar = fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02)
    cbar.set_label("排名")
    cbar.ax.invert_yaxis()  # rank 1 at the top, like the rows
    return fig


# ------------------------------------------------------------------- coupling charts


def _check_bands(bands: Sequence[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    out = sorted((float(lo), float(hi), str(lab)) for lo, hi, lab in bands)
    if not out or any(lo >= hi for lo, hi, _ in out):
        raise DataValidationError("bands must be non-empty (lo, hi, label) with lo < hi")
    return out


def _band_limits(
    bands: list[tuple[float, float, str]], lo: float, hi: float
) -> tuple[float, float]:
    """The smallest union of whole bands that contains [lo, hi]."""
    low = max((b[0] for b in bands if b[0] <= lo), default=bands[0][0])
    high = min((b[1] for b in bands if b[1] >= hi), default=bands[-1][1])
    return low, high


def _draw_bands(
    ax: Any, bands: list[tuple[float, float, str]], low: float, high: float, *, vertical: bool
) -> None:
    """Shade class bands between ``low`` and ``high``, from red (失调) to green (协调)."""
    shade = matplotlib.colormaps["RdYlGn"]
    span = (bands[0][0], bands[-1][1])
    # Vertical bands are labelled along the top edge, horizontal ones at the right edge.
    if vertical:
        shade_between, transform = ax.axvspan, ax.get_xaxis_transform()
        align, label_at = {"ha": "center", "va": "top"}, lambda mid: (mid, 0.995)
    else:
        shade_between, transform = ax.axhspan, ax.get_yaxis_transform()
        align, label_at = {"ha": "right", "va": "center"}, lambda mid: (0.995, mid)
    for lo, hi, lab in bands:
        if hi <= low or lo >= high:
            continue
        mid = 0.5 * (lo + hi)
        shade_between(
            lo, hi, color=shade((mid - span[0]) / (span[1] - span[0])), alpha=0.16, lw=0, zorder=0
        )
        ax.text(*label_at(mid), lab, transform=transform, **align, fontsize=8, color="#444444")


def coupling_trend(
    frame: Any,
    *,
    entity: str,
    period: str,
    D: str,
    bands: Sequence[tuple[float, float, str]] = COUPLING_CLASSES,
    title: str = "耦合协调度变化趋势",
    highlight: Sequence[Hashable] | None = None,
    show_range: bool = True,
    xlabel: str = "年份",
    ylabel: str = "耦合协调度 D",
    note: str | None = None,
) -> Figure:
    """Mean coupling coordination degree over time, on shaded class bands.

    Parameters
    ----------
    frame
        Long table, one row per entity and period.
    entity, period, D
        Column names; ``D`` holds the coupling coordination degree in [0, 1].
    bands
        Classes as ``(lo, hi, label)``, e.g. ``(0.5, 0.6, "勉强协调")``; default
        :data:`COUPLING_CLASSES`.  Pass the classes your coupling result used so that
        the chart and the tables agree.
    title, xlabel, ylabel
        Chart texts.
    highlight
        Entities whose own D is drawn as well.
    show_range
        Shade the min-max range across entities around the mean.
    note
        Grey footnote under the axes.

    Returns
    -------
    matplotlib.figure.Figure
        One ``Line2D`` for the mean plus one per highlighted entity.  Only the bands
        that the data touch are drawn, each labelled at the right edge.
    """
    df = _as_pandas(frame)
    classes = _check_bands(bands)
    wide = _wide(df, entity=entity, period=period, value=D)
    highlight = list(highlight or [])
    _check_known(highlight, list(wide.columns), "highlight")
    mean, lo, hi = wide.mean(axis=1), wide.min(axis=1), wide.max(axis=1)

    fig, ax = new_figure(9.0, 5.2, note)
    x = _x(wide.index)
    if show_range:
        ax.fill_between(
            x,
            lo.to_numpy(),
            hi.to_numpy(),
            color="#4c72b0",
            alpha=0.15,
            lw=0,
            label="最小值–最大值",
            zorder=1,
        )
    ax.plot(x, mean.to_numpy(), color=MEAN_COLOR, lw=2.6, marker="o", ms=4, label="均值", zorder=3)
    for i, e in enumerate(highlight):
        ax.plot(x, wide[e].to_numpy(), **line_style(i), lw=1.8, label=str(e), zorder=2)
    # Every point drawn stays inside the shaded bands (lo <= hi, so each bounds both).
    drawn = [v for v in (mean, *((lo, hi) if show_range else ()), wide[highlight]) if np.size(v)]
    low, high = _band_limits(
        classes,
        float(np.nanmin([np.nanmin(v) for v in drawn])),
        float(np.nanmax([np.nanmax(v) for v in drawn])),
    )
    _draw_bands(ax, classes, low, high, vertical=False)
    ax.set_ylim(low, high)
    _time_axes(ax, wide.index, title, xlabel, ylabel, grid=False)
    ax.legend(loc="best", frameon=True, framealpha=0.85, fontsize=9)
    return fig


def coupling_scatter(
    frame: Any,
    *,
    entity: str,
    period: str,
    D: str,
    at: Hashable | None = None,
    group: str | None = None,
    bands: Sequence[tuple[float, float, str]] = COUPLING_CLASSES,
    title: str | None = None,
    xlabel: str = "耦合协调度 D",
    note: str | None = None,
) -> Figure:
    """Dot plot of each entity's coupling coordination degree in one period.

    Parameters
    ----------
    frame
        Long table, one row per entity and period.
    entity, period, D
        Column names.
    at
        Period to show; default the latest.
    group
        Optional column to colour dots by (e.g. region).
    bands
        Classes as ``(lo, hi, label)``; default :data:`COUPLING_CLASSES`.
    title
        Chart title; default ``"耦合协调度（<at>）"``.
    xlabel
        Axis label.
    note
        Grey footnote under the axes.

    Returns
    -------
    matplotlib.figure.Figure
        One scatter collection per group (one in all without ``group``) holding one
        point per entity; entities sorted by D, highest at the top, over shaded class
        bands labelled along the top edge.
    """
    df = _as_pandas(frame)
    _require(df, entity, period, D, group)
    classes = _check_bands(bands)
    if at is None:
        at = df[period].max()
    elif not (df[period] == at).any():
        raise DataValidationError(f"period {at!r} not in the data", column=period)
    rows = df.loc[df[period] == at].assign(_v=lambda d: _numeric(d, D))
    rows = rows.dropna(subset=["_v"]).sort_values("_v", kind="stable")
    n = len(rows)

    fig, ax = new_figure(8.5, max(3.5, 0.26 * n + 1.8), note)
    y = np.arange(n)
    if group is not None:
        groups = group_order(rows[group].tolist())
        colors = group_colors(groups)
        for g in groups:
            sel = (rows[group] == g).to_numpy()
            ax.scatter(
                rows["_v"].to_numpy()[sel], y[sel], color=colors[g], s=36, zorder=3, label=str(g)
            )
        ax.legend(loc="lower right", fontsize=9, framealpha=0.85)
    else:
        ax.scatter(rows["_v"].to_numpy(), y, color=PALETTE[0], s=36, zorder=3)
    ax.hlines(y, 0, rows["_v"].to_numpy(), color="#cccccc", lw=0.6, zorder=2)
    ax.set_yticks(y, [str(e) for e in rows[entity]], fontsize=9)
    # One empty row on top keeps dots clear of the band labels.
    ax.set_ylim(-0.7, n + 0.6)
    vals = rows["_v"].to_numpy()
    low, high = _band_limits(
        classes, float(np.min(vals)) if n else 0.0, float(np.max(vals)) if n else 1.0
    )
    _draw_bands(ax, classes, low, high, vertical=True)
    ax.set_xlim(low, high)
    label_axes(ax, title if title is not None else f"耦合协调度（{at}）", xlabel, fontsize=14)
    hide_spines(ax, "top", "right")
    return fig
