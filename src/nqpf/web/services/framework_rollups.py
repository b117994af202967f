"""Roll-ups of the rule frameworks on the dashboard: per framework, how the enterprises in
view are distributed over its ladder (level, tier, eligibility, veto status) and which
unmet conditions are the most common.

Each visible enterprise counts once per framework key, with its latest submitted
assessment (highest ``seq``); the rank and the unmet conditions are those the engine
stored at submit (:meth:`nqpf.assessment.outcomes.Outcome.summary_json`), so nothing is
scored here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from nqpf.assessment.outcomes import rank_counts
from nqpf.web import charts
from nqpf.web.authz import Actor, visible_enterprises
from nqpf.web.models import Assessment, EnterpriseProfile, Organization
from nqpf.web.services.assessments import rule_frameworks

__all__ = ["FrameworkRollup", "framework_rollups"]

TOP_UNMET = 5


@dataclass(frozen=True)
class FrameworkRollup:
    """One rule framework's distribution over the enterprises in view."""

    key: str
    name: str
    ranks: tuple[str, ...]
    counts: tuple[int, ...]
    top_unmet: tuple[tuple[str, int], ...]
    chart: str

    @property
    def assessed(self) -> int:
        return sum(self.counts)


def framework_rollups(
    session: Session, actor: Actor, *, region: str = "", industry: str = ""
) -> list[FrameworkRollup]:
    """The roll-up of every rule framework with a submitted assessment in view.

    ``region`` / ``industry`` are code prefixes (as the dashboard's filters, already
    checked there).
    """
    forms = rule_frameworks()
    clauses: list[Any] = [
        visible_enterprises(actor, action="read"),
        Assessment.status == "submitted",
        Assessment.framework_id.in_({f.id for f in forms.values()}),
    ]
    if region:
        clauses.append(EnterpriseProfile.region_code.startswith(region, autoescape=True))
    if industry:
        clauses.append(EnterpriseProfile.industry.startswith(industry, autoescape=True))
    rows = session.execute(
        select(
            Assessment.enterprise_id,
            Assessment.framework_id,
            Assessment.framework_version,
            Assessment.seq,
            Assessment.result,
        )
        .join(Organization, Organization.id == Assessment.enterprise_id)
        .outerjoin(EnterpriseProfile, EnterpriseProfile.organization_id == Organization.id)
        .where(*clauses)
    ).all()
    latest: dict[tuple[str, int], tuple[int, dict[str, Any]]] = {}
    for eid, fid, version, seq, result in rows:
        key = (f"{fid}-{version}", eid)
        if key[0] in forms and (key not in latest or seq > latest[key][0]):
            latest[key] = (seq, result if isinstance(result, dict) else {})
    out = []
    for key, form in forms.items():
        results = [r for (k, _), (_, r) in latest.items() if k == key]
        if not results:
            continue
        ranks = tuple(results[-1].get("ranks") or ())
        counts = tuple(rank_counts(results, ranks))
        unmet = Counter(m for r in results for m in dict.fromkeys(r.get("unmet") or ()))
        out.append(
            FrameworkRollup(
                key=key,
                name=form.name,
                ranks=ranks,
                counts=counts,
                top_unmet=tuple(unmet.most_common(TOP_UNMET)),
                chart=charts.bar_svg(list(ranks), list(counts), title=form.name, unit="家"),
            )
        )
    return out
