"""Signing in and out in a real browser."""

from __future__ import annotations

from tests.web.world import PASSWORD


def sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def test_sign_in_wrong_password_then_right(page, live_server):
    base, world = live_server
    sign_in(page, base, world.emails["sz_officer"], "wrong-password")
    assert page.locator(".error").inner_text() == "邮箱或密码错误"
    sign_in(page, base, world.emails["sz_officer"])
    page.goto(f"{base}/account")
    assert "深圳示范园区管委会" in page.content()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["nqpf_session"]["httpOnly"] is True
    assert page.evaluate("document.cookie").find("nqpf_session") == -1
    page.click("text=退出")
    page.wait_for_url(f"{base}/login")
    page.goto(f"{base}/account")
    assert page.url.startswith(f"{base}/login")
