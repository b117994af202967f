"""Background jobs (nqpf.web.jobs): lifecycle, failure without partial results, a worker
killed mid-job, and the organisation boundary — on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from nqpf.exceptions import DataValidationError
from nqpf.services.jobs import JobOutput, OutputFile, error_text, get_kind, job_kind
from nqpf.web import jobs
from nqpf.web.models import Job, JobFile

ROOT = Path(__file__).resolve().parents[2]
# test kinds wait on these gates (in this process) between their steps
GATES: dict[str, threading.Event] = {}


@job_kind("test_steps", "测试任务")
def _steps(config: Mapping[str, Any], inputs: Mapping[str, bytes], progress) -> JobOutput:
    """``steps`` steps; waits on the gate ``gate`` after the first; fails at ``fail_at``
    (after one result file would have been made); ``pause`` seconds per step."""
    n = int(config["steps"])
    made = []
    for i in range(n):
        progress((i + 1) / n, f"第 {i + 1} 步")
        made.append(OutputFile(f"part{i}.txt", "text/plain", inputs["in.txt"] * (i + 1)))
        if i == 0 and config.get("gate"):
            GATES[config["gate"]].wait(30)
        if config.get("fail_at") == i:
            raise DataValidationError("bad row", row=7, zh="数值应为正数")
        time.sleep(float(config.get("pause", 0)))
    return JobOutput(files=tuple(made), summary={"steps": n})


@job_kind("test_crash", "测试任务")
def _crash(config: Mapping[str, Any], inputs: Mapping[str, bytes], progress) -> JobOutput:
    progress(0.5, "半途")
    raise RuntimeError("secret internal detail")


def _job(session, job_id: int) -> Job:
    """The job as stored now (the read transaction ends at once: an open SQLite reader
    would make the worker's writes wait)."""
    session.expire_all()
    job = session.get(Job, job_id)
    session.rollback()
    return job


def _files(session, job_id: int, role: str) -> int:
    return session.scalar(
        select(func.count())
        .select_from(JobFile)
        .where(JobFile.job_id == job_id, JobFile.role == role)
    )


def _wait(session, job_id: int, until, timeout: float = 20.0) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = _job(session, job_id)
        if until(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} stayed {job.state} ({job.progress}, {job.stage})")


def _submit(session, queue, world, kind: str, config: dict) -> Job:
    return jobs.submit(
        session,
        queue,
        organization_id=world.orgs["auth_sz"],
        owner_id=None,
        kind=kind,
        title="测试",
        config=config,
        inputs=[jobs.InputFile("in.txt", "text/plain", b"ab")],
    )


@pytest.fixture
def queue(app):
    q = jobs.queue_for(app.state.settings.database_url)
    yield q
    q.close()


@pytest.fixture
def worker(app, queue):
    with jobs.WorkerThread(queue, app.state.session_factory, poll=0.05) as w:
        yield w


def test_lifecycle_queued_running_done(app, world, queue):
    GATES["lifecycle"] = gate = threading.Event()
    with app.state.session_factory() as session:
        job = _submit(session, queue, world, "test_steps", {"steps": 3, "gate": "lifecycle"})
        assert (job.state, job.progress, job.stage) == ("queued", 0.0, "排队等待")
        assert _files(session, job.id, "input") == 1 and len(job.input_sha256) == 64
        with jobs.WorkerThread(queue, app.state.session_factory, poll=0.05):
            running = _wait(session, job.id, lambda j: j.state == "running" and j.progress > 0)
            assert running.progress == pytest.approx(1 / 3)
            assert running.stage == "第 1 步"
            assert running.started_at is not None and running.heartbeat_at is not None
            assert _files(session, job.id, "result") == 0
            gate.set()
            done = _wait(session, job.id, lambda j: j.state == "done")
        assert (done.progress, done.stage, done.summary, done.error) == (
            1.0,
            "完成",
            {"steps": 3},
            "",
        )
        assert done.finished_at >= done.started_at
        part = jobs.result_file(session, done, "part2.txt")
        assert part.data == b"ababab" and part.size == 6


def test_failing_job_keeps_no_partial_result(app, world, queue, worker):
    with app.state.session_factory() as session:
        job = _submit(session, queue, world, "test_steps", {"steps": 3, "fail_at": 1})
        failed = _wait(session, job.id, lambda j: j.state == "failed")
        assert failed.error == "任务失败：第 7 行，数值应为正数"
        assert _files(session, job.id, "result") == 0
        assert _files(session, job.id, "input") == 1  # the inputs stay, to re-run


def test_unexpected_error_shows_no_internals(app, world, queue, worker):
    with app.state.session_factory() as session:
        job = _submit(session, queue, world, "test_crash", {})
        failed = _wait(session, job.id, lambda j: j.state == "failed")
    assert "secret" not in failed.error and "Traceback" not in failed.error
    assert failed.error.startswith("任务失败：内部错误")


def test_unknown_kind_is_refused_before_storing(app, world, queue):
    with app.state.session_factory() as session, pytest.raises(DataValidationError) as err:
        _submit(session, queue, world, "no_such_kind", {})
    assert "未知的任务类型" in err.value.reason_zh
    with app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Job)) == 0


