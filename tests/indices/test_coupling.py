"""Coupling coordination degree (methods.md §8) and its classes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from nqpf.exceptions import DataValidationError
from nqpf.indices import coupling_coordination
from nqpf.indices.coupling import coordination_classes, coupling_stages

# methods.md R5 [official: mathmodels docs, coupling_degree]; three subsystems, equal weights.
R5_U = np.array(
    [
        [0.0162, 0.2720, 0.2655],
        [0.1782, 0.6824, 0.3721],
        [0.5490, 0.0593, 0.5729],
        [0.6730, 0.4812, 0.9082],
        [0.0207, 0.8891, 0.2017],
        [0.9875, 0.5573, 0.8984],
    ]
)
R5_C = [0.571, 0.867, 0.674, 0.967, 0.418, 0.971]
R5_T = [0.185, 0.411, 0.394, 0.687, 0.370, 0.814]
R5_D = [0.325, 0.597, 0.515, 0.815, 0.393, 0.889]
# Classes implied by D under the (lo, hi] table of 地理学报 76(4) T1 (methods.md §8).
R5_CLASS = ["轻度失调", "勉强协调", "勉强协调", "良好协调", "轻度失调", "良好协调"]

LABELS = [
    "极度失调",
    "严重失调",
    "中度失调",
    "轻度失调",
    "濒临失调",
    "勉强协调",
    "初级协调",
    "中级协调",
    "良好协调",
    "优质协调",
]


def test_r5_all_rows():
    res = coupling_coordination(R5_U)
    np.testing.assert_allclose(res.C, R5_C, rtol=0, atol=5e-4)
    # Row E: T = (0.0207 + 0.8891 + 0.2017)/3 = 0.3705 exactly, a rounding tie that the
    # documentation prints as 0.370 (the double nearest 0.3705 lies just below it), so the
    # half-unit tolerance needs a hair of slack for the binary representation.
    np.testing.assert_allclose(res.T, R5_T, rtol=0, atol=5e-4 + 1e-12)
    assert res.T[4] == pytest.approx(1.1115 / 3, abs=1e-15)
    np.testing.assert_allclose(res.D, R5_D, rtol=0, atol=5e-4)
    assert list(res.D_class) == R5_CLASS
    assert list(res.labels) == R5_CLASS


def test_r5_standard_formula_by_hand():
    n = 3
    C = n * np.prod(R5_U, axis=1) ** (1 / n) / R5_U.sum(axis=1)
    # Equivalent form [Π U / (ΣU/n)^n]^{1/n}.
    C2 = (np.prod(R5_U, axis=1) / (R5_U.mean(axis=1) ** n)) ** (1 / n)
    np.testing.assert_allclose(C, C2, atol=1e-15)
    res = coupling_coordination(R5_U)
    np.testing.assert_allclose(res.C, C, atol=1e-14)
    np.testing.assert_allclose(res.T, R5_U.mean(axis=1), atol=1e-15)
    np.testing.assert_allclose(res.D, np.sqrt(C * R5_U.mean(axis=1)), atol=1e-14)


GRID = np.array([[u1, u2] for u1 in (0.05, 0.2, 0.5, 0.77, 1.0) for u2 in (0.01, 0.3, 0.5, 0.9)])


def test_standard_two_system_form():
    u1, u2 = GRID[:, 0], GRID[:, 1]
    res = coupling_coordination(GRID)
    np.testing.assert_allclose(res.C, 2 * np.sqrt(u1 * u2) / (u1 + u2), rtol=0, atol=1e-14)


def test_modified_two_system_form():
    # methods.md §8 [unverified: derived]: for n = 2 the 王淑佳 (2021) form reduces to
    # sqrt[(1 − |U1 − U2|) · Umin / Umax].
    u1, u2 = GRID[:, 0], GRID[:, 1]
    expected = np.sqrt((1 - np.abs(u1 - u2)) * np.minimum(u1, u2) / np.maximum(u1, u2))
    res = coupling_coordination(GRID, method="modified")
    np.testing.assert_allclose(res.C, expected, rtol=0, atol=1e-14)
    assert res.method == "modified"


def test_modified_three_system_form_by_hand():
    out = []
    for u in R5_U:
        pairs = abs(u[0] - u[1]) + abs(u[0] - u[2]) + abs(u[1] - u[2])
        spread = pairs / (1 + 2)  # Σ_{m=1}^{n−1} m = 3 for n = 3
        ratio = np.prod(u / u.max()) ** (1 / (3 - 1))
        out.append(np.sqrt((1 - spread) * ratio))
    res = coupling_coordination(R5_U, method="modified")
    np.testing.assert_allclose(res.C, out, atol=1e-14)
    np.testing.assert_allclose(res.D, np.sqrt(np.array(out) * R5_U.mean(axis=1)), atol=1e-14)


@pytest.mark.parametrize("method", ["standard", "modified"])
def test_equal_subsystems_are_perfectly_coupled(method):
    U = np.array([[0.3, 0.3, 0.3], [0.8, 0.8, 0.8]])
    res = coupling_coordination(U, method=method)
    np.testing.assert_allclose(res.C, 1.0, atol=1e-14)
    np.testing.assert_allclose(res.D, np.sqrt([0.3, 0.8]), atol=1e-14)


def test_subsystem_weights():
    alpha = [0.5, 0.3, 0.2]
    res = coupling_coordination(R5_U, alpha)
    T = R5_U @ np.array(alpha)
    np.testing.assert_allclose(res.T, T, atol=1e-15)
    np.testing.assert_allclose(res.D, np.sqrt(res.C * T), atol=1e-15)
    with pytest.raises(DataValidationError, match=r"sum to 0\.9") as exc:
        coupling_coordination(R5_U, [0.5, 0.2, 0.2])
    assert exc.value.field == "weights"
    with pytest.raises(DataValidationError, match="length 2") as exc:
        coupling_coordination(R5_U, [0.5, 0.5])
    assert exc.value.field == "weights"


# --------------------------------------------------------------------------------------------
# classes
# --------------------------------------------------------------------------------------------


def test_class_interiors():
    mids = np.arange(10) / 10 + 0.05
    assert list(coordination_classes().classify(mids)) == LABELS
    assert list(coordination_classes().classify(mids, closed="left")) == LABELS


def test_d_exactly_half():
    cls = coordination_classes()
    assert cls.classify([0.5], closed="right")[0] == "濒临失调"
    assert cls.classify([0.5], closed="left")[0] == "勉强协调"
    # Through the public function: U = (0.25, 0.25) gives C = 1, T = 0.25, D = 0.5.
    right = coupling_coordination([[0.25, 0.25]])
    left = coupling_coordination([[0.25, 0.25]], closed="left")
    assert right.D[0] == 0.5
    assert right.D_class[0] == "濒临失调"
    assert left.D_class[0] == "勉强协调"


@pytest.mark.parametrize("closed", ["right", "left"])
def test_d_zero_and_one(closed):
    cls = coordination_classes()
    assert cls.classify([0.0], closed=closed)[0] == "极度失调"
    assert cls.classify([1.0], closed=closed)[0] == "优质协调"
    top = coupling_coordination([[1.0, 1.0]], closed=closed)
    assert top.D[0] == 1.0
    assert top.D_class[0] == "优质协调"
    with pytest.warns(UserWarning, match="zero subsystem score"):
        bottom = coupling_coordination([[0.0, 0.4]], zero="zero", closed=closed)
    assert bottom.D[0] == 0.0
    assert bottom.D_class[0] == "极度失调"


@pytest.mark.parametrize("bound", [0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9])
def test_every_bound_closed_side(bound):
    k = round(bound * 10)  # bound is the upper end of class k − 1
    cls = coordination_classes()
    assert cls.classify([bound], closed="right")[0] == LABELS[k - 1]
    assert cls.classify([bound], closed="left")[0] == LABELS[k]


def test_coupling_stages():
    st = coupling_stages()
    assert list(st.classify([0.1, 0.4, 0.6, 0.9])) == ["低水平耦合", "拮抗", "磨合", "高水平耦合"]
    assert st.classify([0.3])[0] == "低水平耦合"
    assert st.classify([0.3], closed="left")[0] == "拮抗"
    assert st.classify([0.8])[0] == "磨合"
    assert st.classify([0.8], closed="left")[0] == "高水平耦合"
    res = coupling_coordination(R5_U)
    # C of R5: 0.571, 0.867, 0.674, 0.967, 0.418, 0.971.
    assert list(res.C_stage) == ["磨合", "高水平耦合", "磨合", "高水平耦合", "拮抗", "高水平耦合"]


def test_bad_closed_option():
    with pytest.raises(DataValidationError) as exc:
        coupling_coordination(R5_U, closed="both")
    assert exc.value.field == "closed"


# --------------------------------------------------------------------------------------------
# bad input and U = 0
# --------------------------------------------------------------------------------------------


def test_u_outside_unit_interval_names_column():
    with pytest.raises(DataValidationError, match=r"\[0, 1\]; row 1") as exc:
        coupling_coordination([[0.2, 0.3], [0.4, 45.0]], names=["digital", "real"])
    assert exc.value.column == "real"
    assert "percent" in str(exc.value)
    with pytest.raises(DataValidationError) as exc:
        coupling_coordination([[-0.1, 0.3]], names=["digital", "real"])
    assert exc.value.column == "digital"


def test_u_zero_error_by_default():
    with pytest.raises(DataValidationError, match="row 1 has a subsystem score of 0") as exc:
        coupling_coordination([[0.2, 0.3], [0.0, 0.5]])
    assert exc.value.field == "U"


@pytest.mark.parametrize("method", ["standard", "modified"])
def test_u_zero_policy_zero_warns(method):
    U = [[0.2, 0.3], [0.0, 0.5], [0.0, 0.0]]
    with pytest.warns(UserWarning, match="2 row"):
        res = coupling_coordination(U, method=method, zero="zero")
    np.testing.assert_array_equal(res.C[1:], [0.0, 0.0])
    np.testing.assert_allclose(res.T, [0.25, 0.25, 0.0], atol=1e-15)
    np.testing.assert_array_equal(res.D[1:], [0.0, 0.0])
    assert res.C[0] == pytest.approx(
        2 * np.sqrt(0.06) / 0.5 if method == "standard" else np.sqrt(0.9 * 2 / 3), abs=1e-14
    )


def test_no_warning_without_zeros():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        coupling_coordination(R5_U, zero="zero")


def test_other_bad_input():
    with pytest.raises(DataValidationError, match="at least 2 subsystems") as exc:
        coupling_coordination([[0.2], [0.3]])
    assert exc.value.field == "U"
    with pytest.raises(DataValidationError, match="row 0") as exc:
        coupling_coordination([[np.nan, 0.3]], names=["a", "b"])
    assert exc.value.column == "a"
    with pytest.raises(DataValidationError) as exc:
        coupling_coordination(R5_U, method="wang")
    assert exc.value.field == "method"
    with pytest.raises(DataValidationError) as exc:
        coupling_coordination(R5_U, zero="nan")
    assert exc.value.field == "zero"


def test_result_frame_and_names():
    res = coupling_coordination(R5_U, names=["tech", "green", "digital"])
    frame = res.to_frame()
    assert list(frame.columns) == ["C", "T", "D", "coordination", "coupling_stage"]
    np.testing.assert_array_equal(frame["D"].to_numpy(), res.D)
    assert res.subsystems == ("tech", "green", "digital")
