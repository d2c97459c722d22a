"""The stop attached by the exchange (Kraken's conditional close), through TradingService, real
ccxt and the sim: adopted when it is the one stop for what is held, resized to one stop after a
partial fill gave several, never beside a stop of Zyn's own, cancelled by an exit (issue 21.3)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from adapters.kraken.exchange import KrakenExchange
from adapters.sim_exchange.server import Fault
from core.domain import Order
from core.strategy.pinned import Decision
from core.telemetry.db import make_engine
from core.trading.circuit_breaker import CircuitBreaker
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.adapters.kraken.conftest import PRICES
from tests.fakes.sim_server import PaperSim, build_paper_sim, running

PAIR = "BTC/USD"
D = Decimal


@pytest.fixture
def usd_only(tmp_path: Path) -> Iterator[PaperSim]:
    with running(build_paper_sim(tmp_path, PRICES, {"USD": D(10000)})) as s:
        yield s


def kraken_for(sim: PaperSim, mode: str = "live") -> KrakenExchange:
    return KrakenExchange(sim.url, sim.api_key, sim.api_secret, mode, sim.clock,  # type: ignore[arg-type]
                          CircuitBreaker(sim.clock, failure_threshold=1000),
                          ccxt_options={"enableRateLimit": False, "timeout": 3000}, backoff_s=0.0,
                          sleep=lambda s: None)


def service(kraken: KrakenExchange, db: Engine, sim: PaperSim) -> TradingService:
    return TradingService(kraken, db, sim.clock, pairs=(PAIR,), source="live", backoff_s=0.0, sleep=lambda s: None)


def open_stops(sim: PaperSim) -> list[Order]:
    return [o for o in sim.exchange.fetch_open_orders() if o.type == "stop-loss"]


def plan(amount: str = "0.01") -> Decision:
    return Decision(PAIR, 0, "enter", "cross", 30000.0, 29800.0, 400.0, 10000.0, amount=D(amount),
                    stop_distance=D("600"), target_distance=D("1200"))


def test_an_autopilot_entry_is_protected_by_the_stop_the_exchange_placed_and_zyn_adopts_it(
    usd_only: PaperSim, tmp_path: Path
) -> None:
    sim, db = usd_only, make_engine(f"sqlite:///{tmp_path}/zyn.db")
    # any stop-loss AddOrder from Zyn fails loudly: the only stop may be the exchange's
    sim.app.config["FAULTS"] = [Fault("AddOrder", times=100, params={"ordertype": "stop-loss"})]
    svc = service(kraken_for(sim), db, sim)
    result = svc.enter(PAIR, plan())
    assert result.ok, result.text
    (stop,) = open_stops(sim)
    assert (stop.amount, stop.price) == (D("0.01"), D("29400.0"))  # close[price] = 30000 - 600
    (bracket,) = svc.brackets(PAIR)
    assert bracket.stop_order_id == stop.id and bracket.stop == D("29400.0")
    assert sim.app.config["FAULTS"][0].times == 100  # Zyn never sent a stop of its own
    exits = svc.exit_position(PAIR, "manual")
    assert exits.ok, exits.text
    assert open_stops(sim) == [] and svc.brackets() == []  # the exit cancelled the exchange's stop


def test_a_limit_entry_filled_in_two_parts_ends_with_one_stop_for_the_filled_amount(
    usd_only: PaperSim, tmp_path: Path
) -> None:
    sim, db = usd_only, make_engine(f"sqlite:///{tmp_path}/zyn.db")
    svc = service(kraken_for(sim), db, sim)
    placed = svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, price=D("29000"), stop=D("28000")))
    assert placed.ok, placed.text
    order_id = str(placed.data["order_id"])
    sim.exchange.fill_part(order_id, D("0.003"))
    sim.exchange.fill_part(order_id, D("0.002"))
    # the exchange protected each fill at once, one stop per fill (Kraken's semantics)
    assert sorted(o.amount for o in open_stops(sim)) == [D("0.002"), D("0.003")]
    svc.sync(full=True)  # Zyn sees the partial entry: cancels the rest, brackets 0.005, resizes
    (stop,) = open_stops(sim)
    assert (stop.amount, stop.price) == (D("0.005"), D("28000.0"))
    (bracket,) = svc.brackets(PAIR)
    assert bracket.amount == D("0.005") and bracket.stop_order_id == stop.id
    assert sum(o.amount for o in open_stops(sim)) == bracket.amount  # every coin under exactly one stop


def test_a_restarted_zyn_recognises_the_exchange_stop_of_an_entry_it_never_saw_fill(
    usd_only: PaperSim, tmp_path: Path
) -> None:
    """The buy's answer is lost (executed, connection dropped): the process that sent it learns
    nothing; a fresh service on the same database finds the fill and the exchange's stop by the
    entry's reference and adopts that stop (no second stop)."""
    sim, db = usd_only, make_engine(f"sqlite:///{tmp_path}/zyn.db")
    sim.app.config["FAULTS"] = [Fault("AddOrder", "drop", params={"ordertype": "market"}),
                                Fault("QueryOrders", "error", times=100), Fault("OpenOrders", "error", times=100),
                                Fault("ClosedOrders", "error", times=100)]
    first = service(kraken_for(sim), db, sim).enter(PAIR, plan())
    assert not first.ok and "outcome is not known" in first.text
    (stop,) = open_stops(sim)  # the exchange protected the fill although Zyn does not know it
    sim.app.config["FAULTS"] = []
    restarted = service(kraken_for(sim), db, sim)
    restarted.sync(full=True)
    (bracket,) = restarted.brackets(PAIR)
    assert bracket.stop_order_id == stop.id and [o.id for o in open_stops(sim)] == [stop.id]


def test_validate_mode_shows_the_conditional_close_it_would_send(usd_only: PaperSim, tmp_path: Path) -> None:
    sim, db = usd_only, make_engine(f"sqlite:///{tmp_path}/zyn.db")
    svc = service(kraken_for(sim, "validate"), db, sim)
    result = svc.enter(PAIR, plan())
    assert result.ok
    assert "close[ordertype]=stop-loss, close[price]=29400.0" in result.text
    assert open_stops(sim) == [] and sim.exchange.fetch_closed_orders() == []  # nothing executed
