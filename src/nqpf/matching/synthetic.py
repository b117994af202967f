"""A synthetic solution catalogue (示例数据，非真实统计) for tests, benchmarks and the demo.

:func:`make_catalogue` draws ``n`` solutions from ``providers`` made-up providers across
the 56 scenes, a dozen industries, price bands and prerequisites, from a seed.  Every
provider's name ends in （示例） and every description says 示例数据: nothing here is a
real company or a real case.

>>> cat = make_catalogue(5, seed=3)
>>> len(cat), cat[0].id, cat[0].provider_name.endswith("（示例）")
(5, 'S00001', True)
>>> make_catalogue(5, seed=3) == cat
True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nqpf.matching.models import PRICE_BANDS, SIZE_CLASSES, Solution
from nqpf.matching.scenes import scenes

__all__ = ["SYNTHETIC_NOTE", "make_catalogue"]

#: The label every synthetic record carries.
SYNTHETIC_NOTE = "示例数据，非真实统计"

_PROVIDER_WORDS = ("智造", "云帆", "数联", "精益", "工云", "慧眼", "链动", "能效", "匠心", "星图")
_PROVIDER_KINDS = ("科技", "软件", "信息技术", "智能装备", "数字科技")
_TECH = {
    "产品生命周期数字化": ("三维设计", "产品生命周期管理", "仿真分析", "客户关系管理", "远程运维"),
    "生产执行数字化": ("制造执行系统", "设备联网", "预测性维护", "机器视觉", "能源管理系统", "高级计划排程"),
    "供应链数字化": ("仓储管理系统", "供应商协同", "采购平台", "物流追踪"),
    "管理决策数字化": ("企业资源计划", "财务共享", "协同办公", "经营驾驶舱", "人力资源管理"),
    "工厂建设": ("数字孪生", "工业互联网平台", "边缘计算", "工厂规划仿真"),
    "产品研发": ("三维设计", "仿真分析", "产品生命周期管理"),
    "工艺设计": ("工艺仿真", "工艺知识库", "产线仿真"),
    "生产管理": ("高级计划排程", "制造执行系统", "能源管理系统", "安全管控平台", "碳排放核算"),
    "生产作业": ("机器视觉", "预测性维护", "设备联网", "质量追溯", "先进过程控制"),
    "运营管理": ("经营驾驶舱", "精益管理", "企业资源计划"),
    "产品服务": ("远程运维", "客户关系管理", "个性化定制"),
    "供应链管理": ("供应商协同", "仓储管理系统", "物流追踪", "供应链风险预警"),
}  # fmt: skip
_EFFECTS = ("降本增效", "提升良品率", "缩短交付周期", "节能降耗", "减少停机时间", "提升库存周转")
_INDUSTRIES = (
    ("C13", "农副食品加工"), ("C17", "纺织"), ("C26", "化学原料"), ("C29", "橡胶和塑料制品"),
    ("C33", "金属制品"), ("C34", "通用设备"), ("C3511", "矿山机械"), ("C35", "专用设备"),
    ("C36", "汽车制造"), ("C38", "电气机械"), ("C39", "电子设备"), ("C3981", "电子元件"),
    ("F51", "批发"), ("G59", "仓储"),
)  # fmt: skip
_KPIS = (
    ("设备综合效率OEE提升", "%", 5, 20), ("停机时间降低", "%", 10, 40), ("良品率提升", "%", 1, 8),
    ("单位产品能耗降低", "%", 3, 15), ("交付周期缩短", "天", 2, 20), ("库存周转提升", "次/年", 1, 6),
)  # fmt: skip


def _prerequisites(
    rng: np.random.Generator, lift: dict[str, Any], sme_ids: set[str]
) -> list[dict[str, Any]]:
    options = [
        {"fact": "equipment_network_rate", "op": ">=", "value": int(rng.choice([20, 30, 40, 60])), "unit": "%"},
        {"fact": "equipment_digital_rate", "op": ">=", "value": int(rng.choice([20, 40])), "unit": "%"},
        {"fact": "has_erp", "op": "==", "value": True},
        {"fact": "has_mes", "op": "==", "value": True},
        {"fact": "information_system", "op": ">=", "value": str(rng.choice(["B", "C"]))},
    ]  # fmt: skip
    if lift["scene"] in sme_ids:
        options.append({"fact": lift["scene"], "op": ">=", "value": lift["from_level"]})
    k = int(rng.choice([0, 0, 1, 1, 2]))
    return [options[j] for j in sorted(rng.choice(len(options), size=k, replace=False))]


def make_catalogue(
    n: int, *, providers: int = 40, seed: int | np.random.Generator | None = 0
) -> list[Solution]:
    """``n`` synthetic solutions from ``providers`` providers (示例数据，非真实统计).

    Parameters
    ----------
    n
        Number of solutions.
    providers
        Number of providers they are spread over.
    seed
        Seed or :class:`numpy.random.Generator`; the same seed gives the same catalogue.
    """
    rng = np.random.default_rng(seed)
    all_scenes = scenes()
    sme_ids = {s.key for s in all_scenes if s.kind == "sme"}
    standings = rng.choice(["admitted"] * 16 + ["warning", "suspended", "pending"], size=providers)
    ratings = [
        None if rng.random() < 0.15 else round(float(rng.uniform(2.5, 5.0)), 1)
        for _ in range(providers)
    ]
    names = [
        f"{_PROVIDER_WORDS[k % len(_PROVIDER_WORDS)]}{_PROVIDER_KINDS[k % len(_PROVIDER_KINDS)]}"
        f"{k + 1:02d}（示例）"
        for k in range(providers)
    ]
    bands = list(PRICE_BANDS.values())
    out = []
    for i in range(n):
        p = int(rng.integers(providers))
        scene = all_scenes[int(rng.integers(len(all_scenes)))]
        frm = int(rng.integers(1, 4))
        lifts = [
            {
                "scene": scene.key,
                "from_level": frm,
                "to_level": int(rng.integers(frm + 1, min(frm + 2, 4) + 1)),
            }
        ]
        if rng.random() < 0.3:
            other = all_scenes[int(rng.integers(len(all_scenes)))]
            if other.key != scene.key:
                lifts.append(
                    {"scene": other.key, "from_level": frm, "to_level": lifts[0]["to_level"]}
                )
        tech = str(rng.choice(_TECH[scene.group]))
        effect = str(rng.choice(_EFFECTS))
        if rng.random() < 0.3:
            industries: list[str] = []
            served = "各行业"
        else:
            picks = rng.choice(len(_INDUSTRIES), size=int(rng.integers(1, 3)), replace=False)
            industries = [_INDUSTRIES[j][0] for j in picks]
            served = "、".join(_INDUSTRIES[j][1] for j in picks)
        lo, hi = bands[int(rng.choice(len(bands), p=[0.25, 0.3, 0.2, 0.12, 0.08, 0.05]))]
        price_min = round(float(rng.uniform(lo, (lo + hi) / 2)), 1)
        price_max = round(float(rng.uniform(max(price_min, (lo + hi) / 2), hi)), 1)
        cases = []
        for _ in range(int(rng.integers(0, 5))):
            name, unit, a, b = _KPIS[int(rng.integers(len(_KPIS)))]
            code = (
                industries[int(rng.integers(len(industries)))]
                if industries
                else _INDUSTRIES[int(rng.integers(len(_INDUSTRIES)))][0]
            )
            full = (
                code
                if len(code) == 5
                else f"{code}{int(rng.integers(1, 10)):d}" + ("1" if len(code) == 3 else "")
            )
            cases.append({"title": f"示例案例（{SYNTHETIC_NOTE}）", "industry": full[:5],
                          "kpis": [{"name": name, "value": round(float(rng.uniform(a, b)), 1), "unit": unit}]})  # fmt: skip
        sizes = (
            []
            if rng.random() < 0.5
            else list(rng.choice(list(SIZE_CLASSES), size=int(rng.integers(1, 3)), replace=False))
        )
        out.append(
            Solution.model_validate(
                {
                    "id": f"S{i + 1:05d}",
                    "provider_id": f"P{p + 1:03d}",
                    "provider_name": names[p],
                    "provider_standing": str(standings[p]),
                    "provider_rating": ratings[p],
                    "name": f"{scene.name}{tech}方案",
                    "description": f"面向{served}企业的{scene.name}{tech}服务，{effect}。{SYNTHETIC_NOTE}。",
                    "scenes": lifts,
                    "improves": ["equipment_network_rate"] if tech == "设备联网" else [],
                    "industries": industries,
                    "sizes": [str(z) for z in sizes],
                    "prerequisites": _prerequisites(rng, lifts[0], sme_ids),
                    "deployment": [
                        str(d)
                        for d in rng.choice(
                            ["saas", "private"], size=int(rng.integers(1, 3)), replace=False
                        )
                    ],
                    "price_min": price_min,
                    "price_max": price_max,
                    "delivery_weeks": int(rng.integers(2, 41)),
                    "evidence": cases,
                }
            )
        )
    return out
