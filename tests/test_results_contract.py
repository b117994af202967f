"""Common checks over every result class, as scikit-learn's common estimator checks do.

Every frozen result of nqpf (a subclass of :class:`nqpf.results.Result`) is built here from
small inputs through the public function that returns it, and must

* be a frozen dataclass (assigning an attribute raises),
* give a :class:`~nqpf.results.Summary` from ``summary()`` that renders as text, Markdown
  and HTML,
* give a non-empty :class:`pandas.DataFrame` from ``to_frame()``,
* show itself in a notebook (``_repr_html_``) and in ``repr`` without error.

A new result class fails :func:`test_every_result_class_has_a_factory` until it gets a
factory below, so the contract cannot be skipped by accident.
"""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from tests.evaluation.factories import FACTORIES as EVALUATION_FACTORIES

import nqpf
from nqpf import disparity
from nqpf.results import Result, Summary

RNG = np.random.default_rng(20241)
X = RNG.uniform(1, 10, size=(12, 4))
DIRECTIONS = ["+", "+", "-", "+"]
Y_PANEL = RNG.lognormal(0, 0.4, size=(10, 8))  # 10 units × 8 periods
GROUPS = np.array(["东部", "中部", "西部", "东北", "东部"] * 2)


def _weights():
    from nqpf.indices import entropy_weights

    return entropy_weights(X, DIRECTIONS)


def _scores():
    from nqpf.indices import topsis

    return topsis(X, _weights(), DIRECTIONS)


def _composite():
    from tests.conftest import PROVINCES, SEED, SYSTEM, YEARS

    from nqpf.datasets import make_demo_panel
    from nqpf.indices import CompositeIndex
    from nqpf.panel import Panel
    from nqpf.systems import load_system

    frame = make_demo_panel(SYSTEM, years=YEARS, provinces=list(PROVINCES), seed=SEED)
    panel = Panel.from_frame(frame, entity="province", period="year", keep=["region"])
    return CompositeIndex(system=load_system(SYSTEM)).fit(panel).transform(panel)


def _coupling():
    from nqpf.indices import coupling_coordination

    return coupling_coordination([[0.0162, 0.2720, 0.2655], [0.4, 0.5, 0.6]])


def _obstacle():
    from nqpf.indices import minmax, obstacle_degree

    return obstacle_degree(minmax(X, DIRECTIONS, shift=0), _weights())


def _ring_weights():
    from nqpf.disparity import spatial_weights

    n = len(GROUPS)
    adjacency = {i: [(i - 1) % n, (i + 1) % n] for i in range(n)}
    return spatial_weights(adjacency)


def _score_sme():
    from tests.assessment.test_rollup import responses

    from nqpf.assessment import load_framework, score

    fw = load_framework("sme-digital-2024")
    return fw, score(fw, responses(fw, n=3).iloc[1].to_dict())  # a mid-level firm


def _batch():
    from tests.assessment.test_rollup import responses

    from nqpf.assessment import batch_score, load_framework

    fw = load_framework("sme-digital-2024")
    return fw, responses(fw, n=6), batch_score(fw, responses(fw, n=6))


def _rollup_table():
    fw, resp, batch = _batch()
    table = batch.scores.join(resp[[s.id for s in fw.scenes]])
    table.insert(0, "id", [f"E{i}" for i in range(len(table))])
    table["industry"] = ["C3511", "C3512", "C3911", "C3511", "C3912", "C3511"]
    table["region"] = ["440305", "440306", "320506", "440305", "320506", "110101"]
    return fw, table


def _rollup():
    from nqpf.assessment.rollup import rollup

    fw, table = _rollup_table()
    return rollup(table, "industry", framework=fw)


def _chain_rollup():
    from nqpf.assessment.rollup import chain_rollup, parse_chains

    fw, table = _rollup_table()
    chains = parse_chains(
        {
            "chains": [
                {
                    "id": "c1",
                    "name": "新能源汽车",
                    "stages": [
                        {"id": "s1", "name": "上游", "members": ["E0", "E1", "E2"]},
                        {"id": "s2", "name": "下游", "members": ["E3", "E4", "E5"]},
                    ],
                }
            ]
        }
    )
    return chain_rollup(table, chains, framework=fw)


