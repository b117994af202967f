"""/docs and /redoc render in a real browser from the bundled assets, under the CSP."""

from __future__ import annotations

from pathlib import Path


def test_api_docs_render_offline(page, live_server, tmp_path: Path):
    base, _world = live_server
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith((base, "data:", "blob:")) else None)  # fmt: skip
    page.goto(f"{base}/docs")
    page.locator(".swagger-ui .info .title").wait_for(timeout=20_000)
    assert "nqpf 平台" in page.locator(".swagger-ui .info .title").inner_text()
    page.screenshot(path=str(tmp_path / "docs.png"))
    page.goto(f"{base}/redoc")
    page.get_by_text("/api/v1/me").first.wait_for(timeout=20_000)
    assert blocked == [] and outside == []
