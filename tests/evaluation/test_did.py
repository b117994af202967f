"""did(): staggered DiD through csdid and pyfixest — recovery of a known effect, adapter
fidelity (the libraries run directly give the same numbers), bad input, the light import.

Kept small (400 firms × 10 years); every estimate is made once per module.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from nqpf.evaluation import DidResult, did
from nqpf.evaluation.synthetic import staggered_panel
from nqpf.exceptions import DataValidationError

pytest.importorskip("csdid")
pytest.importorskip("pyfixest")

KW = {"unit": "firm", "time": "year", "cohort": "cohort", "outcome": "y"}


@pytest.fixture(scope="module")
def design1():
    """3 cohorts (2018/2020/2022, base effects 3/2/1, +0.5 a year) + 25 % never treated."""
    panel, truth = staggered_panel(400, seed=11)
    fits = {m: did(panel, method=m, **KW) for m in ("cs", "sa", "did2s", "twfe")}
    return panel, truth, fits


@pytest.fixture(scope="module")
def design2():
    """All firms eventually treated: not-yet-treated controls, the last cohort only compares."""
    panel, truth = staggered_panel(400, never_share=0.0, seed=12)
    fits = {m: did(panel, method=m, control="notyet", **KW) for m in ("cs", "did2s")}
    return panel, truth, fits


def test_staggered_estimators_recover_the_true_att(design1):
    _, truth, fits = design1
    att = truth.att()
    for m in ("cs", "sa", "did2s"):
        r = fits[m]
        assert isinstance(r, DidResult)
        assert r.ci[0] <= att <= r.ci[1], (m, att, r.ci)
        assert r.pretrend_p is not None and r.pretrend_p > 0.05
        assert "twfe_biased" not in r.warning_codes
        # the dynamic effect: e = 0 … 6 within the intervals of the event study
        es = r.event_study.set_index("e")
        for e, tau in truth.att_e().items():
            assert es.loc[e, "ci_lo"] - 1e-9 <= tau <= es.loc[e, "ci_hi"] + 1e-9, (m, e)
    # Sun–Abraham with never-treated controls and no covariates is CS's ATT(g, t) with the
    # long difference to g − 1; weighted by treated cells, our SA aggregate equals csdid's
    assert fits["sa"].att == pytest.approx(fits["cs"].att, abs=1e-8)


def test_twfe_shows_the_known_bias(design1):
    _, truth, fits = design1
    r = fits["twfe"]
    # early cohorts with large growing effects serve as controls of late ones: TWFE is
    # pulled far below the truth (about −1 here), outside its own interval
    assert r.ci[1] < truth.att() - 0.5
    assert {"twfe_biased", "pretrend_significant"} <= set(r.warning_codes)
    assert r.control == "implicit"


def test_not_yet_treated_controls_when_all_are_treated(design2):
    _, truth, fits = design2
    # the last cohort (2022) only compares; estimable: cohorts 2018/2020 before 2022
    att = truth.att(before=2022, cohorts=[2018, 2020])
    for m, r in fits.items():
        assert r.ci[0] <= att <= r.ci[1], (m, att, r.ci)
        assert "last_cohort_control" in r.warning_codes
        assert r.periods == (2015.0, 2021.0)
        assert set(r.cohorts["role"]) == {"treated", "control"}


def _direct_panel(panel):
    return panel.assign(firm=pd.factorize(panel["firm"])[0])


def test_adapter_fidelity_csdid(design1):
    import contextlib
    import io

    from csdid.att_gt import ATTgt

    panel, _, fits = design1
    with contextlib.redirect_stdout(io.StringIO()):
        m = ATTgt(yname="y", tname="year", idname="firm", gname="cohort", data=_direct_panel(panel),
                  control_group=["nevertreated"])  # fmt: skip
        m.fit(est_method="dr", bstrap=False)
        simple = m.aggte(typec="simple").atte
        att, se = simple["overall_att"], simple["overall_se"]
        dyn = m.aggte(typec="dynamic").atte
    r = fits["cs"]
    assert (r.att, r.se) == (pytest.approx(att, abs=1e-12), pytest.approx(se, abs=1e-12))
    np.testing.assert_allclose(r.event_study["att"], dyn["att_egt"], atol=1e-12)
    np.testing.assert_allclose(r.event_study["se"], np.ravel(dyn["se_egt"]), atol=1e-12)
    assert r.pretrend_p == m.MP["Wpval"]


def test_adapter_fidelity_pyfixest(design1):
    import warnings

    import pyfixest as pf

    panel, _, fits = design1
    df = _direct_panel(panel)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        twfe = pf.feols("y ~ treated | firm + year", data=df, vcov={"CRV1": "firm"})
        d2 = pf.did2s(df, yname="y", first_stage="~0|firm+year", second_stage="~treated",
                      treatment="treated", cluster="firm")  # fmt: skip
        sa = pf.event_study(data=df, yname="y", idname="firm", tname="year", gname="cohort",
                            estimator="saturated").aggregate().astype(float)  # fmt: skip
    assert fits["twfe"].att == pytest.approx(twfe.coef().iloc[0], abs=1e-10)
    assert fits["twfe"].se == pytest.approx(twfe.se().iloc[0], abs=1e-10)
    assert fits["did2s"].att == pytest.approx(d2.coef().iloc[0], abs=1e-10)
    assert fits["did2s"].se == pytest.approx(d2.se().iloc[0], abs=1e-10)
    np.testing.assert_allclose(fits["sa"].event_study["att"], sa["Estimate"], atol=1e-10)
    np.testing.assert_allclose(fits["sa"].event_study["se"], sa["Std. Error"], atol=1e-10)


def test_json_document_shape(design1):
    doc = design1[2]["cs"].to_dict()
    assert list(doc) == ["method", "att", "se", "ci", "n_units", "n_treated",
                         "event_study", "pretrend_p", "warnings"]  # fmt: skip
    assert doc["n_units"] == 400 and len(doc["ci"]) == 2
    assert set(doc["event_study"][0]) == {"e", "att", "se"}
    json.dumps(doc, allow_nan=False)
    r = design1[2]["twfe"]
    assert {"code": "twfe_biased"}.items() <= r.to_dict()["warnings"][0].items() or any(
        w["code"] == "twfe_biased" for w in r.to_dict()["warnings"]
    )
    assert "处理效应" in r.summary().as_text() and "禁止比较" in r.summary().as_text()
    assert set(r.tables()) == {"estimate", "event_study", "detail", "cohorts", "warnings"}


# -- bad input ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():
    panel, _ = staggered_panel(120, years=(2016, 2023), seed=5)
    return panel


def _error(panel, **kw) -> DataValidationError:
    with pytest.raises(DataValidationError) as e:
        did(panel, **{**KW, **kw})
    return e.value


def test_no_never_treated_with_never_control():
    panel, _ = staggered_panel(60, never_share=0.0, seed=3)
    for method in ("cs", "sa"):
        e = _error(panel, method=method, control="never")
        assert e.field == "control" and "notyet" in str(e) and "从未参与" in e.reason_zh


def test_a_cohort_with_one_unit_is_flagged(small):
    lone = small[small["cohort"] == 2020]["firm"].iloc[0]
    panel = small.copy()
    panel.loc[panel["cohort"] == 2020, "cohort"] = 0  # the 2020 cohort joins the never-treated …
    panel.loc[panel["firm"] == lone, "cohort"] = 2020  # … but one firm
    r = did(panel, **KW)
    assert "tiny_cohort" in r.warning_codes
    assert "2020（1 家）" in next(w.message for w in r.warnings if w.code == "tiny_cohort")


def test_treatment_that_switches_off(small):
    panel = small.copy()
    firm = panel.loc[panel["cohort"] == 2018, "firm"].iloc[0]
    panel.loc[(panel["firm"] == firm) & (panel["year"] == 2021), "treated"] = 0
    e = _error(panel, cohort=None, treatment="treated")
    assert e.column == "treated" and "switches off" in str(e) and "由 1 变回 0" in e.reason_zh
    # without the switch the 0/1 column gives the same estimate as the cohort column
    assert did(small, **{**KW, "cohort": None, "treatment": "treated"}).att == pytest.approx(
        did(small, **KW).att
    )
    varying = small.copy()
    varying.loc[(varying["firm"] == firm) & (varying["year"] == 2021), "cohort"] = 2020
    assert "more than one cohort" in str(_error(varying))


def test_outcome_with_missing_periods(small):
    panel = small.copy()
    panel.loc[3, "y"] = np.nan  # one empty cell …
    panel = panel.drop(index=[25])  # … and one missing row
    r = did(panel, **KW)
    assert "unbalanced_panel" in r.warning_codes and r.n_units == 118
    e = _error(panel, unbalanced="error")
    assert e.column == "y" and "缺少" in e.reason_zh


def test_duplicate_unit_period(small):
    panel = pd.concat([small, small.iloc[[7]]])
    e = _error(panel)
    assert "repeat a (unit, period)" in str(e) and "重复" in e.reason_zh


def test_cohort_year_outside_the_panel(small):
    panel = small.copy()
    late = panel["firm"].isin(panel.loc[panel["cohort"] == 2022, "firm"].unique()[:3])
    panel.loc[late, "cohort"] = 2030
    early = panel["firm"].isin(panel.loc[panel["cohort"] == 2018, "firm"].unique()[:2])
    panel.loc[early, "cohort"] = 2016
    r = did(panel, **KW)
    assert {"cohort_after_panel", "cohort_at_panel_start"} <= set(r.warning_codes)
    assert r.n_units == 118  # the two treated in the first period are dropped
    odd = small.astype({"cohort": float})
    odd.loc[odd["cohort"] == 2020, "cohort"] = 2019.5
    assert "cohort must be a period" in str(_error(odd))
    gap = small[small["year"] != 2020]  # a panel without 2020: cohort 2020 is not a period
    assert "not periods of the panel" in str(_error(gap))


def test_string_outcome(small):
    panel = small.assign(y=small["y"].round(2).astype(str))
    panel.loc[10, "y"] = "n/a"
    e = _error(panel)
    assert e.column == "y" and "'n/a'" in str(e) and "应为数字" in e.reason_zh
    # numbers written as text are read
    ok = small.assign(y=small["y"].astype(str))
    assert did(ok, **KW).att == pytest.approx(did(small, **KW).att)


def test_other_refusals_and_caveats(small, monkeypatch):
    assert _error(small, method="did2s", control="never").field == "control"
    assert _error(small, method="ols").field == "method"
    assert _error(small, outcome="revenue").column == "revenue"
    few = small[small["year"] >= 2021]  # cohorts 2022 have one pre-period, 2018/2020 are dropped
    r = did(few, **KW)
    assert {"few_pre_periods", "cohort_at_panel_start"} <= set(r.warning_codes)
    assert r.pretrend_p is None
    assert "small_control_group" in did(small[small["firm"] <= "F00060"], **KW).warning_codes
    monkeypatch.setitem(sys.modules, "csdid", None)
    e = _error(small)
    assert 'pip install "nqpf[evaluation]"' in str(e) and "可选依赖" in e.reason_zh


def test_import_stays_light():
    code = "import sys, nqpf, nqpf.evaluation; print([m for m in ('csdid', 'pyfixest') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_evaluation_is_core():
    from tests.test_layers import _module_files, violations

    bad = [v for module, path in _module_files("nqpf.evaluation") for v in violations(module, path)]
    assert bad == []


def test_clustered_standard_errors(small):
    region = small["firm"].str[-1].map(lambda c: f"R{int(c) % 4}")
    panel = small.assign(region=region)
    by_unit = did(panel, **KW)
    by_region = did(panel, cluster="region", **KW)
    assert by_region.att == pytest.approx(by_unit.att) and by_region.se != by_unit.se
    twfe = did(panel, method="twfe", cluster="region", **KW)
    assert twfe.se != did(panel, method="twfe", **KW).se
    panel.loc[panel.index[0], "region"] = "R9"  # one firm in two clusters
    assert "whole units" in str(_error(panel, cluster="region"))
