"""Equity from the held coins only is the old every-market loop's figure, digit for digit (issue 20.4)."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from decimal import Decimal

from core.domain import Market
from core.trading.positions import dec
from core.trading.tick_equity import HeldEquity


def every_market(markets: Mapping[str, Market], held: Mapping[str, Decimal], quote: str,
                 counted: Callable[[str], bool], mark: Callable[[str], float | None]) -> Decimal:
    """The autopilot's loop before issue 20.4 (one pass over every market per pair)."""
    total = held.get(quote, Decimal(0))
    for other, market in markets.items():
        amount = held.get(market.base, Decimal(0))
        if not amount or market.quote != quote:
            continue
        if not counted(other):
            continue
        price = mark(other)
        if price is not None:
            total += amount * dec(price)
    return total


def test_held_coins_only_give_the_same_equity_as_every_market_on_random_accounts() -> None:
    rnd = random.Random(20)
    bases = [f"C{i:03d}" for i in range(300)]
    markets = {f"{b}/{q}": Market(f"{b}/{q}", b, q) for b in bases for q in ("USD", "EUR") if rnd.random() < 0.8}
    names = list(markets)
    equity = HeldEquity()
    for _case in range(200):
        held: dict[str, Decimal] = {q: Decimal(str(round(rnd.uniform(0, 1e5), 2))) for q in ("USD", "EUR")}
        for b in rnd.sample(bases, rnd.randint(0, 12)):
            held[b] = Decimal(str(round(rnd.uniform(0, 50), 8))) if rnd.random() < 0.9 else Decimal(0)
        traded = set(rnd.sample(names, 150))
        positions = set(rnd.sample(names, 5))
        marks = {n: rnd.uniform(1e-5, 5e4) for n in names if rnd.random() < 0.95}

        def counted(name: str, traded: set[str] = traded, positions: set[str] = positions) -> bool:
            return name in traded or name in positions

        def mark(name: str, marks: dict[str, float] = marks) -> float | None:
            return marks.get(name)

        for quote in ("USD", "EUR"):
            expected = every_market(markets, held, quote, counted, mark)
            assert equity.total(markets, held, quote, counted, mark) == expected


def test_a_market_table_that_changes_is_indexed_again() -> None:
    held = {"USD": Decimal(100), "AAA": Decimal(2)}
    equity = HeldEquity()
    assert equity.total({}, held, "USD", lambda _n: True, lambda _n: 3.0) == Decimal(100)
    markets = {"AAA/USD": Market("AAA/USD", "AAA", "USD")}
    assert equity.total(markets, held, "USD", lambda _n: True, lambda _n: 3.0) == Decimal(106)
