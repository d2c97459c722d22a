"""BTC at 62,600.25 reads the same in an alert and in a reply (issue 18, point 2): the "Bought …"
alert (bot/alerts/trade_alerts.py from trading's PositionOpened event), the `yes` reply (from the
command's TradeResult) and the `positions` reply all round half-up at Kraken's one BTC/USD price
decimal, with thousands separators and without exponent notation — one formatter, bot/text/trading.py."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from bot.alerts.trade_alerts import TradeAlerts
from bot.conversation.envelope import Reply
from bot.text.trading import result_text
from core.markets.catalog import market_for
from core.telemetry.db import make_engine
from core.trading.commands import PlaceManualOrder
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.core.trading.helpers import build_stack
from tests.fakes.notifier import Told
from tests.fakes.services import FakeStatus

PAIR, T0 = "BTC/USD", 1_700_006_400_000


def test_62600_25_is_the_same_in_the_alert_and_the_reply(say: Callable[..., Reply], status: FakeStatus) -> None:
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=T0, db=make_engine("sqlite://"))
    stack.exchange.set_price(PAIR, Decimal("62600.25"), T0)
    alerts = Told()
    service = TradingService(stack.exchange, stack.db, stack.clock, pairs=(PAIR,), markets={PAIR: market_for(PAIR)},
                             start_equity=10000.0, sleep=lambda _s: None)
    TradeAlerts(alerts).subscribe(service.bus)
    result = service.handle(PlaceManualOrder(ManualOrder("buy", Decimal("0.0001"), PAIR, Decimal("62600.25"),
                                                         Decimal("61000.05"))))
    assert result.ok, result.detail
    [opened] = [e.text for e in alerts.events if e.kind == "trade_opened"]
    assert opened.startswith("Bought 0.0001 BTC/USD at 62,600.3, stop 61,000.1"), opened
    reply = result_text(result)
    assert reply.startswith(opened), (reply, opened)  # the same sentence, the reply adds the trade id

    status.snap["positions"][0].update(entry_price=62600.25, mark_price=62600.25, amount=1e-8)
    row = next(r for r in say("positions").rows if "BTC/USD" in str(r[0]))
    assert (row[1], row[2], row[3]) == ("0.00000001", "62,600.3", "62,600.3"), row
