"""``nqpf assess report`` writes its one file whole or not at all (issue 14, item 4)."""

from __future__ import annotations

import fcntl
import json
import os

import pytest

from nqpf.assessment import load_framework
from nqpf.services import assess_report

KEY = "sme-digital-2024"


@pytest.fixture(scope="module")
def response(tmp_path_factory):
    """A JSON response answering every question of the framework (first options, 50s)."""
    fw = load_framework(KEY)
    answers = {}
    for q in fw.questions:
        if q.kind == "single":
            answers[q.id] = q.options[-1].id
        elif q.kind == "multi":
            answers[q.id] = [o.id for o in q.options if not o.exclusive][:2]
        else:
            answers[q.id] = 50.0
    answers.update({s.id: 2 for s in fw.scenes})
    path = tmp_path_factory.mktemp("resp") / "r.json"
    path.write_text(json.dumps({"framework": KEY, "responses": answers}), encoding="utf-8")
    return path, fw, answers


def test_report_replaces_the_previous_file_and_clears_killed_runs_temporaries(
    tmp_path, response, invoke
):
    path, fw, answers = response
    out = tmp_path / "report.html"
    out.write_text("previous", encoding="utf-8")
    stale = tmp_path / ".report.html.deadbeef.tmp"  # as a killed run leaves it
    stale.write_text("half", encoding="utf-8")
    res = invoke(["assess", "report", str(path), "--name", "甲公司", "-o", str(out)])
    assert res.code == 0, res.stderr
    html = assess_report.report_html(
        assess_report.analyze(fw, answers), enterprise={"name": "甲公司"}
    )
    assert out.read_text(encoding="utf-8") == html
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_report_held_by_another_run_is_refused_before_computing(tmp_path, response, invoke):
    path, _, _ = response
    out = tmp_path / "report.html"
    out.write_text("previous", encoding="utf-8")
    fd = os.open(tmp_path / ".report.html.lock", os.O_RDWR | os.O_CREAT, 0o666)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, b"pid 4242 on host, since 2024-12-06 21:14:00")
    try:
        res = invoke(["assess", "report", str(path), "-o", str(out)])
    finally:
        os.close(fd)
    assert res.code == 2
    assert res.stderr.strip() == (
        f"错误 error: {out.resolve()}: another nqpf run (pid 4242 on host, since 2024-12-06 "
        "21:14:00) is writing this output folder; wait until it has finished, or write to "
        "another folder"
    )
    assert out.read_text(encoding="utf-8") == "previous"
