"""The index and analyze runs without a file system: config text and data in, tables out.

The web calls the same services as the CLI with an uploaded panel; here the shipped
example configs run from their text and an in-memory panel (bytes or a dataframe) and
give the same tables as ``nqpf index run`` / ``nqpf analyze run`` on the same examples.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from nqpf.disparity import province_weights
from nqpf.exceptions import ConfigError
from nqpf.services.analyze_config import parse_analyze_config
from nqpf.services.analyze_run import run_analysis
from nqpf.services.demo import demo_panel
from nqpf.services.files import InputFile
from nqpf.services.index_config import parse_index_config
from nqpf.services.index_run import run_index

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
INDEX_TEXT = (EXAMPLES / "nqpf-index.yaml").read_text(encoding="utf-8")
ANALYZE_TEXT = (EXAMPLES / "nqpf-analyze.yaml").read_text(encoding="utf-8")
PANEL = (EXAMPLES / "demo_panel.csv").read_bytes()
#: Metadata rows that differ between any two runs, or between a file and a dataframe.
VOLATILE = {"运行时间 run at", "数据 SHA-256"}


@pytest.fixture(scope="module")
def cli_outputs(tmp_path_factory, invoke):
    """The example configs run by the CLI into a temporary copy of examples/."""
    root = tmp_path_factory.mktemp("examples")
    (root / "examples").mkdir()
    for name in ("nqpf-index.yaml", "nqpf-analyze.yaml", "demo_panel.csv"):
        shutil.copy(EXAMPLES / name, root / "examples" / name)
    # The analyze example reads the index example's index.csv (../out/nqpf-index).
    index = invoke(
        [
            "index",
            "run",
            root / "examples" / "nqpf-index.yaml",
            "-q",
            "--no-report",
            "-f",
            "csv",
            "-f",
            "parquet",
        ]
    )
    assert index.code == 0, index.stderr
    analyze = invoke(
        [
            "analyze",
            "run",
            root / "examples" / "nqpf-analyze.yaml",
            "-q",
            "--no-report",
            "-f",
            "parquet",
        ]
    )
    assert analyze.code == 0, analyze.stderr
    return root / "out" / "nqpf-index", root / "out" / "nqpf-analyze"


@pytest.fixture(scope="module")
def index_run():
    return run_index(parse_index_config(INDEX_TEXT), InputFile("demo_panel.csv", PANEL))


def assert_same_tables(tables: dict[str, pd.DataFrame], folder: Path) -> None:
    """``tables`` equal the Parquet files in ``folder`` (which keep column names as text)."""
    assert sorted(tables) == sorted(p.stem for p in folder.glob("*.parquet"))
    for name, table in tables.items():
        written = pd.read_parquet(folder / f"{name}.parquet")
        if name == "metadata":
            written, table = (t[~t["item"].isin(VOLATILE)] for t in (written, table))
        # obstacle labels are categories in memory and text in the file (same values)
        expected = table.reset_index(drop=True).apply(
            lambda c: c.astype(str) if isinstance(c.dtype, pd.CategoricalDtype) else c
        )
        expected.columns = [str(c) for c in expected.columns]
        pd.testing.assert_frame_equal(
            expected, written.reset_index(drop=True), check_dtype=False, obj=name
        )


def test_index_from_bytes_gives_the_cli_tables(index_run, cli_outputs):
    assert_same_tables(index_run.tables, cli_outputs[0])


def test_index_from_bytes_records_the_data_digest(index_run, cli_outputs):
    meta = index_run.tables["metadata"].set_index("item")["value"]
    written = pd.read_parquet(cli_outputs[0] / "metadata.parquet").set_index("item")["value"]
    assert meta["数据 SHA-256"] == written["数据 SHA-256"]


def test_index_from_a_dataframe_gives_the_same_tables(index_run):
    frame = pd.read_csv(io.BytesIO(PANEL), dtype={"province_code": str})
    run = run_index(parse_index_config(INDEX_TEXT), frame)
    assert "数据 SHA-256" not in set(run.tables["metadata"]["item"])  # no file, no digest
    for name, table in index_run.tables.items():
        if name != "metadata":
            pd.testing.assert_frame_equal(run.tables[name], table, obj=name)


def test_index_from_bare_bytes_is_read_as_the_config_names_it(index_run):
    run = run_index(parse_index_config(INDEX_TEXT), PANEL)
    pd.testing.assert_frame_equal(run.tables["index"], index_run.tables["index"])


def test_index_run_renders_its_report_and_config(index_run):
    html = index_run.report_html
    assert html.startswith("<!DOCTYPE html>") and "中国省域新质生产力发展水平（示例）" in html
    used = yaml.safe_load(index_run.config_text())
    assert used["data"]["path"] == "demo_panel.csv"  # a config from text keeps its paths
    assert used["output"] == {
        "dir": "../out/nqpf-index",
        "formats": ["xlsx", "csv"],
        "report": True,
    }


def test_analysis_of_the_in_memory_index_gives_the_cli_tables(index_run, cli_outputs):
    run = run_analysis(parse_analyze_config(ANALYZE_TEXT), index_run.tables["index"])
    assert_same_tables(run.output_tables, cli_outputs[1])


def test_a_config_from_text_reads_no_file():
    with pytest.raises(ConfigError, match="not read from a file") as err:
        run_index(parse_index_config(INDEX_TEXT))
    assert err.value.field == "data.path"
    text = INDEX_TEXT.replace("system: nqpf-three-factor", "system: ../mine.yaml")
    with pytest.raises(ConfigError, match="not read from a file") as err:
        run_index(parse_index_config(text), PANEL)
    assert err.value.field == "system"


def test_a_config_mapping_is_checked_like_its_text():
    cfg = yaml.safe_load(INDEX_TEXT)
    assert parse_index_config(cfg) == parse_index_config(INDEX_TEXT)
    cfg["method"]["weigting"] = "entropy"
    with pytest.raises(ConfigError, match="unknown key") as err:
        parse_index_config(cfg)
    assert err.value.field == "method.weigting"


def test_cross_section_requirements_name_the_line_in_text():
    text = ANALYZE_TEXT.replace("  group: region", "")
    with pytest.raises(ConfigError, match=r"line \d+: dagum and theil need data.group") as err:
        parse_analyze_config(text, filename="upload.yaml")
    assert err.value.file == "upload.yaml"


def test_spatial_weights_come_with_the_run(index_run):
    """A GAL file given as bytes, as an analyst would upload it beside the panel."""
    w = province_weights("contiguity", "guangdong")
    lines = [str(w.n)]
    for i in w.ids:
        lines += [f"{i} {len(w.neighbors(i))}", " ".join(map(str, w.neighbors(i)))]
    shipped = yaml.safe_load(ANALYZE_TEXT) | {"analyses": {"moran": {"permutations": 0}}}
    from_gal = shipped | {"weights": {"kind": "gal", "path": "w.gal", "id_column": "province_code"}}
    gal = InputFile("w.gal", "\n".join(lines).encode())
    a = run_analysis(parse_analyze_config(from_gal), index_run.tables["index"], weights=gal)
    b = run_analysis(parse_analyze_config(shipped), index_run.tables["index"])
    assert a.meta["权重来源 weights source"] == "w.gal"
    pd.testing.assert_frame_equal(a.tables["moran"], b.tables["moran"])


def test_the_demo_panel_made_in_memory_runs_the_example(index_run):
    run = run_index(parse_index_config(INDEX_TEXT), demo_panel())
    pd.testing.assert_frame_equal(run.tables["index"], index_run.tables["index"])
