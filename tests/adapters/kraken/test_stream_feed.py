"""Market data over WebSocket v2: the real `websockets` client against the sim's socket on 127.0.0.1.

The sim's clock does not run by itself: each test walks candles and moves it, so every price the
feed sees is known. REST (ccxt over loopback) is the same sim; `rest_calls` shows which path answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import ccxt
import pytest

from adapters.kraken.feed import KrakenPublicFeed
from adapters.kraken.stream_feed import StreamFeed
from adapters.sim_exchange.ws_faults import SocketFault
from core.domain import Candle
from tests.fakes.sim_server import HOUR_MS, START_MS, PaperSim, build_paper_sim, flat_candles, running

PAIR = "BTC/USD"


def wait_for(what: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not what():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[PaperSim]:
    with running(build_paper_sim(tmp_path, {PAIR: [30000.0, 30100.0, 30000.0]})) as s:
        yield s


def rest_feed(sim: PaperSim) -> KrakenPublicFeed:
    raw = ccxt.kraken({"enableRateLimit": False})
    raw.urls["api"] = {**raw.urls["api"], "public": sim.url, "private": sim.url}
    return KrakenPublicFeed(raw, sim.clock, pairs=[PAIR])


def stream_feed(sim: PaperSim, url: str | None = None, **kw: float) -> StreamFeed:
    ws = url or sim.url.replace("http://", "ws://") + "/ws/v2"
    return StreamFeed(rest_feed(sim), ws, sim.clock, backoff_s=0.05, **kw)  # type: ignore[arg-type]


def streaming(feed: StreamFeed) -> list[Candle]:
    """Ask once (REST answers while the socket opens), then wait until the socket answers."""
    feed.closed_candles(PAIR, "1h")
    wait_for(lambda: feed.transport() == "websocket" and feed.candles.messages >= 1)  # the snapshot is in
    return feed.closed_candles(PAIR, "1h")


def trade(sim: PaperSim, candle: Candle) -> None:
    """A trade inside the forming candle: the sim streams the candle as it is so far."""
    sim.candles.traded(PAIR, candle)


def test_socket_drops_mid_candle_and_the_candle_still_closes_once_with_the_right_ohlc(sim: PaperSim) -> None:
    feed = stream_feed(sim)
    try:
        assert [c.ts for c in streaming(feed)] == [START_MS + i * HOUR_MS for i in range(3)]
        fourth = flat_candles(START_MS + 2 * HOUR_MS, [30000.0, 30900.0])[1]
        trade(sim, Candle(fourth.ts, fourth.open, fourth.open, fourth.open, fourth.open, 0.0))
        wait_for(lambda: feed.candles.latest(PAIR, HOUR_MS) is not None
                 and feed.candles.latest(PAIR, HOUR_MS).ts == fourth.ts)  # type: ignore[union-attr]
        connects = feed.socket.connects
        sim.app.config["WS_FAULTS"].append(SocketFault("drop", channel="ohlc"))
        trade(sim, Candle(fourth.ts, fourth.open, fourth.open, fourth.low, fourth.low, 0.7))  # lost with the drop
        wait_for(lambda: feed.socket.connects > connects and feed.transport() == "websocket")
        end = fourth.ts + HOUR_MS
        sim.walk(PAIR, fourth)  # the candle's last trade, then the clock passes its end
        sim.clock.set(end + 1_000)
        trade(sim, Candle(end, fourth.close, fourth.close, fourth.close, fourth.close, 0.1))  # next candle opens
        wait_for(lambda: feed.candles.server_ms() > end)
        rest_before = feed.rest_calls
        closed = feed.closed_candles(PAIR, "1h")
        assert feed.rest_calls == rest_before  # the stream answered: no REST repair was needed
        assert [c.ts for c in closed].count(fourth.ts) == 1
        assert closed[-1] == rest_feed(sim).closed_candles(PAIR, "1h")[-1]  # as Kraken's REST books it
        assert (closed[-1].open, closed[-1].high, closed[-1].low, closed[-1].close) == (
            fourth.open, round(fourth.high, 1), round(fourth.low, 1), fourth.close)
        assert feed.closed_candles(PAIR, "1h") == closed  # asked again: the same candles, once each
    finally:
        feed.stop()


def test_no_socket_means_rest_polling_and_status_says_rest(sim: PaperSim) -> None:
    feed = stream_feed(sim, url="ws://127.0.0.1:9/ws/v2")  # nothing listens there
    try:
        candles = feed.closed_candles(PAIR, "1h")
        assert [c.close for c in candles] == [30000.0, 30100.0, 30000.0]
        wait_for(lambda: feed.socket.last_error != "")
        assert feed.transport() == "rest"
        assert feed.closed_candles(PAIR, "1h") == candles
        assert feed.last_price(PAIR) == 30000.0
    finally:
        feed.stop()


def test_a_stalled_socket_falls_back_to_rest_and_comes_back(sim: PaperSim) -> None:
    feed = stream_feed(sim, stall_s=0.5)
    try:
        streaming(feed)
        stall = SocketFault("stall", channel="*", seconds=30.0)
        sim.app.config["WS_FAULTS"].append(stall)
        wait_for(stall.fired.is_set)
        wait_for(lambda: feed.transport() == "rest")  # heartbeats stopped: the watchdog probe fails too
        assert not feed.healthy()
        before = feed.rest_calls
        assert len(feed.closed_candles(PAIR, "1h")) == 3
        assert feed.rest_calls == before + 1  # answered by REST polling meanwhile
        wait_for(lambda: feed.transport() == "websocket")  # a new connection, subscribed again
        assert feed.socket.connects >= 2 and feed.healthy()
    finally:
        feed.stop()


def test_duplicate_and_out_of_order_updates_never_roll_a_candle_back(sim: PaperSim) -> None:
    feed = stream_feed(sim)
    try:
        streaming(feed)
        fourth = flat_candles(START_MS + 2 * HOUR_MS, [30000.0, 30900.0])[1]
        heard = feed.candles.messages
        sim.app.config["WS_FAULTS"] += [SocketFault("duplicate", channel="ohlc"),
                                        SocketFault("out_of_order", channel="ohlc")]
        trade(sim, Candle(fourth.ts, fourth.open, fourth.open, fourth.open, fourth.open, 0.0))  # sent twice
        sim.clock.advance(60_000)
        trade(sim, Candle(fourth.ts, fourth.open, fourth.open, fourth.low, fourth.low, 0.7))  # held back...
        sim.clock.advance(60_000)
        trade(sim, Candle(fourth.ts, fourth.open, fourth.high, fourth.low, fourth.high, 1.0))  # ...sent after this
        wait_for(lambda: feed.candles.messages == heard + 4)  # 3 updates, one twice; the held one last
        latest = feed.candles.latest(PAIR, HOUR_MS)
        assert latest is not None and latest.close == round(fourth.high, 1) and latest.volume == 1.0
    finally:
        feed.stop()


def test_an_interval_without_trades_is_booked_as_rest_books_it_and_asked_once(sim: PaperSim) -> None:
    feed = stream_feed(sim)
    try:
        streaming(feed)
        quiet_end = START_MS + 4 * HOUR_MS  # the 4th hour passes with no trade at all
        sim.clock.set(quiet_end + HOUR_MS // 2)
        fifth = Candle(quiet_end, 30000.0, 30000.0, 30000.0, 30000.0, 0.0)
        trade(sim, fifth)  # the next interval's first trade: the stream has passed the quiet one
        wait_for(lambda: feed.candles.server_ms() > quiet_end)
        before = feed.rest_calls
        closed = feed.closed_candles(PAIR, "1h")
        assert feed.rest_calls == before + 1  # the gap went to REST once...
        assert [c.ts for c in closed] == [c.ts for c in rest_feed(sim).closed_candles(PAIR, "1h")]  # ...as it books it
        assert feed.closed_candles(PAIR, "1h") == closed and feed.rest_calls == before + 1  # and only once
    finally:
        feed.stop()


def test_the_book_gives_the_spread_and_a_lost_update_is_caught_by_the_checksum_and_resubscribed(
    sim: PaperSim,
) -> None:
    feed = stream_feed(sim)
    try:
        streaming(feed)
        wait_for(lambda: feed.top(PAIR) is not None)  # the book snapshot (traded pairs) is in
        top = feed.top(PAIR)
        assert top is not None and top.bid < top.ask and 0 < top.spread_bps < 50
        lose = SocketFault("lose", channel="book")
        sim.app.config["WS_FAULTS"].append(lose)
        hour = START_MS + 3 * HOUR_MS
        trade(sim, Candle(hour, 30000.0, 30500.0, 30000.0, 30500.0, 1.0))  # this update is lost
        wait_for(lose.fired.is_set)
        trade(sim, Candle(hour, 30000.0, 30500.0, 29000.0, 29000.0, 2.0))  # applied on the wrong book
        wait_for(lambda: feed.book_resubscribes >= 1)
        assert feed.books.mismatches >= 1
        wait_for(lambda: (t := feed.top(PAIR)) is not None and t.bid < Decimal("29000") < t.ask)
    finally:
        feed.stop()
