"""The result of ranking a need against a catalogue: matches with reasons, near misses.

:class:`MatchResult` is frozen, shows itself with ``summary()`` (Chinese) and
``to_frame()`` (one row per match, the component scores beside the total) and gives the
JSON document of the CLI and the web with :meth:`MatchResult.to_dict`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from nqpf.matching.models import Need
from nqpf.matching.weights import COMPONENTS
from nqpf.results import Result, Summary

__all__ = ["GATES", "Match", "MatchResult", "NearMiss"]

#: The hard gates, in the order they are applied, and their Chinese names.
GATES = {
    "scene": "场景",
    "standing": "服务商状态",
    "level": "等级",
    "industry": "行业",
    "prerequisites": "前提条件",
    "price": "预算",
}


@dataclass(frozen=True)
class Match:
    """One solution that passed every gate.

    Attributes
    ----------
    rank
        1 for the best.
    solution_id, name, provider_id, provider_name
        The solution and who offers it.
    score
        0–100: Σ weight × component / Σ weight over the components that apply.
    components
        Component name → its value in [0, 1] (only the components that apply).
    reasons
        Why, in Chinese, naming the scene, the industry, the facts used, the price …
    """

    rank: int
    solution_id: str
    name: str
    provider_id: str
    provider_name: str
    score: float
    components: Mapping[str, float]
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class NearMiss:
    """A solution of the need's scene that fails one or two gates, and what is missing.

    ``missing`` says it in Chinese (``需设备联网率 ≥ 40 %，当前 25 %``); ``gates`` names the
    gates failed; ``score`` is what it would score if it passed.
    """

    solution_id: str
    name: str
    provider_id: str
    score: float
    gates: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class MatchResult(Result):
    """Ranked matches of one need (see :func:`nqpf.matching.rank`).

    Attributes
    ----------
    need
        The need ranked.
    matches
        The best solutions that pass every gate, best first.
    near_misses
        The best solutions that fail one or two gates, with what is missing.
    weights
        ``id@version`` of the weights used; ``weights_confidence`` their confidence.
    catalogue_size, n_passed
        Solutions in the catalogue, and how many passed every gate.
    excluded
        Gate → how many solutions it excluded (a solution may fail several).
    facts_used
        Whether assessment facts were given (otherwise prerequisites are not checked).
    applicable
        The score components that applied to this need.
    as_of
        The day deadlines were counted from.
    """

    need: Need
    matches: tuple[Match, ...]
    near_misses: tuple[NearMiss, ...]
    weights: str
    weights_confidence: str
    catalogue_size: int
    n_passed: int
    excluded: Mapping[str, int]
    facts_used: bool
    applicable: tuple[str, ...]
    as_of: dt.date
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> Summary:
        rows: list[tuple[str, Any]] = [
            ("需求", self.need.level_text),
            ("目录", f"{self.catalogue_size} 个方案，{self.n_passed} 个通过全部门槛"),
        ]
        for m in self.matches:
            rows.append(
                (f"{m.rank}. {m.name}（{m.provider_name or m.provider_id}）", f"{m.score:.1f}")
            )
            rows.append(("   理由", "；".join(m.reasons)))
        for n in self.near_misses:
            rows.append((f"差一点：{n.name}", "；".join(n.missing)))
        excluded = "，".join(f"{GATES[g]} {k}" for g, k in self.excluded.items() if k)
        notes = [f"门槛排除：{excluded}"] if excluded else []
        notes.append(
            f"权重 {self.weights}（可信度 {self.weights_confidence}，nqpf 设计值，非官方）"
        )
        notes += self.notes
        return Summary(
            title=f"技术匹配 {self.need.level_text}", rows=tuple(rows), notes=tuple(notes)
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per match: rank, ids, name, score, each component, reasons (；-joined)."""
        columns = ["rank", "solution_id", "name", "provider_id", "provider_name", "score",
                   *COMPONENTS, "reasons"]  # fmt: skip
        return pd.DataFrame(
            [
                {
                    "rank": m.rank,
                    "solution_id": m.solution_id,
                    "name": m.name,
                    "provider_id": m.provider_id,
                    "provider_name": m.provider_name,
                    "score": m.score,
                    **{c: m.components.get(c) for c in COMPONENTS},
                    "reasons": "；".join(m.reasons),
                }
                for m in self.matches
            ],
            columns=columns,
        )

    def near_misses_frame(self) -> pd.DataFrame:
        """One row per near miss: ids, name, would-be score, gates failed, what is missing."""
        columns = ["solution_id", "name", "provider_id", "score", "gates", "missing"]
        return pd.DataFrame(
            [
                {
                    "solution_id": n.solution_id,
                    "name": n.name,
                    "provider_id": n.provider_id,
                    "score": n.score,
                    "gates": "；".join(GATES[g] for g in n.gates),
                    "missing": "；".join(n.missing),
                }
                for n in self.near_misses
            ],
            columns=columns,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON document of ``nqpf match --json`` (see docs/matching-guide.md)."""
        return {
            "need": {
                "id": self.need.id,
                "enterprise_id": self.need.enterprise_id,
                "scene": self.need.scene,
                "current_level": self.need.current_level,
                "target_level": self.need.target_level,
            },
            "matches": [
                {
                    "rank": m.rank,
                    "solution_id": m.solution_id,
                    "name": m.name,
                    "provider_id": m.provider_id,
                    "score": m.score,
                    "components": dict(m.components),
                    "reasons": list(m.reasons),
                }
                for m in self.matches
            ],
            "near_misses": [
                {
                    "solution_id": n.solution_id,
                    "name": n.name,
                    "provider_id": n.provider_id,
                    "score": n.score,
                    "gates": list(n.gates),
                    "missing": list(n.missing),
                }
                for n in self.near_misses
            ],
            "catalogue_size": self.catalogue_size,
            "passed": self.n_passed,
            "excluded": dict(self.excluded),
            "facts_used": self.facts_used,
            "weights": self.weights,
            "as_of": self.as_of.isoformat(),
        }
