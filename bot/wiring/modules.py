"""Wires the advanced modules (issue 9): feature flags, entry rules (mtf, profit target, sessions),
the universe and the watchdog. Part of the composition root (bot/wiring/app.py).

Why its own file: the modules are optional add-ons built in parallel with the core; the rest of
the wiring only passes `modules.rules` to the autopilot and asks `modules` for status. Everything
here is built complete and handed over; nothing is filled in afterwards.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from loguru import logger

from adapters.channels.ports import Channel, PolledChannel
from bot.text.universe import row_json
from bot.wiring.market import choose_market, paper_feed, paper_markets, public_client_of, public_kraken, stream_of
from core.config import Settings
from core.domain import Event, Market, UserError, ZynError
from core.markets.universe import UniverseService
from core.markets.universe_candles import CandleUniverseSource
from core.ports import Clock, Exchange, MarketFeed
from core.strategy.entry_rules import EntryRules
from core.strategy.features import FeatureSwitch
from core.strategy.profit_target import DailyTarget
from core.telemetry.kv import KeyValueStore
from scheduler.watchdog import Watchdog

if TYPE_CHECKING:
    from bot.alerts.notifier import Notifier
    from core.trading.autopilot import Autopilot
    from core.trading.servant import LiveEvidence
    from scheduler.runner import JobSpec, WatchJobs

TARGET_PCT_KEY = "features:profit_target_pct"
TARGET_STATE_KEY = "features:profit_target_state"


class Modules:
    """The optional modules, built complete by `build_modules`; the chat and status read them."""

    def __init__(self, features: FeatureSwitch, rules: EntryRules, kv: KeyValueStore,
                 universe: UniverseService | None, watchdog: Watchdog | None) -> None:
        self.features, self.rules, self.kv = features, rules, kv
        self.universe = universe  # None without market data to rank pairs by
        self.watchdog = watchdog  # started by `zyn run` only
        self._universe_at_ms: int | None = None  # last refresh (the job runs every minute)

    def target_pct(self) -> float:
        return stored_target_pct(self.kv, self.rules.target.pct)

    def set_target_pct(self, pct: float) -> None:
        """Stored only: the entry rules read it back at every close (`target_pct` callback)."""
        self.kv.set(TARGET_PCT_KEY, repr(pct))

    def universe_rows(self) -> list[dict[str, Any]]:
        return universe_rows(self)

    def universe_pairs(self, now_ms: int, stale_ms: int) -> tuple[str, ...] | None:
        """The universe to trade (refreshed when stale), or None to trade ZYN_PAIRS: the feature is
        off, there is no universe, or it never refreshed. A failed refresh keeps the last one."""
        universe = self.universe
        if not self.features.enabled("universe") or universe is None:
            return None
        if self._universe_at_ms is None or now_ms - self._universe_at_ms >= stale_ms:
            try:
                universe.refresh()
            except ZynError as exc:  # retried next minute without an alert each time
                logger.bind(action="universe").warning("universe refresh failed; keeping the last one: {}", exc)
                if not universe.refreshed:
                    return None
            else:
                self._universe_at_ms = now_ms
        return tuple(universe.pairs())

    def settings_of(self) -> dict[str, str]:
        """Each module's settings in one line, for `features`."""
        out = self.rules.describe()
        out["profit_target"] = f"+{self.target_pct() * 100:g}% a day, then {self.rules.target.action}"
        if self.universe is not None:
            u = self.universe.cfg
            out["universe"] = (f"{u.quote} pairs, 24h volume >= {u.min_volume_usd:,.0f}, spread <= "
                               f"{u.max_spread_pct:g}%, top {u.max_pairs}")
        out["watchdog"] = "heartbeats + restarts" if self.watchdog is not None else "runs in zyn run"
        return out

    def entries_stopped(self, now_ms: int) -> str | None:
        """Why entries are off for now because of a module (the day's profit target), else None."""
        if self.features.enabled("profit_target") and self.rules.target.reached(now_ms):
            return f"daily profit target reached (+{self.target_pct() * 100:g}%): no new entries until the next UTC day"
        return None

    def status_line(self) -> str:
        on = self.features.on()
        return ", ".join(on) if on else "none"

    def status(self) -> dict[str, Any]:
        """What `status` and the dashboard show: which modules are on, and the day's target state."""
        out: dict[str, Any] = {"on": list(self.features.on())}
        if self.features.enabled("profit_target"):
            target = self.rules.target
            out["profit_target"] = {"pct": self.target_pct(), "reached_day": target.reached_day,
                                    "sessions": self.rules.sessions.describe()}
        return out


def stored_target_pct(kv: KeyValueStore, default: float) -> float:
    """The owner's `set target N%` if any (kv), else the configured default."""
    raw = kv.get(TARGET_PCT_KEY)
    try:
        return float(raw) if raw else default
    except ValueError:
        return default


