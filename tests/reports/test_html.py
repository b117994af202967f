"""HTML report: escaping, banner, self-containment, table formatting and truncation."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nqpf.reports import html as html_module
from nqpf.reports.html import Section, format_cell, render_report

EVIL = "<script>alert(1)</script>"
PNG_URI = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "YPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


class _Collector(HTMLParser):
    """Collects tags, attributes and text to check the structure of the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def _parse(html: str) -> _Collector:
    parser = _Collector()
    parser.feed(html)
    parser.close()
    return parser


def _tbody_rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>.*?</tr>", body)


def _report(**kwargs) -> str:
    defaults = {"title": "新质生产力指数报告", "meta": {"配置": "demo.yaml"}, "sections": []}
    return render_report(**(defaults | kwargs))


# --------------------------------------------------------------------------- escaping


def test_user_strings_are_escaped_everywhere():
    frame = pd.DataFrame({EVIL: [EVIL, "ok"], "值": [1.5, 2.0]})
    html = render_report(
        title=EVIL,
        subtitle=EVIL,
        synthetic_label=EVIL,
        meta={EVIL: EVIL},
        sections=[
            Section(EVIL, text=EVIL, figures=[(EVIL, PNG_URI)], tables=[(EVIL, frame)]),
        ],
        footer=EVIL,
    )
    assert "<script" not in html
    assert "alert(1)" in html
    # title, h1, subtitle, banner x2, meta x2, toc, h2, text, alt, figcaption, table
    # caption, column header, cell, footer
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 16
    assert not any(tag == "script" for tag, _ in _parse(html).tags)


def test_table_cell_with_script_is_escaped():
    frame = pd.DataFrame({"省份": [EVIL], "指数": [0.5]})
    html = _report(sections=[Section("结果", tables=[("表", frame)])])
    assert '<td class="wide">&lt;script&gt;alert(1)&lt;/script&gt;</td>' in html
    assert "<script>" not in html


@pytest.mark.parametrize(
    "uri",
    [
        "javascript:alert(1)",
        "https://example.com/chart.png",
        "data:text/html;base64,PHNjcmlwdD4=",
        'data:image/png;base64,AAAA" onerror="alert(1)',
    ],
)
def test_figures_must_be_inline_image_data_uris(uri):
    with pytest.raises(ValueError, match="data:image"):
        Section("图", figures=[uri])


# ------------------------------------------------------------------------ page shell


def test_page_is_self_contained_utf8_chinese_and_printable():
    html = _report(sections=[Section("概况", text="正文")])
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="zh-CN">' in html
    assert '<meta charset="utf-8">' in html
    assert '"Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif' in html
    assert "@media print" in html
    tags = _parse(html).tags
    assert not any(tag in {"script", "link", "iframe"} for tag, _ in tags)
    for _, attrs in tags:
        for key in ("src", "href"):
            value = attrs.get(key)
            assert value is None or value.startswith(("#", "data:")), value
    assert "http://" not in html and "https://" not in html
    assert "@import" not in html and "url(" not in html


def test_banner_only_when_label_given():
    with_label = _report(synthetic_label="示例数据，非真实统计")
    assert '<div class="banner" role="alert">⚠ 示例数据，非真实统计</div>' in with_label
    # Repeated in the footer, so a printed last page still carries it.
    assert with_label.count("示例数据，非真实统计") == 2
    without = _report()
    assert 'class="banner"' not in without and "示例数据" not in without


def test_title_subtitle_meta_and_toc():
    sections = [Section("综合指数"), Section("区域差异"), Section("障碍因子")]
    html = _report(
        subtitle="2012—2022 年 31 省份",
        meta={"配置文件": "index.yaml", "年份范围": "2012—2022"},
        sections=sections,
    )
    assert "<title>新质生产力指数报告</title>" in html
    assert '<p class="subtitle">2012—2022 年 31 省份</p>' in html
    assert html.index("<dt>配置文件</dt>") < html.index("<dt>年份范围</dt>")
    for i, sec in enumerate(sections, start=1):
        assert f'<li><a href="#sec-{i}">{sec.title}</a></li>' in html
        assert f'<section id="sec-{i}">' in html
        assert f"<h2>{i}. {sec.title}</h2>" in html


def test_text_paragraphs_and_figures():
    html = _report(
        sections=[
            Section("概况", text="第一段\n\n第二段", figures=[PNG_URI, ("图 1 趋势", PNG_URI)])
        ]
    )
    assert "<p>第一段</p>" in html and "<p>第二段</p>" in html
    assert html.count(f'src="{PNG_URI}"') == 2
    assert "<figcaption>图 1 趋势</figcaption>" in html


def test_output_is_deterministic():
    def make() -> str:
        return _report(sections=[Section("表", tables=[("t", pd.DataFrame({"a": [1.0]}))])])

    assert make() == make()


# -------------------------------------------------------------------------- tables


