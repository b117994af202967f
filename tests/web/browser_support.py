"""Fixtures of the browser tests (tests/web/browser): Playwright driving the Chromium from Debian's packages.

A real uvicorn server (a thread in this process) serves a seeded SQLite database; the
tests skip with the reason when no chromium binary or no Playwright is installed.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def _chromium() -> str | None:
    for candidate in (
        "/usr/lib/chromium/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    return None


def pytest_collection_modifyitems(config, items):
    reason = None
    try:
        import playwright  # noqa: F401
    except ImportError:
        reason = "Playwright is not installed (pip install -e '.[dev]')"
    if reason is None and _chromium() is None:
        reason = "no chromium binary found (apt-get install chromium); browser tests skipped"
    if reason:
        here = Path(__file__).parent / "browser"
        for item in items:
            if Path(str(item.fspath)).is_relative_to(here):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": _chromium(), "args": CHROMIUM_ARGS}


@pytest.fixture
def live_server(tmp_path: Path):
    """(base URL, World) of a server on a fresh seeded SQLite database."""
    import uvicorn
    from tests.web.world import seed_world

    from nqpf.web.config import Settings
    from nqpf.web.db import upgrade_database
    from nqpf.web.main import create_app

    url = f"sqlite:///{tmp_path / 'browser.db'}"
    upgrade_database(url)
    # officers sign in with the password alone here (an empty NQPF_TOTP_REQUIRED_ROLES,
    # refused in production); tests/web/browser/test_browser_totp.py enrols one and goes
    # through the two-factor step
    app = create_app(
        Settings(database_url=url, env="test", secret_key="b" * 32, totp_required_roles=[])
    )
    with app.state.session_factory() as session:
        world = seed_world(session)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", world
    server.should_exit = True
    thread.join(10)
    app.state.engine.dispose()
