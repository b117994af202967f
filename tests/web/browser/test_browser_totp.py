"""Two-factor sign-in in a real browser: an enrolled officer types the code (CSP on)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from tests.web.security.totp_support import enrol, fresh_code
from tests.web.world import PASSWORD

from nqpf.web.db import make_engine, make_session_factory
from nqpf.web.models import User


def test_officer_signs_in_with_a_code(page, live_server, tmp_path: Path):
    base, world = live_server
    email = world.emails["sz_officer"]
    engine = make_engine(f"sqlite:///{tmp_path / 'browser.db'}")
    factory = make_session_factory(engine)
    with factory() as session:
        enrol(session, session.scalars(select(User).where(User.email == email)).one())
        session.commit()
    csp: list[str] = []  # the pages need no inline script or style the CSP would block
    page.on(
        "console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None
    )
    page.goto(f"{base}/login?next=/account")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/login/totp?next=/account")
    page.fill("input[name=code]", "000000")
    page.click("button[type=submit]")
    assert "验证码或恢复码不正确" in page.locator(".field-error").inner_text()
    page.fill("input[name=code]", fresh_code(factory, email))
    page.screenshot(path=str(tmp_path / "totp-step.png"))
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/account")
    assert "两步验证" in page.content() and "已启用" in page.content()
    assert csp == []
    engine.dispose()
