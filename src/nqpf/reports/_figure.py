"""The figure kit of the report charts: canvas, colours, axis styling and rendering.

Private to :mod:`nqpf.reports`; the chart modules (:mod:`~nqpf.reports.plots` for
indices, :mod:`~nqpf.reports.disparity_plots`, :mod:`~nqpf.reports.assessment_plots`)
draw with it, and :mod:`nqpf.reports.plots` re-exports its public names.

Figures are built with :class:`~matplotlib.figure.Figure` on an Agg canvas rather than
through ``pyplot``: no global figure registry (nothing leaks in a long-running web
worker), thread-safe, and no dependence on the user's interactive backend.  Every
figure uses the OFL CJK font registered by :func:`~nqpf.reports.fonts.use_cjk_font`.
"""

from __future__ import annotations

import base64
import io
import sys
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from nqpf.reports.fonts import use_cjk_font

#: The four economic regions of the NBS division, in their customary order.
REGION_ORDER: tuple[str, ...] = ("东部", "中部", "西部", "东北")
#: Fixed colours for the four regions, so a region keeps its colour across charts.
REGION_COLORS: dict[str, str] = {
    "东部": "#1f77b4",
    "中部": "#ff7f0e",
    "西部": "#2ca02c",
    "东北": "#d62728",
}

# 10 colours x 4 dash patterns = 40 distinguishable lines: enough for 31 provinces
# without resorting to near-identical hues (tab20's pairs) or a continuous colormap.
PALETTE = tuple(matplotlib.colormaps["tab10"].colors)
DASHES = ("-", "--", ":", "-.")
MEAN_COLOR = "#111111"
MUTED = "#b8b8b8"
GRID_COLOR = "#e6e6e6"
NOTE_COLOR = "#555555"
NOTE_HEIGHT_IN = 0.32  # inches reserved below the axes for the footnote


# ---------------------------------------------------------------------------- canvas


def new_canvas(width: float, height: float, note: str | None) -> Figure:
    """A constrained-layout figure on an Agg canvas, with room for ``note`` below.

    Parameters
    ----------
    width, height
        Size in inches.
    note
        Grey footnote in a strip under the axes (None: no strip).

    Returns
    -------
    matplotlib.figure.Figure
        A figure without axes; add them with ``add_subplot`` or ``subplots``.
    """
    use_cjk_font()
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    if note:
        strip = NOTE_HEIGHT_IN / height
        # Constrained layout ignores figure-level text, so shrink its rectangle to
        # keep a strip free under the axes (and their tick labels) for the note.
        fig.get_layout_engine().set(rect=(0.0, strip, 1.0, 1.0 - strip))
        fig.text(0.01, strip / 2, note, ha="left", va="center", fontsize=9, color=NOTE_COLOR)
    return fig


def new_figure(
    width: float, height: float, note: str | None, *, projection: str | None = None
) -> tuple[Figure, Any]:
    """:func:`new_canvas` with one axes (``projection`` e.g. ``"polar"`` or ``"3d"``)."""
    fig = new_canvas(width, height, note)
    return fig, fig.add_subplot(projection=projection)


# ---------------------------------------------------------------------------- colours


