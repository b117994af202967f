"""Effect evaluation (效果评估): what a project or a programme changed, with evidence.

Enterprise level (点)
    :func:`compare` — T1 re-assessment against T0 (paired deltas per dimension, question
    and scene; level change; next-level conditions closed); :func:`kpi_effects` — a
    project's KPIs before/after (baseline, target, achieved, % of target, units checked).
Programme level (面/线)
    :func:`programme_effects` — share improving, mean and median change with seeded
    bootstrap intervals, the T0 → T1 level transition matrix (Markov engine);
    :func:`evaluate_acceptance` and :func:`evaluate_subsidy` — acceptance and subsidy
    rules as versioned data files with source and confidence (:func:`load_rule`).
Causal estimate with staggered adoption
    :func:`did` — Callaway–Sant'Anna (csdid), Sun–Abraham and did2s (pyfixest), with
    the plain TWFE as the biased contrast, behind one :class:`DidResult` (event study,
    pre-trend test, named Chinese caveats).  The estimators are the optional extra
    ``nqpf[evaluation]``, imported only when an estimate is made.
"""

from __future__ import annotations

from nqpf.evaluation.did import CONTROLS, METHODS, DidResult, DidWarning, did
from nqpf.evaluation.kpi import KpiResult, kpi_effects
from nqpf.evaluation.paired import ComparisonResult, compare
from nqpf.evaluation.programme import (
    LEVEL_NAMES,
    ProgrammeResult,
    bootstrap_ci,
    programme_effects,
)
from nqpf.evaluation.rules import (
    AcceptanceResult,
    AcceptanceRule,
    AcceptanceTarget,
    SubsidyResult,
    SubsidyRule,
    evaluate_acceptance,
    evaluate_subsidy,
    list_rules,
    load_rule,
    parse_rule,
)

__all__ = [
    "CONTROLS",
    "LEVEL_NAMES",
    "METHODS",
    "AcceptanceResult",
    "AcceptanceRule",
    "AcceptanceTarget",
    "ComparisonResult",
    "DidResult",
    "DidWarning",
    "KpiResult",
    "ProgrammeResult",
    "SubsidyResult",
    "SubsidyRule",
    "bootstrap_ci",
    "compare",
    "did",
    "evaluate_acceptance",
    "evaluate_subsidy",
    "kpi_effects",
    "list_rules",
    "load_rule",
    "parse_rule",
    "programme_effects",
]
