"""Reports: charts and documents made from results (an edge layer; no file writing).

Modules
-------
fonts
    :func:`use_cjk_font` registers the OFL font Noto Sans CJK SC for matplotlib.
plots
    Static charts returning :class:`matplotlib.figure.Figure`, and
    :func:`figure_to_data_uri` / :func:`figure_to_svg` to embed them.
html
    :func:`render_report` builds a self-contained HTML page from :class:`Section` s.

Names are imported lazily, so ``from nqpf.reports import render_report`` does not pay
for importing matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nqpf.reports.fonts import use_cjk_font
    from nqpf.reports.html import Section, format_cell, render_report
    from nqpf.reports.plots import (
        COUPLING_CLASSES,
        coupling_scatter,
        coupling_trend,
        figure_to_data_uri,
        figure_to_svg,
        group_trend,
        index_trend,
        obstacle_bar,
        rank_heatmap,
        weights_bar,
    )

_EXPORTS = {
    "use_cjk_font": "fonts",
    "Section": "html",
    "format_cell": "html",
    "render_report": "html",
    "COUPLING_CLASSES": "plots",
    "coupling_scatter": "plots",
    "coupling_trend": "plots",
    "figure_to_data_uri": "plots",
    "figure_to_svg": "plots",
    "group_trend": "plots",
    "index_trend": "plots",
    "obstacle_bar": "plots",
    "rank_heatmap": "plots",
    "weights_bar": "plots",
}

__all__ = [
    "COUPLING_CLASSES",
    "Section",
    "coupling_scatter",
    "coupling_trend",
    "figure_to_data_uri",
    "figure_to_svg",
    "format_cell",
    "group_trend",
    "index_trend",
    "obstacle_bar",
    "rank_heatmap",
    "render_report",
    "use_cjk_font",
    "weights_bar",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
