"""The open-position invariant through real ccxt against the Kraken sim, with the sim's own faults:
a position always has exactly one live stop for the coins held, or an open `naked_position` event
that sync retries (issue 12 paths 1, 4, 5; issue 13 defect 1)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from adapters.kraken.exchange import KrakenExchange
from adapters.sim_exchange.server import Fault
from core.domain import OrderRequest
from core.strategy.pinned import Decision
from core.telemetry.db import make_engine
from core.telemetry.models import SafetyEventRow
from core.trading.circuit_breaker import CircuitBreaker
from core.trading.reconcile import Reconciler
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.adapters.kraken.conftest import PRICES, KrakenFactory
from tests.fakes.sim_server import PaperSim, build_paper_sim, running

PAIR = "BTC/USD"
D = Decimal


@pytest.fixture
def usd_only(tmp_path: Path) -> Iterator[PaperSim]:
    """A sim account holding only USD: every BTC in it is the position's."""
    with running(build_paper_sim(tmp_path, PRICES, {"USD": D(10000)})) as s:
        yield s


def kraken_for(sim: PaperSim, conditional_close: bool = True) -> KrakenExchange:
    return KrakenExchange(
        sim.url, sim.api_key, sim.api_secret, "live", sim.clock,
        CircuitBreaker(sim.clock, failure_threshold=1000),
        ccxt_options={"enableRateLimit": False, "timeout": 3000}, backoff_s=0.0, sleep=lambda s: None,
        conditional_close=conditional_close,
    )


def service(kraken: KrakenExchange, db: Engine, sim: PaperSim) -> TradingService:
    return TradingService(kraken, db, sim.clock, pairs=(PAIR, "ETH/USD"), source="live", backoff_s=0.0,
                          sleep=lambda s: None)


def faults(sim: PaperSim) -> list[Fault]:
    found: list[Fault] = sim.app.config["FAULTS"]
    return found


def stops(sim: PaperSim) -> list[Decimal]:
    return [o.amount for o in sim.exchange.fetch_open_orders() if o.type == "stop-loss"]


def naked(db: Engine) -> int:
    with Session(db) as s:
        return sum(1 for r in s.exec(select(SafetyEventRow)).all() if r.kind == "naked_position")


def test_restart_puts_a_stop_on_the_coins_still_held_instead_of_dropping_the_position(
    usd_only: PaperSim, tmp_path: Path
) -> None:
    """Path 1: Kraken went away right after the buy (balances unreadable, the stop refused); while
    Zyn was down part of the coins went (sold by hand). The restart protects what is held.
    Zyn places the stop itself here (KRAKEN_CONDITIONAL_CLOSE=off: the fallback path)."""
    sim, db = usd_only, make_engine(f"sqlite:///{tmp_path}/zyn.db")
    faults(sim).extend([Fault("BalanceEx", times=100), Fault("AddOrder", times=100, params={"ordertype": "stop-loss"})])
    plan = Decision(PAIR, 0, "enter", "cross", 30000.0, 29800.0, 400.0, 10000.0, amount=D("0.01"),
                    stop_distance=D("600"), target_distance=D("1200"))
    result = service(kraken_for(sim, conditional_close=False), db, sim).enter(PAIR, plan)
    assert result.ok and "stop failed" in result.text, result.text
    faults(sim).clear()
    sim.exchange.create_order(OrderRequest(PAIR, "sell", "market", D("0.0002")))  # by hand, while down
    restarted = service(kraken_for(sim, conditional_close=False), db, sim)
    report = Reconciler(restarted).run()
    [bracket] = restarted.brackets(PAIR)
    assert stops(sim) == [D("0.0098")] and bracket.amount == D("0.0098"), report.text()
    assert [t.id for t in restarted.journal.open_trades()] == [bracket.trade_id]


def test_a_limit_buy_filled_at_once_whose_stop_is_refused_is_reported_and_retried(
    make_kraken: KrakenFactory, sim: PaperSim, tmp_path: Path
) -> None:
    """Path 4: the answer says bought, the stop is refused; the owner hears it, sync retries.
    Zyn places the stop itself here (KRAKEN_CONDITIONAL_CLOSE=off: the fallback path)."""
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    svc = service(kraken_for(sim, conditional_close=False), db, sim)
    faults(sim).append(Fault("AddOrder", times=100, params={"ordertype": "stop-loss"}))
    result = svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, D("31000"), D("29000"), D("33000")))
    assert result.ok and "stop failed" in result.text, result.text
    assert stops(sim) == [] and naked(db) == 1
    faults(sim).clear()
    svc.sync()
    assert stops(sim) == [D("0.01")] and svc.brackets(PAIR)[0].stop_order_id


def test_an_exit_whose_answer_is_lost_is_resolved_before_a_stop_goes_back(
    sim: PaperSim, tmp_path: Path
) -> None:
    """Path 5: the exit sell executed, its answer and the look-ups were lost. The account holds
    0.5 other BTC, so a blind stop would be accepted; instead sync resolves the sell first."""
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    svc = service(kraken_for(sim), db, sim)
    assert svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, None, D("29000"), D("33000"))).ok
    faults(sim).extend([
        Fault("AddOrder", after=True, params={"type": "sell", "ordertype": "market"}),
        Fault("OpenOrders", times=100),
        Fault("ClosedOrders", times=100),
    ])
    assert not svc.exit_position(PAIR, "manual").ok
    assert stops(sim) == [] and naked(db) == 1
    faults(sim).clear()
    svc.sync()
    assert not svc.has_position(PAIR) and sim.exchange.fetch_open_orders() == []
    assert [t.exit_reason for t in svc.journal.closed_trades()] == ["manual"]
    assert sim.exchange.fetch_balances().total["BTC"] == D("0.5")


def test_a_buy_whose_stop_value_is_below_krakens_minimum_never_reaches_kraken(
    sim: PaperSim, tmp_path: Path
) -> None:
    """Issue 13 defect 1, as the probe ran it: buy 0.004 ETH/USD sl 100 -> a 0.40 USD stop."""
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
    svc = service(kraken_for(sim), db, sim)
    before = sim.exchange.fetch_balances().total
    result = svc.place_manual(ManualOrder("buy", D("0.004"), "ETH/USD", None, D("100"), D("2500")))
    assert not result.ok and "minimum" in result.text and "\n" not in result.text
    assert sim.exchange.fetch_open_orders() == [] and sim.exchange.fetch_closed_orders() == []
    assert sim.exchange.fetch_balances().total == before
