"""Which exchange and which market data Zyn runs on, chosen once from the settings.

paper + replay: a SimClock that replays CSV candles through the PaperExchange (resuming where
the last run stopped); paper + live: the wall clock, public Kraken prices walked into the
PaperExchange; validate/live: the real Kraken account through ccxt. `auto` probes Kraken once
with a short timeout and falls back to replay, else to "no market data" (chat still works).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from loguru import logger
from sqlalchemy.engine import Engine

from adapters.kraken.budget import RateBudget
from adapters.kraken.mapping import market_from_ccxt
from adapters.kraken.reachable import kraken_reachable
from core.clock import RealClock, SimClock
from core.config import Settings, quote_of
from core.domain import Candle, Market, UserError
from core.market_data.csv_loader import load_dataset
from core.market_data.replay_feed import ReplayFeed
from core.market_data.resample import resample
from core.markets.catalog import markets_for
from core.markets.timeframes import timeframe_ms
from core.paper.exchange import PaperExchange

if TYPE_CHECKING:
    from adapters.kraken.feed import KrakenPublicFeed
    from adapters.kraken.stream_feed import StreamFeed
from core.ports import Clock, Exchange, MarketFeed
from core.telemetry.kv import KeyValueStore
from core.trading.circuit_breaker import CircuitBreaker

REPLAY_CLOCK_KEY = "replay:clock"


@dataclass
class MarketWiring:
    kind: str  # replay, live, none
    clock: Clock
    dataset: dict[str, tuple[str, list[Candle]]]
    note: str = ""
    # issue 21: THE rate budget of this process (KRAKEN_TIER): every Kraken client built here
    # spends from it — the account, the public market-data client, universe refreshes, backfills
    budget: RateBudget = field(default_factory=RateBudget)


def choose_market(settings: Settings, kv: KeyValueStore, clock: Clock | None) -> MarketWiring:
    return replace(_choose_market(settings, kv, clock), budget=RateBudget.for_tier(settings.kraken_tier))


def _choose_market(settings: Settings, kv: KeyValueStore, clock: Clock | None) -> MarketWiring:
    if settings.mode != "paper":
        return MarketWiring("live", clock or RealClock(), {}, "Kraken account")
    feed = settings.paper_feed
    if feed == "auto":
        feed = "live" if kraken_reachable(settings.kraken_api_url) else ("replay" if settings.paper_data else "none")
    if feed == "replay":
        if not settings.paper_data:
            raise UserError("PAPER_FEED=replay needs PAPER_DATA (a CSV file or a folder of CSVs)")
        # small replays skip pyarrow (20.5); a pair with several files: its file of the trading timeframe
        dataset = load_dataset(settings.paper_data, columnar=None, timeframe=settings.timeframe)
        if not dataset:
            raise UserError(f"PAPER_DATA={settings.paper_data}: no candles")
        start = min(c[0].ts for _, c in dataset.values())
        resumed = kv.get(REPLAY_CLOCK_KEY)
        sim = clock if clock is not None else SimClock(int(resumed) if resumed else start, settings.paper_speed)
        return MarketWiring("replay", sim, dataset, f"replaying {', '.join(sorted(dataset))}")
    if feed == "live":
        return MarketWiring("live", clock or RealClock(), {}, "public Kraken prices")
    return MarketWiring("none", clock or RealClock(), {}, "no market data: Kraken unreachable and no PAPER_DATA")


def build_exchange(settings: Settings, db: Engine, wiring: MarketWiring, breaker: CircuitBreaker,
                   fence: Callable[[], None] | None = None) -> Exchange:
    if settings.mode == "paper":

        # funded in the pairs' quote currency (load_settings refused mixed quotes in paper mode)
        start = {quote_of(settings.pairs[0]): Decimal(repr(settings.paper_start_balance))}
        return PaperExchange(db, paper_markets(settings, wiring), wiring.clock, start_balances=start,
                             candle_source=_candle_source(wiring))
    from adapters.kraken.exchange import KrakenExchange  # lazy: keeps ccxt, requests out of this import

    return KrakenExchange(settings.kraken_api_url, settings.kraken_api_key, settings.kraken_api_secret,
                          settings.mode, wiring.clock, breaker, budget=wiring.budget,  # type: ignore[arg-type]
                          conditional_close=settings.kraken_conditional_close, fence=fence)


def paper_markets(settings: Settings, wiring: MarketWiring) -> dict[str, Market]:
    """The paper account's markets. On live prices: the exchange's own pair list and rules
    (AssetPairs: lot and price decimals, ordermin, costmin), exactly what a live account trades
    (issue 21); the configured pairs it does not list keep the rules table's. Replayed: the
    configured pairs and every pair the candles cover."""
    configured = markets_for(sorted(set(settings.pairs) | set(wiring.dataset)))
    if wiring.kind != "live":
        return configured
    return {**configured, **exchange_markets(settings, wiring)}


def exchange_markets(settings: Settings, wiring: MarketWiring) -> dict[str, Market]:
    """Every spot pair Kraken (or the sim) lists, with its rules; {} when it cannot be asked."""
    from adapters.kraken.guard import own_decimal_context  # lazy: keeps ccxt, requests out of this import

    client = public_kraken(settings.kraken_api_url, wiring.budget)
    try:
        raw: dict[str, Any] = own_decimal_context(lambda: client.load_markets(reload=True))()
    except Exception as exc:  # unreachable or not Kraken-shaped: the rules table stands in
        logger.bind(url=settings.kraken_api_url, error=type(exc).__name__).warning(
            "AssetPairs unavailable; paper markets from the rules table")
        return {}
    listed = (market_from_ccxt(m) for m in raw.values() if m.get("spot", True))
    return {m.pair: m for m in listed}


def stream_of(feed: object) -> StreamFeed | None:
    """`feed` when it is Kraken's WebSocket feed, else None — without importing it.

    Why not a plain isinstance: importing the class loads ccxt (every exchange class it ships,
    ~45 MB of a replay's ~200 MB at start), requests and websockets (issue 20.5); and a feed can
    only be a `StreamFeed` once the module that defines it was imported by whoever built it."""
    module = sys.modules.get("adapters.kraken.stream_feed")
    if module is None or not isinstance(feed, module.StreamFeed):
        return None
    return cast("StreamFeed", feed)


def polled_of(feed: object) -> KrakenPublicFeed | None:
    """`feed` when it is Kraken's REST feed, else None — without importing it (see `stream_of`)."""
    module = sys.modules.get("adapters.kraken.feed")
    if module is None or not isinstance(feed, module.KrakenPublicFeed):
        return None
    return cast("KrakenPublicFeed", feed)


def public_client_of(feed: MarketFeed | None) -> Any | None:
    """The key-less Kraken client behind a paper feed on live prices (streamed or polled), else None."""
    stream = stream_of(feed)
    inner = polled_of(stream.rest if stream is not None else feed)
    return inner.client if inner is not None else None


def _candle_source(wiring: MarketWiring) -> Any:
    if wiring.kind != "replay":
        return None

    def source(pair: str, timeframe: str, since_ms: int | None, limit: int | None) -> list[Candle]:
        if pair not in wiring.dataset:
            raise UserError(f"no candles for {pair}")
        tf, candles = wiring.dataset[pair]
        now = wiring.clock.now_ms()

        closed = [c for c in candles if c.ts + timeframe_ms(tf) <= now]
        out = resample(closed, tf, timeframe)
        if since_ms is not None:
            out = [c for c in out if c.ts >= since_ms]
        return out[-limit:] if limit else out

    return source


def build_feed(settings: Settings, wiring: MarketWiring, exchange: Exchange) -> MarketFeed | None:
    """Live market data streams over Kraken's WebSocket v2 with REST polling as its fallback
    (issue 21); in validate/live mode the REST side is the account's own client (its guard and
    rate budget)."""
    if settings.mode != "paper":
        from adapters.kraken.feed import KrakenPublicFeed  # lazy: keeps ccxt, requests out of this import

        return streamed(settings, KrakenPublicFeed(exchange, wiring.clock, settings.pairs), wiring.clock)
    return paper_feed(settings, wiring)


def paper_feed(settings: Settings, wiring: MarketWiring, *, stream: bool = True) -> MarketFeed | None:
    """Paper mode's candles: the replayed CSVs, public Kraken prices (streamed unless `stream` is
    False: a one-shot command polls), or none."""
    if wiring.kind == "replay":

        return ReplayFeed(wiring.dataset, wiring.clock)
    if wiring.kind == "none":
        return None
    from adapters.kraken.feed import KrakenPublicFeed  # lazy: keeps ccxt, requests out of this import

    rest = KrakenPublicFeed(public_kraken(settings.kraken_api_url, wiring.budget), wiring.clock, settings.pairs)
    return streamed(settings, rest, wiring.clock) if stream else rest


def streamed(settings: Settings, rest: Any, clock: Clock) -> MarketFeed:
    """The WebSocket v2 feed over `rest` (`KRAKEN_WS_URL`, derived from KRAKEN_API_URL for a sim)."""
    from adapters.kraken.stream_feed import StreamFeed  # lazy: keeps ccxt, requests, websockets out of this import

    return StreamFeed(rest, settings.kraken_ws_url, clock)


def keep_stream(feed: MarketFeed | None, keep: Callable[[Any], None]) -> None:
    """Hand a streaming feed's socket to the lifecycle, so the process stops it on close."""
    stream = stream_of(feed)
    if stream is not None:
        keep(stream)


def market_data_state(feed: MarketFeed | None) -> dict[str, str]:
    """status `market_data`: which transport the live feed answers with now."""
    stream = stream_of(feed)
    return {"transport": stream.transport() if stream is not None else "rest"}


BookQuote = Callable[[str, str, Decimal], str]


def book_quote(feed: MarketFeed | None) -> BookQuote:
    """issue 21: the echo of a market order gets the spread and the fill the checked WebSocket book
    implies (`StreamFeed.quote_line`); "" without a live book (REST, replay, paper CSVs)."""
    stream = stream_of(feed)
    if stream is None:
        return lambda pair, side, amount: ""
    return stream.quote_line


def public_kraken(api_url: str, budget: RateBudget) -> Any:
    """A ccxt Kraken client without keys, for public market data only (prices, pairs, candles),
    spending from the process's one rate budget (not ccxt's fixed 1 s per call)."""
    from adapters.kraken.serial_client import SerialKraken  # lazy: keeps ccxt, requests out of this import

    public = SerialKraken({"enableRateLimit": True, "timeout": 10_000}, budget)
    # ccxt appends "/0/public/..." itself: the base URL alone (as in adapters.kraken.exchange)
    public.urls["api"] = {**public.urls["api"], "public": api_url, "private": api_url}
    return public


class LivePaperPricer:
    """Walks public prices into the PaperExchange so stops and the take-profit watcher see them.

    Each poll is a tiny candle from the previous price to the new one; the engine stops at every
    level crossed in between, as it would on a real path.
    """

    def __init__(self, exchange: Any, feed: MarketFeed, pairs: tuple[str, ...], clock: Clock) -> None:
        self._exchange, self._feed, self._pairs, self._clock = exchange, feed, pairs, clock
        self._last: dict[str, float] = {}

    def poll_once(self) -> int:
        moved = 0
        for pair in self._pairs:
            price = self._feed.last_price(pair)
            if price is None or price <= 0:
                continue
            now = self._clock.now_ms()
            prev = self._last.get(pair)
            if prev is None:
                self._exchange.set_price(pair, Decimal(repr(price)), now)
            else:
                candle = Candle(now, prev, max(prev, price), min(prev, price), price, 0.0)
                self._exchange.walk_candle(pair, candle, 1)
            self._last[pair] = price
            moved += 1
        return moved


def persist_replay_clock(kv: KeyValueStore, clock: Clock) -> None:
    if isinstance(clock, SimClock):
        persist_replay_clock_at(kv, clock.now_ms())


def persist_replay_clock_at(kv: KeyValueStore, ms: int) -> None:
    """Where a restarted replay resumes (the replay job saves each step's target before walking it)."""
    kv.set(REPLAY_CLOCK_KEY, str(ms))
