"""The stop attached by the exchange (Kraken's conditional close), through TradingService, real
ccxt and the sim: adopted when it is the one stop for what is held, resized to one stop after a
partial fill gave several, never beside a stop of Zyn's own, cancelled by an exit (issue 21.3)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from adapters.kraken.client_ref import userref_of
from adapters.kraken.exchange import KrakenExchange
from adapters.sim_exchange.server import Fault
from core.domain import Order, OrderRequest
from core.strategy.pinned import Decision
from core.telemetry.db import make_engine
from core.telemetry.models import SafetyEventRow
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


def safety_kinds(db: Engine) -> list[str]:
    with Session(db) as s:
        return [r.kind for r in s.exec(select(SafetyEventRow)).all()]


def test_an_exchange_stop_shown_late_on_rest_is_waited_for_never_doubled(usd_only: PaperSim, tmp_path: Path) -> None:
    """Kraken places the attached stop at the fill but REST shows it 10 s later: Zyn does not
    place its own meanwhile (it looks again on each sync within the stop grace) and adopts the
    exchange's when it shows. At no sync are two stops open at the sim."""
    sim, db = usd_only, make_engine(f"sqlite:///{tmp_path}/zyn.db")
    sim.app.config["SIM"].close_lag.seconds = 10
    svc = service(kraken_for(sim), db, sim)
    result = svc.enter(PAIR, plan())
    assert result.ok, result.text
    (stop,) = open_stops(sim)  # the exchange's, invisible to REST for now
    for _ in range(4):
        sim.clock.advance(4_000)
        svc.sync(full=True)
        assert [(o.id, o.amount) for o in open_stops(sim)] == [(stop.id, D("0.01"))]
    (bracket,) = svc.brackets(PAIR)
    assert bracket.stop_order_id == stop.id  # adopted once REST showed it
    assert "naked_position" not in safety_kinds(db)


def test_an_exchange_stop_shown_after_the_grace_is_adopted_and_never_doubled(
    usd_only: PaperSim, tmp_path: Path
) -> None:
    """REST shows the attached stop only after the stop grace (15 s): Zyn falls back to placing
    its own at the grace, which the exchange refuses (the coins are held by the stop REST does
    not show yet, as on Kraken): the owner is told of a naked position, and the stop is adopted
    the moment it shows. Exactly one stop of the amount at the sim at every sync."""
    sim, db = usd_only, make_engine(f"sqlite:///{tmp_path}/zyn.db")
    sim.app.config["SIM"].close_lag.seconds = 30
    svc = service(kraken_for(sim), db, sim)
    assert svc.enter(PAIR, plan()).ok
    (late,) = open_stops(sim)
    for _ in range(7):
        sim.clock.advance(5_000)
        svc.sync(full=True)
        assert [(o.id, o.amount) for o in open_stops(sim)] == [(late.id, D("0.01"))]
    (bracket,) = svc.brackets(PAIR)
    assert bracket.stop_order_id == late.id
    assert "naked_position" in safety_kinds(db)  # the fallback was tried (and refused) after the grace


def test_an_exchange_stop_beside_the_positions_own_is_cancelled_with_one_alert(
    usd_only: PaperSim, tmp_path: Path
) -> None:
    """An open stop carrying the entry's userref that is not the position's journalled stop (the
    exchange's, shown after Zyn placed its own) is cancelled, confirmed, by the next sync's stop
    check, with one safety alert: one stop of the amount held remains."""
    sim, db = usd_only, make_engine(f"sqlite:///{tmp_path}/zyn.db")
    svc = service(kraken_for(sim), db, sim)
    assert svc.enter(PAIR, plan()).ok
    (bracket,) = svc.brackets(PAIR)
    own = bracket.stop_order_id
    # coins outside the position, so the sim accepts a second stop; tagged with the entry's userref
    sim.exchange.create_order(OrderRequest(PAIR, "buy", "market", D("0.01")))
    stray = sim.exchange.create_order(OrderRequest(PAIR, "sell", "stop-loss", D("0.01"), D("29400.0")))
    sim.app.config["SIM"].userrefs[stray.id] = userref_of(bracket.entry_ref)
    for _ in range(3):
        sim.clock.advance(5_000)
        svc.sync(full=True)
        assert [(o.id, o.amount) for o in open_stops(sim)] == [(own, D("0.01"))]
    assert sim.exchange.fetch_order(stray.id).status == "canceled"
    assert safety_kinds(db).count("stray_stop") == 1


def test_an_exit_while_zyn_waits_for_the_exchange_stop_cancels_that_stop_first(
    usd_only: PaperSim, tmp_path: Path
) -> None:
    """The exchange's stop shows on REST before Zyn's next sync adopted it: an exit cancels it
    (confirmed) before selling, so nothing stays behind for coins no longer held."""
    sim, db = usd_only, make_engine(f"sqlite:///{tmp_path}/zyn.db")
    sim.app.config["SIM"].close_lag.seconds = 10
    svc = service(kraken_for(sim), db, sim)
    assert svc.enter(PAIR, plan()).ok
    (bracket,) = svc.brackets(PAIR)
    assert bracket.stop_order_id == ""  # waiting: REST does not show the exchange's stop yet
    sim.clock.advance(12_000)
    done = svc.exit_position(PAIR, "manual")
    assert done.ok, done.text
    assert open_stops(sim) == [] and svc.brackets() == []
