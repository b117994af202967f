"""Normalisation (methods.md §1): min-max with shift/rescale, pooled vs per-period extremes,
z-score and vector normalisation, and the input checks shared by every index method."""

from __future__ import annotations

import numpy as np
import pytest

from nqpf.exceptions import DataValidationError
from nqpf.indices import minmax, proportion, vector, zscore
from nqpf.indices.normalize import DEFAULT_SHIFT, minmax_extremes

# methods.md R1 input: 4 units × 2 indicators, directions (+, −).
X_R1 = np.array([[3.0, 10.0], [5.0, 20.0], [2.0, 15.0], [7.0, 25.0]])
# Worked by hand: column 1 min 2, max 7 (benefit) → (x − 2)/5;
# column 2 min 10, max 25 (cost) → (25 − x)/15.
X01_R1 = np.array([[1 / 5, 15 / 15], [3 / 5, 5 / 15], [0 / 5, 10 / 15], [5 / 5, 0 / 15]])


def test_minmax_no_shift_matches_hand_computation():
    out = minmax(X_R1, ["+", "-"], shift=0)
    np.testing.assert_allclose(out, X01_R1, rtol=0, atol=1e-15)


def test_default_shift_is_1e4_and_added_after_scaling():
    assert DEFAULT_SHIFT == 1e-4
    out = minmax(X_R1, ["+", "-"])
    np.testing.assert_allclose(out, X01_R1 + 1e-4, rtol=0, atol=1e-15)
    np.testing.assert_allclose(minmax(X_R1, ["+", "-"], shift=0.001), X01_R1 + 0.001, atol=1e-15)


def test_rescale_scalar_and_tuple():
    # mathmodels rescale(x, a, b) = (b − a)(x − min)/(max − min) + a, with a = 0.002, b = 0.998.
    out = minmax(X_R1, ["+", "-"], rescale=0.002)
    np.testing.assert_allclose(out, 0.996 * X01_R1 + 0.002, rtol=0, atol=1e-15)
    assert out.min() == pytest.approx(0.002, abs=1e-15)
    assert out.max() == pytest.approx(0.998, abs=1e-15)
    out2 = minmax(X_R1, ["+", "-"], rescale=(0.1, 0.9))
    np.testing.assert_allclose(out2, 0.8 * X01_R1 + 0.1, rtol=0, atol=1e-15)


def test_rescale_and_shift_are_exclusive():
    with pytest.raises(DataValidationError, match="either shift or rescale") as exc:
        minmax(X_R1, shift=0.01, rescale=0.002)
    assert exc.value.field == "rescale"


@pytest.mark.parametrize("bounds", [(0.5, 0.5), (0.9, 0.1), (-0.1, 1.0)])
def test_rescale_bad_bounds(bounds):
    with pytest.raises(DataValidationError, match="0 <= a < b") as exc:
        minmax(X_R1, rescale=bounds)
    assert exc.value.field == "rescale"


@pytest.mark.parametrize("shift", [-1e-4, np.inf, np.nan])
def test_bad_shift(shift):
    with pytest.raises(DataValidationError, match="shift must be a non-negative") as exc:
        minmax(X_R1, shift=shift)
    assert exc.value.field == "shift"


@pytest.mark.parametrize(
    ("plus", "minus"),
    [
        ("+", "-"),
        (1, -1),
        ("max", "min"),
        ("benefit", "cost"),
        ("正", "负"),
        ("正向", "负向"),
        (1.0, -1.0),
        (" MAX ", "Min"),
    ],
)
def test_direction_codes_are_equivalent(plus, minus):
    np.testing.assert_array_equal(minmax(X_R1, [plus, minus], shift=0), X01_R1)


def test_default_directions_are_benefit():
    out = minmax(X_R1, shift=0)
    np.testing.assert_allclose(out[:, 1], (X_R1[:, 1] - 10) / 15, atol=1e-15)


def test_unknown_direction_code_names_the_field_and_position():
    with pytest.raises(DataValidationError, match=r"unknown direction 'up' at position 1") as exc:
        minmax(X_R1, ["+", "up"])
    assert exc.value.field == "directions"
    assert "field 'directions'" in str(exc.value)


def test_directions_wrong_length():
    with pytest.raises(
        DataValidationError, match="directions has 3 entries but there are 2"
    ) as exc:
        minmax(X_R1, ["+", "-", "+"])
    assert exc.value.field == "directions"


