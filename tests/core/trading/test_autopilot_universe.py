"""The autopilot trades the universe it is given plus every pair it still holds."""

from __future__ import annotations

from decimal import Decimal

from core.markets.catalog import market_for
from core.trading.types import ManualOrder
from tests.core.trading.helpers import build_stack

T0 = 1_700_000_000_000


def test_a_held_pair_that_drops_out_of_the_universe_stays_managed() -> None:
    pairs = ("BTC/USD", "ETH/USD", "SOL/USD")
    stack = build_stack({p: market_for(p) for p in pairs}, start_ms=T0)
    for pair, price in zip(pairs, ("30000", "2000", "50"), strict=True):
        stack.exchange.set_price(pair, Decimal(price), T0)
    order = ManualOrder("buy", Decimal("0.1"), "ETH/USD", stop=Decimal("1900"), target=Decimal("2200"))
    assert stack.service.place_manual(order).ok
    assert stack.autopilot.set_pairs(["SOL/USD", "BTC/USD"]) == ("SOL/USD", "BTC/USD", "ETH/USD")
    assert stack.autopilot.pairs == ("SOL/USD", "BTC/USD", "ETH/USD")
    stack.service.flatten("test")
    assert stack.autopilot.set_pairs(["SOL/USD"]) == ("SOL/USD",)
