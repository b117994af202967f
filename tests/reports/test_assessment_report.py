"""Enterprise and roll-up assessment reports: charts, HTML, PDF and ``assess report``."""

from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import typer
import yaml
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from typer.testing import CliRunner

from nqpf.assessment import batch_score, diagnose, load_framework, roadmap, score
from nqpf.assessment.carbon import account
from nqpf.cli import assess as assess_cli
from nqpf.exceptions import DataValidationError
from nqpf.reports import assessment_plots as ap
from nqpf.reports.assessment_report import SYNTHETIC_LABEL, enterprise_report, rollup_report
from nqpf.reports.pdf import PdfEngineError, find_chromium, html_to_pdf

KEY = "sme-digital-2024"
INVENTORY = {"柴油": 100, "天然气": 12.5, "电力": 500}
EVIL = "<script>alert('x')</script>某某精密"


def answers(fw, shift: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for i, q in enumerate(fw.questions):
        k = i + shift
        if q.kind == "single":
            out[q.id] = q.options[(k * 3) % len(q.options)].id
        elif q.kind == "multi":
            plain = [o.id for o in q.options if not o.exclusive]
            out[q.id] = tuple(plain[: 1 + k % len(plain)])
        else:
            out[q.id] = float((15 + 11 * k) % 101)
    out.update({s.id: 1 + (i + shift) % 4 for i, s in enumerate(fw.scenes)})
    return out


@pytest.fixture(scope="module")
def fw():
    return load_framework(KEY)


@pytest.fixture(scope="module")
def result(fw):
    return score(fw, answers(fw, 2))


@pytest.fixture(scope="module")
def plan(result, fw):
    return roadmap(result, 3, framework=fw)


@pytest.fixture(scope="module")
def carbon():
    return account(INVENTORY, year=2022, region="广东")


@pytest.fixture(scope="module")
def html(result, plan, carbon, fw):
    return enterprise_report(
        result,
        roadmap=plan,
        carbon=carbon,
        enterprise={
            "name": EVIL,
            "credit_code": "91440300MA5XXXXXX1",
            "industry": "C34 通用设备制造业",
            "region": "广东省深圳市",
        },
        synthetic=True,
        framework=fw,
    )


def _no_missing_glyphs(fig: Figure, path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font(s)" would raise
        fig.savefig(path, dpi=60)
    assert path.stat().st_size > 1000


# ---------------------------------------------------------------------------- charts
def test_radar_shares_and_png(result, fw, tmp_path):
    mx = {d.name: d.points for d in fw.scored_dimensions}
    dims = {k: (v, mx[k]) for k, v in result.dimensions.items()}
    fig = ap.radar(dims, note=SYNTHETIC_LABEL)
    ax = fig.axes[0]
    assert ax.name == "polar"
    ys = ax.lines[0].get_ydata()
    expected = [v / mx[k] for k, v in result.dimensions.items()]
    assert list(ys[:-1]) == pytest.approx(expected)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert all(any(name in lab for lab in labels) for name in dims)
    assert SYNTHETIC_LABEL in [t.get_text() for t in fig.texts]
    _no_missing_glyphs(fig, tmp_path / "radar.png")


def test_radar_labels_clear_of_the_rings_and_inside_the_figure():
    dims = {"数字化基础": (30.5, 40), "数字化经营": (20.125, 30), "数字化管理": (10, 20),
            "数字化成效": (8, 20), "绿色化": (3, 10)}  # fmt: skip
    fig = ap.radar(dims)
    ax = fig.axes[0]
    # ring labels halfway between the first two axes (72° apart), never on an axis
    assert ax.get_rlabel_position() == pytest.approx(36.0)
    names = ax.get_xticklabels()
    assert [t.get_text() for t in names][:2] == ["数字化基础\n30.5/40", "数字化经营\n20.1/30"]
    assert [t.get_ha() for t in names] == ["center", "left", "left", "right", "right"]
    renderer = fig.canvas.get_renderer()
    box = fig.bbox
    for t in [*names, *ax.get_yticklabels()]:
        e = t.get_window_extent(renderer)
        assert box.x0 <= e.x0 and e.x1 <= box.x1 and box.y0 <= e.y0 and e.y1 <= box.y1, t
    circle = ax.get_window_extent(renderer)
    for t in names[1:3]:  # names on the right start right of the circle's centre line
        assert t.get_window_extent(renderer).x0 > (circle.x0 + circle.x1) / 2


def test_radar_needs_three_dimensions():
    with pytest.raises(DataValidationError, match="at least 3"):
        ap.radar({"a": (1, 2), "b": (1, 2)})
    with pytest.raises(DataValidationError, match="> 0"):
        ap.radar({"a": (1, 0), "b": (1, 2), "c": (1, 2)})


def test_scene_ladder_marks_current_binding_and_target(result, fw, tmp_path):
    diag = diagnose(result, framework=fw)
    fig = ap.scene_ladder(diag.scenes, target_level=3)
    ax = fig.axes[0]
    cells = [p for p in ax.patches if isinstance(p, Rectangle) and p.get_fill()]
    assert len(cells) == 4 * len(fw.scenes)
    current = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill()]
    assert len(current) == sum(s.level >= 1 for s in diag.scenes)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == len(fw.scenes) == 16
    for s, lab in zip(diag.scenes, labels, strict=True):
        assert s.name in lab
        assert lab.startswith("★") == s.binding
    assert any("目标" in t.get_text() for t in ax.texts)
    _no_missing_glyphs(fig, tmp_path / "ladder.png")
    # A plain table works too.
    frame = pd.DataFrame({"name": ["甲", "乙"], "level": [1, 4], "binding": [True, False]})
    assert isinstance(ap.scene_ladder(frame), Figure)
    with pytest.raises(DataValidationError):
        ap.scene_ladder(pd.DataFrame({"name": ["甲"], "level": [5]}))


def test_gauge_and_carbon_breakdown(result, carbon, tmp_path):
    th = sorted(
        {(c.level, c.level_name, c.required) for c in result.conditions if c.kind == "score"}
    )
    fig = ap.level_gauge(result.total, th, level=result.level)
    assert any(f"{result.total:g}" in t.get_text() for t in fig.axes[0].texts)
    _no_missing_glyphs(fig, tmp_path / "gauge.png")
    fig = ap.carbon_breakdown(carbon)
    ax = fig.axes[0]
    widths = [p.get_width() for p in ax.patches]
    assert widths[-1] == pytest.approx(carbon.e_total)
    assert sum(widths[:-1]) == pytest.approx(carbon.e_total)
    _no_missing_glyphs(fig, tmp_path / "carbon.png")


# ------------------------------------------------------------------------ enterprise
def test_enterprise_html_has_everything(html, result, plan, carbon, fw):
    assert "<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;某某精密" in html
    assert "<script>" not in html
    assert result.level_name in html and result.level_name == "二级"
    assert f"{result.total:g} / 100" in html
    for d in fw.scored_dimensions:
        assert d.name in html
    for s in fw.scenes:
        assert s.name in html
    assert plan.steps
    for s in plan.steps:
        assert s.title in html
        for ts in s.typical_scenes:
            assert ts.name in html
    assert f"{carbon.e_total:,.2f}" in html
    assert f"{carbon.energy_tce:,.2f}" in html
    for f in carbon.factors_used:
        assert f.source in html
    assert "用户覆盖" in html
    assert SYNTHETIC_LABEL in html
    assert "91440300MA5XXXXXX1" in html and "C34 通用设备制造业" in html
    assert html.count("data:image/png;base64,") == 4  # gauge, radar, ladder, carbon
    for c in result.next_level:
        assert c.message in html


def test_enterprise_html_escapes_every_user_field(result):
    evil = {"name": "<b>x</b>", "industry": "<i>y</i>", "备注": "<img src=x onerror=alert(1)>"}
    page = enterprise_report(result, enterprise=evil)
    for raw in evil.values():
        assert raw not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_enterprise_html_minimal(result):
    page = enterprise_report(result)
    assert "提升路线图" not in page and "碳排放与能耗" not in page
    assert SYNTHETIC_LABEL not in page
    assert "数字化经营场景" in page  # diagnosis computed from the shipped framework


def test_override_flag_shown(result, html):
    c = account(INVENTORY, year=2022, region="广东", grid_factor=0.5)
    assert [f.key for f in c.factors_used if f.overridden] == ["电力.ef"]
    page = enterprise_report(result, carbon=c)
    assert page.count("是（用户指定）") == 1
    # the shared report holds the same inventory with the default factors (no flag)
    assert "是（用户指定）" not in html


def test_enterprise_rejects_non_result():
    with pytest.raises(DataValidationError, match="ScoreResult"):
        enterprise_report({"total": 1})  # type: ignore[arg-type]


# --------------------------------------------------------------------------- roll-up
@pytest.fixture(scope="module")
def batch_scores(fw):
    rows = [
        {k: ("|".join(v) if isinstance(v, tuple) else v) for k, v in answers(fw, s).items()}
        for s in range(12)
    ]
    scores = batch_score(fw, pd.DataFrame(rows)).scores.copy()
    scores["园区"] = ["高新区", "经开区", "<临港>"] * 4
    return scores


def test_rollup_report(batch_scores, fw):
    extra = pd.DataFrame({"说明": ["附表内容"]})
    page = rollup_report(
        {"scores": batch_scores, "附加": extra},
        title="某市<汇总>",
        synthetic=True,
        group="园区",
        framework=fw,
    )
    assert "某市&lt;汇总&gt;" in page and "&lt;临港&gt;" in page
    assert "高新区" in page and "经开区" in page and "合计" in page
    assert "等级分布" in page and "平均得分" in page
    for d in fw.scored_dimensions:
        assert d.name in page
    assert "最薄弱题目" in page  # batch scores carry question points, not scene levels
    assert "附表内容" in page and SYNTHETIC_LABEL in page
    assert page.count("data:image/png;base64,") == 1
    # With scene levels the weakest scenes are listed instead.
    with_scenes = batch_scores.assign(**{s.id: 1 + i % 4 for i, s in enumerate(fw.scenes)})
    page = rollup_report({"scores": with_scenes}, title="t", framework=fw)
    assert "最薄弱场景" in page and fw.scenes[0].name in page


def test_rollup_errors(batch_scores, fw):
    with pytest.raises(DataValidationError, match="scores"):
        rollup_report({}, title="t")
    with pytest.raises(DataValidationError, match="区县"):
        rollup_report({"scores": batch_scores}, title="t", group="区县", framework=fw)


# ------------------------------------------------------------------------------- PDF
def _need_chromium() -> str:
    exe = find_chromium()
    if exe is None:
        pytest.skip("no Chromium found (install Debian's 'chromium'): PDF not tested")
    return exe


def _need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not found (install poppler-utils): PDF not checked")


def test_pdf_embeds_fonts_and_renders(html, tmp_path):
    _need_chromium()
    for tool in ("pdffonts", "pdftoppm", "pdftotext"):
        _need(tool)
    out = html_to_pdf(html, tmp_path / "诊断报告.pdf")
    assert out.read_bytes()[:5] == b"%PDF-"
    assert [p.name for p in tmp_path.iterdir()] == ["诊断报告.pdf"]  # no temp left behind
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True)
    rows = fonts.stdout.splitlines()[2:]
    assert rows, fonts.stdout
    # Chromium (Skia) embeds the OpenType-CFF Noto Sans CJK as Type 3 glyph programs with
    # a ToUnicode map: every font must be embedded ("emb" yes) and have Unicode ("uni").
    for row in rows:
        cols = row.split()  # ... emb sub uni object-id generation
        assert cols[-5] == "yes" and cols[-3] == "yes", row
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(out), "-"], capture_output=True, text=True
    ).stdout
    assert "数字化水平诊断报告" in text and "统一社会信用代码" in text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")],
        check=True,
    )
    png = next(tmp_path.glob("p*.png"))
    assert png.stat().st_size > 5000


