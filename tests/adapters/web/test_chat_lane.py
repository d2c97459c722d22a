"""The chat fast lane (adapters/web/chat_lane.py, issue 20.1) answers an ordinary POST /api/chat
exactly as Flask's route does — same status, headers and bytes — and hands everything else,
every error and every refused caller to the route, so the route's answers and its wrong-token
counting stay the only ones."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import Client, TestResponse

from adapters.channels import web_chat
from adapters.channels.settings import ChannelSettings
from adapters.channels.web_session import SignInThrottle, session_value
from adapters.web.chat_lane import chat_lane_for
from tests.fakes.chat_backend import FakeDispatcher

TOKEN = "lane-token-for-tests"  # noqa: S105 - test value
LOOPBACK = {"REMOTE_ADDR": "127.0.0.1"}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pair(token: str = "") -> tuple[Client, Client, list[str], FakeDispatcher]:
    """(through the lane, the route alone, the paths the route served behind the lane, dispatcher)."""
    dispatcher = FakeDispatcher({"web": {"owner"}})
    clients = []
    routed: list[str] = []
    for lane in (True, False):
        guard = SignInThrottle(clock=Clock())
        app = Flask("zyn-lane-test")
        app.register_blueprint(web_chat.web_blueprint(dispatcher, ChannelSettings(web_chat_token=token),
                                                      throttle=guard))
        if lane:
            app.before_request(lambda: routed.append("route"))
            app.wsgi_app = chat_lane_for(app, dispatcher, token, guard)  # type: ignore[method-assign]
        clients.append(Client(app))
    return clients[0], clients[1], routed, dispatcher


def post(client: Client, body: Any = None, *, raw: bytes | None = None, **kw: Any) -> TestResponse:
    data = raw if raw is not None else json.dumps(body).encode()
    kw.setdefault("content_type", "application/json")
    kw.setdefault("environ_base", LOOPBACK)
    return client.post("/api/chat", data=data, **kw)


def same(a: TestResponse, b: TestResponse) -> None:
    assert a.status == b.status
    assert sorted(a.headers.items()) == sorted(b.headers.items())
    assert a.get_data() == b.get_data()


@pytest.mark.parametrize("message", ["status", "trades", "chart", "buy 0.01 BTC", "what now?", "boom"])
def test_an_ordinary_request_is_answered_by_the_lane_with_the_routes_bytes(message: str) -> None:
    lane, route, routed, _ = pair()
    same(post(lane, {"message": message}), post(route, {"message": message}))
    assert routed == []  # the lane answered it: Flask's request cycle never ran


def test_a_named_user_and_a_charset_are_ordinary_too() -> None:
    lane, route, routed, dispatcher = pair()
    kw: dict[str, Any] = {"content_type": "application/json; charset=utf-8"}
    body = {"message": "status", "user": "owner"}
    same(post(lane, body, **kw), post(route, body, **kw))
    assert routed == []
    assert [e.user_id for e in dispatcher.seen] == ["owner", "owner"]


@pytest.mark.parametrize(("body", "kw"), [
    (b'{"message": "status"}', {"content_type": "text/plain"}),
    (b"not json", {}),
    (b'["status"]', {}),
    (b'{"message": ""}', {}),
    (b'{"message": 5}', {}),
    (b'{"message": "status", "user": "' + b"x" * 100 + b'"}', {}),
    (json.dumps({"message": "x" * 5000}).encode(), {}),
    (b'{"message": "status"}', {"environ_base": {"REMOTE_ADDR": "10.1.2.3"}}),
    (b'{"message": "status"}', {"headers": {"Host": "evil.example"}}),
])
def test_errors_and_refusals_are_the_routes_own_answers(body: bytes, kw: dict[str, Any]) -> None:
    lane, route, routed, _ = pair()
    got = post(lane, raw=body, **kw)
    same(got, post(route, raw=body, **kw))
    assert got.status_code != 200
    assert routed == ["route"]


def test_other_routes_and_methods_go_to_flask() -> None:
    lane, route, routed, _ = pair()
    same(lane.get("/api/chat", environ_base=LOOPBACK), route.get("/api/chat", environ_base=LOOPBACK))
    same(lane.get("/", environ_base=LOOPBACK), route.get("/", environ_base=LOOPBACK))
    assert routed == ["route", "route"]


def test_with_a_token_the_bearer_and_the_cookie_are_served_by_the_lane() -> None:
    lane, route, routed, _ = pair(TOKEN)
    bearer: dict[str, Any] = {"headers": {"Authorization": f"Bearer {TOKEN}"}}
    same(post(lane, {"message": "status"}, **bearer), post(route, {"message": "status"}, **bearer))
    for client in (lane, route):
        client.set_cookie(web_chat.COOKIE, session_value(TOKEN))
    same(post(lane, {"message": "status"}), post(route, {"message": "status"}))
    assert routed == []


def test_wrong_tokens_are_counted_once_by_the_route_and_lock_the_lane_out_too() -> None:
    lane, route, routed, _ = pair(TOKEN)
    wrong: dict[str, Any] = {"headers": {"Authorization": "Bearer nope"}}
    for _ in range(6):  # 5 free wrong tokens, the 6th locks this client out
        same(post(lane, {"message": "status"}, **wrong), post(route, {"message": "status"}, **wrong))
    assert routed == ["route"] * 6
    right: dict[str, Any] = {"headers": {"Authorization": f"Bearer {TOKEN}"}}
    locked = post(lane, {"message": "status"}, **right)
    same(locked, post(route, {"message": "status"}, **right))
    assert locked.status_code == 429
    assert routed == ["route"] * 7


def test_the_loopback_answer_is_remembered_per_address_and_host_and_stays_right() -> None:
    """The lane keeps `loopback_caller`'s answers (issue 20.1): the same caller is served the same
    way every time, a foreign Host or address still goes to the route, and the memo stays bounded."""
    lane, route, routed, _ = pair()
    for _ in range(3):
        same(post(lane, {"message": "status"}), post(route, {"message": "status"}))
    assert routed == []
    for _ in range(2):  # DNS rebinding: loopback socket, foreign Host -> the route refuses it
        same(post(lane, {"message": "status"}, headers={"Host": "evil.example"}),
             post(route, {"message": "status"}, headers={"Host": "evil.example"}))
    assert routed == ["route", "route"]
    stranger = {"REMOTE_ADDR": "10.0.0.7"}
    same(post(lane, {"message": "status"}, environ_base=stranger),
         post(route, {"message": "status"}, environ_base=stranger))
    assert routed == ["route", "route", "route"]
    for n in range(600):  # many distinct Host headers: the memo is reset, never grows past its limit
        post(lane, {"message": "status"}, headers={"Host": f"h{n}.example"})
    memo = lane.application.wsgi_app._loopback  # type: ignore[attr-defined]  # noqa: SLF001
    assert 0 < len(memo) <= 256
