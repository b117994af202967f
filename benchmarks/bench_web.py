"""Load benchmark of the platform: submit-and-score and the result page under 50 users.

Targets (issue "The platform, part 1"): on this 2-core machine with PostgreSQL,
**submit-and-score p95 ≤ 150 ms at 50 concurrent users**, **result page p95 ≤ 100 ms**,
zero errors over a 5-minute run.

What it does, in one run:

1. starts a throwaway PostgreSQL server (``tests/web/postgres_server.py``; or uses
   ``--database-url``), migrates it and seeds the demo park (``nqpf.web.demo``) plus one
   member account for each of ``--users`` demo enterprises;
2. starts the app with uvicorn (``--workers`` processes) on 127.0.0.1;
3. runs Locust headless (``benchmarks/locust_platform.py``) with ``--users`` users for
   ``--minutes`` minutes: each signs in through the form, then loops start draft →
   autosave ×2 → submit → result page, with ``--wait`` seconds of think time;
4. prints requests, failures, median / p95 / p99 and throughput per request kind, checks
   that every stored assessment is consistent (submitted ⇔ has a result), and stops all.

Usage: ``python benchmarks/bench_web.py [--minutes 5] [--users 50] [--wait 1,3]
[--workers 2]`` (needs ``pip install -e '.[bench]'`` for Locust).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGETS = {"submit-and-score": 150.0, "result page": 100.0}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _seed(url: str, n_users: int, folder: Path, secret_key: str) -> Path:
    from sqlalchemy import select

    from nqpf.web.db import make_engine, make_session_factory, upgrade_database
    from nqpf.web.demo import seed_demo
    from nqpf.web.models import Membership, Organization, User, WebSession
    from nqpf.web.security import generate_token, hash_password, hash_token

    upgrade_database(url)
    engine = make_engine(url)
    password = secrets.token_urlsafe(12)
    digest = hash_password(password)
    accounts = []
    with make_session_factory(engine)() as session:
        seed_demo(session, secret_key=secret_key)  # the server's key seals the TOTP secrets
        enterprises = session.scalars(
            select(Organization).where(Organization.kind == "enterprise").order_by(Organization.id)
        ).all()[:n_users]
        for i, org in enumerate(enterprises):
            user = User(
                email=f"bench{i}@bench.test", display_name=f"bench{i}", password_hash=digest
            )
            user.memberships.append(Membership(organization=org, role="member"))
            session.add(user)
            session.flush()
            # a signed-in browser session made here, so that 50 argon2 sign-ins at the
            # start do not load the machine during the measurement (sign-in is not timed)
            cookie, csrf = generate_token(), secrets.token_urlsafe(32)
            session.add(
                WebSession(
                    user_id=user.id,
                    token_hash=hash_token(cookie),
                    csrf_token=csrf,
                    expires_at=datetime.now(UTC) + timedelta(hours=8),
                )
            )
            accounts.append(
                {
                    "email": user.email,
                    "password": password,
                    "enterprise_id": org.id,
                    "cookie": cookie,
                    "csrf": csrf,
                }
            )
        session.commit()
    engine.dispose()
    path = folder / "accounts.json"
    path.write_text(json.dumps(accounts), encoding="utf-8")
    return path


def _wait_healthy(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{base}/healthz", timeout=2) as r,
        ):
            if r.status == 200:
                return
        time.sleep(0.3)
    raise RuntimeError(f"server at {base} did not become healthy")


def _consistency(url: str) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from nqpf.web.db import make_engine
    from nqpf.web.models import Assessment

    engine = make_engine(url)
    with engine.connect() as c:
        submitted = c.scalar(
            select(func.count()).select_from(Assessment).where(Assessment.status == "submitted")
        )
        drafts = c.scalar(
            select(func.count()).select_from(Assessment).where(Assessment.status == "draft")
        )
        bad = c.scalar(
            select(func.count())
            .select_from(Assessment)
            .where((Assessment.status == "submitted") != Assessment.result.is_not(None))
        )
    engine.dispose()
    return submitted or 0, drafts or 0, bad or 0


def _report(stats_csv: Path) -> int:
    rows = list(csv.DictReader(stats_csv.open(encoding="utf-8")))
    print(f"\n{'request':<22}{'n':>8}{'fail':>6}{'median':>9}{'p95':>8}{'p99':>8}{'req/s':>8}")
    failed = 0
    for row in rows:
        name = row["Name"]
        print(
            f"{name:<22}{row['Request Count']:>8}{row['Failure Count']:>6}"
            f"{row['Median Response Time']:>9}{row['95%']:>8}{row['99%']:>8}"
            f"{float(row['Requests/s']):>8.1f}"
        )
        failed += int(row["Failure Count"])
    print()
    ok = failed == 0
    for name, target in TARGETS.items():
        row = next((r for r in rows if r["Name"] == name), None)
        if row is None:
            print(f"{name}: no requests")
            ok = False
            continue
        p95 = float(row["95%"])
        verdict = "meets" if p95 <= target else "MISSES"
        print(
            f"{name}: p95 {p95:.0f} ms vs target ≤ {target:.0f} ms → {verdict} "
            f"({target / max(p95, 1):.1f}× headroom)"
        )
        ok = ok and p95 <= target
    print(f"errors: {failed}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--wait", default="1,3", help="think time: 'lo,hi' seconds or one value")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="use this database instead of a throwaway server")
    parser.add_argument(
        "--unix-socket",
        action="store_true",
        help="connect to the throwaway server through its Unix socket instead of TCP",
    )
    args = parser.parse_args()

    from tests.web.postgres_server import PostgresServer

    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="nqpf-bench-")))
        if args.database_url:
            url = args.database_url
        else:
            server = stack.enter_context(PostgresServer())
            url = server.create_database("nqpf_bench")
            if args.unix_socket:
                url = f"postgresql+psycopg://postgres@/nqpf_bench?host={server.dir}&port={server.port}"
        secret_key = secrets.token_urlsafe(32)
        accounts = _seed(url, args.users, folder, secret_key)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        env = dict(
            os.environ,
            NQPF_DATABASE_URL=url,
            NQPF_ENV="production",
            NQPF_SECRET_KEY=secret_key,
            NQPF_COOKIE_SECURE="false",
            NQPF_LOGIN_MAX_FAILURES="1000",
        )
        uvicorn = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                os.environ.get("NQPF_BENCH_APP", "nqpf.web.main:create_app"),
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env=env,
        )
        stack.callback(uvicorn.wait, 30)
        stack.callback(uvicorn.terminate)
        _wait_healthy(base)
        print(
            f"server: uvicorn, {args.workers} workers, {url.split('@')[-1]}; "
            f"{args.users} users, think time {args.wait} s, {args.minutes:g} min"
        )
        prefix = folder / "locust"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "benchmarks/locust_platform.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.users),
                "--run-time",
                f"{int(args.minutes * 60)}s",
                "--host",
                base,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
            ],
            env=dict(os.environ, NQPF_BENCH_ACCOUNTS=str(accounts), NQPF_BENCH_WAIT=args.wait),
            check=False,
        )
        status = _report(Path(f"{prefix}_stats.csv"))
        submitted, drafts, bad = _consistency(url)
        print(f"stored: {submitted} submitted, {drafts} drafts, {bad} inconsistent")
        return status if bad == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
