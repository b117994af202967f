"""Benchmark: the regional analytics job on the demo panel (issue 13: ≤ 30 s with the report).

Three things, each repeated, on the bundled demo panel (31 provinces × 12 years, every
disparity analysis the page offers, entropy + weighted sum):

* ``compute``  — ``run_index`` + ``run_analysis`` only (what ``nqpf index run`` and
  ``nqpf analyze run`` compute, no files);
* ``job``      — the job's function (``nqpf.services.jobs_analytics.run_analytics``): the
  same plus the HTML report, the two workbooks and the PDF (headless Chromium);
* ``queued``   — submitted through a SQLite platform database and run by the job worker
  thread, submit → ``done`` (what the page waits for).

Printed: per repetition, the median and min–max of each, the job/compute ratio, and where
the job's time goes (the stages its progress reports).  The machine may be shared: read
the spread, not one number.

Usage::

    python benchmarks/bench_analytics_job.py [--repeat 3] [--no-pdf]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from nqpf.services import analyze_run, index_run
from nqpf.services import jobs_analytics as ja
from nqpf.services.files import InputFile

FORM = {
    "filename": "demo_panel.csv", "entity": "province", "period": "year",
    "code": "province_code", "group": "region", "system": "nqpf-three-factor",
    "weighting": "entropy", "aggregation": "weighted_sum", "analyses": list(ja.ANALYSES),
    "synthetic": True,
}  # fmt: skip


def _compute(config: dict, data: bytes) -> None:
    run = index_run.run_index(
        ja._index_config(config), InputFile("demo_panel.csv", data), system=ja._system(config)
    )
    analyze_run.run_analysis(ja._analyze_config(config), run.tables["index"])


def _job(config: dict, data: bytes, stages: dict[str, float]) -> None:
    last = [time.perf_counter(), "开始"]

    def progress(fraction: float, stage: str) -> None:
        now = time.perf_counter()
        key = last[1].split("：")[0]
        stages[key] = stages.get(key, 0.0) + now - last[0]
        last[0], last[1] = now, stage

    ja.run_analytics(config, {"demo_panel.csv": data}, progress)
    key = last[1].split("：")[0]
    stages[key] = stages.get(key, 0.0) + time.perf_counter() - last[0]


def _queued(config: dict, data: bytes) -> float:
    from nqpf.web import jobs
    from nqpf.web.db import make_engine, make_session_factory, upgrade_database
    from nqpf.web.models import Job, Organization

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'nqpf.db'}"
        upgrade_database(url)
        engine = make_engine(url)
        factory = make_session_factory(engine)
        with factory() as s:
            org = Organization(name="基准", kind="authority", region_scope="44")
            s.add(org)
            s.commit()
            org_id = org.id
        queue = jobs.queue_for(url)
        with jobs.WorkerThread(queue, factory, poll=0.05), factory() as s:
            start = time.perf_counter()
            job = jobs.submit(
                s, queue, organization_id=org_id, owner_id=None, kind="analytics",
                title="bench", config=config,
                inputs=[jobs.InputFile("demo_panel.csv", "text/csv", data)],
            )  # fmt: skip
            while True:
                s.expire_all()
                state = s.get(Job, job.id).state
                s.rollback()
                if state in ("done", "failed"):
                    break
                time.sleep(0.05)
            took = time.perf_counter() - start
        queue.close()
        engine.dispose()
        assert state == "done"
        return took


def _line(name: str, times: list[float]) -> str:
    return (
        f"{name:<8} median {statistics.median(times):6.2f} s   "
        f"min–max {min(times):.2f}–{max(times):.2f} s   ({', '.join(f'{t:.2f}' for t in times)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-pdf", action="store_true", help="skip the PDF print")
    args = parser.parse_args()
    if args.no_pdf:
        ja._pdf = lambda html: None
    data = ja.dataset_bytes("demo")
    config = ja.build_config(FORM)
    _compute(config, data)  # warm-up: imports, numba caches, fonts
    compute, job, queued, stages = [], [], [], {}
    for _ in range(args.repeat):
        t = time.perf_counter()
        _compute(config, data)
        compute.append(time.perf_counter() - t)
        t = time.perf_counter()
        _job(config, data, stages)
        job.append(time.perf_counter() - t)
        queued.append(_queued(config, data))
    print(f"demo panel: 31 × 12, analyses {', '.join(config['analyses'])}; "
          f"PDF {'off' if args.no_pdf else 'on'}")  # fmt: skip
    for name, times in (("compute", compute), ("job", job), ("queued", queued)):
        print(_line(name, times))
    print(f"job / compute = {statistics.median(job) / statistics.median(compute):.1f}×;"
          f" queued − job = {statistics.median(queued) - statistics.median(job):+.2f} s")  # fmt: skip
    print("job stages (total over repetitions):")
    for stage, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"  {stage:<12} {seconds / args.repeat:6.2f} s")


if __name__ == "__main__":
    main()