def line_style(i: int) -> dict[str, Any]:
    """Colour and dash pattern of the ``i``-th line: 40 combinations before repeating."""
    return {"color": PALETTE[i % len(PALETTE)], "ls": DASHES[(i // len(PALETTE)) % len(DASHES)]}


def group_order(groups: Sequence[Hashable]) -> list[Hashable]:
    """Regions in their customary order, then other groups in order of appearance."""
    unique = list(dict.fromkeys(groups))
    known = [g for g in REGION_ORDER if g in unique]
    return known + [g for g in unique if g not in known]


def group_colors(groups: Sequence[Hashable]) -> dict[Hashable, Any]:
    """Fixed colours for the four regions, palette colours for anything else."""
    if any(g in REGION_COLORS for g in groups):
        # Keep the region colours unique: others draw from the rest of the palette.
        taken = {to_rgb(v) for v in REGION_COLORS.values()}
        free = [c for c in PALETTE if c not in taken]
    else:
        free = list(PALETTE)
    colors: dict[Hashable, Any] = {}
    others = 0
    for g in groups:
        if g in REGION_COLORS:
            colors[g] = REGION_COLORS[g]
        else:
            colors[g] = free[others % len(free)]
            others += 1
    return colors


# ---------------------------------------------------------------------- axis styling


def label_axes(
    ax: Any,
    title: str,
    xlabel: str | None = None,
    ylabel: str | None = None,
    **title_style: Any,
) -> None:
    """Set the title (with ``title_style``, e.g. ``fontsize=14``) and the axis labels given."""
    ax.set_title(title, **title_style)
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)


def light_grid(ax: Any, axis: str = "both") -> None:
    """A light grid behind the data."""
    ax.grid(True, axis=axis, color=GRID_COLOR, lw=0.6)
    ax.set_axisbelow(True)


def hide_spines(ax: Any, *sides: str) -> None:
    """Hide the named spines (``"top"``, ``"right"`` …), or all four when none is named."""
    for side in sides or tuple(ax.spines):
        ax.spines[side].set_visible(False)


def label_cells(
    ax: Any,
    values: np.ndarray,
    text: Callable[[float], str],
    ink: Callable[[float], Any],
    *,
    fontsize: float,
) -> None:
    """Write ``text(v)`` in ``ink(v)`` at the centre of every finite cell of a heatmap.

    Cell ``(i, j)`` of ``values`` is drawn at ``(j, i)``, as ``imshow`` places it.
    """
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, text(v), ha="center", va="center", fontsize=fontsize, color=ink(v))


# ------------------------------------------------------------------------- rendering


def _close(fig: Figure) -> None:
    # Figures built here are not registered with pyplot; a caller's pyplot figure is,
    # and would otherwise be kept alive by pyplot's registry.  Importing pyplot just
    # to close would select a GUI backend, so only do it if it is already loaded.
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close(fig)


_MIME = {"png": "image/png", "svg": "image/svg+xml", "jpeg": "image/jpeg", "jpg": "image/jpeg"}


def figure_to_data_uri(fig: Figure, fmt: str = "png", dpi: int = 150, *, close: bool = True) -> str:
    """Render a figure into a ``data:`` URI for an ``<img src=...>``.

    Parameters
    ----------
    fig
        The figure.
    fmt
        ``"png"`` (default), ``"svg"`` or ``"jpeg"``.
    dpi
        Resolution for raster formats.
    close
        Close the figure afterwards (frees it from pyplot's registry, if there).

    Returns
    -------
    str
        ``"data:image/png;base64,..."`` or the like.

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> figure_to_data_uri(Figure(figsize=(1, 1)))[:22]
    'data:image/png;base64,'
    """
    fmt = fmt.lower()
    if fmt not in _MIME:
        raise ValueError(f"fmt must be one of {sorted(_MIME)}, got {fmt!r}")
    if fmt == "svg":
        payload = figure_to_svg(fig, close=close).encode("utf-8")
    else:
        buf = io.BytesIO()
        fig.savefig(buf, format=fmt, dpi=dpi, facecolor="white")
        payload = buf.getvalue()
        if close:
            _close(fig)
    return f"data:{_MIME[fmt]};base64,{base64.b64encode(payload).decode('ascii')}"


def figure_to_svg(fig: Figure, *, close: bool = True) -> str:
    """Render a figure as an SVG ``<svg>`` element, ready to inline in HTML.

    Text is converted to outlines (``svg.fonttype = "path"``), so Chinese renders
    without the font installed on the viewer's machine, and element ids are seeded so
    the same figure gives the same SVG.

    Parameters
    ----------
    fig
        The figure.
    close
        Close the figure afterwards.

    Returns
    -------
    str
        The SVG markup starting at ``<svg`` (no XML declaration or DOCTYPE).
    """
    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "path", "svg.hashsalt": "nqpf"}):
        fig.savefig(buf, format="svg", facecolor="white", metadata={"Date": None})
    if close:
        _close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]
