"""Report charts: right number of artists, Chinese without tofu, footnote visible."""

from __future__ import annotations

import base64
import warnings

import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from nqpf.exceptions import DataValidationError
from nqpf.reports import plots
from nqpf.reports.plots import (
    COUPLING_CLASSES,
    coupling_scatter,
    coupling_trend,
    figure_to_data_uri,
    figure_to_svg,
    group_trend,
    index_trend,
    obstacle_bar,
    rank_heatmap,
    weights_bar,
)

NOTE = "示例数据，非真实统计"
REGIONS = {
    "东部": ["北京", "天津", "河北", "上海", "江苏", "浙江", "福建", "山东", "广东", "海南"],
    "中部": ["山西", "安徽", "江西", "河南", "湖北", "湖南"],
    "西部": [
        "内蒙古",
        "广西",
        "重庆",
        "四川",
        "贵州",
        "云南",
        "西藏",
        "陕西",
        "甘肃",
        "青海",
        "宁夏",
        "新疆",
    ],
    "东北": ["辽宁", "吉林", "黑龙江"],
}
YEARS = list(range(2012, 2023))


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    """Synthetic 31 provinces x 11 years panel with index, rank and D columns."""
    rng = np.random.default_rng(20240501)
    rows = []
    for region, provinces in REGIONS.items():
        for p in provinces:
            level, growth = rng.uniform(0.1, 0.4), rng.uniform(0.01, 0.03)
            for i, y in enumerate(YEARS):
                rows.append((p, region, y, level + growth * i + rng.normal(0, 0.01)))
    df = pd.DataFrame(rows, columns=["省份", "区域", "年份", "指数"])
    df["排名"] = df.groupby("年份")["指数"].rank(ascending=False, method="first").astype(int)
    df["D"] = np.sqrt(df["指数"].clip(0, 1)) * 0.9
    return df


@pytest.fixture(scope="module")
def weights() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "指标": ["研发经费投入强度", "发明专利", "数字经济占比", "单位GDP能耗", "机器人密度"],
            "权重": [0.15, 0.30, 0.10, 0.25, 0.20],
            "维度": ["科技创新", "科技创新", "数字化", "绿色化", "智能化"],
        }
    )


