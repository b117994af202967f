"""Effect evaluation (效果评估): what a project or a programme changed, with evidence.

Enterprise level (点)
    :func:`compare` — T1 re-assessment against T0 (paired deltas per dimension, question
    and scene; level change; next-level conditions closed); :func:`kpi_effects` — a
    project's KPIs before/after (baseline, target, achieved, % of target, units checked).
"""

from __future__ import annotations

from nqpf.evaluation.kpi import KpiResult, kpi_effects
from nqpf.evaluation.paired import ComparisonResult, compare

__all__ = [
    "ComparisonResult",
    "KpiResult",
    "compare",
    "kpi_effects",
]
