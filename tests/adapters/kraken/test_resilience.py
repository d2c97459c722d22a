"""Retries, the circuit breaker and lost AddOrder answers, against the sim's fault injection."""

from __future__ import annotations

from decimal import Decimal

import pytest

from adapters.sim_exchange.auth import RateLimit
from adapters.sim_exchange.server import Fault
from core.domain import ExchangeUnavailable, OrderRequest
from core.trading.circuit_breaker import CircuitBreaker
from tests.adapters.kraken.conftest import KrakenFactory
from tests.fakes.sim_server import PaperSim

BUY = OrderRequest("BTC/USD", "buy", "limit", Decimal("0.01"), Decimal("29000"), client_ref="ref-1")


def _faults(sim: PaperSim) -> list[Fault]:
    faults: list[Fault] = sim.app.config["FAULTS"]
    return faults


def test_lost_addorder_answer_is_found_by_client_ref_not_placed_twice(
    make_kraken: KrakenFactory, sim: PaperSim
) -> None:
    kraken = make_kraken()
    kraken.load_markets()
    _faults(sim).append(Fault("AddOrder", "drop"))
    order = kraken.create_order(BUY)
    assert order.client_ref == "ref-1" and order.status == "open"
    assert [o.id for o in sim.exchange.fetch_open_orders()] == [order.id]


def test_lost_answer_after_a_fill_is_found_among_closed_orders(
    make_kraken: KrakenFactory, sim: PaperSim
) -> None:
    kraken = make_kraken()
    kraken.load_markets()
    _faults(sim).append(Fault("AddOrder", "http", status=502, after=True))
    order = kraken.create_order(OrderRequest("BTC/USD", "buy", "market", Decimal("0.01"), client_ref="mkt-1"))
    assert order.status == "closed" and order.client_ref == "mkt-1"
    assert len(sim.exchange.fetch_closed_orders()) == 1 and len(sim.exchange.fetch_my_trades()) == 1


def test_refused_addorder_is_looked_up_then_placed_once(make_kraken: KrakenFactory, sim: PaperSim) -> None:
    kraken = make_kraken()
    kraken.load_markets()
    _faults(sim).append(Fault("AddOrder", "error", error="EService:Unavailable"))
    order = kraken.create_order(BUY)
    assert [o.id for o in sim.exchange.fetch_open_orders()] == [order.id]


def test_order_state_unknown_when_the_lookup_fails_too(make_kraken: KrakenFactory, sim: PaperSim) -> None:
    kraken = make_kraken()
    kraken.load_markets()
    _faults(sim).extend([Fault("AddOrder", "drop"), Fault("OpenOrders", "http", times=10)])
    with pytest.raises(ExchangeUnavailable, match="state unknown.*ref-1"):
        kraken.create_order(BUY)
    assert len(sim.exchange.fetch_open_orders()) == 1  # placed once; we said we do not know


def test_reads_retry_transient_errors(make_kraken: KrakenFactory, sim: PaperSim) -> None:
    kraken = make_kraken(retry_attempts=3)
    fault = Fault("BalanceEx", "error", times=2, error="EAPI:Invalid nonce")
    _faults(sim).extend([fault, Fault("Ticker", "http", status=502, times=2)])
    assert kraken.fetch_balances().total["USD"] == Decimal(10000)
    assert kraken.fetch_ticker("BTC/USD").last == Decimal(30000)
    assert fault.times == 0 and kraken.guard.breaker.state == "closed"


def test_rate_limit_is_transient_and_gives_up_after_retries(
    make_kraken: KrakenFactory, sim: PaperSim
) -> None:
    sim.app.config["RATE_LIMIT"] = RateLimit(capacity=1, decay_per_s=0.0)
    kraken = make_kraken(retry_attempts=2)
    kraken.fetch_balances()
    with pytest.raises(ExchangeUnavailable, match="EAPI:Rate limit exceeded"):
        kraken.fetch_balances()


def test_breaker_opens_half_opens_and_closes(make_kraken: KrakenFactory, sim: PaperSim) -> None:
    changes: list[tuple[str, str]] = []
    breaker = CircuitBreaker(
        sim.clock, failure_threshold=2, reset_timeout_s=30, on_change=lambda a, b: changes.append((a, b))
    )
    kraken = make_kraken(breaker=breaker, retry_attempts=2)
    fault = Fault("BalanceEx", "error", times=100)
    _faults(sim).append(fault)
    for _ in range(2):
        with pytest.raises(ExchangeUnavailable, match="EService:Unavailable"):
            kraken.fetch_balances()
    assert breaker.snapshot() == {"state": "open", "failures": 2} and fault.times == 96
    with pytest.raises(ExchangeUnavailable, match="circuit breaker open"):
        kraken.fetch_balances()
    assert fault.times == 96  # refused without a request
    sim.clock.advance(30_000)
    with pytest.raises(ExchangeUnavailable):
        kraken.fetch_balances()  # the half-open probe: one attempt only, fails -> open again
    assert fault.times == 95 and breaker.state == "open"
    sim.clock.advance(30_000)
    fault.times = 0
    assert kraken.fetch_balances().total["USD"] == Decimal(10000)
    assert breaker.snapshot() == {"state": "closed", "failures": 0}
    assert changes == [("closed", "open"), ("open", "half_open"), ("half_open", "open"),
                       ("open", "half_open"), ("half_open", "closed")]


def test_open_breaker_refuses_orders_before_sending(make_kraken: KrakenFactory, sim: PaperSim) -> None:
    breaker = CircuitBreaker(sim.clock, failure_threshold=1)
    kraken = make_kraken(breaker=breaker, retry_attempts=1)
    kraken.load_markets()
    _faults(sim).append(Fault("Ticker", "http", status=503))
    with pytest.raises(ExchangeUnavailable):
        kraken.fetch_ticker("BTC/USD")
    with pytest.raises(ExchangeUnavailable, match="circuit breaker open"):
        kraken.create_order(BUY)
    assert sim.exchange.fetch_open_orders() == []


def test_connection_refused_is_unavailable(make_kraken: KrakenFactory) -> None:
    kraken = make_kraken(retry_attempts=2)
    nowhere = "http://127.0.0.1:9"
    kraken.ccxt.urls["api"] = {**kraken.ccxt.urls["api"], "public": nowhere, "private": nowhere}
    with pytest.raises(ExchangeUnavailable, match="NetworkError"):
        kraken.load_markets()
