"""One transaction per action: commit at the end, roll back on any error; and the
revisioned save that drafts and inventories share (optimistic concurrency + audit)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import ColumnElement, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nqpf.web.authz import Actor
from nqpf.web.errors import Conflict, PlatformError
from nqpf.web.services import audit

__all__ = ["committing", "save_revision"]


@contextmanager
def committing(
    session: Session, *, conflict: Callable[[], PlatformError] | None = None
) -> Iterator[None]:
    """Commit ``session`` when the block succeeds; on any error roll back and re-raise.

    ``conflict`` builds the error that replaces an :class:`IntegrityError` (a unique key
    hit by a concurrent writer, e.g. a duplicate credit code → 409 naming the field).
    """
    try:
        yield
        session.commit()
    except IntegrityError:
        session.rollback()
        if conflict is None:
            raise
        raise conflict() from None
    except BaseException:
        session.rollback()
        raise


def save_revision(
    session: Session,
    actor: Actor,
    row: Any,
    seen: int,
    values: Mapping[str, Any],
    *,
    action: str,
    object_type: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    stale: str,
    where: Sequence[ColumnElement[bool]] = (),
    conflict: Callable[[], PlatformError] | None = None,
    also: Callable[[], None] | None = None,
) -> None:
    """Write ``values`` to ``row`` if it is still at revision ``seen``, audit it, commit.

    The check is an ``UPDATE … WHERE id = :id AND revision = :seen`` (plus ``where``), so
    two concurrent saves of the same revision cannot both win: the loser gets a 409
    ``stale`` on ``revision`` and nothing is written.  The revision becomes ``seen + 1``;
    ``before``/``after`` of the audit event carry both revisions; ``also`` runs last in
    the same transaction (what must change with the row).  ``row`` is refreshed.
    """
    model = type(row)
    with committing(session, conflict=conflict):
        done = session.execute(
            update(model)
            .where(model.id == row.id, model.revision == seen, *where)
            .values(**values, revision=seen + 1)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:
            raise Conflict(stale, field="revision")
        audit.record(
            session,
            actor,
            action,
            object_type,
            row.id,
            organization_id=row.enterprise_id,
            before={"revision": seen, **before},
            after={"revision": seen + 1, **after},
        )
        if also is not None:
            also()
    session.refresh(row)
