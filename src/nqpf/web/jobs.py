"""Background jobs of the platform: the ``job`` table, a huey queue and the worker.

How a job runs
--------------
1. :func:`submit` stores the job (``queued``, its JSON config, its input files and their
   content hash) and an audit event in one transaction, then puts the job's id on the
   queue.
2. A worker takes the id off the queue and calls :func:`run_job`: the job becomes
   ``running`` (only from ``queued``: a job runs once), the kind's function
   (:mod:`nqpf.services.jobs`) runs with a progress callback that stores the fraction and
   the Chinese stage label, and a heartbeat is renewed every few seconds.
3. On success the result files are inserted and the job set ``done`` in **one
   transaction**; on failure the job is set ``failed`` with a Chinese error and no result
   file exists (whole or absent).
4. A worker that dies mid-job stops renewing the heartbeat: :func:`fail_stale` (run when a
   worker starts and whenever a page polls) fails every ``running`` job whose heartbeat
   is older than the lease, so no job stays "running" forever.

The queue (huey) carries only job ids; everything the pages show is in our own tables.
Its storage matches the database: :class:`huey.SqliteHuey` in a file beside a SQLite
database (``nqpf.db`` → ``nqpf-queue.db``), :class:`huey.PostgresHuey` in the PostgreSQL
database itself (tables ``job_queue_*``).  See docs/jobs.md.

Workers: :class:`WorkerThread` runs jobs inside ``nqpf serve`` (and the tests);
``nqpf worker`` runs the huey consumer as a process of its own (:func:`run_consumer`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from nqpf.services.jobs import error_text, get_kind
from nqpf.web.authz import Actor
from nqpf.web.db import make_engine, make_session_factory
from nqpf.web.errors import NotFound
from nqpf.web.models import Job, JobFile

__all__ = [
    "DEFAULT_LEASE",
    "HEARTBEAT",
    "InputFile",
    "JobQueue",
    "WorkerThread",
    "fail_stale",
    "job_for",
    "queue_for",
    "result_file",
    "run_consumer",
    "run_job",
    "submit",
    "visible_jobs",
]

log = logging.getLogger("nqpf.jobs")

#: Seconds without a heartbeat after which a running job counts as abandoned.
DEFAULT_LEASE = 60.0
#: Seconds between heartbeats of a running job.
HEARTBEAT = 5.0
#: Seconds between progress writes (a stage change is written at once).
PROGRESS_EVERY = 0.3
#: The error of a job whose worker stopped while running it.
ABANDONED = "任务中断：工作进程在运行中停止（重启或被终止），未保存任何结果，请重新运行"
#: The error of a job the queue's storage refused.
NOT_QUEUED = "任务未能加入后台队列（队列存储不可用），请稍后重新运行"
#: The error of a job still running when its worker was asked to stop (server shutdown).
INTERRUPTED = "任务中断：服务在任务运行中停止，未保存任何结果，请重新运行"

# (session factory, job id) of the jobs this process runs now: a stopping worker fails
# those of its database left over
_RUNNING: set[tuple[int, int]] = set()


@dataclass(frozen=True)
class InputFile:
    """An input file of a job as submitted: name, media type, bytes."""

    name: str
    media_type: str
    data: bytes


def _now() -> datetime:
    return datetime.now(UTC)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------- queue


@dataclass(frozen=True)
class JobQueue:
    """The huey instance of one database URL and the task that runs a job by id."""

    database_url: str
    huey: Any
    run_task: Callable[[int], Any]

    def close(self) -> None:
        """Close this thread's connection of the queue's storage and forget the queue."""
        self.huey.storage.close()
        _QUEUES.pop(self.database_url, None)


_QUEUES: dict[str, JobQueue] = {}
# database URL → the session factory a worker of this process runs jobs with
_WORKER_SESSIONS: dict[str, sessionmaker[Session]] = {}
_LOCK = threading.Lock()


def _queue_storage(database_url: str) -> Any:
    from huey import MemoryHuey, PostgresHuey, SqliteHuey

    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database in (None, "", ":memory:"):
            return MemoryHuey("nqpf", results=False, utc=True)
        path = Path(url.database).expanduser()
        queue_file = path.with_name(f"{path.stem}-queue.db")
        return SqliteHuey("nqpf", filename=str(queue_file), results=False, utc=True)
    if backend == "postgresql":
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return PostgresHuey("nqpf", dsn=dsn, table_prefix="job_queue", results=False, utc=True)
    raise ValueError(f"no job queue storage for database backend {backend!r}")


def queue_for(database_url: str) -> JobQueue:
    """The job queue of the database at ``database_url`` (one per process and URL)."""
    with _LOCK:
        if database_url not in _QUEUES:
            huey = _queue_storage(database_url)

            @huey.task(name="nqpf.run_job")
            def run_task(job_id: int) -> None:
                run_job(_WORKER_SESSIONS[database_url], job_id)

            _QUEUES[database_url] = JobQueue(database_url, huey, run_task)
        return _QUEUES[database_url]


# ---------------------------------------------------------------------------- submit


def submit(
    session: Session,
    queue: JobQueue,
    *,
    organization_id: int,
    owner_id: int | None,
    kind: str,
    title: str,
    config: Mapping[str, Any],
    inputs: Sequence[InputFile] = (),
    rerun_of: int | None = None,
    audit: Callable[[Job], None] | None = None,
) -> Job:
    """Store a new ``queued`` job with its config and input files, then queue it.

    ``audit(job)`` adds the audit event of the caller (committed with the job).  The
    kind is checked first (:func:`nqpf.services.jobs.get_kind`).
    """
    get_kind(kind)
    files = list(inputs)
    digest = hashlib.sha256()
    for f in sorted(files, key=lambda f: f.name):
        digest.update(f"{f.name}\0{_sha256(f.data)}\0".encode())
    job = Job(
        organization_id=organization_id,
        owner_id=owner_id,
        kind=kind,
        title=title[:200],
        state="queued",
        progress=0.0,
        stage="排队等待",
        config=dict(config),
        input_sha256=digest.hexdigest(),
        summary={},
        error="",
        rerun_of=rerun_of,
    )
    try:
        session.add(job)
        session.flush()
        for f in files:
            session.add(_file(job.id, "input", f.name, f.media_type, f.data))
        if audit is not None:
            audit(job)
        session.commit()
    except Exception:
        session.rollback()
        raise
    try:
        queue.run_task(job.id)
    except Exception:  # the queue's storage refused: the job must not wait forever
        log.exception("queueing job %s", job.id)
        job.state, job.error, job.finished_at = "failed", NOT_QUEUED, _now()
        session.commit()
    return job


def _file(job_id: int, role: str, name: str, media_type: str, data: bytes) -> JobFile:
    return JobFile(
        job_id=job_id,
        role=role,
        name=name,
        media_type=media_type,
        size=len(data),
        sha256=_sha256(data),
        data=data,
    )


# ------------------------------------------------------------------------------- run


def _claim(factory: sessionmaker[Session], job_id: int) -> bool:
    now = _now()
    with factory() as session:
        claimed = session.execute(
            update(Job)
            .execution_options(synchronize_session=False)
            .where(Job.id == job_id, Job.state == "queued")
            .values(
                state="running", started_at=now, heartbeat_at=now, stage="开始运行", progress=0.0
            )
        ).rowcount
        session.commit()
    return bool(claimed)


def _store_progress(
    factory: sessionmaker[Session], job_id: int, fraction: float, stage: str
) -> None:
    with factory() as session:
        session.execute(
            update(Job)
            .execution_options(synchronize_session=False)
            .where(Job.id == job_id, Job.state == "running")
            .values(
                progress=min(max(float(fraction), 0.0), 1.0),
                stage=stage[:200],
                heartbeat_at=_now(),
            )
        )
        session.commit()


class _Heartbeat:
    """Renews a running job's heartbeat every ``every`` seconds until stopped."""

    def __init__(self, factory: sessionmaker[Session], job_id: int, every: float) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, args=(factory, job_id, every), daemon=True,
            name=f"nqpf-job-{job_id}-heartbeat",
        )  # fmt: skip

    def _beat(self, factory: sessionmaker[Session], job_id: int, every: float) -> None:
        while not self._stop.wait(every):
            try:
                with factory() as session:
                    session.execute(
                        update(Job)
                        .execution_options(synchronize_session=False)
                        .where(Job.id == job_id, Job.state == "running")
                        .values(heartbeat_at=_now())
                    )
                    session.commit()
            except Exception:  # a missed beat is retried; the lease allows several
                log.exception("heartbeat of job %s", job_id)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _load_job(factory: sessionmaker[Session], job_id: int) -> tuple[str, dict, dict[str, bytes]]:
    with factory() as session:
        job = session.get(Job, job_id)
        assert job is not None
        files = session.scalars(
            select(JobFile).where(JobFile.job_id == job_id, JobFile.role == "input")
        ).all()
        return job.kind, dict(job.config), {f.name: f.data for f in files}


