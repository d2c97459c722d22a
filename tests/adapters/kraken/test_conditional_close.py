"""Kraken's conditional close and AddOrder `deadline`, through ccxt, against the sim.

The sim follows Kraken's docs: each fill of the primary order generates its own stop-loss,
the size of that fill, carrying the primary's `userref` and with `refid` = the primary's txid;
a request that reaches the engine after its `deadline` is refused (`EService:Deadline elapsed`).
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest

from adapters.kraken.budget import Bucket, RateBudget
from adapters.kraken.client_ref import userref_of
from adapters.sim_exchange.server import Fault
from core.domain import InvalidOrder, OrderRequest
from tests.adapters.kraken.conftest import KrakenFactory
from tests.fakes.sim_server import PaperSim


def test_the_stop_exists_on_the_sim_the_instant_a_partial_fill_happens_sized_to_that_fill(
    sim: PaperSim, make_kraken: KrakenFactory
) -> None:
    kraken = make_kraken()
    ref = "3f1c2a9e-5b7d-4c1e-9a2b-8d6e4f0a1b2c"
    entry = kraken.create_order(OrderRequest("BTC/USD", "buy", "limit", Decimal("0.01"), Decimal("29000"),
                                             client_ref=ref, close_stop=Decimal("28000")))
    assert kraken.conditional_stops(ref) == []  # nothing filled: no close yet
    sim.exchange.fill_part(entry.id, Decimal("0.004"))  # the sim's engine fills a part
    stops = kraken.conditional_stops(ref)  # the very next read: no sync, no wait
    assert [(s.side, s.type, s.amount, s.price, s.status) for s in stops] == [
        ("sell", "stop-loss", Decimal("0.004"), Decimal("28000"), "open")]
    raw = sim.app.config["SIM"].exchange.fetch_open_orders()
    assert any(o.id == stops[0].id for o in raw)
    assert sim.app.config["SIM"].userrefs[stops[0].id] == userref_of(ref)  # the parent's userref
    sim.exchange.fill_part(entry.id, Decimal("0.006"))  # the rest: Kraken places a second close
    amounts = sorted(s.amount for s in kraken.conditional_stops(ref))
    assert amounts == [Decimal("0.004"), Decimal("0.006")]  # one per fill, together the filled amount


def test_a_request_that_reaches_the_engine_after_its_deadline_is_refused_and_nothing_executes(
    sim: PaperSim, make_kraken: KrakenFactory
) -> None:
    kraken = make_kraken(deadline_s=0.3)
    sim.app.config["FAULTS"] = [Fault("AddOrder", "delay", delay_s=1.0)]  # held in transit past the deadline
    before = len(sim.exchange.fetch_open_orders()) + len(sim.exchange.fetch_closed_orders())
    with pytest.raises(InvalidOrder, match="EService:Deadline elapsed"):
        kraken.create_order(OrderRequest("BTC/USD", "buy", "market", Decimal("0.001")))
    after = len(sim.exchange.fetch_open_orders()) + len(sim.exchange.fetch_closed_orders())
    assert after == before  # refused before matching: no order, no fill
    sim.app.config["FAULTS"] = []
    placed = kraken.create_order(OrderRequest("BTC/USD", "buy", "market", Decimal("0.001")))
    assert placed.status == "closed"  # on time: executes as usual


def test_a_deadline_further_than_a_minute_ahead_is_a_bad_argument(
    sim: PaperSim, make_kraken: KrakenFactory
) -> None:
    kraken = make_kraken(deadline_s=120.0)
    with pytest.raises(InvalidOrder, match="Invalid arguments:deadline"):
        kraken.create_order(OrderRequest("BTC/USD", "buy", "market", Decimal("0.001")))


def test_the_deadline_is_stamped_when_the_request_leaves_not_before_zyns_own_rate_wait(
    sim: PaperSim, make_kraken: KrakenFactory
) -> None:
    """Zyn's budget holds the AddOrder ~0.5 s (the pair's matching-engine counter is full); a
    deadline of 0.3 s computed before that wait would be past on arrival. Stamped as the request
    leaves, it holds."""
    budget = RateBudget(engine=Bucket(ceiling=2.0, decay_per_s=2.0))
    kraken = make_kraken(ccxt_options={"enableRateLimit": True}, budget=budget, deadline_s=0.3)
    kraken.load_markets()
    pair_id = sim.app.config["SIM"].market("BTC/USD").exchange_id  # the `pair` ccxt sends
    budget.spend_order(pair_id, "AddOrder")
    budget.spend_order(pair_id, "AddOrder")  # full: the next AddOrder on the pair waits to drain
    started = time.monotonic()
    placed = kraken.create_order(OrderRequest("BTC/USD", "buy", "market", Decimal("0.001")))
    assert placed.status == "closed"
    assert time.monotonic() - started >= 0.3  # it did wait longer than the deadline window
