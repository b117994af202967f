"""``nqpf analyze run`` end to end: outputs, agreement with the library, weights, user errors.

Everything runs in-process through :func:`nqpf.cli.main.main` (the ``invoke`` fixture of
tests/conftest.py, or ``capsys``); one test runs ``python -m nqpf`` for the real entry
point.  The data are a synthetic composite index of 12 provinces × 6 years.
"""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from openpyxl import load_workbook

from nqpf.cli.main import main
from nqpf.datasets import SYNTHETIC_LABEL, make_demo_panel
from nqpf.disparity import (
    beta_convergence,
    dagum,
    gini,
    local_moran,
    markov,
    moran,
    province_weights,
    sigma_convergence,
    spatial_weights,
)
from nqpf.indices import CompositeIndex
from nqpf.panel import Panel
from nqpf.systems import load_system

SYSTEM = "nqpf-three-factor"
# 浙江 福建 江西 湖北 湖南 广东 广西 海南 重庆 四川 贵州 云南 (东部 / 中部 / 西部)
PROVINCES = ("33", "35", "36", "42", "43", "44", "45", "46", "50", "51", "52", "53")
YEARS = tuple(range(2015, 2021))
TITLE = "测试区域差异与动态演进"
DROP = object()

ALL = {
    "gini": {},
    "dagum": {},
    "theil": {},
    "kde": {"bandwidth": "silverman", "grid_size": 32},
    "markov": {"k": 4},
    "spatial_markov": {"k": 4, "lag_cutoff_mode": "same"},
    "moran": {"permutations": 99, "seed": 20241},
    "local_moran": {"period": "last", "permutations": 99, "seed": 7},
    "sigma": {"measure": "cv", "ddof": 0},
    "beta": {"kind": "absolute"},
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
    "sigma": ["sigma"],
    "beta": ["beta", "beta_summary"],
}
#: Files every run writes after its tables and report: effective config, data-quality
#: report, manifest.
RUN_FILES = ["config.used.yaml", "quality.html", "quality.xlsx", "manifest.json"]
TABLES = [t for tables in TABLES_OF.values() for t in tables] + ["metadata"]
SECTIONS = [
    "区域差异：Dagum 基尼系数分解",
    "泰尔指数",
    "动态演进：核密度估计",
    "传统马尔可夫链",
    "空间马尔可夫链",
    "空间相关性：莫兰指数",
    "收敛性检验",
]


def analysis_frame() -> pd.DataFrame:
    """province_code, province, region, year, index: the panel the CLI analyses."""
    raw = make_demo_panel(SYSTEM, years=YEARS, provinces=list(PROVINCES), seed=11)
    system = load_system(SYSTEM)
    panel = Panel.from_frame(raw, entity="province", period="year", indicators=system.indicator_ids)
    index = CompositeIndex(system=system).fit_transform(panel).to_frame()
    index = index.rename(columns={"entity": "province", "period": "year"})
    return raw[["province_code", "province", "region", "year"]].merge(
        index[["province", "year", "index"]], on=["province", "year"], validate="1:1"
    )


def base_config(analyses: Mapping[str, Any] = ALL) -> dict[str, Any]:
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
        },
        "weights": {"kind": "province_contiguity", "id_column": "province_code"},
        "analyses": copy.deepcopy(dict(analyses)),
        "output": {"dir": "out", "formats": ["xlsx", "csv"], "report": True},
    }


def merge(into: dict, over: Mapping) -> dict:
    for key, value in over.items():
        if value is DROP:
            into.pop(key, None)
        elif isinstance(value, Mapping) and isinstance(into.get(key), dict):
            merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)
    return into


