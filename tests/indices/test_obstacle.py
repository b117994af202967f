"""Obstacle degree (methods.md §9)."""

from __future__ import annotations

import numpy as np
import pytest

from nqpf.exceptions import DataValidationError
from nqpf.indices import obstacle_degree

# methods.md R5 rows used as x' for R6 (that the documented example uses these rows is an
# inference [unverified: derived]; the value itself is [official: mathmodels docs]).
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
EQ = [1 / 3, 1 / 3, 1 / 3]


def test_r6_unscaled_row_a():
    res = obstacle_degree(R5_U[:1], EQ, scaled=False)
    np.testing.assert_allclose(res.degrees[0], [0.328, 0.243, 0.245], rtol=0, atol=5e-4)
    assert res.scaled is False


def test_unscaled_hand():
    w = np.array([0.5, 0.2, 0.3])
    res = obstacle_degree(R5_U, w, scaled=False)
    np.testing.assert_allclose(res.degrees, (1 - R5_U) * w, atol=1e-15)


def test_scaled_hand_rows_sum_to_one():
    w = np.array([0.5, 0.2, 0.3])
    F = (1 - R5_U) * w
    res = obstacle_degree(R5_U, w)
    np.testing.assert_allclose(res.degrees, F / F.sum(axis=1, keepdims=True), atol=1e-15)
    np.testing.assert_allclose(res.degrees.sum(axis=1), 1.0, atol=1e-15)


def test_row_at_ideal_gives_zero_not_nan():
    X = np.array([[1.0, 1.0, 1.0], [0.5, 1.0, 0.0]])
    res = obstacle_degree(X, EQ)
    np.testing.assert_array_equal(res.degrees[0], [0.0, 0.0, 0.0])
    np.testing.assert_allclose(res.degrees[1], [1 / 3, 0.0, 2 / 3], atol=1e-15)


def test_groups_mapping_and_labels():
    w = np.array([0.4, 0.1, 0.2, 0.3])
    X = np.array([[0.2, 0.9, 0.5, 0.1], [0.7, 0.3, 0.0, 1.0]])
    by_map = obstacle_degree(X, w, groups={"tech": [0, 1], "green": [2, 3]})
    obs = by_map.degrees
    np.testing.assert_allclose(
        by_map.by_group, np.column_stack([obs[:, 0] + obs[:, 1], obs[:, 2] + obs[:, 3]]), atol=1e-15
    )
    assert by_map.groups == ("tech", "green")
    by_lab = obstacle_degree(X, w, groups=["t", "g", "t", "g"])
    np.testing.assert_allclose(
        by_lab.by_group, np.column_stack([obs[:, 0] + obs[:, 2], obs[:, 1] + obs[:, 3]]), atol=1e-15
    )
    assert by_lab.groups == ("t", "g")
    with pytest.raises(DataValidationError, match="groups has 3 labels") as exc:
        obstacle_degree(X, w, groups=["t", "g", "t"])
    assert exc.value.field == "groups"


def test_top_k_order_and_ties():
    X = np.array([[0.0, 0.5, 0.0, 0.9]])
    res = obstacle_degree(X, [0.25] * 4, top_k=3, names=["a", "b", "c", "d"])
    # Obstacles ∝ 1, 0.5, 1, 0.1: the tie between a and c goes by column order.
    np.testing.assert_array_equal(res.top[0], [0, 2, 1])
    frame = res.top_frame()
    assert list(frame.loc[0, ["obstacle_1", "obstacle_2", "obstacle_3"]]) == ["a", "c", "b"]
    assert frame.loc[0, "degree_1"] == pytest.approx(1 / 2.6, abs=1e-15)


def test_weights_are_rescaled_to_sum_one():
    a = obstacle_degree(R5_U, [2.0, 1.0, 1.0])
    b = obstacle_degree(R5_U, [0.5, 0.25, 0.25])
    np.testing.assert_allclose(a.degrees, b.degrees, atol=1e-15)


def test_values_outside_unit_interval_name_column():
    with pytest.raises(DataValidationError, match="row 1") as exc:
        obstacle_degree([[0.2, 0.3], [0.4, 1.2]], [0.5, 0.5], names=["a", "b"])
    assert exc.value.column == "b"
    with pytest.raises(DataValidationError, match="length 3 but there are 2"):
        obstacle_degree([[0.2, 0.3]], EQ)


def test_to_frame_long_layout():
    res = obstacle_degree(R5_U[:2], EQ, names=["x", "y", "z"])
    frame = res.to_frame()
    assert len(frame) == 6
    assert list(frame["indicator"][:3]) == ["x", "y", "z"]
    np.testing.assert_allclose(frame["obstacle"].to_numpy(), res.degrees.ravel())