def test_numbers_formatted_ints_kept():
    frame = pd.DataFrame(
        {
            "省份": ["北京", "上海"],
            "年份": [2021, 2022],
            "指数": [0.123456, 1 / 3],
            "缺失": [np.nan, 2.5],
            "可空整数": pd.array([7, None], dtype="Int64"),
        }
    )
    html = _report(sections=[Section("结果", tables=[("指数表", frame)])])
    rows = _tbody_rows(html)
    assert rows[0] == (
        '<tr><td class="nowrap">北京</td><td class="num nowrap">2021</td>'
        '<td class="num nowrap">0.1235</td><td class="num nowrap"></td>'
        '<td class="num nowrap">7</td></tr>'
    )
    assert '<td class="num nowrap">0.3333</td>' in rows[1]
    assert '<td class="num nowrap">2.5000</td>' in rows[1]
    # No index column for a default RangeIndex.
    assert '<th scope="row">' not in html


def test_named_and_multi_index_are_shown():
    frame = pd.DataFrame({"指数": [0.5, 0.25]}, index=pd.Index(["东部", "西部"], name="区域"))
    html = _report(sections=[Section("s", tables=[("t", frame)])])
    assert (
        '<th scope="col" class="nowrap">区域</th><th scope="col" class="nowrap">指数</th>' in html
    )
    assert '<th scope="row" class="nowrap">东部</th><td class="num nowrap">0.5000</td>' in html

    multi = frame.set_index(pd.MultiIndex.from_tuples([("东部", 2020), ("西部", 2020)]))
    multi.columns = pd.MultiIndex.from_tuples([("指数", "值")])
    html = _report(sections=[Section("s", tables=[("t", multi)])])
    assert (
        '<th scope="row" class="nowrap">东部</th><th scope="row" class="nowrap">2020</th>' in html
    )
    assert '<th scope="col" class="nowrap">指数 / 值</th>' in html


def test_print_layout_keeps_short_columns_on_one_line_and_long_text_wide():
    frame = pd.DataFrame(
        {
            "题号": [1, 22],
            "维度": ["数字化管理", "数字化基础"],
            "题目": ["近三年平均数字化投入占营业额比例（按营业收入计，含软硬件与服务）", "短"],
            "作答说明": ["选项B（单个业务环节）", "选项A"],
        }
    )
    html = _report(sections=[Section("s", tables=[("t", frame)])])
    heads = re.findall(r'<th scope="col"(?: class="(\w+)")?>', html)
    assert heads == ["nowrap", "nowrap", "wide", ""]
    assert '<td class="nowrap">数字化管理</td>' in html
    css = (Path(html_module.__file__).parent / "templates" / "base.css").read_text("utf-8")
    print_rules = css[css.index("@media print") :]
    assert "th.nowrap, td.nowrap, td.num { white-space: nowrap; }" in print_rules
    assert "th.wide, td.wide { min-width: 12em; }" in print_rules
    assert "break-after: avoid" in print_rules and "break-before: avoid" in print_rules


def test_wide_tables_scroll_horizontally():
    frame = pd.DataFrame(np.zeros((2, 40)), columns=[f"指标{i}" for i in range(40)])
    html = _report(sections=[Section("宽表", tables=[("t", frame)])])
    assert '<div class="table-scroll">' in html
    assert re.search(r"\.table-scroll\s*\{[^}]*overflow-x:\s*auto", html)


def test_long_tables_truncated_with_note():
    frame = pd.DataFrame({"i": range(450), "v": np.linspace(0, 1, 450)})
    html = _report(sections=[Section("长表", tables=[("t", frame)])])
    assert len(_tbody_rows(html)) == 200
    assert "仅显示前 200 行，完整数据见导出文件" in html
    assert "共 450 行" in html

    html = _report(sections=[Section("长表", tables=[("t", frame)])], max_rows=10)
    assert len(_tbody_rows(html)) == 10
    assert "仅显示前 10 行，完整数据见导出文件" in html


def test_short_tables_have_no_truncation_note():
    frame = pd.DataFrame({"v": np.arange(200)})
    html = _report(sections=[Section("表", tables=[("t", frame)])])
    assert len(_tbody_rows(html)) == 200
    assert "仅显示前" not in html


def test_empty_table_renders_header_only():
    html = _report(sections=[Section("空", tables=[("t", pd.DataFrame({"a": []}))])])
    assert '<th scope="col" class="nowrap">a</th>' in html and _tbody_rows(html) == []


# --------------------------------------------------------------------------- Section


def test_section_is_frozen_and_copies_lists():
    figures = [PNG_URI]
    sec = Section("s", figures=figures)
    figures.append("javascript:alert(1)")
    assert sec.figures == (PNG_URI,)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sec.title = "t"  # type: ignore[misc]


def test_section_rejects_bad_tables():
    with pytest.raises(ValueError, match="DataFrame"):
        Section("s", tables=[pd.DataFrame({"a": [1]})])  # type: ignore[list-item]


def test_render_rejects_non_sections():
    with pytest.raises(TypeError, match="Section"):
        _report(sections=["not a section"])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.123456, "0.1235"),
        (np.float32(0.5), "0.5000"),
        (3, "3"),
        (np.int64(2022), "2022"),
        (float("nan"), ""),
        (None, ""),
        (pd.NA, ""),
        (True, "是"),
        ("东部", "东部"),
    ],
)
def test_format_cell(value, text):
    assert format_cell(value) == text


def test_package_exports_resolve():
    import nqpf.reports as reports

    for name in reports.__all__:
        assert getattr(reports, name) is not None, name
