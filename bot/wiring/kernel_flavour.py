"""The kernel flavour of the autopilot's universe, decided once by the composition root (issue 20.4,
session 7) and passed to the strategy and the evidence records it builds.

Why here: a kernel call sees only its own work (core/kernel/flavour.py: below 50,000 candles it
runs interpreted so a small `zyn run` never loads numba), but a universe's tick is one small call
per pair, and its first tick warms every pair from its history, one call per candle. Only the
root knows how many pairs the autopilot will step: ZYN_PAIRS, or with the universe module on, up
to ZYN_UNIVERSE_MAX_PAIRS of the markets there are. With that many pairs x the candles each pair
is warmed from at or above the single-call break-even, every call of the universe runs compiled
(`core.kernel.flavour.by_universe`); else each call keeps choosing by its own work.

Decided at build, from the settings (no network: a live exchange's pair list is not asked for, its
cap stands in): a universe switched on later from chat keeps the flavour the process started with
until the next start.
"""

from __future__ import annotations

from bot.wiring.market import MarketWiring
from bot.wiring.modules import Modules
from core.config import Settings
from core.kernel.flavour import Flavour, by_universe
from core.strategy.mtf import history_needed
from core.trading.autopilot import HISTORY_LIMIT


def universe_size(settings: Settings, modules: Modules, market: MarketWiring) -> int:
    """How many pairs the autopilot will step at most: ZYN_PAIRS; with the universe module on, up
    to the universe's cap of the pairs there are (a replay's files; live: the cap itself)."""
    configured = len(settings.pairs)
    universe = modules.universe
    if universe is None or not modules.features.enabled("universe"):
        return configured
    cap = universe.cfg.max_pairs
    there = len(set(settings.pairs) | set(market.dataset)) if market.dataset else cap
    return max(configured, min(cap, there))


def warm_candles(settings: Settings, modules: Modules) -> int:
    """Candles each pair is warmed from at its first close: what the autopilot fetches per pair
    (enough for mtf's longest confirming timeframe). The evidence record's first run over the
    pair's history comes on top, so this is the least of the first tick's work."""
    return max(HISTORY_LIMIT, history_needed(settings.timeframe, modules.rules.confirming))


def universe_flavour(settings: Settings, modules: Modules, market: MarketWiring) -> Flavour | None:
    """"compiled" for a universe whose first tick is big work, else None (each call by its own work)."""
    return by_universe(universe_size(settings, modules, market), warm_candles(settings, modules))
