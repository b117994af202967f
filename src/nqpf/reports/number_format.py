"""Numbers as readers see them, in pages, PDFs and spreadsheets: one rule.

:func:`score` writes a score with one decimal (``61.375`` → ``61.4``), :func:`number` any
other quantity with at most ``digits`` decimals; both round half up on the shortest
decimal text (``7.25`` → ``7.3``, as a reader rounds by hand), drop trailing zeros and
write ``—`` for a missing value.  The web's Jinja filters (``nqpf.web.formatting``) are
these functions.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from numbers import Real
from typing import Any

__all__ = ["SCORE_DIGITS", "number", "score"]

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
