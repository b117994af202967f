"""A run scored a few rows at a time writes the files of a run scored whole."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from nqpf.indices import CompositeIndex
from nqpf.services.files import write_run
from nqpf.services.index_run import load_index_config, run_index


@pytest.mark.parametrize("aggregation", ["weighted_sum", "gra_topsis"])
def test_chunked_run_writes_the_same_files(
    tmp_path, panel_csv, make_config, monkeypatch, aggregation
):
    config = load_index_config(make_config({"method": {"aggregation": aggregation}}))
    written = {}
    for chunk_rows in (None, 3):  # 40 rows: 13 chunks of 3 and one of 4
        monkeypatch.setitem(CompositeIndex.__init__.__kwdefaults__, "chunk_rows", chunk_rows)
        out = tmp_path / f"out-{chunk_rows}"
        write_run(run_index(config), out_dir=out, formats=["csv", "parquet"], report=False)
        written[chunk_rows] = out
    names = sorted(p.name for p in written[None].iterdir() if p.suffix in (".csv", ".parquet"))
    assert "index.csv" in names and "obstacles_top.parquet" in names
    for name in names:
        if name.startswith("metadata."):  # holds the time of the run
            continue
        whole, chunked = written[None] / name, written[3] / name
        if name.endswith(".csv"):
            assert chunked.read_bytes() == whole.read_bytes(), name
        else:
            assert pq.read_table(chunked).equals(pq.read_table(whole)), name
