"""A seeded programme world on top of tests/web/world.py: Shenzhen enterprises with one
submitted assessment a year, drawn from a simulated staggered panel with a known effect
(nqpf.evaluation.synthetic; 示例数据), so that an estimate can be checked against it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session
from tests.web.world import credit_code

from nqpf.evaluation.synthetic import StaggeredTruth, staggered_panel
from nqpf.web.models import Assessment, EnterpriseProfile, Organization

FW_ID, FW_VERSION = "sme-digital", "2024"
FW = f"{FW_ID}-{FW_VERSION}"
#: the panel's outcome is shifted so totals look like assessment totals (0–100)
OFFSET = 40.0


def level_of(total: float) -> int:
    """The sme-digital-2024 level of a total (一级 ≥ 20, 二级 ≥ 40, 三级 ≥ 60, 四级 ≥ 80)."""
    return sum(total >= t for t in (20, 40, 60, 80))


def seed_panel(
    session: Session,
    *,
    n_units: int = 60,
    years: tuple[int, int] = (2019, 2024),
    cohorts: dict[int, tuple[float, float]] | None = None,
    never_share: float = 0.4,
    seed: int = 11,
    region: str = "440305",
) -> tuple[dict[int, int], StaggeredTruth, Any]:
    """Enterprises of ``region`` with one submitted assessment per year whose total is the
    simulated outcome + :data:`OFFSET`.  Returns (enterprise id → cohort, truth, panel)."""
    cohorts = cohorts or {2021: (6.0, 0.3), 2023: (4.0, 0.3)}
    panel, truth = staggered_panel(
        n_units, years=years, cohorts=cohorts, never_share=never_share, slope=1.0, seed=seed
    )
    ids: dict[str, int] = {}
    cohort_of: dict[int, int] = {}
    for i, firm in enumerate(panel["firm"].unique()):
        org = Organization(name=f"示例企业{firm}", kind="enterprise")
        org.profile = EnterpriseProfile(
            credit_code=credit_code(f"91{region}PG{i:07d}"[:17]),
            industry="C3484",
            region_code=region,
            size_class="small",
            chains=[],
        )
        session.add(org)
        session.flush()
        ids[firm] = org.id
    seq: dict[int, int] = {}
    for r in panel.itertuples(index=False):
        eid = ids[r.firm]
        cohort_of[eid] = int(r.cohort)
        total = float(r.y) + OFFSET
        level = level_of(total)
        session.add(
            Assessment(
                enterprise_id=eid, framework_id=FW_ID, framework_version=FW_VERSION,
                seq=seq.setdefault(eid, 0), status="submitted", responses={},
                result={"total": total, "level": level, "dimensions": {"数字化基础": total / 2}},
                submitted_at=dt.datetime(int(r.year), 6, 30, 12, tzinfo=dt.UTC),
            )
        )  # fmt: skip
        seq[eid] += 1
    session.commit()
    return cohort_of, truth, panel
