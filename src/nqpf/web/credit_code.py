"""Moved to :mod:`nqpf.codes.credit_code` (a code grammar, not a web concern)."""

from nqpf.codes.credit_code import (
    CHARSET,
    WEIGHTS,
    credit_code_check_char,
    is_valid_credit_code,
    validate_credit_code,
)

__all__ = [
    "CHARSET",
    "WEIGHTS",
    "credit_code_check_char",
    "is_valid_credit_code",
    "validate_credit_code",
]
