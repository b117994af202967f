"""The CJK font: registered from mplfonts, idempotent, no tofu, safe fallbacks."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import matplotlib
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from nqpf.reports import fonts
from nqpf.reports.fonts import CJK_FAMILY, cjk_font_path, use_cjk_font

CHINESE = "新质生产力综合指数（东部−西部）"


def _missing_glyph_warnings(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in record if "missing from" in str(w.message)]


def _render_chinese_png(tmp_path: Path | None = None) -> list[warnings.WarningMessage]:
    """Draw a figure full of Chinese text to PNG and return the warnings raised."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        fig = Figure(figsize=(4, 3))
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        ax.plot([2012, 2022], [-0.5, 0.5], label="北京")
        ax.set_title(CHINESE)
        ax.set_xlabel("年份")
        ax.set_ylabel("耦合协调度")
        ax.legend()
        fig.text(0.01, 0.01, "示例数据，非真实统计")
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        if tmp_path is not None:
            fig.savefig(tmp_path / "chinese.png")
    assert buf.getvalue().startswith(b"\x89PNG")
    return record


@pytest.fixture
def fresh_font_state():
    """Forget the cached font choice before and after, and restore rcParams."""
    fonts._resolve_family.cache_clear()
    with matplotlib.rc_context():
        yield
    fonts._resolve_family.cache_clear()


def test_bundled_font_is_the_ofl_noto_file():
    path = cjk_font_path()
    assert path is not None
    assert path.name == "NotoSansCJKsc-Regular.otf"
    assert path.is_file()
    assert "simhei" not in str(path).lower()


def test_use_cjk_font_resolves_to_noto_sans_cjk_sc():
    with matplotlib.rc_context():
        assert use_cjk_font() == CJK_FAMILY == "Noto Sans CJK SC"
        assert matplotlib.rcParams["font.sans-serif"][:2] == ["Noto Sans CJK SC", "DejaVu Sans"]
        assert matplotlib.rcParams["axes.unicode_minus"] is False
        found = font_manager.findfont(font_manager.FontProperties(family=["sans-serif"]))
        assert Path(found).name == "NotoSansCJKsc-Regular.otf"


def test_use_cjk_font_is_idempotent():
    with matplotlib.rc_context():
        use_cjk_font()
        before = len(font_manager.fontManager.ttflist)
        assert use_cjk_font() == use_cjk_font() == CJK_FAMILY
        assert len(font_manager.fontManager.ttflist) == before


def test_use_cjk_font_reapplies_rcparams_after_reset():
    with matplotlib.rc_context():
        use_cjk_font()
        matplotlib.rcdefaults()
        assert matplotlib.rcParams["font.sans-serif"][0] != CJK_FAMILY
        use_cjk_font()
        assert matplotlib.rcParams["font.sans-serif"][0] == CJK_FAMILY


def test_commercial_simhei_is_never_registered():
    use_cjk_font()
    registered = [Path(f.fname).name.lower() for f in font_manager.fontManager.ttflist]
    assert "simhei.ttf" not in registered


def test_chinese_png_renders_without_missing_glyph_warnings(tmp_path):
    with matplotlib.rc_context():
        use_cjk_font()
        record = _render_chinese_png(tmp_path)
    assert _missing_glyph_warnings(record) == []
    assert (tmp_path / "chinese.png").stat().st_size > 1000


def test_missing_glyph_check_detects_tofu():
    # Negative control: the check above must be able to fail.
    with matplotlib.rc_context({"font.family": ["sans-serif"], "font.sans-serif": ["DejaVu Sans"]}):
        record = _render_chinese_png()
    assert _missing_glyph_warnings(record)


def test_without_any_cjk_font_warns_once_and_keeps_dejavu(monkeypatch, fresh_font_state):
    monkeypatch.setattr(fonts, "cjk_font_path", lambda: None)
    monkeypatch.setattr(fonts, "_system_cjk_family", lambda: None)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        assert use_cjk_font() == "DejaVu Sans"
        assert use_cjk_font() == "DejaVu Sans"
    messages = [str(w.message) for w in record if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1
    assert "No CJK font" in messages[0]
    assert matplotlib.rcParams["font.sans-serif"] == ["DejaVu Sans"]


def test_without_mplfonts_falls_back_to_a_system_cjk_font(monkeypatch, fresh_font_state):
    bundled = cjk_font_path()
    assert bundled is not None
    fonts._register(bundled)  # stands in for a system-installed Noto Sans CJK SC
    monkeypatch.setattr(fonts, "cjk_font_path", lambda: None)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert use_cjk_font() == CJK_FAMILY


def test_system_scan_ignores_fonts_that_only_fake_coverage(monkeypatch):
    # matplotlib's bundled "Last Resort" font maps every code point to a box.
    bundled_only = [
        f
        for f in font_manager.fontManager.ttflist
        if Path(f.fname).is_relative_to(Path(matplotlib.get_data_path()))
    ]
    assert any("Last Resort" in f.name for f in bundled_only)
    monkeypatch.setattr(font_manager.fontManager, "ttflist", bundled_only)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    assert fonts._system_cjk_family() is None


@pytest.mark.parametrize(
    ("name", "fname"),
    [
        ("SimHei", "/x/SimHei.ttf"),
        ("", "/x/simhei.ttf"),
        ("Last Resort High-Efficiency", "/x/a.ttf"),
    ],
)
def test_forbidden_fonts(name, fname):
    assert fonts._is_forbidden(name, fname)


def test_allowed_font():
    assert not fonts._is_forbidden("Noto Sans CJK SC", "/x/NotoSansCJKsc-Regular.otf")