def _finish(factory: sessionmaker[Session], job_id: int, output: Any) -> None:
    """Results and ``done`` in one transaction; nothing if the job is no longer running
    (failed meanwhile as abandoned)."""
    with factory() as session:
        try:
            done = session.execute(
                update(Job)
                .execution_options(synchronize_session=False)
                .where(Job.id == job_id, Job.state == "running")
                .values(
                    state="done",
                    progress=1.0,
                    stage="完成",
                    summary=dict(output.summary),
                    finished_at=_now(),
                )
            ).rowcount
            if not done:
                session.rollback()
                return
            for f in output.files:
                session.add(_file(job_id, "result", f.name, f.media_type, f.data))
            session.commit()
        except Exception:
            session.rollback()
            raise


def _fail(factory: sessionmaker[Session], job_id: int, error: str) -> None:
    with factory() as session:
        session.execute(
            update(Job)
            .execution_options(synchronize_session=False)
            .where(Job.id == job_id, Job.state.in_(("queued", "running")))
            .values(state="failed", error=error, finished_at=_now())
        )
        session.commit()


def run_job(
    factory: sessionmaker[Session], job_id: int, *, heartbeat: float = HEARTBEAT
) -> str | None:
    """Run the queued job ``job_id`` to ``done`` or ``failed``; return its final state
    (None when the job was not queued, e.g. already run)."""
    if not _claim(factory, job_id):
        return None
    _RUNNING.add((id(factory), job_id))
    last = [0.0, ""]

    def progress(fraction: float, stage: str) -> None:
        now = time.monotonic()
        if stage != last[1] or now - last[0] >= PROGRESS_EVERY:
            last[0], last[1] = now, stage
            _store_progress(factory, job_id, fraction, stage)

    try:
        kind_name, config, inputs = _load_job(factory, job_id)
        kind = get_kind(kind_name)
        with _Heartbeat(factory, job_id, heartbeat):
            output = kind.run(config, inputs, progress)
        _finish(factory, job_id, output)
    except Exception as exc:  # the job fails; the worker goes on with the next one
        log.exception("job %s failed", job_id)
        _fail(factory, job_id, error_text(exc))
        return "failed"
    finally:
        _RUNNING.discard((id(factory), job_id))
    return "done"


