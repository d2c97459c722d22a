"""Issue 22.3 and 22.4: the owner's settings bind manual orders and are what reasons quote.

- A manual buy worth more than the owner's max position is refused in one line naming the limit
  and the largest amount that fits; nothing is sent.
- With `set max position 20%` and `set daily loss 0.5%`, the autopilot's capped entry says "20%"
  and the kill-switch event says "0.5%" — not the pinned 25 % and 0.97.
- Never a negative proposed stop; money with thousands separators, no exponent notation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from sqlmodel import Session, select

from core.domain import Candle
from core.markets.catalog import market_for
from core.strategy.risk import RiskConfig
from core.telemetry.models import SafetyEventRow
from core.trading.autopilot import Autopilot
from core.trading.rules import Rule
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.core.trading.helpers import Stack, build_stack

PAIR = "BTC/USD"
T0 = 1_700_006_400_000 - 1_700_006_400_000 % 86_400_000  # 00:00 UTC
HOUR = 3_600_000
D = Decimal


class OwnerPolicy:
    """What `set max position 20%` and `set daily loss 0.5%` leave in the owner's settings."""

    def risk(self, base: RiskConfig) -> RiskConfig:
        return replace(base, max_position_frac=0.2, daily_loss_limit=0.005)

    def rules(self) -> Sequence[Rule]:
        return []

    def tz(self) -> str:
        return "UTC"


def owner_stack() -> tuple[Stack, TradingService]:
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=T0)
    svc = TradingService(stack.exchange, stack.db, stack.clock, pairs=(PAIR,), markets={PAIR: market_for(PAIR)},
                         start_equity=10000.0, sleep=lambda _s: None, policy=OwnerPolicy())
    stack.exchange.set_price(PAIR, D("30000"), T0)
    return stack, svc


def test_a_manual_buy_over_the_max_position_is_refused_naming_the_limit_and_what_fits() -> None:
    stack, svc = owner_stack()
    before = stack.exchange.fetch_balances()
    result = svc.place_manual(ManualOrder("buy", D("0.17"), PAIR, stop=D("29000")))  # 5,100 USD = 51 %
    assert not result.ok and "\n" not in result.text
    assert "max position of 20%" in result.text and "51% of equity" in result.text
    assert "the most that fits is 0.06666666 BTC/USD" in result.text  # 20 % of 10,000 at 30,000
    assert "5,100.00 USD" in result.text
    assert stack.exchange.fetch_balances() == before and stack.exchange.fetch_open_orders() == []
    assert svc.preview_order(ManualOrder("buy", D("0.06666666"), PAIR, stop=D("29000"))).amount == D("0.06666666")


def test_a_buy_whose_atr_stop_would_be_below_zero_is_refused_without_proposing_a_negative_price() -> None:
    stack, svc = owner_stack()
    svc.note_atr(PAIR, 90.0)
    result = svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, price=D("100")))
    assert not result.ok and "-" not in result.text and "add sl PRICE" in result.text


def test_wording_has_thousands_separators_and_no_exponent() -> None:
    stack, svc = owner_stack()
    funds = svc.place_manual(ManualOrder("buy", D("130"), PAIR, stop=D("29000")))
    assert "insufficient funds: 3,910,140.00 USD needed, 10,000.00 free" in funds.text
    tiny = svc.place_manual(ManualOrder("buy", D("0.00000001"), PAIR, stop=D("29000")))
    assert "amount 0.00000001 is below the minimum 0.0001" in tiny.text and "E-" not in tiny.text


def candles() -> list[Candle]:
    """Flat at 100 (ATR 0.2), a dip and a cross above SMA20 at candle 30: a tiny ATR makes the
    risk-sized amount far above the position cap, so the entry is capped."""
    out = [Candle(T0 + i * HOUR, 100.0, 100.1, 99.9, 100.0, 1.0) for i in range(28)]
    out.append(Candle(T0 + 28 * HOUR, 100.0, 100.0, 99.7, 99.8, 1.0))
    out.append(Candle(T0 + 29 * HOUR, 99.8, 100.3, 99.8, 100.3, 1.0))
    return out


def test_the_autopilots_reasons_quote_the_owners_max_position_and_daily_loss_limit() -> None:
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=T0)
    auto = Autopilot(stack.service, timeframe="1h", policy=OwnerPolicy())
    history = candles()
    rows = []
    for i, c in enumerate(history):
        stack.clock.set(c.ts + HOUR)
        stack.exchange.set_price(PAIR, D(repr(c.close)), c.ts + HOUR)
        rows.append(auto.tick(PAIR, history[: i + 1]))
    entry = rows[-1]
    assert entry.action == "enter" and entry.reason == "close crossed above SMA20 (size capped at 20% of equity)"
    drop = Candle(T0 + 30 * HOUR, 100.3, 100.3, 96.0, 96.0, 1.0)  # -4 % on a 20 % position: -0.8 % of equity
    stack.clock.set(drop.ts + HOUR)
    stack.exchange.set_price(PAIR, D("96"), drop.ts + HOUR)
    auto.tick(PAIR, [*history, drop])
    with Session(stack.db) as s:
        [event] = s.exec(select(SafetyEventRow).where(SafetyEventRow.kind == "kill_switch")).all()
    assert "limit=0.005 " in event.detail and "0.97" not in event.detail  # the owner's limit, as data
