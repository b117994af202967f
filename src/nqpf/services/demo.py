"""Use case "give me demo data": a seeded synthetic panel written to a file."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from nqpf.datasets import SYNTHETIC_LABEL
from nqpf.datasets.synthetic import make_demo_panel
from nqpf.io.atomic import write_table


def write_demo_panel(
    path: str | Path,
    *,
    system: str = "nqpf-three-factor",
    seed: int = 20241,
    years: Iterable[int] = range(2012, 2024),
) -> Path:
    """Write the synthetic 31-province panel of ``system`` (示例数据，非真实统计) to ``path``."""
    frame = make_demo_panel(system, years=years, seed=seed)
    # DataFrame.attrs do not survive CSV, so the label travels as a column of its own.
    frame.insert(0, "data_status", f"{SYNTHETIC_LABEL} (seed={seed})")
    path = Path(path)
    write_table(frame, path)
    return path
