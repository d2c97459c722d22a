"""The sim's WebSocket v2 as a raw client sees it (the `websockets` client on 127.0.0.1): Kraken's
message shapes — status on connect, one ack per symbol, refusals, snapshot then updates, pong,
heartbeats — and a plain HTTP GET on the socket path is refused."""

from __future__ import annotations

import json
from typing import Any

import requests
from websockets.sync.client import ClientConnection, connect

from adapters.sim_exchange.ws_public import rfc3339
from core.domain import Candle
from tests.fakes.sim_server import HOUR_MS, START_MS, PaperSim


def url(sim: PaperSim) -> str:
    return sim.url.replace("http://", "ws://") + "/ws/v2"


def recv(ws: ClientConnection, skip_heartbeats: bool = True) -> dict[str, Any]:
    while True:
        msg: dict[str, Any] = json.loads(ws.recv(timeout=5))
        if not (skip_heartbeats and msg.get("channel") == "heartbeat"):
            return msg


def test_subscribe_acks_each_symbol_refuses_unknown_ones_then_snapshot_and_updates(sim: PaperSim) -> None:
    with connect(url(sim)) as ws:
        status = recv(ws)
        assert status["channel"] == "status" and status["data"][0]["api_version"] == "v2"
        ws.send(json.dumps({"method": "subscribe", "req_id": 7,
                            "params": {"channel": "ohlc", "symbol": ["BTC/USD", "XBT/USD"], "interval": 60}}))
        ack, refused = recv(ws), recv(ws)
        assert ack["success"] and ack["result"] == {"channel": "ohlc", "symbol": "BTC/USD", "interval": 60,
                                                    "snapshot": True} and ack["req_id"] == 7
        assert not refused["success"] and refused["symbol"] == "XBT/USD"  # v2 symbols: BTC, never XBT
        snap = recv(ws)
        assert (snap["channel"], snap["type"]) == ("ohlc", "snapshot")
        assert [c["interval_begin"] for c in snap["data"]] == [
            rfc3339(START_MS + i * HOUR_MS) for i in range(3)]  # the three replayed hours
        assert {c["symbol"] for c in snap["data"]} == {"BTC/USD"} and snap["data"][-1]["close"] == 30000.0
        sim.candles.traded("BTC/USD", Candle(START_MS + 3 * HOUR_MS, 30000.0, 30000.0, 29900.0, 29900.0, 0.4))
        update = recv(ws)
        assert (update["channel"], update["type"]) == ("ohlc", "update")
        [bar] = update["data"]
        assert (bar["open"], bar["low"], bar["close"], bar["trades"]) == (30000.0, 29900.0, 29900.0, 1)
        ws.send(json.dumps({"method": "ping", "req_id": 9}))
        assert recv(ws)["method"] == "pong"
        assert recv(ws, skip_heartbeats=False)["channel"] == "heartbeat"  # every second, unasked


def test_ticker_snapshot_and_bad_requests_are_one_refusal_each(sim: PaperSim) -> None:
    with connect(url(sim)) as ws:
        recv(ws)
        ws.send(json.dumps({"method": "subscribe", "params": {"channel": "ticker", "symbol": ["ETH/USD"]}}))
        assert recv(ws)["success"]
        snap = recv(ws)
        assert snap["channel"] == "ticker" and snap["data"][0]["symbol"] == "ETH/USD" and snap["data"][0]["last"] > 0
        ws.send("not json")
        assert recv(ws)["success"] is False
        bad_interval = {"channel": "ohlc", "symbol": ["ETH/USD"], "interval": 7}
        ws.send(json.dumps({"method": "subscribe", "params": bad_interval}))
        assert recv(ws)["error"] == "Invalid interval"


def test_a_plain_get_on_the_socket_path_is_refused(sim: PaperSim) -> None:
    answer = requests.get(sim.url + "/ws/v2", timeout=5)
    assert answer.status_code == 400  # werkzeug: a WebSocket route, not an upgrade request
