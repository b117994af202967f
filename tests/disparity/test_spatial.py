"""Spatial weights: construction, validation, GAL reading, distances, province data.

Reference data: libpysal's bundled GAL files (data.md §2) —
``stl.gal`` (queen contiguity of 78 counties around St Louis; Messner et al. 2000, *An
Atlas of the Spatial Patterning of County-Level Homicide, 1960–1990*, NCOVR),
``sids2.gal`` (100 North Carolina counties; Cressie 1993, *Statistics for Spatial Data*,
pp. 386–389) and ``mexico.gal`` (32 Mexican states; Rey and Sastre-Gutiérrez 2010,
*Spatial Economic Analysis* 5: 277–298).  libpysal is a test-only oracle.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from nqpf.disparity.spatial import (
    EARTH_RADIUS_KM,
    SpatialWeights,
    haversine,
    lattice_adjacency,
    parse_gal,
    province_weights,
    spatial_weights,
)
from nqpf.exceptions import DataValidationError

libpysal = pytest.importorskip("libpysal")


def gal_path(name: str) -> str:
    return libpysal.examples.get_path(name)


def libpysal_w(name: str, transform: str = "O"):
    w = libpysal.io.open(gal_path(name)).read()
    if transform != "O":
        w.transform = transform
    return w


# --------------------------------------------------------------------------- GAL


@pytest.mark.parametrize("name", ["stl.gal", "sids2.gal", "mexico.gal"])
def test_gal_equals_libpysal(name):
    ref = libpysal_w(name)
    w = SpatialWeights.from_gal(gal_path(name), transform="b")
    assert list(w.ids) == list(ref.id_order)
    assert w.n == ref.n
    assert (w.sparse != ref.sparse).nnz == 0
    assert w.islands == list(ref.islands) == []
    # row-standardised as libpysal's transform "r"
    ref_r = libpysal_w(name, "r")
    wr = SpatialWeights.from_gal(gal_path(name))
    assert wr.transform == "r"
    assert abs(wr.sparse - ref_r.sparse).max() < 1e-15
    for attr in ("s0", "s1", "s2"):
        assert getattr(wr, attr) == pytest.approx(getattr(ref_r, attr), rel=1e-12)
    first = ref.id_order[0]
    assert sorted(wr.neighbors(first)) == sorted(str(v) for v in ref.neighbors[first])


def test_mexico_gal_facts():
    """data.md §2: mexico.gal has 140 links, is symmetric and has no islands."""
    w = SpatialWeights.from_gal(gal_path("mexico.gal"), id_type=int, transform="b")
    assert w.sparse.nnz == 140 and w.symmetric and not w.islands
    assert sorted(w.ids) == list(range(32)) and w.ids[10:12] == (11, 10)  # file order


def test_gal_text_and_path_object(tmp_path):
    text = "0 4 demo ID\n1 2\n2 3\n2 1\n1\n3 1\n1\n4 0\n\n"
    ids, nbrs = parse_gal(text)
    assert ids == ["1", "2", "3", "4"]
    assert nbrs == {"1": ["2", "3"], "2": ["1"], "3": ["1"], "4": []}
    w = SpatialWeights.from_gal(text)
    assert w.islands == ["4"]
    path = tmp_path / "demo.gal"
    path.write_text(text.rstrip("\n"), encoding="utf-8")  # island's empty line missing
    w2 = SpatialWeights.from_gal(path, id_type=int)
    assert w2.ids == (1, 2, 3, 4) and w2.islands == [4]
    assert (w2.sparse != w.sparse).nnz == 0
    assert w2.meta["source"] == str(path)
    w3 = spatial_weights(gal=str(path))
    assert w3.ids == w.ids


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty"),
        ("x\n", "header"),
        ("2\n1 1\n2\n", "ends early"),
        ("2\n1 one\n2\n2 1\n1\n", "expected an integer"),
        ("2\n1 1\n3\n2 1\n1\n", "not units"),
        ("2\n1 1\n2\n1 1\n2\n", "appears twice"),
        ("1\n1 0\n\n2 0\n", "after the 1 units"),
        ("1\n1 -1\n", "negative"),
    ],
)
def test_gal_errors(text, match):
    with pytest.raises(DataValidationError, match=match):
        parse_gal(text)


def test_gal_error_rows_and_id_type():
    with pytest.raises(DataValidationError, match="appears twice") as info:
        parse_gal("\n\n2\n1 1\n2\n1 1\n2\n")
    assert info.value.row == 6
    with pytest.raises(DataValidationError, match="cannot be converted") as info:
        parse_gal("2\n1 1\nb\nb 1\n1\n", id_type=int)
    assert info.value.row == 3


def test_gal_file_errors(tmp_path):
    with pytest.raises(DataValidationError, match="not found") as info:
        SpatialWeights.from_gal(tmp_path / "missing.gal")
    assert info.value.file.endswith("missing.gal")
    bad = tmp_path / "bad.gal"
    bad.write_text("3\n1 1\n2\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="ends early") as info:
        SpatialWeights.from_gal(bad)
    assert info.value.file == str(bad) and info.value.row == 3


# --------------------------------------------------------------------------- adjacency


def test_pairs_are_undirected_and_ids_ordered():
    w = spatial_weights([("b", "a"), ("b", "c"), ("a", "b")], transform="b")
    assert w.ids == ("a", "b", "c")
    assert w.to_dense().tolist() == [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    assert w.symmetric
    directed = spatial_weights([("a", "b")], symmetric=False, ids=["a", "b"], transform="b")
    assert directed.to_dense().tolist() == [[0, 1], [0, 0]]
    assert directed.islands == ["b"] and not directed.symmetric


def test_dict_and_weighted_links():
    w = spatial_weights({1: [2, 3], 2: [1], 3: [1]}, transform="b")
    assert w.ids == (1, 2, 3) and w.neighbors(1) == [2, 3]
    wd = spatial_weights({1: {2: 2.0, 3: 6.0}, 2: {1: 1.0}, 3: {}}, transform="none")
    assert wd[1] == {2: 2.0, 3: 6.0} and wd.islands == [3]
    assert wd.transformed("r")[1] == {2: 0.25, 3: 0.75}
    wt = spatial_weights([(0, 1, 2.5)], transform="none")
    assert wt.to_dense().tolist() == [[0, 2.5], [2.5, 0]]


def test_row_standardisation_and_islands():
    w = spatial_weights([(0, 1), (1, 2), (1, 3)], ids=[0, 1, 2, 3, 4])
    rows = w.to_dense().sum(axis=1)
    assert rows.tolist() == [1, 1, 1, 1, 0]  # the island row stays zero
    assert w[1] == pytest.approx({0: 1 / 3, 2: 1 / 3, 3: 1 / 3})
    assert w.islands == [4]
    assert w.cardinalities.tolist() == [1, 3, 1, 1, 0]
    b = w.transformed("b")
    assert set(b.sparse.data) == {1.0} and b.s0 == 6
    assert w.transformed("none").original is w.original
    lag = w.lag([1.0, 2.0, 3.0, 4.0, 5.0])
    assert lag.tolist() == pytest.approx([2.0, 8 / 3, 2.0, 2.0, 0.0])


def test_s0_s1_s2_by_definition():
    rng = np.random.default_rng(4)
    A = rng.random((6, 6)) * (rng.random((6, 6)) < 0.5)
    np.fill_diagonal(A, 0)
    w = SpatialWeights.from_matrix(A, transform="none")
    assert w.s0 == pytest.approx(A.sum())
    assert w.s1 == pytest.approx(0.5 * ((A + A.T) ** 2).sum())
    assert w.s2 == pytest.approx(((A.sum(1) + A.sum(0)) ** 2).sum())


def test_matrix_inputs():
    dense = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]])
    a = SpatialWeights.from_matrix(dense, ids=["x", "y", "z"])
    b = spatial_weights(matrix=sparse.csr_matrix(dense), ids=["x", "y", "z"])
    assert (a.sparse != b.sparse).nnz == 0
    assert a.to_dense()[0].tolist() == [0, 0.5, 0.5]
    assert isinstance(a.sparse, sparse.csr_array)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"matrix": np.ones((2, 3))}, "square"),
        ({"matrix": np.ones(3)}, "2-D"),
        ({"matrix": [[0, -1], [1, 0]]}, r"non-negative; entry \(0, 1\)"),
        ({"matrix": sparse.csr_array(np.array([[0, 1.0], [-2.0, 0]]))}, r"entry \(1, 0\)"),
        ({"matrix": [[1, 1], [1, 0]]}, "zero diagonal"),
        ({"matrix": [[0, np.nan], [1, 0]]}, "missing"),
        ({"matrix": np.zeros((2, 2)), "ids": ["a"]}, "1 entries"),
        ({"matrix": np.zeros((2, 2)), "ids": ["a", "a"]}, "unique"),
        ({"adjacency": [("a", "b")], "ids": ["a"]}, "not in ids"),
        ({"adjacency": [("a", "a")]}, "own neighbour"),
        ({"adjacency": [("a", "b", -1)]}, "weight -1"),
        ({"adjacency": [("a",)]}, "expected"),
        ({"adjacency": {"a": ["b"]}}, "not in ids"),
        ({}, "exactly one"),
        ({"adjacency": [(0, 1)], "matrix": np.zeros((2, 2))}, "exactly one"),
        ({"adjacency": [(0, 1)], "alpha": 2}, "do not apply"),
        ({"lat": [1, 2]}, "both"),
        ({"matrix": np.zeros((2, 2)), "transform": "R"}, "transform"),
    ],
)
def test_bad_weights(kwargs, match):
    with pytest.raises(DataValidationError, match=match):
        spatial_weights(**kwargs)


def test_unknown_id_lookup():
    w = spatial_weights([(0, 1)])
    with pytest.raises(DataValidationError, match="not one of"):
        w.neighbors(7)


def test_frame_and_summary():
    w = spatial_weights([("a", "b"), ("b", "c")], ids=["a", "b", "c", "d"])
    frame = w.to_frame()
    assert list(frame.columns) == ["focal", "neighbor", "weight"]
    assert len(frame) == 4 and frame.loc[frame.focal == "b", "weight"].tolist() == [0.5, 0.5]
    text = w.summary().as_text()
    assert "islands" in text and "d" in text and "row-standardised" in text
    assert "<table" in w._repr_html_()


def test_subset_restandardises():
    w = spatial_weights([(0, 1), (1, 2)])
    sub = w.subset([1, 2])
    assert sub.ids == (1, 2) and sub.to_dense().tolist() == [[0, 1], [1, 0]]


def test_lattice_matches_libpysal():
    for rook in (True, False):
        ref = libpysal.weights.util.lat2W(4, 3, rook=rook)
        w = spatial_weights(lattice_adjacency(4, 3, rook=rook), transform="b")
        assert (w.sparse != ref.sparse).nnz == 0


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 12),
    edges=st.lists(st.tuples(st.integers(0, 11), st.integers(0, 11)), max_size=30),
)
def test_row_standardized_rows_sum_to_one_or_zero(n, edges):
    pairs = [(a, b) for a, b in edges if a != b and a < n and b < n]
    w = spatial_weights(pairs, ids=range(n))
    rows = w.to_dense().sum(axis=1)
    linked = w.cardinalities > 0
    assert np.allclose(rows[linked], 1.0) and np.all(rows[~linked] == 0)
    assert w.transformed("b").symmetric  # pairs are undirected
    assert w.s0 == pytest.approx(linked.sum())
    assert sorted(w.islands) == sorted(np.flatnonzero(~linked).tolist())


# --------------------------------------------------------------------------- distances


def test_haversine_known_pairs():
    # 北京 (39.90 N, 116.41 E) – 上海 (31.23 N, 121.47 E): about 1067 km great-circle
    d = float(haversine(39.90, 116.41, 31.23, 121.47))
    assert d == pytest.approx(1067, rel=0.01)
    # one degree of longitude on the equator = 2πR/360
    assert float(haversine(0, 0, 0, 1)) == pytest.approx(2 * np.pi * EARTH_RADIUS_KM / 360)
    assert float(haversine(0, 0, 0, 180)) == pytest.approx(np.pi * EARTH_RADIUS_KM)
    assert float(haversine(10, 20, 10, 20)) == 0.0
    a = haversine([39.9, 23.13], [116.41, 113.26], [31.23, 39.9], [121.47, 116.41])
    b = haversine([31.23, 39.9], [121.47, 116.41], [39.9, 23.13], [116.41, 113.26])
    assert np.allclose(a, b)


def _points(n=40, seed=3):
    rng = np.random.default_rng(seed)
    return rng.uniform(18, 50, n), rng.uniform(75, 130, n)


def test_inverse_distance_dense():
    lat, lon = _points(12)
    w = spatial_weights(lat=lat, lon=lon, transform="none", alpha=2.0)
    D = haversine(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    expected = np.where(np.eye(12, dtype=bool), 0.0, 1.0 / np.where(D > 0, D, 1.0) ** 2)
    assert np.allclose(w.to_dense(), expected, rtol=1e-12)
    assert w.symmetric and w.transformed("r").to_dense().sum(1) == pytest.approx(np.ones(12))


def test_inverse_distance_threshold_and_knn():
    lat, lon = _points(40)
    D = haversine(lat[:, None], lon[:, None], lat[None, :], lon[None, :])
    off = ~np.eye(40, dtype=bool)
    w = SpatialWeights.from_coordinates(lat, lon, threshold=800.0, transform="none")
    keep = off & (D <= 800.0)
    assert np.array_equal(w.to_dense() > 0, keep)
    assert np.allclose(w.to_dense()[keep], 1 / D[keep])
    k = 4
    wk = SpatialWeights.from_coordinates(lat, lon, k=k, transform="b")
    assert (wk.cardinalities == k).all()
    Dm = np.where(off, D, np.inf)
    nearest = np.argsort(Dm, axis=1)[:, :k]
    for i in range(40):
        assert sorted(wk.neighbors(i)) == sorted(nearest[i].tolist())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"lat": [0, 0], "lon": [1, 1]}, "coincide"),
        ({"lat": [95, 0], "lon": [1, 2]}, "swapped"),
        ({"lat": [0, 1, 2], "lon": [1, 2]}, "lon"),
        ({"lat": [0], "lon": [1]}, "at least 2"),
        ({"lat": [0, 1], "lon": [1, 2], "alpha": 0}, "alpha"),
        ({"lat": [0, 1], "lon": [1, 2], "k": 2}, "k must be"),
        ({"lat": [0, 1], "lon": [1, 2], "threshold": -1}, "threshold"),
    ],
)
def test_bad_coordinates(kwargs, match):
    with pytest.raises(DataValidationError, match=match):
        spatial_weights(**kwargs)


# --------------------------------------------------------------------------- provinces

EXPECTED_PAIRS = [
    ("北京", "天津"),
    ("北京", "河北"),
    ("天津", "河北"),
    ("上海", "江苏"),
    ("上海", "浙江"),
    ("广东", "广西"),
    ("重庆", "四川"),
    ("河北", "河南"),
    ("河北", "山东"),
    ("内蒙古", "黑龙江"),
    ("甘肃", "新疆"),
    ("西藏", "新疆"),
    ("湖南", "重庆"),
    ("陕西", "四川"),
]
ABSENT_PAIRS = [
    ("北京", "山东"),
    ("北京", "内蒙古"),
    ("天津", "山东"),
    ("上海", "安徽"),
    ("广东", "贵州"),
    ("重庆", "云南"),
    ("宁夏", "青海"),
    ("海南", "广西"),
]


def test_province_contiguity_structure():
    w = province_weights()
    assert w.n == 31 and len(set(w.ids)) == 31
    assert w.ids[0] == "11" and w.ids[-1] == "65"
    assert w.transformed("b").symmetric and not w.symmetric  # row-standardised is not
    assert np.all(w.original.diagonal() == 0)
    assert w.original.nnz == 2 * 69  # 68 land borders + 海南–广东
    assert not w.islands
    assert connected_components(w.original, directed=False)[0] == 1
    assert w.meta["verified"] is False and w.meta["confidence"] == "unverified"
    assert "official map" in w.meta["source"]
    assert w.neighbors("46") == ["44"]
    assert np.allclose(w.to_dense().sum(axis=1), 1.0)


def test_province_pairs_by_name():
    w = province_weights(labels="name", transform="b")
    for a, b in EXPECTED_PAIRS:
        assert b in w.neighbors(a) and a in w.neighbors(b), (a, b)
    for a, b in ABSENT_PAIRS:
        assert b not in w.neighbors(a), (a, b)
    degree = dict(zip(w.ids, w.cardinalities.tolist(), strict=True))
    assert degree["内蒙古"] == 8 and degree["陕西"] == 8 and degree["河北"] == 7
    assert degree["四川"] == 7 and degree["北京"] == 2 and degree["海南"] == 1


def test_province_hainan_options():
    both = province_weights(hainan="guangdong_guangxi", transform="b")
    assert sorted(both.neighbors("46")) == ["44", "45"] and both.original.nnz == 2 * 70
    island = province_weights(hainan="island")
    assert island.islands == ["46"] and island.original.nnz == 2 * 68
    assert island.to_dense()[island.index["46"]].sum() == 0
    assert island.meta["hainan"] == "island"
    with pytest.raises(DataValidationError, match="hainan"):
        province_weights(hainan="guangxi")


def test_province_subset_and_distance():
    codes30 = [c for c in province_weights().ids if c != "54"]
    w30 = province_weights(provinces=codes30)
    assert w30.n == 30 and "54" not in w30.ids and not w30.islands
    assert "54" not in w30.neighbors("51")
    assert np.allclose(w30.to_dense().sum(axis=1), 1.0)
    wd = province_weights("inverse_distance", transform="none")
    D = wd.to_dense()
    assert wd.n == 31 and wd.symmetric and (D[~np.eye(31, dtype=bool)] > 0).all()
    bj, sh = wd.index["11"], wd.index["31"]
    assert 1 / D[bj, sh] == pytest.approx(1067, rel=0.01)
    wk = province_weights(
        "inverse_distance", k=3, provinces=["北京", "天津", "河北", "上海", "江苏"]
    )
    assert wk.n == 5 and (wk.cardinalities == 3).all()
    with pytest.raises(DataValidationError, match="contiguity weights only"):
        province_weights("inverse_distance", hainan="island")
    with pytest.raises(DataValidationError, match="inverse-distance weights only"):
        province_weights(k=3)
    with pytest.raises(DataValidationError, match="unknown province"):
        province_weights(provinces=["11", "99"])
    with pytest.raises(DataValidationError, match="unique"):
        province_weights(provinces=["11", "北京"])
    with pytest.raises(DataValidationError, match="kind"):
        province_weights("queen")
