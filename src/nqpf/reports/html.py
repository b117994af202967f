"""Self-contained HTML reports.

:func:`render_report` turns a title, a few key/value facts and a list of
:class:`Section` objects (text, figures as ``data:`` URIs, pandas tables) into one HTML
page with inline CSS and no external assets: it opens offline, can be mailed as a
single file and prints cleanly.

Every string from the caller (titles, text, captions, table cells, column names) is
HTML-escaped by Jinja2's autoescaping; only the stylesheet shipped with nqpf is
inserted verbatim.
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
import numpy as np
import pandas as pd

__all__ = ["Section", "format_cell", "render_report"]

_TEMPLATE = "index_report.html.j2"
# Only inline images: anything else would fetch from the network (or run script via
# javascript: URLs), and the report must stay self-contained.
_DATA_URI = re.compile(r"^data:image/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]*$")


@dataclass(frozen=True)
class Section:
    """One titled part of a report.

    Parameters
    ----------
    title
        Section heading; also its entry in the table of contents.
    text
        Plain text shown under the heading; blank lines separate paragraphs.  It is
        escaped, so markup shows literally.
    figures
        Images as ``data:image/...;base64,...`` URIs (see
        :func:`nqpf.reports.plots.figure_to_data_uri`), each optionally paired with a
        caption as ``(caption, uri)``.
    tables
        ``(caption, DataFrame)`` pairs.

    Examples
    --------
    >>> import pandas as pd
    >>> s = Section("权重", text="熵权法", tables=[("权重表", pd.DataFrame({"w": [0.5]}))])
    >>> s.tables[0][0]
    '权重表'
    """

    title: str
    text: str | None = None
    figures: Sequence[str | tuple[str, str]] = ()
    tables: Sequence[tuple[str, pd.DataFrame]] = ()

    def __post_init__(self) -> None:
        # Tuples, so a frozen section cannot be changed through a shared list.
        object.__setattr__(self, "figures", tuple(self.figures))
        object.__setattr__(self, "tables", tuple(self.tables))
        for fig in self.figures:
            uri = fig[1] if isinstance(fig, tuple) else fig
            if not isinstance(uri, str) or not _DATA_URI.match(uri):
                raise ValueError(
                    f"section {self.title!r}: figures must be data:image/...;base64 URIs "
                    f"(see figure_to_data_uri), got {str(uri)[:40]!r}"
                )
        for item in self.tables:
            if not (
                isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], pd.DataFrame)
            ):
                raise ValueError(
                    f"section {self.title!r}: tables must be (caption, pandas.DataFrame) pairs"
                )


def format_cell(value: Any, decimals: int = 4) -> str:
    """Text of one table cell: floats with ``decimals`` places, integers as integers.

    Parameters
    ----------
    value
        Any cell value.
    decimals
        Places for non-integer numbers.

    Returns
    -------
    str
        ``""`` for missing values (None, NaN, NA, NaT).

    Examples
    --------
    >>> format_cell(0.123456), format_cell(3), format_cell(float("nan")), format_cell("东部")
    ('0.1235', '3', '', '东部')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return "是" if value else "否"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return ""
        return f"{v:.{decimals}f}"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _label(key: Any) -> str:
    """Column or index label; MultiIndex tuples joined with ' / '."""
    if isinstance(key, tuple):
        return " / ".join(str(k) for k in key)
    return str(key)


SHORT_CELL = 8
"""Longest text (characters) of a column that is kept on one line in print: codes, short
labels and numbers never wrap one character per line."""


def _column_layout(columns: list[str], rows: list[list[dict]]) -> list[str]:
    """Each column's layout class: ``nowrap`` for numbers and short text (no cell and not
    the header longer than :data:`SHORT_CELL`), ``wide`` for long text (given a minimum
    width so that the narrow columns do not squeeze it), else ``""``.  Number cells never
    wrap whatever their column (``td.num``)."""
    out = []
    for j, header in enumerate(columns):
        cells = [r[j] for r in rows]
        longest = max((len(c["text"]) for c in cells), default=0)
        if len(header) <= SHORT_CELL and all(
            c["num"] or len(c["text"]) <= SHORT_CELL for c in cells
        ):
            out.append("nowrap")
        elif longest > 3 * SHORT_CELL:
            out.append("wide")
        else:
            out.append("")
    return out


