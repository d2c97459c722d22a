"""A manual and an autopilot position in the same pair stay two positions (issue 8 point 6) on
the paper exchange; the same scenario runs through real ccxt against the Kraken sim in
tests/adapters/kraken/test_manual_beside_autopilot.py."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sqlmodel import Session

from core.domain import Candle, OrderRequest
from core.markets.catalog import market_for
from core.status.service import StatusService
from core.telemetry.models import PositionRow
from core.trading.bracket import Bracket
from core.trading.reconcile import Reconciler
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.core.trading.helpers import Stack, build_stack
from tests.core.trading.pair_positions import (
    MANUAL,
    PAIR,
    Venue,
    autopilot_target_sells_only_its_own,
    by_origin,
    open_both,
    restart_keeps_both,
)

T0 = 1_700_006_400_000
HOUR = 3_600_000
D = Decimal


def paper_venue(stack: Stack) -> Venue:
    markets = {PAIR: market_for(PAIR)}

    def service() -> TradingService:
        return TradingService(stack.exchange, stack.db, stack.clock, pairs=(PAIR,), markets=markets,
                              start_equity=10000.0, sleep=lambda _s: None)

    return Venue(
        service=service,
        set_price=lambda price: stack.exchange.set_price(PAIR, price, stack.clock.now_ms()),
        open_orders=stack.exchange.fetch_open_orders,
        btc=lambda: stack.exchange.fetch_balances().total.get("BTC", D(0)),
    )


def paper_stack() -> Stack:
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=T0)
    stack.exchange.set_price(PAIR, D("30000"), T0)
    return stack


def test_a_manual_and_an_autopilot_buy_are_two_positions_each_with_its_own_stop_and_target() -> None:
    stack = paper_stack()
    venue = paper_venue(stack)
    svc = open_both(venue)
    with Session(stack.db) as s:  # each saved as its own exact row, with whose it is
        rows = {r.origin: r for r in s.query(PositionRow).all()}
    assert rows["manual"].placed_by == "jimmy on telegram" and rows["autopilot"].placed_by == ""
    status = StatusService(stack.exchange, stack.clock, stack.db, "paper", [PAIR],
                           lambda: {}, lambda: {}, lambda: {})
    listed = status.positions()
    positions = by_origin(svc)
    assert [(p["trade_id"], p["origin"], p["amount"], p["stop_price"], p["take_profit_price"]) for p in listed] == [
        (positions["manual"].trade_id, "manual", 0.01, 5000.0, 45000.0),
        (positions["autopilot"].trade_id, "autopilot", 0.02, float(positions["autopilot"].stop),
         float(positions["autopilot"].target or 0)),
    ]


def test_the_autopilots_target_sells_only_its_amount_and_leaves_the_manual_stop_after_a_restart() -> None:
    stack = paper_stack()
    venue = paper_venue(stack)
    restarted = restart_keeps_both(venue, open_both(venue))
    autopilot_target_sells_only_its_own(venue, restarted)


def test_flatten_of_the_pair_closes_both_and_says_so() -> None:
    stack = paper_stack()
    venue = paper_venue(stack)
    svc = open_both(venue)
    ids = sorted(b.trade_id for b in svc.brackets(PAIR))
    result = svc.flatten_pair(PAIR, "by the owner")
    assert result.ok and f"Closed 2 {PAIR} position(s)" in result.text
    assert f"#{ids[0]} manual" in result.text and f"#{ids[1]} autopilot" in result.text
    assert svc.brackets(PAIR) == [] and venue.open_orders() == [] and venue.btc() == 0


def test_coins_under_a_live_stop_are_that_positions_and_the_rest_is_shared_oldest_first() -> None:
    """The exchange holds one BTC balance for both positions (0.03)."""
    stack = paper_stack()
    venue = paper_venue(stack)
    svc = open_both(venue)
    positions = by_origin(svc)
    manual, auto = positions["manual"], positions["autopilot"]
    # Both stops live: each position holds the balance less the other's stopped coins.
    assert svc.positions.held(manual) == D("0.01") and svc.positions.held(auto) == D("0.02")
    # Neither has a stop (both vanished) and the account is short: the oldest is served first.
    svc.positions.book.put(manual.with_stop_order(""))
    svc.positions.book.put(auto.with_stop_order(""))
    stack.exchange.cancel_order(manual.stop_order_id)
    stack.exchange.cancel_order(auto.stop_order_id)
    stack.exchange.create_order(OrderRequest(PAIR, "sell", "market", D("0.005")))
    assert svc.positions.held(manual) == D("0.025")  # >= its 0.01: not capped
    assert svc.positions.held(auto) == D("0.015")  # 0.025 - the older 0.01: the newest takes the shortfall


def cross_up_candles(n: int = 40) -> list[Candle]:
    """Flat at 100 with a small wobble, then a jump above the SMA on the last candle."""
    out = [Candle(T0 + i * HOUR, 100, 101, 99, 100 - 0.1 * ((i + 1) % 2), 1) for i in range(n - 1)]
    out.append(Candle(T0 + (n - 1) * HOUR, 100, 106, 99.5, 105, 1))
    return out


def test_the_autopilot_enters_beside_a_manual_position_but_never_twice_for_itself() -> None:
    candles = cross_up_candles()
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR)
    stack.exchange.set_price(PAIR, D("105"), candles[-1].ts + HOUR)
    manual = replace(MANUAL, amount=D("1"), stop=D("50"), target=D("200"))
    assert stack.service.place_manual(manual).ok
    row = stack.autopilot.tick(PAIR, candles)
    assert row.action == "enter", row.reason  # the manual position is not the autopilot's
    assert sorted(b.origin for b in stack.service.brackets(PAIR)) == ["autopilot", "manual"]
    nxt = Candle(candles[-1].ts + HOUR, 105, 107, 104, 106.5, 1)
    stack.exchange.set_price(PAIR, D("106.5"), nxt.ts + HOUR)
    again = stack.autopilot.tick(PAIR, [*candles, nxt])
    assert again.action != "enter"  # it holds one of its own already
    assert sorted(b.origin for b in stack.service.brackets(PAIR)) == ["autopilot", "manual"]


def test_selling_exactly_the_manual_amount_closes_only_the_manual_position() -> None:
    stack = paper_stack()
    venue = paper_venue(stack)
    svc = open_both(venue)
    auto = by_origin(svc)["autopilot"]
    sold = svc.place_manual(ManualOrder("sell", D("0.01"), PAIR))
    assert sold.ok, sold.text
    assert [b.trade_id for b in svc.brackets(PAIR)] == [auto.trade_id]
    assert [(o.id, o.amount) for o in venue.open_orders()] == [(auto.stop_order_id, D("0.02"))]
    assert venue.btc() == D("0.02")


def lose_a_stop_and_coins(whose: str) -> tuple[Venue, Bracket, Bracket]:
    """Both positions open, then while Zyn is down: `whose` stop vanishes and 0.005 BTC are sold
    by hand. Returns the venue and the (manual, autopilot) positions as they were."""
    stack = paper_stack()
    venue = paper_venue(stack)
    positions = by_origin(open_both(venue))
    stack.exchange.cancel_order(positions[whose].stop_order_id)
    stack.exchange.create_order(OrderRequest(PAIR, "sell", "market", D("0.005")))
    return venue, positions["manual"], positions["autopilot"]


def test_a_restart_short_of_coins_caps_only_the_newest_positions_stop() -> None:
    """Reconcile's shortfall with two positions: the autopilot's stop vanished and 0.005 BTC were
    sold by hand while Zyn was down. The older (manual) position keeps its stop for 0.01; the
    newest gets one stop for what is left of its coins (0.015); nothing is closed as missing."""
    venue, manual, auto = lose_a_stop_and_coins("autopilot")
    restarted = venue.service()
    report = Reconciler(restarted).run()
    assert "missing" not in report.text() and "PROBLEM" not in report.text(), report.text()
    after = by_origin(restarted)
    assert after["manual"] == manual  # untouched: same stop order, same amount
    assert after["autopilot"].amount == D("0.015") and after["autopilot"].stop_order_id != auto.stop_order_id
    stops = {o.id: o.amount for o in venue.open_orders() if o.type == "stop-loss"}
    assert stops == {manual.stop_order_id: D("0.01"), after["autopilot"].stop_order_id: D("0.015")}


def test_a_restart_after_the_older_stop_vanished_and_coins_went_caps_the_older_to_the_coins_not_under_a_stop() -> None:
    """The manual (older) stop vanished and 0.005 BTC were sold by hand: the autopilot's live stop
    still reserves its 0.02, so the manual position is re-protected for the 0.005 left, never
    with a stop the exchange would refuse for lack of coins."""
    venue, manual, auto = lose_a_stop_and_coins("manual")
    report = Reconciler(venue.service()).run()
    assert "PROBLEM" not in report.text(), report.text()
    stops = {o.id: o.amount for o in venue.open_orders() if o.type == "stop-loss"}
    assert stops[auto.stop_order_id] == D("0.02") and sorted(stops.values()) == [D("0.005"), D("0.02")]
