"""Small instances of every nqpf.evaluation result class, for tests/test_results_contract.py."""

from __future__ import annotations

from collections.abc import Callable

from nqpf.results import Result


def _comparison():
    from nqpf.assessment import load_framework, score
    from nqpf.evaluation import compare

    fw = load_framework("sme-digital", "2024")

    def answers(number, choice, scene):
        a = {
            q.id: (number if q.kind == "number" else [] if q.kind == "multi" else choice)
            for q in fw.questions
        }
        a.update({s.id: scene for s in fw.scenes})
        return a

    return compare(score(fw, answers(35, "A", 1)), score(fw, answers(65, "B", 2)))


def _kpi():
    from nqpf.evaluation import kpi_effects

    return kpi_effects(
        [{"name": "营业收入", "baseline": 10, "target": 12, "achieved": 13, "unit": "万元"}]
    )


def _programme():
    from nqpf.evaluation import programme_effects

    return programme_effects(
        [40, 50, 30], [46, 49, 41], levels_t0=[2, 2, 1], levels_t1=[2, 2, 2], n_boot=20, rng=0
    )


def _acceptance():
    import pandas as pd

    from nqpf.evaluation import evaluate_acceptance

    firms = pd.DataFrame(
        {"scale": ["规上", "规下"], "segment": ["A", "A"], "level_t0": [1, 1], "level_t1": [2, 1]}
    )
    return evaluate_acceptance("acceptance-sme-pilot-2023", firms)


def _subsidy():
    import pandas as pd

    from nqpf.evaluation import evaluate_subsidy

    firms = pd.DataFrame({"eligible_spend": [40, 80], "level_t1": [2, 3]})
    return evaluate_subsidy("subsidy-longyan-2025", firms)


def _did():
    from nqpf.evaluation import did
    from nqpf.evaluation.synthetic import staggered_panel

    panel, _ = staggered_panel(120, years=(2016, 2023), seed=5)
    return did(panel, unit="firm", time="year", cohort="cohort", outcome="y")


#: Class name (module.qualname) → a factory returning an instance from small inputs.
FACTORIES: dict[str, Callable[[], Result]] = {
    "nqpf.evaluation.paired.ComparisonResult": _comparison,
    "nqpf.evaluation.kpi.KpiResult": _kpi,
    "nqpf.evaluation.programme.ProgrammeResult": _programme,
    "nqpf.evaluation.rules.AcceptanceResult": _acceptance,
    "nqpf.evaluation.rules.SubsidyResult": _subsidy,
    "nqpf.evaluation.did.DidResult": _did,
}
