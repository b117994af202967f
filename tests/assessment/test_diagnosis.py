"""diagnose() and roadmap(): data files, gaps, exactness (brute force, MILP) and properties."""

from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nqpf.assessment import load_framework, parse_framework, score
from nqpf.assessment.diagnosis import (
    Roadmap,
    diagnose,
    load_crosswalk,
    load_step_costs,
    load_typical_scenes,
    responses_of,
    roadmap,
)
from nqpf.exceptions import ConfigError, DataValidationError

FW = load_framework("sme-digital", "2024")


def random_answers(rng: random.Random, fw=FW) -> dict:
    a: dict = {}
    for q in fw.questions:
        if q.kind == "single":
            a[q.id] = rng.choice(q.options).id
        elif q.kind == "multi":
            ids = [o.id for o in q.options if not o.exclusive]
            excl = [o.id for o in q.options if o.exclusive]
            pick = rng.sample(ids, rng.randint(0, len(ids)))
            a[q.id] = pick if pick or not excl or rng.random() < 0.5 else excl
        else:
            a[q.id] = rng.choice([rng.uniform(q.min_value, q.max_value), q.min_value, q.max_value])
    for s in fw.scenes:
        a[s.id] = rng.randint(1, 4)
    return a


# -- data files -----------------------------------------------------------------------------


def test_typical_scenes_catalogue():
    ts = load_typical_scenes()
    assert [t.number for t in ts] == list(range(1, 41))
    stages = {}
    for t in ts:
        stages[t.stage] = stages.get(t.stage, 0) + 1
    assert stages == {
        "工厂建设": 3, "产品研发": 2, "工艺设计": 2, "生产管理": 12,
        "生产作业": 10, "运营管理": 4, "产品服务": 3, "供应链管理": 4,
    }  # fmt: skip
    assert all(t.number_confidence == "official" for t in ts[:8])
    assert all(t.number_confidence == "design" for t in ts[8:])
    # descriptions only where the reference gives them (1–7), nothing invented
    assert all(t.description for t in ts[:7]) and not any(t.description for t in ts[7:])
    assert str(ts[27]) == "28 设备故障诊断与预测" and str(ts[39]) == "40 供应链物流智能配送"


def test_crosswalk_matches_reference_and_framework():
    cw = load_crosswalk()
    assert cw.confidence == "design" and cw.framework == FW.key
    assert set(cw.scenes) == set(FW.scene_ids)
    nums = {k: [t.number for t in v] for k, v in cw.scenes.items()}
    assert nums["scene_product_design"] == [4, 5]
    assert nums["scene_after_sales"] == [34, 35, 36]
    assert nums["scene_planning_scheduling"] == [8, 9, 11]
    assert nums["scene_production_control"] == [10, 20, 21, 22]
    assert nums["scene_energy"] == [16, 17, 18]
    assert nums["scene_warehousing"] == [12, 13, 40]
    for sid in ("scene_finance", "scene_hr", "scene_office", "scene_decision"):
        assert nums[sid] == [30, 31]
    assert [t.number for t in cw.for_question("network")] == [2]
    assert cw.for_question("planning") == ()
    # the two non-scene areas of §6.3 map to 2 and 39 only; no SME scene maps there
    covered = {t.number for v in cw.scenes.values() for t in v}
    areas = {t.number for _, ts in cw.areas.values() for t in ts}
    assert areas == {2, 39} and not covered & areas


def test_default_cost_table_is_marked_as_design():
    c = load_step_costs()
    assert c.confidence == "design"
    assert "非金额" in c.units
    assert set(c.scene_level.to_level) >= {2, 3, 4}


def test_bad_cost_table_names_the_field(tmp_path):
    base = load_step_costs().model_dump()
    bad = {**base, "single_option": {"base": -1, "per_point": 0.5}}
    with pytest.raises(ConfigError) as info:
        load_step_costs(bad)
    assert info.value.field == "single_option.base"
    with pytest.raises(ConfigError):
        load_step_costs(tmp_path / "missing.yaml")
    del base["scene_level"]["to_level"][3]
    r = score(FW, {**random_answers(random.Random(0)), **{s: 1 for s in FW.scene_ids}})
    with pytest.raises(ConfigError, match="scene level 2"):
        roadmap(r, 2, costs={**base, "scene_level": {"to_level": {3: 1, 4: 1}}})


# -- diagnose ------------------------------------------------------------------------------


