"""One scenario, two exchanges (the paper exchange in-process; real ccxt against the Kraken sim):
a manual buy with `sl 5000` and an autopilot entry in the same pair are two positions, each with
its own stop order for its own amount and its own target; the autopilot's target sells only its
own coins and leaves the manual stop in place; a restart (reconcile) keeps both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from core.domain import Order
from core.strategy.pinned import Decision
from core.trading.bracket import Bracket
from core.trading.reconcile import Reconciler
from core.trading.service import TradingService
from core.trading.types import ManualOrder

PAIR = "BTC/USD"
D = Decimal
MANUAL = ManualOrder("buy", D("0.01"), PAIR, stop=D("5000"), target=D("45000"), placed_by="jimmy on telegram")


@dataclass
class Venue:
    """How the scenario reaches one exchange: a fresh service on the same database (a restart),
    the exchange's quote, its open orders and its BTC balance."""

    service: Callable[[], TradingService]
    set_price: Callable[[Decimal], None]
    open_orders: Callable[[], list[Order]]
    btc: Callable[[], Decimal]


def autopilot_entry(price: float = 30000.0) -> Decision:
    return Decision(PAIR, 0, "enter", "close crossed above SMA20", price, price - 200, 400.0, 10000.0,
                    amount=D("0.02"), stop_distance=D("600"), target_distance=D("1200"))


def stop_orders(venue: Venue) -> dict[str, Order]:
    return {o.id: o for o in venue.open_orders() if o.type == "stop-loss"}


def by_origin(svc: TradingService) -> dict[str, Bracket]:
    found = {b.origin: b for b in svc.brackets(PAIR)}
    assert len(found) == len(svc.brackets(PAIR)), "one position per origin in this scenario"
    return found


def open_both(venue: Venue) -> TradingService:
    """Manual buy (sl 5000, tp 45000), then the autopilot's entry: two positions, two stops."""
    svc = venue.service()
    bought = svc.place_manual(MANUAL)
    assert bought.ok, bought.text
    entered = svc.enter(PAIR, autopilot_entry())
    assert entered.ok, entered.text
    assert_two_positions(venue, svc)
    return svc


def assert_two_positions(venue: Venue, svc: TradingService) -> None:
    """Each position has exactly one live stop on the exchange, for its own amount, and its own target."""
    positions = by_origin(svc)
    assert set(positions) == {"manual", "autopilot"}
    manual, auto = positions["manual"], positions["autopilot"]
    assert manual.trade_id != auto.trade_id
    assert (manual.amount, manual.stop, manual.target) == (D("0.01"), D("5000"), D("45000"))
    assert manual.placed_by == "jimmy on telegram"
    assert auto.amount == D("0.02") and auto.target is not None and D("29000") < auto.stop < D("30000")
    stops = stop_orders(venue)
    assert len(stops) == 2
    assert (stops[manual.stop_order_id].amount, stops[manual.stop_order_id].price) == (manual.amount, D("5000"))
    assert (stops[auto.stop_order_id].amount, stops[auto.stop_order_id].price) == (auto.amount, auto.stop)
    assert venue.btc() == manual.amount + auto.amount  # the exchange holds the sum


def restart_keeps_both(venue: Venue, before: TradingService) -> TradingService:
    kept = {b.trade_id: b for b in before.brackets(PAIR)}
    restarted = venue.service()
    report = Reconciler(restarted).run()
    assert "missing" not in report.text() and "PROBLEM" not in report.text(), report.text()
    assert {b.trade_id: b for b in restarted.brackets(PAIR)} == kept
    assert_two_positions(venue, restarted)
    return restarted


def autopilot_target_sells_only_its_own(venue: Venue, svc: TradingService) -> None:
    positions = by_origin(svc)
    manual, auto = positions["manual"], positions["autopilot"]
    assert auto.target is not None
    venue.set_price(auto.target + 10)
    exits = svc.take_profit(PAIR, auto.target + 10, 0)
    assert [(e.trade_id, e.reason, e.amount, e.origin) for e in exits] == [
        (auto.trade_id, "target", D("0.02"), "autopilot")
    ]
    assert [b.trade_id for b in svc.brackets(PAIR)] == [manual.trade_id]
    stops = stop_orders(venue)
    assert list(stops) == [manual.stop_order_id]  # the manual stop is untouched
    assert (stops[manual.stop_order_id].amount, stops[manual.stop_order_id].price) == (D("0.01"), D("5000"))
    assert venue.btc() == D("0.01")
    [closed] = svc.journal.closed_trade_rows(PAIR)
    assert (closed.id, closed.exit_reason, closed.amount) == (auto.trade_id, "target", D("0.02"))