# --- pooled vs per-period extremes ----------------------------------------------------------

PANEL = np.array(
    [
        # period 2020
        [1.0, 8.0, 3.0],
        [4.0, 2.0, 5.0],
        [2.0, 6.0, 9.0],
        # period 2021
        [6.0, 1.0, 4.0],
        [9.0, 7.0, 2.0],
        [5.0, 3.0, 8.0],
    ]
)
PERIODS = np.array([2020, 2020, 2020, 2021, 2021, 2021])
DIRS = [1, -1, 1]


def test_pooled_extremes_are_taken_over_all_periods():
    lo, hi = minmax_extremes(PANEL)
    np.testing.assert_array_equal(lo, [1.0, 1.0, 2.0])
    np.testing.assert_array_equal(hi, [9.0, 8.0, 9.0])
    out = minmax(PANEL, DIRS, shift=0)
    # Row 0 by hand: (1−1)/8, (8−8)/7, (3−2)/7.
    np.testing.assert_allclose(out[0], [0.0, 0.0, 1 / 7], atol=1e-15)
    # Row 4: (9−1)/8, (8−7)/7, (2−2)/7.
    np.testing.assert_allclose(out[4], [1.0, 1 / 7, 0.0], atol=1e-15)


def test_per_period_extremes_equal_cross_section_of_each_block():
    out = minmax(PANEL, DIRS, shift=0, extremes="per_period", periods=PERIODS)
    for p in (2020, 2021):
        rows = p == PERIODS
        np.testing.assert_allclose(out[rows], minmax(PANEL[rows], DIRS, shift=0), atol=1e-15)
    # 2021, column 0 by hand: min 5, max 9 → (6−5)/4, (9−5)/4, (5−5)/4.
    np.testing.assert_allclose(out[3:, 0], [0.25, 1.0, 0.0], atol=1e-15)
    # The pooled result for the same cells is (x − 1)/8.
    np.testing.assert_allclose(minmax(PANEL, DIRS, shift=0)[3:, 0], [5 / 8, 1.0, 4 / 8], atol=1e-15)


def test_per_period_extremes_shape_and_need_periods():
    lo, hi = minmax_extremes(PANEL, extremes="per_period", periods=PERIODS)
    assert lo.shape == PANEL.shape
    np.testing.assert_array_equal(lo[0], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(hi[5], [9.0, 7.0, 8.0])
    with pytest.raises(DataValidationError, match="needs the period") as exc:
        minmax(PANEL, extremes="per_period")
    assert exc.value.field == "periods"


def test_periods_wrong_length():
    with pytest.raises(DataValidationError, match="periods has 2 entries but X has 6 rows"):
        minmax(PANEL, extremes="per_period", periods=[1, 2])


def test_unknown_extremes_option():
    with pytest.raises(DataValidationError, match="extremes='yearly'") as exc:
        minmax(PANEL, extremes="yearly")
    assert exc.value.field == "extremes"


def test_given_extremes_map_outside_unit_interval():
    out = minmax([[0.0], [12.0]], lo=[2.0], hi=[10.0], shift=0)
    np.testing.assert_allclose(out.ravel(), [-0.25, 1.25], atol=1e-15)
    out = minmax([[0.0], [12.0]], [-1], lo=[2.0], hi=[10.0], shift=0)
    np.testing.assert_allclose(out.ravel(), [1.25, -0.25], atol=1e-15)


# --- constant columns, bad cells --------------------------------------------------------------


def test_constant_column_raises_naming_the_indicator():
    X = np.column_stack([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0], [0.0, 1.0, 4.0]])
    with pytest.raises(DataValidationError, match="zero range") as exc:
        minmax(X, names=["gdp", "patents", "co2"])
    assert exc.value.column == "patents"
    assert "column 'patents'" in str(exc.value)


