"""Roll-up by industry, region, chain stage and weak links (示例数据: synthetic enterprises)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nqpf.assessment import batch_score, load_framework
from nqpf.assessment.rollup import (
    ALL_ROWS,
    ChainRollupResult,
    RollupResult,
    chain_rollup,
    chains_from_memberships,
    common_gaps,
    condition_key,
    industry_keys,
    level_names,
    parse_chains,
    region_keys,
    rollup,
    weak_links,
)
from nqpf.exceptions import DataValidationError

N = 30
INDUSTRIES = ["C3511", "C3512", "C3521", "C1311", "1321", "I6511"]
REGIONS = ["440305", "440306", "441900", "320102", "320583001000", "110101"]
LEVELS = ["未达一级", "一级", "二级", "三级", "四级"]


@pytest.fixture(scope="module")
def fw():
    return load_framework("sme-digital-2024")


def responses(fw, n: int = N, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        skill = i / (n - 1)  # spread from weak to strong enterprises
        row: dict = {}
        for q in fw.questions:
            if q.kind == "single":
                k = min(len(q.options) - 1, int(rng.binomial(len(q.options) - 1, skill)))
                row[q.id] = q.options[k].id
            elif q.kind == "multi":
                plain = [o.id for o in q.options if not o.exclusive]
                row[q.id] = "|".join(o for o in plain if rng.random() < skill)
            else:
                row[q.id] = float(round(100 * min(1.0, skill + rng.normal(0, 0.1)) if skill else 0))
                row[q.id] = max(0.0, row[q.id])
        for s in fw.scenes:
            row[s.id] = int(min(4, max(1, 1 + rng.binomial(3, skill))))
        rows.append(row)
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def table(fw) -> pd.DataFrame:
    resp = responses(fw)
    resp.loc[5, "equipment_digital_rate"] = 150  # one invalid row
    scored = batch_score(fw, resp).scores
    scene_cols = [s.id for s in fw.scenes]
    out = scored.join(resp[scene_cols])
    out.insert(0, "id", [f"E{i:03d}" for i in range(N)])
    out["industry"] = [INDUSTRIES[i % len(INDUSTRIES)] for i in range(N)]
    out["region"] = [REGIONS[(i * 7) % len(REGIONS)] for i in range(N)]
    return out


def test_table_has_levels_spread(table):
    assert (~table["valid"]).sum() == 1
    assert table.loc[table["valid"], "level"].nunique() >= 3


def independent(table: pd.DataFrame, key: pd.Series) -> pd.DataFrame:
    ok = table[table["valid"]]
    g = ok.groupby(key[table["valid"]])
    return pd.DataFrame(
        {
            "n": table.groupby(key).size(),
            "n_valid": g.size(),
            "mean_total": g["total"].mean(),
            "median_total": g["total"].median(),
            "mean_数字化基础": g["数字化基础"].mean(),
            "share_ge": g["level"].apply(lambda s: (s.astype(int) >= 2).mean()),
        }
    )


@pytest.mark.parametrize(("level", "width"), [("province", 2), ("city", 4), ("county", 6)])
def test_region_rollup_matches_groupby(fw, table, level, width):
    r = rollup(table, "region", framework=fw, region_level=level)
    assert isinstance(r, RollupResult)
    key = table["region"].str[:width]
    exp = independent(table, key)
    got = r.groups.set_index("group")
    assert list(got.index) == sorted(key.unique())
    assert all(len(g) == width for g in got.index)
    assert got["n"].tolist() == exp["n"].tolist()
    assert got["n"].sum() == N and r.n_unassigned == 0
    assert got["n_valid"].sum() == N - 1
    np.testing.assert_allclose(got["n_valid"], exp["n_valid"].reindex(got.index).fillna(0))
    np.testing.assert_allclose(got["mean_total"], exp["mean_total"].reindex(got.index))
    np.testing.assert_allclose(got["median_total"], exp["median_total"].reindex(got.index))
    np.testing.assert_allclose(got["mean_数字化基础"], exp["mean_数字化基础"].reindex(got.index))
    np.testing.assert_allclose(got["share_ge_二级"], exp["share_ge"].reindex(got.index))
    counts = got[[f"n_{name}" for name in LEVELS]]
    assert (counts.sum(axis=1) == got["n_valid"]).all()
    shares = got[[f"share_{name}" for name in LEVELS]]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


def test_region_level_distribution_counts(fw, table):
    r = rollup(table, "region", framework=fw, region_level="city")
    ok = table[table["valid"]]
    exp = pd.crosstab(ok["region"].str[:4], ok["level"].astype(int))
    got = r.groups.set_index("group")
    for lv, name in enumerate(LEVELS):
        e = exp[lv] if lv in exp.columns else 0
        np.testing.assert_array_equal(got[f"n_{name}"], pd.Series(e).reindex(got.index).fillna(0))


@pytest.mark.parametrize(("level", "width"), [("大类", 2), ("中类", 3), ("小类", 4)])
def test_industry_levels(fw, table, level, width):
    r = rollup(table, "industry", framework=fw, industry_level=level)
    key = table["industry"].str.lstrip("CI").str[:width]
    exp = independent(table, key)
    got = r.groups.set_index("group")
    assert list(got.index) == sorted(key.unique())
    assert got["n"].tolist() == exp["n"].tolist()
    np.testing.assert_allclose(got["mean_total"], exp["mean_total"].reindex(got.index))


def test_industry_section_letter_from_code_or_mapping(fw, table):
    # '1321' has no letter: GB/T 4754-2017 puts 大类 13 in 门类 C (nqpf.codes' table)
    for sections in (None, {"13": "C"}):
        r = rollup(table, "industry", framework=fw, industry_level="section", sections=sections)
        got = r.groups.set_index("group")
        assert got.index.tolist() == ["C", "I"]
        assert got.loc["I", "n"] == 5 and got.loc["C", "n"] == 25
    unknown = table.copy()
    unknown.loc[4, "industry"] = "9911"  # no such 大类, no mapping
    with pytest.raises(DataValidationError, match="门类") as exc:
        rollup(unknown, "industry", framework=fw, industry_level="门类")
    assert exc.value.row == 4
    with pytest.raises(DataValidationError, match="contradicts"):
        industry_keys(pd.Series(["C3511"]), "门类", sections={"35": "D"})


def test_invalid_codes_name_the_row(fw, table):
    bad = table.copy()
    bad.loc[7, "region"] = "44030"
    with pytest.raises(DataValidationError) as exc:
        rollup(bad, "region", framework=fw)
    assert exc.value.row == 7 and exc.value.column == "region"
    bad.loc[9, "industry"] = "Z35"
    with pytest.raises(DataValidationError) as exc:
        rollup(bad, "industry", framework=fw)
    assert exc.value.row == 9
    with pytest.raises(DataValidationError, match="too short"):
        industry_keys(pd.Series(["C35"]), "小类")
    with pytest.raises(DataValidationError, match="unknown region level"):
        region_keys(pd.Series(["440305"]), "town")


def test_missing_codes_are_unassigned(fw, table):
    t = table.copy()
    t.loc[[0, 1], "region"] = None
    r = rollup(t, "region", framework=fw)
    assert r.n_unassigned == 2 and r.groups["n"].sum() == N - 2
    assert "未计入" in r.summary().as_text()


def test_weakest_scenes(fw, table):
    r = rollup(table, "region", framework=fw, k=3)
    assert r.weakest.groupby("group").size().eq(3).all()
    scene_cols = [s.id for s in fw.scenes]
    ok = table[table["valid"]]
    for grp, rows in r.weakest.groupby("group"):
        means = ok[ok["region"].str[:2] == grp][scene_cols].mean()
        assert rows["mean_level"].tolist() == pytest.approx(sorted(means)[:3])
        assert rows["rank"].tolist() == [1, 2, 3]
    quality = r.weakest[r.weakest["scene_id"] == "scene_quality"]
    if len(quality):
        assert quality["binding"].all()
        assert "24 在线智能检测" in quality["typical_scenes"].iloc[0]
    assert r.groups["weakest_scenes"].notna().all()


def test_generic_column_and_errors(fw, table):
    t = table.assign(size=["小型" if i % 2 else "中型" for i in range(N)])
    r = rollup(t, "size", framework=fw)
    assert r.groups["group"].tolist() == ["中型", "小型"] and r.key_level is None
    with pytest.raises(DataValidationError, match="no such column"):
        rollup(t, "chain", framework=fw)
    with pytest.raises(DataValidationError, match="unknown industry level"):
        rollup(t, "industry", framework=fw, industry_level="细类")


def test_result_contract(fw, table):
    r = rollup(table, "industry", framework=fw)
    assert r.to_frame() is r.groups
    assert "汇总 industry（大类）" in r.summary().as_text()
    with pytest.raises(AttributeError):
        r.by = "x"  # frozen


# ---------------------------------------------------------------------------- chains
CHAINS = {
    "chains": [
        {
            "id": "ev",
            "name": "新能源汽车链",
            "stages": [
                {"id": "materials", "name": "材料", "members": [f"E{i:03d}" for i in range(0, 8)]},
                {"id": "parts", "name": "零部件", "members": [f"E{i:03d}" for i in range(8, 16)]},
                {"id": "assembly", "name": "整车", "members": ["E020", "E021", "E999"]},
            ],
        },
        {
            "id": "eq",
            "name": "装备链",
            "stages": [
                {"id": "b", "name": "后段", "members": [f"E{i:03d}" for i in range(20, 30)]},
                {"id": "a", "name": "前段", "members": ["E000", "E001", "E029"]},
            ],
        },
    ]
}


def test_chain_rollup_stage_order_and_stats(fw, table):
    chains = parse_chains(CHAINS)
    r = chain_rollup(table, chains, framework=fw)
    assert isinstance(r, ChainRollupResult)
    st = r.stages
    assert st[["chain_id", "stage_id"]].values.tolist() == [
        ["ev", "materials"],
        ["ev", "parts"],
        ["ev", "assembly"],
        ["eq", "b"],
        ["eq", "a"],
    ]
    assert st["stage_order"].tolist() == [1, 2, 3, 1, 2]
    assert st["n_members"].tolist() == [8, 8, 3, 10, 3]
    assert st["n"].tolist() == [8, 8, 2, 10, 3]
    assert r.unknown.values.tolist() == [["ev", "assembly", "E999"]]
    by_id = table.set_index("id")
    for _, row in st.iterrows():
        members = next(
            s.members
            for c in chains
            for s in c.stages
            if (c.id, s.id) == (row.chain_id, row.stage_id)
        )
        sub = by_id.reindex([m for m in members if m in by_id.index])
        ok = sub[sub["valid"]]
        assert row["n_valid"] == len(ok)
        assert row["mean_total"] == pytest.approx(ok["total"].mean())
        assert row["share_ge_二级"] == pytest.approx((ok["level"].astype(int) >= 2).mean())
    # chain statistics over distinct members (E000/E001 appear once in 装备链 anyway)
    eq = r.chains.set_index("chain_id").loc["eq"]
    members = sorted({f"E{i:03d}" for i in range(20, 30)} | {"E000", "E001"})
    ok = by_id.loc[members]
    ok = ok[ok["valid"]]
    assert eq["n"] == 12
    assert eq["mean_total"] == pytest.approx(ok["total"].mean())
    assert "E999" in r.summary().as_text()


def test_weak_links_lowest_and_threshold(fw, table):
    r = chain_rollup(table, parse_chains(CHAINS), framework=fw)
    st = r.stages.set_index(["chain_id", "stage_id"])
    w = weak_links(r)
    assert w.links["chain_id"].tolist() == ["ev", "eq"]
    for cid, g in r.stages.groupby("chain_id"):
        lowest = g.loc[g["mean_total"].idxmin(), "stage_id"]
        assert w.links.set_index("chain_id").loc[cid, "stage_id"] == lowest
    assert w.links.loc[0, "stage_id"] == "materials"  # weakest enterprises are E000–E007
    w2 = weak_links(r, lowest=2)
    assert len(w2.links) == 4
    chain_mean = r.chains.set_index("chain_id")["mean_total"]
    wt = weak_links(r, threshold=5.0)
    exp = [(c, s) for (c, s), row in st.iterrows() if row["mean_total"] < chain_mean[c] - 5.0]
    assert sorted(zip(wt.links["chain_id"], wt.links["stage_id"], strict=True)) == sorted(exp)
    assert (wt.links["gap"] < -5.0).all()
    ws = weak_links(r, metric="share", lowest=1)
    assert ws.metric == "share_ge_二级"
    for cid, g in r.stages.groupby("chain_id"):
        assert ws.links.set_index("chain_id").loc[cid, "value"] == g["share_ge_二级"].min()
    assert ws.to_frame() is ws.links and "薄弱环节" in ws.summary().as_text()
    with pytest.raises(DataValidationError, match="metric"):
        weak_links(r, metric="median")


def test_stage_without_scored_member_is_never_a_weak_link(fw, table):
    data = {
        "chains": [
            {
                "id": "x",
                "name": "X",
                "stages": [
                    {"id": "ghost", "name": "空", "members": ["NOPE"]},
                    {"id": "real", "name": "实", "members": ["E010", "E011"]},
                ],
            }
        ]
    }
    r = chain_rollup(table, parse_chains(data), framework=fw)
    assert r.stages["n"].tolist() == [0, 2]
    assert weak_links(r).links["stage_id"].tolist() == ["real"]


@pytest.mark.parametrize(
    ("data", "msg"),
    [
        ({}, "chains"),
        ({"chains": [{"name": "x", "stages": []}]}, "without an id"),
        ({"chains": [{"id": "a", "stages": []}]}, "non-empty"),
        ({"chains": [{"id": "a", "stages": [{"id": "s"}, {"id": "s"}]}]}, "duplicate stage"),
        ({"chains": [{"id": "a", "stages": [{"id": "s"}]}] * 2}, "duplicate chain"),
        ({"chains": [{"id": "a", "stages": [{"id": "s", "members": "E1"}]}]}, "list"),
    ],
)
def test_parse_chains_errors(data, msg):
    with pytest.raises(DataValidationError, match=msg):
        parse_chains(data)


# ------------------------------------------------------- stored results (the dashboard)
def test_whole_table_as_one_group(fw, table):
    r = rollup(table, None, framework=fw)
    ok = table[table["valid"]]
    assert r.by == ALL_ROWS and r.groups["group"].tolist() == [ALL_ROWS]
    g = r.groups.iloc[0]
    assert (g["n"], g["n_valid"]) == (N, N - 1)
    assert g["mean_total"] == pytest.approx(ok["total"].mean())
    assert [g[f"n_{name}"] for name in level_names(fw)] == [
        int((ok["level"] == lv).sum()) for lv in range(5)
    ]
    assert rollup(table.iloc[:0], None, framework=fw).groups.empty


def test_movement_from_first_assessment(fw, table):
    rng = np.random.default_rng(5)
    t = table.assign(
        first_level=np.where(rng.random(N) < 0.6, rng.integers(0, 5, N), np.nan),
        first_total=rng.uniform(0, 100, N),
    )
    r = rollup(t, "region", framework=fw)
    for key, g in r.groups.set_index("group").iterrows():
        rows = t[t["valid"] & t["first_level"].notna() & (t["region"].str[:2] == key)]
        assert g["n_compared"] == len(rows)
        assert g["n_up"] == (rows["level"] > rows["first_level"]).sum()
        assert g["n_same"] == (rows["level"] == rows["first_level"]).sum()
        assert g["n_down"] == (rows["level"] < rows["first_level"]).sum()
        change = (rows["total"] - rows["first_total"]).mean()
        assert g["mean_change_total"] == pytest.approx(change, nan_ok=True)
    assert "n_compared" not in rollup(table, "region", framework=fw).groups


def test_chains_from_memberships_match_a_chain_file(fw, table):
    memberships = [(f"E{i:03d}", "链", ("下游", "上游", "其他")[i % 3]) for i in range(12)]
    memberships += [("E001", "链", "上游"), (7, "另一链", "")]
    chains = chains_from_memberships(memberships)
    assert [c.id for c in chains] == ["另一链", "链"]
    assert [(s.id, s.name) for s in chains[1].stages] == [
        ("上游", "上游"),
        ("下游", "下游"),
        ("其他", "其他"),
    ]
    assert chains[0].stages[0].name == "未标注环节" and chains[0].stages[0].members == ("7",)
    same = parse_chains(
        {
            "chains": [
                {
                    "id": c.id,
                    "name": c.name,
                    "stages": [
                        {"id": s.id, "name": s.name, "members": list(s.members)} for s in c.stages
                    ],
                }
                for c in chains[1:]
            ]
        }
    )
    a = chain_rollup(table, chains[1:], framework=fw)
    b = chain_rollup(table, same, framework=fw)
    pd.testing.assert_frame_equal(a.stages, b.stages)
    assert a.stages["n"].tolist() == [4, 4, 4]  # E001 listed twice in 上游 counts once


def test_common_gaps_once_per_row_most_frequent_first():
    t = pd.DataFrame(
        {
            "valid": [True, True, True, False],
            "next_level": [
                ["二级：总分需≥40，当前23（未满足）", "二级：总分需≥40，当前23（未满足）"],
                ["二级：总分需≥40，当前31（未满足）", "二级：场景需≥3，当前1（未满足）"],
                ["二级：场景需≥3，当前2（未满足）", "三级：总分需≥60，当前62（已满足）", ""],
                ["三级：总分需≥60，当前12（未满足）"],
            ],
        }
    )
    gaps = common_gaps(t)  # a tie is ordered by the condition's text
    assert gaps[["condition", "n"]].values.tolist() == [
        ["二级：场景需≥3", 2],
        ["二级：总分需≥40", 2],
    ]
    assert gaps["share"].tolist() == pytest.approx([2 / 3, 2 / 3])
    assert common_gaps(t, top=1)["condition"].tolist() == ["二级：场景需≥3"]
    assert condition_key("  ") is None and common_gaps(t.iloc[3:]).empty
