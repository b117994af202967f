"""The "analyse disparity and dynamics" use case: config in, result objects and tables out.

The panel is a synthetic composite index of 12 provinces × 6 years (three regions, no
island with the default 海南–广东 link).  Every analysis run through
:func:`run_analyze` is checked against the :mod:`nqpf.disparity` function called directly
on the same numbers.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from nqpf.datasets import SYNTHETIC_LABEL, make_demo_panel
from nqpf.disparity import (
    beta_convergence,
    dagum,
    gini,
    kde,
    local_moran,
    local_moran_bv,
    markov,
    moran,
    moran_bv,
    moran_rate,
    province_weights,
    sigma_convergence,
    spatial_markov,
    spatial_weights,
    theil,
)
from nqpf.exceptions import ConfigError, DataValidationError, NqpfError
from nqpf.indices import CompositeIndex
from nqpf.panel import Panel
from nqpf.services.analyze_run import load_analyze_config, run_analyze
from nqpf.systems import load_system

SYSTEM = "nqpf-three-factor"
# 浙江 福建 江西 湖北 湖南 广东 广西 海南 重庆 四川 贵州 云南: 东部 / 中部 / 西部, connected
# by land borders once 海南 is linked to 广东.
PROVINCES = ("33", "35", "36", "42", "43", "44", "45", "46", "50", "51", "52", "53")
COASTAL = {"33", "35", "44", "45", "46"}
YEARS = tuple(range(2015, 2021))
TITLE = "测试区域差异"
DROP = object()  # marks a key to delete in an override


def analysis_frame() -> pd.DataFrame:
    """province_code, province, region, year, edu_years, index, coast: 72 rows."""
    raw = make_demo_panel(SYSTEM, years=YEARS, provinces=list(PROVINCES), seed=11)
    system = load_system(SYSTEM)
    panel = Panel.from_frame(raw, entity="province", period="year", indicators=system.indicator_ids)
    index = CompositeIndex(system=system).fit_transform(panel).to_frame()
    index = index.rename(columns={"entity": "province", "period": "year"})
    frame = raw[["province_code", "province", "region", "year", "edu_years"]].merge(
        index[["province", "year", "index"]], on=["province", "year"], validate="1:1"
    )
    frame["coast"] = np.where(frame["province_code"].isin(COASTAL), "沿海", "内陆")
    return frame


@pytest.fixture(scope="module")
def frame_module() -> pd.DataFrame:
    return analysis_frame()


@pytest.fixture
def frame(frame_module) -> pd.DataFrame:
    return frame_module.copy()


def wide_of(frame: pd.DataFrame, value: str = "index") -> pd.DataFrame:
    """Units (sorted labels) × years, as the service pivots the panel."""
    return frame.pivot(index="province", columns="year", values=value)


def base_config(analyses: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "title": TITLE,
        "data": {
            "path": "panel.csv",
            "entity": "province",
            "period": "year",
            "value": "index",
            "group": "region",
            "keep": ["province_code"],
            "synthetic": True,
        },
        "weights": {"kind": "province_contiguity"},
        "analyses": copy.deepcopy(dict(analyses)),
        "output": {"dir": "out", "formats": ["csv"], "report": False},
    }


def merge(into: dict, over: Mapping) -> dict:
    for key, value in over.items():
        if value is DROP:
            into.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)
    return into


@pytest.fixture
def write(tmp_path, frame):
    """``write(analyses, overrides=None, data=None, files=None)`` → config path in tmp_path."""

    def go(analyses, overrides=None, *, data=None, files=None):
        (frame if data is None else data).to_csv(tmp_path / "panel.csv", index=False)
        for name, text in (files or {}).items():
            (tmp_path / name).write_text(text, encoding="utf-8")
        cfg = merge(base_config(analyses), overrides or {})
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), "utf-8")
        return path

    return go


@pytest.fixture
def run(write):
    """``run(analyses, overrides=None, data=None, files=None)`` → AnalyzeRun."""

    def go(analyses, overrides=None, **kw):
        return run_analyze(load_analyze_config(write(analyses, overrides, **kw)))

    return go


def meta_of(r) -> dict[str, str]:
    t = r.tables["metadata"]
    return dict(zip(t["item"], t["value"], strict=True))


# ---------------------------------------------------------------------- the config
def test_defaults_and_paths_resolve_against_the_config_folder(write, tmp_path, monkeypatch):
    path = write({"gini": {}, "markov": {}, "moran": {}, "local_moran": {}, "kde": {}})
    monkeypatch.chdir(tmp_path.parent)
    cfg = load_analyze_config(path)
    assert cfg.base_dir == tmp_path.resolve()
    assert cfg.resolve(cfg.data.path) == tmp_path.resolve() / "panel.csv"
    a = cfg.analyses
    assert (a.markov.k, a.markov.cutoff_scope, a.markov.fill_empty_classes) == (4, "pooled", False)
    assert (a.moran.permutations, a.moran.seed) == (999, 20241)
    assert (a.local_moran.period, a.local_moran.quadrant_scheme) == ("last", "pysal")
    assert (a.kde.bandwidth, a.kde.grid_size) == ("silverman", 256)
    assert a.dagum is None and a.beta is None  # absent sections are not run
    w = cfg.weights
    assert (w.kind, w.hainan, w.transform, w.id_column) == (
        "province_contiguity",
        "guangdong",
        "r",
        None,
    )
    assert cfg.data.missing == "error"


@pytest.mark.parametrize(
    ("analyses", "overrides", "match"),
    [
        ({"dagum": {}}, {"data": {"group": DROP}}, "data.group"),
        ({"theil": {}}, {"data": {"group": DROP}}, "data.group"),
        ({"moran": {}}, {"weights": DROP}, "weights section"),
        ({"local_moran": {}}, {"weights": DROP}, "weights section"),
        ({"spatial_markov": {}}, {"weights": DROP}, "weights section"),
        ({"gini": {}}, {"weights": {"kind": "gal"}}, "needs path"),
        ({"ginni": {}}, {}, "unknown key"),
        ({"markov": {"k": 1}}, {}, "greater than or equal to 2"),
        ({"local_moran": {"permutations": 10}}, {}, "99"),
        ({"gini": {}}, {"weights": {"kind": "rook"}}, "rook"),
        ({"mobility": {}}, {}, "mobility needs analyses.markov"),
        ({"moran_bv": {"other": "edu_years"}}, {"weights": DROP}, "weights section"),
        ({"moran_rate": {"events": "e", "population": "n"}}, {"weights": DROP}, "weights"),
        ({"spatial_markov": {"lag_ties": "low"}}, {}, "'fractional', 'tryself'"),
        ({"markov": {}, "mobility": {"initial": [0.5, 0.6]}}, {}, "summing to 1"),
        ({"moran": {"transform": "row"}}, {}, "'r', 'b' or 'none'"),
    ],
    ids=[
        "dagum-no-group",
        "theil-no-group",
        "moran-no-weights",
        "lisa-no-weights",
        "smarkov-no-weights",
        "gal-no-path",
        "misspelt",
        "k-1",
        "lisa-perms",
        "bad-kind",
        "mobility-no-markov",
        "moran-bv-no-weights",
        "moran-rate-no-weights",
        "bad-lag-ties",
        "bad-initial",
        "bad-transform",
    ],
)
def test_config_errors(analyses, overrides, match, write):
    with pytest.raises(ConfigError, match=match) as err:
        load_analyze_config(write(analyses, overrides))
    assert "config.yaml" in str(err.value) and "line" in str(err.value)


@pytest.mark.parametrize(
    ("analyses", "overrides", "key"),
    [
        ({"dagum": {}}, {"data": {"group": DROP}}, "dagum"),
        ({"moran": {}}, {"weights": DROP}, "moran"),
    ],
    ids=["dagum-no-group", "moran-no-weights"],
)
def test_cross_section_config_errors_name_key_and_line(analyses, overrides, key, write):
    path = write(analyses, overrides)
    lines = path.read_text(encoding="utf-8").splitlines()
    wanted = {i + 1 for i, ln in enumerate(lines) if ln.strip().startswith(("analyses:", key))}
    with pytest.raises(ConfigError) as err:
        load_analyze_config(path)
    msg = str(err.value)
    assert err.value.field  # e.g. "data.group" / "weights" / "analyses.dagum", not ""
    assert any(f"line {n}:" in msg for n in wanted), msg
    assert "'analyses': {" not in msg  # no dump of the whole config
    assert len(msg) < 300, msg


# ---------------------------------------------------------------------- inequality
def test_gini_equals_the_library_per_year(run, frame):
    r = run({"gini": {}})
    table = r.tables["gini"]
    assert table["year"].tolist() == list(YEARS)
    for year, block in frame.groupby("year"):
        row = table[table["year"] == year].iloc[0]
        g = gini(block["index"].to_numpy())
        assert row["G"] == pytest.approx(g.G, rel=1e-12)
        assert row["n"] == 12
        assert row["mean"] == pytest.approx(block["index"].mean(), rel=1e-12)
    assert set(r.tables) == {"gini", "metadata"}


def test_dagum_equals_the_library_and_decomposes_gini(run, frame):
    r = run({"dagum": {}})
    expected = dagum(frame["index"], frame["region"], periods=frame["year"])
    for year in YEARS:
        got, exp = r.results["dagum"][year], expected[year]
        assert got.groups == exp.groups
        assert got.total == pytest.approx(exp.total, rel=1e-12)
        assert got.total == pytest.approx(
            gini(frame.loc[frame["year"] == year, "index"]).G, rel=1e-12
        )
        assert got.within + got.between + got.transvariation == pytest.approx(got.total)
        np.testing.assert_allclose(got.G_jh, exp.G_jh, rtol=1e-12)
    comps = r.tables["dagum"]
    assert set(comps["table"]) == {"components", "groups", "pairs"}
    totals = comps[(comps["table"] == "components") & (comps["component"] == "total")]
    assert totals["year"].tolist() == list(YEARS)


def test_theil_equals_the_library(run, frame):
    r = run({"theil": {}})
    exp = theil(frame["index"], frame["region"], periods=frame["year"])
    for year in YEARS:
        got = r.results["theil"][year]
        assert got.total == pytest.approx(exp[year].total, rel=1e-12)
        assert got.between + got.within == pytest.approx(got.total, rel=1e-10)
    assert set(r.tables["theil"]["table"]) == {"components", "groups"}


def test_nested_theil_with_subgroup(run, frame):
    r = run({"theil": {}}, {"data": {"subgroup": "coast"}})
    exp = theil(frame["index"], frame["region"], periods=frame["year"], nested=frame["coast"])
    for year in YEARS:
        got = r.results["theil"][year]
        assert got.between_subgroups == pytest.approx(exp[year].between_subgroups, rel=1e-12)
        assert got.between + got.between_subgroups + got.within_subgroups == pytest.approx(
            got.total, rel=1e-10
        )


# ---------------------------------------------------------------------- distribution
@pytest.mark.parametrize("bandwidth", ["silverman", "scott", 0.05])
def test_kde_equals_the_library(bandwidth, run, frame):
    r = run({"kde": {"bandwidth": bandwidth, "grid_size": 32}})
    exp = kde(frame["index"], periods=frame["year"], bandwidth=bandwidth, grid_size=32)
    got = r.results["kde"]
    assert got.periods == exp.periods == YEARS
    np.testing.assert_allclose(got.grid, exp.grid, rtol=1e-12)
    np.testing.assert_allclose(got.density, exp.density, rtol=1e-10)
    assert len(r.tables["kde"]) == 6 * 32
    if bandwidth == 0.05:
        np.testing.assert_allclose(got.bandwidth, 0.05)


def test_kde_by_region_on_the_shared_grid(run, frame):
    r = run({"kde": {"grid_size": 32}})
    overall = r.results["kde"]
    by_group = r.results["kde_groups"]
    assert set(by_group) == {"东部", "中部", "西部"}
    for g, res in by_group.items():
        rows = frame["region"] == g
        exp = kde(frame.loc[rows, "index"], periods=frame.loc[rows, "year"], grid=overall.grid)
        np.testing.assert_array_equal(res.grid, overall.grid)
        np.testing.assert_allclose(res.density, exp.density, rtol=1e-10)
        assert res.periods == YEARS
    # a region with one unit per year has no density of its own; no group, no regional KDE
    lone = frame.assign(region=frame["region"].mask(frame["province"] == "江西", "东北"))
    assert "东北" not in run({"kde": {"grid_size": 32}}, data=lone).results["kde_groups"]
    assert "kde_groups" not in run({"kde": {"grid_size": 32}}, {"data": {"group": DROP}}).results


def test_markov_equals_the_library(run, frame):
    r = run({"markov": {"k": 4}})
    wide = wide_of(frame)
    assert list(r.wide.index) == list(wide.index)
    exp = markov(wide.to_numpy(), 4)
    got = r.results["markov"]
    np.testing.assert_array_equal(got.transitions, exp.transitions)
    np.testing.assert_allclose(got.p, exp.p, rtol=1e-12)
    assert got.transitions.sum() == 12 * 5
    assert r.tables["markov"].index.name == "初始类型"


def test_markov_options_are_passed_through(run, frame):
    wide = wide_of(frame).to_numpy()
    cut = [0.3, 0.5]
    r = run({"markov": {"cutoffs": cut, "fill_empty_classes": True}})
    exp = markov(wide, 3, cutoffs=cut, fill_empty_classes=True)
    np.testing.assert_array_equal(r.results["markov"].transitions, exp.transitions)
    np.testing.assert_allclose(r.results["markov"].cutoffs, cut)
    r = run({"markov": {"k": 3, "cutoff_scope": "per_period"}})
    exp = markov(wide, 3, cutoff_scope="per_period")
    np.testing.assert_array_equal(r.results["markov"].transitions, exp.transitions)
    assert r.results["markov"].scheme == "per_period"


def test_spatial_markov_equals_the_library(run, frame):
    r = run({"spatial_markov": {"k": 4, "lag_cutoff_mode": "same"}})
    wide = wide_of(frame)
    w = province_weights(provinces=list(wide.index), labels="name")
    exp = spatial_markov(wide.to_numpy(), w, 4, lag_cutoff_mode="same")
    got = r.results["spatial_markov"]
    np.testing.assert_array_equal(got.T, exp.T)
    np.testing.assert_allclose(got.P, exp.P, rtol=1e-12)
    np.testing.assert_allclose(got.Q, exp.Q, rtol=1e-12)
    assert len(r.tables["spatial_markov"]) == 4 * 4


# ---------------------------------------------------------------------- spatial
def expected_moran(wide: pd.DataFrame, w, permutations: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    return {p: moran(wide[p].to_numpy(), w, permutations, rng) for p in wide.columns}


def test_moran_equals_the_library_with_the_same_weights(run, frame):
    r = run({"moran": {"permutations": 99, "seed": 5}})
    wide = wide_of(frame)
    w = province_weights(provinces=list(wide.index), labels="name")
    exp = expected_moran(wide, w, 99, 5)
    table = r.tables["moran"].set_index("year")
    for year, e in exp.items():
        assert table.loc[year, "I"] == pytest.approx(e.I, rel=1e-12)
        assert table.loc[year, "z_norm"] == pytest.approx(e.z_norm, rel=1e-12)
        assert table.loc[year, "p_sim"] == pytest.approx(e.p_sim)
    assert table.index.tolist() == list(YEARS)
    meta = meta_of(r)
    assert meta["空间权重 weights"] == "province_contiguity, transform r"
    assert "general geographic knowledge" in meta["权重来源 weights source"]


def test_moran_seed_makes_p_sim_reproducible(run):
    a = run({"moran": {"permutations": 99, "seed": 1}}).tables["moran"]
    b = run({"moran": {"permutations": 99, "seed": 1}}).tables["moran"]
    c = run({"moran": {"permutations": 99, "seed": 2}}).tables["moran"]
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["p_sim"], c["p_sim"])
    np.testing.assert_allclose(a["I"], c["I"])


@pytest.mark.parametrize(("period", "year"), [("last", 2020), (2017, 2017), ("2016", 2016)])
def test_local_moran_equals_the_library(period, year, run, frame):
    lm = {"period": period, "permutations": 99, "seed": 3, "quadrant_scheme": "geoda"}
    r = run({"local_moran": lm})
    wide = wide_of(frame)
    w = province_weights(provinces=list(wide.index), labels="name")
    exp = local_moran(
        wide[year].to_numpy(), w, 99, np.random.default_rng(3), quadrant_scheme="geoda"
    )
    got = r.results["local_moran"]
    assert r.results["local_moran_period"] == year
    np.testing.assert_allclose(got.Is, exp.Is, rtol=1e-12)
    np.testing.assert_array_equal(got.q, exp.q)
    np.testing.assert_allclose(got.p_sim, exp.p_sim)
    table = r.tables["local_moran"]
    assert table["province"].tolist() == list(wide.index)
    assert (table["year"] == year).all()
    assert table["quadrant"].isin(["HH", "LH", "LL", "HL"]).all()


# ---------------------------------------------------------------------- convergence
@pytest.mark.parametrize(("measure", "ddof"), [("cv", 0), ("sd_log", 1), ("sd", 0)])
def test_sigma_equals_the_library(measure, ddof, run, frame):
    r = run({"sigma": {"measure": measure, "ddof": ddof}})
    exp = sigma_convergence(frame["index"], frame["year"], measure=measure, ddof=ddof)
    table = r.tables["sigma"]
    assert table["year"].tolist() == list(YEARS)
    np.testing.assert_allclose(table["sigma"], exp.sigma, rtol=1e-12)
    assert r.results["sigma"].slope == pytest.approx(exp.slope, rel=1e-10)


def test_absolute_beta_equals_the_library(run, frame):
    r = run({"beta": {"cov": "robust"}})
    exp = beta_convergence(
        frame["index"].to_numpy(),
        frame["province"].to_numpy(),
        frame["year"].to_numpy(),
        cov="robust",
    )
    got = r.results["beta"]
    assert got.beta == pytest.approx(exp.beta, rel=1e-10)
    assert got.se == pytest.approx(exp.se, rel=1e-10)
    assert got.n_obs == exp.n_obs == 12 * 5
    assert r.tables["beta"]["term"].tolist() == ["const", "ln_y0"]


def test_conditional_beta_with_a_control(run, frame):
    r = run({"beta": {"kind": "conditional", "controls": ["edu_years"]}})
    exp = beta_convergence(
        frame["index"].to_numpy(),
        frame["province"].to_numpy(),
        frame["year"].to_numpy(),
        kind="conditional",
        controls=frame[["edu_years"]].reset_index(drop=True),
    )
    got = r.results["beta"]
    assert got.kind == "conditional"
    assert got.beta == pytest.approx(exp.beta, rel=1e-8)
    assert "edu_years" in r.tables["beta"]["term"].tolist()


# ---------------------------------------------------------------------- periods, metadata
def test_periods_restrict_every_analysis(run, frame):
    r = run(
        {"gini": {}, "markov": {}, "moran": {"permutations": 0}, "sigma": {}},
        {"periods": {"from": 2016, "to": 2019}},
    )
    assert r.panel.period_labels.tolist() == [2016, 2017, 2018, 2019]
    assert r.tables["gini"]["year"].tolist() == [2016, 2017, 2018, 2019]
    assert r.tables["moran"]["year"].tolist() == [2016, 2017, 2018, 2019]
    assert r.results["markov"].t == 4
    sub = frame[frame["year"].between(2016, 2019)]
    np.testing.assert_allclose(
        r.tables["sigma"]["sigma"], sigma_convergence(sub["index"], sub["year"]).sigma
    )


def test_metadata_names_data_variable_and_label(run, tmp_path):
    r = run({"gini": {}, "moran": {"permutations": 0}})
    meta = meta_of(r)
    assert next(iter(meta)) == "数据性质 data status"
    assert meta["数据性质 data status"] == SYNTHETIC_LABEL
    assert meta["标题 title"] == TITLE
    assert meta["变量 variable"] == "index"
    assert meta["单位数 units"] == "12"
    assert meta["期数 periods"] == "2015–2020 (6)"
    assert meta["分组 groups"] == "region"
    assert meta["数据 SHA-256"] == hashlib.sha256((tmp_path / "panel.csv").read_bytes()).hexdigest()


def test_not_synthetic_has_no_label(run):
    r = run({"gini": {}}, {"data": {"synthetic": False}})
    assert "数据性质 data status" not in meta_of(r)


def test_progress_events(write):
    events = []
    run_analyze(load_analyze_config(write({"dagum": {}, "beta": {}})), progress=events.append)
    lines = [str(e) for e in events if e.message]
    assert lines[0] == "面板: 12 个单位 × 6 期, 变量 index"
    assert "Dagum 基尼系数分解" in lines and "β 收敛" in lines
    stages = list(dict.fromkeys(e.stage for e in events))
    assert stages == ["load", "quality", "analyses"]
    analyses = [e for e in events if e.stage == "analyses"]
    assert [e.done for e in analyses] == [1, 2, 2] and {e.total for e in analyses} == {2}
    assert all(0 <= e.done <= e.total for e in events)


# ---------------------------------------------------------------------- weights
def moran_I(r) -> np.ndarray:
    return r.tables["moran"]["I"].to_numpy()


def direct_I(frame, w) -> np.ndarray:
    wide = wide_of(frame)
    return np.array([moran(wide[p].to_numpy(), w).I for p in wide.columns])


def test_province_names_and_codes_give_the_same_weights(run, frame):
    by_name = run({"moran": {"permutations": 0}})
    by_code = run(
        {"moran": {"permutations": 0}},
        {"weights": {"kind": "province_contiguity", "id_column": "province_code"}},
    )
    names = list(wide_of(frame).index)
    w = province_weights(provinces=names, labels="name")
    np.testing.assert_allclose(moran_I(by_name), direct_I(frame, w), rtol=1e-12)
    np.testing.assert_allclose(moran_I(by_code), moran_I(by_name), rtol=1e-12)
    # the LISA table carries the weights' ids (codes) beside the entity labels
    r = run(
        {"local_moran": {"permutations": 99}},
        {"weights": {"kind": "province_contiguity", "id_column": "province_code"}},
    )
    table = r.tables["local_moran"]
    code = dict(zip(frame["province"], frame["province_code"], strict=False))
    assert table["id"].tolist() == [code[p] for p in table["province"]]


def test_codes_as_entities(run, frame):
    r = run({"moran": {"permutations": 0}}, {"data": {"entity": "province_code", "keep": []}})
    names = list(wide_of(frame).index)
    w = province_weights(provinces=names, labels="name")
    # units are in code order now; Moran's I does not depend on the order
    np.testing.assert_allclose(moran_I(r), direct_I(frame, w), rtol=1e-12)
    assert list(r.wide.index) == sorted(PROVINCES)


def test_province_distance(run, frame):
    r = run({"moran": {"permutations": 0}}, {"weights": {"kind": "province_distance"}})
    names = list(wide_of(frame).index)
    w = province_weights("inverse_distance", provinces=names, labels="name")
    np.testing.assert_allclose(moran_I(r), direct_I(frame, w), rtol=1e-12)
    contiguity = run({"moran": {"permutations": 0}})
    assert not np.allclose(moran_I(r), moran_I(contiguity))
    assert "capitals" in meta_of(r)["权重来源 weights source"]


@pytest.mark.parametrize("hainan", ["guangdong", "guangdong_guangxi"])
def test_hainan_options(hainan, run, frame):
    r = run({"moran": {"permutations": 0}}, {"weights": {"hainan": hainan}})
    names = list(wide_of(frame).index)
    w = province_weights(hainan=hainan, provinces=names, labels="name")
    assert w.neighbors("海南") == (["广东"] if hainan == "guangdong" else ["广东", "广西"])
    np.testing.assert_allclose(moran_I(r), direct_I(frame, w), rtol=1e-12)


def test_hainan_option_changes_the_result(run):
    a = moran_I(run({"moran": {"permutations": 0}}, {"weights": {"hainan": "guangdong"}}))
    b = moran_I(run({"moran": {"permutations": 0}}, {"weights": {"hainan": "guangdong_guangxi"}}))
    assert not np.allclose(a, b)


def test_binary_transform(run, frame):
    r = run({"moran": {"permutations": 0}}, {"weights": {"transform": "b"}})
    names = list(wide_of(frame).index)
    w = province_weights(provinces=names, labels="name", transform="b")
    np.testing.assert_allclose(moran_I(r), direct_I(frame, w), rtol=1e-12)
    assert meta_of(r)["空间权重 weights"] == "province_contiguity, transform b"


def gal_text(w) -> str:
    lines = [str(w.n)]
    for i in w.ids:
        nb = w.neighbors(i)
        lines += [f"{i} {len(nb)}", " ".join(map(str, nb))]
    return "\n".join(lines) + "\n"


def test_gal_file_with_the_entity_labels(run, frame, tmp_path):
    # all 31 provinces in the file: the data's 12 are taken, links to the others dropped
    full = province_weights(labels="name")
    r = run(
        {"moran": {"permutations": 0}, "spatial_markov": {}},
        {"weights": {"kind": "gal", "path": "china.gal"}},
        files={"china.gal": gal_text(full)},
    )
    names = list(wide_of(frame).index)
    w = province_weights(provinces=names, labels="name")
    np.testing.assert_allclose(moran_I(r), direct_I(frame, w), rtol=1e-12)
    assert meta_of(r)["权重来源 weights source"] == str(tmp_path / "china.gal")
    assert meta_of(r)["空间权重 weights"] == "gal, transform r"


def test_gal_file_with_codes_through_id_column(run, frame):
    full = province_weights()  # codes
    r = run(
        {"moran": {"permutations": 0}},
        {"weights": {"kind": "gal", "path": "codes.gal", "id_column": "province_code"}},
        files={"codes.gal": gal_text(full)},
    )
    w = province_weights(provinces=list(wide_of(frame).index), labels="name")
    np.testing.assert_allclose(moran_I(r), direct_I(frame, w), rtol=1e-12)


def test_matrix_csv(run, frame):
    names = list(wide_of(frame).index)
    rng = np.random.default_rng(0)
    M = rng.uniform(0.1, 1.0, (12, 12))
    M = (M + M.T) / 2
    np.fill_diagonal(M, 0.0)
    text = pd.DataFrame(M, index=pd.Index(names, name="id"), columns=names).to_csv()
    r = run(
        {"moran": {"permutations": 0}},
        {"weights": {"kind": "matrix", "path": "w.csv"}},
        files={"w.csv": text},
    )
    w = spatial_weights(matrix=M, ids=names)
    np.testing.assert_allclose(moran_I(r), direct_I(frame, w), rtol=1e-12)


def _non_link_derangement(dense: np.ndarray) -> list[int]:
    """A permutation p with p[i] != i and dense[i, p[i]] == 0 for every i (backtracking)."""
    n = dense.shape[0]

    def place(i: int, used: list[int]) -> list[int] | None:
        if i == n:
            return used
        for j in range(n):
            if j != i and j not in used and dense[i, j] == 0:
                found = place(i + 1, [*used, j])
                if found is not None:
                    return found
        return None

    perm = place(0, [])
    assert perm is not None
    return perm


def test_matrix_csv_columns_are_matched_by_header(run, frame):
    names = list(wide_of(frame).index)
    w = province_weights(provinces=names, labels="name")
    M = pd.DataFrame(w.original.toarray(), index=pd.Index(names, name="id"), columns=names)
    # Columns in another order, chosen so that no link lands on the diagonal: read by
    # position, the file still looks valid (zero diagonal) but links the wrong units.
    cols = [names[j] for j in _non_link_derangement(M.to_numpy())]
    assert cols != names
    r = run(
        {"moran": {"permutations": 0}},
        {"weights": {"kind": "matrix", "path": "w.csv"}},
        files={"w.csv": M[cols].to_csv()},
    )
    np.testing.assert_allclose(moran_I(r), direct_I(frame, w), rtol=1e-12)


def test_matrix_csv_keeps_leading_zeros_of_ids(run, frame):
    names = list(wide_of(frame).index)
    codes = {p: f"{i + 1:02d}" for i, p in enumerate(names)}
    data = frame.assign(province=frame["province"].map(codes))
    w = province_weights(provinces=names, labels="name")
    ids = [codes[p] for p in names]
    M = pd.DataFrame(w.original.toarray(), index=pd.Index(ids, name="id"), columns=ids)
    r = run(
        {"moran": {"permutations": 0}},
        {"weights": {"kind": "matrix", "path": "w.csv"}},
        data=data,
        files={"w.csv": M.to_csv()},
    )
    np.testing.assert_allclose(moran_I(r), direct_I(frame, w), rtol=1e-12)


def test_weights_are_not_built_unless_a_spatial_analysis_asks(run):
    # a broken weights section is never read when no spatial analysis runs
    r = run({"gini": {}}, {"weights": {"kind": "gal", "path": "nope.gal"}})
    assert "空间权重 weights" not in meta_of(r)


# ---------------------------------------------------------------------- bad input
def test_missing_value_column(run):
    with pytest.raises(DataValidationError, match="nope") as err:
        run({"gini": {}}, {"data": {"value": "nope"}})
    assert "panel.csv" in str(err.value)
    assert err.value.column == "nope"


def test_missing_group_column(run):
    with pytest.raises(DataValidationError, match="no such column") as err:
        run({"dagum": {}}, {"data": {"group": "area"}})
    assert "area" in str(err.value)


def test_unbalanced_panel_names_unit_and_period(run, frame):
    data = frame[~((frame["province"] == "湖南") & (frame["year"] == 2018))]
    for analyses in ({"markov": {}}, {"moran": {}}, {"sigma": {}}):
        with pytest.raises(DataValidationError, match="unbalanced") as err:
            run(analyses, data=data)
        msg = str(err.value)
        assert "province 湖南 has no row for year 2018" in msg
        assert "panel.csv" in msg
    # the cross-section methods do not need a balanced panel
    r = run({"gini": {}, "dagum": {}, "kde": {"grid_size": 16}}, data=data)
    assert r.tables["gini"].set_index("year").loc[2018, "n"] == 11


def test_unit_missing_from_the_gal_file(run, frame):
    names = list(wide_of(frame).index)
    w = province_weights(provinces=[n for n in names if n != "云南"], labels="name")
    with pytest.raises(DataValidationError, match="'云南'") as err:
        run(
            {"moran": {}},
            {"weights": {"kind": "gal", "path": "w.gal"}},
            files={"w.gal": gal_text(w)},
        )
    assert "w.gal" in str(err.value) and "no row in the weights" in str(err.value)


def test_gal_file_not_found(run):
    with pytest.raises(NqpfError, match="not found") as err:
        run({"moran": {}}, {"weights": {"kind": "gal", "path": "nope.gal"}})
    assert "nope.gal" in str(err.value)


def test_id_column_not_in_the_data(run):
    with pytest.raises(DataValidationError, match="nope"):
        run({"moran": {}}, {"weights": {"id_column": "nope"}})


def test_unknown_province_for_shipped_weights(run, frame):
    data = frame.assign(province=frame["province"].replace({"广东": "粤"}))
    with pytest.raises(DataValidationError, match="粤"):
        run({"moran": {}}, data=data)


@pytest.mark.parametrize("analysis", ["moran", "local_moran"])
def test_island_is_a_clear_error(analysis, run):
    with pytest.raises(DataValidationError, match="island") as err:
        run({analysis: {"permutations": 99}}, {"weights": {"hainan": "island"}})
    assert "海南" in str(err.value)


def test_local_moran_period_not_in_the_data(run):
    with pytest.raises(ConfigError, match="2030") as err:
        run({"local_moran": {"period": 2030}})
    assert err.value.field == "analyses.local_moran.period"


@pytest.mark.parametrize("analysis", ["markov", "spatial_markov", "sigma", "beta"])
def test_too_few_periods(analysis, run):
    with pytest.raises(DataValidationError, match="at least 2"):
        run({analysis: {}}, {"periods": {"from": 2020}})


@pytest.mark.parametrize("analysis", ["gini", "dagum", "theil"])
def test_negative_values_are_refused(analysis, run, frame):
    frame.loc[(frame["province"] == "福建") & (frame["year"] == 2016), "index"] = -0.5
    with pytest.raises(DataValidationError, match="non-negative"):
        run({analysis: {}}, data=frame)


@pytest.mark.parametrize("analysis", ["gini", "dagum", "theil"])
def test_negative_value_error_names_unit_and_year(analysis, run, frame):
    frame.loc[(frame["province"] == "福建") & (frame["year"] == 2016), "index"] = -0.5
    with pytest.raises(DataValidationError) as err:
        run({analysis: {}}, data=frame)
    msg = str(err.value)
    assert "福建" in msg and "2016" in msg, msg
    assert "panel.csv" in msg
    assert "row 21" not in msg


def test_beta_error_names_unit_and_year(run, frame):
    frame.loc[(frame["province"] == "福建") & (frame["year"] == 2016), "index"] = 0.0
    with pytest.raises(DataValidationError, match="positive") as err:
        run({"beta": {}}, data=frame)
    assert "福建" in str(err.value) and "2016" in str(err.value)


def test_missing_values_can_be_interpolated(run, frame):
    frame.loc[(frame["province"] == "湖北") & (frame["year"] == 2017), "index"] = np.nan
    with pytest.raises(DataValidationError, match="index"):
        run({"markov": {}}, data=frame)
    r = run({"markov": {}}, {"data": {"missing": "interpolate"}}, data=frame)
    assert r.results["markov"].n == 12


def test_config_file_is_only_read_where_it_is(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_analyze_config(tmp_path / "nope.yaml")


# ---------------------------------------------------------------------- issue 14: quality, checks
def test_year_labels_with_nian_are_years_and_the_range_keeps_its_last_year(run, frame):
    frame["year"] = frame["year"].astype(str) + "年"
    r = run({"gini": {}}, {"periods": {"from": 2017, "to": "2020年"}}, data=frame)
    assert r.tables["gini"]["year"].tolist() == [2017, 2018, 2019, 2020]
    assert r.quality.finding("period_labels").status == "fixed"


def test_a_missing_local_moran_period_stops_before_any_analysis(write, monkeypatch):
    from nqpf.services import analyze_run

    ran = []
    monkeypatch.setattr(analyze_run, "gini", lambda *a, **k: ran.append("gini"))
    cfg = write({"gini": {}, "local_moran": {"period": 2030, "permutations": 99}})
    with pytest.raises(ConfigError) as err:
        run_analyze(load_analyze_config(cfg))
    assert (
        str(err.value)
        == "field 'analyses.local_moran.period': period 2030 is not in the data (2015–2020)"
    )
    assert ran == []


def test_negative_values_for_gini_keep_their_message(write, frame):
    frame.loc[3, "index"] = -0.5
    with pytest.raises(DataValidationError) as err:
        run_analyze(load_analyze_config(write({"gini": {}}, data=frame)))
    assert err.value.column == "index"
    assert err.value.reason == (
        "province 浙江, year 2018 is -0.5: Gini, Dagum and Theil need non-negative values "
        "(1 negative)"
    )


def test_check_data_reports_without_running(frame, write):
    from nqpf.services.analyze_run import check_data

    frame = frame.drop(index=0)
    report = check_data(load_analyze_config(write({"gini": {}}, data=frame)))
    assert report.finding("balance").status == "warn"
    assert report.errors == []


# ---------------------------------------------------------------------- issue-15 options
def test_new_disparity_keys_and_their_defaults(write):
    cfg = load_analyze_config(
        write({"spatial_markov": {}, "theil": {}, "moran": {}, "markov": {}, "mobility": {}})
    )
    a = cfg.analyses
    sm = a.spatial_markov
    assert (sm.lag_ties, sm.seed, sm.dof_convention) == ("fractional", 20241, "observed")
    assert (a.theil.permutations, a.theil.seed) == (0, 20241)
    assert a.moran.transform is None  # weights.transform applies
    assert a.mobility.initial is None
    assert a.moran_rate is None and a.moran_bv is None and a.local_moran_bv is None


def test_spatial_markov_tie_rule_and_dof_convention_reach_the_library(run, frame):
    opts = {"k": 4, "lag_cutoff_mode": "same", "dof_convention": "giddy"}
    r = run({"spatial_markov": {**opts, "lag_ties": "random", "seed": 7}})
    wide = wide_of(frame)
    w = province_weights(provinces=list(wide.index), labels="name")
    exp = spatial_markov(
        wide.to_numpy(),
        w,
        4,
        lag_cutoff_mode="same",
        lag_ties="random",
        rng=np.random.default_rng(7),
        dof_convention="giddy",
    )
    got = r.results["spatial_markov"]
    np.testing.assert_array_equal(got.T, exp.T)
    assert got.dof == exp.dof
    np.testing.assert_allclose(got.Q, exp.Q, rtol=1e-12)
    lowest = run({"spatial_markov": {**opts, "lag_ties": "lowest"}}).results["spatial_markov"]
    exp_low = spatial_markov(wide.to_numpy(), w, 4, lag_cutoff_mode="same", lag_ties="lowest")
    np.testing.assert_array_equal(lowest.T, exp_low.T)


def test_theil_permutations_give_the_library_p_values(run):
    r = run({"theil": {"permutations": 99, "seed": 4}})
    panel = r.panel  # the permutations follow the rows in the panel's order
    exp = theil(
        panel.values[:, 0],
        panel.extra["region"].to_numpy(),
        periods=panel.periods,
        permutations=99,
        rng=np.random.default_rng(4),
    )
    table = r.output_tables["theil"].set_index("year")
    for year, e in exp.results.items():
        assert table.loc[year, "between"] == pytest.approx(e.between, rel=1e-12)
        assert table.loc[year, "between_p_value"] == pytest.approx(e.between_p_value)
    assert table["between_p_value"].between(0.01, 1).all()
    assert "between_p_value" not in run({"theil": {}}).output_tables["theil"]


def test_moran_transform_overrides_the_weights_section(run, frame):
    r = run({"moran": {"permutations": 0, "transform": "b"}})
    names = list(wide_of(frame).index)
    w = province_weights(provinces=names, labels="name", transform="b")
    np.testing.assert_allclose(moran_I(r), direct_I(frame, w), rtol=1e-12)
    row = run({"moran": {"permutations": 0}})
    assert not np.allclose(moran_I(r), moran_I(row))


def rates_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The test panel with event counts and populations (synthetic, seeded)."""
    rng = np.random.default_rng(15)
    out = frame.copy()
    out["population"] = rng.integers(2_000, 9_000, len(out))
    out["events"] = rng.binomial(out["population"], (out["index"] / 400).clip(0.001, 0.5))
    return out


