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
    zh
        The same reason in Chinese, written beside the English one at the place the rule
        is checked, so that each rule exists once and every door can speak its users'
        language: the web shows ``reason_zh`` (see :func:`nqpf.web.errors.field_error`).
        Phrased to follow a field label, e.g. ``应为数字，收到 'n/a'``.  Defaults to
        ``message``.
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
        zh: str | None = None,
    ) -> None:
        self.data_row = data_row
        self.reason_zh = zh if zh is not None else message
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

    def at(self, **where: object) -> DataValidationError:
        """The same error located further (``file=``, ``row=``, ``column=``, ``field=``).

        Keeps the class, the reason in both languages and every location not given, so a
        reader can add the file name to an error raised by the rule it called.

        >>> DataValidationError("expected a number", field="x", zh="应为数字").at(file="a.csv")
        DataValidationError("a.csv, field 'x': expected a number")
        """
        keys = ("file", "row", "column", "field", "data_row")
        located = {k: where.get(k, getattr(self, k)) for k in keys}
        unknown = set(where) - set(keys)
        if unknown:
            raise TypeError(f"unknown location(s): {sorted(unknown)}")
        error = DataValidationError.__new__(type(self))
        DataValidationError.__init__(error, self.reason, zh=self.reason_zh, **located)  # type: ignore[arg-type]
        return error


class ConfigError(DataValidationError):
    """A configuration or data file (YAML) is malformed: names the key and line."""


class SystemDefinitionError(ConfigError):
    """An indicator-system file is malformed."""


class ConsistencyError(DataValidationError):
    """AHP judgements are too inconsistent (consistency ratio above the limit)."""


class NotFittedError(NqpfError, AttributeError):
    """An estimator was used before ``fit``."""
