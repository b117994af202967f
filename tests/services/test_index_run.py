"""The "run this index config" use case: config in, index / weights / coupling tables out.

Each method switch is set through a config file (``make_config``), loaded with
:func:`load_index_config` and run with :func:`run_index`; the numbers are checked against
:class:`~nqpf.indices.CompositeIndex` and :func:`coupling_coordination` called directly on
the same panel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from nqpf.datasets import SYNTHETIC_LABEL, make_demo_panel
from nqpf.exceptions import ConfigError, DataValidationError, NqpfError
from nqpf.indices import CompositeIndex, coupling_coordination
from nqpf.panel import Panel
from nqpf.services.index_run import dump_config, load_index_config, run_index
from nqpf.systems import load_system

SYSTEM = load_system("nqpf-three-factor")
DIMS = list(SYSTEM.groups("dimension"))
YEARS = [2016, 2017, 2018, 2019, 2020]


@pytest.fixture
def run(tmp_path, panel_csv, make_config):
    """``run(overrides)``: write a config beside ``panel.csv``, load it and run it."""

    def go(overrides=None, **kw):
        return run_index(load_index_config(make_config(overrides, **kw)))

    return go


def direct(panel, **params):
    return CompositeIndex(system=SYSTEM, **params).fit_transform(panel)


def assert_same_rows(res, panel):
    assert res.panel.entities.tolist() == panel.entities.tolist()
    assert res.panel.periods.tolist() == panel.periods.tolist()


def check_ranks(run_):
    index = run_.tables["index"]
    for year, block in index.groupby("year"):
        assert sorted(block["rank"]) == list(range(1, len(block) + 1)), year


# ---------------------------------------------------------------------- loading a config
def test_config_paths_resolve_against_the_config_folder(
    tmp_path, panel_csv, make_config, monkeypatch
):
    cfg_path = make_config()
    monkeypatch.chdir(tmp_path.parent)
    cfg = load_index_config(cfg_path)
    assert cfg.base_dir == tmp_path.resolve()
    assert cfg.resolve(cfg.data.path) == tmp_path.resolve() / "panel.csv"
    assert cfg.resolve("/abs/x.csv").as_posix() == "/abs/x.csv"
    assert run_index(cfg).panel.n_entities == 8


def test_defaults_are_documented_choices(tmp_path, make_config):
    cfg = load_index_config(make_config())
    m = cfg.method
    assert (m.weighting, m.aggregation, m.normalization.extremes) == (
        "entropy",
        "weighted_sum",
        "pooled",
    )
    assert m.normalization.shift is None and m.normalization.rescale is None
    assert cfg.data.missing == "error"
    assert cfg.output.formats == ["xlsx", "csv"]


def test_fill_without_fill_value_is_a_config_error(make_config):
    path = make_config({"data": {"missing": "fill"}})
    with pytest.raises(ConfigError, match=r"fill_value") as err:
        load_index_config(path)
    assert "config.yaml" in str(err.value) and "line" in str(err.value)


def test_dump_config_round_trips(run, tmp_path):
    r = run({"method": {"normalization": {"rescale": 0.002}}, "fit_periods": {"from": 2016}})
    text = dump_config(r.config)
    data = yaml.safe_load(text)
    assert data["fit_periods"] == {"from": 2016, "to": None}  # the alias, not "start"
    assert "base_dir" not in data
    (tmp_path / "again.yaml").write_text(text, encoding="utf-8")
    again = load_index_config(tmp_path / "again.yaml")
    assert again.data.path == str(r.config.resolve(r.config.data.path).resolve())
    assert again.resolve(again.data.path) == r.config.resolve(r.config.data.path).resolve()
    same = {"data": {"path"}, "output": {"dir"}, "base_dir": True}
    assert again.model_dump(exclude=same) == r.config.model_dump(exclude=same)


# ---------------------------------------------------------------------- default run
def test_default_run_matches_the_estimator(run, demo_panel):
    r = run()
    exp = direct(demo_panel)
    assert_same_rows(r.result, demo_panel)
    np.testing.assert_allclose(r.result.index, exp.index, rtol=1e-10)
    np.testing.assert_allclose(r.result.weights.weights, exp.weights.weights, rtol=1e-10)
    assert r.result.method == "entropy (pooled) + weighted_sum"
    assert set(r.tables) == {
        "index",
        "index_wide",
        "rank_wide",
        "period_summary",
        "sub_dimensions",
        "weights",
        "dimension_weights",
        "obstacles_top",
        "obstacles_dimension",
        "coupling",
        "metadata",
    }
    meta = dict(zip(r.tables["metadata"]["item"], r.tables["metadata"]["value"], strict=True))
    assert meta["数据性质 data status"] == SYNTHETIC_LABEL
    assert meta["基期 fit periods"] == ", ".join(map(str, YEARS))
    check_ranks(r)


def test_period_summary_and_wide_tables_agree(run):
    r = run()
    index, summary = r.tables["index"], r.tables["period_summary"]
    assert summary["year"].tolist() == YEARS
    np.testing.assert_allclose(summary["mean"], index.groupby("year")["index"].mean())
    wide = r.tables["index_wide"].set_index("province")
    for _, row in index.iterrows():
        assert wide.loc[row["province"], row["year"]] == row["index"]


def test_periods_selects_years(run, demo_panel):
    r = run({"periods": {"from": 2017, "to": 2019}})
    assert r.panel.period_labels.tolist() == [2017, 2018, 2019]
    assert len(r.tables["index"]) == 24
    sub = demo_panel.subset_periods([2017, 2018, 2019])
    np.testing.assert_allclose(r.result.index, direct(sub).index, rtol=1e-10)


def test_periods_outside_the_data_is_a_config_error(run):
    with pytest.raises(ConfigError, match="2030") as err:
        run({"periods": {"from": 2030}})
    assert err.value.field == "periods"


# ---------------------------------------------------------------------- aggregation
@pytest.mark.parametrize("aggregation", ["topsis", "grey", "gra_topsis"])
def test_aggregations_match_the_estimator(aggregation, run, demo_panel):
    r = run({"method": {"aggregation": aggregation}})
    exp = direct(demo_panel, aggregation=aggregation)
    np.testing.assert_allclose(r.result.index, exp.index, rtol=1e-10)
    assert r.result.method == f"entropy (pooled) + {aggregation}"
    assert ((r.result.index > 0) & (r.result.index <= 1)).all()
    for level in ("dimension", "sub_dimension"):
        sub = r.result.sub_indices[level].to_numpy()
        assert ((sub >= 0) & (sub <= 1)).all()
    check_ranks(r)
    # Closeness to the ideal orders units differently from the weighted sum, but
    # the two agree on the broad picture.
    ws = direct(demo_panel).index
    assert np.corrcoef(ws, r.result.index)[0, 1] > 0.8


def test_topsis_per_period_ideal(run, demo_panel):
    # Within a year some unit is the negative ideal of a whole subsystem (U = 0), so the
    # coupling needs zero: zero, which sets C = 0 for those rows with a warning.
    with pytest.warns(UserWarning, match="zero subsystem score"):
        r = run(
            {
                "method": {"aggregation": "topsis", "ideal": "per_period"},
                "coupling": {"zero": "zero"},
            }
        )
    exp = direct(demo_panel, aggregation="topsis", ideal="per_period")
    np.testing.assert_allclose(r.result.index, exp.index, rtol=1e-10)
    coup = r.tables["coupling"]
    zero = (coup[[f"U_{d}" for d in DIMS]] == 0).any(axis=1)
    assert zero.any() and (coup.loc[zero, "C"] == 0).all()


def test_zero_subsystem_score_error_names_unit_and_config_key(run):
    with pytest.raises(DataValidationError) as err:
        run({"method": {"aggregation": "topsis", "ideal": "per_period"}})
    msg = str(err.value)
    assert "coupling.zero" in msg
    assert any(p in msg for p in ("2016", "2017", "2018", "2019", "2020"))


def test_grey_rho_is_passed_through(run, demo_panel):
    a = run({"method": {"aggregation": "grey", "rho": 0.3}}).result.index
    np.testing.assert_allclose(a, direct(demo_panel, aggregation="grey", rho=0.3).index)
    assert not np.allclose(a, direct(demo_panel, aggregation="grey").index)


# ---------------------------------------------------------------------- weighting
@pytest.mark.parametrize("weighting", ["critic", "cv", "equal"])
def test_objective_weightings_match_the_estimator(weighting, run, demo_panel):
    r = run({"method": {"weighting": weighting}})
    exp = direct(demo_panel, weighting=weighting)
    np.testing.assert_allclose(r.result.weights.weights, exp.weights.weights, rtol=1e-10)
    np.testing.assert_allclose(r.result.index, exp.index, rtol=1e-10)
    w = r.tables["weights"]["weight"].to_numpy()
    assert w.sum() == pytest.approx(1.0, abs=1e-12) and (w >= 0).all()
    if weighting == "equal":
        np.testing.assert_allclose(w, 1 / 18)
        np.testing.assert_allclose(
            r.tables["dimension_weights"]["weight"], [6 / 18, 6 / 18, 6 / 18]
        )


def test_cv_weights_are_std_over_mean(run, demo_frame):
    r = run({"method": {"weighting": "cv"}})
    X = demo_frame[list(SYSTEM.indicator_ids)]
    v = X.std(ddof=1) / X.mean()
    np.testing.assert_allclose(r.tables["weights"]["weight"], v / v.sum(), rtol=1e-9)


def test_given_weights(run, demo_panel):
    rng = np.random.default_rng(3)
    w = np.round(rng.dirichlet(np.ones(18)), 6)
    w[-1] = round(1 - w[:-1].sum(), 6)
    weights = dict(zip(SYSTEM.indicator_ids, w.tolist(), strict=True))
    r = run({"method": {"weighting": "given", "weights": weights}})
    table = r.tables["weights"].set_index("id")["weight"]
    for k, v in weights.items():
        assert table[k] == pytest.approx(v)
    # weighted sum of the shifted min-max values, with the given weights
    exp = direct(demo_panel, weighting="given", weights=weights)
    np.testing.assert_allclose(r.result.index, exp.normalized @ w, rtol=1e-9)
    np.testing.assert_allclose(r.result.index, exp.index, rtol=1e-10)


def _consistent(v):
    v = np.asarray(v, dtype=float)
    return (v[:, None] / v[None, :]).tolist()


def test_ahp_hierarchical(run, demo_panel):
    top = [4.0, 2.0, 1.0]
    local = {DIMS[0]: [6, 5, 4, 3, 2, 1], DIMS[1]: [1, 1, 2, 2, 3, 3], DIMS[2]: [3, 1, 2, 1, 1, 2]}
    ahp = {"dimensions": _consistent(top)} | {d: _consistent(v) for d, v in local.items()}
    r = run({"method": {"weighting": "ahp", "ahp": ahp}})
    expected = np.concatenate(
        [
            np.asarray(top)[g] / sum(top) * np.asarray(v) / sum(v)
            for g, v in enumerate(local.values())
        ]
    )
    np.testing.assert_allclose(r.result.weights.weights, expected, rtol=1e-9)
    np.testing.assert_allclose(r.tables["dimension_weights"]["weight"], [4 / 7, 2 / 7, 1 / 7])
    assert r.result.weights.details["CR"] == pytest.approx(0.0, abs=1e-9)
    assert "AHP hierarchical" in r.result.method
    np.testing.assert_allclose(
        r.result.index, direct(demo_panel, weighting="ahp", ahp=ahp).index, rtol=1e-10
    )
    # the coupling subsystems reuse the AHP weights rescaled within each dimension
    assert "coupling" in r.tables


def test_ahp_geometric_method(run):
    ahp = {"dimensions": _consistent([1, 1, 2])} | {d: _consistent(range(1, 7)) for d in DIMS}
    r = run({"method": {"weighting": "ahp", "ahp": ahp, "ahp_method": "geometric"}})
    assert "geometric" in r.result.method
    assert r.result.weights.weights.sum() == pytest.approx(1.0)


def test_ahp_missing_dimension_matrix_is_an_error(run):
    ahp = {"dimensions": _consistent([1, 1, 2]), DIMS[0]: _consistent(range(1, 7))}
    with pytest.raises(DataValidationError, match=DIMS[1]):
        run({"method": {"weighting": "ahp", "ahp": ahp}})


def test_inconsistent_ahp_raises_in_config_terms(run):
    bad = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    with pytest.raises(ConfigError, match=r"CR = \d+\.\d+ exceeds 0\.1") as err:
        run({"method": {"weighting": "ahp", "ahp": {"dimensions": bad}}})
    assert err.value.field == "method.ahp.dimensions"
    assert "max_cr" not in str(err.value)


def test_combined_game_linear(run, demo_panel):
    subjective = dict.fromkeys(SYSTEM.indicator_ids, 1 / 18)
    method = {
        "weighting": "combined",
        "weights": subjective,
        "combine": {"objective": "entropy", "method": "game_linear"},
    }
    r = run({"method": method})
    exp = direct(
        demo_panel,
        weighting="combined",
        weights=subjective,
        combine={"objective": "entropy", "method": "game_linear"},
    )
    w = r.result.weights
    np.testing.assert_allclose(w.weights, exp.weights.weights, rtol=1e-10)
    assert w.weights.sum() == pytest.approx(1.0) and (w.weights >= 0).all()
    a = w.details["coefficients"]
    assert a.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(
        w.weights, a[0] * w.details["subjective"] + a[1] * w.details["objective"], rtol=1e-10
    )
    np.testing.assert_allclose(
        w.details["objective"], direct(demo_panel).weights.weights, rtol=1e-10
    )


def test_combined_linear_alpha(run, demo_panel):
    subjective = dict.fromkeys(SYSTEM.indicator_ids, 1 / 18)
    r = run(
        {
            "method": {
                "weighting": "combined",
                "weights": subjective,
                "combine": {"objective": "critic", "method": "linear", "alpha": 0.3},
            }
        }
    )
    critic = direct(demo_panel, weighting="critic").weights.weights
    np.testing.assert_allclose(r.result.weights.weights, 0.3 / 18 + 0.7 * critic, rtol=1e-10)


# ---------------------------------------------------------------------- per-period entropy
def test_per_period_entropy_with_weighted_sum(run, demo_panel):
    r = run({"method": {"weighting_options": {"scope": "per_period"}}})
    exp = direct(demo_panel, weighting_options={"scope": "per_period"})
    np.testing.assert_allclose(r.result.index, exp.index, rtol=1e-10)
    W = r.result.weights.weights
    assert W.shape == (5, 18)
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    weights = r.tables["weights"]
    assert len(weights) == 5 * 18
    np.testing.assert_allclose(weights.groupby("period")["weight"].sum(), 1.0)
    # each year's index is that year's x' (extremes pooled over all years) times that
    # year's weights only
    pooled = CompositeIndex(system=SYSTEM).fit(demo_panel)
    for t, year in enumerate(YEARS):
        rows = demo_panel.periods == year
        x = pooled.transform(demo_panel.subset_periods([year])).normalized
        np.testing.assert_allclose(r.result.index[rows], x @ W[t], rtol=1e-10)
    subs = r.tables["index"][DIMS].sum(axis=1)
    np.testing.assert_allclose(subs, r.tables["index"]["index"], rtol=1e-12)
    # each coupling subsystem score is its sub-index over that year's weight of its
    # indicators (the refit of a separable method restricted to the subsystem)
    names = list(r.result.indicators)
    for t, year in enumerate(YEARS):
        rows = demo_panel.periods == year
        for g, ids in SYSTEM.groups("dimension").items():
            w = W[t, [names.index(i) for i in ids]].sum()
            sub = r.result.sub_indices["dimension"][g].to_numpy()[rows]
            expected = np.clip(sub / r.config.method.scale / w, 0, 1)
            np.testing.assert_allclose(r.coupling_scores[g].to_numpy()[rows], expected, rtol=1e-12)


def test_per_period_dimension_weights_sum_to_one_each_year(run):
    r = run({"method": {"weighting_options": {"scope": "per_period"}}})
    dw = r.tables["dimension_weights"]
    assert "period" in dw.columns
    np.testing.assert_allclose(dw.groupby("period")["weight"].sum(), 1.0)
    w = r.tables["weights"]
    np.testing.assert_allclose(w.groupby(["period", "dimension"])["weight_in_dimension"].sum(), 1)


def test_per_period_weights_refuse_topsis(run):
    with pytest.raises(ConfigError, match="weighted_sum") as err:
        run({"method": {"aggregation": "topsis", "weighting_options": {"scope": "per_period"}}})
    assert err.value.field == "method.weighting_options.scope"


# ---------------------------------------------------------------------- normalisation
def test_rescale_0_002(run, demo_panel):
    r = run({"method": {"normalization": {"rescale": 0.002}}})
    exp = direct(demo_panel, rescale=0.002)
    np.testing.assert_allclose(r.result.index, exp.index, rtol=1e-10)
    x = exp.normalized  # the run keeps no (n, m) matrix; its index is the estimator's
    assert x.min() == pytest.approx(0.002) and x.max() == pytest.approx(0.998)
    assert not np.allclose(r.result.weights.weights, direct(demo_panel).weights.weights)
    meta = dict(zip(r.tables["metadata"]["item"], r.tables["metadata"]["value"], strict=True))
    assert "rescale to 0.002" in meta["标准化 normalisation"]
    np.testing.assert_allclose(r.tables["index"][DIMS].sum(axis=1), r.result.index, rtol=1e-12)


def test_shift_and_scale(run, demo_panel):
    r = run({"method": {"normalization": {"shift": 0.01}, "scale": 100}})
    exp = direct(demo_panel, shift=0.01, scale=100)
    np.testing.assert_allclose(r.result.index, exp.index, rtol=1e-10)
    assert r.result.index.max() > 1  # on a 0-100 scale
    np.testing.assert_allclose(r.tables["index"][DIMS].sum(axis=1), r.result.index, rtol=1e-12)
    # coupling works on [0, 1] subsystem scores whatever the index scale
    assert r.tables["coupling"][["C", "T", "D"]].stack().between(0, 1).all()


def test_per_period_extremes(run, demo_panel):
    r = run({"method": {"normalization": {"extremes": "per_period"}}})
    exp = direct(demo_panel, extremes="per_period")
    np.testing.assert_allclose(r.result.index, exp.index, rtol=1e-10)
    for year in YEARS:  # every year has a unit at 0 and 1 (+ shift) on every indicator
        x = exp.normalized[demo_panel.periods == year]
        np.testing.assert_allclose(x.min(axis=0), 1e-4)
        np.testing.assert_allclose(x.max(axis=0), 1 + 1e-4)


# ---------------------------------------------------------------------- base periods
def test_fit_periods_fix_weights_and_extremes(tmp_path, demo_frame, make_config):
    # 2020 repeats 2018, so it lies inside the range of the base years 2016-2019
    frame = demo_frame.copy()
    ids = list(SYSTEM.indicator_ids)
    for code in frame["province_code"].unique():
        src = (frame["province_code"] == code) & (frame["year"] == 2018)
        dst = (frame["province_code"] == code) & (frame["year"] == 2020)
        frame.loc[dst, ids] = frame.loc[src, ids].to_numpy()
    frame.to_csv(tmp_path / "panel.csv", index=False)
    r = run_index(load_index_config(make_config({"fit_periods": {"from": 2016, "to": 2019}})))

    panel = Panel.from_frame(frame, entity="province", period="year", indicators=ids)
    base = panel.subset_periods([2016, 2017, 2018, 2019])
    est = CompositeIndex(system=SYSTEM).fit(base)
    np.testing.assert_allclose(r.result.weights.weights, est.weights_.weights, rtol=1e-10)
    np.testing.assert_allclose(r.result.index, est.transform(panel).index, rtol=1e-10)
    # not the weights of a pooled fit on all years
    pooled = CompositeIndex(system=SYSTEM).fit(panel).weights_.weights
    assert not np.allclose(r.result.weights.weights, pooled)
    # same data, same yardstick: 2020 scores equal 2018 scores
    index = r.tables["index"].set_index(["province", "year"])["index"]
    for prov in frame["province"].unique():
        assert index[prov, 2020] == pytest.approx(index[prov, 2018], rel=1e-12)
    meta = dict(zip(r.tables["metadata"]["item"], r.tables["metadata"]["value"], strict=True))
    assert meta["基期 fit periods"] == "2016, 2017, 2018, 2019"


def test_fit_periods_with_later_years_beyond_the_base_range(run, demo_panel):
    r = run({"fit_periods": {"from": 2016, "to": 2017}, "coupling": None})
    base = demo_panel.subset_periods([2016, 2017])
    est = CompositeIndex(system=SYSTEM).fit(base)
    np.testing.assert_allclose(r.result.weights.weights, est.weights_.weights, rtol=1e-10)
    full = est.transform(demo_panel)
    np.testing.assert_allclose(r.result.index, full.index, rtol=1e-10)
    assert full.normalized.max() > 1 + 1e-4  # later years beyond the base maximum
    # obstacle degrees stay proper shares
    by_dim = r.tables["obstacles_dimension"][DIMS].to_numpy()
    assert (by_dim >= 0).all()
    np.testing.assert_allclose(by_dim.sum(axis=1), 1.0)


def test_fit_periods_with_coupling_and_later_years_beyond_the_base_range(run, demo_panel):
    r = run({"fit_periods": {"from": 2016, "to": 2017}})
    base = demo_panel.subset_periods([2016, 2017])
    est = CompositeIndex(system=SYSTEM).fit(base)
    np.testing.assert_allclose(r.result.weights.weights, est.weights_.weights, rtol=1e-10)
    assert r.tables["coupling"][["C", "T", "D"]].stack().between(0, 1).all()


# ---------------------------------------------------------------------- coupling
def test_coupling_standard_matches_direct(run):
    r = run()
    U = r.coupling_scores[DIMS].to_numpy()
    exp = coupling_coordination(U, names=DIMS)
    coup = r.tables["coupling"]
    np.testing.assert_allclose(coup["C"], exp.C)
    np.testing.assert_allclose(coup["D"], np.sqrt(coup["C"] * coup["T"]))
    # refit: each subsystem is an entropy index of its own indicators
    for dim in DIMS:
        ids = SYSTEM.groups("dimension")[dim]
        sub = load_system_subset(r.panel.select(ids), ids)
        np.testing.assert_allclose(coup[f"U_{dim}"], sub, rtol=1e-10)


def load_system_subset(panel, ids):
    directions = [SYSTEM.indicator(i).sign for i in ids]
    return (
        CompositeIndex(directions=directions)
        .fit_transform(panel.values, panel.periods, indicators=ids)
        .index
    )


def test_coupling_modified(run):
    std = run()
    mod = run({"coupling": {"method": "modified"}})
    U = mod.coupling_scores[DIMS].to_numpy()
    np.testing.assert_allclose(U, std.coupling_scores[DIMS].to_numpy())
    exp = coupling_coordination(U, method="modified", names=DIMS)
    coup = mod.tables["coupling"]
    np.testing.assert_allclose(coup["C"], exp.C, rtol=1e-12)
    assert coup[["C", "T", "D"]].stack().between(0, 1).all()
    np.testing.assert_allclose(coup["D"], np.sqrt(coup["C"] * coup["T"]), rtol=1e-12)
    assert not np.allclose(coup["C"], std.tables["coupling"]["C"])
    # the modified form spreads C out (王淑佳等 2021)
    assert coup["C"].std() > std.tables["coupling"]["C"].std()
    assert mod.coupling.method == "modified"


def test_coupling_weights_and_renormalize(run, demo_panel):
    r = run(
        {
            "coupling": {
                "weights": {DIMS[0]: 0.5, DIMS[1]: 0.3, DIMS[2]: 0.2},
                "subsystem_scores": "renormalize",
            }
        }
    )
    res = direct(demo_panel)
    w = dict(zip(res.indicators, res.weights.weights, strict=True))
    for dim in DIMS:
        total = sum(w[i] for i in SYSTEM.groups("dimension")[dim])
        np.testing.assert_allclose(
            r.coupling_scores[dim], res.sub_indices["dimension"][dim] / total, rtol=1e-9
        )
    U = r.coupling_scores[DIMS].to_numpy()
    np.testing.assert_allclose(r.tables["coupling"]["T"], U @ [0.5, 0.3, 0.2], rtol=1e-12)


def test_coupling_weights_must_name_every_subsystem(run):
    with pytest.raises(ConfigError, match=DIMS[2]) as err:
        run({"coupling": {"weights": {DIMS[0]: 0.5, DIMS[1]: 0.5}}})
    assert err.value.field == "coupling.weights"


def test_no_coupling_unless_asked_or_subsystems(run):
    r = run({"coupling": None})  # nqpf-three-factor: subsystems false and no coupling section
    assert r.coupling is None and "coupling" not in r.tables


def test_subsystem_system_gets_coupling_by_default(tmp_path, make_config):
    frame = make_demo_panel(
        "digital-real-coupling",
        years=range(2019, 2022),
        provinces=["11", "31", "44", "51", "65"],
        seed=1,
    )
    frame.to_csv(tmp_path / "panel.csv", index=False)
    cfg = make_config({"system": "digital-real-coupling"})
    text = cfg.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    del data["coupling"]
    cfg.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = run_index(load_index_config(cfg))
    assert r.coupling is not None
    assert list(r.coupling.subsystems) == ["数字经济", "实体经济"]
    assert r.tables["coupling"][["C", "T", "D"]].stack().between(0, 1).all()


def test_coupling_with_a_unit_best_on_a_whole_subsystem(tmp_path, demo_frame, make_config):
    for i in SYSTEM.groups("dimension")[DIMS[0]]:
        col = demo_frame[i]
        demo_frame.loc[0, i] = col.max() * 1.1 if SYSTEM.indicator(i).sign > 0 else col.min() * 0.9
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    r = run_index(load_index_config(make_config()))
    assert r.tables["coupling"][["C", "T", "D"]].stack().between(0, 1).all()


# ---------------------------------------------------------------------- missing values
def test_interpolated_cells_enter_the_index(tmp_path, demo_frame, make_config):
    original = demo_frame.loc[6, "avg_wage"]
    demo_frame.loc[6, "avg_wage"] = np.nan
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    r = run_index(load_index_config(make_config({"data": {"missing": "interpolate"}})))
    filled = r.tables["filled_cells"]
    assert filled[["province", "year", "indicator", "how"]].values.tolist() == [
        ["天津", 2017, "avg_wage", "interpolate"]
    ]
    value = r.panel.select("avg_wage").values[:, 0][
        (r.panel.entities == "天津") & (r.panel.periods == 2017)
    ]
    assert value[0] == pytest.approx(
        (demo_frame.loc[5, "avg_wage"] + demo_frame.loc[7, "avg_wage"]) / 2
    )
    assert value[0] != original


def test_missing_error_is_raised_before_anything_else(tmp_path, demo_frame, make_config):
    demo_frame.loc[6, "avg_wage"] = np.nan
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    with pytest.raises(NqpfError, match=r"panel\.csv, row 8, column 'avg_wage'"):
        run_index(load_index_config(make_config()))


def test_long_layout(tmp_path, demo_frame, make_config, demo_panel):
    long = demo_frame.melt(
        id_vars=["province_code", "province", "region", "year"],
        var_name="indicator",
        value_name="value",
    )
    long.to_csv(tmp_path / "long.csv", index=False)
    r = run_index(load_index_config(make_config({"data": {"path": "long.csv", "layout": "long"}})))
    np.testing.assert_allclose(r.result.index, direct(demo_panel).index, rtol=1e-10)


def test_xlsx_input_with_sheet(tmp_path, demo_frame, make_config, demo_panel):
    with pd.ExcelWriter(tmp_path / "panel.xlsx") as xw:
        pd.DataFrame({"note": ["说明"]}).to_excel(xw, sheet_name="readme", index=False)
        demo_frame.to_excel(xw, sheet_name="data", index=False)
    cfg = make_config({"data": {"path": "panel.xlsx", "sheet": "data"}})
    r = run_index(load_index_config(cfg))
    np.testing.assert_allclose(r.result.index, direct(demo_panel).index, rtol=1e-10)
    assert r.tables["index"]["province_code"].tolist()[:2] == ["31", "11"]  # text, sorted rows


@pytest.mark.parametrize("weighting", ["entropy", "critic"])  # coupling from sums / refitted
def test_a_run_without_its_values_gives_the_same_tables(
    tmp_path, panel_csv, make_config, weighting
):
    """``keep_values=False`` (what ``nqpf index run`` asks) drops the input matrix before
    coupling when the subsystems are not refitted (entropy), after it when they are
    (CRITIC): the same tables either way, and a panel without indicator columns."""
    frame = pd.read_csv(panel_csv, dtype={"province_code": str})
    frame.iloc[3, -1] *= 50  # an outlier, whose weight shift is refitted
    frame.to_csv(panel_csv, index=False)
    cfg = load_index_config(
        make_config({"method": {"weighting": weighting}, "coupling": {"method": "standard"}})
    )
    kept, dropped = run_index(cfg), run_index(cfg, keep_values=False)
    assert "weight_shift" in kept.quality.tables
    assert kept.panel.values.shape == (kept.panel.n_obs, 18)
    # the weights the outliers move, refitted on the matrix clipped in place and put back
    assert kept.quality.finding("outliers").message == dropped.quality.finding("outliers").message
    for name, table in kept.quality.tables.items():
        pd.testing.assert_frame_equal(dropped.quality.tables[name], table, obj=name)
    assert dropped.panel.values.shape == (kept.panel.n_obs, 0)
    assert dropped.result.panel is dropped.panel
    assert sorted(dropped.tables) == sorted(kept.tables) and "coupling" in kept.tables
    # the subsystem scores: one column-major matrix, read by the coupling model uncopied
    U = dropped.coupling_scores
    assert U.to_numpy().flags.f_contiguous and np.shares_memory(U.to_numpy(), U.iloc[:, 1])
    # the units as a categorical of the panel's codes: the same text
    assert isinstance(dropped.tables["index"]["province"].dtype, pd.CategoricalDtype)
    for name, table in kept.tables.items():
        if name != "metadata":
            got = dropped.tables[name].astype(table.dtypes.to_dict())
            pd.testing.assert_frame_equal(got, table, obj=name)


def test_a_csv_the_config_names_is_streamed_from_disk(panel_csv, make_config):
    """The config's CSV is read from disk as the panel is built (its bytes never held
    whole): hashed in pieces to the same SHA-256, its bytes read only when asked for."""
    import hashlib

    from nqpf.services import _run_steps as steps

    cfg = load_index_config(make_config())
    data = steps.config_input(cfg, None, cfg.data.path, field="data.path")
    assert isinstance(data, steps.FileOnDisk) and "data" not in vars(data)
    want = hashlib.sha256(panel_csv.read_bytes()).hexdigest()
    assert data.sha256 == want and data.data == panel_csv.read_bytes()
    assert run_index(cfg).meta["数据 SHA-256"] == want


@pytest.mark.parametrize("blank", [False, True])
def test_a_streamed_csv_gives_what_its_bytes_give(panel_csv, make_config, blank, monkeypatch):
    """The CSV streamed from disk into one matrix, and the same file given as bytes (read
    whole, as an upload is): the same tables and the same quality report, also with a
    blank line and an outlier in the file."""
    from nqpf.services import _run_steps as steps
    from nqpf.services.files import InputFile

    streams, read = [], steps.read_csv_values
    if blank:
        frame = pd.read_csv(panel_csv, dtype={"province_code": str})
        frame.iloc[5, -1] *= 40
        text = frame.to_csv(index=False).splitlines(keepends=True)
        panel_csv.write_text("".join([*text[:4], "\n", *text[4:]]), encoding="utf-8")
    cfg = load_index_config(make_config())
    monkeypatch.setattr(
        steps, "read_csv_values", lambda *a, **k: streams.append(read(*a, **k)) or streams[-1]
    )
    streamed = run_index(cfg)
    assert len(streams) == 1 and streams[0] is not None  # read as one matrix
    whole = run_index(cfg, InputFile(panel_csv.name, panel_csv.read_bytes()))
    assert len(streams) == 1
    for name, table in whole.tables.items():
        if name != "metadata":
            pd.testing.assert_frame_equal(streamed.tables[name], table, obj=name)
    assert streamed.quality.to_frame().equals(whole.quality.to_frame())
    assert streamed.quality.rows == whole.quality.rows == 40


def test_class_labels_are_coded_chunk_by_chunk_as_a_categorical_of_them():
    """The coupling classes as categories, coded a few rows at a time: the categorical
    that factorizing all rows at once gives (sorted labels, int8 codes)."""
    from nqpf.services.index_run import _categories

    labels = np.asarray(["良好协调", "濒临失调", "优质协调"], dtype=object)
    rows = labels[np.random.default_rng(3).integers(0, 3, 1001)]
    got = _categories(rows, rows=64)
    codes, categories = pd.factorize(rows, sort=True)
    want = pd.Categorical.from_codes(codes, categories)
    assert got.equals(want) and got.categories.tolist() == sorted(labels.tolist())
    assert got.codes.dtype == np.int8
    assert got.astype(str).tolist() == rows.tolist()