def write_case(folder: Path, frame, analyses=ALL, overrides=None, files=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / "panel.csv", index=False)
    for name, text in (files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    cfg = merge(base_config(analyses), overrides or {})
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def frame_module() -> pd.DataFrame:
    return analysis_frame()


@pytest.fixture
def frame(frame_module) -> pd.DataFrame:
    return frame_module.copy()


@pytest.fixture
def case(tmp_path, frame):
    """``case(analyses=ALL, overrides=None, data=None, files=None)`` → config path."""

    def go(analyses=ALL, overrides=None, *, data=None, files=None):
        return write_case(tmp_path, frame if data is None else data, analyses, overrides, files)

    return go


def read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype={"province_code": str, "id": str})


def wide_of(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.pivot(index="province", columns="year", values="index")


def one_line_error(result) -> str:
    """The single stderr line of a user error (exit 2, no traceback)."""
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("错误 error:")
    return lines[0]


def gal_text(w) -> str:
    lines = [str(w.n)]
    for i in w.ids:
        nb = w.neighbors(i)
        lines += [f"{i} {len(nb)}", " ".join(map(str, nb))]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- end to end
@pytest.fixture(scope="module")
def e2e(tmp_path_factory, frame_module, invoke):
    """One full run (xlsx + csv + report) with every analysis."""
    root = tmp_path_factory.mktemp("analyze_e2e")
    cfg = write_case(root, frame_module)
    return root, cfg, invoke(["analyze", "run", cfg])


def test_run_exits_zero_and_lists_every_file(e2e):
    root, _, result = e2e
    assert result.code == 0, result.stderr
    assert result.stderr == ""
    out = root / "out"
    expected = [out / "nqpf_analyze.xlsx", *(out / f"{t}.csv" for t in TABLES)]
    expected += [out / "report.html", *(out / n for n in RUN_FILES)]
    for path in expected:
        assert path.is_file(), path
        assert str(path) in result.stdout
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in expected)


def test_console_summary(e2e, frame_module):
    out = e2e[2].stdout
    last = frame_module[frame_module["year"] == 2020]["index"]
    assert f"Dagum 2020: G = {gini(last).G:.4f}; 组内" in out
    assert "Moran's I 2020: I = " in out
    assert re.search(r"β 收敛: β = -?\d\.\d{4} \(p = \d\.\d{4}\)", out)
    assert SYNTHETIC_LABEL in out
    for step in ("面板: 12 个单位 × 6 期, 变量 index", "Dagum 基尼系数分解", "全局莫兰指数"):
        assert step in out


def test_xlsx_has_one_sheet_per_table_matching_the_csv(e2e):
    out = e2e[0] / "out"
    wb = load_workbook(out / "nqpf_analyze.xlsx", read_only=True)
    try:
        assert wb.sheetnames == TABLES
    finally:
        wb.close()
    sheets = pd.read_excel(out / "nqpf_analyze.xlsx", sheet_name=None)
    for name in TABLES:
        csv = read_csv(out / f"{name}.csv")
        assert [str(c) for c in sheets[name].columns] == [str(c) for c in csv.columns], name
        assert len(sheets[name]) == len(csv), name
    np.testing.assert_allclose(sheets["dagum"]["G"], read_csv(out / "dagum.csv")["G"], rtol=1e-12)


def test_dagum_tables_agree_with_the_library(e2e, frame_module):
    out = e2e[0] / "out"
    paper = read_csv(out / "dagum.csv").set_index("year")
    comps = read_csv(out / "dagum_components.csv")
    exp = dagum(frame_module["index"], frame_module["region"], periods=frame_module["year"])
    assert paper.index.tolist() == list(YEARS)
    for year, block in frame_module.groupby("year"):
        assert paper.loc[year, "G"] == pytest.approx(gini(block["index"]).G, rel=1e-12)
        v = comps[comps["year"] == year].set_index("component")["value"]
        assert v["total"] == pytest.approx(paper.loc[year, "G"], rel=1e-12)
        assert v["within"] + v["between"] + v["transvariation"] == pytest.approx(v["total"])
        assert v["within"] == pytest.approx(exp[year].within, rel=1e-12)
        assert v["transvariation"] == pytest.approx(exp[year].transvariation, rel=1e-9, abs=1e-15)
        for g, gjj in zip(exp[year].groups, exp[year].G_jj, strict=True):
            assert paper.loc[year, g] == pytest.approx(gjj, rel=1e-12)
    pct = paper[["within_pct", "between_pct", "transvariation_pct"]].sum(axis=1)
    np.testing.assert_allclose(pct, 100.0)


