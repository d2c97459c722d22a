"""The candle store's wiring: which store Zyn reads history from, what keeps it filled.

- The store is the `candles` table (`SqlCandleStore`). In a replay it is clock-bound
  (`ClockBoundStore`): it holds and shows only candles closed before the replay clock, and keeps
  the replay's candles as the clock passes them, so the learning runner and a chat `backtest`
  at a replay date never see the future.
- Every candle the feed hands out is kept (`StoringFeed` around the plain feed).
- `zyn run` starts a background backfill after the scheduler (start-up stays light): on live
  market data Kraken's OHLC for the trading and the mtf timeframes, then the Trades tape back
  `ZYN_HISTORY_DAYS` (`adapters.kraken.backfill`), paid from the process's Kraken rate budget
  (the account client's when there is one); in a replay, the replay's candles up to the clock.
  `ZYN_BACKFILL=off` turns it off.
"""

from __future__ import annotations

import threading
from typing import Protocol

from loguru import logger
from sqlalchemy.engine import Engine

from bot.wiring.lifecycle import Lifecycle
from bot.wiring.market import MarketWiring
from core.config import Settings
from core.market_data.store import CandleStore, ClockBoundStore
from core.market_data.store_feed import StoringFeed
from core.market_data.store_sql import SqlCandleStore
from core.ports import Exchange, MarketFeed
from core.strategy.mtf import confirming_timeframes

log = logger.bind(component="candle_store")


def build_candle_store(db: Engine, market: MarketWiring) -> CandleStore:
    store = SqlCandleStore(db)
    if market.kind == "replay":
        return ClockBoundStore(store, market.clock, market.dataset)
    return store


def keep_candles(feed: MarketFeed | None, store: CandleStore) -> MarketFeed | None:
    """The feed with every closed candle it hands out kept in `store`."""
    return StoringFeed(feed, store) if feed is not None else None


def history_timeframes(settings: Settings) -> tuple[str, ...]:
    """The trading timeframe first (the Trades tape is aggregated to it), then mtf's confirming ones."""
    return (settings.timeframe, *confirming_timeframes(settings.timeframe, settings.modules.mtf_timeframes))


class Backfilling(Protocol):
    done: threading.Event  # set when the pass has ended (finished, failed or stopped)

    def start(self) -> None: ...

    def stop(self) -> None: ...


def start_backfill(settings: Settings, market: MarketWiring, exchange: Exchange, store: CandleStore,
                   lifecycle: Lifecycle) -> Backfilling | None:
    """In the background, after start: fill the store (see the module docstring). Returns the
    running pass (kept by `lifecycle`, which stops it on close), None when there is nothing to do."""
    if not settings.backfill:
        return None
    if isinstance(store, ClockBoundStore):
        replay = _ReplayCatchUp(store)
        lifecycle.keep(replay)
        replay.start()
        return replay
    if market.kind != "live":
        return None
    # lazy: keeps ccxt, requests out of this import
    from adapters.kraken.backfill import KrakenBackfill, budgeted_public

    call = budgeted_public(settings.kraken_api_url, market.budget)  # the process's one budget (issue 21)
    backfill = KrakenBackfill(call, store, market.clock, settings.pairs, history_timeframes(settings),
                              settings.history_days)
    lifecycle.keep(backfill)
    backfill.start()
    log.bind(pairs=list(settings.pairs), days=settings.history_days).info("candle backfill started in the background")
    return backfill


class _ReplayCatchUp:
    """Keeps the replay's candles up to the clock in the store, in a thread: once at start (a year
    of 1h candles takes about a second on SQLite), then every `every_s` as the clock moves, so
    `zyn data status` follows the replay (readers catch up on their own pair anyway)."""

    def __init__(self, store: ClockBoundStore, every_s: float = 10.0) -> None:
        self._store, self._every = store, every_s
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="zyn-replay-history", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)

    def _run(self) -> None:
        try:
            written = self._store.catch_up()
            log.bind(candles=written).info("replay candles up to the clock kept: {}", written)
            self.done.set()
            while not self._stop.wait(self._every):
                self._store.catch_up()
        except Exception:  # history is not worth stopping the replay for
            log.exception("replay candles could not be kept")
        finally:
            self.done.set()
