"""Inline SVG charts: valid XML, one polygon per series, escaped labels.

The bar charts of the dashboard are tested beside the dashboard (tests/web/test_dashboard.py).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from nqpf.web.charts import LEVEL_COLORS, bar_svg, level_color, radar_svg, share, stacked_bar_svg

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


def test_every_chart_is_an_svg_image_element_and_level_colours_clamp():
    for kind, svg in (
        ("radar", radar_svg(["a", "b", "c"], [("s", [0.1, 0.2, 0.3])], title="t")),
        ("bars", bar_svg(["a"], [1], title="t")),
        ("stacked", stacked_bar_svg([("a", 1)], title="t")),
    ):
        root = ET.fromstring(svg)
        assert root.tag == f"{NS}svg" and root.get("role") == "img"
        assert root.get("class") == f"chart {kind}" and root.find(f"{NS}title").text == "t"
    assert level_color(-1) == LEVEL_COLORS[0] and level_color(9) == LEVEL_COLORS[-1]
