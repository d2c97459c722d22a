"""The chat page and the dashboard in headless Chromium (Debian chromium + chromium-driver)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from adapters.channels.settings import ChannelSettings
from bot.settings import ZynSettings as Settings
from tests.adapters.channels.conftest import LiveServer, build_app, without
from tests.fakes.chat_backend import FakeZyn

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
SCREENSHOT = os.path.join(tempfile.gettempdir(), "zyn-status.png")
pytestmark = pytest.mark.skipif(
    not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)),
    reason="needs Debian chromium + chromium-driver (apt-get install -y chromium chromium-driver)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with tempfile.TemporaryDirectory(prefix="zyn-chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in (
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            f"--user-data-dir={profile}",
            "--window-size=1280,1000",
        ):
            options.add_argument(arg)
        driver = webdriver.Chrome(options=options, service=Service(DRIVER))
        driver.set_page_load_timeout(20)
        try:
            yield driver
        finally:
            driver.quit()


def test_chat_round_trip_with_confirmation_button(browser: WebDriver, live_server: LiveServer) -> None:
    browser.get(live_server.url + "/")
    wait = WebDriverWait(browser, 10)
    box = wait.until(ec.presence_of_element_located((By.ID, "message")))
    box.send_keys("status", Keys.ENTER)
    reply = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#messages li.zyn")))
    assert "All good" in reply.text and "BTC/USD" in reply.text

    box.send_keys("buy 0.01 btc", Keys.ENTER)
    yes_button = (By.XPATH, "//li[contains(@class,'kind-confirm')]//button[.='yes']")
    wait.until(ec.element_to_be_clickable(yes_button)).click()
    wait.until(ec.text_to_be_present_in_element((By.ID, "messages"), "Filled: buy 0.01 btc"))

    box.send_keys("<img src=x onerror=alert(1)>", Keys.ENTER)
    wait.until(ec.text_to_be_present_in_element((By.ID, "messages"), "I did not understand"))
    assert not browser.find_elements(By.CSS_SELECTOR, "#messages img")  # text stays text


def test_status_page_shows_positions_and_chart(
    browser: WebDriver, live_server: LiveServer, zyn: FakeZyn
) -> None:
    browser.get(live_server.url + "/status?refresh=500")
    wait = WebDriverWait(browser, 10)
    table = wait.until(ec.presence_of_element_located((By.ID, "positions")))
    cells = [td.text for td in table.find_elements(By.CSS_SELECTOR, "tbody td")]
    assert cells[0] == "BTC/USD" and "59,000.00" in cells and "65,000.00" in cells
    chart = browser.find_element(By.CSS_SELECTOR, "#equity-chart svg")
    assert chart.size["width"] > 100 and chart.size["height"] > 50
    assert browser.find_element(By.ID, "mode").text == "paper"
    browser.save_screenshot(SCREENSHOT)

    # the page refreshes itself from /api/status: change the snapshot and wait for it
    eth = dict(zyn.status.data["positions"][0], pair="ETH/USD", stop_price=2900.0)
    zyn.status.data = {**zyn.status.data, "positions": [eth], "mode": "validate"}
    wait.until(ec.text_to_be_present_in_element((By.ID, "positions"), "ETH/USD"))
    assert "2,900.00" in browser.find_element(By.ID, "positions").text
    assert browser.find_element(By.ID, "mode").text == "validate"
    assert not browser.find_element(By.ID, "status-error").is_displayed()


PHONE_SCREENSHOT = os.path.join(tempfile.gettempdir(), "zyn-status-375.png")


def test_dashboard_fits_a_375px_phone(browser: WebDriver, live_server: LiveServer, zyn: FakeZyn) -> None:
    """At 375 CSS px nothing is clipped or scrolls sideways: every table cell lies inside the
    viewport, balances are rounded, and a screenshot of the phone layout is written."""
    zyn.status.data = {**zyn.status.data, "balances": {"USD": 7027.201328415064, "BTC": 0.015449999999999998}}
    browser.set_window_size(375, 900)
    try:
        browser.get(live_server.url + "/status")
        wait = WebDriverWait(browser, 10)
        wait.until(ec.presence_of_element_located((By.ID, "positions")))
        width = browser.execute_script("return window.innerWidth")
        assert width <= 400  # the window really is phone-sized
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width
        overflowing = browser.execute_script(
            """return Array.from(document.querySelectorAll('main.dash td, main.dash th'))
                 .filter(c => c.getBoundingClientRect().width > 0)
                 .filter(c => c.getBoundingClientRect().right > window.innerWidth + 0.5
                           || c.scrollWidth > c.clientWidth + 1)
                 .map(c => c.textContent)"""
        )
        assert overflowing == []
        balances = browser.find_element(By.ID, "balances").text
        assert "7,027.20" in balances and "0.01545" in balances and "7027.2013" not in balances
        stop = browser.find_element(By.CSS_SELECTOR, '#positions td[data-label="stop"]')
        assert stop.text == "59,000.00" and stop.value_of_css_property("display") == "block"  # a card
        assert "win rate 67 %" in browser.find_element(By.ID, "trade-count").text
        assert browser.save_screenshot(PHONE_SCREENSHOT)
        with open(PHONE_SCREENSHOT, "rb") as f:
            png = f.read()
        assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") <= 400 * 2
    finally:
        browser.set_window_size(1280, 1000)


def test_a_table_reply_in_the_chat_fits_a_375px_phone(browser: WebDriver, live_server: LiveServer) -> None:
    """Issue 22.10: `trades 5` at 375 CSS px — Exit, P&L and the reason are not clipped: each row
    is a card with every value named by its column, as the other channels lay it out."""
    browser.set_window_size(375, 900)
    try:
        browser.get(live_server.url + "/")
        wait = WebDriverWait(browser, 10)
        box = wait.until(ec.presence_of_element_located((By.ID, "message")))
        box.send_keys("trades 5", Keys.ENTER)
        table = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#messages li.zyn table.columns")))
        width = browser.execute_script("return window.innerWidth")
        assert width <= 400
        assert browser.execute_script("return document.documentElement.scrollWidth") <= width
        clipped = browser.execute_script(
            """return Array.from(arguments[0].querySelectorAll('td'))
                 .filter(c => c.getBoundingClientRect().width > 0)
                 .filter(c => c.getBoundingClientRect().right > window.innerWidth + 0.5
                           || c.scrollWidth > c.clientWidth + 1)
                 .map(c => c.textContent)""",
            table,
        )
        assert clipped == []
        exit_cell = table.find_element(By.CSS_SELECTOR, 'td[data-label="Exit"]')
        assert exit_cell.text == "3,842.7" and exit_cell.value_of_css_property("display") == "block"
        assert not table.find_element(By.TAG_NAME, "thead").is_displayed()  # the names are on the cells
        label = browser.execute_script(
            "return getComputedStyle(arguments[0], '::before').content", exit_cell
        )
        assert label == '"Exit: "'
        shown = table.text
        assert "-57.60 USD" in shown and "+180.43 USD" in shown and "target" in shown
    finally:
        browser.set_window_size(1280, 1000)


def test_status_with_a_token_set_opens_the_sign_in_form_then_the_dashboard(
    browser: WebDriver, zyn: FakeZyn, channels: ChannelSettings
) -> None:
    """Found running the README (s7): with WEB_CHAT_TOKEN set, a browser opening /status without
    the cookie got a 401 JSON answer instead of the sign-in form. Now the form, then the dashboard."""
    zyn.settings = Settings(channels=without(channels, web_chat_token="browser-s3cret"))
    server = LiveServer(build_app(zyn))
    browser.delete_all_cookies()
    try:
        browser.get(server.url + "/status")
        wait = WebDriverWait(browser, 10)
        box = wait.until(ec.presence_of_element_located((By.NAME, "token")))
        assert "401" not in browser.page_source and '"error"' not in browser.page_source
        box.send_keys("browser-s3cret", Keys.ENTER)
        table = wait.until(ec.presence_of_element_located((By.ID, "positions")))
        assert browser.current_url == server.url + "/status" and "BTC/USD" in table.text
    finally:
        browser.delete_all_cookies()
        server.stop()