def _weak_links():
    from nqpf.assessment.rollup import weak_links

    return weak_links(_chain_rollup())


def _smart_factory_tier():
    from tests.assessment.test_tiers import facts_for

    from nqpf.assessment import assess_tier

    return assess_tier(facts_for("先进级"))


def _innovative():
    from tests.assessment.test_sme_tiers import INNOV

    from nqpf.assessment import assess_innovative

    return assess_innovative(INNOV)


def _cmmm():
    from tests.assessment.test_cmmm import SELF, _all

    from nqpf.assessment import score_cmmm

    return score_cmmm(SELF, _all(SELF, "全部满足"), fill="equal")


def _green_factory():
    from tests.assessment.test_green_factory import ALL_MET, LOWER

    from nqpf.assessment import score_green_factory

    return score_green_factory(
        {"能源消耗强度": 0.4},
        benchmarks={"能源消耗强度": LOWER},
        points={"能源消耗强度": 10.0},
        basic=ALL_MET,
    )


def _carbon():
    from nqpf.assessment.carbon import account

    return account({"天然气": 10, "电力": 500}, year=2022, region="广东")


def _diagnosis():
    from nqpf.assessment import diagnose

    fw, result = _score_sme()
    return diagnose(result, framework=fw)


def _roadmap():
    from nqpf.assessment import roadmap

    fw, result = _score_sme()
    return roadmap(result, framework=fw)


def _match():
    from nqpf.matching import make_catalogue, need_from_mapping, rank

    catalogue = make_catalogue(60, providers=6, seed=3)
    first = catalogue[0]
    lift = first.scenes[0]
    need = need_from_mapping(
        {
            "enterprise_id": "E1",
            "scene": lift.scene,
            "current_level": lift.from_level,
            "target_level": lift.to_level,
            "text": first.name,
        }
    )
    return rank(need, catalogue, top=5)


def _quality():
    from nqpf.io.quality import check_quality

    frame = pd.DataFrame(
        {
            "省": ["甲", "乙", "甲", "乙", "丙"],
            "年": ["2021年", "2021年", "2022年", "2022年", "2022年"],
            "x": ["1,200", "3", "4", "5%", "1e308"],
        }
    )
    return check_quality(frame, entity="省", period="年", indicators=["x"])


def _markov():
    from nqpf.disparity import markov

    return markov(Y_PANEL, k=3)


def _spatial_markov():
    from nqpf.disparity import spatial_markov

    return spatial_markov(Y_PANEL, _ring_weights(), k=3)


def _homogeneity():
    from nqpf.disparity import homogeneity

    return homogeneity(_spatial_markov().T)


