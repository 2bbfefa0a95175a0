"""The overview page at `/` over real HTTP, from a real DNS run stored in real SQLite."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from selenium.webdriver.common.by import By

from monitor.app import App
from monitor.config import parse_settings
from monitor.daemon.http import serve
from monitor.services import post_release
from tests.conftest import EditableDns
from tests.daemon_api.conftest import TOKEN, TOKEN_ENV, Api, StaticView, job, settings_data
from tests.support.browser import headless_chromium, open_page


def _run_dns(api: Api, release: str = "v1.4.2") -> None:
    requests.post(
        f"{api.base}/api/v1/runs",
        json={"environment": "production", "release": release, "checks": ["dns"]},
        headers=api.headers(),
        timeout=10,
    )
    assert post_release.execute_next(api.app)


def test_overview_shows_posture_runs_with_releases_and_next_jobs(api: Api) -> None:
    """After a post-release run the page names the domain with its checks, the run with its
    release tag, and each job's next fire time; it carries no script and says so in its CSP."""
    api.view.job_states = [job("dns", interval_s=900, success_age_s=60)]
    _run_dns(api)
    page = requests.get(f"{api.base}/", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src" not in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    html = page.text
    assert "<script" not in html.lower()
    assert "healthy.test" in html and "production" in html
    assert re.search(r'class="chip pass"[^>]*>spf<', html), "spf chip with its verdict"
    assert "<code>v1.4.2</code>" in html
    assert "<code>dns</code>" in html and "(in 14 min)" in html
    assert 'id="headline"' in html and "0 failing" in html


def test_overview_of_an_empty_database_says_so(api: Api) -> None:
    """A daemon that has not run anything yet shows a clear page, never an error."""
    page = requests.get(f"{api.base}/", timeout=10)
    assert page.status_code == 200
    assert "No results stored yet" in page.text
    assert "No runs yet." in page.text


def test_overview_escapes_what_came_from_outside(api: Api) -> None:
    """A release label is text a pipeline sent: it is shown, never interpreted as markup."""
    _run_dns(api, release="<img src=x onerror=alert(1)>")
    html = requests.get(f"{api.base}/", timeout=10).text
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.fixture
def exposed(tmp_path: Path, dns_server: EditableDns) -> Iterator[str]:
    """A daemon configured to listen on every address (served here on loopback): its
    pages must ask for the token."""
    data = settings_data(dns_server.address, tmp_path / "db.sqlite", host="0.0.0.0")
    with App(parse_settings(data), environ={TOKEN_ENV: TOKEN}) as app:
        server = serve(app, StaticView(), "127.0.0.1", 0)
        try:
            yield f"http://127.0.0.1:{server.port}"
        finally:
            server.shutdown()


def test_pages_on_a_non_loopback_listener_need_the_token(exposed: str) -> None:
    """A browser gets a Basic challenge and may answer with the token as password; a
    pipeline may send it as a bearer token; anything else is 401, as HTML."""
    anonymous = requests.get(f"{exposed}/", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith('Basic realm="senderwatch"')
    assert anonymous.headers["Content-Type"].startswith("text/html")
    wrong = requests.get(f"{exposed}/", auth=("oncall", "guess"), timeout=10)
    assert wrong.status_code == 401
    assert requests.get(f"{exposed}/", auth=("oncall", TOKEN), timeout=10).status_code == 200
    bearer = requests.get(f"{exposed}/", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert bearer.status_code == 200


def test_the_api_does_not_take_basic_auth(exposed: str) -> None:
    """Basic auth is for pages a browser opens; the API keeps to bearer tokens."""
    answer = requests.get(f"{exposed}/api/v1/runs/1", auth=("x", TOKEN), timeout=10)
    assert answer.status_code == 401
    assert answer.json()["code"] == "unauthorized"


def test_weekly_report_pages_redirect_to_the_last_week_and_render_any_week(api: Api) -> None:
    """`/reports/weekly` names the last full week in its address; any week renders (an
    empty one says so); a malformed week or unknown environment is a 404 page."""
    _run_dns(api)
    latest = requests.get(f"{api.base}/reports/weekly", allow_redirects=False, timeout=10)
    assert latest.status_code == 302
    assert re.fullmatch(r"/reports/weekly/\d{4}-W\d{2}", latest.headers["Location"])
    page = requests.get(f"{api.base}/reports/weekly/2026-W47", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "2026-W47" in page.text and "<script" not in page.text.lower()
    assert requests.get(f"{api.base}/reports/weekly/2026-47", timeout=10).status_code == 404
    unknown = requests.get(f"{api.base}/reports/weekly/2026-W47?env=nope", timeout=10)
    assert unknown.status_code == 404 and "nope" in unknown.text


def test_pages_in_a_browser_show_no_console_errors_and_fit_a_phone(api: Api) -> None:
    """Headless Chromium opens the overview and a week's report at desktop and phone width:
    nothing in the console (the CSP forbids scripts: a blocked one would be logged), and the
    phone width needs no sideways scrolling."""
    api.view.job_states = [job("dns", interval_s=900, success_age_s=60)]
    _run_dns(api)
    with headless_chromium() as browser:
        for path in ("/", "/reports/weekly/2026-W48"):
            for width in (1280, 390):
                assert open_page(browser, f"{api.base}{path}", width) == [], (path, width)
                scroll = browser.execute_script(
                    "return document.documentElement.scrollWidth"
                    " - document.documentElement.clientWidth"
                )
                assert scroll <= 0, (path, width, scroll)
        browser.get(f"{api.base}/")
        cells = browser.find_elements(By.CSS_SELECTOR, "#posture .chip")
        assert cells and all(c.size["width"] > 0 for c in cells)
        link = browser.find_element(By.LINK_TEXT, "latest weekly report")
        link.click()
        assert re.search(r"/reports/weekly/\d{4}-W\d{2}$", browser.current_url)
