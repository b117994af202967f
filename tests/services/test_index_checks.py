"""Issue 14, items 1 and 3 through ``nqpf index run``: the data-quality report and the
checks of the config before anything is computed.

Each bad input of the issue is here with the exact message (or report line) and the
check that nothing was written.  Messages name YAML keys, never Python arguments.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from nqpf.services import index_checks
from nqpf.services.index_checks import weighting_options
from nqpf.services.index_run import check_data, load_index_config, run_index

PYTHON_TERMS = re.compile(r"normalize=True|max_cr=|constant='zero'|\w+=\w+\b")


def one_line(result) -> str:
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0].removeprefix("错误 error: ")


@pytest.fixture
def refused(tmp_path, panel_csv, make_config, invoke):
    """``refused(overrides) -> message``: the run stops with one line, writes nothing."""

    def go(overrides, **kw):
        message = one_line(invoke(["index", "run", make_config(overrides, **kw), "-q"]))
        assert not (tmp_path / "out").exists()
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
        assert not PYTHON_TERMS.search(message.split(": ", 1)[-1]), message
        return message

    return go


# ---------------------------------------------------------------------- item 3: method keys
def test_critic_with_a_leftover_scope_names_the_key(refused):
    message = refused({"method": {"weighting": "critic", "weighting_options": {"scope": "pooled"}}})
    assert message == (
        "field 'method.weighting_options.scope': 'scope' is not an option of weighting: "
        f"critic; its options are {', '.join(weighting_options('critic'))}"
    )


def test_unknown_weighting_option_suggests_the_key(refused):
    message = refused({"method": {"weighting_options": {"scop": "pooled"}}})
    assert message == (
        "field 'method.weighting_options.scop': 'scop' is not an option of weighting: entropy "
        f"(did you mean 'scope'?); its options are {', '.join(weighting_options('entropy'))}"
    )


def test_a_normalisation_key_in_weighting_options_points_to_its_section(refused):
    message = refused({"method": {"weighting_options": {"shift": 0.01}}})
    assert "the normalisation is set under method.normalization" in message


def test_options_of_a_weighting_without_options(refused):
    message = refused({"method": {"weighting": "equal", "weighting_options": {"ddof": 1}}})
    assert message == (
        "field 'method.weighting_options.ddof': weighting: equal takes no weighting_options; "
        "remove method.weighting_options.ddof"
    )


def test_a_bad_option_value_is_a_config_error_in_yaml_terms(refused):
    message = refused({"method": {"weighting_options": {"scope": "yearly"}}})
    assert message == (
        "field 'method.weighting_options.scope': scope: yearly is not one of 'pooled', 'per_period'"
    )


def test_a_3x3_ahp_matrix_for_18_indicators(refused):
    three = [[1, 2, 3], [1 / 2, 1, 2], [1 / 3, 1 / 2, 1]]
    message = refused({"method": {"weighting": "ahp", "ahp": three}})
    assert message == (
        "field 'method.ahp': method.ahp is a 3×3 matrix but there are 18 indicators in the "
        "system (edu_years, higher_edu_share, rd_staff_share, gdp_per_capita, avg_wage, "
        "labour_productivity …); give a 18×18 matrix in that order, or a hierarchy: the 3×3 "
        "matrix over the dimensions under method.ahp.dimensions and one matrix per dimension "
        "over its indicators"
    )


def test_a_2x2_dimension_matrix_for_3_dimensions(refused):
    message = refused({"method": {"weighting": "ahp", "ahp": {"dimensions": [[1, 2], [0.5, 1]]}}})
    assert message == (
        "field 'method.ahp.dimensions': method.ahp.dimensions is a 2×2 matrix but there are 3 "
        "dimensions (劳动者, 劳动资料, 劳动对象); give a 3×3 matrix in that order"
    )


def test_an_unknown_ahp_key_and_an_inconsistent_matrix(refused):
    eye = [[1, 1, 1], [1, 1, 1], [1, 1, 1]]
    message = refused({"method": {"weighting": "ahp", "ahp": {"dimensions": eye, "劳动": eye}}})
    assert message.startswith("field 'method.ahp.劳动': method.ahp has no place for '劳动'")
    bad = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]
    message = refused({"method": {"weighting": "ahp", "ahp": {"dimensions": bad}}})
    assert re.fullmatch(
        r"field 'method\.ahp\.dimensions': the judgements are too inconsistent: consistency "
        r"ratio CR = \d\.\d{4} exceeds 0\.1 \(Saaty\); revise them",
        message,
    )


def test_given_weights_that_do_not_sum_to_one(refused, indicator_ids):
    message = refused(
        {"method": {"weighting": "given", "weights": dict.fromkeys(indicator_ids, 0.05)}}
    )
    assert message == (
        "field 'method.weights': method.weights sum to 0.9, expected 1; rescale them so that "
        "they sum to 1"
    )


def test_per_period_weights_with_topsis(refused):
    message = refused(
        {"method": {"aggregation": "topsis", "weighting_options": {"scope": "per_period"}}}
    )
    assert message == (
        "field 'method.weighting_options.scope': scope: per_period gives one weight vector per "
        "period, which only method.aggregation: weighted_sum can use (not topsis)"
    )


def test_method_is_checked_before_the_data_are_read(tmp_path, make_config, invoke):
    """A wrong method key is reported even when the data file does not exist yet."""
    cfg = make_config({"data": {"path": "absent.csv"}, "method": {"weighting_options": {"x": 1}}})
    message = one_line(invoke(["index", "run", cfg, "-q"]))
    assert "method.weighting_options.x" in message and "absent.csv" not in message


def test_coupling_weights_must_name_the_subsystems(refused):
    message = refused({"coupling": {"weights": {"劳动者": 0.5, "劳动资料": 0.3, "劳动对像": 0.2}}})
    assert message == (
        "field 'coupling.weights': coupling.weights must name each subsystem ['劳动者', "
        "'劳动资料', '劳动对象'] once; unknown ['劳动对像'] (did you mean '劳动对象'?)"
    )


# ---------------------------------------------------------------------- item 3: data shape
def test_a_constant_indicator_is_refused_in_config_terms(tmp_path, demo_frame, make_config, invoke):
    demo_frame["robot_density"] = 5.0
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    message = one_line(invoke(["index", "run", make_config(), "-q"]))
    assert message == (
        "field 'method.normalization.constant': indicator 'robot_density' takes one value (5) "
        "in every row, so min-max normalisation cannot scale it (zero range); set "
        "method.normalization.constant: zero to score it 0, or leave it out of the system"
    )
    assert not (tmp_path / "out").exists()


def test_xlsx_cannot_hold_more_rows_than_a_sheet(
    tmp_path, panel_csv, make_config, invoke, monkeypatch
):
    monkeypatch.setattr(index_checks, "EXCEL_MAX_ROWS", 39)  # the panel has 40 rows
    message = one_line(invoke(["index", "run", make_config(), "-q"]))
    assert message == (
        "field 'output.formats': the index table will have 40 rows, more than an Excel sheet "
        "holds (39); leave xlsx out of output.formats (csv and parquet have no limit)"
    )
    assert not (tmp_path / "out").exists()
    res = invoke(["index", "run", make_config(), "-q", "-f", "csv"])  # the CLI's formats count
    assert res.code == 0, res.stderr


def test_unknown_output_format_is_refused_before_computing(
    tmp_path, panel_csv, make_config, invoke
):
    message = one_line(
        invoke(["index", "run", make_config({"output": {"formats": ["csv", "json"]}})])
    )
    assert "config.yaml" in message and "output.formats" in message and "json" in message
    assert not (tmp_path / "out").exists()


def test_config_terms_rewrites_the_cores_python_hints():
    assert index_checks.config_terms("x; pass normalize=True to rescale") == (
        "x; rescale them so that they sum to 1"
    )
    assert "max_cr" not in index_checks.config_terms(
        "CR = 0.2 exceeds 0.1; revise the judgements or pass max_cr=None to accept them"
    )


# ---------------------------------------------------------------------- item 1: the report
def test_years_written_with_nian_keep_the_last_year_of_a_range(tmp_path, demo_frame, make_config):
    demo_frame["year"] = demo_frame["year"].astype(str) + "年"  # 2016年 … 2020年
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    run = run_index(load_index_config(make_config({"periods": {"from": 2017, "to": 2020}})))
    assert sorted(set(run.tables["index"]["year"])) == [2017, 2018, 2019, 2020]
    f = run.quality.finding("period_labels")
    assert (f.status, f.message) == (
        "fixed",
        "40 period label(s) written as text, e.g. '2016年', read as the year 2016, so ranges "
        "compare them as numbers",
    )


def test_one_huge_cell_is_named_with_the_weight_it_takes(tmp_path, demo_frame, make_config, invoke):
    demo_frame.loc[5, "rd_staff_share"] = 1e308  # 天津 2016
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    cfg = make_config({"output": {"formats": ["csv"]}})
    run = run_index(load_index_config(cfg))
    weight = run.tables["weights"].set_index("id").loc["rd_staff_share", "weight"]
    assert weight > 0.5  # the cell takes most of the entropy weight …
    f = run.quality.finding("outliers")
    assert f.status == "warn"  # … and the run says so, naming it
    assert "most extreme rd_staff_share (province 天津, year 2016 = 1e+308)" in f.message
    shift = run.quality.tables["weight_shift"].iloc[0]
    assert shift["indicator"] == "rd_staff_share" and shift["weight"] == pytest.approx(weight)
    assert shift["weight without the outlier cells"] < 0.15
    assert f"weights with them (clipped to the fences): rd_staff_share {weight:.1%}" in f.message
    res = invoke(["index", "run", cfg])
    assert res.code == 0 and "rd_staff_share" in res.stdout and "warn" in res.stdout
    quiet = invoke(["index", "run", cfg, "-q"])
    assert quiet.stderr.startswith("警告 warning: ") and "rd_staff_share" in quiet.stderr
    checks = pd.read_excel(tmp_path / "out" / "quality.xlsx", sheet_name=None)
    assert set(checks) >= {"checks", "outliers", "weight_shift", "fences"}
    html = (tmp_path / "out" / "quality.html").read_text(encoding="utf-8")
    assert "离群值对权重的影响" in html


def test_fix_clips_the_cell_and_reports_the_weights_as_read(tmp_path, demo_frame, make_config):
    demo_frame.loc[5, "rd_staff_share"] = 1e308
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    run = run_index(load_index_config(make_config({"quality": {"outliers": "fix"}})))
    assert run.tables["weights"].set_index("id").loc["rd_staff_share", "weight"] < 0.15
    f = run.quality.finding("outliers")
    assert f.status == "fixed" and "weights with them clipped (as read)" in f.message


def test_unbalanced_panel_and_thousands_separators_are_reported(tmp_path, demo_frame, make_config):
    demo_frame = demo_frame.drop(index=7).astype({"avg_wage": object})
    demo_frame.loc[0, "avg_wage"] = f"{demo_frame.loc[0, 'avg_wage'] * 1000:,.2f}"
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    run = run_index(load_index_config(make_config()))
    balance, thousands = run.quality.finding("balance"), run.quality.finding("thousands")
    assert balance.status == "warn" and balance.message.startswith(
        "unbalanced: 1 of 8 units lack some of the 5 periods (1 unit-periods missing)"
    )
    assert thousands.status == "fixed" and "column 'avg_wage', row 2" in thousands.message


def test_quality_policy_error_stops_before_computing(tmp_path, demo_frame, make_config, invoke):
    demo_frame = demo_frame.drop(index=7)
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    message = one_line(
        invoke(["index", "run", make_config({"quality": {"unbalanced": "error"}}), "-q"])
    )
    assert message.startswith(
        f"{(tmp_path / 'panel.csv').resolve()}: unbalanced: 1 of 8 units lack some of the 5 periods"
    )
    assert message.endswith("(quality.unbalanced: error)")
    assert not (tmp_path / "out").exists()


def test_negative_values_where_cv_needs_positive_ones(tmp_path, demo_frame, make_config, invoke):
    demo_frame.loc[9, "robot_density"] = -3.0
    demo_frame.to_csv(tmp_path / "panel.csv", index=False)
    message = one_line(invoke(["index", "run", make_config({"method": {"weighting": "cv"}}), "-q"]))
    assert message == (
        f"{(tmp_path / 'panel.csv').resolve()}, column 'robot_density': province 天津, year 2020 "
        "is -3: weighting: cv needs positive values (1 non-positive)"
    )
    assert not (tmp_path / "out").exists()


def test_check_data_shows_the_whole_report_without_raising(demo_frame, indicator_ids):
    from nqpf.services.index_run import parse_index_config

    cfg = parse_index_config(
        "data: {path: up.csv, entity: province, period: year, keep: [province_code, region]}\n"
        "system: nqpf-three-factor\nquality: {thousands: error}\n"
    )
    data = demo_frame.astype({"avg_wage": object})
    data.loc[0, "avg_wage"] = "1,234.5"
    data.loc[5, "rd_staff_share"] = 1e308
    report = check_data(cfg, data.to_csv(index=False).encode())
    assert [f.check for f in report.errors] == ["thousands"]
    assert report.summary().title == "数据质量 data quality — up.csv"
    ok = check_data(
        cfg,
        demo_frame.assign(
            rd_staff_share=np.where(demo_frame.index == 5, 1e308, demo_frame["rd_staff_share"])
        ),
    )
    assert ok.errors == [] and "weight_shift" in ok.tables
