"""Review regressions: the web chat cannot be driven cross-site, and /api/status is not public."""

from __future__ import annotations

import json

from flask import Flask

from adapters.channels.settings import ChannelSettings
from adapters.web import health
from bot.settings import ZynSettings as Settings
from tests.adapters.channels.conftest import without
from tests.fakes.chat_backend import FakeZyn


def test_cross_site_text_plain_post_is_refused(app: Flask, zyn: FakeZyn) -> None:
    # <form enctype="text/plain"> or fetch(no-cors) from any web page reaches 127.0.0.1 with no
    # preflight; the JSON body parses all the same. Only application/json may talk to Zyn.
    for body in ('{"message": "buy 0.01 btc"}', '{"message": "yes"}'):
        resp = app.test_client().post("/api/chat", data=body, content_type="text/plain")
        assert resp.status_code == 415 and "application/json" in resp.get_json()["error"]
    assert zyn.dispatcher.seen == [] and zyn.dispatcher.actions == []


def test_dns_rebinding_host_is_refused_without_token(app: Flask, zyn: FakeZyn) -> None:
    client = app.test_client()
    body = json.dumps({"message": "status"})
    evil = {"Host": "evil.example:5000"}
    assert client.post("/api/chat", data=body, content_type="application/json", headers=evil).status_code == 403
    assert client.get("/status", headers=evil).status_code == 403
    assert zyn.dispatcher.seen == []
    for host in ("127.0.0.1:5000", "localhost", "[::1]:5000"):
        resp = client.post("/api/chat", data=body, content_type="application/json", headers={"Host": host})
        assert resp.status_code == 200, host


def _health_app(zyn: FakeZyn) -> Flask:
    app = Flask("zyn-review")
    app.register_blueprint(health.make_blueprint(zyn))
    return app


def test_api_status_needs_the_web_chat_token(zyn: FakeZyn, channels: ChannelSettings) -> None:
    zyn.settings = Settings(channels=without(channels, web_chat_token="s3cret"))
    client = _health_app(zyn).test_client()
    remote = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/api/status", environ_base=remote).status_code == 401
    assert client.get("/api/status").status_code == 401
    ok = client.get("/api/status", headers={"Authorization": "Bearer s3cret"}, environ_base=remote)
    assert ok.status_code == 200 and "positions" in ok.get_json()


def test_api_status_is_loopback_only_without_token(zyn: FakeZyn) -> None:
    client = _health_app(zyn).test_client()
    assert client.get("/api/status", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    assert client.get("/api/status").status_code == 200
