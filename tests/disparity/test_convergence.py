"""σ- and β-convergence: methods.md R11, statsmodels OLS and a manual within twin.

Data: libpysal ``mexico.csv`` — decennial per-capita GDP of the 32 Mexican states,
1940–2000; Rey, S.J. and Sastre-Gutiérrez, M.L. (2010), "Interregional inequality
dynamics in Mexico", *Spatial Economic Analysis* 5: 277–298 (data.md §2).
statsmodels and linearmodels serve as independent regression oracles.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from nqpf.disparity.convergence import (
    BetaConvergenceResult,
    SigmaConvergenceResult,
    beta_convergence,
    sigma_convergence,
)
from nqpf.exceptions import DataValidationError

libpysal = pytest.importorskip("libpysal")
sm = pytest.importorskip("statsmodels.api")

YEARS = list(range(1940, 2001, 10))
#: methods.md R11: CV with ddof = 0 per decade [unverified: derived].
R11 = [0.708521, 0.614774, 0.484692, 0.464605, 0.455370, 0.489890, 0.484807]


@pytest.fixture(scope="module")
def wide() -> pd.DataFrame:
    frame = pd.read_csv(libpysal.examples.get_path("mexico.csv"))
    out = frame[[f"pcgdp{t}" for t in YEARS]].copy()
    out.columns = YEARS
    out.index = frame["State"]
    return out


@pytest.fixture(scope="module")
def long(wide) -> pd.DataFrame:
    out = wide.stack().reset_index()
    out.columns = ["state", "year", "y"]
    return out


def _growth_frame(long: pd.DataFrame) -> pd.DataFrame:
    d = long.sort_values(["state", "year"]).copy()
    d["lny"] = np.log(d["y"])
    d["g"] = d.groupby("state")["lny"].shift(-1) - d["lny"]
    return d.dropna()


# --------------------------------------------------------------------------- sigma


def test_sigma_mexico_r11(wide):
    r = sigma_convergence(wide)
    assert r.periods == tuple(YEARS)
    assert np.allclose(r.sigma, R11, atol=5e-7)
    assert r.n.tolist() == [32] * 7 and r.measure == "cv" and r.ddof == 0
    assert sigma_convergence(wide, ddof=1).sigma[0] == pytest.approx(0.719858, abs=5e-7)
    fit = stats.linregress(YEARS, r.sigma)
    assert r.slope == pytest.approx(fit.slope) and r.intercept == pytest.approx(fit.intercept)
    assert r.slope_se == pytest.approx(fit.stderr) and r.slope_p == pytest.approx(fit.pvalue)
    assert r.converging == (fit.slope < 0 and fit.pvalue < 0.05)
    assert np.array_equal(r.time, YEARS)


def test_sigma_long_equals_wide_and_measures(wide, long):
    a = sigma_convergence(wide)
    b = sigma_convergence(long["y"], long["year"])
    assert a.periods == b.periods and np.allclose(a.sigma, b.sigma, rtol=1e-14)
    A = wide.to_numpy()
    sd_log = sigma_convergence(wide, measure="sd_log", ddof=1)
    assert np.allclose(sd_log.sigma, np.log(A).std(axis=0, ddof=1))
    sd = sigma_convergence(A, measure="sd")
    assert np.allclose(sd.sigma, A.std(axis=0)) and sd.periods == tuple(range(7))


def test_sigma_unbalanced_and_non_numeric_periods():
    y = [1.0, 2.0, 3.0, 1.5, 2.0, 2.0, 2.2, 2.4, 2.6]
    p = ["a", "a", "a", "b", "b", "c", "c", "c", "c"]
    r = sigma_convergence(y, p, measure="sd")
    assert r.periods == ("a", "b", "c") and r.n.tolist() == [3, 2, 4]
    assert np.array_equal(r.time, [0, 1, 2])
    assert r.sigma[1] == pytest.approx(0.25)


def test_sigma_two_periods_has_no_test():
    r = sigma_convergence([[1.0, 2.0], [3.0, 2.5], [5.0, 3.0]])
    assert math.isnan(r.slope_p) and r.slope < 0 and not r.converging


def test_sigma_result_contract(wide):
    r = sigma_convergence(wide)
    assert isinstance(r, SigmaConvergenceResult)
    frame = r.to_frame()
    assert list(frame.columns) == ["period", "n", "sigma"] and len(frame) == 7
    text = r.summary().as_text()
    assert "σ-convergence" in text and "cv" in text
    with pytest.raises(AttributeError):
        r.slope = 0.0


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        (([[1.0], [2.0]],), {}, "at least 2 periods"),
        (([1.0, 2.0, 3.0],), {}, "2-D"),
        (([[1.0, np.nan], [2.0, 3.0]],), {}, "missing"),
        (([[-1.0, 1.0], [0.5, 2.0]],), {}, "positive mean"),
        (([[1.0, 0.0], [2.0, 3.0]],), {"measure": "sd_log"}, "y > 0"),
        (([[1.0, 2.0], [2.0, 3.0]],), {"measure": "var"}, "measure"),
        (([[1.0, 2.0], [2.0, 3.0]],), {"ddof": -1}, "ddof"),
        (([[1.0, 2.0]],), {"ddof": 1}, "more than ddof"),
        (([[1.0, 2.0], [2.0, 3.0]],), {"alpha": 2}, "alpha"),
        (([1.0, 2.0], [1]), {}, "periods has 1"),
    ],
)
def test_sigma_bad_input(args, kwargs, match):
    with pytest.raises(DataValidationError, match=match):
        sigma_convergence(*args, **kwargs)


# --------------------------------------------------------------------------- beta, absolute


@pytest.mark.parametrize(
    ("cov", "fit_kwargs"),
    [
        ("clustered", "cluster"),
        ("robust", {"cov_type": "HC1", "use_t": True}),
        ("unadjusted", {}),
    ],
)
def test_absolute_beta_equals_statsmodels(long, cov, fit_kwargs):
    d = _growth_frame(long)
    X = sm.add_constant(d["lny"].to_numpy())
    if fit_kwargs == "cluster":
        codes = pd.factorize(d["state"])[0]
        fit_kwargs = {"cov_type": "cluster", "cov_kwds": {"groups": codes}, "use_t": True}
    ref = sm.OLS(d["g"].to_numpy(), X).fit(**fit_kwargs)
    r = beta_convergence(long["y"], long["state"], long["year"], cov=cov)
    assert r.table["coef"].to_numpy() == pytest.approx(ref.params, rel=1e-10)
    assert r.table["se"].to_numpy() == pytest.approx(ref.bse, rel=1e-10)
    assert r.table["p"].to_numpy() == pytest.approx(ref.pvalues, rel=1e-8)
    lo, hi = ref.conf_int().T
    assert r.table["ci_lower"].to_numpy() == pytest.approx(lo, rel=1e-8)
    assert r.table["ci_upper"].to_numpy() == pytest.approx(hi, rel=1e-8)
    assert r.r2 == pytest.approx(ref.rsquared)
    assert r.n_obs == 192 and r.n_entities == 32 and r.n_periods == 7 and r.T == 10.0
    assert r.df == (31 if cov == "clustered" else 190)


def test_speed_and_half_life(long):
    r = beta_convergence(long["y"], long["state"], long["year"])
    assert r.speed == pytest.approx(-math.log(1 + r.beta) / 10)
    assert r.half_life == pytest.approx(math.log(2) / r.speed)
    assert r.beta < 0 and r.converging and r.cov == "clustered"


def test_long_horizon_cross_section(wide, long):
    lny = np.log(wide.to_numpy())
    g = lny[:, -1] - lny[:, 0]
    ref = sm.OLS(g, sm.add_constant(lny[:, 0])).fit(cov_type="HC1")
    r = beta_convergence(long["y"], long["state"], long["year"], horizon="long")
    assert r.beta == pytest.approx(ref.params[1], rel=1e-10)
    assert r.se == pytest.approx(ref.bse[1], rel=1e-10) and r.cov == "robust"
    assert r.T == 60.0 and r.n_obs == 32
    assert r.speed == pytest.approx(-math.log(1 + r.beta) / 60)
    with pytest.raises(DataValidationError, match="every entity"):
        beta_convergence(long["y"][1:], long["state"][1:], long["year"][1:], horizon="long")


def test_non_numeric_periods_and_gaps():
    ent = np.repeat(["a", "b", "c", "d"], 3)
    y = np.array([1, 1.5, 2.1, 2, 2.6, 3.3, 4, 4.6, 5.3, 8, 8.6, 9.3])
    by_label = beta_convergence(y, ent, np.tile(["t1", "t2", "t3"], 4))
    by_year = beta_convergence(y, ent, np.tile([2020, 2021, 2022], 4))
    assert by_label.T == 1.0 and by_label.beta == pytest.approx(by_year.beta)
    with pytest.raises(DataValidationError, match="unevenly spaced"):
        beta_convergence(y, ent, np.tile([2020, 2021, 2023], 4))


def test_unbalanced_panel_uses_adjacent_pairs_only(long):
    drop = (long["state"] == long["state"].iloc[0]) & (long["year"] == 1970)
    sub = long[~drop]
    r = beta_convergence(sub["y"], sub["state"], sub["year"])
    assert r.n_obs == 190  # the 1960→1970 and 1970→1980 growth of that state are gone
    d = _growth_frame(long)
    first = long["state"].iloc[0]
    d = d[~((d["state"] == first) & d["year"].isin([1960, 1970]))]
    ref = sm.OLS(d["g"].to_numpy(), sm.add_constant(d["lny"].to_numpy())).fit()
    assert r.beta == pytest.approx(ref.params[1], rel=1e-10)


@settings(max_examples=25, deadline=None)
@given(c=st.floats(1e-3, 1e3), seed=st.integers(0, 1000))
def test_beta_invariant_to_units_of_y(c, seed):
    rng = np.random.default_rng(seed)
    ent = np.repeat(np.arange(6), 4)
    per = np.tile(np.arange(2000, 2004), 6)
    y = np.exp(rng.normal(size=24))
    a = beta_convergence(y, ent, per)
    b = beta_convergence(c * y, ent, per)
    assert b.beta == pytest.approx(a.beta, abs=1e-9) and b.se == pytest.approx(a.se, rel=1e-7)


# --------------------------------------------------------------------------- beta, conditional


def _two_way_within(v: np.ndarray, n_e: int, n_t: int) -> np.ndarray:
    M = v.reshape(n_e, n_t)
    return (M - M.mean(1, keepdims=True) - M.mean(0, keepdims=True) + M.mean()).ravel()


def test_conditional_equals_manual_within(long):
    d = _growth_frame(long).sort_values(["state", "year"])
    n_e, n_t = 32, 6
    gt = _two_way_within(d["g"].to_numpy(), n_e, n_t)
    xt = _two_way_within(d["lny"].to_numpy(), n_e, n_t)
    beta = (xt @ gt) / (xt @ xt)
    e = gt - beta * xt
    df = n_e * n_t - n_e - n_t + 1 - 1
    se = math.sqrt((e @ e) / df / (xt @ xt))
    r = beta_convergence(
        long["y"], long["state"], long["year"], kind="conditional", cov="unadjusted"
    )
    assert r.beta == pytest.approx(beta, rel=1e-10)
    assert r.se == pytest.approx(se, rel=1e-10)
    assert r.effects == ("entity", "time") and r.n_obs == 192 and r.df == df
    assert r.p == pytest.approx(2 * stats.t.sf(abs(beta / se), df), rel=1e-8)
    assert list(r.table.index) == ["ln_y0"]


def test_conditional_with_controls_equals_linearmodels(long):
    from linearmodels.panel import PanelOLS

    d = _growth_frame(long).sort_values(["state", "year"])
    rng = np.random.default_rng(0)
    long = long.copy()
    long["open"] = rng.normal(size=len(long))
    long["edu"] = rng.normal(size=len(long)) + np.log(long["y"]) * 0.2
    d = d.merge(long[["state", "year", "open", "edu"]], on=["state", "year"])
    idx = pd.MultiIndex.from_frame(d[["state", "year"]])
    exog = pd.DataFrame(
        {"ln_y0": d["lny"].to_numpy(), "open": d["open"].to_numpy(), "edu": d["edu"].to_numpy()},
        index=idx,
    )
    ref = PanelOLS(
        pd.Series(d["g"].to_numpy(), index=idx), exog, entity_effects=True, time_effects=True
    ).fit(cov_type="clustered", cluster_entity=True, debiased=True, group_debias=True)
    r = beta_convergence(
        long["y"], long["state"], long["year"], kind="conditional", controls=long[["open", "edu"]]
    )
    assert list(r.table.index) == ["ln_y0", "open", "edu"]
    assert r.table["coef"].to_numpy() == pytest.approx(ref.params.to_numpy(), rel=1e-9)
    assert r.table["se"].to_numpy() == pytest.approx(ref.std_errors.to_numpy(), rel=1e-9)
    assert r.df == 31 and r.cov == "clustered"
    as_dict = beta_convergence(
        long["y"], long["state"], long["year"], kind="conditional",
        controls={"open": long["open"], "edu": long["edu"]},
    )  # fmt: skip
    assert as_dict.beta == pytest.approx(r.beta)
    entity_only = beta_convergence(
        long["y"], long["state"], long["year"], kind="conditional", effects=("entity",)
    )
    assert entity_only.effects == ("entity",) and entity_only.beta != pytest.approx(r.beta)


def test_beta_result_contract(long):
    r = beta_convergence(long["y"], long["state"], long["year"], kind="conditional")
    assert isinstance(r, BetaConvergenceResult)
    frame = r.to_frame()
    assert list(frame.columns) == ["term", "coef", "se", "t", "p", "ci_lower", "ci_upper"]
    text = r.summary().as_text()
    assert "条件β收敛" in text and "half-life" in text
    with pytest.raises(AttributeError):
        r.beta = 0.0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"period": [1, 1, 1, 1]}, "at least 2 periods"),
        ({"period": [1, 2, 1, 2], "kind": "conditional"}, "at least 3 periods"),
        ({"y": [1.0, -2.0, 3.0, 4.0]}, "positive"),
        ({"y": [1.0, np.nan, 3.0, 4.0]}, "positive and finite"),
        ({"entity": ["a", "a", "b", "b"], "period": [1, 1, 1, 2]}, "more than one row"),
        ({"controls": [1, 2, 3, 4]}, "no controls"),
        ({"effects": ("entity",)}, "no fixed effects"),
        ({"kind": "conditional", "horizon": "long"}, "horizon=1"),
        ({"kind": "conditional", "effects": ("state",)}, "effects"),
        ({"horizon": 2}, "horizon"),
        ({"cov": "HC3"}, "cov"),
        ({"kind": "fixed"}, "kind"),
        ({"entity": ["a", "b"]}, "entity has 2"),
        ({"alpha": 0}, "alpha"),
    ],
)
def test_beta_bad_input(kwargs, match):
    args = {"y": [1.0, 2.0, 3.0, 5.0], "entity": ["a", "a", "b", "b"], "period": [1, 2, 1, 2]}
    args.update(kwargs)
    with pytest.raises(DataValidationError, match=match):
        beta_convergence(args.pop("y"), args.pop("entity"), args.pop("period"), **args)


def test_beta_controls_validation():
    ent = np.repeat(["a", "b", "c"], 3)
    per = np.tile([1, 2, 3], 3)
    y = np.arange(1.0, 10.0)
    with pytest.raises(DataValidationError, match="one row per observation"):
        beta_convergence(y, ent, per, kind="conditional", controls=np.ones((4, 1)))
    with pytest.raises(DataValidationError, match="missing") as info:
        beta_convergence(y, ent, per, kind="conditional", controls={"x": [np.nan] + [1.0] * 8})
    assert info.value.column == "x"
