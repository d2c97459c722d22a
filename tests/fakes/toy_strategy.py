"""A toy second strategy, in tests only: it follows the "add a strategy" recipe in docs/EXTENDING.md.

Buys every `every`-th candle while flat, 10 % of equity, stop 2 % below and target 3 % above the
fill. Deliberately trivial: what it proves is that the autopilot and the backtest drive any
`core.strategy.port.Strategy` the same way, with no edit to either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from core.domain import Candle, Market
from core.strategy.pinned import CloseContext, Decision
from core.strategy.risk import RiskConfig, round_down


class EveryNth:
    name = "every_nth"

    def __init__(self, every: int = 7) -> None:
        self.every = every

    def for_pair(self, pair: str, market: Market, cfg: RiskConfig) -> EveryNthSignal:
        return EveryNthSignal(pair, market, self.every)


@dataclass
class EveryNthSignal:
    pair: str
    market: Market
    every: int
    seen: int = 0

    def warm(self, candle: Candle, *, missed: bool = False) -> None:
        self.seen += 1

    def decide(self, candle: Candle, ctx: CloseContext) -> Decision:
        self.seen += 1
        base = Decision(self.pair, candle.ts, "none", "not this candle", candle.close, equity=ctx.equity)
        if not ctx.flat or ctx.halted or self.seen % self.every:
            return base
        amount = round_down(0.1 * ctx.equity / ctx.next_open, self.market.lot_decimals)
        price = Decimal(repr(ctx.next_open))
        return replace(
            base, action="enter", reason=f"candle {self.seen}", amount=amount, entry_price=ctx.next_open,
            stop_distance=price * Decimal("0.02"), target_distance=price * Decimal("0.03"),
        )

    def record_exit(self, pnl: float, exit_candle_ts: int) -> bool:
        return False

    def apply_risk(self, cfg: RiskConfig) -> None:
        """The toy sizes nothing from the owner's settings."""

    def persisted(self) -> dict[str, Any]:
        return {"seen": self.seen}

    def restore(self, data: Mapping[str, Any]) -> None:
        self.seen = int(data.get("seen", 0))
