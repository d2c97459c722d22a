"""The live autopilot under the servant rules (issue 17): shadow entries send no order and follow
their bracket; the account-wide cap turns an over-the-cap live entry into a skip naming it; a
zero-equity account does not trip the kill-switch but says what is wrong."""

from __future__ import annotations

from decimal import Decimal

from sqlmodel import Session, select

from core.domain import Candle
from core.evidence import PairEvidence
from core.evidence.records import unseen
from core.markets.catalog import market_for
from core.strategy.account_risk import MAX_POSITIONS, TOTAL_RISK_CAP, AccountRiskConfig
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import SafetyEventRow
from core.trading.autopilot import Autopilot
from core.trading.shadow import ShadowBook
from tests.core.trading.helpers import build_stack
from tests.core.trading.test_autopilot import HOUR, PAIR, cross_up_candles

LIVE = PairEvidence(PAIR, "live", 40, 14.0, 0.2, 0.05, 0.35, 0.1, False)


def shadow_of(pair: str, at_ms: int) -> PairEvidence:
    return unseen(pair)


def live_of(pair: str, at_ms: int) -> PairEvidence:
    return LIVE


def test_a_shadow_pair_records_the_entry_with_its_size_and_sends_no_order() -> None:
    candles = cross_up_candles()
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR)
    stack.exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)
    book = ShadowBook(KeyValueStore(stack.db))
    auto = Autopilot(stack.service, timeframe="1h", evidence=shadow_of, shadow=book)
    row = auto.tick(PAIR, candles)
    assert row.action == "shadow" and row.reason.startswith("evidence gate: shadow — no trades in its record yet")
    assert row.amount and row.stop and row.target  # same sizing, stop and target as an entry
    assert not stack.service.has_position(PAIR) and stack.exchange.fetch_open_orders() == []
    assert book.holds(PAIR)
    # the would-be position fills at the next open and its stop closes it: a shadow trade, no order
    fill = candles[-1].close
    stop_hit = Candle(candles[-1].ts + HOUR, fill, fill + 0.5, row.stop - 1, row.stop - 0.5, 1)
    nxt = auto.tick(PAIR, [*candles, stop_hit])
    assert nxt.action != "hold" and not book.holds(PAIR)
    [trade] = book.records()
    assert trade.reason == "stop" and abs(trade.exit - row.stop) < 1e-6 and trade.r < -1  # -1R and the fees
    assert stack.exchange.fetch_open_orders() == [] and not stack.service.has_position(PAIR)


def test_a_shadow_position_holds_the_strategy_until_its_bracket_closes() -> None:
    candles = cross_up_candles()
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR)
    stack.exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)
    auto = Autopilot(stack.service, timeframe="1h", evidence=shadow_of, shadow=ShadowBook(KeyValueStore(stack.db)))
    assert auto.tick(PAIR, candles).action == "shadow"
    inside = Candle(candles[-1].ts + HOUR, 105, 105.5, 104.5, 105.2, 1)  # neither stop nor target
    assert auto.tick(PAIR, [*candles, inside]).action == "hold"
    # a restart keeps the shadow position (kv)
    again = Autopilot(stack.service, timeframe="1h", evidence=shadow_of, shadow=ShadowBook(KeyValueStore(stack.db)))
    later = Candle(inside.ts + HOUR, 105.2, 105.6, 104.6, 105.1, 1)
    assert again.tick(PAIR, [*candles, inside, later]).action == "hold"


def test_a_live_pair_enters_and_records_the_gate_state() -> None:
    candles = cross_up_candles()
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR)
    stack.exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)
    auto = Autopilot(stack.service, timeframe="1h", evidence=live_of, account_risk=AccountRiskConfig())
    row = auto.tick(PAIR, candles)
    assert row.action == "enter" and stack.service.has_position(PAIR)
    assert '"evidence": "live"' in row.context_json