def test_diagnose_texts_gaps_and_lost_points():
    a = random_answers(random.Random(3))
    a.update({s: 2 for s in FW.scene_ids}, scene_equipment=4, scene_energy=1)
    r = score(FW, a)
    d = diagnose(r)
    eq = d.scene("scene_equipment")
    assert eq.current_text == FW.scene("scene_equipment").levels[3] and eq.next_text is None
    en = d.scene("scene_energy")
    assert en.current_text == "人工记录能耗" and en.next_text == "系统收集水电气液能耗并统计分析"
    assert [t.number for t in en.typical_scenes] == [16, 17, 18]
    nxt = FW.level_rule.row(d.next_level) if d.next_level else None
    if nxt is not None:
        assert en.required_level == nxt.scene_level
        assert en.gap == max(nxt.scene_level - 1, 0)
    for q in d.questions:
        assert q.lost == pytest.approx(q.max_points - r.question(q.id).points)
    assert len(d.to_frame()) == 16 and len(d.questions_frame()) == 15
    assert "差距诊断" in d.summary().as_text()


# -- roadmap: contract and edge cases -------------------------------------------------------


def test_target_at_or_below_current_gives_empty_roadmap():
    a = {**random_answers(random.Random(5)), **{s: 4 for s in FW.scene_ids}}
    a.update(planning="F", information_system="E", green_low_carbon="C", product_quality="C")
    r = score(FW, a)
    rm = roadmap(r, r.level)
    assert rm.reachable and rm.steps == () and rm.total_cost == 0 and rm.projected is r
    assert roadmap(r, 0).steps == ()


def test_top_level_default_target_is_empty():
    a = {q.id: ("F" if q.id == "planning" else None) for q in FW.questions}
    for q in FW.questions:
        if q.kind == "single":
            a[q.id] = max(q.options, key=lambda o: o.points).id
        elif q.kind == "multi":
            a[q.id] = [o.id for o in q.options if not o.exclusive]
        else:
            a[q.id] = 100
    a.update({s: 4 for s in FW.scene_ids})
    r = score(FW, a)
    assert r.level == 4
    rm = roadmap(r)
    assert rm.steps == () and rm.target_level == 4 and "最高等级" in rm.message


def test_unknown_target_level_raises():
    r = score(FW, random_answers(random.Random(1)))
    with pytest.raises(DataValidationError) as info:
        roadmap(r, 5)
    assert info.value.field == "target_level" and "levels: 1, 2, 3, 4" in str(info.value)
    with pytest.raises(DataValidationError):
        roadmap(r, "3")


def test_result_and_framework_must_match():
    r = score(FW, random_answers(random.Random(1)))
    with pytest.raises(DataValidationError, match="scored with"):
        roadmap(r, framework=small_framework())


def test_roadmap_frame_summary_and_order():
    rng = random.Random(11)
    a = random_answers(rng)
    a.update({s: 1 for s in FW.scene_ids})
    r = score(FW, a)
    rm = roadmap(r, 3)
    assert isinstance(rm, Roadmap) and rm.reachable
    df = rm.to_frame()
    assert list(df.columns[:8]) == [
        "order", "kind", "id", "title", "from", "to", "points_gain", "cost",
    ]  # fmt: skip
    assert len(df) == len(rm.steps)
    kinds = [(s.kind == "scene" and s.binding) for s in rm.steps]
    assert kinds == sorted(kinds, reverse=True)  # 约束性 scene steps first
    rest = [s for s in rm.steps if not (s.kind == "scene" and s.binding)]
    ratios = [s.points_gain / s.cost for s in rest]
    assert ratios == sorted(ratios, reverse=True)
    for s in rm.steps:
        if s.kind == "scene":
            assert s.typical_scenes == load_crosswalk().scenes[s.id]
    text = rm.summary().as_text()
    assert "nqpf 设计值（非官方）" in text and "提升路线图" in text
    assert "design" not in text


def test_custom_costs_change_the_plan(tmp_path):
    a = random_answers(random.Random(2))
    a.update(planning="A", green_low_carbon="A", product_quality="A")
    r = score(FW, a)
    base = load_step_costs().model_dump()
    cheap = roadmap(r, 4)
    dear = {**base, "questions": {"planning": {"base": 1000.0}}}
    rm = roadmap(r, 4, costs=dear)
    assert rm.reachable and rm.projected.level >= 4
    assert rm.total_cost >= cheap.total_cost - 1e-9
    path = tmp_path / "c.yaml"
    import yaml

    path.write_text(yaml.safe_dump(dear, allow_unicode=True), encoding="utf-8")
    assert roadmap(r, 4, costs=path).total_cost == pytest.approx(rm.total_cost)


