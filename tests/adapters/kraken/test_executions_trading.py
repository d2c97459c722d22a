"""Fills pushed by Kraken's `executions` socket reach the trading core before REST shows them,
and count once when REST shows them later (issue 21 point 2). Real `websockets` client, real
ccxt, the sim on 127.0.0.1 with its REST showing fills late (`SIM.lag`, the socket is not)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from adapters.kraken.exchange import KrakenExchange
from adapters.kraken.exec_bridge import ExecutionBridge
from adapters.kraken.ws_executions import ExecutionStream
from core.domain import Candle
from core.telemetry.db import make_engine
from core.telemetry.models import TradeRow
from core.trading.circuit_breaker import CircuitBreaker
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.adapters.kraken.conftest import PRICES
from tests.fakes.sim_server import HOUR_MS, PaperSim, build_paper_sim, running

PAIR = "BTC/USD"
D = Decimal


def wait_for(what: Callable[[], bool], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not what():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


@dataclass(frozen=True)
class Live:
    """Zyn's live trading on the sim: real ccxt over REST, the executions socket feeding a bridge."""

    sim: PaperSim
    kraken: KrakenExchange
    db: Engine
    svc: TradingService
    bridge: ExecutionBridge
    stream: ExecutionStream


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    """Built, not started (each test starts the bridge and the socket when its story needs them);
    both are stopped afterwards whatever happened."""
    with running(build_paper_sim(tmp_path, PRICES, {"USD": D(10000)})) as sim:
        kraken = KrakenExchange(sim.url, sim.api_key, sim.api_secret, "live", sim.clock,
                                CircuitBreaker(sim.clock, failure_threshold=1000),
                                ccxt_options={"enableRateLimit": False, "timeout": 3000}, backoff_s=0.0,
                                sleep=lambda s: None)
        db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
        svc = TradingService(kraken, db, sim.clock, pairs=(PAIR,), source="live", backoff_s=0.0,
                             sleep=lambda s: None)
        bridge = ExecutionBridge(svc, caller_ref=kraken.caller_ref)
        stream = bridge.stream(sim.url.replace("http://", "ws://") + "/ws/v2-auth", kraken.websocket_token,
                               backoff_s=0.05)
        try:
            yield Live(sim, kraken, db, svc, bridge, stream)
        finally:
            stream.stop()
            bridge.stop()


def test_a_fill_reaches_zyn_through_executions_before_rest_shows_it_and_counts_once(live: Live) -> None:
    sim, kraken, db, svc, bridge, stream = live.sim, live.kraken, live.db, live.svc, live.bridge, live.stream
    sim.app.config["SIM"].lag.seconds = 30.0  # REST shows a fill 30 s late; the socket at once
    bridge.start()
    stream.start()
    wait_for(lambda: stream.subscribed)
    placed = svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, price=D("29000"), stop=D("28000")))
    assert placed.ok, placed.text
    entry_id = str(placed.data["order_id"])
    sim.exchange.fill_part(entry_id, D("0.01"))  # the sim's engine fills the whole entry
    wait_for(lambda: [b for b in svc.brackets(PAIR) if b.stop_order_id] != [])
    assert kraken.fetch_order(entry_id).status == "open"  # REST still shows no fill...
    (bracket,) = svc.brackets(PAIR)  # ...Zyn booked it from the socket, with the exchange's stop
    (fill,) = [f for f in sim.exchange.fetch_my_trades() if f.order_id == entry_id]
    assert (bracket.amount, bracket.entry_price, bracket.stop) == (D("0.01"), fill.price, D("28000"))
    assert bracket.entry_fee == fill.fee
    stop_id = bracket.stop_order_id
    assert stop_id and kraken.fetch_order(stop_id).status == "open"

    ts = sim.clock.now_ms() - sim.clock.now_ms() % HOUR_MS
    sim.walk(PAIR, Candle(ts, 29100.0, 29150.0, 27500.0, 27800.0, 2.0))  # through the stop
    wait_for(lambda: svc.brackets(PAIR) == [])  # the stop's fill closed the trade: socket only
    assert kraken.fetch_order(stop_id).status == "open"  # REST has not shown that fill either

    sim.app.config["SIM"].lag.reveal()  # REST now shows every fill: the sync books nothing twice
    svc.sync(full=True)
    assert kraken.fetch_order(stop_id).status == "closed"
    with Session(db) as s:
        trades = s.exec(select(TradeRow)).all()
    assert [(t.status, t.exit_reason, t.amount) for t in trades] == [("closed", "stop", D("0.01"))]
    wait_for(lambda: bridge.applied == 2)  # both came from the socket (counted once applied)


