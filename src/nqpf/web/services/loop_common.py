"""What the loop's web services share: today's date, the catalogue revision, labels.

The catalogue revision (``loop_counter`` row ``catalogue``) increases in the same
transaction as every change the matching index depends on — a solution published,
edited or withdrawn, a register standing changed, a project closed (ratings) — so every
process rebuilds its cached :class:`~nqpf.matching.MatchIndex` on its next ranking.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from nqpf.web.models import LoopCounter, Organization

__all__ = [
    "NEED_STATUS_LABELS",
    "PROJECT_STATUS_LABELS",
    "PROPOSAL_STATUS_LABELS",
    "SOLUTION_STATUS_LABELS",
    "bump_catalogue",
    "catalogue_revision",
    "count_capped",
    "org_names",
    "set_today",
    "today",
]

NEED_STATUS_LABELS = {
    "draft": "草稿",
    "published": "发布",
    "matched": "已对接",
    "in_project": "已立项",
    "closed": "关闭",
}
SOLUTION_STATUS_LABELS = {"published": "已发布", "withdrawn": "已下架"}
PROPOSAL_STATUS_LABELS = {
    "submitted": "待回复",
    "accepted": "已接受",
    "declined": "未采纳",
    "withdrawn": "已撤回",
}
PROJECT_STATUS_LABELS = {"active": "实施中", "paused": "暂停", "closed": "已关闭"}
CATALOGUE = "catalogue"


_TODAY: dt.date | None = None


def today() -> dt.date:
    """The platform's today (local date), or the day :func:`set_today` fixed."""
    return _TODAY if _TODAY is not None else dt.date.today()


def set_today(day: dt.date | None) -> None:
    """Fix the platform's today (tests, the demo's back-dated history); ``None`` frees it."""
    global _TODAY
    _TODAY = day


def catalogue_revision(session: Session) -> int:
    """The catalogue's revision (0 when the counter row is missing, e.g. after a reset)."""
    value = session.scalar(select(LoopCounter.value).where(LoopCounter.name == CATALOGUE))
    return int(value or 0)


def bump_catalogue(session: Session) -> None:
    """Increase the catalogue revision inside the caller's transaction."""
    done = session.execute(
        update(LoopCounter)
        .where(LoopCounter.name == CATALOGUE)
        .values(value=LoopCounter.value + 1)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount == 0:  # the row was deleted (a demo reset): start somewhere new, so
        # a process's cached index of an earlier catalogue never matches the new revision
        start = secrets.randbelow(2**30) + 1
        session.execute(insert(LoopCounter).values(name=CATALOGUE, value=start))


def org_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Organization id → name, for the ids given (one query)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(Organization.id, Organization.name).where(Organization.id.in_(wanted))
    )
    return {i: n for i, n in rows}


#: Lists count their rows up to this many (an exact count of 20,000 needs across 100,000
#: enterprises costs ~80 ms in PostgreSQL; a page of 50 costs well under 1 ms).
COUNT_CAP = 1000


def count_capped(session: Session, query: Any, cap: int | None = None) -> tuple[int, bool]:
    """(rows of ``query`` up to ``cap`` (default :data:`COUNT_CAP`), whether there are more)."""
    cap = COUNT_CAP if cap is None else cap
    n = session.scalar(select(func.count()).select_from(query.limit(cap + 1).subquery())) or 0
    return min(n, cap), n > cap
