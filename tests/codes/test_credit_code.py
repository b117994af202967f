"""统一社会信用代码 check character (GB 32100-2015)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.codes.credit_code import (
    CHARSET,
    WEIGHTS,
    credit_code_check_char,
    is_valid_credit_code,
    validate_credit_code,
)
from nqpf.exceptions import DataValidationError

# Widely published example (a company registered in 福州, 350100).
PUBLISHED = "91350100M000100Y43"
# Constructed: 9 (工商) 1 (企业) 110108 (北京市海淀区) MA01ABCD1, check character E.
CONSTRUCTED = "91110108MA01ABCD1E"


def test_charset_and_weights_follow_the_standard():
    assert len(CHARSET) == 31
    assert not set("IOSVZ") & set(CHARSET)
    assert list(WEIGHTS) == [pow(3, i, 31) for i in range(17)]


@pytest.mark.parametrize("code", [PUBLISHED, CONSTRUCTED, "000000000000000000"])
def test_valid_codes(code):
    assert is_valid_credit_code(code)
    assert validate_credit_code(code) == code


def test_constructed_check_char_by_hand():
    body = CONSTRUCTED[:-1]
    total = sum(w * CHARSET.index(c) for w, c in zip(WEIGHTS, body, strict=True))
    assert total == 1815  # 1815 mod 31 = 17; 31 - 17 = 14, the 15th character: E
    assert CHARSET[31 - total % 31] == "E"
    assert credit_code_check_char(body) == "E"


def test_remainder_zero_gives_check_zero():
    assert credit_code_check_char("0" * 17) == "0"


def test_normalizes_case_and_spaces():
    assert validate_credit_code(f"  {CONSTRUCTED.lower()} ") == CONSTRUCTED


@pytest.mark.parametrize("last", ["0", "F", "4", "Y"])
def test_wrong_check_char(last):
    code = CONSTRUCTED[:-1] + last
    assert not is_valid_credit_code(code)
    with pytest.raises(DataValidationError, match="expected 'E'") as info:
        validate_credit_code(code)
    assert info.value.field == "credit_code"


@pytest.mark.parametrize(
    "code",
    [
        "91110108MA01ABCI1E",  # I
        "91110108MA01ABCO1E",  # O
        "9111010SMA01ABCD1E",  # S
        "91110108MA01VBCD1E",  # V
        "91110108MA01ABCD1Z",  # Z as check character
        "91110108MA01-BCD1E",
        "91110108MA01中BCD1E",
    ],
)
def test_bad_characters(code):
    assert not is_valid_credit_code(code)
    with pytest.raises(DataValidationError, match="not allowed"):
        validate_credit_code(code)


@pytest.mark.parametrize("code", ["", "9135010", PUBLISHED[:-1], PUBLISHED + "3"])
def test_wrong_length(code):
    assert not is_valid_credit_code(code)
    with pytest.raises(DataValidationError, match="18 characters"):
        validate_credit_code(code)


def test_check_char_needs_17_characters():
    with pytest.raises(DataValidationError, match="first 17"):
        credit_code_check_char(PUBLISHED)


@settings(deadline=None, max_examples=100, database=None)
@given(st.text(alphabet=CHARSET, min_size=17, max_size=17))
def test_exactly_one_check_char_is_valid(body):
    valid = [c for c in CHARSET if is_valid_credit_code(body + c)]
    assert valid == [credit_code_check_char(body)]


# -- property tests: generated codes -------------------------------------------------------

#: 登记管理部门码 + 机构类别码 pairs of GB 32100-2015 (e.g. 91 工商·企业, 52 民政·社会团体 …).
_KINDS = ("11", "12", "13", "19", "51", "52", "53", "59", "91", "92", "93", "Y1")


def _region_codes():
    from nqpf.codes.region import _table

    return sorted(c for c, r in _table().regions.items() if r.level == "county")


_ORG = st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=9, max_size=9)


@st.composite
def credit_codes(draw):
    """A valid code: kind, a county-level region code, a 9-character organisation code."""
    body = draw(st.sampled_from(_KINDS)) + draw(st.sampled_from(_region_codes())) + draw(_ORG)
    return body + credit_code_check_char(body)


@settings(deadline=None, max_examples=300, database=None)
@given(credit_codes())
def test_every_generated_code_passes(code):
    assert validate_credit_code(code) == code
    assert validate_credit_code(f" {code.lower()} ") == code


@settings(deadline=None, max_examples=300, database=None)
@given(credit_codes(), st.integers(0, 17), st.sampled_from(CHARSET + "IOSVZ-*中 "))
def test_any_single_character_change_fails(code, pos, char):
    """A substitution changes Σ wᵢcᵢ by wᵢ·δ ≢ 0 (mod 31, a prime): always caught."""
    if char == code[pos]:
        char = CHARSET[(CHARSET.index(char) + 1) % 31]
    changed = code[:pos] + char + code[pos + 1 :]
    assert not is_valid_credit_code(changed)
    with pytest.raises(DataValidationError) as info:
        validate_credit_code(changed)
    assert info.value.field == "credit_code" and info.value.reason_zh


@settings(deadline=None, max_examples=300, database=None)
@given(credit_codes(), st.integers(0, 15))
def test_adjacent_transpositions_in_the_body_fail(code, pos):
    """Swapping positions i, i+1 (i+1 < 17) changes the sum by (wᵢ − wᵢ₊₁)(cᵢ₊₁ − cᵢ) ≢ 0."""
    if code[pos] == code[pos + 1]:
        return
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    assert not is_valid_credit_code(swapped)


@settings(deadline=None, max_examples=200, database=None)
@given(credit_codes())
def test_generated_codes_carry_a_known_region(code):
    """Characters 3–8 are a GB/T 2260 code: the region table validates and names them."""
    from nqpf.codes.region import region_name, validate_region_code

    assert validate_region_code(code[2:8], known="region") == code[2:8]
    assert region_name(code[2:8])
