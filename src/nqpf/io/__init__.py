"""Files in and out: read and validate tables and panels, write tables atomically."""

from nqpf.io.atomic import (
    atomic_write,
    sanitize_sheet_name,
    write_table,
    write_tables,
    xlsx_bytes,
)
from nqpf.io.tables import read_panel, read_table

__all__ = [
    "atomic_write",
    "read_panel",
    "read_table",
    "sanitize_sheet_name",
    "write_table",
    "write_tables",
    "xlsx_bytes",
]
