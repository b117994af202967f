"""An officer's daily flow in a real browser: the dashboard map (ECharts, vendored) →
click a province → the filtered enterprise list → export it as XLSX.  Screenshots of each
step go to the test's temp folder (NQPF_SCREENSHOTS=<dir> keeps them elsewhere)."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from tests.web.browser.assess_pages import (
    TIMEOUT,
    browser_answers,
    framework,
    sign_in,
    submit_via_api,
)

expect = pytest.importorskip("playwright.sync_api").expect


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("NQPF_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def test_map_click_province_filtered_list_export(page, live_server, tmp_path):
    from openpyxl import load_workbook

    base, world = live_server
    shots = _shots(tmp_path)
    fw = framework()
    # one enterprise of the officer's region has a submitted assessment
    sign_in(page, base, world.emails["ent_admin"])
    submit_via_api(page, base, world.orgs["ent_sz"], browser_answers(fw))
    page.context.clear_cookies()

    sign_in(page, base, world.emails["sz_officer"])
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_viewport_size({"width": 1280, "height": 1000})
    page.goto(f"{base}/dashboard?measure=coverage&parent=#map")
    box = page.locator(".echart-map")
    expect(box).to_have_attribute("data-ready", "1", timeout=TIMEOUT)
    expect(page.locator(".map-static")).to_be_hidden()
    # chart segments click through to the list of their level
    bar = page.locator("[data-export='等级分布'] rect.bar").nth(3)
    expect(bar).to_have_attribute("data-href", "/enterprises?level=3")
    # the static SVG stays in the page for no-JS use and for tests: every province coded

    codes = page.locator(".map-static [data-region-code]")
    assert codes.count() == 34
    page.locator("#map").screenshot(path=str(shots / "1-map.png"))

    # click 广东 on the ECharts canvas: its square's centre in map coordinates → pixels
    xy = page.evaluate(
        """() => {
          const box = document.querySelector('.echart-map');
          const r = box.__nqpfRegions['440000'];
          return box.__nqpfChart.convertToPixel({seriesIndex: 0}, [r.col + 0.46, -r.row - 0.46]);
        }"""
    )
    frame = box.bounding_box()
    page.mouse.move(frame["x"] + xy[0], frame["y"] + xy[1])
    expect(page.locator(".echart-map")).to_contain_text("广东", timeout=TIMEOUT)  # tooltip
    page.locator("#map").screenshot(path=str(shots / "2-tooltip.png"))
    page.mouse.click(frame["x"] + xy[0], frame["y"] + xy[1])
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/enterprises\?region=44$"))

    # the filtered list: names beside codes, the officer's two enterprises only
    rows = page.locator("table.enterprise-list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("table.enterprise-list")).to_contain_text("广东省深圳市南山区")
    expect(page.locator("table.enterprise-list")).not_to_contain_text("吴中")
    expect(page.locator("input[name=region]")).to_have_value("44")
    page.screenshot(path=str(shots / "3-list.png"), full_page=True)

    # export: the same filter as XLSX
    with page.expect_download() as info:
        page.get_by_role("link", name="导出 XLSX").click()
    download = info.value
    data = Path(download.path()).read_bytes()
    sheet = load_workbook(io.BytesIO(data))["企业名单"]
    names = sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True))
    assert names == ["南山精密制造有限公司", "宝安电子科技有限公司"]
    assert "region=44" in download.url
    assert not errors, errors
