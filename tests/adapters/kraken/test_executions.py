"""Fills pushed by WebSocket v2 `executions` (token from REST GetWebSocketsToken), against the sim.

The fills happen inside the sim (its matching, as the replay walks a candle or fills part of a
resting order): Zyn makes no request for them, and the budget's private counter shows it made none
between placing the order and hearing the fill.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal

from adapters.kraken.budget import RateBudget
from adapters.kraken.exchange import KrakenExchange
from adapters.kraken.ws_executions import ExecutionFill, ExecutionStream
from core.domain import Candle, OrderRequest
from tests.adapters.kraken.conftest import KrakenFactory
from tests.fakes.sim_server import HOUR_MS, PaperSim


def wait_for(what: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not what():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def auth_url(sim: PaperSim) -> str:
    return sim.url.replace("http://", "ws://") + "/ws/v2-auth"


def test_a_partial_then_the_last_fill_reach_zyn_by_push_with_the_remainder_from_the_amounts(
    sim: PaperSim, make_kraken: KrakenFactory
) -> None:
    budget = RateBudget()
    kraken: KrakenExchange = make_kraken(ccxt_options={"enableRateLimit": True}, budget=budget)
    heard: list[ExecutionFill] = []
    stream = ExecutionStream(auth_url(sim), kraken.websocket_token, heard.append, backoff_s=0.05)
    try:
        stream.start()
        wait_for(lambda: stream.subscribed)
        order = kraken.create_order(OrderRequest(pair="BTC/USD", side="buy", type="limit",
                                                 amount=Decimal("0.01"), price=Decimal("29000")))
        spent = budget.spent["private"]
        filled_at = time.monotonic()
        sim.exchange.fill_part(order.id, Decimal("0.004"))  # the sim's engine fills part of it
        wait_for(lambda: len(heard) == 1)
        print(f"fill at the sim -> Zyn's executions handler: {(time.monotonic() - filled_at) * 1000:.1f} ms")
        first = heard[0]
        assert (first.order_id, first.amount, first.remaining, first.complete) == (
            order.id, Decimal("0.004"), Decimal("0.006"), False)
        ts = sim.clock.now_ms() - sim.clock.now_ms() % HOUR_MS
        sim.walk("BTC/USD", Candle(ts, 30000.0, 30050.0, 28900.0, 29500.0, 2.0))  # trades through 29000
        wait_for(lambda: len(heard) == 2)
        final = heard[1]
        assert final.label == "partially_filled"  # Kraken's label on the completing trade event...
        assert final.amount == Decimal("0.006") and final.remaining == 0 and final.complete  # ...the amounts say done
        assert budget.spent["private"] == spent  # pushed: Zyn asked nothing between the order and the fills
        assert kraken.fetch_order(order.id).status == "closed"  # REST agrees afterwards
    finally:
        stream.stop()


def test_a_bad_token_is_refused_and_nothing_is_streamed(sim: PaperSim) -> None:
    heard: list[ExecutionFill] = []
    stream = ExecutionStream(auth_url(sim), lambda: "not-a-token", heard.append, backoff_s=5.0)
    try:
        stream.start()
        wait_for(lambda: stream.refusal != "")
        assert not stream.subscribed and "Invalid session" in stream.refusal
        sim.exchange.create_order(OrderRequest(pair="BTC/USD", side="buy", type="market", amount=Decimal("0.001")))
        after = time.monotonic()
        wait_for(lambda: (stream.socket.last_message_at or 0.0) > after)  # a heartbeat sent after the fill
        assert heard == []  # one connection delivers in order: a report would have come before it
    finally:
        stream.stop()
