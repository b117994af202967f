"""Progress of a long run: one event type for every door.

A service that takes a while (``index run``, ``analyze run``, writing outputs) calls its
``progress`` callback with :class:`Progress` events: the stage, how much of it is done
and of how much, and a line for people.  The CLI draws them as Rich progress bars (or
prints the lines when its output is not a terminal); the web's background jobs store the
latest event for the page to poll.  ``str(event)`` is the line, so a callback that prints
what it gets keeps working.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["STAGES", "Progress", "ProgressCallback", "reporter"]

#: The stages of a run, in order, with their label (Chinese first, as the CLI shows it).
STAGES: dict[str, str] = {
    "load": "读取数据 loading",
    "quality": "数据质量 quality",
    "check": "检查配置 checks",
    "weights": "确定权重 weighting",
    "aggregate": "综合指数 aggregation",
    "coupling": "耦合协调 coupling",
    "analyses": "分析 analyses",
    "tables": "整理结果 tables",
    "write": "写出文件 writing",
}


@dataclass(frozen=True)
class Progress:
    """One progress event.

    Attributes
    ----------
    stage : str
        A key of :data:`STAGES` (``"load"``, ``"weights"``, ``"write"`` …).
    done, total : int
        Units of the stage finished so far and in all (steps, files); ``done == total``
        ends the stage.
    message : str
        What was just done, for people (e.g. ``"面板: 31 个单位 × 12 期"``); may be empty.

    Examples
    --------
    >>> e = Progress("write", 3, 12, "index.csv")
    >>> str(e), e.fraction, e.label
    ('index.csv', 0.25, '写出文件 writing')
    """

    stage: str
    done: int
    total: int
    message: str = ""

    @property
    def fraction(self) -> float:
        """``done / total`` (1.0 for an empty stage)."""
        return self.done / self.total if self.total else 1.0

    @property
    def label(self) -> str:
        """The stage's label from :data:`STAGES` (the stage name when unknown)."""
        return STAGES.get(self.stage, self.stage)

    def __str__(self) -> str:
        return self.message or f"{self.label} {self.done}/{self.total}"


ProgressCallback = Callable[[Progress], None]


def reporter(progress: ProgressCallback | None) -> Callable[..., None]:
    """``say(stage, done, total, message="")``: send a :class:`Progress` event, or nothing.

    >>> events = []
    >>> say = reporter(events.append)
    >>> say("load", 1, 1, "面板: 2 个单位 × 3 期")
    >>> events[0].stage, str(events[0])
    ('load', '面板: 2 个单位 × 3 期')
    >>> reporter(None)("load", 0, 1)  # no callback: nothing happens
    """
    if progress is None:
        return lambda *_args, **_kw: None

    def say(stage: str, done: int, total: int, message: str = "") -> None:
        progress(Progress(stage, done, total, message))

    return say
