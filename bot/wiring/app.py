"""The composition root: receives the settings read once by `zyn`'s entry point, builds every
object, wires them explicitly.

Nothing else in Zyn constructs a service; only the settings loader (bot/settings.py) reads the
environment; no module-level singletons,
no I/O at import time. `build_zyn` is used by `zyn run`, every CLI command and the tests. Each part
is built complete by one function of bot/wiring_*.py from the parts it needs, in dependency order,
and the frozen `Zyn` is constructed once at the end: no attribute is set after construction
(tests/bot/wiring/test_composition_root.py holds that line).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loguru import logger
from sqlalchemy.engine import Engine

from adapters.channels.ports import Channel, PolledChannel
from bot.alerts.charts import equity_curve_svg
from bot.alerts.notifier import Notifier
from bot.alerts.safety import breaker_alerts
from bot.learning.runner import LearningRunner
from bot.owner.settings import dashboard_rows
from bot.settings import ZynSettings, with_channels
from bot.status.autopilot import autopilot_state, kill_switch_state
from bot.wiring.channel_supervisor import ChannelSupervisor
from bot.wiring.executions import start_executions
from bot.wiring.history import build_candle_store, keep_candles, start_backfill
from bot.wiring.jobs import JobParts, build_scheduler, scheduler_lock
from bot.wiring.kernel_flavour import universe_flavour
from bot.wiring.lifecycle import Lifecycle
from bot.wiring.malloc_arenas import limit_malloc_arenas
from bot.wiring.market import (
    LivePaperPricer,
    MarketWiring,
    book_quote,
    build_exchange,
    build_feed,
    choose_market,
    keep_stream,
    market_data_state,
    persist_replay_clock,
)
from bot.wiring.modules import (
    Modules,
    build_modules,
    build_universe,
    start_watchdog,
    stop_watchdog,
    watched_feed,
)
from bot.wiring.servant import ServantAnswers, build_evidence, build_plain_source
from bot.wiring.services import (
    account_currency,
    build_autopilot,
    build_channels,
    build_dispatcher,
    build_learning,
    build_pricer,
    build_replay,
    build_status,
    build_storage_health,
    build_trading,
    warm_free_text,
)
from bot.wiring.storage_probe import StorageProber
from bot.wiring.warm import StartupWarm, warm_compiled
from core.config import Settings
from core.market_data.store import CandleStore
from core.ports import Clock, Exchange, MarketFeed
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from core.trading.circuit_breaker import CircuitBreaker
from core.trading.reconcile import Reconciler
from core.trading.take_profit import TakeProfitWatcher

if TYPE_CHECKING:
    from bot.dispatch.dispatcher import Dispatcher
    from core.status.service import StatusService
    from core.telemetry.storage_health import StorageHealth
    from core.trading.autopilot import Autopilot
    from core.trading.replay import ReplayDriver
    from core.trading.servant import LiveEvidence
    from core.trading.service import TradingService
    from scheduler.lock import SchedulerLock
    from scheduler.runner import ZynScheduler


@dataclass(frozen=True, eq=False, repr=False)  # identity, and no repr that would print the settings' keys
class Zyn:
    """Every part of one Zyn process, built complete by `build_zyn` and never changed afterwards.

    What does change while the process runs (reconciling, scheduler started, channel supervisors)
    lives in `lifecycle`, an object built first and handed to the parts that ask about it."""

    settings: ZynSettings
    clock: Clock
    db: Engine
    kv: KeyValueStore
    market: MarketWiring
    candles: CandleStore  # every candle seen, for history (clock-bound in a replay)
    exchange: Exchange
    feed: MarketFeed | None  # None: no market data (chat and status still work)
    breaker: CircuitBreaker
    notifier: Notifier
    storage: StorageHealth
    trading: TradingService
    take_profit: TakeProfitWatcher
    learning: LearningRunner
    modules: Modules
    autopilot: Autopilot
    evidence: LiveEvidence | None  # the evidence gate (issue 17; None = ZYN_EVIDENCE=off)
    replay: ReplayDriver | None  # paper + replay only
    pricer: LivePaperPricer | None  # paper on live prices only
    status: StatusService
    dispatcher: Dispatcher
    channels: Mapping[str, Channel]  # read-only; the polled ones (Telegram) start with `start()`
    scheduler: ZynScheduler  # built here, started by `start()` (zyn run)
    lease: SchedulerLock | None  # held by this process (zyn run, or a terminal command owning)
    lifecycle: Lifecycle

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Reconcile with the exchange, then start the scheduler and pollers (zyn run only)."""
        self.lifecycle.begin_reconcile()
        try:
            self.reconcile()
        finally:
            self.lifecycle.end_reconcile()
        self.scheduler.start()
        self.lifecycle.mark_scheduled(True)
        start_backfill(self.settings, self.market, self.exchange, self.candles, self.lifecycle)  # background

        prober = StorageProber(self.storage, self.db)
        self.lifecycle.keep(prober)
        prober.start()
        for name, channel in self.channels.items():
            if isinstance(channel, PolledChannel):  # in the background: trading never waits for a chat channel
                supervisor = ChannelSupervisor(name, channel, self.notifier)
                self.lifecycle.supervise(name, supervisor)
                supervisor.start()
        start_watchdog(self.modules, self.channels)  # heartbeats, restarts, one notice (issue 9)
        warm_free_text(self.dispatcher)  # the intent classifier, in the background: chat never waits

    def warm_up(self) -> threading.Thread:
        """`zyn run` only, after `start()`: load the kernel and settle the heap in the background, so
        neither stalls chat later (bot/wiring/warm.py, issue 20.1); in the autopilot's strategy's
        flavour: compiled up front for a big universe (bot/wiring/kernel_flavour.py)."""
        pairs = [p for p in self.settings.pairs if p in self.trading.markets] or sorted(self.trading.markets)
        strategy, cfg, timeframe = self.autopilot.strategy, self.trading.cfg, self.settings.timeframe

        def kernel() -> bool:
            return bool(pairs) and warm_compiled(strategy, self.trading.markets[pairs[0]], cfg, timeframe)

        return StartupWarm(kernel, self.dispatcher.free_text.warm).start()

    def channel_state(self) -> dict[str, object]:
        """Each channel: "up", or "retrying" with the last start error (for /healthz and status)."""
        out: dict[str, object] = {name: {"state": "up"} for name in self.channels}
        out.update(self.lifecycle.supervisor_states())
        return out

    def close(self) -> None:
        stop_watchdog(self.modules)
        self.lifecycle.stop_all()
        owner = self.lease is None or self.lease.still_valid_locally()
        for name, channel in self.channels.items():
            if isinstance(channel, PolledChannel):
                try:
                    channel.stop()
                except Exception:
                    logger.bind(channel=name).exception("channel stop failed")
        self.scheduler.stop(release=self.lease is None)
        self.lifecycle.mark_scheduled(False)
        self.notifier.close()
        self.dispatcher.close()  # issue 20.1: the chat journal's queued messages reach the database
        if owner:
            persist_replay_clock(self.kv, self.clock)  # only the owner's clock is the replay's time
        if self.lease is not None:  # last: the next owner must find the clock already saved
            self.lease.release()
        self.db.dispose()

    def reconcile(self) -> dict[str, object]:
        try:
            report = Reconciler(self.trading).run()
        except Exception as exc:  # an unreachable exchange must not stop chat and status
            logger.bind(step="reconcile").exception("reconcile failed; will retry on the next sync")
            return {"error": f"{type(exc).__name__}"}
        logger.bind(step="reconcile", actions=len(report.actions), problems=len(report.problems)).info(report.text())
        return {"actions": report.actions, "problems": report.problems, "text": report.text()}

    # ----------------------------------------------------------------- views
    @property
    def reconciling(self) -> bool:
        """Reconciling after a start (the web already serves; /healthz and status say so)."""
        return self.lifecycle.reconciling

    def scheduler_state(self) -> dict[str, object]:
        return dict(self.scheduler.state())

    def feed_state(self) -> dict[str, object]:
        state: dict[str, object] = {"kind": self.market.kind, "note": self.market.note}
        if self.replay is not None:
            state["sim_time_ms"] = self.clock.now_ms()
            state["done"] = self.replay.done
        return state

    def autopilot_state(self) -> dict[str, object]:
        return autopilot_state(self.trading, self.modules, self.clock, self.feed, self.lifecycle, self.autopilot)

    def kill_switch_state(self) -> dict[str, object]:
        return kill_switch_state(self.trading)

    def dashboard_settings(self) -> list[tuple[str, str]]:
        """The owner's settings for the dashboard (the web adapter must not import bot)."""
        return dashboard_rows(self.kv, self.settings.tz)

    @property
    def currency(self) -> str:
        """What equity and P&L are counted in (the dashboard labels them with it; issue 17.9)."""
        return account_currency(self.settings)

    def equity_chart_svg(self, points: list[tuple[int, float]]) -> str:
        """The dashboard's equity chart: the same matplotlib drawing as the chat's PNGs."""
        return equity_curve_svg(points)

    def describe(self) -> dict[str, object]:
        return {"feed": self.market.kind, "pairs": list(self.settings.pairs), "timeframe": self.settings.timeframe}

    def relearn(self) -> dict[str, object]:
        return self.learning.relearn()