def build_modules(settings: Settings, kv: KeyValueStore, universe: UniverseService | None,
                  notifier: Notifier) -> Modules:
    """Feature flags, entry rules and the (not yet started) watchdog, complete."""
    ms = settings.modules
    features = FeatureSwitch(ms.features, kv)
    state = kv.get_json(TARGET_STATE_KEY, {}) or {}
    target = DailyTarget(ms.profit_target_pct, ms.profit_target_action,
                         reached_day=state.get("reached_day") if isinstance(state, dict) else None)

    def save(t: DailyTarget) -> None:
        kv.set_json(TARGET_STATE_KEY, {"reached_day": t.reached_day})

    rules = EntryRules(settings.timeframe, features.enabled, target=target, sessions=ms.sessions,
                       mtf_timeframes=ms.mtf_timeframes, on_change=save,
                       target_pct=lambda: stored_target_pct(kv, target.pct))
    return Modules(features, rules, kv, universe, build_watchdog(notifier, features))


def build_universe(settings: Settings, exchange: Exchange, feed: MarketFeed | None,
                   live: MarketFeed | None = None) -> UniverseService | None:
    """The universe over the exchange's own pair list: Kraken (one batched Ticker, through the
    exchange's guard) or, in paper mode, the paper account's markets with figures from the candles.
    None without market data."""
    if settings.mode != "paper":
        from adapters.kraken.exchange import KrakenExchange  # lazy: keeps ccxt, requests out of this import
        from adapters.kraken.universe import KrakenUniverseSource  # lazy: keeps ccxt, requests out of this import

        if not isinstance(exchange, KrakenExchange):
            raise TypeError(f"{settings.mode} mode trades through KrakenExchange, not {type(exchange).__name__}")
        return UniverseService(KrakenUniverseSource(exchange.ccxt, exchange.guard.read), settings.modules.universe,
                               candle_history(settings, feed))
    if feed is None:
        return None

    client = public_client_of(live if live is not None else feed)  # `live`: the feed under any wrapper
    if client is not None:  # paper on live prices: the exchange's pair list and tickers, as live mode (issue 21)
        from adapters.kraken.universe import KrakenUniverseSource  # lazy: keeps ccxt, requests out of this import

        return UniverseService(KrakenUniverseSource(client), settings.modules.universe, candle_history(settings, feed))
    return paper_universe(settings, exchange.load_markets(), feed)


def research_universe(settings: Settings, kv: KeyValueStore) -> UniverseService | None:
    """The universe for `zyn universe`, from public market data only: no account, no ledger, no
    lease. Paper: the paper markets ranked by the candles (replay) or public Kraken prices; other
    modes: Kraken's public pair list and tickers through a key-less client."""
    market = choose_market(settings, kv, None)
    if settings.mode == "paper" and market.kind != "live":  # on live prices: as the live universe (issue 21)
        feed = paper_feed(settings, market, stream=False)
        return paper_universe(settings, paper_markets(settings, market), feed) if feed is not None else None
    from adapters.kraken.feed import KrakenPublicFeed  # lazy: keeps ccxt, requests out of this import
    from adapters.kraken.universe import KrakenUniverseSource  # lazy: keeps ccxt, requests out of this import

    public = public_kraken(settings.kraken_api_url, market.budget)
    feed = KrakenPublicFeed(public, market.clock, settings.pairs)
    return UniverseService(KrakenUniverseSource(public), settings.modules.universe,
                           remembered_history(candle_history(settings, feed), kv, settings))


def paper_universe(settings: Settings, markets: Mapping[str, Market], feed: MarketFeed) -> UniverseService:
    return UniverseService(CandleUniverseSource(markets, feed, settings.timeframe), settings.modules.universe,
                           candle_history(settings, feed))


def candle_history(settings: Settings, feed: MarketFeed | None) -> Callable[[str], int]:
    """How many closed candles a pair has (the universe's minimum-history filter)."""
    need = settings.modules.universe.min_history

    def history(pair: str) -> int:
        return len(feed.closed_candles(pair, settings.timeframe, need)) if feed is not None else 0

    return history


def remembered_history(history: Callable[[str], int], kv: KeyValueStore, settings: Settings) -> Callable[[str], int]:
    """The history filter with a memory: a pair that once had enough closed candles always will
    (history only grows), so later `zyn universe` runs skip its OHLC call (issue 21: that call per
    pair, through the public rate limit, was most of the command's time)."""
    need = settings.modules.universe.min_history
    key = f"universe:history_ok:{settings.timeframe}:{need}"

    def check(pair: str) -> int:
        known = kv.get_json(key, []) or []
        if pair in known:
            return need
        have = history(pair)
        if have >= need:
            kv.set_json(key, sorted({*known, pair}))
        return have

    return check


class UniverseParts(Protocol):
    """The parts of the built `Zyn` the universe job needs (named here: the root imports this module)."""

    @property
    def modules(self) -> Modules: ...

    @property
    def autopilot(self) -> Autopilot: ...

    @property
    def settings(self) -> Settings: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def evidence(self) -> LiveEvidence | None: ...


def refresh_universe(zyn: UniverseParts) -> tuple[str, ...]:
    """The scheduled job: with `universe` on, the autopilot trades the filtered universe (plus held
    pairs); switched off, it goes back to ZYN_PAIRS."""
    return universe_job(zyn.modules, zyn.autopilot, zyn.settings, zyn.clock, zyn.evidence)()


