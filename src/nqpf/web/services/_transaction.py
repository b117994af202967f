"""One transaction per action: commit at the end, roll back on any error."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from nqpf.web.errors import PlatformError

__all__ = ["committing"]


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