def build_zyn(
    given: Settings, *, clock: Clock | None = None, db: Engine | None = None, lease: SchedulerLock | None = None,
) -> Zyn:
    """Everything, wired, in dependency order; `Zyn(...)` is constructed once, at the end.

    `lease`: the SchedulerLock this process already holds (it then owns the money; the scheduler
    renews that same lease). Build only while holding it in a real process. The web server is not
    a part: `zyn run` builds it around the finished object (`adapters.web.app.create_web_app`)."""
    settings = with_channels(given)  # core-only Settings (tests, benchmarks): no channel configured
    limit_malloc_arenas()  # before this process's threads start: each would keep an arena of its own
    db = db if db is not None else make_engine(settings.database_url)
    kv = KeyValueStore(db)
    market = choose_market(settings, kv, clock)
    clock = market.clock
    candles = build_candle_store(db, market)
    lock = scheduler_lock(db, settings, lease)
    lifecycle = Lifecycle(lock)
    notifier = Notifier(kv, db, clock, tz=settings.tz)
    breaker = CircuitBreaker(clock, on_change=breaker_alerts(db, clock, notifier))
    exchange = build_exchange(settings, db, market, breaker, lease.fence if lease is not None else None)
    live_feed = build_feed(settings, market, exchange)  # streamed over WebSocket v2 where live (issue 21)
    keep_stream(live_feed, lifecycle.keep)  # the market socket stops with the process
    plain_feed = keep_candles(live_feed, candles)
    modules = build_modules(settings, kv, build_universe(settings, exchange, plain_feed, live_feed), notifier)
    feed = watched_feed(plain_feed, market.kind, modules, expected=lifecycle.acting, stream=live_feed)
    storage = build_storage_health(db, notifier)
    trading = build_trading(settings, exchange, db, kv, market, feed, notifier, breaker, storage, lease)
    take_profit = TakeProfitWatcher(trading).attach()
    learning = build_learning(settings, db, kv, market, candles)
    flavour = universe_flavour(settings, modules, market)  # issue 20.4: a big universe runs the kernel compiled
    plain = build_plain_source(settings, market.dataset, candles, trading, kv, flavour)  # issue 17: the candles held
    evidence = build_evidence(settings, plain, kv, modules.features)  # None = ZYN_EVIDENCE=off
    autopilot = build_autopilot(settings, trading, feed, kv, learning, modules, evidence, flavour)
    replay = build_replay(settings, market, exchange, autopilot, trading)
    pricer = build_pricer(settings, market, exchange, feed)
    status = build_status(settings, exchange, clock, db, breaker, trading, modules, feed, lifecycle, evidence,
                          autopilot, market_data=lambda: market_data_state(live_feed))
    start_executions(settings, exchange, trading, lambda: status.changed(True), lease is not None,
                     lifecycle.keep)  # issue 21: fills pushed by Kraken's executions socket (live owner only)
    dispatcher = build_dispatcher(settings, db, kv, clock, notifier, exchange, market, trading, status, learning,
                                  modules, candles, feed, ServantAnswers(settings, plain, clock, kv),
                                  book=book_quote(live_feed))
    channels = build_channels(settings, dispatcher, notifier)
    scheduler = build_scheduler(JobParts(settings, db, kv, clock, notifier, trading, autopilot, take_profit, status,
                                         dispatcher.services, learning, modules, feed, replay, pricer, evidence),
                                lock)
    zyn = Zyn(settings=settings, clock=clock, db=db, kv=kv, market=market, exchange=exchange, feed=feed,
              candles=candles, breaker=breaker, notifier=notifier, storage=storage, trading=trading,
              take_profit=take_profit,
              learning=learning, modules=modules, autopilot=autopilot, evidence=evidence, replay=replay, pricer=pricer,
              status=status,
              dispatcher=dispatcher, channels=channels, scheduler=scheduler, lease=lease, lifecycle=lifecycle)
    logger.bind(**settings.redacted()).info("zyn built")
    return zyn
