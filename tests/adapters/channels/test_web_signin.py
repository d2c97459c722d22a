"""The web sign-in after the outside probe (issue 19.9): the cookie never holds WEB_CHAT_TOKEN, it is
`Secure` behind an https proxy, every response says `nosniff`, and guessing the token is throttled
(300 wrong tokens then the right one used to be accepted)."""

from __future__ import annotations

import pytest
from flask import Flask

from adapters.channels import slack, sms, web_chat
from adapters.channels.settings import ChannelSettings
from adapters.channels.web_session import SignInThrottle, session_value
from bot.settings import ZynSettings as Settings
from tests.adapters.channels.conftest import build_app, without
from tests.fakes.chat_backend import FakeZyn

TOKEN = "s3cret-token-for-tests"  # noqa: S105 - test value


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def signed_app(zyn: FakeZyn, channels: ChannelSettings, clock: FakeClock | None = None) -> Flask:
    zyn.settings = Settings(channels=without(channels, web_chat_token=TOKEN))
    if clock is None:
        return build_app(zyn)
    app = Flask("zyn-signin-test")
    app.register_blueprint(web_chat.web_blueprint(zyn.dispatcher, zyn.settings.channels,
                                                  throttle=SignInThrottle(clock=clock)))
    app.register_blueprint(sms.make_blueprint(zyn))
    app.register_blueprint(slack.make_blueprint(zyn))
    return app


def test_the_cookie_holds_a_derived_value_not_the_token(zyn: FakeZyn, channels: ChannelSettings) -> None:
    client = signed_app(zyn, channels).test_client()
    resp = client.post("/login", data={"token": TOKEN})
    cookie = resp.headers["Set-Cookie"]
    assert resp.status_code == 303 and TOKEN not in cookie
    assert f"{web_chat.COOKIE}={session_value(TOKEN)}" in cookie
    assert client.post("/api/chat", json={"message": "status"}).status_code == 200  # the cookie signs in
    other = signed_app(zyn, channels).test_client()
    other.set_cookie(web_chat.COOKIE, TOKEN)  # the raw token as a cookie is no longer a session
    assert other.post("/api/chat", json={"message": "status"}).status_code == 401


@pytest.mark.parametrize(("headers", "secure"), [({}, False), ({"X-Forwarded-Proto": "https"}, True),
                                                 ({"X-Forwarded-Proto": "https, http"}, True),
                                                 ({"X-Forwarded-Proto": "http"}, False)])
def test_the_cookie_is_secure_behind_an_https_proxy(zyn: FakeZyn, channels: ChannelSettings,
                                                    headers: dict[str, str], secure: bool) -> None:
    resp = signed_app(zyn, channels).test_client().post("/login", data={"token": TOKEN}, headers=headers)
    assert resp.status_code == 303
    assert ("; Secure" in resp.headers["Set-Cookie"]) is secure


@pytest.mark.parametrize(("method", "path"), [("get", "/"), ("get", "/status"), ("post", "/api/chat"),
                                              ("post", "/login"), ("post", "/slack/events"), ("post", "/sms"),
                                              ("get", "/no-such-page"), ("get", "/api/status")])
def test_every_response_says_nosniff(zyn: FakeZyn, channels: ChannelSettings, method: str, path: str) -> None:
    resp = getattr(signed_app(zyn, channels).test_client(), method)(path)
    assert resp.headers.get("X-Content-Type-Options") == "nosniff", (path, resp.status_code)


def test_300_wrong_tokens_then_the_right_one_is_locked_out(zyn: FakeZyn, channels: ChannelSettings) -> None:
    # the throttle's clock stands still: on the wall clock the first 1 s lockout ran out while a
    # loaded machine was still sending the 300 (401s after the 6th: failed at load 9 on two workers)
    wired = signed_app(zyn, channels).test_client()  # the app `zyn run` serves has the throttle too
    assert [wired.post("/login", data={"token": f"try-{i}"}).status_code for i in range(7)][6] == 429
    client = signed_app(zyn, channels, FakeClock()).test_client()
    codes = [client.post("/login", data={"token": f"guess-{i}"}).status_code for i in range(300)]
    assert codes[:5] == [401] * 5 and set(codes[6:]) == {429}
    resp = client.post("/login", data={"token": TOKEN})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) >= 1
    assert "Set-Cookie" not in resp.headers


