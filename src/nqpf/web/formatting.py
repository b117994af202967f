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

from datetime import UTC, datetime, timedelta, timezone

from nqpf.reports.number_format import SCORE_DIGITS, number, score

__all__ = ["BEIJING", "SCORE_DIGITS", "beijing", "number", "score"]

BEIJING = timezone(timedelta(hours=8), "北京时间")
"""China Standard Time (UTC+8, no daylight saving)."""


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