def test_moran_rate_equals_the_library_per_year(run, frame):
    data = rates_frame(frame)
    mr = {"events": "events", "population": "population", "permutations": 99, "seed": 8}
    r = run({"moran_rate": mr}, data=data)
    wide = wide_of(data)
    w = province_weights(provinces=list(wide.index), labels="name")
    E, N = wide_of(data, "events"), wide_of(data, "population")
    rng = np.random.default_rng(8)
    table = r.tables["moran_rate"].set_index("year")
    for year in wide.columns:
        e = moran_rate(E[year].to_numpy(), N[year].to_numpy(), w, 99, rng)
        assert table.loc[year, "I"] == pytest.approx(e.I, rel=1e-12)
        assert table.loc[year, "p_sim"] == pytest.approx(e.p_sim)
    assert "moran_rate" in r.output_tables


def test_moran_rate_refuses_a_non_positive_population(run, frame):
    data = rates_frame(frame)
    data.loc[3, "population"] = 0
    with pytest.raises(DataValidationError, match="population") as err:
        run({"moran_rate": {"events": "events", "population": "population"}}, data=data)
    assert err.value.column == "population"


def test_bivariate_moran_equals_the_library(run, frame):
    r = run(
        {
            "moran_bv": {"other": "edu_years", "permutations": 99, "seed": 2},
            "local_moran_bv": {"other": "edu_years", "period": 2017, "seed": 6},
        }
    )
    wide, other = wide_of(frame), wide_of(frame, "edu_years")
    w = province_weights(provinces=list(wide.index), labels="name")
    rng = np.random.default_rng(2)
    table = r.tables["moran_bv"].set_index("year")
    for year in wide.columns:
        e = moran_bv(wide[year].to_numpy(), other[year].to_numpy(), w, 99, rng)
        assert table.loc[year, "I"] == pytest.approx(e.I, rel=1e-12)
        assert table.loc[year, "p_sim"] == pytest.approx(e.p_sim)
    exp = local_moran_bv(
        wide[2017].to_numpy(), other[2017].to_numpy(), w, 999, np.random.default_rng(6)
    )
    got = r.results["local_moran_bv"]
    np.testing.assert_allclose(got.Is, exp.Is, rtol=1e-12)
    np.testing.assert_allclose(got.p_sim, exp.p_sim)
    lisa = r.tables["local_moran_bv"]
    assert lisa["province"].tolist() == list(wide.index) and (lisa["year"] == 2017).all()