def test_the_lockout_grows_and_ends_and_the_right_token_then_works(zyn: FakeZyn, channels: ChannelSettings) -> None:
    clock = FakeClock()
    client = signed_app(zyn, channels, clock).test_client()
    for i in range(5):
        assert client.post("/login", data={"token": f"guess-{i}"}).status_code == 401
    waits = []
    for i in range(4):  # each further wrong token doubles the wait: 1, 2, 4, 8 s
        assert client.post("/login", data={"token": f"more-{i}"}).status_code == 401
        resp = client.post("/login", data={"token": TOKEN})
        assert resp.status_code == 429
        waits.append(int(resp.headers["Retry-After"]))
        clock.now += waits[-1]
    assert waits == [1, 2, 4, 8]
    assert client.post("/login", data={"token": TOKEN}).status_code == 303
    assert client.post("/login", data={"token": "wrong-again"}).status_code == 401  # the count started over


def test_wrong_bearer_tokens_count_too(zyn: FakeZyn, channels: ChannelSettings) -> None:
    client = signed_app(zyn, channels).test_client()
    for i in range(6):
        client.post("/api/chat", json={"message": "status"}, headers={"Authorization": f"Bearer guess-{i}"})
    right = client.post("/api/chat", json={"message": "status"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 429
    assert zyn.dispatcher.seen == []


def test_a_locked_out_client_does_not_lock_out_another(zyn: FakeZyn, channels: ChannelSettings) -> None:
    app = signed_app(zyn, channels)
    attacker = app.test_client()
    for i in range(10):
        attacker.post("/login", data={"token": f"guess-{i}"}, environ_base={"REMOTE_ADDR": "203.0.113.9"})
    owner = app.test_client()
    assert owner.post("/login", data={"token": TOKEN}).status_code == 303


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"  # what Chromium sends


def test_a_browser_opening_status_without_the_cookie_gets_the_sign_in_form(
    zyn: FakeZyn, channels: ChannelSettings
) -> None:
    """Found running the README (s7): /status with the token set answered a browser with 401 JSON.
    A browser is sent to the sign-in form and back to /status once signed in."""
    client = signed_app(zyn, channels).test_client()
    resp = client.get("/status", headers={"Accept": BROWSER})
    assert resp.status_code == 303 and resp.headers["Location"] == "/?next=/status"
    form = client.get(resp.headers["Location"], headers={"Accept": BROWSER}).get_data(as_text=True)
    assert 'name="token"' in form and '<input type="hidden" name="next" value="/status">' in form
    signed = client.post("/login", data={"token": TOKEN, "next": "/status"})
    assert signed.status_code == 303 and signed.headers["Location"] == "/status"
    page = client.get("/status", headers={"Accept": BROWSER})
    assert page.status_code == 200 and 'id="positions"' in page.get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, {"Accept": "*/*"}, {"Accept": "application/json"},
                                     {"Accept": BROWSER, "Authorization": "Bearer wrong"}])
def test_api_clients_keep_the_401_json(zyn: FakeZyn, channels: ChannelSettings, headers: dict[str, str]) -> None:
    client = signed_app(zyn, channels).test_client()
    for path in ("/status", "/api/status/extra"):
        resp = client.get(path, headers=headers)
        assert resp.status_code == 401 and resp.is_json and "token" in resp.get_json()["error"], path
    api = client.get("/api/status/extra", headers={**headers, "Accept": BROWSER})  # /api/... JSON for a browser too
    assert api.status_code == 401 and api.is_json


def test_the_sign_in_returns_only_to_this_apps_pages(zyn: FakeZyn, channels: ChannelSettings) -> None:
    client = signed_app(zyn, channels).test_client()
    for wanted in ("https://evil.example/", "//evil.example", "/status/../x"):
        assert 'name="next"' not in client.get("/", query_string={"next": wanted}).get_data(as_text=True)
        resp = client.post("/login", data={"token": TOKEN, "next": wanted})
        assert resp.status_code == 303 and resp.headers["Location"] == "/", wanted


def test_a_wrong_token_typed_in_the_form_shows_the_form_again(zyn: FakeZyn, channels: ChannelSettings) -> None:
    """Found running the README (s7): a browser got a page of JSON after a typo in the token. It gets the
    form again, saying the token was wrong, still 401 and counted; an API client keeps the JSON."""
    client = signed_app(zyn, channels).test_client()
    resp = client.post("/login", data={"token": "typo", "next": "/status"}, headers={"Accept": BROWSER})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 401 and not resp.is_json
    assert "Wrong token." in page and 'name="token"' in page and TOKEN not in page and "typo" not in page
    assert '<input type="hidden" name="next" value="/status">' in page
    api = client.post("/login", data={"token": "typo"})
    assert api.status_code == 401 and api.is_json and api.get_json() == {"error": "wrong token"}
    signed = client.post("/login", data={"token": TOKEN, "next": "/status"}, headers={"Accept": BROWSER})
    assert signed.status_code == 303 and signed.headers["Location"] == "/status"
