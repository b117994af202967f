"""Write the synthetic examples of ``nqpf evaluate`` (示例数据，非真实统计).

    .venv/bin/python examples/evaluate/make_example.py

writes beside this script, from fixed seeds:

* ``panel.csv`` — 300 made-up firms × 2016–2023 joining a programme in 2019, 2020 or
  2021 (25 % never; ``参与批次`` empty), with an effect on ``数字化得分`` that differs by
  cohort and grows with time since joining (:func:`nqpf.evaluation.synthetic.staggered_panel`);
* ``t0.json`` / ``t1.json`` — one firm's SME-2024 answers before and after its project;
* ``kpis.csv`` — that project's KPIs;
* ``programme.csv`` — 60 firms of two 细分行业 with T0/T1 totals and levels, 规上/规下
  and their eligible spend (万元), for the acceptance and subsidy rules;
* ``event_study.png`` — the event-study chart of ``panel.csv`` (CS beside TWFE).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from nqpf.evaluation.synthetic import staggered_panel

HERE = Path(__file__).resolve().parent
LABEL = "示例数据，非真实统计"

T0 = {
    "network": ["B"], "equipment_digital_rate": 30, "equipment_network_rate": 15,
    "data_collection": ["production_control"], "information_system": "B",
    "network_security": ["A"], "data_security": ["A"], "planning": "B",
    "management_mechanism": ["A"], "talent": [], "funding_rate": 4,
    "green_low_carbon": "B", "product_quality": "B", "market_performance": "B",
    "value_benefit": "B",
    "scene_product_design": 1, "scene_process_design": 1, "scene_marketing": 2,
    "scene_after_sales": 1, "scene_planning_scheduling": 1, "scene_production_control": 2,
    "scene_quality": 1, "scene_equipment": 1, "scene_safety": 1, "scene_energy": 1,
    "scene_procurement": 2, "scene_warehousing": 1, "scene_finance": 2, "scene_hr": 1,
    "scene_office": 2, "scene_decision": 1,
}  # fmt: skip
T1 = dict(
    T0,
    network=["B", "C"], equipment_digital_rate=55, equipment_network_rate=45,
    data_collection=["planning_scheduling", "production_control", "quality"],
    information_system="C", network_security=["A", "B"], planning="C",
    management_mechanism=["A", "B"], talent=["A"], funding_rate=8, product_quality="C",
    scene_planning_scheduling=2, scene_production_control=3, scene_quality=2,
    scene_equipment=2, scene_energy=2,
)  # fmt: skip


def panel() -> pd.DataFrame:
    frame, _ = staggered_panel(
        300, years=(2016, 2023), cohorts={2019: (3.0, 0.25), 2020: (2.0, 0.25), 2021: (1.5, 0.25)},
        slope=0.8, seed=2024,
    )  # fmt: skip
    return pd.DataFrame(
        {
            "企业": frame["firm"],
            "年份": frame["year"],
            "参与批次": frame["cohort"].where(frame["cohort"] > 0).astype("Int64"),
            "数字化得分": (40 + 2 * frame["y"]).round(2),
            "data_status": LABEL,
        }
    )


def programme() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 60
    t0 = rng.uniform(25, 65, n).round(1)
    t1 = np.clip(t0 + rng.normal(6, 5, n), 0, 100).round(1)
    bands = np.array([20, 40, 60, 80])
    return pd.DataFrame(
        {
            "企业": [f"E{i:03d}" for i in range(1, n + 1)],
            "细分行业": np.where(np.arange(n) < 35, "通用设备制造", "汽车零部件"),
            "规模": np.where(rng.random(n) < 0.7, "规上", "规下"),
            "total_t0": t0,
            "total_t1": t1,
            "level_t0": np.searchsorted(bands, t0, side="right"),
            "level_t1": np.searchsorted(bands, t1, side="right"),
            "eligible_spend": rng.uniform(10, 120, n).round(1),
            "data_status": LABEL,
        }
    )


def write(folder: Path = HERE) -> list[Path]:
    out = []
    for name, answers in (("t0.json", T0), ("t1.json", T1)):
        doc = {"framework": "sme-digital", "version": "2024", "note": LABEL, "responses": answers}
        (folder / name).write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", "utf-8")
        out.append(folder / name)
    kpis = pd.DataFrame(
        [
            ("单位产值能耗", 0.52, 0.45, 0.47, "tce/万元"),
            ("营业收入", "1,200 万元", "1,500 万元", "0.162 亿元", "万元"),
            ("设备联网率", 15, 40, 45, "%"),
        ],
        columns=["name", "baseline", "target", "achieved", "unit"],
    )
    for name, frame in (("kpis.csv", kpis), ("panel.csv", panel()), ("programme.csv", programme())):
        frame.to_csv(folder / name, index=False, encoding="utf-8-sig", lineterminator="\n")
        out.append(folder / name)
    return out


def chart(folder: Path = HERE) -> Path:
    """``event_study.png``: Callaway–Sant'Anna beside TWFE on ``panel.csv`` (needs the
    ``evaluation`` extra; not part of :func:`write`, whose files must regenerate byte for byte)."""
    from nqpf.services.evaluation import did_methods, event_study_png

    frame = pd.read_csv(folder / "panel.csv", encoding="utf-8-sig")
    fits = did_methods(
        frame,
        methods=("cs", "twfe"),
        unit="企业",
        time="年份",
        cohort="参与批次",
        outcome="数字化得分",
    )
    path = folder / "event_study.png"
    path.write_bytes(event_study_png(list(fits.values()), note=LABEL, dpi=110))
    return path


if __name__ == "__main__":
    for path in [*write(), chart()]:
        print(path)
