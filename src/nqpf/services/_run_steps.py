"""Steps shared by the config-driven runs (``index run``, ``analyze run``).

Both take their panel as a file's bytes (an upload, or a file the CLI read) or as a
dataframe, select periods the same way, open their metadata with the same rows and
frame their HTML report the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import narwhals as nw
import numpy as np
import pandas as pd

from nqpf.datasets import SYNTHETIC_LABEL
from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.io.quality import QualityChecker, QualityPolicy, QualityReport, period_year
from nqpf.io.tables import read_csv_values, read_panel, read_table
from nqpf.panel import Panel
from nqpf.panel.memory import release_freed_memory
from nqpf.reports.html import Section, render_report
from nqpf.services.files import InputFile, config_path, read_config_input, read_input
from nqpf.services.index_config import PeriodRange


def config_input(cfg: Any, given: InputFile | bytes | Any | None, path: str, *, field: str) -> Any:
    """A file the config names at ``path`` (key ``field``), as given to the run or read.

    ``given`` is a file's name and bytes (an upload), bare bytes, which take the name of
    ``path`` (its suffix chooses the reader), or a dataframe, returned as it is.  ``None``
    takes ``path`` beside a config read from a file: a CSV file as a :class:`FileOnDisk`
    (streamed by the panel reader, its bytes read only if asked for), others read.
    """
    if given is None:
        full = config_path(cfg, path, field=field)
        if full.suffix.lower() == ".csv" and full.is_file():
            return FileOnDisk(str(full), full)
        return read_config_input(cfg, path, field=field)
    if isinstance(given, bytes | bytearray):
        return InputFile(Path(path).name, bytes(given))
    return given


class FileOnDisk(InputFile):
    """An :class:`InputFile` whose bytes stay on disk until asked for.

    ``data`` reads the file each time it is used (nothing is kept) and ``sha256`` reads
    it in 1 MiB pieces, so a reader that streams ``path`` (:func:`load_panel` of a CSV
    file) never holds the whole file.
    """

    def __init__(self, name: str, path: Path) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "path", path)

    @property
    def data(self) -> bytes:  # type: ignore[override]
        return read_input(self.path).data

    @cached_property
    def sha256(self) -> str:
        digest = hashlib.sha256()
        try:
            with open(self.path, "rb") as fh:
                while piece := fh.read(1 << 20):
                    digest.update(piece)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise DataValidationError(f"cannot read: {reason}", file=self.name) from None
        return digest.hexdigest()

    def __repr__(self) -> str:
        return f"FileOnDisk(name={self.name!r})"


def read_panel_input(
    data: InputFile | Any,
    section: Any,
    *,
    indicators: Sequence[str],
    keep: Sequence[str],
    **options: Any,
) -> Panel:
    """A validated :class:`Panel` from a file's bytes or a dataframe (no quality checks).

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


@dataclass
class Handover:
    """An input handed over to :func:`load_panel`, which lets it go once the table is read.

    The caller keeps no reference, so a big file's bytes are freed before the panel is
    built from the table (150 MB less at the peak of loading a 150 MB CSV).
    """

    data: Any

    def take(self) -> Any:
        data, self.data = self.data, None
        return data


@dataclass
class Loaded:
    """A panel read and checked: the panel to compute on, its quality report, and the
    panel as read (before a ``fix`` policy changed it; the same object when none did)."""

    panel: Panel
    quality: QualityReport
    as_read: Panel
    checker: QualityChecker | None = None


