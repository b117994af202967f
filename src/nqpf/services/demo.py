"""Use case "give me demo data": a seeded synthetic panel, as a table or written to a file."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from nqpf.datasets import SYNTHETIC_LABEL
from nqpf.datasets.synthetic import make_demo_panel
from nqpf.io.atomic import write_table


def demo_panel(
    *,
    system: str = "nqpf-three-factor",
    seed: int = 20241,
    years: Iterable[int] = range(2012, 2024),
) -> pd.DataFrame:
    """The synthetic 31-province panel of ``system`` (示例数据，非真实统计), labelled as such."""
    frame = make_demo_panel(system, years=years, seed=seed)
    # DataFrame.attrs do not survive CSV, so the label travels as a column of its own.
    frame.insert(0, "data_status", f"{SYNTHETIC_LABEL} (seed={seed})")
    return frame


def write_demo_panel(
    path: str | Path,
    *,
    system: str = "nqpf-three-factor",
    seed: int = 20241,
    years: Iterable[int] = range(2012, 2024),
) -> Path:
    """Write :func:`demo_panel` to ``path`` (CSV, XLSX or Parquet by its suffix)."""
    path = Path(path)
    write_table(demo_panel(system=system, seed=seed, years=years), path)
    return path