def test_pdf_without_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("NQPF_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert find_chromium() is None
    with pytest.raises(PdfEngineError, match="no Chromium"):
        html_to_pdf("<html></html>", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_pdf_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "r.pdf"
    target.write_bytes(b"old")
    fake = tmp_path / "fake-browser"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(PdfEngineError, match="exit code 3"):
        html_to_pdf("<html></html>", target, chromium=fake)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake-browser", "r.pdf"]


# ------------------------------------------------------------------------------- CLI
@pytest.fixture()
def cli_app() -> typer.Typer:
    return assess_cli.app


@pytest.fixture()
def files(tmp_path, fw) -> tuple[Path, Path]:
    resp = tmp_path / "resp.json"
    ans = {k: list(v) if isinstance(v, tuple) else v for k, v in answers(fw, 2).items()}
    resp.write_text(json.dumps({"framework": KEY, "responses": ans}), encoding="utf-8")
    inv = tmp_path / "inv.yaml"
    inv.write_text(yaml.safe_dump(INVENTORY, allow_unicode=True), encoding="utf-8")
    return resp, inv


def test_cli_report_html(cli_app, files, tmp_path, result, carbon):
    resp, inv = files
    out = tmp_path / "report.html"
    argv = ["report", str(resp), "--carbon", str(inv), "--year", "2022", "--region", "广东"]
    argv += ["--target-level", "3", "--name", "<甲>公司", "-o", str(out)]
    res = CliRunner().invoke(cli_app, argv)
    assert res.exit_code == 0, (res.output, res.exception)
    page = out.read_text(encoding="utf-8")
    assert "&lt;甲&gt;公司" in page and result.level_name in page
    assert "提升路线图" in page and "目标 三级" not in page  # target text is in the chart
    assert f"{carbon.e_total:,.2f}" in page
    assert str(out) in res.output


def test_cli_report_pdf(cli_app, files, tmp_path, monkeypatch, result):
    """``-o x.pdf`` prints the report through :func:`html_to_pdf`.  Chromium's printing
    itself is checked once, in test_pdf_embeds_fonts_and_renders; here a stand-in browser
    writes the page it was given behind a PDF header (a real print cost ~3 s), so the test
    sees which page the CLI printed."""
    browser = tmp_path / "stand-in-chromium"
    browser.write_text(
        "#!/bin/sh\n"
        'for arg; do case "$arg" in --print-to-pdf=*) out="${arg#--print-to-pdf=}";; esac; done\n'
        'page="$(echo "$arg" | sed "s|^file://||")"\n'
        '{ printf "%%PDF-\\n"; cat "$page"; } > "$out"\n'
    )
    browser.chmod(0o755)
    monkeypatch.setenv("NQPF_CHROMIUM", str(browser))
    resp, _ = files
    out = tmp_path / "report.pdf"
    res = CliRunner().invoke(cli_app, ["report", str(resp), "-o", str(out)])
    assert res.exit_code == 0, (res.output, res.exception)
    printed = out.read_bytes()
    assert printed[:5] == b"%PDF-"
    assert "数字化水平诊断报告".encode() in printed and result.level_name.encode() in printed


def test_cli_report_bad_suffix_and_help(cli_app, files, tmp_path):
    resp, _ = files
    res = CliRunner().invoke(cli_app, ["report", str(resp), "-o", str(tmp_path / "r.docx")])
    assert isinstance(res.exception, DataValidationError)
    assert ".html or .pdf" in str(res.exception)
    assert not (tmp_path / "r.docx").exists()
    res = CliRunner().invoke(cli_app, ["report", "--help"])
    assert res.exit_code == 0
    for opt in ("--framework", "--carbon", "--year", "--region", "--target-level", "--out"):
        assert opt in res.output


def test_rollup_report_from_precomputed_tables(batch_scores, fw):
    rollup_mod = pytest.importorskip("nqpf.assessment.rollup")
    scored = batch_scores.assign(
        region=["440305", "441900", "110101"] * 4,
        **{s.id: 1 + i % 4 for i, s in enumerate(fw.scenes)},
    )
    r = rollup_mod.rollup(scored, "region", framework=fw)
    tables = {
        "rollup_region": r.groups,
        "rollup_region_scenes": r.weakest,
        "rollup_problems": pd.DataFrame({"problem": ["<缺失>"]}),
    }
    page = rollup_report(tables, title="地区汇总", framework=fw)
    assert "按地区汇总" in page and "各组最薄弱场景" in page
    assert "二级及以上占比" in page and "平均总分" in page
    assert r.weakest["scene"].iloc[0] in page
    assert "附表" in page and "&lt;缺失&gt;" in page
    assert page.count("data:image/png;base64,") == 1
    assert "rollup_region_scenes" not in page  # consumed, not repeated as 附表


def test_rollup_report_synthetic_group_tables(fw):
    groups = pd.DataFrame(
        {
            "group": ["甲区", "乙区"],
            "n": [3, 2],
            "n_valid": [3, 2],
            "n_未达一级": [0, 1],
            "n_一级": [1, 1],
            "n_二级": [2, 0],
            "share_ge_二级": [2 / 3, 0.0],
            "mean_total": [45.0, 22.5],
        }
    )
    page = rollup_report({"rollup_region": groups}, title="t", synthetic=True, framework=fw)
    assert "66.7%" in page and "甲区" in page and SYNTHETIC_LABEL in page
