"""The account's equity at one pair's close, looking only at the coins held (issue 20.4).

Why: equity = cash + every held coin (of a traded or held pair, in the pair's quote) marked at
its latest close. Walking every market for every pair's decision made a universe tick quadratic
in pairs. It cannot simply be computed once per tick: each pair's close moves its own mark and
an entry earlier in the tick moves the cash, and the replay parity depends on those exact
figures. So the markets are indexed by base coin once, and each decision visits only the
markets of the coins with a balance — the same terms, added in the same (market) order, so the
Decimal sum is the same to the last digit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from core.domain import Market
from core.trading.positions import dec

Counted = Callable[[str], bool]  # whether a pair's coin counts (traded now, or still held)
MarkFn = Callable[[str], float | None]  # a pair's latest close (None: unknown, adds nothing)


class HeldEquity:
    """Markets by base coin, rebuilt when the market table changes."""

    def __init__(self) -> None:
        self._key: tuple[int, int] | None = None
        self._by_base: dict[str, list[tuple[int, str, Market]]] = {}

    def _index(self, markets: Mapping[str, Market]) -> dict[str, list[tuple[int, str, Market]]]:
        key = (id(markets), len(markets))
        if key != self._key:
            by_base: dict[str, list[tuple[int, str, Market]]] = {}
            for i, (name, market) in enumerate(markets.items()):
                by_base.setdefault(market.base, []).append((i, name, market))
            self._by_base, self._key = by_base, key
        return self._by_base

    def held_markets(self, markets: Mapping[str, Market], held: Mapping[str, Decimal], quote: str) -> list[str]:
        """The markets (in table order) of the coins with a balance, in `quote`."""
        index = self._index(markets)
        found = [(i, name) for asset, amount in held.items() if amount
                 for i, name, market in index.get(asset, ()) if market.quote == quote]
        return [name for _i, name in sorted(found)]

    def total(
        self, markets: Mapping[str, Market], held: Mapping[str, Decimal], quote: str, counted: Counted, mark: MarkFn
    ) -> Decimal:
        """cash in `quote` + each held coin's amount x its mark, over the markets in table order."""
        index = self._index(markets)
        terms: list[tuple[int, str, Decimal]] = []
        for asset, amount in held.items():
            if not amount:
                continue
            for i, name, market in index.get(asset, ()):
                if market.quote == quote:
                    terms.append((i, name, amount))
        total = held.get(quote, Decimal(0))
        for _i, name, amount in sorted(terms):
            if not counted(name):
                continue
            price = mark(name)
            if price is not None:
                total += amount * dec(price)
        return total
