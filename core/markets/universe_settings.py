"""The universe filter's settings (ZYN_UNIVERSE_*), parsed by core/strategy/module_settings.py.

In the markets room, beside the filter that reads them (core/markets/universe.py), so markets does
not import strategy (which imports markets: a cycle). `core.strategy.module_settings` re-exports it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class UniverseSettings:
    quote: str = "USD"
    min_volume_usd: float = 250_000.0  # 24h volume in the quote currency
    max_spread_pct: float = 0.5  # best ask vs best bid, % of the mid
    max_pairs: int = 30
    min_price: float = 0.0001
    min_history: int = 50  # candles of the trading timeframe
    deny: tuple[str, ...] = ()
    refresh_minutes: int = 60