def test_constant_column_without_names_uses_position():
    X = np.column_stack([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    with pytest.raises(DataValidationError) as exc:
        minmax(X)
    assert exc.value.column == "#1"


def test_constant_zero_maps_column_to_shift():
    X = np.column_stack([[1.0, 2.0, 3.0], [5.0, 5.0, 5.0]])
    out = minmax(X, constant="zero", shift=0.01)
    np.testing.assert_allclose(out[:, 1], 0.01, atol=1e-15)
    np.testing.assert_allclose(out[:, 0], [0.01, 0.51, 1.01], atol=1e-15)


def test_constant_within_one_period_names_indicator():
    X = np.array([[1.0, 3.0], [2.0, 3.0], [3.0, 1.0], [4.0, 2.0]])
    with pytest.raises(DataValidationError, match="within a period") as exc:
        minmax(X, extremes="per_period", periods=[1, 1, 2, 2], names=["a", "b"])
    assert exc.value.column == "b"


def test_nan_cell_names_column_and_row():
    X = np.array([[1.0, 2.0, 3.0], [4.0, np.nan, 6.0], [7.0, 8.0, 9.0]])
    with pytest.raises(DataValidationError, match="row 1") as exc:
        minmax(X, names=["a", "b", "c"])
    assert exc.value.column == "b"
    assert "column 'b'" in str(exc.value)
    assert "missing or infinite" in str(exc.value)


def test_inf_cell_names_column():
    X = np.array([[1.0, 2.0], [4.0, 5.0], [np.inf, 6.0]])
    with pytest.raises(DataValidationError, match="row 2") as exc:
        minmax(X, names=["a", "b"])
    assert exc.value.column == "a"


def test_too_few_rows():
    with pytest.raises(DataValidationError, match="at least 2 rows"):
        minmax([[1.0, 2.0]])


def test_three_dimensional_input_rejected():
    with pytest.raises(DataValidationError, match="must be 2-D"):
        minmax(np.ones((2, 2, 2)))


def test_non_numeric_input_rejected():
    with pytest.raises(DataValidationError, match="numeric"):
        minmax([["a", "b"], ["c", "d"]])


def test_one_dimensional_input_is_one_column():
    np.testing.assert_allclose(minmax([1.0, 3.0, 2.0], shift=0).ravel(), [0.0, 1.0, 0.5])


# --- z-score and vector -----------------------------------------------------------------------


def test_zscore_sample_sd_and_cost_sign():
    X = np.array([[1.0, 10.0], [2.0, 20.0], [6.0, 60.0]])
    # Column mean 3, sample sd sqrt(((−2)² + (−1)² + 3²)/2) = sqrt(7).
    sd = np.sqrt(7.0)
    out = zscore(X, [1, -1])
    np.testing.assert_allclose(out[:, 0], np.array([-2.0, -1.0, 3.0]) / sd, atol=1e-15)
    np.testing.assert_allclose(out[:, 1], -np.array([-2.0, -1.0, 3.0]) / sd, atol=1e-15)
    out0 = zscore(X, ddof=0)
    np.testing.assert_allclose(
        out0[:, 0], np.array([-2.0, -1.0, 3.0]) / np.sqrt(14 / 3), atol=1e-15
    )


def test_zscore_zero_variance_names_column():
    with pytest.raises(DataValidationError, match="zero variance") as exc:
        zscore([[1.0, 2.0], [1.0, 3.0]], names=["flat", "ok"])
    assert exc.value.column == "flat"


def test_vector_normalisation():
    X = np.array([[3.0, 1.0], [4.0, 2.0], [0.0, 2.0]])
    np.testing.assert_allclose(vector(X), [[0.6, 1 / 3], [0.8, 2 / 3], [0.0, 2 / 3]], atol=1e-15)
    with pytest.raises(DataValidationError, match="all zeros") as exc:
        vector([[0.0, 1.0], [0.0, 2.0]], names=["z", "y"])
    assert exc.value.column == "z"


# --------------------------------------------------------------------------------------------
# Cost forms of vector normalisation and sum normalisation (the peers' conventions)
# --------------------------------------------------------------------------------------------

# pymcdm's own test matrix (test/test_normalizations.py, 6 × 3, types (−, −, +)).
X_PM = np.array(
    [[66, 56, 95], [61, 55, 166], [65, 49, 113], [95, 56, 99], [63, 43, 178], [74, 59, 140]],
    dtype=float,
)
D_PM = [-1, -1, 1]


def test_vector_complement_matches_pymcdm_published_values():
    # pymcdm test/test_normalizations.py::TestVectorNormalization (row-major, 8 d.p.):
    # vector_normalization(x, cost=True) = 1 − x/‖x‖.
    published = [
        0.62375904, 0.57085288, 0.28587109, 0.65226214, 0.57851622, 0.49952212,
        0.62945966, 0.62449627, 0.34003614, 0.45844104, 0.57085288, 0.29790777,
        0.6408609, 0.67047632, 0.53563215, 0.57815408, 0.54786285, 0.42128371,
    ]  # fmt: skip
    out = vector(X_PM, D_PM, cost="complement")
    np.testing.assert_allclose(out.ravel(), published, rtol=0, atol=5e-9)


def test_proportion_reciprocal_matches_pymcdm_published_values():
    # pymcdm test/test_normalizations.py::TestSumNormalization (row-major, 8 d.p.):
    # sum_normalization(x, cost=True) = (1/x)/Σ(1/x).
    published = [
        0.17447136, 0.155945, 0.12010114, 0.1887723, 0.15878037, 0.20986094,
        0.17715554, 0.17822286, 0.14285714, 0.12121168, 0.155945, 0.12515803,
        0.18277952, 0.20309117, 0.22503161, 0.15560959, 0.1480156, 0.17699115,
    ]  # fmt: skip
    out = proportion(X_PM, D_PM)
    np.testing.assert_allclose(out.ravel(), published, rtol=0, atol=5e-9)
    np.testing.assert_allclose(out.sum(axis=0), 1.0, rtol=0, atol=1e-15)


def test_vector_cost_forms_by_hand():
    X = np.array([[3.0, 1.0], [4.0, 2.0]])
    keep = vector(X, ["+", "-"])
    np.testing.assert_array_equal(keep, vector(X))  # "keep": directions leave the matrix alone
    np.testing.assert_allclose(keep[:, 1], [1 / np.sqrt(5), 2 / np.sqrt(5)], atol=1e-15)
    comp = vector(X, ["+", "-"], cost="complement")
    np.testing.assert_allclose(comp[:, 1], 1 - keep[:, 1], atol=1e-15)
    np.testing.assert_allclose(comp[:, 0], [0.6, 0.8], atol=1e-15)
    # reciprocal: 1/x = (1, 1/2), ‖1/x‖ = √(5/4)
    recip = vector(X, ["+", "-"], cost="reciprocal")
    np.testing.assert_allclose(recip[:, 1], [1 / np.sqrt(1.25), 0.5 / np.sqrt(1.25)], atol=1e-15)
    np.testing.assert_allclose(recip[:, 0], [0.6, 0.8], atol=1e-15)


def test_proportion_keep_and_benefit_columns_by_hand():
    X = np.array([[1.0, 1.0], [3.0, 4.0]])
    np.testing.assert_allclose(proportion(X), [[0.25, 0.2], [0.75, 0.8]], atol=1e-15)
    np.testing.assert_array_equal(proportion(X, ["+", "-"], cost="keep"), proportion(X))
    # reciprocal cost column: 1/x = (1, 1/4), sum 5/4
    np.testing.assert_allclose(proportion(X, ["+", "-"])[:, 1], [0.8, 0.2], atol=1e-15)


def test_cost_forms_reject_what_they_cannot_normalise():
    with pytest.raises(DataValidationError, match="strictly positive") as exc:
        vector([[1.0, 0.0], [2.0, 3.0]], ["+", "-"], cost="reciprocal", names=["a", "b"])
    assert exc.value.column == "b"
    # The same zero in a benefit column is fine for the reciprocal form.
    vector([[0.0, 1.0], [2.0, 3.0]], ["+", "-"], cost="reciprocal")
    with pytest.raises(DataValidationError, match="strictly positive") as exc:
        proportion([[1.0, 0.0], [2.0, 3.0]], ["+", "-"], names=["a", "b"])
    assert exc.value.column == "b"
    with pytest.raises(DataValidationError, match="non-negative") as exc:
        proportion([[-1.0, 1.0], [2.0, 3.0]], names=["a", "b"])
    assert exc.value.column == "a"
    with pytest.raises(DataValidationError, match="sums to 0") as exc:
        proportion([[0.0, 1.0], [0.0, 3.0]], names=["a", "b"])
    assert exc.value.column == "a"
    for fn in (vector, proportion):
        with pytest.raises(DataValidationError) as exc:
            fn([[1.0], [2.0]], cost="inverse")
        assert exc.value.field == "cost"