def _render_png(fig: Figure) -> list[str]:
    """Render to PNG; return the missing-glyph warnings raised on the way."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        uri = figure_to_data_uri(fig)
    assert base64.b64decode(uri.split(",", 1)[1]).startswith(b"\x89PNG")
    return [str(w.message) for w in record if "missing from" in str(w.message)]


def _legend_labels(fig: Figure) -> list[str]:
    legends = list(fig.legends) + [a.get_legend() for a in fig.axes if a.get_legend()]
    return [t.get_text() for lg in legends for t in lg.get_texts()]


# ------------------------------------------------------------------------ index_trend


def test_index_trend_one_line_per_entity_plus_mean(panel):
    fig = index_trend(panel, entity="省份", period="年份", value="指数", note=NOTE)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 31 + 1
    assert ax.get_title() == "综合指数变化趋势"
    labels = _legend_labels(fig)
    assert len(labels) == 32 and labels[-1] == "均值"
    # Legend in two columns outside the axes, ordered by the latest value.
    assert fig.legends[0]._ncols == 2
    latest = panel[panel["年份"] == 2022].sort_values("指数", ascending=False)["省份"]
    assert labels[:31] == latest.tolist()


def test_index_trend_mean_line_is_the_cross_entity_mean(panel):
    fig = index_trend(panel, entity="省份", period="年份", value="指数")
    mean_line = fig.axes[0].get_lines()[-1]
    expected = panel.groupby("年份")["指数"].mean().to_numpy()
    np.testing.assert_allclose(mean_line.get_ydata(), expected)


def test_index_trend_lines_are_distinguishable(panel):
    fig = index_trend(panel, entity="省份", period="年份", value="指数", show_mean=False)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 31
    styles = {(tuple(np.round(line.get_color(), 3)), line.get_linestyle()) for line in lines}
    assert len(styles) == 31


def test_index_trend_highlight(panel):
    fig = index_trend(panel, entity="省份", period="年份", value="指数", highlight=["北京", "贵州"])
    assert len(fig.axes[0].get_lines()) == 32
    assert _legend_labels(fig) == ["北京", "贵州", "其他", "均值"]


def test_index_trend_by_group(panel):
    fig = index_trend(
        panel, entity="省份", period="年份", value="指数", group="区域", highlight=["北京"]
    )
    lines = fig.axes[0].get_lines()
    assert len(lines) == 32
    assert _legend_labels(fig) == ["东部", "中部", "西部", "东北", "均值"]
    # All provinces of a region share its colour.
    colors = {line.get_color() for line in lines[:-1]}
    assert len(colors) == 4
    assert any(t.get_text() == "北京" for t in fig.axes[0].texts)


def test_index_trend_max_lines_keeps_top_and_highlighted(panel):
    fig = index_trend(
        panel, entity="省份", period="年份", value="指数", max_lines=5, highlight=["西藏"]
    )
    labels = _legend_labels(fig)
    assert len(fig.axes[0].get_lines()) == 5 + 1
    assert "西藏" in labels and labels[-1] == "均值（全部）"
    # The mean still covers all 31 provinces.
    expected = panel.groupby("年份")["指数"].mean().to_numpy()
    np.testing.assert_allclose(fig.axes[0].get_lines()[-1].get_ydata(), expected)


def test_index_trend_rejects_bad_input(panel):
    with pytest.raises(DataValidationError, match="highlight"):
        index_trend(panel, entity="省份", period="年份", value="指数", highlight=["火星"])
    with pytest.raises(DataValidationError, match="not found"):
        index_trend(panel, entity="省份", period="年份", value="无此列")
    dup = pd.concat([panel, panel.head(1)])
    with pytest.raises(DataValidationError, match="more than one row"):
        index_trend(dup, entity="省份", period="年份", value="指数")


def test_index_trend_accepts_polars(panel):
    pl = pytest.importorskip("polars")
    fig = index_trend(pl.from_pandas(panel), entity="省份", period="年份", value="指数")
    assert len(fig.axes[0].get_lines()) == 32


# ------------------------------------------------------------------------ group_trend


def test_group_trend_one_line_per_group_in_region_order(panel):
    fig = group_trend(
        panel.sample(frac=1, random_state=1), group="区域", period="年份", value="指数"
    )
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 4
    assert _legend_labels(fig) == ["东部", "中部", "西部", "东北"]
    east = panel[panel["区域"] == "东部"].groupby("年份")["指数"].mean().to_numpy()
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), east)
    assert ax.get_lines()[0].get_color() == plots.REGION_COLORS["东部"]


# ----------------------------------------------------------------------- bar charts


def test_weights_bar_sorted_coloured_annotated(weights):
    fig = weights_bar(weights, label="指标", weight="权重", group="维度", note=NOTE)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 5
    # Largest at the top (the y axis is inverted, so the first tick is the top bar).
    assert ax.get_yticklabels()[0].get_text() == "发明专利"
    assert [b.get_width() for b in bars] == sorted(weights["权重"], reverse=True)
    assert {t.get_text() for t in ax.texts} >= {"0.3000", "0.1000"}
    by_dim = dict(zip(weights["指标"], weights["维度"], strict=True))
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    colour_of = {}
    for name, bar in zip(ticks, bars, strict=True):
        colour_of.setdefault(by_dim[name], set()).add(bar.get_facecolor())
    assert all(len(c) == 1 for c in colour_of.values())
    assert len({next(iter(c)) for c in colour_of.values()}) == 4
    assert _legend_labels(fig) == ["科技创新", "数字化", "绿色化", "智能化"]


def test_weights_bar_by_group_keeps_dimensions_together(weights):
    fig = weights_bar(weights, label="指标", weight="权重", group="维度", by_group=True)
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks[:2] == ["发明专利", "研发经费投入强度"]


def test_obstacle_bar_top_and_percent(weights):
    fig = obstacle_bar(weights, label="指标", value="权重", top=3)
    ax = fig.axes[0]
    assert len(ax.patches) == 3
    assert ax.get_title() == "主要障碍因子"
    assert [t.get_text() for t in ax.texts] == ["30.00%", "25.00%", "20.00%"]


# --------------------------------------------------------------------------- heatmap


def test_rank_heatmap_cells_and_order(panel):
    fig = rank_heatmap(panel, entity="省份", period="年份", rank="排名", note=NOTE)
    ax = fig.axes[0]
    assert len(ax.images) == 1
    assert len(ax.texts) == 31 * len(YEARS)
    first = panel[(panel["年份"] == 2022) & (panel["排名"] == 1)]["省份"].item()
    assert ax.get_yticklabels()[0].get_text() == first
    assert ax.texts[0].get_text() == str(
        panel[(panel["省份"] == first) & (panel["年份"] == 2012)]["排名"].item()
    )


def test_rank_heatmap_skips_missing_cells(panel):
    gappy = panel.drop(index=panel.index[:3])
    fig = rank_heatmap(gappy, entity="省份", period="年份", rank="排名")
    assert len(fig.axes[0].texts) == 31 * len(YEARS) - 3


# -------------------------------------------------------------------------- coupling


def test_coupling_trend_mean_and_bands(panel):
    fig = coupling_trend(panel, entity="省份", period="年份", D="D", highlight=["上海"])
    ax = fig.axes[0]
    assert len(ax.get_lines()) == 2
    np.testing.assert_allclose(
        ax.get_lines()[0].get_ydata(), panel.groupby("年份")["D"].mean().to_numpy()
    )
    lo, hi = ax.get_ylim()
    assert round(lo * 10, 9).is_integer() and round(hi * 10, 9).is_integer()
    labels = {t.get_text() for t in ax.texts}
    assert labels and labels <= {lab for _, _, lab in COUPLING_CLASSES}
    assert "勉强协调" in labels


def test_coupling_trend_custom_bands(panel):
    bands = [(0.0, 0.5, "失调"), (0.5, 1.0, "协调")]
    fig = coupling_trend(panel, entity="省份", period="年份", D="D", bands=bands)
    assert {t.get_text() for t in fig.axes[0].texts} == {"失调", "协调"}
    with pytest.raises(DataValidationError):
        coupling_trend(panel, entity="省份", period="年份", D="D", bands=[(0.5, 0.4, "x")])


def test_coupling_scatter_one_point_per_entity(panel):
    fig = coupling_scatter(panel, entity="省份", period="年份", D="D", group="区域")
    ax = fig.axes[0]
    points = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(points) == 4
    assert sum(len(c.get_offsets()) for c in points) == 31
    assert ax.get_title() == "耦合协调度（2022）"
    fig = coupling_scatter(panel, entity="省份", period="年份", D="D", at=2012)
    points = [c for c in fig.axes[0].collections if isinstance(c, PathCollection)]
    assert len(points) == 1 and len(points[0].get_offsets()) == 31
    with pytest.raises(DataValidationError):
        coupling_scatter(panel, entity="省份", period="年份", D="D", at=1999)


# -------------------------------------------------------- every chart: glyphs, note


def _all_charts(panel: pd.DataFrame, weights: pd.DataFrame) -> dict[str, Figure]:
    return {
        "index_trend": index_trend(panel, entity="省份", period="年份", value="指数", note=NOTE),
        "group_trend": group_trend(panel, group="区域", period="年份", value="指数", note=NOTE),
        "weights_bar": weights_bar(weights, label="指标", weight="权重", group="维度", note=NOTE),
        "obstacle_bar": obstacle_bar(weights, label="指标", value="权重", note=NOTE),
        "rank_heatmap": rank_heatmap(panel, entity="省份", period="年份", rank="排名", note=NOTE),
        "coupling_trend": coupling_trend(panel, entity="省份", period="年份", D="D", note=NOTE),
        "coupling_scatter": coupling_scatter(panel, entity="省份", period="年份", D="D", note=NOTE),
    }


def test_every_chart_renders_chinese_without_missing_glyphs(panel, weights):
    for name, fig in _all_charts(panel, weights).items():
        assert _render_png(fig) == [], name


def test_every_chart_draws_the_note_below_the_axes(panel, weights):
    for name, fig in _all_charts(panel, weights).items():
        notes = [t for t in fig.texts if t.get_text() == NOTE]
        assert len(notes) == 1, name
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        note_box = notes[0].get_window_extent(renderer)
        axes_box = fig.axes[0].get_tightbbox(renderer)
        assert note_box.y1 <= axes_box.y0 + 1, name  # under the axes and tick labels
        assert note_box.y0 >= 0 and note_box.x0 >= 0, name  # inside the figure
        assert notes[0].get_fontsize() >= 8, name


def test_no_note_no_text(panel):
    fig = index_trend(panel, entity="省份", period="年份", value="指数")
    assert fig.texts == []


# ------------------------------------------------------------------------- rendering


def test_figure_to_data_uri_png_and_svg(panel):
    fig = group_trend(panel, group="区域", period="年份", value="指数")
    png = figure_to_data_uri(fig, close=False)
    assert png.startswith("data:image/png;base64,")
    svg = figure_to_data_uri(fig, fmt="svg")
    assert svg.startswith("data:image/svg+xml;base64,")
    assert b"<svg" in base64.b64decode(svg.split(",", 1)[1])
    with pytest.raises(ValueError, match="fmt"):
        figure_to_data_uri(fig, fmt="bmp")


def test_figure_to_data_uri_dpi_scales_pixels(panel):
    fig = group_trend(panel, group="区域", period="年份", value="指数")
    small = figure_to_data_uri(fig, dpi=50, close=False)
    large = figure_to_data_uri(fig, dpi=150)
    assert len(large) > len(small)


def test_figure_to_svg_is_inline_markup_and_deterministic(panel):
    def make() -> str:
        return figure_to_svg(group_trend(panel, group="区域", period="年份", value="指数"))

    svg = make()
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg
    # Text as outlines: Chinese shows without the font on the viewer's machine.
    assert "<text" not in svg
    assert make() == svg


def test_charts_do_not_touch_pyplot_and_rendering_closes_pyplot_figures(panel):
    plt = pytest.importorskip("matplotlib.pyplot")
    before = plt.get_fignums()
    index_trend(panel, entity="省份", period="年份", value="指数")
    assert plt.get_fignums() == before
    fig = plt.figure()
    assert fig.number in plt.get_fignums()
    figure_to_data_uri(fig)
    assert fig.number not in plt.get_fignums()


def test_plots_keeps_its_public_names_and_shares_the_figure_kit():
    from nqpf.reports import _figure, assessment_plots, disparity_plots

    for name in plots.__all__:
        assert hasattr(plots, name), name
    for name in ("REGION_COLORS", "REGION_ORDER", "figure_to_data_uri", "figure_to_svg"):
        assert getattr(plots, name) is getattr(_figure, name)
    # The sibling chart modules draw on the kit, not on private names of plots.
    assert disparity_plots.new_figure is assessment_plots.new_figure is _figure.new_figure
