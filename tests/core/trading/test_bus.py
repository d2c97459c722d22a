"""The trading door: typed commands in, typed results (data, no sentences) out, typed events on
the in-process bus in the order things happened; a failing subscriber never breaks trading."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.domain import Candle
from core.markets.catalog import market_for
from core.trading.bus import EventBus
from core.trading.commands import CancelOrders, ExitPosition, Pause, PlaceManualOrder, Resume
from core.trading.events import (
    BookChanged,
    OrderFilled,
    PositionClosed,
    PositionOpened,
    SafetyEvent,
    SafetyKind,
    StopPlaced,
    TradingPaused,
    TradingResumed,
)
from core.trading.results import Code
from core.trading.types import ManualOrder
from tests.core.trading.helpers import Stack, build_stack

PAIR = "BTC/USD"
T0 = 1_700_000_000_000
HOUR = 3_600_000


@pytest.fixture
def stack() -> Stack:
    s = build_stack({PAIR: market_for(PAIR)}, start_ms=T0)
    s.exchange.set_price(PAIR, Decimal("30000"), T0)
    return s


def record(bus: EventBus) -> list[object]:
    """Every trading fact published, in order (BookChanged, the readers' "your copy is stale"
    notice after each commit, is not a fact about the trade and is left out here)."""
    seen: list[object] = []
    bus.subscribe(object, lambda e: None if isinstance(e, BookChanged) else seen.append(e))
    return seen


def test_bus_delivers_by_type_and_survives_a_failing_handler() -> None:
    bus = EventBus()
    got: list[str] = []

    def broken(_event: PositionOpened) -> None:
        raise RuntimeError("subscriber bug")

    bus.subscribe(PositionOpened, broken)
    bus.subscribe(PositionOpened, lambda e: got.append(f"opened {e.trade_id}"))
    stop = bus.subscribe(TradingPaused, lambda e: got.append(f"paused {e.reason}"))
    opened = PositionOpened(7, PAIR, Decimal("0.01"), Decimal(30000), Decimal(29000), None, Decimal(0), "manual")
    bus.publish(opened)  # the broken handler is logged; the next one still runs
    bus.publish(TradingPaused("owner"))
    stop()
    bus.publish(TradingPaused("again"))
    assert got == ["opened 7", "paused owner"]


def test_manual_buy_through_the_door_returns_data_and_publishes_events_in_order(stack: Stack) -> None:
    seen = record(stack.service.bus)
    order = ManualOrder("buy", Decimal("0.01"), PAIR, stop=Decimal("29000"), target=Decimal("32000"))
    result = stack.service.handle(PlaceManualOrder(order))
    assert result.ok and result.code is Code.BOUGHT and result.entry is not None
    assert (result.pair, result.side, result.entry.amount, result.entry.stop) == (
        PAIR, "buy", Decimal("0.01"), Decimal("29000"),
    )
    assert isinstance(result.entry.price, Decimal) and result.entry.fee > 0
    kinds = [type(e) for e in seen]
    assert kinds == [OrderFilled, PositionOpened, StopPlaced]
    filled = seen[0]
    assert isinstance(filled, OrderFilled) and (filled.order.filled, filled.order.side) == (Decimal("0.01"), "buy")
    assert filled.purpose == "manual" and filled.price == result.entry.price
    opened = seen[1]
    assert isinstance(opened, PositionOpened) and opened.trade_id == result.entry.trade_id
    assert opened.origin == "manual"

    exit_result = stack.service.handle(ExitPosition(PAIR, "manual"))
    assert exit_result.ok and exit_result.code is Code.CLOSED
    [closed] = [e for e in seen if isinstance(e, PositionClosed)]
    assert closed.trade_id == result.entry.trade_id and closed.pnl == exit_result.pnl == exit_result.exits[0].pnl


def test_a_stop_fill_found_by_sync_publishes_position_closed(stack: Stack) -> None:
    stack.service.handle(PlaceManualOrder(ManualOrder("buy", Decimal("0.01"), PAIR, stop=Decimal("29000"))))
    seen = record(stack.service.bus)
    stack.exchange.walk_candle(PAIR, Candle(T0 + HOUR, 30000, 33000, 28000, 31000, 1), HOUR)
    stack.service.sync()
    [closed] = [e for e in seen if isinstance(e, PositionClosed)]
    assert closed.reason == "stop" and closed.exit_price == Decimal("29000") and closed.pnl < 0


def test_refusals_are_codes_and_change_nothing(stack: Stack) -> None:
    seen = record(stack.service.bus)
    refused = stack.service.handle(PlaceManualOrder(ManualOrder("buy", Decimal("0.01"), "DOGE/EUR")))
    assert not refused.ok and refused.code is Code.REFUSED and "unknown pair" in refused.detail
    nothing = stack.service.handle(ExitPosition(PAIR, "manual"))
    assert not nothing.ok and nothing.code is Code.NO_POSITION
    assert stack.service.handle(CancelOrders()).code is Code.CANCELED
    assert seen == [] and stack.exchange.fetch_open_orders() == []


def test_pause_and_resume_publish_their_events_and_a_safety_event(stack: Stack) -> None:
    seen = record(stack.service.bus)
    assert stack.service.handle(Pause("owner on telegram")).code is Code.PAUSED
    assert stack.service.handle(Resume()).code is Code.RESUMED
    safety = [e.kind for e in seen if isinstance(e, SafetyEvent)]
    assert safety == [SafetyKind.PAUSE, SafetyKind.RESUME]
    assert [type(e) for e in seen if not isinstance(e, SafetyEvent)] == [TradingPaused, TradingResumed]
    resumed = seen[-1]
    assert isinstance(resumed, TradingResumed) and resumed.was_paused == "owner on telegram"
