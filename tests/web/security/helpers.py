"""Helpers of the ASVS test modules: sign-in posts, apps with other settings, counts."""

from __future__ import annotations

from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.web.browser_session import form_csrf
from tests.web.world import PASSWORD

from nqpf.web.config import Settings
from nqpf.web.main import create_app
from nqpf.web.models import AuditEvent

__all__ = ["PASSWORD", "count", "events", "other_app", "post_form", "post_login"]


def post_login(client: TestClient, email: str, password: str = PASSWORD, **extra):
    """POST the sign-in form (with its CSRF cookie and field), without following."""
    client.cookies.delete("nqpf_login_csrf")
    page = client.get("/login", follow_redirects=False)
    data = {"email": email, "password": password, "csrf_token": form_csrf(page.text), **extra}
    return client.post("/login", data=data, follow_redirects=False)


def post_form(client: TestClient, url: str, data: dict[str, str]):
    """GET ``url``'s form, then POST ``data`` with the form's CSRF token."""
    page = client.get(url, follow_redirects=False)
    assert page.status_code == 200, (url, page.status_code, page.text[:300])
    return client.post(url, data={**data, "csrf_token": form_csrf(page.text)},
                       follow_redirects=False)  # fmt: skip


def count(app, model, *where) -> int:
    with app.state.session_factory() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def events(app, action: str) -> list[AuditEvent]:
    with app.state.session_factory() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@contextmanager
def other_app(db_url: str, **settings):
    """An app on the same database with other settings (``env="test"`` unless given)."""
    values = {"database_url": db_url, "env": "test", "secret_key": "s" * 32, **settings}
    app = create_app(Settings(**values))
    try:
        yield app
    finally:
        app.state.engine.dispose()