def test_unreachable_target_has_a_clear_message():
    fw = small_framework(top_score=11)  # max total is 10
    r = score(fw, {"q1": "A", "q2": [], "q3": 0, **{s: 1 for s in SCENES}})
    rm = roadmap(r, 3, framework=fw)
    assert not rm.reachable and rm.steps == () and rm.projected is None
    assert "无法达到目标等级" in rm.message and "满分仅10" in rm.message
    assert math.isinf(rm.total_cost)


# -- property: applying the roadmap reaches the target -------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), up=st.integers(1, 4))
def test_applying_roadmap_reaches_target(seed, up):
    rng = random.Random(seed)
    a = random_answers(rng)
    r = score(FW, a)
    target = min(r.level + up, 4)
    rm = roadmap(r, target)
    assert rm.reachable
    # apply the steps to the ORIGINAL answers independently of rm.responses
    new = dict(a)
    for s in rm.steps:
        if s.kind == "scene":
            assert s.to > s.from_ == a[s.id]
        new[s.id] = list(s.to) if s.kind == "multi" else s.to
    after = score(FW, new)
    assert after.level >= target
    assert after.total == pytest.approx(rm.projected.total)
    assert rm.total_cost == pytest.approx(sum(s.cost for s in rm.steps))
    assert after.total == pytest.approx(r.total + sum(s.points_gain for s in rm.steps))
    for s in rm.steps:  # every step is an upgrade with a positive cost
        assert s.cost > 0 and (s.kind == "scene" or s.points_gain > 0)
    if target <= r.level:
        assert rm.steps == ()


# -- exactness: an independent integer programme on SME-2024 -------------------------------


def milp_min_cost(fw, r, target, costs):
    """min cost via scipy.optimize.milp over binary 'switch to this answer' variables."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    cols, gains, groups = [], [], []
    for q in fw.questions:
        qs = r.question(q.id)
        if q.kind == "single":
            ids = []
            for o in q.options:
                g = o.points - qs.points
                if g > 1e-9:
                    ids.append(len(cols))
                    cols.append(costs.single_option.base + costs.single_option.per_point * g)
                    gains.append(g)
            groups.append(ids)
        elif q.kind == "multi":
            for o in q.options:
                if not o.exclusive and o.id not in qs.answer and o.points > 0:
                    cols.append(costs.multi_option.base + costs.multi_option.per_point * o.points)
                    gains.append(o.points)
        else:
            i = next(k for k, b in enumerate(q.bands) if b.contains(qs.answer))
            ids = []
            for j, b in enumerate(q.bands):
                g = b.points - qs.points
                if g > 1e-9:
                    ids.append(len(cols))
                    cols.append(costs.rate_band.per_band * (j - i) + costs.rate_band.per_point * g)
                    gains.append(g)
            groups.append(ids)
    nq = len(cols)
    row = fw.level_rule.row(target)
    # scene variables: y[s, k] = lift scene s to level k (k > current), at most one per scene
    scene_vars = []
    for s in fw.scenes:
        cur = r.scenes[s.id]
        ids = []
        for k in range(cur + 1, 5):
            ids.append(len(cols))
            cols.append(costs.scene_cost(s.binding, cur, k))
            gains.append(0.0)
            scene_vars.append((s, k))
        groups.append(ids)
    n = len(cols)
    A, lo, hi = [], [], []
    A.append(np.r_[gains[:nq], np.zeros(n - nq)])
    lo.append(row.min_score - r.total - 1e-7)
    hi.append(np.inf)
    for ids in groups:
        if ids:
            v = np.zeros(n)
            v[ids] = 1
            A.append(v)
            lo.append(0)
            hi.append(1)
    L = row.scene_level
    at = [r.scenes[s.id] >= L for s in fw.scenes]
    cnt, bnd = np.zeros(n), np.zeros(n)
    for j, (s, k) in enumerate(scene_vars):
        if k >= L and r.scenes[s.id] < L:
            cnt[nq + j] = 1
            bnd[nq + j] = s.binding
    A += [cnt, bnd]
    lo += [
        row.min_scenes - sum(at),
        row.min_binding - sum(a and s.binding for a, s in zip(at, fw.scenes, strict=True)),
    ]
    hi += [np.inf, np.inf]
    res = milp(
        np.array(cols),
        constraints=LinearConstraint(np.array(A), lo, hi),
        integrality=np.ones(n),
        bounds=Bounds(0, 1),
    )
    assert res.success
    return res.fun


@pytest.mark.parametrize("seed", range(40))
def test_roadmap_cost_equals_milp_optimum(seed):
    pytest.importorskip("scipy")
    rng = random.Random(1000 + seed)
    a = random_answers(rng)
    r = score(FW, a)
    target = min(r.level + rng.randint(1, 3), 4)
    if target <= r.level:
        return
    costs = load_step_costs()
    if seed % 2:  # random cost tables too
        d = costs.model_dump()
        d["scene_level"]["to_level"] = {k: rng.uniform(0.1, 20) for k in (2, 3, 4)}
        d["scene_level"]["binding_factor"] = rng.uniform(0.5, 2)
        d["single_option"] = {"base": rng.uniform(0, 3), "per_point": rng.uniform(0, 2)}
        d["multi_option"] = {"base": rng.uniform(0, 3), "per_point": rng.uniform(0, 2)}
        d["rate_band"] = {"per_band": rng.uniform(0, 3), "per_point": rng.uniform(0, 2)}
        costs = load_step_costs(d)
    rm = roadmap(r, target, costs=costs)
    assert rm.total_cost == pytest.approx(milp_min_cost(FW, r, target, costs), abs=1e-6)


# -- exactness: brute force on a small artificial framework --------------------------------

SCENES = ["s1", "s2", "s3", "s4"]


def small_framework(top_score: float = 8) -> object:
    text = f"""
