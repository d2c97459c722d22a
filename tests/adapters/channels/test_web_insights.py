"""The "What I've learned" section of /status: active insights from the database (issue 4 item 6).

Why a real database: the section reads the telemetry `insights` table through
core.learning.insights.list_insights, so a stored insight must show up with its title, text and the
evidence's sample size — on the server-rendered page and, via /api/status/extra, on refresh.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from adapters.channels.settings import ChannelSettings
from core.learning.insights import Insight, store_insights
from core.telemetry.db import make_engine
from tests.adapters.channels.conftest import LiveServer, build_app
from tests.adapters.channels.test_web_browser import browser, pytestmark  # noqa: F401 - shared fixture
from tests.fakes.chat_backend import FakeZyn, make_zyn

SUNDAY = Insight(
    "Worst weekday: Sun",
    "Sun: -0.40R per trade over 41 trades (95 % CI -0.70 to -0.10R), won 28% of 41; overall +0.12R.",
    {"dimension": "weekday", "value": "Sun", "n": 41, "mean_r": -0.4},
)
MARKUP = Insight("<b>not bold</b>", "<img src=x onerror=alert(1)>", {"n": 3})


@pytest.fixture
def db_zyn(channels: ChannelSettings, tmp_path: Path) -> FakeZyn:
    zyn = make_zyn(channels)
    zyn.db = make_engine(f"sqlite:///{tmp_path}/insights.db")
    return zyn


@pytest.fixture
def db_app(db_zyn: FakeZyn) -> Flask:
    return build_app(db_zyn)


@pytest.fixture
def db_server(db_app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(db_app)
    yield server
    server.stop()


def test_extra_json_lists_active_insights_with_n(db_zyn: FakeZyn, db_app: Flask) -> None:
    client = db_app.test_client()
    assert client.get("/api/status/extra").get_json()["insights"] == []
    store_insights(db_zyn.db, [Insight("Old", "replaced", {"n": 1})], version=1)
    store_insights(db_zyn.db, [SUNDAY, Insight("No evidence", "n unknown")], version=2, now_ms=1_700_000_000_000)
    got = client.get("/api/status/extra").get_json()["insights"]
    assert [(i["title"], i["n"], i["learner_version"]) for i in got] == [
        ("Worst weekday: Sun", 41, 2),
        ("No evidence", None, 2),
    ]
    assert got[0]["text"] == SUNDAY.text and got[0]["time"] == "2023-11-14 22:13"


def test_status_page_without_a_database_says_none_yet(app: Flask) -> None:
    page = app.test_client().get("/status").get_data(as_text=True)
    assert "What I've learned" in page and 'id="insights"' in page and "none yet" in page
    assert app.test_client().get("/api/status/extra").get_json()["insights"] == []


def test_insights_section_shows_a_stored_insight(browser: WebDriver, db_server: LiveServer, db_zyn: FakeZyn) -> None:  # noqa: F811
    browser.get(db_server.url + "/status?refresh=500")
    wait = WebDriverWait(browser, 10)
    section = wait.until(ec.presence_of_element_located((By.ID, "insights")))
    assert "none yet" in section.text

    store_insights(db_zyn.db, [SUNDAY, MARKUP], version=3)  # the page picks it up on refresh
    wait.until(ec.text_to_be_present_in_element((By.ID, "insights"), "Worst weekday: Sun"))
    rows = [
        [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
        for tr in section.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]
    assert rows[0] == ["Worst weekday: Sun", SUNDAY.text, "41"]
    assert rows[1] == ["<b>not bold</b>", "<img src=x onerror=alert(1)>", "3"]  # text stays text
    assert not section.find_elements(By.CSS_SELECTOR, "img, b")

    browser.get(db_server.url + "/status")  # server-rendered, no refresh needed
    heading = browser.find_element(By.XPATH, "//section[.//table[@id='insights']]/h2")
    assert heading.text == "What I've learned"
    assert "Worst weekday: Sun" in browser.find_element(By.ID, "insights").text
    assert not browser.find_element(By.ID, "status-error").is_displayed()
