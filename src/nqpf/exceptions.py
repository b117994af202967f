"""Exceptions raised by nqpf.

Every error a user can cause is an :class:`NqpfError`.  Messages name the file, row,
column or field at fault and say what was expected, so that the command-line front end
can print them as one line and exit with code 2 instead of a traceback.
"""

from __future__ import annotations


class NqpfError(Exception):
    """Base class of every error nqpf raises for bad input or misuse."""

    exit_code = 2


class DataValidationError(NqpfError, ValueError):
    """Input data (array, table, file) does not meet a method's requirements.

    Parameters
    ----------
    message
        What is wrong and what was expected.
    file, row, column, field
        Where the fault is, when known.  They are kept as attributes and prefixed to the
        message, e.g. ``demo.csv, row 14, column '研发投入': expected a number, got 'n/a'``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        field: str | None = None,
        data_row: int | None = None,
    ) -> None:
        self.data_row = data_row
        self.file = file
        self.row = row
        self.column = column
        self.field = field
        self.reason = message
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column!r}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


class ConfigError(DataValidationError):
    """A configuration or data file (YAML) is malformed: names the key and line."""


class SystemDefinitionError(ConfigError):
    """An indicator-system file is malformed."""


class ConsistencyError(DataValidationError):
    """AHP judgements are too inconsistent (consistency ratio above the limit)."""


class NotFittedError(NqpfError, AttributeError):
    """An estimator was used before ``fit``."""
