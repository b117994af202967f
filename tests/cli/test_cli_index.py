"""``nqpf index …`` end to end: outputs, method switches, user errors and the small commands.

Most tests call :func:`nqpf.cli.main.main` in-process (see the ``invoke`` fixture); two
run ``python -m nqpf`` in a subprocess to cover the real entry point.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

import nqpf
from nqpf.datasets import SYNTHETIC_LABEL
from nqpf.indices import CompositeIndex
from nqpf.services.index_run import load_index_config, run_index
from nqpf.systems import load_system

SYSTEM = "nqpf-three-factor"
TITLE = "测试省域新质生产力指数"  # tests/conftest.py base_config()
DIMENSIONS = ["劳动者", "劳动资料", "劳动对象"]
SUB_DIMENSIONS = [
    "劳动者技能",
    "劳动生产率",
    "物质生产资料",
    "无形生产资料",
    "新质产业",
    "生态环境",
]
#: Files every run writes after its tables and report: effective config, data-quality
#: report, manifest.
RUN_FILES = ["config.used.yaml", "quality.html", "quality.xlsx", "manifest.json"]
TABLES = [
    "index",
    "index_wide",
    "rank_wide",
    "period_summary",
    "sub_dimensions",
    "weights",
    "dimension_weights",
    "obstacles_top",
    "obstacles_dimension",
    "coupling",
    "metadata",
]


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"province_code": str})


def one_line_error(result) -> str:
    """The single stderr line of a user error (exit 2, no traceback)."""
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("错误 error:")
    return lines[0]


# ---------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def e2e(tmp_path_factory, demo_frame_session, write_config, invoke):
    """One full run (xlsx + csv + report) of the default config on the 8 × 5 panel."""
    root = tmp_path_factory.mktemp("e2e")
    demo_frame_session.to_csv(root / "panel.csv", index=False)
    cfg = write_config(root)
    result = invoke(["index", "run", cfg])
    return root, cfg, result


def test_run_exits_zero_and_lists_every_file(e2e):
    root, _, result = e2e
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    out = root / "out"
    expected = [out / "nqpf_index.xlsx", *(out / f"{t}.csv" for t in TABLES)]
    expected += [out / "report.html", *(out / n for n in RUN_FILES)]
    for path in expected:
        assert path.is_file(), path
        assert str(path) in result.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in expected)
    # Console summary: top-10 table of the last year and the synthetic warning.
    assert f"{TITLE} — 2020 年前 10 名" in result.stdout
    assert SYNTHETIC_LABEL in result.stdout


def test_xlsx_has_one_sheet_per_table_matching_the_csv(e2e):
    out = e2e[0] / "out"
    wb = load_workbook(out / "nqpf_index.xlsx", read_only=True)
    try:
        assert wb.sheetnames == TABLES
    finally:
        wb.close()
    xl = pd.read_excel(out / "nqpf_index.xlsx", sheet_name="index", dtype={"province_code": str})
    csv = read_csv(out / "index.csv")
    assert list(xl.columns) == list(csv.columns)
    assert xl["province"].tolist() == csv["province"].tolist()
    np.testing.assert_allclose(xl["index"], csv["index"], rtol=1e-12)


def test_report_is_labelled_synthetic_and_titled(e2e):
    html = (e2e[0] / "out" / "report.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert SYNTHETIC_LABEL in html
    assert f"<title>{TITLE}</title>" in html
    for section in ("综合指数", "指标权重", "排名", "耦合协调度", "障碍因子"):
        assert section in html
    assert "data:image/png;base64," in html  # charts are embedded, nothing fetched
    assert not re.search(r"src=[\"']https?://", html)  # works offline: no remote scripts
    assert not re.search(r"<link[^>]+href=[\"']https?://", html)


def test_index_equals_composite_index_computed_directly(e2e, demo_panel):
    index = read_csv(e2e[0] / "out" / "index.csv")
    expected = CompositeIndex(system=load_system(SYSTEM)).fit_transform(demo_panel).to_frame()
    expected = expected.rename(columns={"entity": "province", "period": "year"})
    merged = index.merge(expected, on=["province", "year"], suffixes=("", "_expected"))
    assert len(merged) == len(index) == 40
    np.testing.assert_allclose(merged["index"], merged["index_expected"], rtol=1e-10)
    assert (merged["rank"] == merged["rank_expected"]).all()
    for dim in DIMENSIONS:
        np.testing.assert_allclose(merged[dim], merged[f"{dim}_expected"], rtol=1e-10)
    # Carried id columns survive, codes keep their leading digits as text.
    assert set(index["province_code"]) == {"11", "12", "31", "32", "33", "44", "51", "65"}
    assert set(index["region"]) == {"东部", "西部"}


def test_ranks_are_one_to_n_within_each_year(e2e):
    index = read_csv(e2e[0] / "out" / "index.csv")
    for year, block in index.groupby("year"):
        assert sorted(block["rank"]) == list(range(1, 9)), year
        # rank 1 is the highest index
        assert block.loc[block["rank"].idxmin(), "index"] == block["index"].max()
    wide = read_csv(e2e[0] / "out" / "rank_wide.csv")
    assert list(wide.columns) == ["province", "2016", "2017", "2018", "2019", "2020"]
    for col in wide.columns[1:]:
        assert sorted(wide[col]) == list(range(1, 9))


def test_sub_indices_sum_to_the_index_for_weighted_sum(e2e):
    index = read_csv(e2e[0] / "out" / "index.csv")
    np.testing.assert_allclose(index[DIMENSIONS].sum(axis=1), index["index"], rtol=1e-12)
    np.testing.assert_allclose(index[SUB_DIMENSIONS].sum(axis=1), index["index"], rtol=1e-12)
    assert ((index["index"] > 0) & (index["index"] <= 1)).all()


def test_weights_sum_to_one(e2e):
    out = e2e[0] / "out"
    w = read_csv(out / "weights.csv")
    assert w["id"].tolist() == list(load_system(SYSTEM).indicator_ids)
    assert (w["weight"] > 0).all()
    assert w["weight"].sum() == pytest.approx(1.0, abs=1e-12)
    assert w.groupby("dimension")["weight_in_dimension"].sum().to_numpy() == pytest.approx(1.0)
    dw = read_csv(out / "dimension_weights.csv")
    assert dw["dimension"].tolist() == DIMENSIONS
    assert dw["weight"].sum() == pytest.approx(1.0, abs=1e-12)


def test_coupling_table_is_consistent(e2e):
    coup = read_csv(e2e[0] / "out" / "coupling.csv")
    assert len(coup) == 40
    for col in ("C", "T", "D", *(f"U_{d}" for d in DIMENSIONS)):
        assert coup[col].between(0, 1).all(), col
    np.testing.assert_allclose(coup["D"], np.sqrt(coup["C"] * coup["T"]), rtol=1e-12)
    # equal subsystem weights: T is the mean of the U_i
    U = coup[[f"U_{d}" for d in DIMENSIONS]].to_numpy()
    np.testing.assert_allclose(coup["T"], U.mean(axis=1), rtol=1e-12)
    assert coup["coordination"].notna().all() and coup["coupling_stage"].notna().all()


def test_obstacle_tables(e2e):
    out = e2e[0] / "out"
    by_dim = read_csv(out / "obstacles_dimension.csv")
    np.testing.assert_allclose(by_dim[DIMENSIONS].sum(axis=1), 1.0, rtol=1e-12)
    top = read_csv(out / "obstacles_top.csv")
    assert (top["degree_1"] >= top["degree_2"]).all() and (top["degree_2"] >= top["degree_3"]).all()
    assert top["obstacle_1"].str.match(r".+ \([a-z0-9_]+\)$").all()


def test_metadata_names_data_system_and_label(e2e):
    meta = read_csv(e2e[0] / "out" / "metadata.csv").set_index("item")["value"]
    assert meta["数据性质 data status"] == SYNTHETIC_LABEL
    assert meta["标题 title"] == TITLE
    assert SYSTEM in meta["指标体系 system"]
    assert meta["单位数 units"] == "8"
    assert len(meta["数据 SHA-256"]) == 64
    assert meta["nqpf"] == nqpf.__version__


def test_config_used_loads_and_matches_the_run_config(e2e):
    root, cfg_path, _ = e2e
    used = load_index_config(root / "out" / "config.used.yaml")
    original = load_index_config(cfg_path)
    # Paths are written resolved, since the file lives in the output folder.
    assert used.data.path == str((root / original.data.path).resolve())
    assert used.output.dir == str((root / "out").resolve())
    same = {"data": {"path"}, "output": {"dir"}, "base_dir": True}
    assert used.model_dump(exclude=same) == original.model_dump(exclude=same)


def test_config_used_reruns_to_identical_index(e2e, tmp_path, invoke):
    root = e2e[0]
    rerun = invoke(
        [
            "index",
            "run",
            root / "out" / "config.used.yaml",
            "-q",
            "--no-report",
            "--format",
            "csv",
            "--out",
            tmp_path / "again",
        ]
    )
    assert rerun.code == 0, rerun.stderr
    first = read_csv(root / "out" / "index.csv")
    again = read_csv(tmp_path / "again" / "index.csv")
    pd.testing.assert_frame_equal(first, again)


def test_run_in_subprocess_via_python_m(tmp_path, demo_frame, make_config):
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    cfg = make_config({"output": {"formats": ["csv"], "report": False}})
    proc = subprocess.run(
        [sys.executable, "-m", "nqpf", "index", "run", str(cfg), "--quiet"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert [Path(p).name for p in lines] == [*(f"{t}.csv" for t in TABLES), *RUN_FILES]
    assert all(Path(p).is_file() for p in lines)


# ---------------------------------------------------------------------- option switches
def test_format_parquet_and_no_report(tmp_path, panel_csv, make_config, invoke):
    cfg = make_config()
    res = invoke(["index", "run", cfg, "-q", "--format", "parquet", "--no-report"])
    assert res.code == 0, res.stderr
    out = tmp_path / "out"
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted([*(f"{t}.parquet" for t in TABLES), *RUN_FILES])
    table = pd.read_parquet(out / "index.parquet")
    assert len(table) == 40 and {"province", "year", "index", "rank"} <= set(table.columns)
    assert table["index"].between(0, 1).all()


def test_format_is_repeatable(tmp_path, panel_csv, make_config, invoke):
    cfg = make_config()
    res = invoke(["index", "run", cfg, "-q", "-f", "csv", "-f", "parquet", "--no-report"])
    assert res.code == 0, res.stderr
    out = tmp_path / "out"
    assert (out / "index.csv").is_file() and (out / "index.parquet").is_file()
    assert not (out / "nqpf_index.xlsx").exists()
    np.testing.assert_allclose(
        read_csv(out / "index.csv")["index"], pd.read_parquet(out / "index.parquet")["index"]
    )


def test_unknown_format_is_a_user_error(tmp_path, panel_csv, make_config, invoke):
    cfg = make_config()
    line = one_line_error(invoke(["index", "run", cfg, "-q", "--format", "json"]))
    assert "json" in line and "output.formats" in line
    assert not (tmp_path / "out").exists()


def test_out_overrides_the_config_folder(tmp_path, panel_csv, make_config, invoke):
    cfg = make_config({"output": {"report": False}})
    target = tmp_path / "elsewhere" / "run1"
    res = invoke(["index", "run", cfg, "-q", "--out", target])
    assert res.code == 0, res.stderr
    assert not (tmp_path / "out").exists()
    assert (target / "nqpf_index.xlsx").is_file() and (target / "index.csv").is_file()
    assert not (target / "report.html").exists()  # report: false in the config
    assert res.stdout.split() == [
        str(target / n)
        for n in ["nqpf_index.xlsx", *(f"{t}.csv" for t in TABLES), *RUN_FILES]
    ]


def test_report_flag_overrides_config(tmp_path, panel_csv, make_config, invoke):
    cfg = make_config({"output": {"report": False, "formats": ["csv"]}})
    res = invoke(["index", "run", cfg, "-q", "--report"])
    assert res.code == 0, res.stderr
    assert (tmp_path / "out" / "report.html").is_file()


def test_config_found_from_another_working_directory(
    tmp_path, panel_csv, make_config, invoke, monkeypatch
):
    cfg = make_config({"output": {"report": False, "formats": ["csv"]}})
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    res = invoke(["index", "run", cfg, "-q"])
    assert res.code == 0, res.stderr
    assert (tmp_path / "out" / "index.csv").is_file()  # relative to the config, not the cwd
    assert not (elsewhere / "out").exists()


# ----------------------------------------------------------------------- user errors
def _set(frame: pd.DataFrame, row: int, col: str, value) -> pd.DataFrame:
    frame[col] = frame[col].astype(object)
    frame.loc[row, col] = value
    return frame


BAD_SYSTEM = """\
id: mine
version: "1"
name: 我的体系
source: own choice
confidence: unverified
dimensions:
  - name: A
    sub_dimensions:
      - name: A1
        indicators:
          - {id: edu_years, name: 受教育年限, direction: "+"}
          - {id: avg_wage, name: 工资, direction: up}
