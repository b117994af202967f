"""Write the synthetic assessment demo files (示例数据，非真实统计), seed 20243.

    python examples/assess/make_demo.py

- ``responses.csv``: SME digital-level 2024 answers of 30 generated enterprises (E001–E030;
  E030 carries a deliberate error — a rate of 130 % — to show the batch error report);
- ``enterprises.csv``: id, name, GB/T 4754 industry code, NBS region code (generated);
- ``one-enterprise.json``: one enterprise's answers for ``nqpf assess score`` / ``report``.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from nqpf.assessment import load_framework

HERE = Path(__file__).parent
LABEL = "示例数据，非真实统计"
FW = load_framework("sme-digital-2024")


def responses(rng: np.random.Generator, skill: float) -> dict:
    """Answers whose quality rises with ``skill`` in [0, 1] (so levels vary)."""
    out: dict = {}
    for q in FW.questions:
        if q.kind == "number":
            out[q.id] = round(float(np.clip(rng.normal(100 * skill, 15), 0, 100)), 1)
        elif q.kind == "single":
            k = len(q.options)
            out[q.id] = q.options[int(np.clip(round(rng.normal(skill * (k - 1), 1)), 0, k - 1))].id
        else:
            opts = [o for o in q.options if not o.exclusive]
            chosen = [o.id for o in opts if rng.random() < skill]
            none = next((o.id for o in q.options if o.exclusive), None)
            out[q.id] = "|".join(chosen) if chosen else (none or opts[0].id)
    for s in FW.scenes:
        out[s.id] = int(np.clip(round(rng.normal(1 + 3 * skill, 0.8)), 1, 4))
    return out


def main() -> None:
    rng = np.random.default_rng(20243)
    industries = ["C3611", "C3670", "C3311", "C3421", "C3982", "C2710"]
    regions = ["320500", "320200", "330100", "440300", "420100", "510100"]
    rows, firms = [], []
    for i in range(1, 31):
        eid = f"E{i:03d}"
        rows.append({"id": eid, **responses(rng, float(rng.beta(2, 2)))})
        firms.append(
            {
                "id": eid,
                "name": f"示例企业{i:02d}",
                "industry": industries[int(rng.integers(len(industries)))],
                "region": regions[int(rng.integers(len(regions)))],
                "data_status": LABEL,
            }
        )
    rate = next(q.id for q in FW.questions if q.kind == "number")
    rows[-1][rate] = 130  # the deliberate error
    pd.DataFrame(rows).to_csv(HERE / "responses.csv", index=False, encoding="utf-8-sig")
    pd.DataFrame(firms).to_csv(HERE / "enterprises.csv", index=False, encoding="utf-8-sig")
    one = {k: v.split("|") if isinstance(v, str) and "|" in v else v for k, v in rows[4].items()}
    one.pop("id")
    payload = {"framework": "sme-digital", "version": "2024", "note": LABEL, "responses": one}
    (HERE / "one-enterprise.json").write_text(
        json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
