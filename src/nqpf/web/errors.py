"""Errors the platform's services raise; the app turns them into 4xx answers.

Services never build HTTP responses: they raise these, and :mod:`nqpf.web.main` answers
JSON (``{"detail": …, "field": …}``) under ``/api`` and an HTML page elsewhere.
"""

from __future__ import annotations

from nqpf.exceptions import DataValidationError

__all__ = [
    "Conflict",
    "FieldError",
    "Forbidden",
    "LoginRequired",
    "NotFound",
    "PlatformError",
    "RateLimited",
    "Unauthorized",
    "field_error",
]


class PlatformError(Exception):
    """Base: ``status`` is the HTTP status, ``field`` the input field at fault (if any)."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class FieldError(PlatformError):
    """A value that does not validate (422); ``field`` names it."""

    status = 422


class Unauthorized(PlatformError):
    """No valid credentials (401)."""

    status = 401


class LoginRequired(Unauthorized):
    """A page needs a signed-in browser: redirect to the sign-in page."""


class Forbidden(PlatformError):
    """Authenticated, may see the object, but not do this to it (403)."""

    status = 403


class NotFound(PlatformError):
    """No such object, or one the caller may not see (404: existence is not revealed)."""

    status = 404


class Conflict(PlatformError):
    """The action clashes with the current state (409), e.g. a duplicate credit code."""

    status = 409


class RateLimited(PlatformError):
    """Too many attempts (429); ``retry_after`` seconds until the next may succeed."""

    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def field_error(
    exc: DataValidationError, *, field: str | None = None, label: str = ""
) -> FieldError:
    """The web's Chinese 422 for a domain error: the one adapter between the two languages.

    The rule that failed lives once, in the core or :mod:`nqpf.services`, and raises a
    :class:`~nqpf.exceptions.DataValidationError` with its reason in Chinese
    (``reason_zh``) beside the English one; this puts the field's Chinese ``label`` in
    front (``统一社会信用代码（credit_code）`` + ``应为 18 位，实际 17 位``) and answers on
    ``field`` (default: the error's own field or column).
    """
    return FieldError(f"{label}{exc.reason_zh}", field=field or exc.field or exc.column)