def universe_job(modules: Modules, autopilot: Autopilot, settings: Settings, clock: Clock,
                 evidence: LiveEvidence | None = None) -> Callable[[], tuple[str, ...]]:
    """The pairs go to the autopilot and to the evidence gate (`join`: the next close evaluates
    them together once, not once per pair joining)."""
    stale_ms = settings.modules.universe.refresh_minutes * 60_000

    def run() -> tuple[str, ...]:
        pairs = modules.universe_pairs(clock.now_ms(), stale_ms)
        traded = tuple(autopilot.set_pairs(settings.pairs if pairs is None else pairs))
        if evidence is not None:
            evidence.join(traded)
        return traded

    return run


def module_jobs(modules: Modules, autopilot: Autopilot, settings: Settings, clock: Clock,
                evidence: LiveEvidence | None = None) -> list[JobSpec]:
    from scheduler.runner import JobSpec, every  # lazy: keeps apscheduler out of this import

    if modules.universe is None:
        return []
    return [JobSpec("universe", universe_job(modules, autopilot, settings, clock, evidence), every(60))]


def universe_rows(modules: Modules) -> list[dict[str, Any]]:
    """Every pair with in/out and the reason (refreshed now if it never was). UserError without data."""
    return rows_of(modules.universe)


def rows_of(universe: UniverseService | None) -> list[dict[str, Any]]:
    if universe is None:
        raise UserError("no universe here: there is no market data to rank pairs by (no feed)")
    return [row_json(r) for r in universe.rows()]


def build_watchdog(notifier: Notifier, features: FeatureSwitch) -> Watchdog:
    """The watchdog (not started): `watched_feed` makes the feed beat it, the scheduler wraps its
    jobs (`watch_jobs`), `start_watchdog` adds the Telegram poller and starts the thread."""
    def notify(text: str) -> None:
        notifier.notify(Event("watchdog", text))

    return Watchdog(notify=notify, on_fatal=_exit_process, active=lambda: features.enabled("watchdog"))


def watched_feed(feed: MarketFeed | None, market_kind: str, modules: Modules,
                 expected: Callable[[], bool], stream: MarketFeed | None = None) -> MarketFeed | None:
    """A live feed wrapped to beat the watchdog (expected to beat only while this process acts)."""
    from scheduler.watched import WatchedFeed  # lazy: keeps apscheduler out of this import

    if feed is None or market_kind != "live" or modules.watchdog is None:
        return feed
    modules.watchdog.register("feed", "feed", 150.0, expected=expected)
    watch_stream(modules.watchdog, stream if stream is not None else feed, expected)
    return WatchedFeed(feed, modules.watchdog)


def watch_stream(wd: Watchdog, feed: MarketFeed, expected: Callable[[], bool]) -> None:
    """issue 21: the market socket's heartbeats feed the watchdog (probe: a message within its
    stall time); a dead socket is reconnected. Not critical: REST polling carries on meanwhile."""
    stream = stream_of(feed)
    if stream is not None:
        wd.register("market_socket", "socket", 60.0, probe=stream.healthy, restart=stream.socket.reconnect,
                    expected=expected)


def job_watch(modules: Modules) -> WatchJobs | None:
    """The scheduler's `watch` hook: each job beats the watchdog, a hung one restarts it."""
    from scheduler.watched import watch_jobs  # lazy: keeps apscheduler out of this import

    wd = modules.watchdog
    if wd is None:
        return None

    def watch(jobs: list[JobSpec], restart: Callable[[], None], owner: Callable[[], bool]) -> list[JobSpec]:
        return watch_jobs(wd, jobs, restart=restart, expected=owner)

    return watch


def _exit_process(reason: str) -> None:
    """Cannot heal: stop `zyn run` the way Ctrl-C does (its SIGTERM handler closes the server);
    `zyn run` then exits non-zero (watchdog_exit_code) and the supervisor starts a fresh process."""
    del reason
    os.kill(os.getpid(), signal.SIGTERM)


def start_watchdog(modules: Modules, channels: Mapping[str, Channel]) -> None:
    wd = modules.watchdog
    if wd is None:
        return
    telegram = channels.get("telegram")
    if isinstance(telegram, PolledChannel):
        watch_telegram(wd, telegram)
    wd.start()


def watch_telegram(wd: Watchdog, telegram: PolledChannel) -> None:
    """The poller is probed (getMe on its own loop) and restarted (stop + start) when it fails.
    Not critical: an unreachable Telegram is retried with backoff forever, never a process exit."""
    def restart_telegram() -> None:
        telegram.stop(5.0)
        telegram.start(15.0)

    wd.register("telegram", "poller", 60.0, probe=telegram.healthy, restart=restart_telegram)


def stop_watchdog(modules: Modules) -> None:
    if modules.watchdog is not None:
        modules.watchdog.stop()


def watchdog_exit_code(modules: Modules) -> int:
    """3 when the watchdog gave up (so systemd's Restart=on-failure restarts Zyn), else 0."""
    wd = modules.watchdog
    return 3 if wd is not None and wd.failed else 0