def fail_stale(
    session: Session, *, lease: float = DEFAULT_LEASE, now: datetime | None = None
) -> int:
    """Fail every running job whose heartbeat is older than ``lease`` seconds; return
    how many (committed).  A read first, so the pages' polls write nothing (and take no
    SQLite write lock) unless a job was abandoned."""
    cutoff = (now or _now()) - timedelta(seconds=lease)
    stale = (Job.state == "running", Job.heartbeat_at < cutoff)
    if session.scalar(select(Job.id).where(*stale).limit(1)) is None:
        session.commit()  # ends the read; nothing expires (expire_on_commit=False)
        return 0
    failed = session.execute(
        update(Job)
        .execution_options(synchronize_session=False)
        .where(*stale)
        .values(state="failed", error=ABANDONED, finished_at=_now())
    ).rowcount
    session.commit()
    return failed


# --------------------------------------------------------------------------- workers


class WorkerThread:
    """Runs queued jobs in a thread of this process (``nqpf serve``, the tests).

    ``start()`` first fails the jobs a previous worker abandoned, then takes job ids off
    the queue until ``stop()``; a job already running when ``stop()`` is called finishes
    first (or, after ``stop(timeout)``, is failed).
    """

    def __init__(
        self,
        queue: JobQueue,
        session_factory: sessionmaker[Session],
        *,
        poll: float = 0.2,
        lease: float = DEFAULT_LEASE,
    ):
        self.queue = queue
        self.session_factory = session_factory
        self.poll = poll
        self.lease = lease
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True, name="nqpf-jobs")

    def start(self) -> WorkerThread:
        _WORKER_SESSIONS[self.queue.database_url] = self.session_factory
        with self.session_factory() as session:
            fail_stale(session, lease=self.lease)
        self._thread.start()
        return self

    def _loop(self) -> None:
        huey = self.queue.huey
        while not self._stop.is_set():
            try:
                task = huey.dequeue()
                if task is None:
                    self._stop.wait(self.poll)
                    continue
                huey.execute(task)
            except Exception:  # the queue's storage hiccupped: try again shortly
                log.exception("job worker")
                self._stop.wait(self.poll)

    def stop(self, timeout: float | None = None) -> None:
        """Stop taking jobs; wait up to ``timeout`` seconds (None: as long as it takes)
        for the running job, then fail it if it is still running."""
        self._stop.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            for factory, job_id in list(_RUNNING):
                if factory == id(self.session_factory):
                    _fail(self.session_factory, job_id, INTERRUPTED)

    def __enter__(self) -> WorkerThread:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def run_consumer(database_url: str, *, workers: int = 1, lease: float = DEFAULT_LEASE) -> None:
    """Run the huey consumer for ``database_url`` in this process until SIGINT/SIGTERM
    (``nqpf worker``); abandoned jobs are failed first."""
    from huey.consumer import Consumer

    queue = queue_for(database_url)
    engine = make_engine(database_url)
    _WORKER_SESSIONS[database_url] = factory = make_session_factory(engine)
    with factory() as session:
        fail_stale(session, lease=lease)
    try:
        Consumer(queue.huey, workers=workers, worker_type="thread", periodic=False).run()
    finally:
        engine.dispose()


# ---------------------------------------------------------------------- authorisation


def visible_jobs(actor: Actor) -> Any:
    """A WHERE clause on :class:`Job`: the jobs of the actor's organizations."""
    return Job.organization_id.in_(list(actor.roles))


def job_for(session: Session, actor: Actor, job_id: int, *, kind: str | None = None) -> Job:
    """The job ``job_id`` if it belongs to one of the actor's organizations (and is of
    ``kind``); else :class:`~nqpf.web.errors.NotFound` (its existence is not revealed)."""
    job = session.get(Job, job_id)
    if job is None or job.organization_id not in actor.roles:
        raise NotFound("任务不存在")
    if kind is not None and job.kind != kind:
        raise NotFound("任务不存在")
    return job


def result_file(session: Session, job: Job, name: str) -> JobFile:
    """A result file of ``job`` by name (NotFound when the job has none of that name)."""
    row = session.scalar(
        select(JobFile).where(
            JobFile.job_id == job.id, JobFile.role == "result", JobFile.name == name
        )
    )
    if row is None:
        raise NotFound("结果文件不存在")
    return row