def _table_context(caption: str, frame: pd.DataFrame, max_rows: int, decimals: int) -> dict:
    """Everything the template needs for one table, already formatted as text."""
    show_index = not (
        isinstance(frame.index, pd.RangeIndex) and frame.index.name is None
    ) or isinstance(frame.index, pd.MultiIndex)
    head = frame.iloc[:max_rows]
    index_names = [_label(n) if n is not None else "" for n in frame.index.names]
    columns = (index_names if show_index else []) + [_label(c) for c in frame.columns]
    numeric_cols = [pd.api.types.is_numeric_dtype(dt) for dt in frame.dtypes]
    rows = []
    for key, values in zip(head.index, head.itertuples(index=False, name=None), strict=True):
        cells = []
        if show_index:
            keys = key if isinstance(key, tuple) else (key,)
            cells += [{"text": format_cell(k, decimals), "num": False, "head": True} for k in keys]
        cells += [
            {"text": format_cell(v, decimals), "num": num or _is_number(v), "head": False}
            for v, num in zip(values, numeric_cols, strict=True)
        ]
        rows.append(cells)
    layout = _column_layout(columns, rows)
    for cells in rows:
        for cell, kind in zip(cells, layout, strict=True):
            cell["layout"] = kind
    return {
        "caption": caption,
        "columns": columns,
        "layout": layout,
        "rows": rows,
        "n_total": len(frame),
        "n_shown": len(head),
        "truncated": len(frame) > max_rows,
    }


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("nqpf.reports", "templates"),
        # Every {{ }} is escaped, whatever the file name: reports embed user data.
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_report(
    *,
    title: str,
    subtitle: str | None = None,
    synthetic_label: str | None = None,
    meta: Mapping[str, str] | None = None,
    sections: Sequence[Section],
    max_rows: int = 200,
    decimals: int = 4,
    footer: str | None = None,
) -> str:
    """Render a self-contained HTML report.

    Parameters
    ----------
    title, subtitle
        Page heading (also the ``<title>``) and an optional line under it.
    synthetic_label
        When given (e.g. ``"示例数据，非真实统计"``), a red banner with this text is shown at
        the top of the page and repeated in the footer, on screen and in print.
    meta
        Facts shown under the heading as a key/value list, in order (e.g. 配置文件,
        指标体系, 年份范围, 生成时间).
    sections
        The body, in order; each gets an entry in the table of contents.
    max_rows
        Show at most this many rows of each table, with the note
        "仅显示前 N 行，完整数据见导出文件" when a table is longer.
    decimals
        Places for non-integer numbers in tables.
    footer
        Text of the footer line; default names nqpf and its version.

    Returns
    -------
    str
        The HTML document (UTF-8 text; write it with ``encoding="utf-8"``).

    Notes
    -----
    The page uses no scripts, web fonts or remote assets.  Text uses the system font
    stack "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; charts are
    images whose Chinese glyphs are already drawn in.  Output is deterministic (no
    timestamps unless passed in ``meta``).

    Examples
    --------
    >>> html = render_report(title="<b>报告</b>", sections=[Section("概况", text="a < b")])
    >>> "&lt;b&gt;报告&lt;/b&gt;" in html and "a &lt; b" in html
    True
    """
    if max_rows < 0:
        raise ValueError(f"max_rows must be >= 0, got {max_rows}")
    if footer is None:
        from nqpf import __version__

        footer = f"由 nqpf {__version__} 生成"
    context_sections = []
    for i, sec in enumerate(sections, start=1):
        if not isinstance(sec, Section):
            raise TypeError(f"sections[{i - 1}] is {type(sec).__name__}, expected Section")
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", sec.text or "") if p.strip()]
        figures = [
            {"caption": f[0], "uri": f[1]} if isinstance(f, tuple) else {"caption": None, "uri": f}
            for f in sec.figures
        ]
        tables = [_table_context(c, df, max_rows, decimals) for c, df in sec.tables]
        context_sections.append(
            {
                "id": f"sec-{i}",
                "number": i,
                "title": sec.title,
                "paragraphs": paragraphs,
                "figures": figures,
                "tables": tables,
            }
        )
    return (
        _environment()
        .get_template(_TEMPLATE)
        .render(
            title=title,
            subtitle=subtitle,
            synthetic_label=synthetic_label,
            meta=list((meta or {}).items()),
            sections=context_sections,
            footer=footer,
        )
    )
