"""Helpers of the browser tests of the assessment pages: signing in, answering the
questionnaire of ``sme-digital-2024`` with clicks, reading answers back from the page."""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any

from tests.web.world import PASSWORD

from nqpf.assessment import Framework, load_framework
from nqpf.assessment.schema import fmt_num
from nqpf.web.formatting import score as shown_score

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page


def expect(target: Any) -> Any:
    """``playwright.sync_api.expect``, imported late: this module is also imported by the
    doctest collection, where Playwright may be missing (the browser tests then skip)."""
    from playwright.sync_api import expect as _expect

    return _expect(target)


FRAMEWORK = "sme-digital-2024"
NONE_OPTION = "__none__"  # the page's "以上均无" box of a multi-select without an exclusive option
TIMEOUT = 10_000  # ms: autosave debounce (600 ms) plus a round trip, with room for slow CI


@functools.cache
def framework() -> Framework:
    return load_framework(FRAMEWORK)


def browser_answers(fw: Framework) -> dict[str, Any]:
    """A full, varied answer set that a person can enter with clicks and typing (三级).

    Singles: the last option; multis: three non-exclusive options ("talent": 以上均无 →
    ``[]``); numbers: distinct values, one with a decimal; binding scenes level 3, the
    others levels 1–4 in turn.
    """
    numbers = iter([62.0, 48.0, 3.5, 71.0, 55.0])
    out: dict[str, Any] = {}
    for q in fw.questions:
        if q.kind == "number":
            out[q.id] = next(numbers)
        elif q.kind == "multi":
            if q.id == "talent":
                out[q.id] = []
            else:
                out[q.id] = [o.id for o in q.options if not o.exclusive][:3]
        else:
            out[q.id] = q.options[-1].id
    for i, s in enumerate(fw.scenes):
        out[s.id] = 3 if s.binding else i % 4 + 1
    return out


def sign_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    expect(page).not_to_have_url(f"{base}/login", timeout=TIMEOUT)


def answer_input(page: Page, key: str, value: Any = None) -> Locator:
    """The input of question/scene ``key`` (the one with ``value`` for radios/checkboxes)."""
    selector = f'[name="a.{key}"]'
    if value is not None:
        selector += f'[value="{value}"]'
    return page.locator(selector)


def enter(page: Page, fw: Framework, answers: dict[str, Any], keys: list[str]) -> None:
    """Answer ``keys`` in the page as a person would (click, type)."""
    kinds = {q.id: q.kind for q in fw.questions}
    for key in keys:
        value = answers[key]
        kind = kinds.get(key, "scene")
        if kind == "number":
            answer_input(page, key).fill(fmt_num(value))
        elif kind == "multi":
            for option in value or [NONE_OPTION]:
                answer_input(page, key, option).check()
        else:
            answer_input(page, key, value).check()


def expect_entered(page: Page, fw: Framework, answers: dict[str, Any], keys: list[str]) -> None:
    """The page shows ``answers`` for ``keys`` (and no other option of a multi-select)."""
    qs = {q.id: q for q in fw.questions}
    for key in keys:
        value = answers[key]
        q = qs.get(key)
        if q is not None and q.kind == "number":
            expect(answer_input(page, key)).to_have_value(fmt_num(value))
        elif q is not None and q.kind == "multi":
            chosen = value or [NONE_OPTION]
            for option in [*(o.id for o in q.options), NONE_OPTION]:
                box = answer_input(page, key, option)
                if option in chosen:
                    expect(box).to_be_checked()
                elif box.count():
                    expect(box).not_to_be_checked()
        else:
            expect(answer_input(page, key, value)).to_be_checked()


def csrf(page: Page) -> str:
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token, "no CSRF token in the page"
    return token


def submit_via_api(page: Page, base: str, enterprise_id: int, answers: dict[str, Any]) -> int:
    """Start, fill and submit an assessment through the JSON API with the page's session
    (quick set-up for the tests of the result page); returns the assessment id."""
    page.goto(f"{base}/account")
    headers = {"X-CSRF-Token": csrf(page)}
    api = f"{base}/api/v1"
    r = page.request.post(
        f"{api}/enterprises/{enterprise_id}/assessments",
        data={"framework": FRAMEWORK},
        headers=headers,
    )
    assert r.status == 201, r.text()
    row = r.json()
    r = page.request.patch(
        f"{api}/assessments/{row['id']}",
        data={"revision": row["revision"], "answers": answers},
        headers=headers,
    )
    assert r.status == 200, r.text()
    r = page.request.post(f"{api}/assessments/{row['id']}/submit", data={}, headers=headers)
    assert r.status == 200, r.text()
    assert r.json()["status"] == "submitted"
    return row["id"]


def wait_autosaved(page: Page, answered: int) -> None:
    """The autosave reached the server: the progress (from the PATCH reply) counts
    ``answered`` answers and the indicator says 已保存."""
    expect(page.locator("#progress-answered")).to_have_text(str(answered), timeout=TIMEOUT)
    expect(page.locator("#savestate")).to_have_text("已保存", timeout=TIMEOUT)


def expect_result_page(page: Page, fw: Framework, answers: dict[str, Any]) -> None:
    """The result page shows what :func:`nqpf.assessment.score` gives for ``answers``:
    level name, total, the radar chart, the scene ladder and the roadmap."""
    from nqpf.assessment import score

    expected = score(fw, answers)
    expect(page).to_have_url(re.compile(r"/assessments/\d+/result$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("评测结果")
    level = page.locator("p.muted", has_text="评测等级").locator("xpath=following-sibling::p[1]")
    expect(level).to_have_text(expected.level_name)
    expect(page.locator(".big-level")).to_have_text(expected.level_name)
    expect(page.locator("strong.total")).to_have_text(shown_score(expected.total))
    radar = page.locator(".radar-box svg")
    expect(radar).to_be_visible()
    expect(radar.locator("polygon.series")).to_have_count(1)
    ladder = page.locator("section", has=page.get_by_role("heading", name="数字化经营场景阶梯"))
    expect(ladder).to_be_visible()
    expect(ladder.locator("table.ladder tbody tr")).to_have_count(len(fw.scenes))
    first_scene = fw.scenes[0]
    expect(ladder.get_by_role("row", name=first_scene.name)).to_contain_text(
        f"{answers[first_scene.id]} 级"
    )
    roadmap = page.locator("section", has=page.get_by_role("heading", name="提升路线图"))
    expect(roadmap).to_be_visible()
    expect(roadmap.get_by_role("heading")).to_contain_text("目标：")
    if expected.next_level:
        expect(page.locator("ul.conditions li")).to_have_count(len(expected.next_level))
