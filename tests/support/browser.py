"""Headless Chromium for page tests: Debian's `chromium` and `chromedriver` through Selenium.

Nothing is downloaded at run time; a missing browser fails the test (installed by
.ci/install-system-deps.sh), it never skips.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


@contextlib.contextmanager
def headless_chromium() -> Iterator[webdriver.Chrome]:
    """A headless browser that keeps its console log (read with `console_problems`)."""
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        pytest.fail("chromium and chromedriver are needed: run .ci/install-system-deps.sh")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(executable_path=driver), options=options)
    try:
        yield browser
    finally:
        browser.quit()


def open_page(browser: webdriver.Chrome, url: str, width: int) -> list[dict[str, object]]:
    """Load `url` at `width` pixels; the console's warnings and errors while it loaded."""
    browser.set_window_size(width, 900)
    browser.get(url)
    return [e for e in browser.get_log("browser") if e.get("level") in ("SEVERE", "WARNING")]
