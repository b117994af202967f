"""``nqpf assess batch`` with roll-ups by industry, region and chain (示例数据, synthetic)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from nqpf.assessment import load_framework

KEY = "sme-digital-2024"
N = 30
ROOT = Path(__file__).resolve().parents[2]
DEMO_CHAINS = ROOT / "examples" / "chains-demo.yaml"
INDUSTRIES = ["C3511", "C3512", "C3521", "C1311", "C1321", "I6511"]
REGIONS = ["440305", "440306", "441900", "320102", "320583001000", "110101"]


def read_csv(path: Path, **kw) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", **kw)


def one_line_error(result) -> str:
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    fw = load_framework(KEY)
    rng = np.random.default_rng(3)
    rows = []
    for i in range(N):
        skill = i / (N - 1)
        row: dict = {"企业": f"E{i + 1:03d}"}
        for q in fw.questions:
            if q.kind == "single":
                row[q.id] = q.options[int(rng.binomial(len(q.options) - 1, skill))].id
            elif q.kind == "multi":
                plain = [o.id for o in q.options if not o.exclusive]
                chosen = [o for o in plain if rng.random() < skill] or plain[:1]
                row[q.id] = "|".join(chosen)  # never empty: "" reads back as missing
            else:
                row[q.id] = float(round(100 * skill))
        for s in fw.scenes:
            row[s.id] = int(1 + rng.binomial(3, skill))
        rows.append(row)
    df = pd.DataFrame(rows)
    df.loc[3, "equipment_digital_rate"] = 150  # E004 is a bad row
    folder = tmp_path_factory.mktemp("rollup")
    batch = folder / "batch.csv"
    df.to_csv(batch, index=False)
    ent = pd.DataFrame(
        {
            "id": [f"E{i + 1:03d}" for i in range(N) if i != 29],  # E030 has no record
            "industry": [INDUSTRIES[i % 6] for i in range(N - 1)],
            "region": [REGIONS[(i * 5) % 6] for i in range(N - 1)],
            "size": ["小型"] * (N - 1),
        }
    )
    enterprises = folder / "enterprises.csv"
    ent.to_csv(enterprises, index=False)
    return {"batch": batch, "enterprises": enterprises, "folder": folder}


def test_help_lists_rollup_options(invoke):
    res = invoke(["assess", "batch", "--help"])
    assert res.code == 0
    for opt in ("--enterprises", "--by", "--industry-level", "--region-level", "--chains"):
        assert opt in res.stdout


def test_rollup_industry_region_chain_end_to_end(files, invoke, tmp_path):
    out = tmp_path / "out"
    res = invoke(
        [
            "assess", "batch", files["batch"], "--framework", KEY, "--id-column", "企业",
            "-o", out, "-f", "csv", "--enterprises", files["enterprises"],
            "--by", "industry", "--by", "region", "--by", "chain",
            "--industry-level", "中类", "--region-level", "city", "--chains", DEMO_CHAINS,
        ]
    )  # fmt: skip
    assert res.code == 0, res.stderr
    assert "薄弱环节 weak link" in res.stdout
    for name in (
        "scores", "errors", "rollup_industry", "rollup_industry_scenes", "rollup_region",
        "rollup_region_scenes", "rollup_chain", "rollup_chain_scenes", "rollup_chains",
        "weak_links", "rollup_problems",
    ):  # fmt: skip
        assert (out / f"{name}.csv").is_file(), name
    scores = read_csv(out / "scores.csv")
    ent = read_csv(files["enterprises"], dtype=str)
    joined = scores.merge(ent, left_on="企业", right_on="id", how="inner")
    ok = joined[joined["valid"]]

    region = read_csv(out / "rollup_region.csv", dtype={"group": str}).set_index("group")
    key = joined["region"].str[:4]
    assert region["n"].to_dict() == joined.groupby(key).size().to_dict()
    assert region["n"].sum() == N - 1
    exp_mean = ok.groupby(ok["region"].str[:4])["total"].mean()
    np.testing.assert_allclose(region["mean_total"], exp_mean.reindex(region.index))

    industry = read_csv(out / "rollup_industry.csv", dtype={"group": str}).set_index("group")
    assert sorted(industry.index) == ["131", "132", "351", "352", "651"]
    exp = ok.groupby(ok["industry"].str[1:4])["total"].mean()
    np.testing.assert_allclose(industry["mean_total"], exp.reindex(industry.index))
    levels = ["未达一级", "一级", "二级", "三级", "四级"]
    assert (industry[[f"n_{lv}" for lv in levels]].sum(axis=1) == industry["n_valid"]).all()

    chain = read_csv(out / "rollup_chain.csv")
    assert chain[["chain_id", "stage_id"]].values.tolist() == [
        ["demo-ev", "materials"],
        ["demo-ev", "parts"],
        ["demo-ev", "assembly"],
        ["demo-equipment", "components"],
        ["demo-equipment", "machines"],
        ["demo-equipment", "services"],
    ]
    mat = chain.iloc[0]
    assert mat["n"] == 6 and mat["n_valid"] == 5  # E004 is bad
    weak = read_csv(out / "weak_links.csv")
    assert weak["chain_id"].tolist() == ["demo-ev", "demo-equipment"]
    for cid, g in chain.groupby("chain_id"):
        assert (
            weak.set_index("chain_id").loc[cid, "stage_id"]
            == g.loc[g["mean_total"].idxmin(), "stage_id"]
        )
    problems = read_csv(out / "rollup_problems.csv")
    assert problems[["kind", "id"]].values.tolist() == [["enterprise", "E030"]]
    used = yaml.safe_load((out / "config.used.yaml").read_text("utf-8"))
    assert used["industry_level"] == "中类" and used["region_level"] == "city"


def test_rollup_defaults_and_stale_tables_removed(files, invoke, tmp_path):
    out = tmp_path / "out"
    base = ["assess", "batch", files["batch"], "--framework", KEY, "--id-column", "企业"]
    res = invoke([*base, "-o", out, "-f", "csv", "--enterprises", files["enterprises"]])
    assert res.code == 0, res.stderr
    region = read_csv(out / "rollup_region.csv", dtype={"group": str})
    assert sorted(region["group"]) == ["11", "32", "44"]  # province by default
    assert (out / "rollup_industry.csv").is_file() and not (out / "weak_links.csv").exists()
    res = invoke([*base, "-o", out, "-f", "csv"])  # plain batch: roll-ups removed
    assert res.code == 0, res.stderr
    assert not (out / "rollup_region.csv").exists()


def test_unknown_chain_members_are_reported(files, invoke, tmp_path):
    chains = tmp_path / "chains.yaml"
    chains.write_text(
        yaml.safe_dump(
            {
                "chains": [
                    {
                        "id": "c",
                        "name": "链",
                        "stages": [
                            {"id": "a", "name": "上", "members": ["E001", "X9"]},
                            {"id": "b", "name": "下", "members": ["E020"]},
                        ],
                    }
                ]
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = invoke(
        [
            "assess", "batch", files["batch"], "--framework", KEY, "--id-column", "企业",
            "-o", out, "-f", "csv", "--chains", chains, "--weak-metric", "share",
        ]
    )  # fmt: skip
    assert res.code == 0, res.stderr
    assert "unmatched ids" in res.stdout
    problems = read_csv(out / "rollup_problems.csv")
    assert problems[["kind", "chain_id", "stage_id", "id"]].values.tolist() == [
        ["chain_member", "c", "a", "X9"]
    ]
    assert read_csv(out / "weak_links.csv")["value"].between(0, 1).all()


@pytest.mark.parametrize(
    ("change", "extra", "expected"),
    [
        ({"region": (4, "44030")}, [], "row 6"),
        ({"industry": (2, "Z3511")}, [], "row 4"),
        # 大类 99 is in no 门类 of GB/T 4754-2017 and no mapping is given
        ({"industry": (0, "9911")}, ["--industry-level", "门类", "--by", "industry"], "row 2"),
        ({}, ["--by", "chain"], "--chains"),
        ({}, ["--by", "county"], "unknown roll-up"),
        ({}, ["--region-level", "town", "--by", "region"], "unknown region level"),
    ],
)
def test_rollup_errors_exit_2(files, invoke, tmp_path, change, extra, expected):
    ent = read_csv(files["enterprises"], dtype=str)
    for col, (pos, value) in change.items():
        ent.loc[pos, col] = value
    path = tmp_path / "ent.csv"
    ent.to_csv(path, index=False)
    args = ["assess", "batch", files["batch"], "--framework", KEY, "--id-column", "企业"]
    line = one_line_error(invoke([*args, "-o", tmp_path / "o", "--enterprises", path, *extra]))
    assert "ent.csv" in line or expected in ("--chains", "unknown roll-up", "unknown region level")
    if expected:
        assert expected in line
    if "门类" in extra:
        assert "门类" in line


def test_section_level_works_with_letter_codes(files, invoke, tmp_path):
    out = tmp_path / "out"
    res = invoke(
        [
            "assess", "batch", files["batch"], "--framework", KEY, "--id-column", "企业",
            "-o", out, "-f", "csv", "--enterprises", files["enterprises"],
            "--by", "industry", "--industry-level", "门类",
        ]
    )  # fmt: skip
    assert res.code == 0, res.stderr
    ind = read_csv(out / "rollup_industry.csv").set_index("group")
    assert ind["n"].to_dict() == {"C": 25, "I": 4}


def test_uploads_roll_up_as_the_cli_paths(files, invoke, tmp_path):
    """The service takes names and bytes (the web's uploads) as well as the CLI's paths."""
    from nqpf.services.assess import batch_table
    from nqpf.services.assess_rollup import rollup_batch
    from nqpf.services.files import InputFile

    def upload(path: Path) -> InputFile:
        return InputFile(path.name, path.read_bytes())

    out = tmp_path / "out"
    args = ["--enterprises", files["enterprises"], "--chains", DEMO_CHAINS]
    base = ["assess", "batch", files["batch"], "--framework", KEY, "--id-column", "企业"]
    assert invoke([*base, "-o", out, "-f", "csv", *args]).code == 0
    batch = upload(files["batch"])
    roll = rollup_batch(
        batch_table(batch.data, batch.name, KEY, id_column="企业"),
        enterprises=upload(files["enterprises"]),
        chains=upload(DEMO_CHAINS),
        responses=batch,
        id_column="企业",
    )
    for name in ("rollup_region", "rollup_chain", "weak_links", "rollup_problems"):
        expected = read_csv(out / f"{name}.csv", dtype={"group": str})
        got = roll.tables[name].reset_index(drop=True)
        assert got.shape == expected.shape, name
        assert got.columns.tolist() == expected.columns.tolist(), name
    assert (
        roll.tables["rollup_region"]["n"].tolist()
        == read_csv(out / "rollup_region.csv")["n"].tolist()
    )
