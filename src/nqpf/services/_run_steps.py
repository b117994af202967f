"""Steps shared by the config-driven runs (``index run``, ``analyze run``).

Both take their panel as a file's bytes (an upload, or a file the CLI read) or as a
dataframe, select periods the same way, open their metadata with the same rows and
frame their HTML report the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from nqpf.datasets import SYNTHETIC_LABEL
from nqpf.exceptions import ConfigError
from nqpf.io.tables import read_panel
from nqpf.panel import Panel
from nqpf.reports.html import Section, render_report
from nqpf.services.files import InputFile, read_config_input
from nqpf.services.index_config import PeriodRange


def config_input(cfg: Any, given: InputFile | bytes | Any | None, path: str, *, field: str) -> Any:
    """A file the config names at ``path`` (key ``field``), as given to the run or read.

    ``given`` is a file's name and bytes (an upload), bare bytes, which take the name of
    ``path`` (its suffix chooses the reader), or a dataframe, returned as it is.  ``None``
    reads ``path`` beside a config read from a file.
    """
    if given is None:
        return read_config_input(cfg, path, field=field)
    if isinstance(given, bytes | bytearray):
        return InputFile(Path(path).name, bytes(given))
    return given


def read_panel_input(
    data: InputFile | Any,
    section: Any,
    *,
    indicators: Sequence[str],
    keep: Sequence[str],
    **options: Any,
) -> Panel:
    """A validated :class:`Panel` from a file's bytes or a dataframe.

    ``section`` is the config's data section (entity, period, sheet, missing, fill_value);
    ``options`` are further arguments of :meth:`Panel.from_frame` (layout …).  The entity
    and ``keep`` columns of a file are read as text, so codes keep their leading zeros.
    """
    options.update(
        entity=section.entity,
        period=section.period,
        indicators=indicators,
        keep=keep,
        missing=section.missing,
        fill_value=section.fill_value,
    )
    if isinstance(data, InputFile):
        return read_panel(data.data, name=data.name, sheet=section.sheet, **options)
    return Panel.from_frame(data, **options)


def label(data: InputFile | Any) -> str | None:
    """The name that error messages give the data: the file's, none for a dataframe."""
    return data.name if isinstance(data, InputFile) else None


def _in_range(labels: np.ndarray, rng: PeriodRange | None) -> np.ndarray:
    keep = np.ones(labels.shape[0], dtype=bool)
    if rng is None:
        return keep
    if rng.start is not None:
        keep &= labels >= type(labels[0])(rng.start)
    if rng.end is not None:
        keep &= labels <= type(labels[0])(rng.end)
    return keep


def select_periods(panel: Panel, rng: PeriodRange | None, what: str) -> Panel:
    """The periods of ``panel`` inside ``rng`` (config key ``what``); all when None."""
    if rng is None:
        return panel
    labels = panel.period_labels
    try:
        chosen = labels[_in_range(labels, rng)]
    except (TypeError, ValueError):
        raise ConfigError(
            f"period bounds {rng.start!r}–{rng.end!r} do not match the period labels", field=what
        ) from None
    if chosen.size == 0:
        raise ConfigError(
            f"no period of the data ({labels[0]}–{labels[-1]}) lies in {rng.start}–{rng.end}",
            field=what,
        )
    return panel.subset_periods(chosen)


def render(run: Any, subject: str, sections: list[Section]) -> str:
    """A run's HTML report: ``subject`` and the panel's size under the title, then the sections."""
    panel = run.panel
    return render_report(
        title=run.config.title,
        subtitle=f"{subject} · {panel.n_entities} 个单位 × {panel.n_periods} 期",
        synthetic_label=synthetic_note(run.config),
        meta=run.meta,
        sections=sections,
    )


def synthetic_note(cfg: Any) -> str | None:
    """The synthetic-data label for every chart and the report, if the data are synthetic."""
    return SYNTHETIC_LABEL if cfg.data.synthetic else None


def metadata_head(cfg: Any, data: InputFile | Any) -> dict[str, str]:
    """The first rows of a run's metadata: title, data file and its SHA-256."""
    meta = {"标题 title": cfg.title, "数据 data": str(cfg.data.path)}
    if isinstance(data, InputFile):
        meta["数据 SHA-256"] = data.sha256
    return meta


def input_hashes(data: InputFile | Any) -> dict[str, Any]:
    """The input data's name and SHA-256 for a run's manifest (a dataframe has neither)."""
    if isinstance(data, InputFile):
        return {"data": {"name": data.name, "sha256": data.sha256}}
    return {}


def period_span(panel: Panel) -> str:
    """``first–last (count)`` of the panel's periods."""
    labels = panel.period_labels
    return f"{labels[0]}–{labels[-1]} ({panel.n_periods})"


def with_status(cfg: Any, meta: dict[str, str]) -> dict[str, str]:
    """``meta`` led by the synthetic-data label where the config says the data are synthetic."""
    note = synthetic_note(cfg)
    return {"数据性质 data status": note, **meta} if note else meta


def metadata_frame(meta: dict[str, str]) -> pd.DataFrame:
    """The ``metadata`` output table: one row per item."""
    return pd.DataFrame({"item": list(meta), "value": list(meta.values())})