def test_moran_table_agrees_with_the_library(e2e, frame_module):
    table = read_csv(e2e[0] / "out" / "moran.csv").set_index("year")
    wide = wide_of(frame_module)
    code = dict(zip(frame_module["province"], frame_module["province_code"], strict=False))
    w = province_weights(provinces=[code[p] for p in wide.index])  # id_column: codes
    rng = np.random.default_rng(20241)
    for year in wide.columns:
        exp = moran(wide[year].to_numpy(), w, 99, rng)
        assert table.loc[year, "I"] == pytest.approx(exp.I, rel=1e-12)
        assert table.loc[year, "p_norm"] == pytest.approx(exp.p_norm, rel=1e-12)
        assert table.loc[year, "p_sim"] == pytest.approx(exp.p_sim)
    names = province_weights(provinces=list(wide.index), labels="name")
    assert table.loc[2020, "I"] == pytest.approx(moran(wide[2020].to_numpy(), names).I)


def test_local_moran_table_agrees_with_the_library(e2e, frame_module):
    table = read_csv(e2e[0] / "out" / "local_moran.csv")
    wide = wide_of(frame_module)
    w = province_weights(provinces=list(wide.index), labels="name")
    exp = local_moran(wide[2020].to_numpy(), w, 99, np.random.default_rng(7))
    assert table["province"].tolist() == list(wide.index)
    assert (table["year"] == 2020).all()
    np.testing.assert_allclose(table["Is"], exp.Is, rtol=1e-12)
    np.testing.assert_allclose(table["p_sim"], exp.p_sim)
    assert table["cluster"].tolist() == list(exp.cluster_labels)


def test_markov_table_agrees_with_the_library(e2e, frame_module):
    table = read_csv(e2e[0] / "out" / "markov.csv")
    exp = markov(wide_of(frame_module).to_numpy(), 4)
    assert table["初始类型"].tolist() == ["低", "中低", "中高", "高"]
    np.testing.assert_allclose(table[["低", "中低", "中高", "高"]].to_numpy(), exp.p, rtol=1e-12)
    assert table["n"].tolist() == exp.transitions.sum(axis=1).tolist()


def test_convergence_tables_agree_with_the_library(e2e, frame_module):
    out = e2e[0] / "out"
    sigma = read_csv(out / "sigma.csv")
    exp = sigma_convergence(frame_module["index"], frame_module["year"])
    assert sigma["year"].tolist() == list(YEARS)
    np.testing.assert_allclose(sigma["sigma"], exp.sigma, rtol=1e-12)
    summary = read_csv(out / "beta_summary.csv").set_index("item")["value"]
    b = beta_convergence(frame_module["index"], frame_module["province"], frame_module["year"])
    assert float(summary["beta"]) == pytest.approx(b.beta, rel=1e-10)
    assert float(summary["se"]) == pytest.approx(b.se, rel=1e-10)
    assert float(summary["p"]) == pytest.approx(b.p, rel=1e-8)
    assert float(summary["half_life"]) == pytest.approx(b.half_life, rel=1e-10)
    assert int(summary["n_obs"]) == b.n_obs == 60


def test_metadata_names_data_and_label(e2e):
    meta = read_csv(e2e[0] / "out" / "metadata.csv").set_index("item")["value"]
    assert meta["数据性质 data status"] == SYNTHETIC_LABEL
    assert meta["标题 title"] == TITLE
    assert meta["变量 variable"] == "index"
    assert meta["单位数 units"] == "12"
    assert meta["空间权重 weights"] == "province_contiguity, transform r"
    assert len(meta["数据 SHA-256"]) == 64


