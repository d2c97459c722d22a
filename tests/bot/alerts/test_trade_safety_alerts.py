"""Trading's safety notices reach the owner as alerts: published by core as data on the bus,
worded by bot/text/safety.py, queued on the notifier with their kind (the quiet-hours key).
(The trading service here is built directly on the paper exchange: no settings, so no
ZYN_EVIDENCE gate is involved.)"""

from __future__ import annotations

from decimal import Decimal as D

from bot.alerts.notifier import SAFETY_EVENTS
from bot.alerts.trade_alerts import TradeAlerts
from core.markets.catalog import market_for
from core.trading.bus import EventBus
from core.trading.events import DailyLoss, NakedPosition, TradingResumed
from core.trading.types import ManualOrder
from tests.core.trading.helpers import build_stack
from tests.fakes.notifier import Told

PAIR, T0 = "BTC/USD", 1_700_000_000_000


def test_a_naked_position_is_one_safety_alert_with_its_pair_and_trade() -> None:
    bus, told = EventBus(), Told()
    TradeAlerts(told).subscribe(bus)
    bus.publish(NakedPosition(PAIR, 5, "EOrder:Insufficient funds"))
    [alert] = told.events
    assert alert.kind == "naked_position" and alert.kind in SAFETY_EVENTS  # goes out in quiet hours too
    assert alert.data == {"pair": PAIR, "trade_id": 5} and alert.text.startswith("BTC/USD trade #5 has NO stop")


def test_the_owners_own_resume_is_not_an_alert_a_timed_one_is() -> None:
    bus, told = EventBus(), Told()
    TradeAlerts(told).subscribe(bus)
    bus.publish(TradingResumed("owner", False))
    bus.publish(TradingResumed("until noon", False, timed=True))
    assert [(e.kind, e.text) for e in told.events] == [
        ("resume", "Resumed as planned: the timed pause is over, the autopilot may enter again.")]


def test_a_tripped_kill_switch_tells_the_owner_then_reports_the_flatten_in_order() -> None:
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=T0)
    stack.exchange.set_price(PAIR, D("30000"), T0)
    told = Told()
    TradeAlerts(told).subscribe(stack.service.bus)
    assert stack.service.place_manual(ManualOrder("buy", D("0.01"), PAIR, stop=D("29000"))).ok
    stack.service.state.guard.tripped_day = T0 // 86_400_000
    assert stack.service.trip_kill_switch(DailyLoss(D("9700"), D("10000"), D("0.03"), T0)).ok
    kinds = [e.kind for e in told.events]
    assert kinds == ["trade_opened", "kill_switch", "trade_closed", "flatten"], kinds
    assert told.events[1].text.startswith("Kill-switch: equity 9,700.00 is 300.00 below the day's start 10,000.00")
    assert told.events[3].text.startswith("Flatten: closed 1 position(s) (BTC/USD #1 manual), canceled 0 order(s)")