id: tiny
version: "1"
name: tiny
source: test
confidence: unverified
total_points: 10
dimensions:
  - name: D
    points: 10
    sub_dimensions:
      - name: S
        weight: 100
        indicators:
          - {{name: i1, weight: 40, question: q1}}
          - {{name: i2, weight: 30, question: q2}}
          - {{name: i3, weight: 30, question: q3}}
questions:
  - id: q1
    title: single
    kind: single
    max_points: 4
    options:
      - {{id: A, label: a, points: 0}}
      - {{id: B, label: b, points: 1.25}}
      - {{id: C, label: c, points: 2.5}}
      - {{id: D, label: d, points: 4}}
  - id: q2
    title: multi
    kind: multi
    max_points: 3
    options:
      - {{id: N, label: 无, points: 0, exclusive: true}}
      - {{id: X, label: x, points: 0.5}}
      - {{id: Y, label: y, points: 1}}
      - {{id: Z, label: z, points: 1.5}}
  - id: q3
    title: rate
    kind: number
    unit: "%"
    min_value: 0
    max_value: 100
    max_points: 3
    bands:
      - {{id: A, lower: 0, upper: 50, lower_closed: true, upper_closed: true, points: 0}}
      - {{id: B, lower: 50, upper: 80, lower_closed: false, upper_closed: true, points: 1.5}}
      - {{id: C, lower: 80, upper: 100, lower_closed: false, upper_closed: true, points: 3}}
pattern_levels: [l1, l2, l3, l4]
scenes:
  - {{id: s1, name: 一, group: g, binding: true}}
  - {{id: s2, name: 二, group: g, binding: true}}
  - {{id: s3, name: 三, group: g, binding: false}}
  - {{id: s4, name: 四, group: g, binding: false}}
level_rule:
  source: test
  confidence: unverified
  score_bound: min_inclusive
  levels:
    - {{level: 1, name: 一级, min_score: 3, scene_level: 2, min_scenes: 2, min_binding: 1}}
    - {{level: 2, name: 二级, min_score: 6, scene_level: 3, min_scenes: 3, min_binding: 2}}
    - {{level: 3, name: 三级, min_score: {top_score}, scene_level: 4, min_scenes: 3, min_binding: 1}}