#: Class name (module.qualname) → a factory returning an instance from small inputs.
FACTORIES: dict[str, Callable[[], Result]] = {
    "nqpf.indices.weights.WeightResult": _weights,
    "nqpf.indices.aggregate.AggregateResult": _scores,
    "nqpf.indices.composite.CompositeResult": _composite,
    "nqpf.indices.coupling.CouplingResult": _coupling,
    "nqpf.indices.obstacle.ObstacleResult": _obstacle,
    "nqpf.disparity.gini.GiniResult": lambda: disparity.gini(Y_PANEL[:, 0]),
    "nqpf.disparity.gini.DagumResult": lambda: disparity.dagum(Y_PANEL[:, 0], GROUPS),
    "nqpf.disparity.theil.TheilResult": lambda: disparity.theil(Y_PANEL[:, 0], GROUPS),
    "nqpf.disparity.kde.KDEResult": lambda: disparity.kde(Y_PANEL),
    "nqpf.disparity._panel.ByPeriod": lambda: disparity.gini(
        Y_PANEL.ravel(), periods=np.repeat(np.arange(8), 10)
    ),
    "nqpf.disparity.markov.MarkovResult": _markov,
    "nqpf.disparity.markov.SpatialMarkovResult": _spatial_markov,
    "nqpf.disparity.markov.HomogeneityResult": _homogeneity,
    "nqpf.disparity.mobility.MobilityResult": lambda: disparity.mobility(_markov()),
    "nqpf.disparity.weights.SpatialWeights": _ring_weights,
    "nqpf.disparity.moran.MoranResult": lambda: disparity.moran(
        Y_PANEL[:, 0], _ring_weights(), permutations=99, rng=1
    ),
    "nqpf.disparity.moran.LocalMoranResult": lambda: disparity.local_moran(
        Y_PANEL[:, 0], _ring_weights(), permutations=99, rng=1
    ),
    "nqpf.disparity.moran.MoranRateResult": lambda: disparity.moran_rate(
        np.round(Y_PANEL[:, 0] * 10), np.full(10, 1000.0), _ring_weights(), permutations=99, rng=1
    ),
    "nqpf.disparity.moran.MoranBVResult": lambda: disparity.moran_bv(
        Y_PANEL[:, 0], Y_PANEL[:, 1], _ring_weights(), permutations=99, rng=1
    ),
    "nqpf.disparity.moran.LocalMoranBVResult": lambda: disparity.local_moran_bv(
        Y_PANEL[:, 0], Y_PANEL[:, 1], _ring_weights(), permutations=99, rng=1
    ),
    "nqpf.disparity.convergence.SigmaConvergenceResult": lambda: disparity.sigma_convergence(
        Y_PANEL
    ),
    "nqpf.disparity.convergence.BetaConvergenceResult": lambda: disparity.beta_convergence(
        Y_PANEL.ravel(), np.repeat(np.arange(10), 8), np.tile(np.arange(8), 10)
    ),
    "nqpf.assessment.scoring.ScoreResult": lambda: _score_sme()[1],
    "nqpf.assessment.scoring.BatchScoreResult": lambda: _batch()[2],
    "nqpf.assessment.diagnosis.Diagnosis": _diagnosis,
    "nqpf.assessment.diagnosis.Roadmap": _roadmap,
    "nqpf.assessment.rollup.RollupResult": _rollup,
    "nqpf.assessment.rollup.ChainRollupResult": _chain_rollup,
    "nqpf.assessment.rollup.WeakLinksResult": _weak_links,
    "nqpf.assessment.smart_factory_tiers.SmartFactoryTierResult": _smart_factory_tier,
    "nqpf.assessment.quality_sme_tiers.QualitySmeTierResult": _innovative,
    "nqpf.assessment.cmmm.CMMMResult": _cmmm,
    "nqpf.assessment.green_factory.GreenFactoryResult": _green_factory,
    "nqpf.assessment.carbon.CarbonResult": _carbon,
    "nqpf.matching.result.MatchResult": _match,
    "nqpf.io.quality.QualityReport": _quality,
    **EVALUATION_FACTORIES,
}


def _all_result_classes() -> dict[str, type]:
    """Every Result subclass defined in an nqpf module (the web and CLI import lazily)."""
    for info in pkgutil.walk_packages(nqpf.__path__, "nqpf."):
        if info.name.startswith(("nqpf.web", "nqpf.cli", "nqpf.__main__")):
            continue
        importlib.import_module(info.name)
    found: dict[str, type] = {}
    stack = list(Result.__subclasses__())
    while stack:
        cls = stack.pop()
        stack += cls.__subclasses__()
        if cls.__module__.startswith("nqpf."):
            found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


def test_every_result_class_has_a_factory():
    classes = _all_result_classes()
    assert sorted(set(classes) - set(FACTORIES)) == []
    assert sorted(set(FACTORIES) - set(classes)) == []


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_result_contract(name):
    result = FACTORIES[name]()
    assert f"{type(result).__module__}.{type(result).__qualname__}" == name
    assert dataclasses.is_dataclass(result)
    first = dataclasses.fields(result)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(result, first, None)

    summary = result.summary()
    assert isinstance(summary, Summary)
    assert summary.title and summary.rows
    assert summary.as_text().startswith(summary.title)
    assert summary.as_markdown().startswith(f"**{summary.title}**")
    assert "<table" in summary.as_html()

    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert len(frame.columns) > 0

    assert "<table" in result._repr_html_()
    assert repr(result)
