"""Autopilot: live loop over a MarketFeed, persistence across restarts, gate hook, kill-switch."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlmodel import Session, select

from core.domain import Candle
from core.markets.catalog import market_for
from core.strategy.pinned import Gate, SignalContext
from core.strategy.risk import RiskConfig
from core.telemetry.models import DecisionRow
from core.trading.autopilot import Autopilot
from core.trading.rules import Rule
from tests.core.trading.fakes import ListFeed
from tests.core.trading.helpers import build_stack

PAIR = "BTC/USD"
T0 = 1_700_006_400_000  # a UTC midnight-aligned hour
HOUR = 3_600_000


def rows(db: object) -> list[DecisionRow]:
    with Session(db) as s:  # type: ignore[arg-type]
        return list(s.exec(select(DecisionRow)).all())


def cross_up_candles(n: int = 40) -> list[Candle]:
    """Flat at 100 with a small wobble, then a jump above the SMA on the last candle."""
    out = [Candle(T0 + i * HOUR, 100, 101, 99, 100 - 0.1 * ((i + 1) % 2), 1) for i in range(n - 1)]
    out.append(Candle(T0 + (n - 1) * HOUR, 100, 106, 99.5, 105, 1))
    return out


def test_no_market_data_is_recorded_at_most_hourly() -> None:
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=T0)
    auto = Autopilot(stack.service, timeframe="1h", feed=ListFeed())
    assert [r.reason for r in auto.run_once()] == ["no market data"]
    stack.clock.advance(HOUR // 2)
    assert auto.run_once() == []
    stack.clock.advance(HOUR)
    assert len(auto.run_once()) == 1
    assert Autopilot(stack.service, timeframe="1h").run_once()[0].reason == "no market data"  # feed None


def test_run_once_enters_on_cross_and_a_restart_does_not_redecide() -> None:
    candles = cross_up_candles()
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR)
    stack.exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)
    auto = Autopilot(stack.service, timeframe="1h", feed=ListFeed({PAIR: candles}))
    [row] = auto.run_once()
    assert row.action == "enter", row.reason
    assert (
        row.sma is not None and row.atr is not None and row.amount and row.stop and row.target and row.equity
    )
    assert stack.service.has_position(PAIR)
    assert [o.type for o in stack.exchange.fetch_open_orders()] == ["stop-loss"]
    assert auto.run_once() == []  # same candle: nothing new
    again = Autopilot(stack.service, timeframe="1h", feed=ListFeed({PAIR: candles}))
    assert again.run_once() == []  # new object, same database: the last decided candle is persisted
    nxt = Candle(candles[-1].ts + HOUR, 105, 106, 104, 105.5, 1)
    [hold] = Autopilot(stack.service, timeframe="1h", feed=ListFeed({PAIR: [*candles, nxt]})).run_once()
    assert hold.action == "hold"
    assert len([r for r in rows(stack.db) if r.action == "enter"]) == 1


def test_learner_gate_can_veto_an_entry() -> None:
    candles = cross_up_candles()
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR)
    stack.exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)

    def deny(ctx: SignalContext) -> Gate:
        return Gate(allow=False, version=7, note="weekend losers")

    auto = Autopilot(stack.service, timeframe="1h", gate=lambda: deny)
    row = auto.tick(PAIR, candles)
    assert row.action == "skip" and "learner gate" in row.reason and row.learner_version == 7
    assert not stack.service.has_position(PAIR)


def test_paused_autopilot_records_the_skip() -> None:
    candles = cross_up_candles()
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR)
    stack.exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)
    stack.service.pause("holiday")
    row = stack.autopilot.tick(PAIR, candles)
    assert row.action == "halted" and "paused (holiday)" in row.reason
    assert not stack.service.has_position(PAIR)


def test_daily_loss_trips_kill_switch_and_flattens_at_the_next_open() -> None:
    candles = cross_up_candles()
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR)
    stack.exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)
    stack.autopilot.tick(PAIR, candles)
    [bracket] = stack.service.brackets(PAIR)
    stack.service.state.guard.start_equity = 10_000 * 1.5  # as if the day began far higher
    crash = Candle(candles[-1].ts + HOUR, 105, 105.5, 104.5, 105, 1)
    stack.exchange.set_price(PAIR, Decimal("104.9"), crash.ts + HOUR)
    row = stack.autopilot.tick(PAIR, [*candles, crash])
    assert row.action == "flatten" and "kill-switch" in row.reason
    [trade] = stack.service.journal.closed_trades()
    assert trade.exit_reason == "kill_switch" and trade.exit_price == 104.9 and trade.id == bracket.trade_id
    assert stack.service.halted() and stack.exchange.fetch_open_orders() == []


class _Policy:
    """The owner's settings as the composition root passes them (core.trading.rules.TradingPolicy)."""

    def __init__(self, rules: list[Rule] | None = None, risk: float | None = None, loss: float | None = None):
        self._rules, self._risk, self._loss = rules or [], risk, loss

    def risk(self, base: RiskConfig) -> RiskConfig:
        out = replace(base, risk_per_trade=self._risk) if self._risk is not None else base
        return replace(out, daily_loss_limit=self._loss) if self._loss is not None else out

    def rules(self) -> list[Rule]:
        return self._rules

    def tz(self) -> str:
        return "UTC"


def test_a_standing_rule_turns_an_entry_into_a_recorded_skip() -> None:
    candles = cross_up_candles()
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR)
    stack.exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)
    rule = Rule("no_entries_after", "15:00", "no new trades after 15:00")  # next open: 16:00 UTC
    auto = Autopilot(stack.service, timeframe="1h", policy=_Policy([rule]))
    row = auto.tick(PAIR, candles)
    assert (row.action, row.reason) == ("skip", "standing rule: no new trades after 15:00")
    assert not stack.service.has_position(PAIR)
    assert [(r.action, r.reason) for r in rows(stack.db)] == [("skip", "standing rule: no new trades after 15:00")]


def test_risk_settings_from_chat_size_the_entry_and_set_the_loss_limit() -> None:
    amounts = []
    for risk in (0.002, 0.001):  # both below the 25 % cap
        candles = cross_up_candles()
        stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR)
        stack.exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)
        auto = Autopilot(stack.service, timeframe="1h", policy=_Policy(risk=risk, loss=0.02))
        row = auto.tick(PAIR, candles)
        assert row.action == "enter" and stack.service.state.guard.limit == 0.02
        amounts.append(row.amount or 0.0)
    assert amounts[1] == pytest.approx(amounts[0] / 2, rel=0.01)
