"""How every page writes numbers and times: one place, used as Jinja filters.

* ``{{ x|score }}`` — a score or rate with one decimal (``61.375`` → ``61.4``, ``40.0`` →
  ``40``); the precision of the official tables, which print scores to one decimal.
* ``{{ x|number(3) }}`` — any other quantity with at most ``digits`` decimals, thousands
  separated, trailing zeros dropped (``12,345.5``).
* ``{{ t|beijing }}`` — a time in Beijing time (UTC+8, ``2026-12-07 09:05``); a naive time
  (SQLite) is UTC.  Pages say "（北京时间）" beside it, once per table or line.

Missing values (``None``, NaN) are ``—``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real
from typing import Any

__all__ = ["BEIJING", "SCORE_DIGITS", "beijing", "number", "score"]

BEIJING = timezone(timedelta(hours=8), "北京时间")
"""China Standard Time (UTC+8, no daylight saving)."""
SCORE_DIGITS = 1
"""Decimals of a score shown to users (the official tables print one)."""


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: Any, digits: int = 2, *, grouping: bool = True) -> str:
    """``value`` with at most ``digits`` decimals, trailing zeros dropped.

    >>> number(61.375, 1), number(1234567.0), number(0.12345, 3), number(None)
    ('61.4', '1,234,567', '0.123', '—')
    """
    if _missing(value):
        return "—"
    if isinstance(value, bool) or not isinstance(value, Real):
        return str(value)
    if not math.isfinite(float(value)):
        return "—"
    # half up on the shortest decimal text (7.25 → 7.3), as a reader rounds by hand
    x = Decimal(repr(float(value))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP)
    if x == 0:
        x = abs(x)  # no "-0"
    text = f"{x:,.{digits}f}" if grouping else f"{x:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def score(value: Any, digits: int = SCORE_DIGITS) -> str:
    """A score with :data:`SCORE_DIGITS` decimals.

    >>> score(61.375), score(40.0), score(7.25)
    ('61.4', '40', '7.3')
    """
    return number(value, digits, grouping=False)


def beijing(moment: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """``moment`` in Beijing time; ``—`` for none; a naive time is taken as UTC.

    >>> beijing(datetime(2026, 12, 6, 23, 30, tzinfo=UTC))
    '2026-12-07 07:30'
    """
    if moment is None:
        return "—"
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime(fmt)
