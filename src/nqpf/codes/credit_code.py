"""统一社会信用代码 (unified social credit code) check character, GB 32100-2015.

The code has 18 characters from the 31-character set ``0-9 A-H J-N P-R T-U W-Y`` (no I,
O, S, V, Z).  Character *i* (1…17) has the value of its position in that set and the
weight ``3**(i-1) mod 31``; the 18th character is the set member at
``31 - (Σ wᵢ·cᵢ mod 31)``, with 31 written as ``0``.

>>> credit_code_check_char("91350100M000100Y4")
'3'
>>> is_valid_credit_code("91350100M000100Y43")
True
>>> is_valid_credit_code("91350100M000100Y44")
False
"""

from __future__ import annotations

from nqpf.exceptions import DataValidationError

__all__ = [
    "CHARSET",
    "WEIGHTS",
    "credit_code_check_char",
    "is_valid_credit_code",
    "validate_credit_code",
]

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
_LENGTH = 18


def credit_code_check_char(body: str) -> str:
    """Return the check character (18th) for the first 17 characters ``body``.

    Raises :class:`~nqpf.exceptions.DataValidationError` if ``body`` is not 17
    characters of the code's character set.
    """
    if len(body) != _LENGTH - 1:
        raise DataValidationError(
            f"expected the first 17 characters of a 统一社会信用代码, got {len(body)}: {body!r}",
            field="credit_code",
            zh=f"应为前 17 位，实际 {len(body)} 位",
        )
    _check_charset(body)
    total = sum(w * _VALUE[ch] for w, ch in zip(WEIGHTS, body, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def validate_credit_code(code: str) -> str:
    """Return ``code`` stripped and upper-cased if it is a valid 统一社会信用代码.

    Raises :class:`~nqpf.exceptions.DataValidationError` naming what is wrong: the
    length, characters outside the set, or the check character (and the expected one).
    """
    normalized = code.strip().upper()
    if not normalized:
        raise DataValidationError(
            "a 统一社会信用代码 has 18 characters, got 0: ''", field="credit_code", zh="不能为空"
        )
    if len(normalized) != _LENGTH:
        raise DataValidationError(
            f"a 统一社会信用代码 has 18 characters, got {len(normalized)}: {code!r}",
            field="credit_code",
            zh=f"应为 18 位，实际 {len(normalized)} 位",
        )
    _check_charset(normalized)
    expected = credit_code_check_char(normalized[:-1])
    last = normalized[-1]
    if last != expected:
        raise DataValidationError(
            f"check character of 统一社会信用代码 {normalized!r} is {last!r}, expected {expected!r}",
            field="credit_code",
            zh=f"校验位错误：第 18 位应为 {expected!r}，实际为 {last!r}",
        )
    return normalized


def _check_charset(text: str) -> None:
    bad = "".join(sorted({ch for ch in text if ch not in _VALUE}))
    if bad:
        what = f"character {bad!r} is" if len(bad) == 1 else f"characters {bad!r} are"
        raise DataValidationError(
            f"{what} not allowed in a 统一社会信用代码 (allowed: 0-9 and A-H J-N P-R T-U W-Y)",
            field="credit_code",
            zh=f"含不允许的字符 {bad!r}（允许 0-9 及 A-H J-N P-R T-U W-Y）",
        )


def is_valid_credit_code(code: str) -> bool:
    """True if ``code`` (case and surrounding spaces ignored) is a valid 统一社会信用代码."""
    try:
        validate_credit_code(code)
    except DataValidationError:
        return False
    return True