"""

INCONSISTENT_3 = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]


def _given(ids, value):
    return {"method": {"weighting": "given", "weights": dict.fromkeys(ids, value)}}


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("non_numeric", ["panel.csv", "row 5", "'edu_years'", "12,5"]),
        ("duplicate_rows", ["panel.csv", "row 42", "row 7", "天津", "2016", "duplicate"]),
        ("constant_column", ["'robot_density'", "zero range"]),
        ("negative_for_cv", ["'robot_density'", "positive"]),
        ("one_entity", ["panel.csv", "'province'", "2 entities"]),
        ("missing_cell", ["panel.csv", "row 8", "'avg_wage'", "missing"]),
        ("given_sum", ["'method.weights'", "sum"]),
        ("given_short", ["'method.weights'", "so2_intensity"]),
        ("given_unknown", ["'method.weights'", "bogus"]),
        ("given_list", ["config.yaml", "'method.weights'", "line"]),
        ("bad_direction", ["mine.yaml", "line 12", "indicators[1].direction", "'up'"]),
        ("empty_file", ["panel.csv", "empty"]),
        ("xlsx_sheet", ["panel.xlsx", "'sheet'", "'Data'", "Sheet1"]),
        ("missing_column", ["panel.csv", "'robot_density'", "not found"]),
        ("missing_data_file", ["nope.csv", "file not found"]),
        ("unknown_system", ["nqpf-three-factr", "nqpf-three-factor"]),
        ("inconsistent_ahp", ["consistency ratio", "CR", "0.1"]),
        ("topsis_per_period", ["per_period", "weighted_sum", "'method.weighting_options.scope'"]),
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    case, expected, tmp_path, demo_frame, indicator_ids, make_config, invoke
):
    data, over = demo_frame, {}
    if case == "non_numeric":
        data = _set(data, 3, "edu_years", "12,5")  # frame row 3 = spreadsheet row 5
    elif case == "duplicate_rows":
        data = pd.concat([data, data.iloc[[5]]])  # a second 天津 2016 as row 42
    elif case == "constant_column":
        data["robot_density"] = 5.0
    elif case == "negative_for_cv":
        data.loc[9, "robot_density"] = -3.0
        over = {"method": {"weighting": "cv"}}
    elif case == "one_entity":
        data = data[data["province"] == "北京"]
    elif case == "missing_cell":
        data.loc[6, "avg_wage"] = np.nan
    elif case == "given_sum":
        over = _given(indicator_ids, 0.1)
    elif case == "given_short":
        over = _given(indicator_ids[:-1], 1 / 17)
    elif case == "given_unknown":
        over = _given([*indicator_ids[1:], "bogus"], 1 / 18)
    elif case == "given_list":
        over = {"method": {"weighting": "given", "weights": [0.5, 0.5]}}
    elif case == "bad_direction":
        (tmp_path / "mine.yaml").write_text(BAD_SYSTEM, encoding="utf-8")
        over = {"system": "mine.yaml"}
    elif case == "xlsx_sheet":
        data.to_excel(tmp_path / "panel.xlsx", sheet_name="Sheet1", index=False)
        over = {"data": {"path": "panel.xlsx", "sheet": "Data"}}
    elif case == "missing_column":
        data = data.drop(columns=["robot_density"])
    elif case == "missing_data_file":
        over = {"data": {"path": "nope.csv"}}
    elif case == "unknown_system":
        over = {"system": "nqpf-three-factr"}
    elif case == "inconsistent_ahp":
        over = {"method": {"weighting": "ahp", "ahp": {"dimensions": INCONSISTENT_3}}}
    elif case == "topsis_per_period":
        over = {"method": {"aggregation": "topsis", "weighting_options": {"scope": "per_period"}}}
    if case == "empty_file":
        (tmp_path / "panel.csv").write_bytes(b"")
    else:
        data.to_csv(tmp_path / "panel.csv", index=False)
    cfg = make_config(over)
    line = one_line_error(invoke(["index", "run", cfg]))
    for part in expected:
        assert part in line, (part, line)
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.rglob(".*.tmp"))


def test_failed_run_leaves_previous_outputs_untouched(
    tmp_path, demo_frame, make_config, invoke, folder_snapshot
):
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    cfg = make_config({"output": {"formats": ["xlsx", "csv", "parquet"], "report": False}})
    assert invoke(["index", "run", cfg, "-q"]).code == 0
    before = folder_snapshot(tmp_path / "out")
    assert len(before) == 1 + 2 * len(TABLES) + len(RUN_FILES)  # xlsx, csv, parquet, RUN_FILES
    _set(demo_frame, 12, "fibre_density", "abc").to_csv(tmp_path / "panel.csv", index=False)
    line = one_line_error(invoke(["index", "run", cfg, "-q"]))
    assert "row 14" in line and "'fibre_density'" in line and "abc" in line
    assert folder_snapshot(tmp_path / "out") == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # misspelt key: names the dotted key and its line
            "title: x\ndata:\n  path: panel.csv\n  entity: province\n  period: year\n"
            "system: nqpf-three-factor\nmethod:\n  weigting: entropy\n",
            ["config.yaml", "'method.weigting'", "line 8", "unknown key"],
        ),
        (  # YAML syntax error: names the line
            "title: x\ndata:\n  path: panel.csv\n  entity: [province\n  period: year\n"
            "system: nqpf-three-factor\n",
            ["config.yaml", "line 5", "YAML syntax error"],
        ),
        (  # required key missing: names the key (and the line of its parent)
            "title: x\ndata:\n  path: panel.csv\n  period: year\nsystem: nqpf-three-factor\n",
            ["config.yaml", "'data.entity'", "line 2", "required key is missing"],
        ),
        (  # top-level required key
            "title: x\ndata:\n  path: panel.csv\n  entity: province\n  period: year\n",
            ["config.yaml", "'system'", "required key is missing"],
        ),
        (  # wrong value type: names the key, line and what it got
            "data:\n  path: panel.csv\n  entity: province\n  period: year\n"
            "system: nqpf-three-factor\nmethod:\n  aggregation: average\n",
            ["config.yaml", "'method.aggregation'", "line 7", "'average'"],
        ),
        ("", ["config.yaml", "empty"]),
    ],
    ids=["misspelt", "syntax", "missing-key", "missing-system", "bad-value", "empty"],
)
def test_bad_config_names_key_and_line(text, expected, tmp_path, panel_csv, make_config, invoke):
    cfg = make_config(text=text)
    line = one_line_error(invoke(["index", "run", cfg]))
    for part in expected:
        assert part in line, (part, line)
    assert not (tmp_path / "out").exists()


def test_missing_config_file(tmp_path, invoke):
    line = one_line_error(invoke(["index", "run", tmp_path / "nope.yaml"]))
    assert "nope.yaml" in line and "not found" in line


@pytest.mark.parametrize(
    ("missing", "how", "value"),
    [("interpolate", "interpolate", None), ("fill", "fill", 0.5)],
)
def test_missing_values_filled_and_recorded(
    missing, how, value, tmp_path, demo_frame, make_config, invoke
):
    demo_frame.loc[6, "avg_wage"] = np.nan  # 天津 2017, between 2016 and 2018
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    data = {"missing": missing} | ({"fill_value": value} if value is not None else {})
    cfg = make_config({"data": data, "output": {"formats": ["csv"], "report": False}})
    res = invoke(["index", "run", cfg, "-q"])
    assert res.code == 0, res.stderr
    filled = read_csv(tmp_path / "out" / "filled_cells.csv")
    assert filled.to_dict("records") == [
        {
            "province": "天津",
            "year": 2017,
            "indicator": "avg_wage",
            "value": pytest.approx(
                (demo_frame.loc[5, "avg_wage"] + demo_frame.loc[7, "avg_wage"]) / 2
                if value is None
                else value
            ),
            "how": how,
        }
    ]
    meta = read_csv(tmp_path / "out" / "metadata.csv").set_index("item")["value"]
    assert meta["缺失值 missing"] == f"{missing}; filled cells: 1"


def test_negative_value_error_points_at_the_spreadsheet_row(
    tmp_path, demo_frame, make_config, invoke
):
    demo_frame.loc[9, "robot_density"] = -3.0  # 天津 2020, spreadsheet row 11
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    cfg = make_config({"method": {"weighting": "cv"}})
    line = one_line_error(invoke(["index", "run", cfg]))
    assert "np.float64" not in line
    assert "row 11" in line or ("天津" in line and "2020" in line)


def test_inconsistent_ahp_names_the_matrix(tmp_path, panel_csv, make_config, invoke):
    consistent3 = [[1, 2, 4], [1 / 2, 1, 2], [1 / 4, 1 / 2, 1]]
    ones6 = [[1.0] * 6 for _ in range(6)]
    cyclic6 = [[1.0] * 6 for _ in range(6)]
    for i in range(6):
        j = (i + 1) % 6
        cyclic6[i][j], cyclic6[j][i] = 9.0, 1 / 9
    ahp = {"dimensions": consistent3, "劳动者": ones6, "劳动资料": cyclic6, "劳动对象": ones6}
    cfg = make_config({"method": {"weighting": "ahp", "ahp": ahp}})
    line = one_line_error(invoke(["index", "run", cfg]))
    assert "劳动资料" in line


# ------------------------------------------------------------------- other commands
def test_help(invoke):
    res = invoke(["--help"])
    assert res.code == 0
    assert "index" in res.stdout and "--version" in res.stdout
    res = invoke(["index", "--help"])
    assert res.code == 0
    for command in ("run", "systems", "system", "demo-data"):
        assert command in res.stdout
    res = invoke(["index", "run", "--help"])
    assert res.code == 0
    for option in ("--out", "--format", "--no-report", "--quiet"):
        assert option in res.stdout


def test_help_in_subprocess():
    proc = subprocess.run(
        [sys.executable, "-m", "nqpf", "index", "--help"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "demo-data" in proc.stdout


def test_version(invoke):
    res = invoke(["--version"])
    assert res.code == 0
    assert res.stdout.strip() == f"nqpf {nqpf.__version__}"


@pytest.mark.parametrize(
    "argv", [["index", "run"], ["index", "run", "x.yaml", "--bogus"]], ids=["no-arg", "bad-opt"]
)
def test_usage_errors_exit_2_without_traceback(argv, invoke):
    res = invoke(argv)
    assert res.code == 2
    assert "Traceback" not in res.stderr
    assert "Usage" in res.stderr or "usage" in res.stderr


def test_systems_lists_the_shipped_systems(invoke):
    res = invoke(["index", "systems"])
    assert res.code == 0, res.stderr
    assert "指标体系" in res.stdout
    assert "2024.1" in res.stdout
    assert res.stdout.count("unverified") == 3
    assert "18" in res.stdout  # nqpf-three-factor has 18 indicators


def test_system_shows_one_system(invoke):
    res = invoke(["index", "system", SYSTEM])
    assert res.code == 0, res.stderr
    assert "nqpf-three-factor v2024.1" in res.stdout
    for dim in DIMENSIONS:
        assert dim in res.stdout
    assert "edu_years" in res.stdout


def test_system_validates_a_user_file(tmp_path, invoke):
    path = tmp_path / "mine.yaml"
    path.write_text(BAD_SYSTEM, encoding="utf-8")
    line = one_line_error(invoke(["index", "system", path]))
    assert "line 12" in line and "direction" in line and "'up'" in line
    path.write_text(BAD_SYSTEM.replace("direction: up", 'direction: "-"'), encoding="utf-8")
    res = invoke(["index", "system", path])
    assert res.code == 0, res.stderr
    assert "我的体系" in res.stdout and "avg_wage" in res.stdout


def test_system_unknown_name(invoke):
    line = one_line_error(invoke(["index", "system", "nope"]))
    assert "'nope'" in line and SYSTEM in line


def test_demo_data_is_labelled_and_reproducible(tmp_path, invoke):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    for path, seed in ((a, 7), (b, 7), (c, 8)):
        res = invoke(["index", "demo-data", path, "--seed", seed, "--start", 2019, "--end", 2021])
        assert res.code == 0, res.stderr
        assert str(path) in res.stdout and SYNTHETIC_LABEL in res.stdout
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    frame = read_csv(a)
    assert frame.columns[0] == "data_status"
    assert (frame["data_status"] == f"{SYNTHETIC_LABEL} (seed=7)").all()
    assert len(frame) == 31 * 3
    assert sorted(frame["year"].unique()) == [2019, 2020, 2021]
    assert set(load_system(SYSTEM).indicator_ids) <= set(frame.columns)


def test_demo_data_feeds_a_run(tmp_path, invoke, make_config):
    res = invoke(
        ["index", "demo-data", tmp_path / "panel.csv", "--seed", 7, "--start", 2019, "--end", 2020]
    )
    assert res.code == 0, res.stderr
    cfg = make_config({"output": {"formats": ["csv"], "report": False}})
    res = invoke(["index", "run", cfg, "-q"])
    assert res.code == 0, res.stderr
    index = read_csv(tmp_path / "out" / "index.csv")
    assert len(index) == 62
    # computed directly from the same file through the service layer
    direct = run_index(load_index_config(cfg)).tables["index"]
    np.testing.assert_allclose(index["index"], direct["index"], rtol=1e-12)


# ---------------------------------------------------------------------- progress (issue 14)
def test_progress_events_cover_every_stage(tmp_path, panel_csv, make_config):
    from nqpf.services.files import write_run

    events = []
    run = run_index(load_index_config(make_config()), progress=events.append)
    write_run(run, formats=["csv"], report=False, progress=events.append)
    stages = list(dict.fromkeys(e.stage for e in events))
    assert stages == ["load", "quality", "weights", "aggregate", "coupling", "tables", "write"]
    writes = [e for e in events if e.stage == "write"]
    assert writes[0].done == 0 and writes[-1].done == writes[-1].total == len(TABLES) + 3
    assert all(0 <= e.done <= e.total for e in events)


def test_progress_bars_on_a_terminal():
    import io

    from rich.console import Console

    from nqpf.cli._options import progress_display
    from nqpf.services.progress import Progress

    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, width=100)
    with progress_display(console, quiet=False) as show:
        show(Progress("load", 2, 2, "面板: 8 个单位 × 5 期"))
        show(Progress("write", 3, 12, "index.csv"))
    text = buffer.getvalue()
    assert "读取数据 loading" in text and "写出文件 writing" in text and "3/12" in text
    quiet = io.StringIO()
    with progress_display(Console(file=quiet, force_terminal=True), quiet=True) as show:
        show(Progress("load", 1, 1, "x"))
    assert quiet.getvalue() == ""