def test_report_is_labelled_synthetic_with_every_section(e2e):
    html = (e2e[0] / "out" / "report.html").read_text(encoding="utf-8")
    assert html.lstrip().lower().startswith("<!doctype html")
    assert f"<title>{TITLE}</title>" in html
    assert SYNTHETIC_LABEL in html
    for section in SECTIONS:
        assert section in html, section
    assert "data:image/png;base64," in html
    assert not re.search(r"src=[\"']https?://", html)
    assert not re.search(r"<link[^>]+href=[\"']https?://", html)


def test_config_used_reruns_elsewhere_to_identical_tables(e2e, tmp_path, invoke, monkeypatch):
    root = e2e[0]
    used = root / "out" / "config.used.yaml"
    data = yaml.safe_load(used.read_text(encoding="utf-8"))
    assert Path(data["data"]["path"]).is_absolute()
    assert data["analyses"]["moran"] == {"permutations": 99, "seed": 20241}
    monkeypatch.chdir(tmp_path)  # another working directory
    again = tmp_path / "again"
    res = invoke(["analyze", "run", used, "-q", "--no-report", "-f", "csv", "-o", again])
    assert res.code == 0, res.stderr
    assert res.stdout.split() == [
        str(again.resolve() / n) for n in [*(f"{t}.csv" for t in TABLES), *RUN_FILES]
    ]
    for name in TABLES[:-1]:
        assert (again / f"{name}.csv").read_bytes() == (root / "out" / f"{name}.csv").read_bytes()
    first = read_csv(root / "out" / "metadata.csv").set_index("item")["value"]
    second = read_csv(again / "metadata.csv").set_index("item")["value"]
    assert second["数据 data"] == str((root / "panel.csv").resolve())
    pd.testing.assert_series_equal(first.drop("数据 data"), second.drop("数据 data"))