def load_panel(
    data: InputFile | Any,
    section: Any,
    *,
    indicators: Sequence[str],
    keep: Sequence[str],
    quality: Any = None,
    periods: PeriodRange | None = None,
    positive: Mapping[str, str] | None = None,
    nonnegative: Mapping[str, str] | None = None,
    strict: bool = True,
    layout: str = "wide",
    indicator_col: str = "indicator",
    value_col: str = "value",
) -> Loaded:
    """Read a panel with the data-quality checks of :mod:`nqpf.io.quality`.

    The table is read (a file's bytes, or a dataframe; a :class:`Handover` of them is let
    go once read), its text numbers and period labels cleaned as the config's
    ``quality`` section allows, the panel built, the ``periods`` range chosen (config
    key ``periods``), and the panel checked (balance, constant columns, signs, outliers).  With ``strict`` (a run) the first problem the
    policy refuses is raised; without it (a door showing the report before a run) every
    problem is in the report.
    """
    if isinstance(data, Handover):
        data = data.take()
    policy = QualityPolicy.of(quality)
    source = label(data)
    checker = QualityChecker(policy, source=source)
    long = layout == "long"
    matrix = None
    try:
        read = _streamed(data, section, indicators, keep, policy) if not long else None
        if read is not None:  # the indicator columns as one matrix, the rest a table
            frame, matrix = read
            views = {c: matrix[:, j] for j, c in enumerate(indicators)}
            frame, first_row = pd.DataFrame({**frame, **views}, copy=False), 2
        elif isinstance(data, InputFile):
            text = (section.entity, *keep)
            frame = read_table(data.data, name=data.name, sheet=section.sheet, text_columns=text)
            first_row = int(frame.attrs.get("first_row", 2))
        else:
            frame, first_row = _pandas(data), 2
        data = read = None  # a Handover's bytes go now
        release_freed_memory()  # the parser's pieces, before the panel's arrays are made
        frame = checker.clean(
            frame,
            entity=section.entity,
            period=section.period,
            value_columns=[value_col] if long else list(indicators),
            keep=keep,
            key_columns=(indicator_col,) if long else (),
            first_row=first_row,
        )
        if strict:
            checker.report().raise_for_errors()
        panel = Panel.from_frame(
            frame,
            entity=section.entity,
            period=section.period,
            indicators=indicators,
            keep=keep,
            layout=layout,
            indicator_col=indicator_col,
            value_col=value_col,
            missing=section.missing,
            fill_value=section.fill_value,
            source=source,
            first_row=first_row,
            matrix=matrix,
        )
        del frame, matrix  # the panel has the numbers now
        panel = select_periods(panel, periods, "periods")
    except DataValidationError as exc:
        if strict:
            raise
        checker.failed(exc)
        return Loaded(None, checker.report(), None, checker)  # type: ignore[arg-type]
    release_freed_memory()  # the table was read through Arrow and pandas
    checked = checker.check_panel(panel, positive=positive, nonnegative=nonnegative)
    release_freed_memory()  # the outlier checks' (n, m) masks and per-period copies
    report = checker.report(checked)
    if strict:
        report.raise_for_errors()
    return Loaded(checked, report, panel, checker)


def _streamed(
    data: Any, section: Any, indicators: Sequence[str], keep: Sequence[str], policy: Any
) -> tuple[pd.DataFrame, np.ndarray] | None:
    """A CSV file on disk read by :func:`~nqpf.io.tables.read_csv_values`: its id columns
    and its indicator columns as one matrix, which the panel then sorts in place (one
    copy of the numbers, never the file's bytes); None where it reads otherwise.  The
    ``fix`` policy for repeated rows blanks cells of the table, so it takes the table."""
    if not isinstance(data, FileOnDisk) or policy.duplicates == "fix" or section.sheet:
        return None
    ids = {section.entity, section.period, *keep}
    if len(set(indicators)) < len(indicators) or ids.intersection(indicators):
        return None  # an error the panel names from the table
    return read_csv_values(
        data.path,
        name=data.name,
        text_columns=(section.entity, *keep),
        other_columns=(section.period,),
        value_columns=indicators,
    )


def _pandas(data: Any) -> pd.DataFrame:
    """A dataframe of any kind narwhals reads, as pandas (the quality checks work on it)."""
    if isinstance(data, pd.DataFrame):
        return data
    frame = nw.from_native(data)
    if isinstance(frame, nw.LazyFrame):
        frame = frame.collect()
    return frame.to_pandas()


def label(data: InputFile | Any) -> str | None:
    """The name that error messages give the data: the file's, none for a dataframe."""
    return data.name if isinstance(data, InputFile) else None


def _bound(value: Any, numeric: bool, what: str) -> Any:
    """A period bound as the labels are: a number (``2018``, ``"2018年"``), or text — the
    canonical label of a month or quarter (``"2023年6月"`` → ``"2023-06"``) where it is one."""
    if value is None:
        return value
    if not numeric:
        from nqpf.codes.periods import parse_period

        try:
            period = parse_period(value)
        except (DataValidationError, ValueError, TypeError):
            return value
        return str(period) if period.freq != "Y" else value
    year = period_year(value)
    if year is None and isinstance(value, int | float):
        return value
    if year is None:
        raise ConfigError(
            f"period bound {value!r} is not a year, but the period labels are numbers",
            field=what,
            zh=f"期间界限 {value!r} 不是年份，而数据的期间标签是数字",
        )
    return year


def _in_range(labels: np.ndarray, rng: PeriodRange, what: str) -> np.ndarray:
    numeric = labels.dtype.kind in "iuf"
    keep = np.ones(labels.shape[0], dtype=bool)
    for value, compare in ((rng.start, np.greater_equal), (rng.end, np.less_equal)):
        bound = _bound(value, numeric, what)
        if bound is None:
            continue
        if not numeric:
            bound = type(labels[0])(bound)
        keep &= compare(labels, bound)
    return keep


def select_periods(panel: Panel, rng: PeriodRange | None, what: str) -> Panel:
    """The periods of ``panel`` inside ``rng`` (config key ``what``); all when None.

    Numeric labels (years, also those read from ``2023年``) are compared as numbers, and a
    bound written as ``"2018年"`` means 2018; text labels are compared as text.
    """
    if rng is None:
        return panel
    labels = panel.period_labels
    try:
        chosen = labels[_in_range(labels, rng, what)]
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
