"""Base for frozen result objects.

Every method returns a frozen dataclass that knows how to show itself:
``summary()`` gives a :class:`Summary` that renders as text, Markdown or HTML, and
``to_frame()`` gives a tidy :class:`pandas.DataFrame`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Summary:
    """A titled table of name → value rows, rendered on demand."""

    title: str
    rows: tuple[tuple[str, Any], ...]
    notes: tuple[str, ...] = field(default=())

    @staticmethod
    def _fmt(value: Any) -> str:
        if isinstance(value, float | np.floating):
            return f"{value:.6g}"
        if isinstance(value, np.ndarray):
            return np.array2string(value, precision=6, separator=", ", threshold=12)
        return str(value)

    def as_text(self) -> str:
        width = max((len(k) for k, _ in self.rows), default=0)
        lines = [self.title, "=" * max(len(self.title), 8)]
        lines += [f"{k.ljust(width)}  {self._fmt(v)}" for k, v in self.rows]
        lines += [f"注: {n}" for n in self.notes]
        return "\n".join(lines)

    def as_markdown(self) -> str:
        lines = [f"**{self.title}**", "", "| 项目 | 值 |", "|---|---|"]
        lines += [f"| {k} | {self._fmt(v)} |" for k, v in self.rows]
        lines += [f"\n> {n}" for n in self.notes]
        return "\n".join(lines)

    def as_html(self) -> str:
        body = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(self._fmt(v))}</td></tr>"
            for k, v in self.rows
        )
        notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in self.notes)
        return f"<table class='summary'><caption>{html.escape(self.title)}</caption>{body}</table>{notes}"

    def __str__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        return self.as_html()


class Result:
    """Mixin for frozen result dataclasses: subclasses implement ``summary`` and ``to_frame``."""

    def summary(self) -> Summary:  # pragma: no cover - abstract
        raise NotImplementedError

    def to_frame(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _repr_html_(self) -> str:
        return self.summary().as_html()


def pick_table(tables: dict, table: str):
    """One of a result's named sub-tables, or ``"all"`` of them stacked with a ``table`` column.

    For results that print several tables (Dagum's components / groups / pairs, Theil's …).
    """
    import pandas as pd

    from nqpf.exceptions import DataValidationError

    if table in tables:
        return tables[table]
    if table != "all":
        raise DataValidationError(
            f"table={table!r} is not one of 'all', {', '.join(map(repr, tables))}", field="table"
        )
    return pd.concat(
        [frame.assign(table=name)[["table", *frame.columns]] for name, frame in tables.items()],
        ignore_index=True,
    )
