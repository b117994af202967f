"""Sign a TestClient in through the real login form (cookie + CSRF token)."""

from __future__ import annotations

import re

from tests.web.world import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def form_csrf(html: str) -> str:
    match = _CSRF.search(html) or _META.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def sign_in(client, email: str, password: str | None = None) -> None:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"email": email, "password": password or PASSWORD, "csrf_token": form_csrf(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    if r.headers["location"].startswith("/login/totp"):  # two-factor sign-in
        from tests.web.security.totp_support import fresh_code

        step = client.get(r.headers["location"])
        code = fresh_code(client.app.state.session_factory, email)
        data = {"code": code, "csrf_token": form_csrf(step.text)}
        r = client.post("/login/totp", data=data, follow_redirects=False)
        assert r.status_code == 303, r.text
    home = client.get("/account")
    client.csrf = form_csrf(home.text)
    client.headers["X-CSRF-Token"] = client.csrf
