"""Inline SVG charts: valid XML, one polygon per series, escaped labels."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from nqpf.web.charts import radar_svg, share

NS = "{http://www.w3.org/2000/svg}"


def test_radar_is_valid_xml_with_one_polygon_per_series():
    axes = ["数字化基础", "数字化管理", "数字化成效"]
    svg = radar_svg(axes, [("T0", [0.5, 0.2, 1.0]), ("T1", [0.8, 0.6, 1.4])], title="对比")
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    polygons = root.findall(f".//{NS}polygon")
    assert len(polygons) == 2
    texts = [t.text for t in root.iter(f"{NS}text")]
    for label in [*axes, "T0", "T1"]:
        assert label in texts
    # values above 1 are clamped to the outer ring
    pts = [tuple(map(float, p.split(","))) for p in polygons[1].get("points").split()]
    assert len(pts) == 3
    one = radar_svg(axes, [("T0", [0.5, 0.2, 1.0])])
    assert len(ET.fromstring(one).findall(f".//{NS}polygon")) == 1


def test_radar_escapes_labels():
    evil = "<script>alert(1)</script>"
    svg = radar_svg([evil, "a&b", '"q"'], [(evil, [0.1, 0.2, 0.3])], title=evil)
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{NS}text")]
    assert evil in texts and "a&b" in texts


def test_radar_edge_cases():
    assert ET.fromstring(radar_svg(["only"], [("s", [0.5])]))
    assert ET.fromstring(radar_svg(["a", "b", "c"], []))
    with pytest.raises(ValueError):
        radar_svg([], [])
    with pytest.raises(ValueError):
        radar_svg(["a", "b"], [("s", [1.0])])
    assert share(5, 10) == 0.5 and share(5, 0) == 0.0 and share(None, 3) == 0.0
    assert share(20, 10) == 1.0 and share(-1, 10) == 0.0
