"""Synthetic demo panels and the region table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.datasets import REGION_ORDER, SYNTHETIC_LABEL, load_regions, make_demo_panel
from nqpf.exceptions import DataValidationError, SystemDefinitionError
from nqpf.systems import list_systems, load_system

KEYS = ["province_code", "province", "region", "year"]


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return make_demo_panel()


# -- region table --------------------------------------------------------------------


def test_regions_table():
    r = load_regions()
    assert len(r) == 31
    assert r.columns.tolist() == [
        "code",
        "name",
        "full_name",
        "name_en",
        "region",
        "capital",
        "lat",
        "lon",
    ]
    assert r["code"].is_unique and r["name"].is_unique
    assert r["code"].tolist() == sorted(r["code"])
    assert r["code"].iloc[0] == "11" and r["name"].iloc[0] == "北京"
    assert r["code"].iloc[-1] == "65" and r["name"].iloc[-1] == "新疆"
    assert set(r["region"]) == set(REGION_ORDER)
    groups = r.groupby("region")["name"].apply(set).to_dict()
    # data.md §4.2
    assert groups["东北"] == {"辽宁", "吉林", "黑龙江"}
    assert groups["中部"] == {"山西", "安徽", "江西", "河南", "湖北", "湖南"}
    assert groups["东部"] == {
        "北京",
        "天津",
        "河北",
        "上海",
        "江苏",
        "浙江",
        "福建",
        "山东",
        "广东",
        "海南",
    }
    assert len(groups["西部"]) == 12 and "西藏" in groups["西部"]
    assert r["lat"].between(18, 54).all() and r["lon"].between(73, 136).all()
    assert r.attrs["confidence"] == "unverified" and r.attrs["verified"] is False
    assert r.attrs["groups_confidence"] == "unverified"
    assert "data.md §4.2" in r.attrs["groups_source"]
    assert r.attrs["capitals_confidence"] == "unverified"


def test_regions_returns_a_fresh_copy():
    first = load_regions()
    first.loc[0, "name"] = "changed"
    assert load_regions().loc[0, "name"] == "北京"


# -- demo panel ----------------------------------------------------------------------


def test_shape_and_columns(panel):
    system = load_system("nqpf-three-factor")
    assert panel.shape == (31 * 12, 4 + len(system.indicators))
    assert panel.columns.tolist() == KEYS + system.indicator_ids
    assert sorted(panel["year"].unique().tolist()) == list(range(2012, 2024))
    assert panel["province_code"].nunique() == 31
    assert panel.groupby("province_code").size().eq(12).all()
    assert not panel.duplicated(["province_code", "year"]).any()
    assert panel["year"].dtype == np.int64
    assert all(panel[c].dtype == np.float64 for c in system.indicator_ids)
    # rows sorted by code then year; names and regions agree with the region table
    assert panel[["province_code", "year"]].equals(
        panel[["province_code", "year"]].sort_values(["province_code", "year"], ignore_index=True)
    )
    regions = load_regions().set_index("code")
    assert (panel["province"] == panel["province_code"].map(regions["name"])).all()
    assert (panel["region"] == panel["province_code"].map(regions["region"])).all()


def test_label(panel):
    assert SYNTHETIC_LABEL == "示例数据，非真实统计"
    assert panel.attrs["nqpf_synthetic"] == "示例数据，非真实统计 (seed=20241)"
    assert make_demo_panel(seed=7).attrs["nqpf_synthetic"] == f"{SYNTHETIC_LABEL} (seed=7)"
    assert panel.attrs["nqpf_system"] == "nqpf-three-factor 2024.1"


def test_deterministic_by_seed(panel):
    again = make_demo_panel(seed=20241)
    pd.testing.assert_frame_equal(panel, again)
    assert panel.attrs == again.attrs


def test_different_seeds_differ(panel):
    other = make_demo_panel(seed=20242)
    ids = load_system("nqpf-three-factor").indicator_ids
    assert panel[KEYS].equals(other[KEYS])
    assert not np.allclose(panel[ids].to_numpy(), other[ids].to_numpy())


@pytest.mark.parametrize("name", list_systems())
def test_positive_and_shares_bounded(name):
    system = load_system(name)
    df = make_demo_panel(name, seed=3)
    values = df[system.indicator_ids]
    assert values.notna().all().all()
    assert (values > 0).all().all()
    shares = [i.id for i in system.indicators if i.unit == "%"]
    assert shares and (df[shares] < 100).all().all()


@pytest.mark.parametrize("seed", [20241, 1, 99])
def test_trend_direction_on_average(seed):
    system = load_system("nqpf-three-factor")
    df = make_demo_panel(seed=seed)
    means = df.groupby("year")[system.indicator_ids].mean()
    first, last = means.iloc[0], means.iloc[-1]
    for ind in system.indicators:
        if ind.direction == "+":
            assert last[ind.id] > first[ind.id], ind.id
        else:
            assert last[ind.id] < first[ind.id], ind.id
    # and year on year, for most indicator-years
    slope = np.sign(means.diff().iloc[1:].to_numpy()) * system.directions
    assert (slope > 0).mean() > 0.75


def test_regional_gap_east_leads(panel):
    # summed direction-adjusted z-scores: 东部 ahead of 西部 and 东北 on average
    system = load_system("nqpf-three-factor")
    x = np.log(panel[system.indicator_ids])
    score = ((x - x.mean()) / x.std() * system.directions).sum(axis=1)
    by_region = score.groupby(panel["region"]).mean()
    assert by_region["东部"] > by_region["西部"]
    assert by_region["东部"] > by_region["东北"]


@pytest.mark.parametrize("rate", [0.05, 0.2])
def test_missing_rate(rate, panel):
    ids = load_system("nqpf-three-factor").indicator_ids
    df = make_demo_panel(missing_rate=rate)
    block = df[ids]
    n_cells = block.size
    assert block.isna().sum().sum() == round(rate * n_cells)
    assert df[KEYS].notna().all().all()  # keys are never blanked
    # the cells that remain are those of the complete panel
    full = panel[ids]
    kept = block.notna().to_numpy()
    assert np.array_equal(block.to_numpy()[kept], full.to_numpy()[kept])
    # blanks are spread over many indicators, not one column
    assert (block.isna().sum() > 0).sum() > len(ids) // 2
    pd.testing.assert_frame_equal(df, make_demo_panel(missing_rate=rate))


def test_missing_rate_zero_and_one():
    ids = load_system("nqpf-three-factor").indicator_ids
    assert make_demo_panel(missing_rate=0)[ids].notna().all().all()
    assert make_demo_panel(years=[2020], missing_rate=1)[ids].isna().all().all()


def test_province_selection():
    df30 = make_demo_panel(provinces="30", years=range(2012, 2023))
    assert df30.shape[0] == 30 * 11 and "西藏" not in set(df30["province"])
    some = make_demo_panel(provinces=["广东", 11, "31"])
    assert some["province_code"].unique().tolist() == ["11", "31", "44"]
    # a province's values do not depend on which others are generated with it
    full = make_demo_panel()
    pd.testing.assert_frame_equal(
        some[some["province_code"] == "44"].reset_index(drop=True),
        full[full["province_code"] == "44"].reset_index(drop=True),
    )


def test_appending_years_keeps_earlier_values():
    short = make_demo_panel(years=range(2012, 2020), provinces=["11", "65"])
    long = make_demo_panel(years=range(2012, 2024), provinces=["11", "65"])
    pd.testing.assert_frame_equal(short, long[long["year"] < 2020].reset_index(drop=True))


def test_other_systems_and_objects():
    for name in list_systems():
        system = load_system(name)
        df = make_demo_panel(name, years=range(2015, 2018))
        assert df.shape == (31 * 3, 4 + len(system.indicators))
        assert df.columns.tolist()[4:] == system.indicator_ids
    system = load_system("digital-real-coupling")
    pd.testing.assert_frame_equal(make_demo_panel(system), make_demo_panel("digital-real-coupling"))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"provinces": ["火星"]}, "provinces"),
        ({"provinces": "北京"}, "provinces"),
        ({"provinces": []}, "provinces"),
        ({"provinces": ["11", "北京"]}, "provinces"),
        ({"years": []}, "years"),
        ({"years": [2012, 2012]}, "years"),
        ({"years": [2012.5]}, "years"),
        ({"seed": -1}, "seed"),
        ({"seed": "x"}, "seed"),
        ({"missing_rate": 1.5}, "missing_rate"),
        ({"missing_rate": -0.1}, "missing_rate"),
    ],
)
def test_bad_arguments(kwargs, field):
    with pytest.raises(DataValidationError) as info:
        make_demo_panel(**kwargs)
    assert info.value.field == field


def test_unknown_system():
    with pytest.raises(SystemDefinitionError):
        make_demo_panel("no-such-system")
