"""The services' only path plumbing: reading an input file's bytes and writing a run's
outputs (tables in several formats, an HTML report, the effective config).

Every other module of :mod:`nqpf.services` takes objects or bytes and returns results,
tables and rendered documents, so the CLI (paths) and the web (uploads, downloads) call
the same code; the CLI goes through the functions here.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from nqpf.exceptions import ConfigError, DataValidationError
from nqpf.io.atomic import atomic_write, write_table, write_tables

FORMATS = ("xlsx", "csv", "parquet")


@dataclass(frozen=True)
class InputFile:
    """A file's name (for messages; its suffix chooses the reader) and its bytes."""

    name: str
    data: bytes


def read_input(path: str | os.PathLike[str]) -> InputFile:
    """The bytes of ``path``, or a one-line :class:`DataValidationError` naming it."""
    path = Path(path)
    if not path.exists():
        raise DataValidationError("file not found", file=str(path))
    if path.is_dir():
        raise DataValidationError("is a folder, expected a file", file=str(path))
    try:
        return InputFile(path.name, path.read_bytes())
    except OSError as exc:
        raise DataValidationError(f"cannot read: {exc.strerror or exc}", file=str(path)) from None


def check_formats(formats: Sequence[str]) -> list[str]:
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ConfigError(
            f"unknown output format(s) {unknown}; expected xlsx, csv or parquet",
            field="output.formats",
        )
    return list(formats)


def output_folder(path: Path) -> Path:
    out = path.resolve()
    if out.exists() and not out.is_dir():
        raise ConfigError("output path exists and is not a folder", file=str(out))
    return out


def write_bundle(
    out: Path,
    *,
    workbook: str,
    tables: Mapping[str, pd.DataFrame],
    formats: Sequence[str],
    html: str | None,
    config_text: Callable[[], str],
    known_tables: Collection[str] = (),
) -> list[Path]:
    """Write everything into ``out``; each file is replaced atomically.

    Callers render the report and build the tables first, so a failure in computing leaves
    no file behind.  ``known_tables`` names every table this kind of run can produce: those
    that this run did not produce are removed, so stale results from an earlier run never
    sit beside new ones; likewise a workbook or report this run does not write.
    Operating-system errors become one-line user errors.
    """
    written: list[Path] = []
    try:
        out.mkdir(parents=True, exist_ok=True)
        if "xlsx" in formats:
            written.append(write_tables(tables, out / workbook))
        else:
            (out / workbook).unlink(missing_ok=True)
        for fmt in ("csv", "parquet"):
            wanted = tables if fmt in formats else {}
            for name, table in wanted.items():
                written.append(write_table(table, out / f"{name}.{fmt}"))
            for name in set(known_tables) - set(wanted):
                (out / f"{name}.{fmt}").unlink(missing_ok=True)
        if html is not None:
            path = out / "report.html"
            with atomic_write(path, "w") as fh:
                fh.write(html)
            written.append(path)
        else:
            (out / "report.html").unlink(missing_ok=True)
        path = out / "config.used.yaml"
        with atomic_write(path, "w") as fh:
            fh.write(config_text())
        written.append(path)
    except OSError as exc:
        raise DataValidationError(
            f"cannot write output: {exc.strerror or exc}", file=str(exc.filename or out)
        ) from None
    return written


def write_outputs(
    out: str | os.PathLike[str],
    *,
    workbook: str,
    tables: Mapping[str, pd.DataFrame],
    known_tables: Sequence[str],
    formats: Sequence[str] = ("xlsx", "csv"),
    settings: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write ``tables`` into folder ``out`` (each file atomically) plus ``config.used.yaml``."""
    fmts = check_formats(list(formats))
    folder = output_folder(Path(out))
    text = yaml.safe_dump(dict(settings or {}), allow_unicode=True, sort_keys=False)
    return write_bundle(
        folder,
        workbook=workbook,
        tables=dict(tables),
        formats=fmts,
        html=None,
        config_text=lambda: text,
        known_tables=known_tables,
    )


# -- config-driven runs (index run, analyze run) -------------------------------------------


def load_config(path: str | os.PathLike[str], parse: Callable[..., Any]) -> Any:
    """Read a UTF-8 YAML config file and validate it with ``parse``.

    ``parse(text, filename=..., base_dir=...)`` is a config parser such as
    :func:`~nqpf.services.index_config.parse_index_config`; the file's folder becomes the
    config's base folder, against which its relative paths resolve.
    """
    path = Path(path)
    try:
        text = read_input(path).data.decode("utf-8-sig")
    except DataValidationError as exc:  # a config that cannot be read is a config error
        raise ConfigError(exc.reason, file=exc.file) from None
    except UnicodeDecodeError:
        raise ConfigError("file is not UTF-8 text", file=str(path)) from None
    return parse(text, filename=str(path), base_dir=path.resolve().parent)


def config_path(config: Any, path: str, *, field: str) -> Path:
    """The file that ``path`` of a config names, in the folder of the config file.

    Only a config read from a file (one with a ``base_dir``) names files to read; a config
    given as text, such as an upload, comes with its data, so it can never make the
    services read a path of its choosing.
    """
    if config.base_dir is None:
        raise ConfigError(
            f"{path!r} names a file, but this config was not read from a file; "
            "give the file's content with the run instead",
            field=field,
        )
    return config.resolve(path)


def read_config_input(config: Any, path: str, *, field: str) -> InputFile:
    """The bytes of the file that ``path`` of a config names, labelled with its full path."""
    full = config_path(config, path, field=field)
    return InputFile(str(full), read_input(full).data)


def write_run(
    run: Any,
    *,
    out_dir: str | os.PathLike[str] | None = None,
    formats: Sequence[str] | None = None,
    report: bool | None = None,
) -> list[Path]:
    """Write a config-driven run's tables, report and effective config; return the paths.

    ``run`` is an :class:`~nqpf.services.index_run.IndexRun` or
    :class:`~nqpf.services.analyze_run.AnalysisRun`: it has ``config`` (with its
    ``output`` section), ``output_tables``, ``report_html``, ``config_text(out, formats,
    report)``, ``workbook`` and ``known_tables``.  ``out_dir``, ``formats`` and ``report``
    override the config's output section.  The report is rendered before anything is
    written, and each file is replaced atomically, so an error leaves the previous outputs
    (or none) in place.  The paths are also kept in ``run.written``.
    """
    output = run.config.output
    formats = check_formats(formats or output.formats)
    want_report = output.report if report is None else report
    out = output_folder(Path(out_dir) if out_dir is not None else run.config.resolve(output.dir))
    run.written = write_bundle(
        out,
        workbook=run.workbook,
        tables=run.output_tables,
        formats=formats,
        html=run.report_html if want_report else None,
        config_text=lambda: run.config_text(out, formats, want_report),
        known_tables=run.known_tables,
    )
    return run.written
