"""Writing an analysis run: paper-style tables, XLSX / CSV / Parquet, the report, config.used.yaml."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from nqpf.datasets import SYNTHETIC_LABEL, make_demo_panel
from nqpf.disparity import gini
from nqpf.exceptions import ConfigError
from nqpf.indices import CompositeIndex
from nqpf.panel import Panel
from nqpf.services.analyze_config import dump_analyze_config
from nqpf.services.analyze_output import (
    TABLE_TITLES,
    build_report,
    dagum_paper_table,
    finish_tables,
    write_analyze_outputs,
)
from nqpf.services.analyze_run import load_analyze_config, run_analyze
from nqpf.systems import load_system

SYSTEM = "nqpf-three-factor"
PROVINCES = ("33", "35", "36", "42", "43", "44", "45", "46", "50", "51", "52", "53")
YEARS = tuple(range(2015, 2021))
TITLE = "测试区域差异"
GROUPS = {"东部", "中部", "西部"}

ALL = {
    "gini": {},
    "dagum": {},
    "theil": {},
    "kde": {"grid_size": 32},
    "markov": {"k": 4},
    "spatial_markov": {"k": 4},
    "moran": {"permutations": 99},
    "local_moran": {"permutations": 99},
    "moran_rate": {"events": "events", "population": "population", "permutations": 99},
    "moran_bv": {"other": "population", "permutations": 99},
    "local_moran_bv": {"other": "population", "permutations": 99},
    "mobility": {},  # needs markov: not run alone
    "sigma": {},
    "beta": {},
}
TABLES_OF = {
    "gini": ["gini"],
    "dagum": ["dagum", "dagum_components", "dagum_groups", "dagum_pairs"],
    "theil": ["theil", "theil_groups"],
    "kde": ["kde", "kde_peaks"],
    "markov": ["markov"],
    "spatial_markov": ["spatial_markov", "spatial_markov_tests"],
    "moran": ["moran"],
    "local_moran": ["local_moran"],
    "moran_rate": ["moran_rate"],
    "moran_bv": ["moran_bv"],
    "local_moran_bv": ["local_moran_bv"],
    "sigma": ["sigma"],
    "beta": ["beta", "beta_summary"],
}
# every table of a run without data.subgroup, in output order
ALL_TABLES = [t for t in TABLE_TITLES if t not in ("metadata", "theil_subgroups")]
SECTIONS = {
    "gini": "基尼系数",
    "dagum": "区域差异：Dagum 基尼系数分解",
    "theil": "泰尔指数",
    "kde": "动态演进：核密度估计",
    "markov": "传统马尔可夫链",
    "spatial_markov": "空间马尔可夫链",
    "moran": "空间相关性：莫兰指数",
    "local_moran": TABLE_TITLES["local_moran"],
    "moran_rate": "空间相关性：比率与双变量莫兰指数",
    "moran_bv": "空间相关性：比率与双变量莫兰指数",
    "local_moran_bv": "空间相关性：比率与双变量莫兰指数",
    "mobility": "流动性指数",
    "sigma": "收敛性检验",
    "beta": "收敛性检验",
}
# the table each analysis shows in the report (the long tables are in the files only)
REPORT_TABLE = {
    "gini": "gini",
    "dagum": "dagum",
    "theil": "theil",
    "kde": "kde_peaks",
    "markov": "markov",
    "spatial_markov": "spatial_markov_tests",
    "moran": "moran",
    "local_moran": "local_moran",
    "moran_rate": "moran_rate",
    "moran_bv": "moran_bv",
    "local_moran_bv": "local_moran_bv",
    "sigma": "sigma",
    "beta": "beta_summary",
}


def analysis_frame() -> pd.DataFrame:
    """province_code, province, region, year, index, population, events: 12 provinces × 6
    years (synthetic, seeded)."""
    raw = make_demo_panel(SYSTEM, years=YEARS, provinces=list(PROVINCES), seed=11)
    system = load_system(SYSTEM)
    panel = Panel.from_frame(raw, entity="province", period="year", indicators=system.indicator_ids)
    index = CompositeIndex(system=system).fit_transform(panel).to_frame()
    index = index.rename(columns={"entity": "province", "period": "year"})
    frame = raw[["province_code", "province", "region", "year"]].merge(
        index[["province", "year", "index"]], on=["province", "year"], validate="1:1"
    )
    rng = np.random.default_rng(15)
    frame["population"] = rng.integers(2_000, 9_000, len(frame))
    frame["events"] = rng.binomial(frame["population"], (frame["index"] / 400).clip(0.001, 0.5))
    return frame


@pytest.fixture(scope="module")
def frame_module() -> pd.DataFrame:
    return analysis_frame()


@pytest.fixture
def frame(frame_module) -> pd.DataFrame:
    return frame_module.copy()


def config(analyses: Mapping[str, Any], **data: Any) -> dict[str, Any]:
    return {
        "title": TITLE,
        "data": {
            "path": "panel.csv",
            "entity": "province",
            "period": "year",
            "value": "index",
            "group": "region",
            "keep": ["province_code"],
            "synthetic": True,
        }
        | data,
        "weights": {"kind": "province_contiguity", "id_column": "province_code"},
        "analyses": copy.deepcopy(dict(analyses)),
        "output": {"dir": "out", "formats": ["xlsx", "csv"], "report": True},
    }


@pytest.fixture
def run(tmp_path, frame):
    """``run(analyses=ALL, data=None, **data_keys)`` → AnalyzeRun on panel.csv in tmp_path."""

    def go(analyses=ALL, data=None, **keys):
        (frame if data is None else data).to_csv(tmp_path / "panel.csv", index=False)
        path = tmp_path / "config.yaml"
        text = yaml.safe_dump(config(analyses, **keys), allow_unicode=True, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return run_analyze(load_analyze_config(path))

    return go


@pytest.fixture(scope="module")
def full(tmp_path_factory, frame_module):
    """One run of every analysis and its finished tables (shared: do not modify)."""
    root = tmp_path_factory.mktemp("full")
    frame_module.to_csv(root / "panel.csv", index=False)
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config(ALL), allow_unicode=True), encoding="utf-8")
    r = run_analyze(load_analyze_config(path))
    return r, finish_tables(r)


def tmp_leftovers(folder):
    return [p.name for p in folder.rglob("*") if p.name.endswith(".tmp")]


def table_files(folder, fmt):
    return sorted(p.stem for p in folder.glob(f"*.{fmt}"))


# ---------------------------------------------------------------------- finished tables
def test_every_table_has_a_caption_and_keeps_the_caption_order(full):
    _, tables = full
    assert list(tables) == [*ALL_TABLES, "metadata"]
    assert all(TABLE_TITLES[name] for name in tables)


def test_dagum_paper_table(full, frame_module):
    r, tables = full
    paper = tables["dagum"]
    groups = list(r.results["dagum"][2015].groups)
    assert set(groups) == GROUPS
    pairs = [f"{a}–{b}" for i, a in enumerate(groups) for b in groups[i + 1 :]]
    assert list(paper.columns) == [
        "year",
        "G",
        *groups,
        *pairs,
        "within_pct",
        "between_pct",
        "transvariation_pct",
    ]
    assert paper["year"].tolist() == list(YEARS)
    assert not paper.isna().any().any()
    for _, row in paper.iterrows():
        block = frame_module[frame_module["year"] == row["year"]]
        assert row["G"] == pytest.approx(gini(block["index"]).G, rel=1e-12)
        assert row["within_pct"] + row["between_pct"] + row["transvariation_pct"] == (
            pytest.approx(100.0)
        )
    # G_jj per group and G_jh per pair agree with the long tables
    g = tables["dagum_groups"].set_index(["year", "group"])["G_jj"]
    p = tables["dagum_pairs"].set_index(["year", "pair"])["G_jh"]
    for _, row in paper.iterrows():
        for grp in groups:
            assert row[grp] == pytest.approx(g[row["year"], grp], rel=1e-12)
        for pair in pairs:
            assert row[pair] == pytest.approx(p[row["year"], pair], rel=1e-12)
    assert dagum_paper_table(r.results["dagum"], "year").equals(paper)


def test_dagum_components_add_up(full):
    _, tables = full
    comps = tables["dagum_components"]
    assert list(comps.columns) == ["year", "component", "label", "value", "contribution_pct"]
    assert "table" not in tables["dagum_groups"] and "table" not in tables["dagum_pairs"]
    for year, block in comps.groupby("year"):
        v = block.set_index("component")["value"]
        assert v["within"] + v["between"] + v["transvariation"] == pytest.approx(v["total"])
        pct = block.set_index("component")["contribution_pct"]
        assert pct["total"] == pytest.approx(100.0), year
    assert len(tables["dagum_groups"]) == 3 * 6
    assert len(tables["dagum_pairs"]) == 3 * 6


def test_dagum_paper_table_keeps_one_column_per_pair_when_means_cross(run, frame):
    # 中部 overtakes 东部 in 2020
    frame.loc[(frame["region"] == "中部") & (frame["year"] == 2020), "index"] *= 2.5
    means = frame.groupby(["year", "region"])["index"].mean().unstack()
    assert means.loc[2019, "中部"] < means.loc[2019, "东部"]
    assert means.loc[2020, "中部"] > means.loc[2020, "东部"]
    paper = finish_tables(run({"dagum": {}}, data=frame))["dagum"]
    assert paper.shape[1] == 2 + 3 + 3 + 3, list(paper.columns)
    assert not paper.isna().any().any()


def test_theil_paper_table(full):
    r, tables = full
    t = tables["theil"]
    assert list(t.columns) == ["year", "between", "total", "within", "between_pct", "within_pct"]
    np.testing.assert_allclose(t["between"] + t["within"], t["total"], rtol=1e-10)
    np.testing.assert_allclose(t["between_pct"] + t["within_pct"], 100.0)
    for _, row in t.iterrows():
        assert row["total"] == pytest.approx(r.results["theil"][row["year"]].total, rel=1e-12)
    groups = tables["theil_groups"]
    assert "table" not in groups.columns
    assert len(groups) == 3 * 6 and set(groups["group"]) == GROUPS
    np.testing.assert_allclose(groups.groupby("year")["pop_share"].sum(), 1.0)


def test_kde_tables(full):
    r, tables = full
    k = r.results["kde"]
    long = tables["kde"]
    assert list(long.columns) == ["year", "x", "density"]
    assert len(long) == 6 * 32
    np.testing.assert_allclose(long["density"], k.density.ravel())
    peaks = tables["kde_peaks"]
    assert len(peaks) == 6
    for _, row in peaks.iterrows():
        assert isinstance(row["peaks"], str)
        assert len(row["peaks"].split(", ")) == row["n_peaks"]
        assert float(row["peaks"].split(", ")[0]) == pytest.approx(
            min(float(x) for x in row["peaks"].split(", "))
        )


def test_markov_tables(full):
    r, tables = full
    m = tables["markov"]
    assert list(m.columns) == ["初始类型", "n", "低", "中低", "中高", "高"]
    np.testing.assert_allclose(m[["低", "中低", "中高", "高"]].to_numpy(), r.results["markov"].p)
    assert m["n"].sum() == 12 * 5
    sm = tables["spatial_markov"]
    assert list(sm.columns[:3]) == ["邻域类型", "初始类型", "n"]
    assert len(sm) == 16
    tests = tables["spatial_markov_tests"].set_index("statistic")
    res = r.results["spatial_markov"]
    assert tests.loc["Q", "value"] == res.Q and tests.loc["LR", "value"] == res.LR
    assert tests.loc["Q", "p_value"] == res.Q_p_value
    assert tests.loc["Q", "dof"] == res.dof


def test_moran_and_lisa_tables(full):
    r, tables = full
    moran = tables["moran"]
    assert moran["year"].tolist() == list(YEARS)
    for _, row in moran.iterrows():
        assert row["I"] == r.results["moran"][row["year"]].I
    lisa = tables["local_moran"]
    assert list(lisa.columns[:3]) == ["province", "year", "id"]
    assert (lisa["year"] == 2020).all()
    assert set(lisa["id"]) == set(PROVINCES)  # the weights' ids: codes via id_column


def test_convergence_tables(full):
    r, tables = full
    b = r.results["beta"]
    summary = tables["beta_summary"].set_index("item")["value"]
    assert summary["beta"] == b.beta and summary["half_life"] == b.half_life
    assert summary["n_obs"] == 60
    assert bool(summary["converging"]) == b.converging
    assert tables["beta"]["term"].tolist() == ["const", "ln_y0"]
    assert list(tables["sigma"].columns) == ["year", "n", "sigma"]


def test_per_period_tables_use_the_data_period_column(full):
    _, tables = full
    for name in ("gini", "dagum", "dagum_components", "theil", "kde", "kde_peaks", "sigma"):
        assert "year" in tables[name].columns, name
        assert "period" not in tables[name].columns, name


def test_counts_stay_integers(full):
    _, tables = full
    for name, col in [
        ("moran", "n"),
        ("moran", "permutations"),
        ("dagum_groups", "n"),
        ("theil_groups", "n"),
    ]:
        assert pd.api.types.is_integer_dtype(tables[name][col]), (name, col)


# ---------------------------------------------------------------------- files
def test_writes_every_format_and_returns_the_paths(run, tmp_path):
    r = run()
    written = write_analyze_outputs(r, formats=["xlsx", "csv", "parquet"])
    out = tmp_path / "out"
    names = [p.name for p in written]
    tables = [*ALL_TABLES, "metadata"]
    assert names == [
        "nqpf_analyze.xlsx",
        *(f"{t}.csv" for t in tables),
        *(f"{t}.parquet" for t in tables),
        "report.html",
        "config.used.yaml",
        "quality.html",
        "quality.xlsx",
        "manifest.json",
    ]
    assert r.written == written
    assert all(p.parent == out.resolve() and p.is_file() for p in written)
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert tmp_leftovers(out) == []


def test_xlsx_csv_and_parquet_hold_the_same_tables(run, tmp_path):
    r = run()
    write_analyze_outputs(r, formats=["xlsx", "csv", "parquet"], report=False)
    out = tmp_path / "out"
    tables = finish_tables(r)
    wb = load_workbook(out / "nqpf_analyze.xlsx", read_only=True)
    try:
        assert wb.sheetnames == list(tables)
    finally:
        wb.close()
    sheets = pd.read_excel(out / "nqpf_analyze.xlsx", sheet_name=None)
    for name, table in tables.items():
        csv = pd.read_csv(out / f"{name}.csv", encoding="utf-8-sig")
        pq = pd.read_parquet(out / f"{name}.parquet")
        for got in (sheets[name], csv, pq):
            assert [str(c) for c in got.columns] == [str(c) for c in table.columns], name
            assert len(got) == len(table), name
    np.testing.assert_allclose(
        pd.read_csv(out / "dagum.csv", encoding="utf-8-sig")["G"], tables["dagum"]["G"], rtol=1e-12
    )
    np.testing.assert_allclose(sheets["moran"]["I"], tables["moran"]["I"], rtol=1e-12)
    assert sheets["metadata"].iloc[0].tolist() == ["数据性质 data status", SYNTHETIC_LABEL]
    assert not (out / "report.html").exists()


def test_out_dir_argument_overrides_the_config(run, tmp_path):
    r = run({"gini": {}})
    written = write_analyze_outputs(r, out_dir=tmp_path / "elsewhere", formats=["csv"])
    assert {p.parent for p in written} == {(tmp_path / "elsewhere").resolve()}
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_switching_analyses_off_removes_their_stale_tables(fmt, run, tmp_path):
    write_analyze_outputs(run(), formats=[fmt], report=False)
    out = tmp_path / "out"
    assert table_files(out, fmt) == sorted([*ALL_TABLES, "metadata"])
    write_analyze_outputs(run({"gini": {}, "sigma": {}}), formats=[fmt], report=False)
    assert table_files(out, fmt) == ["gini", "metadata", "sigma"]
    # a file that is not a table of ours is left alone
    (out / f"notes.{fmt}").write_bytes(b"x")
    write_analyze_outputs(run({"gini": {}}), formats=[fmt], report=False)
    assert table_files(out, fmt) == ["gini", "metadata", "notes"]


def test_stale_workbook_and_report_do_not_survive_a_smaller_run(run, tmp_path):
    write_analyze_outputs(run(), formats=["xlsx", "csv"], report=True)
    write_analyze_outputs(run({"gini": {}}), formats=["csv"], report=False)
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "config.used.yaml",
        "gini.csv",
        "manifest.json",
        "metadata.csv",
        "quality.html",
        "quality.xlsx",
    ]


def test_unknown_format_is_a_config_error(run):
    with pytest.raises(ConfigError, match="xls") as err:
        write_analyze_outputs(run({"gini": {}}), formats=["xls"])
    assert err.value.field == "output.formats"


def test_output_path_that_is_a_file(run, tmp_path):
    (tmp_path / "taken").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a folder"):
        write_analyze_outputs(run({"gini": {}}), out_dir=tmp_path / "taken")


# ---------------------------------------------------------------------- report
def test_full_report(full):
    r, tables = full
    html = build_report(r, tables)
    assert html.lstrip().lower().startswith("<!doctype html")
    assert f"<title>{TITLE}</title>" in html
    assert SYNTHETIC_LABEL in html
    for title in set(SECTIONS.values()) - {"基尼系数"}:
        assert title in html, title
    for caption in ("dagum", "theil", "kde_peaks", "markov", "spatial_markov_tests", "moran"):
        assert TABLE_TITLES[caption] in html, caption
    assert "莫兰散点图" in html  # the LISA scatter for the last year
    assert "分区域核密度" in html  # one density per region (data.group is set)
    assert html.count("data:image/png;base64,") >= 7
    assert not re.search(r"src=[\"']https?://", html)
    assert not re.search(r"<link[^>]+href=[\"']https?://", html)


def test_mobility_tables_and_section(full):
    r, tables = full
    assert len(tables["mobility"]) == 4  # one row per Markov class (k = 4)
    indices = tables["mobility_indices"]
    assert {"index", "value", "source"} <= set(indices.columns)
    assert indices["value"].notna().all()
    html = build_report(r, tables)
    assert SECTIONS["mobility"] in html and TABLE_TITLES["mobility_indices"] in html


def test_report_without_synthetic_flag_has_no_label(run):
    r = run({"gini": {}}, synthetic=False)
    html = build_report(r, finish_tables(r))
    assert SYNTHETIC_LABEL not in html
    assert "基尼系数" in html


def test_report_without_groups_has_no_regional_density(tmp_path, frame):
    frame.to_csv(tmp_path / "panel.csv", index=False)
    cfg = config({"kde": {"grid_size": 32}})
    del cfg["data"]["group"]
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    r = run_analyze(load_analyze_config(path))
    html = build_report(r, finish_tables(r))
    assert "动态演进：核密度估计" in html
    assert "分区域核密度" not in html


@pytest.mark.parametrize(
    "analysis",
    [a for a in ALL if a != "mobility"],
)
def test_each_analysis_alone_has_its_report_section(analysis, run):
    r = run({analysis: ALL[analysis]})
    tables = finish_tables(r)
    assert list(tables) == [*TABLES_OF[analysis], "metadata"]
    html = build_report(r, tables)
    assert SECTIONS[analysis] in html
    assert TABLE_TITLES[REPORT_TABLE[analysis]] in html


# ---------------------------------------------------------------------- config.used.yaml
def test_dumped_config_round_trips(run, tmp_path):
    r = run({"moran": {"permutations": 9}, "kde": {"bandwidth": 0.1}})
    out = tmp_path / "out"
    text = dump_analyze_config(r.config, out, ["csv"], False)
    data = yaml.safe_load(text)
    assert "base_dir" not in data
    assert data["data"]["path"] == str((tmp_path / "panel.csv").resolve())
    assert data["output"] == {"dir": str(out), "formats": ["csv"], "report": False}
    again_path = tmp_path / "elsewhere" / "again.yaml"
    again_path.parent.mkdir()
    again_path.write_text(text, encoding="utf-8")
    again = load_analyze_config(again_path)
    same = {"data": {"path"}, "output": True, "base_dir": True}
    assert again.model_dump(exclude=same) == r.config.model_dump(exclude=same)
    assert again.resolve(again.data.path) == (tmp_path / "panel.csv").resolve()
    assert again.analyses.kde.bandwidth == 0.1


def test_dumped_config_makes_a_weights_file_absolute(tmp_path, frame):
    frame.to_csv(tmp_path / "panel.csv", index=False)
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "m.csv").write_text("id,a\na,0\n", encoding="utf-8")
    cfg = config({"moran": {}})
    cfg["weights"] = {"kind": "matrix", "path": "w/m.csv"}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    data = yaml.safe_load(
        dump_analyze_config(load_analyze_config(path), tmp_path / "out", ["csv"], True)
    )
    assert data["weights"]["path"] == str((tmp_path / "w" / "m.csv").resolve())
