"""Background jobs, door-independent: the kinds of job and what a job's function returns.

A **job kind** is a plain function registered under a name::

    @job_kind("analytics", "区域分析")
    def run(config: Mapping[str, Any], inputs: Mapping[str, bytes], progress: JobProgress)
        -> JobOutput: ...

* ``config`` is the job's JSON configuration as stored (so the run can be repeated);
* ``inputs`` are the job's input files by name (an upload, a stored dataset);
* ``progress(fraction, stage)`` reports the share of the whole job done (0–1) and a
  Chinese stage label; :func:`stage_progress` turns the
  :class:`~nqpf.services.progress.Progress` events of a service (``run_index``,
  ``run_analysis`` …) into such calls over a slice of the job;
* the function returns a :class:`JobOutput` (result files and a small JSON summary), or
  raises: a :class:`~nqpf.exceptions.NqpfError` becomes the job's error in Chinese
  (``reason_zh``), anything else a generic Chinese error (the traceback goes to the log,
  never to the user).

The function knows nothing of databases or queues: :mod:`nqpf.web.jobs` stores the job,
queues it (huey), runs the function on a worker and keeps its state, progress and files.
A module that defines kinds is listed in :data:`KIND_MODULES`, so every worker imports it
before it looks a kind up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Protocol

from nqpf.exceptions import DataValidationError, NqpfError
from nqpf.services.progress import STAGES, Progress, ProgressCallback

__all__ = [
    "KIND_MODULES",
    "JobKind",
    "JobOutput",
    "JobProgress",
    "OutputFile",
    "error_text",
    "get_kind",
    "job_kind",
    "located_text",
    "stage_label",
    "stage_progress",
]

#: Modules that register job kinds when imported (add yours here).
KIND_MODULES: list[str] = [
    "nqpf.services.jobs_analytics",
    "nqpf.services.jobs_pdf",
    "nqpf.services.evaluation",
    "nqpf.services.jobs_report_pdf",
]

#: What a job's error says when its function failed for a reason it did not name.
INTERNAL_ERROR = "任务失败：内部错误（已记入服务器日志），请稍后重试或联系管理员"


class JobProgress(Protocol):
    """``progress(fraction, stage)``: the share of the job done (0–1) and its stage."""

    def __call__(self, fraction: float, stage: str) -> None: ...


@dataclass(frozen=True)
class OutputFile:
    """A result file of a job: its name (``report.pdf``), media type and bytes."""

    name: str
    media_type: str
    data: bytes


@dataclass(frozen=True)
class JobOutput:
    """What a job produced: its files and a small JSON summary (shown and compared)."""

    files: Sequence[OutputFile] = ()
    summary: Mapping[str, Any] = field(default_factory=dict)


Runner = Callable[[Mapping[str, Any], Mapping[str, bytes], JobProgress], JobOutput]


@dataclass(frozen=True)
class JobKind:
    """A registered kind: its name, its label for people and its function."""

    name: str
    label: str
    run: Runner


_KINDS: dict[str, JobKind] = {}


def job_kind(name: str, label: str) -> Callable[[Runner], Runner]:
    """Register the decorated function as the job kind ``name`` (label in Chinese)."""

    def register(run: Runner) -> Runner:
        _KINDS[name] = JobKind(name, label, run)
        return run

    return register


def get_kind(name: str) -> JobKind:
    """The kind ``name``, after importing :data:`KIND_MODULES`.

    Raises
    ------
    DataValidationError
        No kind of that name is registered.
    """
    for module in KIND_MODULES:
        import_module(module)
    if name not in _KINDS:
        raise DataValidationError(
            f"unknown job kind {name!r}; known: {sorted(_KINDS)}",
            field="kind",
            zh=f"未知的任务类型 {name!r}",
        )
    return _KINDS[name]


def stage_label(event: Progress) -> str:
    """The Chinese label of an event's stage, with its message: ``综合指数：熵值法``."""
    zh = event.label.split(" ")[0]
    if not event.message or event.message.startswith(zh):
        return event.message or zh
    return f"{zh}：{event.message}"


def stage_progress(
    progress: JobProgress,
    start: float,
    end: float,
    stages: Sequence[str] = tuple(STAGES),
) -> ProgressCallback:
    """A :data:`~nqpf.services.progress.ProgressCallback` reporting a service's events as
    the slice ``start``–``end`` of the job.

    The slice is cut into equal parts, one per stage of ``stages`` (the stages the
    service goes through, in order); an event at ``done/total`` of its stage reports that
    far into the stage's part.  The fraction never goes back (a stage the service skips
    leaves a jump, not a step backwards).

    Examples
    --------
    >>> seen = []
    >>> say = stage_progress(lambda f, s: seen.append((round(f, 3), s)), 0.5, 1.0,
    ...                      stages=("load", "analyses"))
    >>> say(Progress("load", 1, 1, "面板"))
    >>> say(Progress("analyses", 1, 4))
    >>> seen
    [(0.75, '读取数据：面板'), (0.812, '分析')]
    """
    order = {s: i for i, s in enumerate(stages)}
    width = (end - start) / max(len(stages), 1)
    reached = [start]

    def on_event(event: Progress) -> None:
        position = order.get(event.stage)
        if position is not None:
            reached[0] = max(reached[0], start + width * (position + event.fraction))
        progress(min(reached[0], end), stage_label(event))

    return on_event


def located_text(exc: DataValidationError) -> str:
    """An error's Chinese reason with where it is: ``文件 a.csv，第 7 行，列 'y'，应为数字``."""
    where = [
        text
        for value, text in (
            (exc.file, f"文件 {exc.file}"),
            (exc.row, f"第 {exc.row} 行"),
            (exc.column, f"列 {exc.column!r}"),
            (exc.field, f"字段 {exc.field!r}"),
        )
        if value is not None
    ]
    return "，".join([*where, exc.reason_zh])


def error_text(exc: BaseException) -> str:
    """The Chinese error a job shows for ``exc`` (no traceback)."""
    if isinstance(exc, DataValidationError):
        return f"任务失败：{located_text(exc)}"
    if isinstance(exc, NqpfError):
        return f"任务失败：{exc}"
    return INTERNAL_ERROR
