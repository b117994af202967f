"""The latest result's summary (``assessment_latest``) kept right as assessments change.

One row per enterprise, framework id and version holds what the officers' views and lists
aggregate (level, total, dimension points, scene levels, unmet next-level conditions, the
first result's level and total): :func:`nqpf.services.assess_rollup.latest_summaries` of
the enterprise's submitted assessments.  :func:`refresh_latest` rebuilds the rows of some
enterprises from the ``assessment`` table inside the caller's transaction; submitting
calls it (so a new submission supersedes the old latest in the same commit), and so must
any writer that adds, changes or removes submitted assessments by bulk SQL (the demo,
benchmarks).  The ``latest_results`` migration back-fills the table for existing
databases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import Session

from nqpf.assessment import Framework
from nqpf.assessment.rollup import level_names
from nqpf.services.assess_rollup import latest_summaries, summary_fits
from nqpf.web.models import Assessment, AssessmentLatest, Organization

__all__ = ["Sums", "refresh_latest", "sum_columns"]

BATCH = 2_000  # enterprises per read (results are ~1 kB of JSON each)


def _framework(framework_id: str, version: str) -> Framework | None:
    from nqpf.web.services.assessments import available_frameworks

    return available_frameworks().get(f"{framework_id}-{version}")


def refresh_latest(session: Session, enterprise_ids: Iterable[int] | None = None) -> int:
    """Rebuild the summary rows of ``enterprise_ids`` (None: every enterprise) from their
    submitted assessments, in the session's transaction (no commit); returns the rows
    written."""
    if enterprise_ids is None:
        ids = sorted(set(session.scalars(select(Assessment.enterprise_id).distinct())))
        session.execute(delete(AssessmentLatest))
    else:
        ids = sorted(set(enterprise_ids))
        # Two submits of one enterprise (two drafts, two frameworks) in two transactions
        # would each delete and re-insert its rows: the second hits the unique key, or
        # rebuilds without the first's result. Lock the enterprises (in id order, so no
        # deadlock) before reading: the second waits, then reads the first's commit.
        # FOR NO KEY UPDATE leaves foreign-key checks of other inserts alone; SQLite
        # serialises writers and ignores it.
        session.execute(
            select(Organization.id)
            .where(Organization.id.in_(ids))
            .order_by(Organization.id)
            .with_for_update(key_share=True)
        )
    written = 0
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        if enterprise_ids is not None:
            session.execute(
                delete(AssessmentLatest).where(AssessmentLatest.enterprise_id.in_(chunk))
            )
        records = session.execute(
            select(
                Assessment.enterprise_id,
                Assessment.framework_id,
                Assessment.framework_version,
                Assessment.seq,
                Assessment.id,
                Assessment.submitted_at,
                Assessment.result,
            ).where(Assessment.status == "submitted", Assessment.enterprise_id.in_(chunk))
        ).all()
        rows = latest_summaries(records, _framework)
        if rows:
            session.execute(insert(AssessmentLatest), rows)
        written += len(rows)
    return written


# ------------------------------------------------------------------- sums in the database
L = AssessmentLatest


def _slots(fw: Framework, *, dims: bool, scenes: bool) -> list[tuple[str, Any]]:
    """(name, column) of the framework's dimension and/or scene slots."""
    if not summary_fits(fw):  # pragma: no cover - a test keeps every framework fitting
        return []
    out = []
    if dims:
        out += [(f"d{i}", getattr(L, f"dim_{i}")) for i in range(1, len(fw.scored_dimensions) + 1)]
    if scenes:
        out += [(f"s{i}", getattr(L, f"scene_{i}")) for i in range(1, len(fw.scenes) + 1)]
    return out


