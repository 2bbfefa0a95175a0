"""The report's HTML in a real browser, and its email form as mail clients need it.

Headless Chromium (Debian's `chromium` and `chromedriver`, driven by Selenium; nothing is
downloaded at run time) opens the standalone page at desktop and phone width: no console
errors, the charts drawn (bars with a size), and a screenshot. A missing browser fails the
test: it is installed by .ci/install-system-deps.sh.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from monitor.app import App
from monitor.services.report import build_weekly, render_weekly
from tests.support.browser import headless_chromium, open_page

SCREENSHOT = Path(__file__).resolve().parents[3] / "docs" / "img" / "weekly-report.png"


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    """Headless Chromium through Debian's chromedriver (tests.support.browser)."""
    with headless_chromium() as chromium:
        yield chromium


def _open(browser: webdriver.Chrome, page: Path, width: int) -> list[dict[str, object]]:
    return open_page(browser, page.as_uri(), width)


def test_standalone_page_draws_its_charts_without_console_errors(
    app: App, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """The page a user opens after `--format html --out`: charts drawn, nothing logged."""
    page = tmp_path / "report.html"
    page.write_text(render_weekly(build_weekly(app, "2026-W47"), "html"), encoding="utf-8")
    assert _open(browser, page, 1280) == []
    bars = browser.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar")
    assert len(bars) >= 7 * 4  # a bar per day and method, plus the latency bars
    assert all(b.size["width"] > 0 and b.size["height"] > 0 for b in bars)
    sources = browser.find_elements(By.CSS_SELECTOR, "svg.bar-source rect.bar")
    assert len(sources) >= 4  # who sends as you: a bar per source, split pass / fail
    assert all(b.size["width"] > 0 for b in sources)
    title = browser.find_element(By.TAG_NAME, "h1").text
    assert title == "Sender health, week 2026-W47"


def test_one_environment_page_screenshot_for_the_docs(
    app: App, browser: webdriver.Chrome, tmp_path: Path
) -> None:
    """The picture in docs/weekly-report.md: one environment's week, whole page. Written to the
    test's own folder; with SENDERWATCH_UPDATE_SCREENSHOT=1 also to docs/img, so a test
    run does not change the repository."""
    page = tmp_path / "report.html"
    report = build_weekly(app, "2026-W47", env="production")
    page.write_text(render_weekly(report, "html"), encoding="utf-8")
    assert _open(browser, page, 1000) == []
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1000, int(height) + 40)
    shot = tmp_path / SCREENSHOT.name
    assert browser.save_screenshot(str(shot))
    assert shot.stat().st_size > 20_000
    if os.environ.get("SENDERWATCH_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, SCREENSHOT)


def test_page_fits_a_phone_width(app: App, browser: webdriver.Chrome, tmp_path: Path) -> None:
    """At 390 px the page does not scroll sideways; wide tables scroll in their own box."""
    page = tmp_path / "report.html"
    page.write_text(render_weekly(build_weekly(app, "2026-W47"), "html"), encoding="utf-8")
    assert _open(browser, page, 390) == []
    overflow = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    browser.save_screenshot(str(tmp_path / "phone.png"))


def test_email_html_has_no_svg_script_or_data_images(app: App) -> None:
    """Gmail shows neither inline SVG nor data: images; mail HTML carries no script."""
    html = render_weekly(build_weekly(app, "2026-W47"), "email")
    assert not re.search(r"<svg|<script|data:", html, re.IGNORECASE)
    assert "<style" not in html  # every style inline: Gmail drops <style> in many cases
    assert 'bgcolor="#2da44e"' in html  # the pass-rate bars, as table cells
    assert "Delivery latency per day" in html
    assert "Who sends as example.test" in html and "Blocklist listings" in html


def test_standalone_html_escapes_stored_text(app: App) -> None:
    """Text from the database (a reason typed by a person) cannot inject markup."""
    from dataclasses import replace

    report = build_weekly(app, "2026-W47")
    section = report.sections[0]
    evil = replace(section.approvals[0], reason="<script>alert(1)</script>")
    report = replace(report, sections=(replace(section, approvals=(evil,)), *report.sections[1:]))
    for fmt in ("html", "email"):
        out = render_weekly(report, fmt)
        assert "<script>alert(1)" not in out and "&lt;script&gt;alert(1)" in out
