"""Charts of an effect evaluation: the event-study chart of staggered DiD estimates.

Each function returns a matplotlib :class:`~matplotlib.figure.Figure` built with the house
figure kit (Agg canvas, no pyplot, the OFL CJK font) and accepts ``note``, a grey
footnote under the axes (pass ``"示例数据，非真实统计"`` for synthetic data).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from nqpf.exceptions import DataValidationError
from nqpf.reports._figure import (
    GRID_COLOR,
    NOTE_COLOR,
    hide_spines,
    label_axes,
    light_grid,
    new_figure,
)

__all__ = ["event_study_chart"]

_METHOD_LABELS = {
    "cs": "Callaway–Sant'Anna",
    "sa": "Sun–Abraham",
    "did2s": "did2s（Gardner）",
    "twfe": "TWFE（有偏对照）",
}
_COLORS = {"cs": "#1f4e79", "sa": "#2ca02c", "did2s": "#e67e22", "twfe": "#9e9e9e"}
_MARKERS = {"cs": "o", "sa": "s", "did2s": "D", "twfe": "x"}


def event_study_chart(
    results: Any,
    *,
    title: str | None = None,
    ylabel: str | None = None,
    note: str | None = None,
) -> Figure:
    """Event-study chart: the effect by years since joining, with confidence intervals.

    Parameters
    ----------
    results
        A :class:`~nqpf.evaluation.DidResult` or several (e.g. Callaway–Sant'Anna with
        TWFE beside it as the contrast); each is drawn as points with (1 − alpha)
        interval bars, slightly offset so the bars do not overlap.
    title
        Chart title (default "项目效果事件研究图（{outcome}）").
    ylabel
        Y-axis label (default "对 {outcome} 的效应").
    note
        Grey footnote under the axes.

    Returns
    -------
    matplotlib.figure.Figure
        Event time e = period − first treated period on x; e < 0 (shaded) are the
        pre-trend estimates, which should hover around 0 when trends were parallel; a
        dashed line marks 0 and the start of treatment.  The legend gives each method's
        overall ATT with its interval and the joint pre-trend p-value.
    """
    many = list(results) if isinstance(results, Sequence) else [results]
    if not many or any(not hasattr(r, "event_study") for r in many):
        raise DataValidationError(
            "expected DidResult objects (nqpf.evaluation.did)",
            field="results",
            zh="应为项目效果估计结果（DidResult）",
        )
    outcome = many[0].outcome
    fig, ax = new_figure(8.0, 4.8, note)
    es_all = [r.event_study for r in many]
    e_min = min(float(es["e"].min()) for es in es_all)
    e_max = max(float(es["e"].max()) for es in es_all)
    ax.axvspan(e_min - 0.6, -0.5, color=GRID_COLOR, alpha=0.5, lw=0, zorder=0)
    ax.axhline(0.0, color="#555555", lw=0.9, ls="--", zorder=1)
    ax.axvline(-0.5, color="#555555", lw=0.9, ls=":", zorder=1)
    width = 0.5 / max(len(many), 1)
    for k, r in enumerate(many):
        es = r.event_study
        offset = (k - (len(many) - 1) / 2) * width
        x = es["e"].to_numpy(dtype=float) + offset
        y = es["att"].to_numpy(dtype=float)
        lo, hi = es["ci_lo"].to_numpy(dtype=float), es["ci_hi"].to_numpy(dtype=float)
        color = _COLORS.get(r.method, "#333333")
        pretrend = "" if r.pretrend_p is None else f"；前趋势 p={r.pretrend_p:.2g}"
        label = (
            f"{_METHOD_LABELS.get(r.method, r.method)}：ATT {r.att:.3g}"
            f" [{r.ci[0]:.3g}, {r.ci[1]:.3g}]{pretrend}"
        )
        ok = np.isfinite(lo) & np.isfinite(hi)
        ax.vlines(x[ok], lo[ok], hi[ok], color=color, lw=1.4, alpha=0.8, zorder=2)
        ax.plot(x, y, ls="-", lw=0.8, color=color, alpha=0.6, zorder=2)
        ax.scatter(
            x, y, color=color, marker=_MARKERS.get(r.method, "o"), s=26, zorder=3, label=label
        )
    ax.set_xlim(e_min - 0.6, e_max + 0.6)
    ticks = np.arange(int(np.floor(e_min)), int(np.ceil(e_max)) + 1)
    ax.set_xticks(ticks)
    ax.text(
        (e_min - 0.6 + -0.5) / 2, 0.02, "参与前", transform=ax.get_xaxis_transform(),
        ha="center", va="bottom", fontsize=9, color=NOTE_COLOR,
    )  # fmt: skip
    ax.text(
        (e_max + 0.6 + -0.5) / 2, 0.02, "参与后", transform=ax.get_xaxis_transform(),
        ha="center", va="bottom", fontsize=9, color=NOTE_COLOR,
    )  # fmt: skip
    level = f"{100 * (1 - many[0].alpha):g}%"
    label_axes(
        ax,
        title or f"项目效果事件研究图（{outcome}）",
        f"参与后年数 e（期间 − 参与批次），竖线为 {level} 置信区间",
        ylabel or f"对 {outcome} 的效应",
        fontsize=13,
    )
    light_grid(ax, "y")
    hide_spines(ax, "top", "right")
    ax.legend(loc="upper left", fontsize=8.5, frameon=False)
    return fig