def test_run_in_subprocess_via_python_m(tmp_path, frame):
    cfg = write_case(
        tmp_path,
        frame,
        {"gini": {}},
        {"output": {"formats": ["csv"], "report": False}},
    )
    proc = subprocess.run(
        [sys.executable, "-m", "nqpf", "analyze", "run", str(cfg), "--quiet"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    out = (tmp_path / "out").resolve()
    assert proc.stdout.splitlines() == [
        str(out / n) for n in ["gini.csv", "metadata.csv", *RUN_FILES]
    ]


# ---------------------------------------------------------------------- one analysis alone
@pytest.mark.parametrize("analysis", list(ALL))
def test_each_analysis_alone_writes_only_its_tables(analysis, case, tmp_path, invoke):
    cfg = case({analysis: ALL[analysis]})
    res = invoke(["analyze", "run", cfg, "-q", "-f", "csv", "--no-report"])
    assert res.code == 0, res.stderr
    out = tmp_path / "out"
    expected = [*(f"{t}.csv" for t in TABLES_OF[analysis]), "metadata.csv", *RUN_FILES]
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)
    used = yaml.safe_load((out / "config.used.yaml").read_text(encoding="utf-8"))
    assert list(used["analyses"]) == [analysis]


def test_switching_analyses_off_removes_stale_tables(case, tmp_path, invoke):
    res = invoke(["analyze", "run", case(), "-q", "-f", "csv", "--no-report"])
    assert res.code == 0, res.stderr
    out = tmp_path / "out"
    assert sorted(p.stem for p in out.glob("*.csv")) == sorted(TABLES)
    res = invoke(
        ["analyze", "run", case({"sigma": {}, "beta": {}}), "-q", "-f", "csv", "--no-report"]
    )
    assert res.code == 0, res.stderr
    assert sorted(p.stem for p in out.glob("*.csv")) == [
        "beta",
        "beta_summary",
        "metadata",
        "sigma",
    ]


def test_format_and_out_options(case, tmp_path, invoke):
    cfg = case({"gini": {}, "sigma": {}})
    res = invoke(["analyze", "run", cfg, "-q", "-f", "parquet", "-f", "csv", "-o", tmp_path / "x"])
    assert res.code == 0, res.stderr
    x = tmp_path / "x"
    assert {p.name for p in x.iterdir()} == {
        *(f"{t}.{f}" for t in ("gini", "sigma", "metadata") for f in ("csv", "parquet")),
        "report.html",
        *RUN_FILES,
    }
    pd.testing.assert_frame_equal(
        pd.read_parquet(x / "gini.parquet").reset_index(drop=True),
        read_csv(x / "gini.csv"),
        check_dtype=False,
    )
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- weights
def run_moran(case, tmp_path, invoke, overrides, files=None, data=None) -> np.ndarray:
    cfg = case({"moran": {"permutations": 0}}, overrides, files=files, data=data)
    res = invoke(["analyze", "run", cfg, "-q", "-f", "csv", "--no-report"])
    assert res.code == 0, res.stderr
    return read_csv(tmp_path / "out" / "moran.csv")["I"].to_numpy()


def direct_I(frame, w) -> np.ndarray:
    wide = wide_of(frame)
    return np.array([moran(wide[p].to_numpy(), w).I for p in wide.columns])


def names_of(frame) -> list[str]:
    return list(wide_of(frame).index)


def test_weights_names_without_id_column(case, tmp_path, invoke, frame):
    got = run_moran(case, tmp_path, invoke, {"weights": {"id_column": DROP}})
    w = province_weights(provinces=names_of(frame), labels="name")
    np.testing.assert_allclose(got, direct_I(frame, w), rtol=1e-12)


def test_weights_codes_via_id_column(case, tmp_path, invoke, frame):
    got = run_moran(case, tmp_path, invoke, {})
    w = province_weights(provinces=names_of(frame), labels="name")
    np.testing.assert_allclose(got, direct_I(frame, w), rtol=1e-12)


def test_weights_province_distance(case, tmp_path, invoke, frame):
    got = run_moran(case, tmp_path, invoke, {"weights": {"kind": "province_distance"}})
    w = province_weights("inverse_distance", provinces=names_of(frame), labels="name")
    np.testing.assert_allclose(got, direct_I(frame, w), rtol=1e-12)


@pytest.mark.parametrize("hainan", ["guangdong", "guangdong_guangxi"])
def test_weights_hainan_options(hainan, case, tmp_path, invoke, frame):
    got = run_moran(case, tmp_path, invoke, {"weights": {"hainan": hainan}})
    w = province_weights(hainan=hainan, provinces=names_of(frame), labels="name")
    np.testing.assert_allclose(got, direct_I(frame, w), rtol=1e-12)


def test_weights_gal_file(case, tmp_path, invoke, frame):
    # a hand-made GAL over the data's labels: a ring in name order
    names = names_of(frame)
    ring = {n: [names[(i - 1) % 12], names[(i + 1) % 12]] for i, n in enumerate(names)}
    text = "12\n" + "".join(f"{n} 2\n{' '.join(nb)}\n" for n, nb in ring.items())
    got = run_moran(
        case,
        tmp_path,
        invoke,
        {"weights": {"kind": "gal", "path": "ring.gal", "id_column": DROP}},
        files={"ring.gal": text},
    )
    w = spatial_weights(ring)
    np.testing.assert_allclose(got, direct_I(frame, w.subset(names)), rtol=1e-12)
    contiguity = province_weights(provinces=names, labels="name")
    assert not np.allclose(got, direct_I(frame, contiguity))


def test_weights_matrix_csv(case, tmp_path, invoke, frame):
    names = names_of(frame)
    code = dict(zip(frame["province"], frame["province_code"], strict=False))
    ids = [code[n] for n in names]  # matrix keyed by codes, matched through id_column
    M = np.abs(np.subtract.outer(np.arange(12.0), np.arange(12.0)))
    M = np.where(M > 0, 1.0 / np.where(M > 0, M, 1.0), 0.0)
    text = pd.DataFrame(M, index=pd.Index(ids, name="code"), columns=ids).to_csv()
    got = run_moran(
        case,
        tmp_path,
        invoke,
        {"weights": {"kind": "matrix", "path": "m.csv"}},
        files={"m.csv": text},
    )
    np.testing.assert_allclose(got, direct_I(frame, spatial_weights(matrix=M)), rtol=1e-12)


# ---------------------------------------------------------------------------- bad input
BAD = {
    "missing-value-column": (
        {"gini": {}},
        {"data": {"value": "nqpf_index"}},
        ["panel.csv", "column 'nqpf_index'", "not found"],
    ),
    "dagum-without-group": (
        {"dagum": {}},
        {"data": {"group": DROP}},
        ["config.yaml", "data.group"],
    ),
    "theil-without-group": (
        {"theil": {}},
        {"data": {"group": DROP}},
        ["config.yaml", "data.group"],
    ),
    "moran-without-weights": ({"moran": {}}, {"weights": DROP}, ["config.yaml", "weights"]),
    "lisa-without-weights": ({"local_moran": {}}, {"weights": DROP}, ["config.yaml", "weights"]),
    "misspelt-analysis": (
        {"moran": {}, "sigma": {}},
        {"analyses": {"sigma": DROP, "sigam": {}}},
        ["config.yaml", "analyses.sigam", "line", "unknown key"],
    ),
    "misspelt-option": (
        {"moran": {"permutation": 99}},
        {},
        ["config.yaml", "analyses.moran.permutation", "line", "unknown key"],
    ),
    "local-moran-period": (
        {"local_moran": {"period": 2030}},
        {},
        ["analyses.local_moran.period", "2030", "not in the data"],
    ),
    "island": (
        {"moran": {}},
        {"weights": {"hainan": "island", "id_column": DROP}},
        ["海南", "island"],
    ),
    "gal-not-found": (
        {"moran": {}},
        {"weights": {"kind": "gal", "path": "missing.gal"}},
        ["missing.gal", "not found"],
    ),
    "id-column-not-in-data": (
        {"moran": {}},
        {"weights": {"id_column": "code"}},
        ["panel.csv", "'code'"],
    ),
    "markov-one-period": ({"markov": {}}, {"periods": {"from": 2020}}, ["at least 2"]),
    "beta-one-period": ({"beta": {}}, {"periods": {"from": 2020}}, ["at least 2 periods"]),
    "sigma-one-period": ({"sigma": {}}, {"periods": {"from": 2020}}, ["at least 2 periods"]),
    "periods-outside": ({"gini": {}}, {"periods": {"from": 2030}}, ["periods", "2030"]),
    "bad-format": ({"gini": {}}, {"output": {"formats": ["xls"]}}, ["config.yaml", "xls"]),
}


@pytest.mark.parametrize(("analyses", "overrides", "expected"), BAD.values(), ids=list(BAD))
def test_bad_input_is_one_line_and_writes_nothing(
    analyses, overrides, expected, case, tmp_path, invoke
):
    line = one_line_error(invoke(["analyze", "run", case(analyses, overrides)]))
    for part in expected:
        assert part in line, (part, line)
    assert not (tmp_path / "out").exists()


def test_unbalanced_panel_for_markov_names_unit_and_period(case, tmp_path, invoke, frame):
    data = frame[~((frame["province"] == "湖南") & (frame["year"] == 2018))]
    line = one_line_error(invoke(["analyze", "run", case({"markov": {}}, data=data)]))
    assert "panel.csv" in line and "湖南" in line and "2018" in line and "unbalanced" in line
    assert not (tmp_path / "out").exists()


def test_data_unit_missing_from_the_gal_file(case, tmp_path, invoke, frame):
    names = names_of(frame)
    w = province_weights(provinces=[n for n in names if n != "贵州"], labels="name")
    cfg = case(
        {"moran": {}},
        {"weights": {"kind": "gal", "path": "w.gal", "id_column": DROP}},
        files={"w.gal": gal_text(w)},
    )
    line = one_line_error(invoke(["analyze", "run", cfg]))
    assert "w.gal" in line and "'贵州'" in line and "no row in the weights" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("analysis", ["gini", "theil"])
def test_negative_values_are_refused(analysis, case, tmp_path, invoke, frame):
    frame.loc[(frame["province"] == "福建") & (frame["year"] == 2016), "index"] = -0.5
    line = one_line_error(invoke(["analyze", "run", case({analysis: {}}, data=frame)]))
    assert "non-negative" in line and "-0.5" in line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("analysis", ["gini", "dagum", "theil"])
def test_negative_value_error_names_the_unit_and_year(analysis, case, invoke, frame):
    frame.loc[(frame["province"] == "福建") & (frame["year"] == 2016), "index"] = -0.5
    line = one_line_error(invoke(["analyze", "run", case({analysis: {}}, data=frame)]))
    assert "福建" in line and "2016" in line and "panel.csv" in line, line
    assert "row 21" not in line


def test_island_for_spatial_markov_names_the_province(case, tmp_path, invoke):
    cfg = case({"spatial_markov": {}}, {"weights": {"hainan": "island"}})
    line = one_line_error(invoke(["analyze", "run", cfg]))
    assert "46" in line or "海南" in line, line
    assert "unit 6" not in line


def test_island_error_gives_advice_the_config_can_follow(case, invoke):
    cfg = case({"moran": {}}, {"weights": {"hainan": "island"}})
    line = one_line_error(invoke(["analyze", "run", cfg]))
    assert "islands='ignore'" not in line and "field 'islands'" not in line, line
    assert "weights.hainan" in line


@pytest.mark.parametrize("analysis", ["markov", "spatial_markov"])
def test_markov_with_one_period_names_the_analysis(analysis, case, invoke):
    line = one_line_error(
        invoke(["analyze", "run", case({analysis: {}}, {"periods": {"from": 2020}})])
    )
    assert "transpose" not in line, line
    assert analysis in line or "panel.csv" in line


def test_failed_run_leaves_earlier_outputs_untouched(case, tmp_path, invoke, folder_snapshot):
    res = invoke(["analyze", "run", case({"gini": {}, "sigma": {}}), "-q"])
    assert res.code == 0, res.stderr
    before = folder_snapshot(tmp_path / "out")
    assert "gini.csv" in before
    bad = case({"gini": {}, "local_moran": {"period": 1999}})
    one_line_error(invoke(["analyze", "run", bad, "-q"]))
    assert folder_snapshot(tmp_path / "out") == before


def test_missing_config_file(tmp_path, invoke):
    line = one_line_error(invoke(["analyze", "run", tmp_path / "nope.yaml"]))
    assert "nope.yaml" in line and "not found" in line


# ---------------------------------------------------------------------------- help
def call(argv, capsys) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_help(capsys):
    code, out, _ = call(["--help"], capsys)
    assert code == 0 and "analyze" in out
    code, out, _ = call(["analyze", "--help"], capsys)
    assert code == 0
    assert "run" in out and "区域差异与动态演进" in out
    code, out, _ = call(["analyze", "run", "--help"], capsys)
    assert code == 0
    for option in ("CONFIG", "--out", "--format", "--no-report", "--quiet"):
        assert option in out, option


def test_analyze_without_a_command_shows_help(capsys):
    code, out, err = call(["analyze"], capsys)
    assert code in (0, 2)
    assert "run" in out + err


@pytest.mark.parametrize(
    "argv",
    [["analyze", "run"], ["analyze", "run", "x.yaml", "--bogus"], ["analyze", "nope"]],
    ids=["no-arg", "bad-opt", "bad-command"],
)
def test_usage_errors_exit_2_without_traceback(argv, invoke):
    res = invoke(argv)
    assert res.code == 2
    assert "Traceback" not in res.stderr
    assert "Usage" in res.stderr or "usage" in res.stderr
