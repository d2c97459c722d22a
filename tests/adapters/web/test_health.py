"""`/healthz`: monitors off loopback learn ok/not ok and nothing else; the owner sees the details."""

from __future__ import annotations

from adapters.web.app import create_web_app
from bot.wiring.app import Zyn

REMOTE = {"REMOTE_ADDR": "203.0.113.7"}


def test_off_loopback_without_token_shows_only_ok(web_zyn: Zyn) -> None:
    client = create_web_app(web_zyn).test_client()
    resp = client.get("/healthz", environ_base=REMOTE, headers={"Host": "zyn.example"})
    assert resp.get_json() == {"ok": resp.status_code == 200}


def test_with_token_or_on_loopback_shows_the_details(web_zyn: Zyn) -> None:
    client = create_web_app(web_zyn).test_client()
    auth = {"Authorization": "Bearer tok-web-123", "Host": "zyn.example"}
    remote = client.get("/healthz", environ_base=REMOTE, headers=auth).get_json()
    local = client.get("/healthz").get_json()
    for body in (remote, local):
        assert body["mode"] == "paper" and body["database"] == "ok" and "scheduler" in body


def test_token_in_the_query_string_does_not_open_the_details(web_zyn: Zyn) -> None:
    client = create_web_app(web_zyn).test_client()
    resp = client.get("/healthz?token=tok-web-123", environ_base=REMOTE, headers={"Host": "zyn.example"})
    assert set(resp.get_json()) == {"ok"}
