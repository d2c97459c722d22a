"""The open-position invariant on the real paper exchange: a position always has exactly one live
stop for the coins actually held, or an open `naked_position` safety event that sync retries.

Each test is a path that broke it (issue 12 paths 1, 4, 5; issue 13 defect 1).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from core.domain import ExchangeUnavailable, Market, OrderOutcomeUnknown, OrderRequest, UserError
from core.markets.catalog import market_for
from core.strategy.pinned import Decision
from core.telemetry.models import SafetyEventRow
from core.trading.events import NakedPosition, StopRestored
from core.trading.reconcile import Reconciler
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.core.trading.fakes import Heard, PartialFills, Scripted
from tests.core.trading.helpers import Stack, build_stack

PAIR, ETH = "BTC/USD", "ETH/USD"
T0 = 1_700_006_400_000
D = Decimal


@pytest.fixture
def stack() -> Stack:
    s = build_stack({PAIR: market_for(PAIR), ETH: market_for(ETH)}, start_ms=T0)
    s.exchange.set_price(PAIR, D("30000"), T0)
    s.exchange.set_price(ETH, D("2000"), T0)
    return s


def service(stack: Stack, exchange: object) -> TradingService:
    return TradingService(
        exchange,  # type: ignore[arg-type]
        stack.db,
        stack.clock,
        pairs=(PAIR, ETH),
        markets={PAIR: market_for(PAIR), ETH: market_for(ETH)},
        start_equity=10000.0,
        sleep=lambda _s: None,
    )


def safety(stack: Stack, kind: str) -> list[str]:
    with Session(stack.db) as s:
        return [r.detail for r in s.exec(select(SafetyEventRow)).all() if r.kind == kind]


def stops(stack: Stack) -> list[tuple[str, Decimal]]:
    return [(o.id, o.amount) for o in stack.exchange.fetch_open_orders() if o.type == "stop-loss"]


def entry(amount: str = "0.01") -> Decision:
    return Decision(
        PAIR, T0, "enter", "cross", 30000.0, 29800.0, 400.0, 10000.0, amount=D(amount),
        stop_distance=D("600"), target_distance=D("1200"),
    )


def test_restart_after_a_failed_stop_protects_the_coins_left_after_a_fee_in_coins(stack: Stack) -> None:
    """Path 1: the exchange went away right after the buy (balances unreadable, the stop refused),
    and the fee was taken in coins. A restart must put a stop on the 0.00998 held, not drop it."""
    coins = PartialFills(stack.exchange)
    coins.coin_fee = D("0.00002")
    down = Scripted(coins)  # type: ignore[arg-type]
    down.balances_down = 1
    down.refuse_create["stop-loss"] = [ExchangeUnavailable("EService:Unavailable")]  # one port call (issue 18)
    result = service(stack, down).enter(PAIR, entry())
    assert result.ok and "stop failed" in result.text
    assert stops(stack) == [] and safety(stack, "naked_position")

    restarted = service(stack, coins)
    report = Reconciler(restarted).run()
    [bracket] = restarted.brackets(PAIR)
    assert stops(stack) == [(bracket.stop_order_id, D("0.00998"))], report.text()
    assert bracket.amount == D("0.00998")
    assert [t.id for t in restarted.journal.open_trades()] == [bracket.trade_id]
    assert "gone" not in report.text()


def test_a_limit_buy_that_fills_at_once_and_whose_stop_fails_is_reported_and_retried(stack: Stack) -> None:
    """Path 4: the limit buy filled on arrival; the stop could not be placed. The owner hears that
    the coins were bought without a stop yet, a naked_position event is open, sync places it."""
    ex = Scripted(stack.exchange)
    svc = service(stack, ex)
    ex.refuse_create["stop-loss"] = [ExchangeUnavailable("EService:Unavailable")]  # one port call (issue 18)
    result = svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, D("30100"), D("29000"), D("32000")))
    assert result.ok and "stop failed" in result.text, result.text
    assert stack.exchange.fetch_balances().total["BTC"] == D("0.01")
    assert stops(stack) == [] and safety(stack, "naked_position")
    svc.sync()
    [bracket] = svc.brackets(PAIR)
    assert stops(stack) == [(bracket.stop_order_id, D("0.01"))]


def test_an_exit_whose_outcome_is_unknown_resolves_the_sell_before_any_new_stop(stack: Stack) -> None:
    """Path 5: the exit sell executed but its answer was lost and could not be looked up. The
    owner holds other BTC, so a blind re-placed stop would be accepted on coins that are not
    the position's, and the sold trade would stay open. No stop until the sell is resolved."""
    stack.exchange.reset({"USD": D(10000), "BTC": D("0.5")})
    stack.exchange.set_price(PAIR, D("30000"), T0)
    ex = Scripted(stack.exchange)
    svc = service(stack, ex)
    assert svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, None, D("29000"), D("32000"))).ok
    ex.fail_create["market"] = OrderOutcomeUnknown("connection reset")  # the sell DID execute
    ex.lookup_down = 1  # ... and the exit cannot find out yet (the adapter already looked)
    assert not svc.exit_position(PAIR, "manual").ok
    assert stops(stack) == [], "a stop was put back before the unknown sell was resolved"
    assert safety(stack, "naked_position")
    svc.sync()
    assert not svc.has_position(PAIR) and stops(stack) == []
    assert [t.exit_reason for t in svc.journal.closed_trades()] == ["manual"]
    assert stack.exchange.fetch_balances().total["BTC"] == D("0.5")


