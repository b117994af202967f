"""Code grammars and code tables of Chinese official identifiers, units and periods.

* :mod:`~nqpf.codes.credit_code` — 统一社会信用代码 (GB 32100-2015) and its check character;
* :mod:`~nqpf.codes.industry` — GB/T 4754-2017 industry codes: grammar, levels, group keys,
  names at all four levels, the 大类 → 门类 mapping and a derived 2011 → 2017 crosswalk;
* :mod:`~nqpf.codes.region` — NBS / GB/T 2260 region codes: grammar, prefixes, levels,
  names (full and short), parents and the code changes since 1981;
* :mod:`~nqpf.codes.units` — units of measure with their conversions (元/万元/亿元, tce,
  kWh, m³, t …) and quantity parsing (``"1,234 万元"``);
* :mod:`~nqpf.codes.periods` — period labels (``2023年``, ``2023-12``, ``2023Q4`` …) as a
  sortable :class:`~nqpf.codes.periods.Period`.

The tables live in ``nqpf/codes/data`` (each with ``id``, ``version``, ``source`` and
``confidence``) and load on first use; importing :mod:`nqpf.codes` loads neither them nor
pandas.  Every check raises :class:`~nqpf.exceptions.DataValidationError` naming the field,
with the reason in English and Chinese (``reason_zh``), so each door speaks its own
language while the rule exists once.
"""

from nqpf.codes.credit_code import (
    CHARSET,
    credit_code_check_char,
    is_valid_credit_code,
    validate_credit_code,
)
from nqpf.codes.industry import (
    INDUSTRY_LEVELS,
    current_industry_code,
    industries,
    industry_key,
    industry_name,
    industry_section,
    split_industry_code,
    validate_industry_code,
    validate_industry_prefix,
)
from nqpf.codes.periods import Period, parse_period, parse_periods
from nqpf.codes.region import (
    REGION_LEVELS,
    SCOPE_LENGTHS,
    current_code,
    parent,
    province_codes,
    province_names,
    region_history,
    region_key,
    region_label,
    region_level,
    region_name,
    regions,
    validate_region_code,
    validate_region_prefix,
)
from nqpf.codes.units import Quantity, convert, parse_number, parse_quantity, unit_info

__all__ = [
    "CHARSET",
    "INDUSTRY_LEVELS",
    "REGION_LEVELS",
    "SCOPE_LENGTHS",
    "Period",
    "Quantity",
    "convert",
    "credit_code_check_char",
    "current_code",
    "current_industry_code",
    "industries",
    "industry_key",
    "industry_name",
    "industry_section",
    "is_valid_credit_code",
    "parent",
    "parse_number",
    "parse_period",
    "parse_periods",
    "parse_quantity",
    "province_codes",
    "province_names",
    "region_history",
    "region_key",
    "region_label",
    "region_level",
    "region_name",
    "regions",
    "split_industry_code",
    "unit_info",
    "validate_credit_code",
    "validate_industry_code",
    "validate_industry_prefix",
    "validate_region_code",
    "validate_region_prefix",
]
