"""Code grammars of Chinese official identifiers, as pure functions and data.

* :mod:`~nqpf.codes.credit_code` — 统一社会信用代码 (GB 32100-2015) and its check character;
* :mod:`~nqpf.codes.industry` — GB/T 4754-2017 industry codes, levels and group keys;
* :mod:`~nqpf.codes.region` — NBS / GB/T 2260 region codes, prefixes, levels and names.

Every check raises :class:`~nqpf.exceptions.DataValidationError` naming the field, with
the reason in English and Chinese (``reason_zh``), so each door speaks its own language
while the rule exists once.
"""

from nqpf.codes.credit_code import (
    CHARSET,
    credit_code_check_char,
    is_valid_credit_code,
    validate_credit_code,
)
from nqpf.codes.industry import (
    INDUSTRY_LEVELS,
    industry_key,
    split_industry_code,
    validate_industry_code,
    validate_industry_prefix,
)
from nqpf.codes.region import (
    REGION_LEVELS,
    SCOPE_LENGTHS,
    province_codes,
    province_names,
    region_key,
    region_label,
    validate_region_code,
    validate_region_prefix,
)

__all__ = [
    "CHARSET",
    "INDUSTRY_LEVELS",
    "REGION_LEVELS",
    "SCOPE_LENGTHS",
    "credit_code_check_char",
    "industry_key",
    "is_valid_credit_code",
    "province_codes",
    "province_names",
    "region_key",
    "region_label",
    "split_industry_code",
    "validate_credit_code",
    "validate_industry_code",
    "validate_industry_prefix",
    "validate_region_code",
    "validate_region_prefix",
]