def test_an_exit_never_sends_the_booked_amount_when_no_coins_are_held(stack: Stack) -> None:
    """Path 5, second half: `held` computed as zero must not turn into a stop for the booked amount."""
    ex = Scripted(stack.exchange)
    svc = service(stack, ex)
    assert svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, None, D("29000"), None)).ok
    ex.fail_create["market"] = OrderOutcomeUnknown("connection reset")
    ex.lookup_down = 1
    assert not svc.exit_position(PAIR, "manual").ok
    assert [r.type for r in ex.sent].count("stop-loss") == 1, "a stop was sent for coins that are gone"
    svc.sync()
    assert not svc.has_position(PAIR)


def test_a_manual_buy_whose_stop_is_below_the_order_minimum_is_refused_up_front(stack: Stack) -> None:
    """Issue 13 defect 1: 0.004 ETH with the stop at 100 is a 0.40 USD stop; Kraken's minimum is
    0.50, so the stop would be refused for ever after the buy filled. Refuse before sending."""
    ex = Scripted(stack.exchange)
    svc = service(stack, ex)
    order = ManualOrder("buy", D("0.004"), ETH, None, D("100"), D("2200"))
    with pytest.raises(UserError, match="stop") as refused:
        svc.preview_order(order)
    assert "\n" not in str(refused.value) and "0.005" in str(refused.value)
    assert not svc.place_manual(order).ok
    assert ex.sent == [] and stack.exchange.fetch_balances().total.get("ETH", D(0)) == 0
    assert svc.preview_order(ManualOrder("buy", D("0.005"), ETH, None, D("100"), D("2200"))).amount == D("0.005")


def test_a_manual_stop_reaches_the_exchange_digit_for_digit() -> None:
    """Decimal end to end: a stop with more digits than a float holds is sent exactly as typed
    (on a market that accepts them), and an autopilot stop is the fill minus an exact distance."""
    market = Market(PAIR, "BTC", "USD", lot_decimals=8, pair_decimals=16)
    s = build_stack({PAIR: market}, start_ms=T0)
    s.exchange.set_price(PAIR, D("30000"), T0)
    ex = Scripted(s.exchange)
    svc = TradingService(ex, s.db, s.clock, pairs=(PAIR,), markets={PAIR: market}, sleep=lambda _s: None)  # type: ignore[arg-type]
    stop = D("29000.12345678901234")
    assert svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, None, stop, None)).ok
    assert [r.price for r in ex.sent if r.type == "stop-loss"] == [stop]
    assert svc.exit_position(PAIR, "manual").ok
    assert svc.enter(PAIR, entry()).ok
    assert [r.price for r in ex.sent if r.type == "stop-loss"][-1] == D("30000") - D("600")


def test_an_exit_when_the_coins_are_gone_says_so_at_once_and_sends_nothing(stack: Stack) -> None:
    """The stop was canceled and the coins sold by hand on the exchange: the exit sells nothing it
    does not hold and leaves an open naked_position event (the position has no stop, no coins)."""
    ex = Scripted(stack.exchange)
    svc = service(stack, ex)
    assert svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, None, D("29000"), None)).ok
    stack.exchange.cancel_order(svc.brackets(PAIR)[0].stop_order_id)
    stack.exchange.create_order(OrderRequest(PAIR, "sell", "market", D("0.01")))  # by hand
    sent = len(ex.sent)
    result = svc.exit_position(PAIR, "manual")
    assert not result.ok and "no BTC/USD coins held" in result.text
    assert ex.sent[sent:] == [] and safety(stack, "naked_position")


def test_a_position_without_a_stop_alerts_the_owner_once_and_again_when_it_is_protected(stack: Stack) -> None:
    """The stop is refused on every try: the owner hears it once (not once per sync retry), and
    hears again when the retried stop finally reaches the exchange."""
    ex = Scripted(stack.exchange)
    svc = TradingService(ex, stack.db, stack.clock, pairs=(PAIR, ETH),  # type: ignore[arg-type]
                         markets={PAIR: market_for(PAIR), ETH: market_for(ETH)}, start_equity=10000.0,
                         sleep=lambda _s: None)
    heard = Heard(svc.bus, NakedPosition, StopRestored)
    ex.refuse_create["stop-loss"] = [ExchangeUnavailable("EService:Unavailable")] * 12
    assert svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, None, D("29000"), D("32000"))).ok
    svc.sync()
    svc.sync()
    assert len(safety(stack, "naked_position")) >= 3, "each try is journalled"
    [naked] = heard.of(NakedPosition)
    assert naked.pair == PAIR and "EService:Unavailable" in naked.error
    assert stops(stack) == []

    ex.refuse_create["stop-loss"] = []
    svc.sync()
    [bracket] = svc.brackets(PAIR)
    assert stops(stack) == [(bracket.stop_order_id, D("0.01"))]
    assert heard.events == [naked, StopRestored(PAIR, bracket.trade_id)]
