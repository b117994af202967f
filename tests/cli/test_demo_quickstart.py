"""The quick start's platform half: ``nqpf demo --data-dir`` seeds the SQLite database the
server uses, writes the accounts file and serves with the job worker; ``--no-serve`` stops
after seeding; ``nqpf serve`` runs the worker unless ``--no-worker``."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from nqpf.cli import web as web_cli
from nqpf.cli.main import app as cli


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    for name in ("NQPF_ENV", "NQPF_SECRET_KEY", "NQPF_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def _demo(*args: str):
    return CliRunner().invoke(cli, ["demo", "--enterprises", "12", "--seed", "5", *args])


def test_demo_no_serve_seeds_the_data_dir_and_writes_the_accounts(tmp_path: Path):
    data = tmp_path / "data"
    r = _demo("--data-dir", str(data), "--no-serve")
    assert r.exit_code == 0, r.output
    accounts = data / web_cli.ACCOUNTS_FILE
    assert (data / "nqpf.db").is_file() and accounts.is_file()
    assert stat.S_IMODE(accounts.stat().st_mode) == 0o600
    text = accounts.read_text("utf-8")
    assert "admin@demo.nqpf.example" in text and "park.officer@demo.nqpf.example" in text
    # every password printed is the one in the file, and it signs in on that database
    line = next(x for x in text.splitlines() if "park.officer@demo.nqpf.example" in x)
    password = line.split()[2]
    assert password in r.output and str(accounts) in r.output
    assert f"nqpf serve --database-url sqlite:///{(data / 'nqpf.db').resolve()}" in r.output

    from nqpf.web.db import make_engine, make_session_factory
    from nqpf.web.models import Job, User
    from nqpf.web.security import verify_password

    engine = make_engine(f"sqlite:///{(data / 'nqpf.db').as_posix()}")
    with make_session_factory(engine)() as s:
        user = s.scalar(select(User).where(User.email == "park.officer@demo.nqpf.example"))
        assert verify_password(user.password_hash, password)
        # the park's first analytics run waits in the queue for the server's worker
        (job,) = s.scalars(select(Job)).all()
        assert (job.kind, job.state, job.owner_id) == ("analytics", "queued", user.id)
        assert job.organization_id == user.memberships[0].organization_id
        assert job.config["data"]["synthetic"] and len(job.config["analyses"]) == 9
    engine.dispose()
    assert (data / "nqpf-queue.db").is_file()

    # again with --reuse: the park and the file are kept; without it: refused
    again = _demo("--data-dir", str(data), "--no-serve", "--reuse")
    assert again.exit_code == 0, again.output
    assert "沿用已有的演示园区" in again.output and accounts.read_text("utf-8") == text
    refused = _demo("--data-dir", str(data), "--no-serve")
    assert refused.exit_code != 0 and "--reset" in str(refused.exception) + refused.output


def test_demo_serves_the_seeded_database_with_its_worker(tmp_path: Path, monkeypatch):
    calls = []
    monkeypatch.setattr(web_cli, "_serve", lambda settings, **kw: calls.append((settings, kw)))
    data = tmp_path / "d"
    r = _demo("--data-dir", str(data), "--port", "8123")
    assert r.exit_code == 0, r.output
    ((settings, kw),) = calls
    assert settings.database_url == f"sqlite:///{(data / 'nqpf.db').resolve().as_posix()}"
    assert kw == {"host": "127.0.0.1", "port": 8123, "workers": 1, "job_worker": True}


@pytest.mark.parametrize("flag, expected", [((), True), (("--no-worker",), False)])
def test_serve_runs_the_job_worker_unless_told_not_to(tmp_path, monkeypatch, flag, expected):
    import uvicorn

    seen = []

    def fake_run(app, **kw):  # what runs while the server would
        seen.append(any(t.name == "nqpf-jobs" and t.is_alive() for t in threading.enumerate()))

    monkeypatch.setattr(uvicorn, "run", fake_run)
    url = f"sqlite:///{(tmp_path / 'db' / 'nqpf.db').as_posix()}"
    r = CliRunner().invoke(cli, ["serve", "--database-url", url, *flag])
    assert r.exit_code == 0, r.output
    assert seen == [expected]
    assert not any(t.name == "nqpf-jobs" for t in threading.enumerate())  # stopped on exit
    assert "nqpf 平台已停止" in r.output
