"""A bracket walked through the paper exchange on real Kraken candles matches the backtest rule.

The rule (DESIGN.md): while long, if low <= stop exit at min(open, stop); else if high >= target
exit at max(open, target). The exchange must reproduce it trade by trade through a resting stop
order and a bot-side take-profit watcher.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest

from core.domain import Candle, Fill, Order, OrderRequest
from core.paper.exchange import PaperExchange
from core.paper.rules import to_decimal
from tests.core.paper.conftest import MakeExchange, shared_data_dir

D = Decimal
PAIR = "BTC/USDT"
DATA = shared_data_dir() / "kraken_small"


def load(path: Path) -> list[Candle]:
    with path.open() as fh:
        return [
            Candle(int(r["timestamp"]), float(r["open"]), float(r["high"]), float(r["low"]),
                   float(r["close"]), float(r["volume"]))
            for r in csv.DictReader(fh)
        ]


def bracket(close: Decimal) -> tuple[Decimal, Decimal]:
    return (close * D("0.99")).quantize(D("0.1")), (close * D("1.015")).quantize(D("0.1"))


def reference(candles: Sequence[Candle]) -> list[tuple[int, Decimal]]:
    """(exit candle index, exit price) per trade, straight from the rule."""
    exits: list[tuple[int, Decimal]] = []
    stop, target = bracket(to_decimal(candles[0].close))
    for i, c in enumerate(candles[1:], start=1):
        o, lo, hi = to_decimal(c.open), to_decimal(c.low), to_decimal(c.high)
        price = min(o, stop) if lo <= stop else max(o, target) if hi >= target else None
        if price is not None:
            exits.append((i, price))
            stop, target = bracket(to_decimal(c.close))
    return exits


class Bracket:
    """Holds one long: a resting stop order plus a take-profit watcher."""

    def __init__(self, ex: PaperExchange) -> None:
        self.ex = ex
        self.stop: Order | None = None
        self.target = D(0)
        self.exits: list[Decimal] = []
        ex.add_price_listener(self)
        ex.add_fill_listener(self.on_fill)

    def enter(self, close: Decimal) -> None:
        buy = self.ex.create_order(OrderRequest(PAIR, "buy", "market", D("0.05")))
        stop, self.target = bracket(close)
        self.stop = self.ex.create_order(OrderRequest(PAIR, "sell", "stop-loss", buy.amount, stop))

    def watch_levels(self, pair: str) -> Sequence[Decimal]:
        return [self.target] if self.stop is not None else []

    def on_price(self, pair: str, price: Decimal, ts_ms: int) -> None:
        if self.stop is not None and price >= self.target:
            stop, self.stop = self.stop, None
            self.ex.cancel_order(stop.id)
            sold = self.ex.create_order(OrderRequest(PAIR, "sell", "market", stop.amount))
            assert sold.average_price is not None
            self.exits.append(sold.average_price)

    def on_fill(self, order: Order, fill: Fill) -> None:
        if self.stop is not None and order.id == self.stop.id:
            self.stop = None
            self.exits.append(fill.price)


@pytest.mark.parametrize(("timeframe", "duration_ms"), [("1h", 3_600_000), ("1m", 60_000)])
def test_bracket_on_real_candles_matches_the_rule(
    make_exchange: MakeExchange, timeframe: str, duration_ms: int
) -> None:
    """1h is the common case; the 1m file skips quiet minutes, so gaps are exercised too."""
    path = DATA / f"KRAKEN_BTC-USDT_{timeframe}.csv"
    if not path.exists():
        pytest.skip(f"shared data not found at {path} (set ZYN_SHARED_DATA)")
    candles = load(path)
    ex = make_exchange(start_balances={"USDT": D("100000")})
    bot = Bracket(ex)
    ex.walk_candle(PAIR, candles[0])
    bot.enter(to_decimal(candles[0].close))
    exit_candles: list[int] = []
    for i, c in enumerate(candles[1:], start=1):
        ex.walk_candle(PAIR, c, duration_ms=duration_ms)
        if bot.stop is None:
            exit_candles.append(i)
            bot.enter(to_decimal(c.close))
    expected = reference(candles)
    assert len(expected) >= 10
    assert list(zip(exit_candles, bot.exits, strict=True)) == expected
    sells = [f for f in ex.fetch_my_trades() if f.side == "sell"]
    assert [f.price for f in sells] == [p for _, p in expected]
    assert all(c.ts <= f.ts_ms < c.ts + duration_ms for f, (i, _) in zip(sells, expected, strict=True)
               for c in [candles[i]])
