"""Web chat API, status dashboard and bind rules, through Flask's test client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask

from adapters.channels.ports import ChannelConfigError
from adapters.channels.settings import ChannelSettings
from adapters.channels.web_chat import check_bind
from bot.settings import ZynSettings as Settings
from tests.adapters.channels.conftest import build_app, without
from tests.fakes.chat_backend import FakeZyn


def chat(app: Flask, body: object, raw: bytes | None = None, **kw: Any) -> tuple[int, dict[str, Any]]:
    data = raw if raw is not None else json.dumps(body).encode()
    resp = app.test_client().post("/api/chat", data=data, content_type="application/json", **kw)
    return resp.status_code, resp.get_json()


def test_chat_reply_is_structured(app: Flask) -> None:
    status, body = chat(app, {"message": "status", "user": "owner"})
    assert status == 200
    assert body["reply"].startswith("Status\nAll good") and body["kind"] == "text"
    assert ["BTC/USD", "0.01 @ 61000 stop 59000 tp 65000"] in body["rows"]


def test_a_table_reply_names_its_columns_so_the_page_can_lay_it_out_per_width(app: Flask) -> None:
    """Issue 22.10: the page gets the column names (and a label/value reply none), so at phone
    width it shows one card per row, each value named, like the other channels."""
    _, body = chat(app, {"message": "trades 5"})
    assert body["columns"] == ["#", "Pair", "Status", "Amount", "Entry", "Exit", "P&L", "Exit reason"]
    assert body["rows"][0] == body["columns"] and body["rows"][1][5] == "3,842.7"
    assert chat(app, {"message": "status"})[1]["columns"] == []


def test_confirm_needs_yes_from_the_same_user(app: Flask, zyn: FakeZyn) -> None:
    assert chat(app, {"message": "buy 0.01 btc"})[1]["buttons"] == ["yes", "no"]
    assert chat(app, {"message": "yes", "user": "someone-else"})[1]["kind"] == "refusal"
    assert zyn.dispatcher.actions == []
    assert "Filled" in str(chat(app, {"message": "yes"})[1]["reply"])
    assert zyn.dispatcher.actions == [("web", "owner", "buy 0.01 btc")]


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        (b"{not json", "JSON"),
        (b"\xff\xfe\x00binary", "JSON"),
        (b"[1, 2]", "object"),
        (b'{"text": "status"}', "message"),
        (b'{"message": 12}', "message"),
        (b'{"message": "  \\u0000 "}', "empty"),
        (json.dumps({"message": "x" * 5000}).encode(), "too large"),
        (json.dumps({"message": "hi", "user": "u" * 100}).encode(), "user"),
    ],
)
def test_bad_requests_are_400_with_one_line(app: Flask, zyn: FakeZyn, raw: bytes, needle: str) -> None:
    status, body = chat(app, None, raw=raw)
    assert status == 400
    assert needle in str(body["error"]) and "\n" not in str(body["error"])
    assert zyn.dispatcher.seen == []


def test_100kb_body_refused_without_reading_it(app: Flask) -> None:
    status, body = chat(app, None, raw=b'{"message": "' + b"a" * 100_000 + b'"}')
    assert status == 400 and "too large" in str(body["error"])


def test_dispatcher_crash_is_500_one_line(app: Flask) -> None:
    status, body = chat(app, {"message": "boom"})
    assert status == 500 and body == {"error": "internal error; nothing was done"}


def test_token_required_when_set(zyn: FakeZyn, channels: ChannelSettings) -> None:
    zyn.settings = Settings(channels=without(channels, web_chat_token="s3cret"))
    app = build_app(zyn)
    assert chat(app, {"message": "status"})[0] == 401
    assert chat(app, {"message": "status"}, headers={"Authorization": "Bearer wrong"})[0] == 401
    assert chat(app, {"message": "status"}, headers={"Authorization": "Bearer s3cret"})[0] == 200
    assert app.test_client().get("/status").status_code == 401
    assert app.test_client().get("/status", headers={"Authorization": "Bearer s3cret"}).status_code == 200


def test_token_in_the_url_is_not_accepted(zyn: FakeZyn, channels: ChannelSettings) -> None:
    zyn.settings = Settings(channels=without(channels, web_chat_token="s3cret"))
    client = build_app(zyn).test_client()
    assert client.post("/api/chat?token=s3cret", json={"message": "status"}).status_code == 401
    assert client.get("/status?token=s3cret").status_code == 401
    assert zyn.dispatcher.seen == []


def test_sign_in_sets_an_httponly_strict_cookie_that_opens_the_pages(
    zyn: FakeZyn, channels: ChannelSettings
) -> None:
    zyn.settings = Settings(channels=without(channels, web_chat_token="s3cret"))
    client = build_app(zyn).test_client()
    assert 'name="token"' in client.get("/").get_data(as_text=True)  # the sign-in form
    assert client.post("/login", data={"token": "wrong"}).status_code == 401
    assert client.get("/status").status_code == 401
    resp = client.post("/login", data={"token": "s3cret"})
    assert resp.status_code == 303
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert client.get("/status").status_code == 200
    assert client.post("/api/chat", json={"message": "status"}).status_code == 200
    assert 'name="token"' not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/status"])
def test_pages_refuse_to_be_framed(app: Flask, path: str) -> None:
    resp = app.test_client().get(path)
    assert resp.status_code == 200
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


def test_remote_client_without_token_is_refused(app: Flask, zyn: FakeZyn) -> None:
    resp = app.test_client().post(
        "/api/chat", json={"message": "status"}, environ_base={"REMOTE_ADDR": "10.1.2.3"}
    )
    assert resp.status_code == 403 and zyn.dispatcher.seen == []


def test_check_bind(channels: ChannelSettings) -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind(host, Settings(channels=channels))
    with pytest.raises(ChannelConfigError, match="WEB_CHAT_TOKEN"):
        check_bind("0.0.0.0", Settings(channels=channels))  # noqa: S104 - the case under test
    check_bind("0.0.0.0", without(channels, web_chat_token="t"))  # noqa: S104


def test_status_page_renders_snapshot_chart_and_decisions(app: Flask) -> None:
    html = app.test_client().get("/status").get_data(as_text=True)
    assert 'id="positions"' in html and "BTC/USD" in html and "59,000.00" in html and "65,000.00" in html
    assert "OABC12-XYZ" in html and "<svg" in html and 'id="decisions"' in html
    assert "12.30" in html and "-4.50" in html


def test_status_page_survives_a_failing_status_service(app: Flask, zyn: FakeZyn) -> None:
    def broken() -> dict[str, object]:
        raise ConnectionError("db down")

    zyn.status.snapshot = broken
    resp = app.test_client().get("/status")
    assert resp.status_code == 200 and "status unavailable (ConnectionError)" in resp.get_data(as_text=True)


def test_status_extra_and_decisions_from_db(zyn: FakeZyn) -> None:
    from sqlmodel import Session

    from core.telemetry.db import make_engine
    from core.telemetry.models import DecisionRow

    zyn.db = make_engine("sqlite://")
    with Session(zyn.db) as s:
        s.add(
            DecisionRow(
                ts_ms=1_700_000_000_000, pair="BTC/USD", action="skip", reason="no cross", price=61000.0
            )
        )
        s.commit()
    body = build_app(zyn).test_client().get("/api/status/extra").get_json()
    assert body["decisions"][0]["reason"] == "no cross" and body["decisions"][0]["time"] == "2023-11-14 22:13"
    assert "<svg" in body["equity_svg"]


def test_chat_page_is_offline(app: Flask) -> None:
    html = app.test_client().get("/").get_data(as_text=True)
    assert 'id="message"' in html and "http" not in html.replace("http-equiv", "")
    assert app.test_client().get("/zyn-static/chat.js").status_code == 200
