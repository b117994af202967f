"""Writing an index run: XLSX / CSV / Parquet tables, the HTML report and config.used.yaml."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from nqpf.datasets import SYNTHETIC_LABEL
from nqpf.exceptions import ConfigError, NqpfError
from nqpf.services.index_output import TABLE_TITLES, build_report, write_index_outputs
from nqpf.services.index_run import load_index_config, run_index

TITLE = "测试省域新质生产力指数"  # tests/conftest.py base_config()
#: Files every run writes after its tables and report: effective config, data-quality
#: report, manifest.
RUN_FILES = ["config.used.yaml", "quality.html", "quality.xlsx", "manifest.json"]


@pytest.fixture
def run(tmp_path, panel_csv, make_config):
    def go(overrides=None, **kw):
        return run_index(load_index_config(make_config(overrides, **kw)))

    return go


def tmp_leftovers(folder):
    return [p.name for p in folder.rglob("*") if p.name.endswith(".tmp")]


def test_writes_every_format_and_returns_the_paths(run, tmp_path):
    r = run()
    written = write_index_outputs(r, formats=["xlsx", "csv", "parquet"])
    out = tmp_path / "out"
    names = [p.name for p in written]
    assert names == [
        "nqpf_index.xlsx",
        *(f"{t}.csv" for t in r.tables),
        *(f"{t}.parquet" for t in r.tables),
        "report.html",
        *RUN_FILES,
    ]
    assert all(p.parent == out.resolve() and p.is_file() for p in written)
    assert r.written == written
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert tmp_leftovers(out) == []


def test_every_table_has_a_caption():
    assert set(TABLE_TITLES) >= {
        "index",
        "weights",
        "coupling",
        "obstacles_top",
        "filled_cells",
        "metadata",
    }


def test_xlsx_sheets_hold_the_tables(run, tmp_path):
    r = run()
    write_index_outputs(r, formats=["xlsx"], report=False)
    path = tmp_path / "out" / "nqpf_index.xlsx"
    wb = load_workbook(path, read_only=True)
    try:
        assert wb.sheetnames == list(r.tables)
    finally:
        wb.close()
    sheets = pd.read_excel(path, sheet_name=None, dtype={"province_code": str})
    for name, table in r.tables.items():
        got = sheets[name]
        assert [str(c) for c in table.columns] == [str(c) for c in got.columns], name
        assert len(got) == len(table), name
    np.testing.assert_allclose(sheets["index"]["index"], r.tables["index"]["index"], rtol=1e-12)
    np.testing.assert_allclose(sheets["coupling"]["D"], r.tables["coupling"]["D"], rtol=1e-12)
    assert sheets["metadata"].iloc[0].tolist() == ["数据性质 data status", SYNTHETIC_LABEL]


def test_csv_and_parquet_round_trip(run, tmp_path):
    r = run()
    write_index_outputs(r, formats=["csv", "parquet"], report=False)
    out = tmp_path / "out"
    for name, table in r.tables.items():
        pq = pd.read_parquet(out / f"{name}.parquet")
        assert [str(c) for c in pq.columns] == [str(c) for c in table.columns], name
        assert len(pq) == len(table)
        raw = (out / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel/WPS open Chinese text correctly
    idx = pd.read_parquet(out / "index.parquet")
    np.testing.assert_array_equal(idx["index"].to_numpy(), r.tables["index"]["index"].to_numpy())
    assert (idx["province_code"] == r.tables["index"]["province_code"]).all()


def test_formula_like_text_is_stored_as_text(tmp_path, demo_frame, make_config):
    demo_frame["region"] = '=HYPERLINK("http://x")'
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    r = run_index(load_index_config(make_config()))
    write_index_outputs(r, formats=["xlsx"], report=False)
    wb = load_workbook(tmp_path / "out" / "nqpf_index.xlsx")
    ws = wb["index"]
    col = [c.value for c in ws[1]].index("region") + 1
    cell = ws.cell(row=2, column=col)
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"


def test_no_report(run, tmp_path):
    written = write_index_outputs(run(), formats=["csv"], report=False)
    assert not (tmp_path / "out" / "report.html").exists()
    assert [p.name for p in written[-len(RUN_FILES) :]] == RUN_FILES


def test_config_report_false_and_out_dir_override(run, tmp_path):
    r = run({"output": {"report": False, "formats": ["parquet"]}})
    target = tmp_path / "a" / "b"
    written = write_index_outputs(r, out_dir=target)
    assert {p.parent for p in written} == {target.resolve()}
    assert not (target / "report.html").exists()
    assert (target / "index.parquet").is_file()
    assert not (tmp_path / "out").exists()


def test_unknown_format_writes_nothing(run, tmp_path):
    with pytest.raises(ConfigError, match="json") as err:
        write_index_outputs(run(), formats=["csv", "json"])
    assert err.value.field == "output.formats"
    assert not (tmp_path / "out").exists()


def test_output_path_that_is_a_file(run, tmp_path):
    target = tmp_path / "out"
    target.write_bytes(b"keep me")
    with pytest.raises(ConfigError, match="not a folder"):
        write_index_outputs(run())
    assert target.read_bytes() == b"keep me"


def test_rewrite_replaces_files_in_place(run, tmp_path):
    write_index_outputs(run({"title": "第一次"}), formats=["csv"], report=False)
    meta = tmp_path / "out" / "metadata.csv"
    assert "第一次" in meta.read_text(encoding="utf-8-sig")
    write_index_outputs(run({"title": "第二次"}), formats=["csv"], report=False)
    text = meta.read_text(encoding="utf-8-sig")
    assert "第二次" in text and "第一次" not in text
    assert tmp_leftovers(tmp_path / "out") == []


def test_failed_write_leaves_no_temporary_files(run, tmp_path):
    r = run()
    out = tmp_path / "out"
    write_index_outputs(r, formats=["csv"], report=False)
    before = (out / "weights.csv").read_bytes()
    (out / "index.csv").unlink()
    (out / "index.csv").mkdir()  # cannot be replaced by a file
    with pytest.raises((OSError, NqpfError)):
        write_index_outputs(run({"title": "新"}), formats=["csv"], report=False)
    assert tmp_leftovers(out) == []
    assert (out / "weights.csv").read_bytes() == before  # later files not touched


def test_os_error_while_writing_is_a_one_line_user_error(tmp_path, panel_csv, make_config, invoke):
    cfg = make_config({"output": {"formats": ["csv"], "report": False}})
    (tmp_path / "out" / "index.csv").mkdir(parents=True)
    res = invoke(["index", "run", cfg, "-q"])
    assert res.code == 2, res.stderr
    assert "Traceback" not in res.stderr
    assert "index.csv" in res.stderr


# ---------------------------------------------------------------------- report
def test_report_content(run):
    r = run()
    html = build_report(r)
    assert f"<title>{TITLE}</title>" in html
    assert SYNTHETIC_LABEL in html
    assert r.result.method in html
    assert "耦合协调度" in html and "子系统：劳动者、劳动资料、劳动对象" in html
    assert html.count("data:image/png;base64,") >= 5  # trend, weights, ranks, coupling, obstacles
    assert "缺失值处理" not in html
    for name in ("北京", "新疆"):
        assert name in html


def test_report_of_real_data_has_no_synthetic_label(run):
    r = run({"data": {"synthetic": False}, "coupling": None})
    html = build_report(r)
    assert SYNTHETIC_LABEL not in html
    assert "耦合协调度" not in html  # no coupling section without coupling
    assert "数据性质 data status" not in r.tables["metadata"]["item"].tolist()


def test_report_lists_filled_cells(tmp_path, demo_frame, make_config):
    demo_frame.loc[6, "avg_wage"] = np.nan
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    r = run_index(load_index_config(make_config({"data": {"missing": "interpolate"}})))
    html = build_report(r)
    assert "缺失值处理" in html and "avg_wage" in html


def test_config_used_is_written_and_loads(run, tmp_path):
    r = run({"method": {"weighting": "critic"}})
    written = write_index_outputs(r, formats=["csv"], report=False)
    assert written[-1].name == "manifest.json"
    used = load_index_config(written[0].parent / "config.used.yaml")
    assert used.method.weighting == "critic"
    assert used.output.formats == ["csv"] and used.output.report is False
    assert used.output.dir == str(written[0].parent)
    same = {"data": {"path"}, "output": True, "base_dir": True}
    assert used.model_dump(exclude=same) == r.config.model_dump(exclude=same)