def sum_columns(
    fw: Framework, *, dims: bool = False, scenes: bool = False, movement: bool = False
) -> list[Any]:
    """The additive sums of a group of enterprises (rows of ``organization`` outer-joined
    to ``assessment_latest`` of ``fw``; the query groups by ``assessment_latest.level``
    too, labelled ``level``, so the level distribution costs no aggregate), labelled:
    ``n`` and ``sum_total``; with ``dims`` / ``scenes`` each slot's sum and count
    (``sum_d1``, ``n_d1`` …, ``sum_s1`` …); with ``movement`` the T0 → latest counts
    ``n_up``, ``n_same``, ``n_down`` and the change of the total (``sum_change``,
    ``n_change``).  A valid result is one with a level (level and total are stored
    together); slots and first results are filled for valid results only."""
    cols = [func.count().label("n"), func.sum(L.total).label("sum_total")]
    for name, column in _slots(fw, dims=dims, scenes=scenes):
        cols += [func.sum(column).label(f"sum_{name}"), func.count(column).label(f"n_{name}")]
    if movement:

        def count_if(condition: Any, label: str) -> Any:
            return func.sum(case((condition, 1), else_=0)).label(label)

        changed = L.first_total.is_not(None) & L.first_level.is_not(None)
        cols += [
            count_if(L.level > L.first_level, "n_up"),
            count_if(L.level == L.first_level, "n_same"),
            count_if(L.level < L.first_level, "n_down"),
            func.sum(case((changed, L.total - L.first_total))).label("sum_change"),
            count_if(changed, "n_change"),
        ]
    return cols


class Sums:
    """Rows of :func:`sum_columns` (each with its ``level``) added up, and the roll-up's
    statistics of them (:meth:`record`, :meth:`weakest`)."""

    def __init__(self, fw: Framework) -> None:
        self.fw = fw
        self.levels = [0] * (fw.level_rule.top_level + 1)
        self.values: dict[str, float] = {}

    def add(self, row: Mapping[str, Any]) -> Sums:
        level = row["level"]
        if level is not None:
            self.levels[int(level)] += int(row["n"])
        for name, value in row.items():
            if value is not None and (name == "n" or name.startswith(("n_", "sum_"))):
                self.values[name] = self.values.get(name, 0.0) + value
        return self

    def _mean(self, total: str, count: str) -> float | None:
        n = self.values.get(count)
        return self.values.get(total, 0.0) / n if n else None

    def record(self, target_level: int) -> dict[str, Any]:
        """The group's statistics as :attr:`RollupResult.groups
        <nqpf.assessment.rollup.RollupResult>` names them: ``n``, ``n_valid``,
        ``n_<level name>``, ``mean_total``, ``share_ge_<target name>``,
        ``mean_<dimension>``, ``n_compared``, ``n_up``, ``n_same``, ``n_down``,
        ``mean_change_total`` (None where there is nothing to average; dimension means
        and movement None when not summed)."""
        v, fw = self.values, self.fw
        names = level_names(fw)
        n_valid = sum(self.levels)
        out: dict[str, Any] = {"n": int(v.get("n", 0)), "n_valid": n_valid}
        out.update({f"n_{name}": c for name, c in zip(names, self.levels, strict=True)})
        out["mean_total"] = v.get("sum_total", 0.0) / n_valid if n_valid else None
        out[f"share_ge_{names[target_level]}"] = (
            sum(self.levels[target_level:]) / n_valid if n_valid else None
        )
        for i, d in enumerate(fw.scored_dimensions, 1):
            out[f"mean_{d.name}"] = self._mean(f"sum_d{i}", f"n_d{i}")
        moves = {k: int(v.get(k, 0)) for k in ("n_up", "n_same", "n_down")}
        out.update(moves, n_compared=sum(moves.values()))
        out["mean_change_total"] = self._mean("sum_change", "n_change")
        return out

    def weakest(self, k: int = 3) -> list[dict[str, Any]]:
        """The ``k`` scenes with the lowest mean level (约束性 first on ties, then the
        framework's order), as :func:`nqpf.assessment.rollup.rollup` picks them."""
        items = []
        for i, s in enumerate(self.fw.scenes, 1):
            mean = self._mean(f"sum_s{i}", f"n_s{i}")
            if mean is not None:
                items.append((mean, not s.binding, i, s))
        items.sort(key=lambda t: t[:3])
        return [
            {"scene_id": s.id, "scene": s.name, "binding": bool(s.binding), "mean_level": m}
            for m, _b, _i, s in items[:k]
        ]