def test_a_stop_cancelled_behind_zyns_back_is_put_back_as_soon_as_the_socket_reports_it(live: Live) -> None:
    """Nothing polls here: only the `canceled` report on the socket can wake the REST sync that
    puts the stop back (one stop again, for the coins held)."""
    sim, svc, bridge, stream = live.sim, live.svc, live.bridge, live.stream
    placed = svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, stop=D("28000")))
    assert placed.ok, placed.text
    (bracket,) = svc.brackets(PAIR)
    first_stop = bracket.stop_order_id
    bridge.start()
    stream.start()
    wait_for(lambda: stream.subscribed and bridge.syncs >= 1)  # the start-up REST sync ran
    other = KrakenExchange(sim.url, sim.api_key, sim.api_secret, "live", sim.clock,
                           CircuitBreaker(sim.clock), ccxt_options={"enableRateLimit": False, "timeout": 3000})
    other.cancel_order(first_stop)  # the owner cancels it on Kraken's website
    wait_for(lambda: any(b.stop_order_id not in ("", first_stop) for b in svc.brackets(PAIR)))
    (bracket,) = svc.brackets(PAIR)
    stops = [o for o in sim.exchange.fetch_open_orders() if o.type == "stop-loss"]
    assert [(o.id, o.amount) for o in stops] == [(bracket.stop_order_id, D("0.01"))]


def test_a_duplicated_report_and_a_dropped_socket_still_book_the_fill_exactly_once(live: Live) -> None:
    """The sim sends the entry's fill twice, then drops the socket on the next report: the
    duplicate is applied once, and the fill the socket lost is booked by the REST sync that the
    socket's closing woke (nothing else syncs here)."""
    from adapters.sim_exchange.ws_faults import SocketFault

    sim, db, svc, bridge, stream = live.sim, live.db, live.svc, live.bridge, live.stream
    bridge.start()
    stream.start()
    wait_for(lambda: stream.subscribed and bridge.syncs >= 1)
    first = svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, price=D("29000"), stop=D("28000")))
    second = svc.place_manual(ManualOrder("buy", D("0.02"), PAIR, price=D("28900"), stop=D("28000")))
    assert first.ok and second.ok
    sim.app.config["WS_FAULTS"] = [SocketFault("duplicate", "executions")]
    sim.exchange.fill_part(str(first.data["order_id"]), D("0.01"))
    wait_for(lambda: len([b for b in svc.brackets(PAIR) if b.stop_order_id]) == 1)
    wait_for(lambda: bridge.applied == 1)  # a copy applied would be counted before the next fill
    syncs = bridge.syncs
    sim.app.config["WS_FAULTS"] = [SocketFault("drop", "executions")]
    sim.exchange.fill_part(str(second.data["order_id"]), D("0.02"))  # its report is lost with the socket
    wait_for(lambda: len([b for b in svc.brackets(PAIR) if b.stop_order_id]) == 2)
    # the woken REST sync booked the lost report's fill; it is counted once that sync has returned,
    # a moment after the fill it booked is visible, so wait for the count, not just the booking
    wait_for(lambda: bridge.syncs > syncs)
    assert bridge.applied == 1  # the copy was dropped by its exec id
    assert sorted(b.amount for b in svc.brackets(PAIR)) == [D("0.01"), D("0.02")]
    with Session(db) as s:
        assert len(s.exec(select(TradeRow)).all()) == 2
