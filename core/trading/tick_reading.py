"""What one autopilot tick reads from the exchange, and the account's equity computed from it.

Why apart from the autopilot: reading the account (balances, the price now, the price of other
coins held) happens WITHOUT the trading lock and is handed to the decision that runs under it
(`TradingDoor.read_then_act`, issue 18); the equity is then computed from that reading exactly as
the backtest does (cash + every counted coin at its latest close), visiting only the coins held
(`core/trading/tick_equity.py`, issue 20.4). The autopilot decides; this only reads and adds up.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from core.domain import Balances, Candle, ZynError
from core.trading.door import TradingDoor
from core.trading.tick_equity import HeldEquity


@dataclass(frozen=True)
class TickReading:
    """The exchange as read before the lock: balances, the pair's price now, other coins' prices."""

    balances: Balances
    next_open: float | None
    marks: dict[str, float | None]


class TickReader:
    def __init__(self, service: TradingDoor, counted: Callable[[str], bool]) -> None:
        """`counted(pair)`: whether a pair's coin is part of the equity (traded now, or held)."""
        self.service, self.counted = service, counted
        self._held = HeldEquity()

    def read(self, pair: str, quote: str, marked: Mapping[str, float]) -> TickReading:
        """The balances, the price now (the next open's estimate) and the price of every other
        counted coin held in the same quote that no close of this process has marked yet."""
        balances = self.service.balances()
        marks: dict[str, float | None] = {}
        # only the markets of coins held (issue 20.4: not every market for every pair)
        for other in self._held.held_markets(self.service.markets, balances.total, quote):
            if other != pair and other not in marked and self.counted(other):
                marks[other] = self._ticker(other)
        return TickReading(balances, self._ticker(pair), marks)

    def _ticker(self, pair: str) -> float | None:
        try:
            return float(self.service.price_now(pair))
        except ZynError:
            return None

    def equity(
        self, pair: str, quote: str, candle: Candle, reading: TickReading, marked: Mapping[str, float]
    ) -> tuple[Decimal, Decimal]:
        """(equity, cash): cash + every counted coin at its latest close (this pair: this candle's)."""
        held = reading.balances.total
        total = self._held.total(
            self.service.markets, held, quote, self.counted,
            lambda other: candle.close if other == pair else marked.get(other, reading.marks.get(other)),
        )
        return total, held.get(quote, Decimal(0))