def test_a_job_runs_once(app, world, queue):
    with app.state.session_factory() as session:
        job = _submit(session, queue, world, "test_steps", {"steps": 1})
    assert jobs.run_job(app.state.session_factory, job.id) == "done"
    assert jobs.run_job(app.state.session_factory, job.id) is None


def test_stale_running_job_is_failed_fresh_one_kept(app, world, queue):
    now = datetime.now(UTC)
    with app.state.session_factory() as session:
        stale = _submit(session, queue, world, "test_steps", {"steps": 1})
        fresh = _submit(session, queue, world, "test_steps", {"steps": 1})
        for job, beat in (
            (stale, now - timedelta(seconds=61)),
            (fresh, now - timedelta(seconds=5)),
        ):
            job.state, job.started_at, job.heartbeat_at = "running", beat, beat
        session.commit()
        assert jobs.fail_stale(session, lease=60, now=now) == 1
        assert _job(session, stale.id).state == "failed"
        assert _job(session, stale.id).error == jobs.ABANDONED
        assert _job(session, fresh.id).state == "running"


_WORKER = """
import sys, time
sys.path.insert(0, {root!r})
import tests.web.test_jobs  # registers the test kinds
from nqpf.web import jobs
from nqpf.web.db import make_engine, make_session_factory
url = {url!r}
jobs.WorkerThread(jobs.queue_for(url), make_session_factory(make_engine(url)), poll=0.05).start()
time.sleep(600)
"""


def test_worker_killed_mid_job_is_failed_cleanly(app, world, queue):
    """A worker process SIGKILLed while a job runs: the job stops renewing its heartbeat,
    the next worker (or a page's poll) fails it after the lease, with no result file."""
    if app.state.engine.dialect.name != "sqlite":
        pytest.skip("the kill is the same on both; the lease's SQL runs on PostgreSQL in "
                    "test_stale_running_job_is_failed_fresh_one_kept")  # fmt: skip
    url = app.state.settings.database_url
    with app.state.session_factory() as session:
        job = _submit(session, queue, world, "test_steps", {"steps": 200, "pause": 0.1})
    proc = subprocess.Popen(
        [sys.executable, "-c", _WORKER.format(root=str(ROOT), url=url)],
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        start_new_session=True,
    )
    try:
        with app.state.session_factory() as session:
            running = _wait(session, job.id, lambda j: j.state == "running" and j.progress > 0.01)
            assert running.progress < 1
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
            later = datetime.now(UTC) + timedelta(seconds=jobs.DEFAULT_LEASE + 1)
            assert jobs.fail_stale(session, now=later) == 1
            failed = _job(session, job.id)
            assert (failed.state, failed.error) == ("failed", jobs.ABANDONED)
            assert _files(session, job.id, "result") == 0
            # a new worker does not pick the job up again
            with jobs.WorkerThread(queue, app.state.session_factory, poll=0.05):
                time.sleep(0.3)
            assert _job(session, job.id).state == "failed"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_error_text_without_location():
    assert error_text(DataValidationError("x", zh="缺少列")) == "任务失败：缺少列"
    assert get_kind("test_steps").label == "测试任务"


def test_a_job_the_queue_refuses_is_failed_not_left_waiting(app, world, queue):
    def refuse(job_id: int) -> None:
        raise OSError("queue storage unavailable")

    broken = jobs.JobQueue(queue.database_url, queue.huey, refuse)
    with app.state.session_factory() as session:
        job_id = _submit(session, broken, world, "test_steps", {"steps": 1}).id
    with app.state.session_factory() as session:
        stored = session.get(Job, job_id)
        assert (stored.state, stored.error) == ("failed", jobs.NOT_QUEUED)
        assert stored.finished_at is not None
