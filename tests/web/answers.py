"""Complete valid answers of a framework, for the assessment tests."""

from __future__ import annotations

from typing import Any

from nqpf.assessment import Framework


def complete_answers(fw: Framework, scene_level: int = 2) -> dict[str, Any]:
    """One valid answer per question (first option, one non-exclusive option, a value in
    range) and ``scene_level`` for every scene."""
    out: dict[str, Any] = {}
    for q in fw.questions:
        if q.kind == "number":
            lo, hi = q.min_value or 0.0, q.max_value or 0.0
            out[q.id] = lo + (hi - lo) / 2
        elif q.kind == "multi":
            out[q.id] = [next(o.id for o in q.options if not o.exclusive)]
        else:
            out[q.id] = q.options[0].id
    out.update(dict.fromkeys(fw.scene_ids, scene_level))
    return out


def better_answers(fw: Framework) -> dict[str, Any]:
    """Higher answers than :func:`complete_answers` (last options, all options, top rates)."""
    out: dict[str, Any] = {}
    for q in fw.questions:
        if q.kind == "number":
            out[q.id] = q.max_value
        elif q.kind == "multi":
            out[q.id] = [o.id for o in q.options if not o.exclusive]
        else:
            out[q.id] = q.options[-1].id
    out.update(dict.fromkeys(fw.scene_ids, 3))
    return out
