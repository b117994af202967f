"""Benchmark: the officers' dashboard (``nqpf.web.services.dashboard.dashboard``) on SQLite.

Target (issue 10, "one kitchen, two doors"): the dashboard computed through the library's
roll-up is at least as fast as its own accumulators were (about 0.3 s for 10,000
enterprises on SQLite).

What it does, in one run:

1. migrates a SQLite file in a temporary folder (or ``--database``, kept between runs:
   seeding 10,000 enterprises takes a minute) and seeds the demo park
   (:func:`nqpf.web.demo.seed_demo`, synthetic and seeded: ~60 % of the enterprises with a
   submitted ``sme-digital-2024`` assessment, ~25 % with two);
2. times ``dashboard(...)`` for the platform admin (every enterprise) and for the park
   officer (region scope ``4403``, about nine in ten), each ``--runs`` times after one
   warm-up call, and prints the median and fastest wall time and the median CPU time of
   the process (SQLite runs in it; CPU time is steadier on a machine shared with others).

Usage: ``python benchmarks/bench_dashboard.py [--enterprises 10000] [--runs 7]
[--database path.sqlite]``

Measured on the 2-core machine shared with other jobs (load 5–7), 10,000 enterprises
(5,997 assessed): before the switch (own accumulators) CPU median 0.28 s for the admin
and the officer; after (the library's roll-up), run alternately with the old module in
one process, CPU median 0.32 → 0.30 s (admin) and 0.31 → 0.26 s (officer), fastest wall
0.34 → 0.29 s and 0.35 → 0.21 s.  pandas may use a few threads, so CPU time is an upper
bound for the new code.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROLES = {"platform admin": "平台管理员", "region officer (4403)": "园区工作人员"}


def _seed(url: str, n: int) -> dict[str, str]:
    """Migrate and seed ``url`` unless it already holds the demo; role → e-mail."""
    from sqlalchemy import select

    from nqpf.web.config import DEFAULT_SECRET_KEY
    from nqpf.web.db import make_engine, make_session_factory, upgrade_database
    from nqpf.web.demo import DEMO_DOMAIN, is_demo_database, seed_demo
    from nqpf.web.models import Organization

    upgrade_database(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        if not is_demo_database(session):
            started = time.perf_counter()
            # services are timed without signing in: any key may seal the TOTP secrets
            seed_demo(session, secret_key=DEFAULT_SECRET_KEY, n_enterprises=n)
            print(f"seeded {n:,} enterprises in {time.perf_counter() - started:.1f} s")
        have = session.scalar(
            select(Organization.id).where(Organization.kind == "enterprise").offset(n - 1)
        )
        if have is None:
            raise SystemExit(f"{url} holds fewer than {n} enterprises; use a new --database")
    engine.dispose()
    local = {"平台管理员": "admin", "园区工作人员": "park.officer"}
    return {label: f"{local[role]}@{DEMO_DOMAIN}" for label, role in ROLES.items()}


def _time(url: str, email: str, runs: int) -> tuple[list[float], list[float], int, int]:
    from sqlalchemy import select

    from nqpf.web.authz import load_actor
    from nqpf.web.db import make_engine, make_session_factory
    from nqpf.web.models import User
    from nqpf.web.services.dashboard import dashboard

    engine = make_engine(url)
    wall, cpu = [], []
    with make_session_factory(engine)() as session:
        user = session.scalar(select(User).where(User.email == email))
        actor = load_actor(session, user, via="token")
        data = dashboard(session, actor)  # warm-up: imports, framework, SQLite page cache
        for _ in range(runs):
            session.expire_all()
            started, started_cpu = time.perf_counter(), time.process_time()
            dashboard(session, actor)
            wall.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
    engine.dispose()
    return wall, cpu, data.kpis.enterprises, data.kpis.assessed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--enterprises", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--database", type=Path, help="SQLite file (kept; seeded once)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.database or Path(tmp) / "dashboard.sqlite"
        url = f"sqlite:///{path.resolve()}"
        emails = _seed(url, args.enterprises)
        print(f"dashboard(sme-digital-2024), SQLite, median of {args.runs} runs:")
        for label, email in emails.items():
            wall, cpu, n, assessed = _time(url, email, args.runs)
            print(
                f"  {label:<22} {n:>6,} enterprises ({assessed:,} assessed): "
                f"median {statistics.median(wall):.3f} s, fastest {min(wall):.3f} s, "
                f"CPU median {statistics.median(cpu):.3f} s"
            )


if __name__ == "__main__":
    main()