"""
    return parse_framework(text)


TINY = small_framework()


def brute_force(fw, r, target, c) -> float:
    """Enumerate every combination of upgraded answers and scene levels (costs by formula)."""
    q1, q2, q3 = (fw.question(k) for k in ("q1", "q2", "q3"))
    cur1, cur2, cur3 = r.question("q1"), r.question("q2"), r.question("q3")
    alt1 = [(0.0, 0.0)] + [
        (o.points - cur1.points, c.single_option.base + c.single_option.per_point * (o.points - cur1.points))
        for o in q1.options
        if o.points > cur1.points
    ]  # fmt: skip
    addable = [o for o in q2.options if not o.exclusive and o.id not in cur2.answer]
    alt2 = []
    for k in range(len(addable) + 1):
        for sub in itertools.combinations(addable, k):
            g = sum(o.points for o in sub)
            alt2.append(
                (g, sum(c.multi_option.base + c.multi_option.per_point * o.points for o in sub))
            )
    i = next(k for k, b in enumerate(q3.bands) if b.contains(cur3.answer))
    alt3 = [(0.0, 0.0)] + [
        (b.points - cur3.points, c.rate_band.per_band * (j - i) + c.rate_band.per_point * (b.points - cur3.points))
        for j, b in enumerate(q3.bands)
        if b.points > cur3.points
    ]  # fmt: skip
    row = fw.level_rule.row(target)
    binding = {s.id: s.binding for s in fw.scenes}
    scene_opts = [
        [(k, c.scene_cost(binding[s], r.scenes[s], k)) for k in range(r.scenes[s], 5)]
        for s in SCENES
    ]
    best = math.inf
    for (g1, c1), (g2, c2), (g3, c3) in itertools.product(alt1, alt2, alt3):
        if r.total + g1 + g2 + g3 < row.min_score - 1e-9:
            continue
        for combo in itertools.product(*scene_opts):
            at = [lv >= row.scene_level for lv, _ in combo]
            nb = sum(a and binding[s] for a, s in zip(at, SCENES, strict=True))
            if sum(at) >= row.min_scenes and nb >= row.min_binding:
                best = min(best, c1 + c2 + c3 + sum(cc for _, cc in combo))
    return best


cost_value = st.floats(0.01, 10, allow_nan=False, allow_infinity=False)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    q1=st.sampled_from("ABCD"),
    q2=st.sampled_from([["N"], [], ["X"], ["Y"], ["X", "Z"], ["X", "Y", "Z"]]),
    q3=st.sampled_from([0, 30, 50, 65, 80, 90, 100]),
    scenes=st.lists(st.integers(1, 4), min_size=4, max_size=4),
    target=st.integers(1, 3),
    c=st.lists(cost_value, min_size=10, max_size=10),
)
def test_roadmap_is_exact_against_brute_force(q1, q2, q3, scenes, target, c):
    r = score(TINY, {"q1": q1, "q2": q2, "q3": q3, **dict(zip(SCENES, scenes, strict=True))})
    costs = load_step_costs(
        {
            "scene_level": {"to_level": {2: c[0], 3: c[1], 4: c[2]}, "binding_factor": c[3]},
            "single_option": {"base": c[4], "per_point": c[5]},
            "multi_option": {"base": c[6], "per_point": c[7]},
            "rate_band": {"per_band": c[8], "per_point": c[9]},
        }
    )
    rm = roadmap(r, target, costs=costs, framework=TINY)
    if target <= r.level:
        assert rm.steps == () and rm.total_cost == 0
        return
    expected = brute_force(TINY, r, target, costs)
    assert rm.reachable == math.isfinite(expected)
    if rm.reachable:
        assert rm.total_cost == pytest.approx(expected, rel=1e-9, abs=1e-9)
        assert rm.projected.level >= target


def test_brute_force_joint_search_with_the_scorer_as_oracle():
    # Full joint enumeration of responses (upgrades only), judged by score() itself.
    r = score(TINY, {"q1": "B", "q2": ["N"], "q3": 30, "s1": 1, "s2": 2, "s3": 3, "s4": 1})
    c = load_step_costs()
    for target in (1, 2, 3):
        rm = roadmap(r, target, framework=TINY)
        base = responses_of(r)
        opts = {
            "q1": [o.id for o in TINY.question("q1").options if o.points >= 1.25],
            "q2": [["N"]] + [list(s) for k in (1, 2, 3) for s in itertools.combinations("XYZ", k)],
            "q3": [30, 65, 90],
        }
        best = math.inf
        for a1, a2, a3 in itertools.product(*opts.values()):
            for lv in itertools.product(*[range(base[s], 5) for s in SCENES]):
                resp = {"q1": a1, "q2": a2, "q3": a3, **dict(zip(SCENES, lv, strict=True))}
                if score(TINY, resp).level < target:
                    continue
                cost = 0.0
                p1 = TINY.question("q1").option(a1).points
                if a1 != "B":
                    cost += c.single_option.base + c.single_option.per_point * (p1 - 1.25)
                for o in a2:
                    if o != "N":
                        pts = TINY.question("q2").option(o).points
                        cost += c.multi_option.base + c.multi_option.per_point * pts
                band = {30: (0, 0.0), 65: (1, 1.5), 90: (2, 3.0)}[a3]
                cost += c.rate_band.per_band * band[0] + c.rate_band.per_point * band[1]
                for s, k in zip(SCENES, lv, strict=True):
                    cost += c.scene_cost(TINY.scene(s).binding, base[s], k)
                best = min(best, cost)
        assert rm.total_cost == pytest.approx(best)