def test_an_entry_over_the_total_risk_cap_is_a_skip_naming_it() -> None:
    candles = cross_up_candles()
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR)
    stack.exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)
    # the pinned sizing risks 1 % of equity; a cap of 0.5 % refuses it
    cap = AccountRiskConfig(max_total_risk=Decimal("0.005"))
    row = Autopilot(stack.service, timeframe="1h", account_risk=cap).tick(PAIR, candles)
    assert (row.action, row.reason) == ("skip", TOTAL_RISK_CAP)
    assert not stack.service.has_position(PAIR) and stack.exchange.fetch_open_orders() == []


def test_an_entry_beyond_max_positions_is_a_skip_and_shadow_trades_do_not_count() -> None:
    eth = "ETH/USD"
    candles = cross_up_candles()
    markets = {PAIR: market_for(PAIR), eth: market_for(eth)}
    stack = build_stack(markets, start_ms=candles[-1].ts + HOUR)
    for pair in markets:
        stack.exchange.set_price(pair, Decimal("105"), candles[-1].ts + HOUR)
    one = AccountRiskConfig(max_positions=1)

    def btc_shadow(pair: str, at_ms: int) -> PairEvidence:
        return unseen(pair) if pair == PAIR else PairEvidence(pair, "live", 40, 14.0, 0.2, 0.05, 0.35, 0.1, False)

    auto = Autopilot(stack.service, timeframe="1h", evidence=btc_shadow, account_risk=one,
                     shadow=ShadowBook(KeyValueStore(stack.db)))
    assert auto.tick(PAIR, candles).action == "shadow"  # held in shadow: holds no money
    assert auto.tick(eth, candles).action == "enter"  # the shadow position did not count
    stack2 = build_stack(markets, start_ms=candles[-1].ts + HOUR)
    for pair in markets:
        stack2.exchange.set_price(pair, Decimal("105"), candles[-1].ts + HOUR)
    auto2 = Autopilot(stack2.service, timeframe="1h", account_risk=one)
    assert auto2.tick(eth, candles).action == "enter"
    row = auto2.tick(PAIR, candles)
    assert (row.action, row.reason) == ("skip", MAX_POSITIONS)


def test_a_zero_equity_account_does_not_trip_the_kill_switch_and_says_why() -> None:
    candles = cross_up_candles()
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR, balance=Decimal(0))
    stack.exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)
    auto = Autopilot(stack.service, timeframe="1h")
    auto.tick(PAIR, candles[:-1])
    auto.tick(PAIR, candles)
    assert not stack.service.halted()
    with Session(stack.db) as s:
        events = s.exec(select(SafetyEventRow)).all()
    assert [e.kind for e in events] == ["zero_equity"]
    assert "holds no USD" in events[0].detail and "PAPER_BALANCE" in events[0].detail
    assert auto.cannot_trade is not None and "holds no USD (equity 0)" in auto.cannot_trade  # status says so


def test_a_shadow_stop_hit_while_zyn_was_down_closes_the_shadow_position_at_that_candle() -> None:
    candles = cross_up_candles()
    stack = build_stack({PAIR: market_for(PAIR)}, start_ms=candles[-1].ts + HOUR)
    stack.exchange.set_price(PAIR, Decimal("105"), candles[-1].ts + HOUR)
    kv = KeyValueStore(stack.db)
    row = Autopilot(stack.service, timeframe="1h", evidence=shadow_of, shadow=ShadowBook(kv)).tick(PAIR, candles)
    assert row.action == "shadow" and row.stop is not None
    filled = Candle(candles[-1].ts + HOUR, 105, 105.5, 104.5, 105.2, 1)  # decided while down: missed
    crash = Candle(filled.ts + HOUR, 105.2, 105.3, row.stop - 2, row.stop - 1, 1)  # missed too: the stop
    now = Candle(crash.ts + HOUR, row.stop - 1, row.stop, row.stop - 1.5, row.stop - 0.5, 1)
    book = ShadowBook(kv)  # a restart
    later = Autopilot(stack.service, timeframe="1h", evidence=shadow_of, shadow=book)
    later.tick(PAIR, [*candles, filled, crash, now])
    [trade] = book.records()
    assert (trade.entered_ms, trade.closed_ms, trade.reason) == (filled.ts, crash.ts, "stop")
    assert not book.holds(PAIR)