def test_a_missing_column_of_a_spatial_analysis_names_its_key(run, frame):
    with pytest.raises(ConfigError, match=r"analyses\.moran_bv\.other names column 'nope'") as err:
        run({"moran_bv": {"other": "nope", "permutations": 0}})
    assert err.value.field == "analyses.moran_bv.other"
    assert "panel.csv" in str(err.value) and "edu_years" in str(err.value)  # what there is
    assert "不在数据中" in err.value.reason_zh
    rates = {"events": "events", "population": "people"}
    with pytest.raises(ConfigError) as err:
        run({"moran_rate": rates}, data=rates_frame(frame))
    assert err.value.field == "analyses.moran_rate.population"


def test_mobility_equals_the_library(run, frame):
    r = run({"markov": {"k": 3}, "mobility": {"initial": [0.5, 0.3, 0.2]}})
    exp = markov(wide_of(frame).to_numpy(), 3).mobility([0.5, 0.3, 0.2])
    got = r.results["mobility"]
    np.testing.assert_allclose(got.prais, exp.prais, rtol=1e-12)
    assert got.bartholomew_1 == pytest.approx(exp.bartholomew_1, rel=1e-12)
    indices = r.output_tables["mobility_indices"]
    assert len(indices) >= 4 and indices["value"].notna().all()
    assert len(r.output_tables["mobility"]) == 3


def test_mobility_initial_of_the_wrong_length(run):
    with pytest.raises(ConfigError, match="3 classes") as err:
        run({"markov": {"k": 3}, "mobility": {"initial": [0.5, 0.5]}})
    assert err.value.field == "analyses.mobility.initial"
