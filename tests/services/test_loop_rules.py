"""The loop's rules without a door: the provider register's state machine and rating,
project plans, needs from roadmap steps and solutions from catalogue fields."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nqpf.assessment import load_framework
from nqpf.exceptions import DataValidationError
from nqpf.matching import make_catalogue
from nqpf.services import register as reg
from nqpf.services.assess_report import analyze
from nqpf.services.needs import choose, needs_from_steps, step_suggestions
from nqpf.services.projects import check_plan, check_satisfaction, kpi_unit, on_time, overdue
from nqpf.services.solutions import read_upload, solution_fields, solution_from_fields

DAY = dt.date(2026, 3, 2)
REVIEW = {"experts": ["张工", "李工", "王工"], "score": 80, "opinion": "符合", "passed": True}
DETAILS = {
    "apply": {"statement": "申请"},
    "review": REVIEW,
    "admit": {},
    "sanction": {"kind": "warning", "reason": "交付延期"},
    "lift": {"reason": "整改完成"},
    "appeal": {"reason": "理由"},
    "decide_appeal": {"upheld": True, "opinion": "成立"},
}


def _state(status, *, appeal="", notice_until=None, previous=None):
    return reg.RegisterState(status, previous, notice_until, appeal)


# -- the register --------------------------------------------------------------------------


def test_register_happy_path_and_notice_period():
    s = reg.step(reg.RegisterState(), "apply", {"statement": "工业软件"}, today=DAY)
    assert s.after.status == "applied" and s.detail == {"statement": "工业软件"}
    s = reg.step(s.after, "review", {**REVIEW, "notice_days": 5}, today=DAY)
    assert s.after == _state("notice", notice_until=DAY + dt.timedelta(days=5))
    for day in (DAY, DAY + dt.timedelta(days=5)):  # the notice runs through its last day
        with pytest.raises(reg.TransitionError) as err:
            reg.step(s.after, "admit", {}, today=day)
        assert (
            err.value.field == "notice_until" and "公示期至 2026-03-07 结束" in err.value.reason_zh
        )
    done = reg.step(s.after, "admit", {}, today=DAY + dt.timedelta(days=6))
    assert done.after.status == "admitted" and reg.standing("admitted") == "admitted"


def test_no_admission_without_review():
    for status in (None, "applied", "rejected", "warning", "suspended", "removed", "admitted"):
        with pytest.raises(reg.TransitionError):
            reg.step(_state(status), "admit", {}, today=DAY)
    with pytest.raises(reg.TransitionError) as err:
        reg.step(_state("applied"), "admit", {}, today=DAY)
    assert err.value.reason_zh == "未经专家评审和公示，不能入库"
    failed = reg.step(_state("applied"), "review", {**REVIEW, "passed": False}, today=DAY)
    assert failed.after.status == "rejected"
    # an upheld appeal against a rejection sends the provider back to review, not to admission
    appealed = reg.step(failed.after, "appeal", {"reason": "评分有误"}, today=DAY)
    back = reg.step(appealed.after, "decide_appeal", {"upheld": True, "opinion": "重审"}, today=DAY)
    assert back.after.status == "applied"


ACTIONS = list(reg.ACTIONS)
STATES = [None, *reg.STATUSES]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, 40)), max_size=25))
def test_random_walks_admit_only_after_a_passed_review_and_its_notice(walk):
    """Whatever the order of actions and days, a provider is admitted only from the
    notice a passed review opened, after its last day; every refusal leaves the state."""
    state, day = reg.RegisterState(), DAY
    reviewed_until: dt.date | None = None
    for action, days in walk:
        day = day + dt.timedelta(days=days)
        try:
            s = reg.step(state, action, DETAILS[action], today=day)
        except reg.TransitionError:
            # allowed_actions is details aside: a sanction of another kind may be open
            warn_from = reg.SANCTIONS["warning"][2]
            kind_refused = action == "sanction" and state.status not in warn_from
            assert action not in reg.allowed_actions(state, today=day) or kind_refused
            continue
        assert action in reg.allowed_actions(state, today=day)
        if action == "review":
            reviewed_until = s.after.notice_until
        if s.after.status == "admitted" and state.status != "admitted":
            came_back = action in ("lift", "decide_appeal")
            assert came_back or (
                action == "admit" and reviewed_until is not None and day > reviewed_until
            )
        assert s.after.status in reg.STATUSES
        state = s.after


@pytest.mark.parametrize(
    ("status", "kind", "ok"),
    [(s, k, s in starts) for k, (_l, _t, starts) in reg.SANCTIONS.items() for s in STATES],
)
def test_sanctions_start_only_where_allowed(status, kind, ok):
    args = (_state(status), "sanction", {"kind": kind, "reason": "投诉属实"})
    if ok:
        s = reg.step(*args, today=DAY)
        assert s.after.status == reg.SANCTIONS[kind][1] and s.after.previous_status == status
        assert s.detail == {"kind": kind, "reason": "投诉属实"}
    else:
        with pytest.raises(reg.TransitionError):
            reg.step(*args, today=DAY)


def test_appeal_restores_the_state_before_the_sanction_or_keeps_it():
    warned = reg.step(_state("admitted"), "sanction", DETAILS["sanction"], today=DAY).after
    suspended = reg.step(
        warned, "sanction", {"kind": "suspension", "reason": "未整改"}, today=DAY
    ).after
    appealed = reg.step(suspended, "appeal", {"reason": "已整改"}, today=DAY).after
    assert appealed.appeal == "pending" and appealed.status == "suspended"
    with pytest.raises(reg.TransitionError):  # one appeal at a time
        reg.step(appealed, "appeal", {"reason": "again"}, today=DAY)
    upheld = reg.step(appealed, "decide_appeal", {"upheld": True, "opinion": "成立"}, today=DAY)
    assert upheld.after == _state("warning")
    dismissed = reg.step(appealed, "decide_appeal", {"upheld": False, "opinion": "驳回"}, today=DAY)
    assert dismissed.after == _state("suspended", previous="warning")
    with pytest.raises(reg.TransitionError):
        reg.step(dismissed.after, "decide_appeal", {"upheld": True, "opinion": "x"}, today=DAY)


@pytest.mark.parametrize(
    ("action", "details", "field"),
    [
        ("apply", {}, "statement"),
        ("apply", {"statement": "  "}, "statement"),
        ("review", {**REVIEW, "experts": []}, "experts"),
        ("review", {**REVIEW, "experts": ["张工", "张工"]}, "experts"),
        ("review", {**REVIEW, "score": 120}, "score"),
        ("review", {**REVIEW, "score": float("nan")}, "score"),
        ("review", {**REVIEW, "passed": "yes"}, "passed"),
        ("review", {**REVIEW, "opinion": ""}, "opinion"),
        ("review", {**REVIEW, "notice_days": 0}, "notice_days"),
        ("sanction", {"kind": "fine", "reason": "x"}, "kind"),
        ("sanction", {"kind": "warning"}, "reason"),
        ("nonsense", {}, "action"),
    ],
)
def test_bad_details_name_their_field_in_both_languages(action, details, field):
    start = {"apply": None, "review": "applied", "sanction": "admitted"}.get(action)
    with pytest.raises(DataValidationError) as err:
        reg.step(_state(start), action, details, today=DAY)
    assert not isinstance(err.value, reg.TransitionError)
    assert err.value.field == field and err.value.reason_zh != err.value.reason


def test_standings_and_the_best_of_several_registers():
    assert reg.standing("notice") == "pending" and reg.standing("rejected") is None
    assert reg.best_standing(["removed", "warning"]) == "warning"
    assert reg.best_standing(["rejected"]) is None
    assert reg.best_standing(["applied", "removed"]) == "pending"


def test_rating_is_shrunk_and_monotone():
    r = reg.DeliveryRecord
    assert reg.provider_rating([]) is None
    assert reg.provider_rating([r(5, 2, 2)]) == 3.7  # (2·3 + 5)/3
    assert reg.provider_rating([r(1, 2, 0)]) == 2.3  # (6 + 0.7 + 0.3)/3
    assert reg.provider_rating([r(4)]) == round((6 + 4) / 3, 1)
    many = reg.provider_rating([r(5, 1, 1)] * 50)
    assert many is not None and 4.9 <= many <= 5.0
    better, worse = [r(5, 4, 4), r(4, 4, 3)], [r(5, 4, 4), r(3, 4, 3)]
    assert reg.provider_rating(better) > reg.provider_rating(worse)
    with pytest.raises(DataValidationError):
        reg.provider_rating([r(6)])


# -- projects ------------------------------------------------------------------------------


START = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("kwargs", "field", "zh"),
    [
        (
            {"milestones": [{"title": "启动", "due": "2026-02-28"}]},
            "milestones[0].due",
            "不能早于项目开始日期",
        ),
        (
            {"milestones": [{"title": "启动", "due": "2026-03-10", "done": "2026-02-01"}]},
            "milestones[0].done",
            "不能早于",
        ),
        (
            {"milestones": [{"title": "启动", "due": "2026-03-10", "done": "2026-03-09"}]},
            "milestones[0].done",
            "不能晚于今天",
        ),
        (
            {"milestones": [{"title": "", "due": "2026-03-10"}]},
            "milestones[0].title",
            "请填写里程碑名称",
        ),
        ({"milestones": [{"title": "x", "due": "3月10日"}]}, "milestones[0].due", "应为日期"),
        (
            {"kpis": [{"name": "OEE", "baseline": 60, "target": 70, "unit": ""}]},
            "kpis[0].unit",
            "必须注明单位",
        ),
        (
            {"kpis": [{"name": "OEE", "baseline": 60, "target": 70, "unit": "furlong"}]},
            "kpis[0].unit",
            "无法识别",
        ),
        (
            {"kpis": [{"name": "OEE", "baseline": "x", "target": 70, "unit": "%"}]},
            "kpis[0].baseline",
            "应为数字",
        ),
        ({"kpis": [{"name": "OEE", "baseline": 60, "unit": "%"}]}, "kpis[0].target", "请填写"),
        ({"end": "2026-02-01"}, "end", "不能早于项目开始日期"),
        ({"budget": -1}, "budget", "不能小于 0"),
        ({"spend": "abc"}, "spend", "应为数字"),
    ],
)
def test_bad_plans_name_the_field(kwargs, field, zh):
    with pytest.raises(DataValidationError) as err:
        check_plan(start=START, today=dt.date(2026, 3, 5), **kwargs)
    assert err.value.field == field and zh in err.value.reason_zh


def test_plan_is_stored_canonically_and_tracks_the_next_due_date():
    plan = check_plan(
        start="2026-03-01", end="2026-06-30", budget="40", spend=12.5,
        milestones=[{"title": "联网", "due": "2026-04-30", "done": "2026-04-01"},
                    {"title": "上线", "due": dt.date(2026, 5, 31)}],
        kpis=[{"name": "能耗", "baseline": 100, "target": 90, "unit": "万吨标准煤"},
              {"name": "OEE", "baseline": 60, "target": 70, "actual": 65, "unit": "％"}],
        today=dt.date(2026, 4, 2),
    )  # fmt: skip
    assert plan.next_due == dt.date(2026, 5, 31) and plan.budget == 40.0
    assert [k["unit"] for k in plan.kpis] == ["万tce", "%"]
    assert on_time(plan.milestones) == (1, 2)
    assert [m["title"] for m in overdue(plan.milestones, dt.date(2026, 6, 1))] == ["上线"]
    assert overdue(plan.milestones, dt.date(2026, 5, 31)) == []
    assert kpi_unit(" 天 ") == "天" and check_satisfaction("4") == 4
    for bad in (0, 6, 3.5, "x", True, None):
        with pytest.raises(DataValidationError):
            check_satisfaction(bad)


# -- needs from roadmap steps --------------------------------------------------------------


@pytest.fixture(scope="module")
def analysis():
    fw = load_framework("sme-digital-2024")
    answers = {q.id: (q.min_value if q.kind == "number" else [] if q.kind == "multi"
               else q.options[0].id) for q in fw.questions}  # fmt: skip
    answers.update(dict.fromkeys(fw.scene_ids, 1))
    return analyze(fw, answers)


def test_roadmap_steps_become_needs_grouped_by_scene(analysis):
    suggestions = step_suggestions(analysis)
    assert len(suggestions) == len(analysis.roadmap.steps) > 1
    by_id = {s.step_id: s for s in suggestions}
    for step in analysis.roadmap.steps:
        s = by_id[step.id]
        assert s.addresses == (step.id,)
        if step.kind == "scene":
            assert s.scene == step.id and (s.current_level, s.target_level) == (step.from_, step.to)
    drafts = needs_from_steps(suggestions, enterprise_id="E1", industry="C3484",
                              size_class="small", budget_max=50, text="补充")  # fmt: skip
    assert {d.need.scene for d in drafts} == {s.scene for s in suggestions}
    assert sorted(x for d in drafts for x in d.steps) == sorted(by_id)
    for d in drafts:
        mine = [by_id[x] for x in d.steps]
        assert set(d.need.addresses) == {a for s in mine for a in s.addresses}
        assert d.need.current_level == min(s.current_level for s in mine)
        assert d.need.budget_max == 50 and d.need.text.endswith("补充")
    # moving every step to one scene makes one need
    one = needs_from_steps(suggestions, enterprise_id="E1",
                           scenes={s.step_id: "设备管理" for s in suggestions})  # fmt: skip
    assert len(one) == 1 and one[0].need.scene == "scene_equipment"


def test_bad_roadmap_choices_name_the_field(analysis):
    suggestions = step_suggestions(analysis)
    with pytest.raises(DataValidationError) as err:
        needs_from_steps([], enterprise_id="E1")
    assert err.value.field == "steps"
    with pytest.raises(DataValidationError) as err:
        choose(suggestions, [suggestions[0].step_id, "no_such_step"])
    assert err.value.field == "steps[1]" and "不在该评测的路线图中" in err.value.reason_zh
    sid = suggestions[0].step_id
    with pytest.raises(DataValidationError) as err:
        needs_from_steps(suggestions, enterprise_id="E1", scenes={sid: "月球采矿"})
    assert err.value.field == f"scenes.{sid}" and "未知场景" in err.value.reason_zh
    with pytest.raises(DataValidationError) as err:
        needs_from_steps(suggestions, enterprise_id="E1", budget_min=50, budget_max=10)
    assert err.value.field == "budget_min"


# -- solutions as catalogue fields ---------------------------------------------------------


def test_solution_fields_round_trip_the_synthetic_catalogue():
    for s in make_catalogue(60, seed=5):
        back = solution_from_fields(
            solution_fields(s), ref=s.id, provider_id=s.provider_id,
            provider_name=s.provider_name, standing=s.provider_standing, rating=s.provider_rating,
        )  # fmt: skip
        a, b = s.model_dump(), back.model_dump()
        for case in (*a["evidence"], *b["evidence"]):
            case["title"] = ""
        assert a == b


GOOD = {"name": "设备联网", "scene": "设备管理", "from_level": "2", "to_level": "3",
        "deployment": "SaaS", "price_band": "5–20万", "delivery_weeks": "6"}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "field", "zh"),
    [
        ({"scene": "月球采矿"}, "scene", "未知场景"),
        ({"to_level": "1"}, "to_level", "应高于起始等级"),
        (
            {"prerequisites": "equipment_network_rate >= 40 %；equipment_network_rate < 30 %"},
            "prerequisites",
            "相互矛盾",
        ),
        ({"evidence": "C3484 OEE提升=12"}, "evidence", "必须注明单位"),
        ({"name": ""}, "name", "请填写方案名称"),
        ({"price_band": ""}, "price_band", "价格区间"),
        ({"description": "a\x00b"}, "description", "控制字符"),
        ({"name": "x" * 201}, "name", "不能超过 200 字"),
    ],
)
def test_bad_solution_fields_name_the_column(change, field, zh):
    with pytest.raises(DataValidationError) as err:
        solution_from_fields({**GOOD, **change}, ref="A1", provider_id="P1")
    assert err.value.field == field and zh in err.value.reason_zh


def test_upload_reports_bad_rows_by_row_and_column():
    import io

    from nqpf.io.catalogue_template import catalogue_frame

    frame = catalogue_frame(make_catalogue(6, seed=2))
    frame.iloc[1, frame.columns.get_loc("场景")] = "月球采矿"
    frame.iloc[3, frame.columns.get_loc("方案名称")] = "a\x07b"
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    rows = read_upload(buf.getvalue().encode(), "目录.csv")
    assert rows.n_rows == 6 and len(rows.solutions) == 4
    assert [(e.row, e.column) for e in rows.errors] == [(3, "场景"), (5, "方案名称")]
    with pytest.raises(DataValidationError) as err:
        read_upload(b"{}", "catalogue.json")
    assert err.value.field == "file"
