"""The owner's loopback API: token in a header only, loopback only, 409 when not the owner."""

from __future__ import annotations

from typing import Any

from flask import Flask

from adapters.web.owner_api import OwnerActions, make_blueprint

TOKEN = "t0ken-abc"


def app(owner: bool = True, calls: list[Any] | None = None) -> Flask:
    seen = calls if calls is not None else []

    def dispatch(channel: str, user: str, text: str) -> dict[str, Any]:
        seen.append((channel, user, text))
        return {"text": f"echo {text}", "kind": "text"}

    flask = Flask("t")
    flask.register_blueprint(make_blueprint(OwnerActions(TOKEN, lambda: owner, dispatch, lambda: {"mode": "paper"},
                                                         lambda: {"text": "learned"})))
    return flask


def test_dispatch_with_the_token_runs_the_message_through_the_owner() -> None:
    calls: list[Any] = []
    resp = app(calls=calls).test_client().post("/owner/v1/dispatch", json={"channel": "cli", "user": "owner",
                                                                           "text": "status"},
                                               headers={"X-Zyn-Owner-Token": TOKEN})
    assert resp.status_code == 200 and resp.get_json()["reply"]["text"] == "echo status"
    assert calls == [("cli", "owner", "status")]


def test_a_token_in_the_url_or_a_wrong_token_is_refused_and_runs_nothing() -> None:
    calls: list[Any] = []
    client = app(calls=calls).test_client()
    body = {"channel": "cli", "user": "owner", "text": "flatten"}
    assert client.post(f"/owner/v1/dispatch?token={TOKEN}", json=body).status_code == 401
    assert client.post("/owner/v1/dispatch", json=body, headers={"X-Zyn-Owner-Token": "nope"}).status_code == 401
    assert client.get("/owner/v1/status").status_code == 401
    assert calls == []


def test_only_loopback_callers_are_served() -> None:
    client = app().test_client()
    resp = client.get("/owner/v1/status", headers={"X-Zyn-Owner-Token": TOKEN},
                      environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert resp.status_code == 403


def test_a_process_that_lost_the_lease_answers_409_so_the_client_looks_again() -> None:
    calls: list[Any] = []
    resp = app(owner=False, calls=calls).test_client().post(
        "/owner/v1/dispatch", json={"channel": "cli", "user": "owner", "text": "buy 1 BTC/USD"},
        headers={"X-Zyn-Owner-Token": TOKEN})
    assert resp.status_code == 409 and calls == []


def test_malformed_bodies_get_one_line_400s() -> None:
    client = app().test_client()
    h = {"X-Zyn-Owner-Token": TOKEN}
    for body in ({"channel": "irc", "user": "x", "text": "hi"}, {"channel": "cli", "user": "", "text": "hi"},
                 {"channel": "cli", "user": "x", "text": ""}, ["not", "an", "object"]):
        resp = client.post("/owner/v1/dispatch", json=body, headers=h)
        assert resp.status_code == 400 and "\n" not in resp.get_json()["error"]
