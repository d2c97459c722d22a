"""The composition root: reads settings once, builds every object, wires them explicitly.

Nothing else in Zyn constructs a service or reads the environment; no module-level singletons,
no I/O at import time. `build_zyn` is used by `zyn run`, every CLI command and the tests.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loguru import logger
from sqlalchemy.engine import Engine

from bot.wiring_market import (
    LivePaperPricer,
    MarketWiring,
    build_exchange,
    build_feed,
    choose_market,
    persist_replay_clock,
)
from core.circuit_breaker import CircuitBreaker
from core.config import Settings, load_settings
from core.ports import Clock, Exchange, MarketFeed
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore

if TYPE_CHECKING:
    from bot.dispatcher import Dispatcher
    from bot.notifier import Notifier
    from core.analyzer import TradeAnalyzer
    from core.learner import Learner
    from core.status import StatusService
    from core.trading.autopilot import Autopilot
    from core.trading.replay import ReplayDriver
    from core.trading.service import TradingService
    from core.trading.take_profit import TakeProfitWatcher
    from scheduler.lock import SchedulerLock
    from scheduler.runner import ZynScheduler


@dataclass
class Zyn:
    settings: Settings
    clock: Clock
    db: Engine
    kv: KeyValueStore
    exchange: Exchange
    feed: MarketFeed | None
    breaker: CircuitBreaker
    market: MarketWiring
    # Built by bot/wiring_services.py right after this object (they need its parts).
    trading: TradingService = field(init=False)
    autopilot: Autopilot = field(init=False)
    status: StatusService = field(init=False)
    notifier: Notifier = field(init=False)
    dispatcher: Dispatcher = field(init=False)
    take_profit: TakeProfitWatcher = field(init=False)
    breaker_listener: Callable[[str, str], None] | None = None
    learner: Learner | None = None
    analyzer: TradeAnalyzer | None = None
    replay: ReplayDriver | None = None
    pricer: LivePaperPricer | None = None
    scheduler: ZynScheduler | None = None
    modules: Any = None  # bot.wiring_modules.Modules: feature flags, entry rules, universe, watchdog
    channels: dict[str, Any] = field(default_factory=dict)  # telegram also has start()/stop()
    lease: SchedulerLock | None = None  # held by this process (zyn run, or a terminal command owning)
    supervisors: dict[str, Any] = field(default_factory=dict)
    storage: Any = None  # core.telemetry.storage_health.StorageHealth
    reconciling: bool = False  # set by start() while it reconciles (the web already serves)
    _prober: Any = None
    _started: bool = False

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Reconcile with the exchange, then start the scheduler and pollers (zyn run only)."""
        from bot.wiring_jobs import build_scheduler

        self.reconciling = True
        try:
            self.reconcile()
        finally:
            self.reconciling = False
        self.scheduler = build_scheduler(self)
        self.scheduler.start()
        if self.storage is not None:
            from bot.storage_probe import StorageProber

            self._prober = StorageProber(self.storage, self.db)
            self._prober.start()
        telegram = self.channels.get("telegram")
        if telegram is not None:  # in the background: trading never waits for a chat channel
            from bot.channel_supervisor import ChannelSupervisor

            self.supervisors["telegram"] = ChannelSupervisor("telegram", telegram, self.notifier)
            self.supervisors["telegram"].start()
        from bot.wiring_modules import start_watchdog

        start_watchdog(self)  # heartbeats, restarts, one notice (issue 9)
        self._started = True

    def channel_state(self) -> dict[str, Any]:
        """Each channel: "up", or "retrying" with the last start error (for /healthz and status)."""
        out: dict[str, Any] = {name: {"state": "up"} for name in self.channels}
        out.update({name: sup.state() for name, sup in self.supervisors.items()})
        return out

    def close(self) -> None:
        from bot.wiring_modules import stop_watchdog

        stop_watchdog(self)
        for supervisor in self.supervisors.values():
            supervisor.stop()
        if self._prober is not None:
            self._prober.stop()
        owner = self.lease is None or self.lease.still_valid_locally()
        for name, channel in self.channels.items():
            stop = getattr(channel, "stop", None)
            if callable(stop):
                try:
                    stop()
                except Exception:
                    logger.bind(channel=name).exception("channel stop failed")
        if self.scheduler is not None:
            self.scheduler.stop(release=self.lease is None)
        if self.notifier is not None:
            self.notifier.close()
        if owner:
            persist_replay_clock(self.kv, self.clock)  # only the owner's clock is the replay's time
        if self.lease is not None:  # last: the next owner must find the clock already saved
            self.lease.release()
        self.db.dispose()

    def reconcile(self) -> dict[str, Any]:
        from core.trading.reconcile import Reconciler

        try:
            report = Reconciler(self.trading).run()
        except Exception as exc:  # an unreachable exchange must not stop chat and status
            logger.bind(step="reconcile").exception("reconcile failed; will retry on the next sync")
            return {"error": f"{type(exc).__name__}"}
        logger.bind(step="reconcile", actions=len(report.actions), problems=len(report.problems)).info(report.text())
        return {"actions": report.actions, "problems": report.problems, "text": report.text()}

    # ----------------------------------------------------------------- views
    def scheduler_state(self) -> dict[str, Any]:
        if self.scheduler is None:
            return {"running": False, "owner": False}
        return dict(self.scheduler.state())

    def feed_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"kind": self.market.kind, "note": self.market.note}
        if self.replay is not None:
            state["sim_time_ms"] = self.clock.now_ms()
            state["done"] = self.replay.done
        return state

    def autopilot_state(self) -> dict[str, Any]:
        paused = self.trading.paused_reason if self.trading is not None else None
        if paused is None and self.reconciling:
            paused = "reconciling with the exchange after a start"
        if paused is None and self.trading is not None and self.trading.halted():
            paused = "daily loss kill-switch (until the next UTC day or resume)"
        if paused is None and self.modules is not None:
            paused = self.modules.entries_stopped(self.clock.now_ms())
        if paused is None and self.feed is None:
            paused = "no market data (Kraken unreachable and no PAPER_DATA)"
        scheduled = bool(self.scheduler_state().get("running"))
        if paused is None and not scheduled:
            # Other processes ask the owner for status, so a Zyn without a scheduler answering
            # here is a terminal command owning the money for a moment: nothing trades meanwhile.
            paused = "the autopilot runs only in `zyn run`, which is not running"
        return {"running": scheduled and paused is None, "paused_reason": paused}

    def kill_switch_state(self) -> dict[str, Any]:
        guard = self.trading.state.guard
        return {"tripped": self.trading.halted(), "daily_pnl": round(guard.daily_pnl(), 2), "limit": guard.limit}

    def dashboard_settings(self) -> list[tuple[str, str]]:
        """The owner's settings for the dashboard (the web adapter must not import bot)."""
        from bot.owner_settings import dashboard_rows

        return dashboard_rows(self.kv, self.settings.tz)

    def equity_chart_svg(self, points: list[tuple[int, float]]) -> str:
        """The dashboard's equity chart: the same matplotlib drawing as the chat's PNGs."""
        from bot.charts import equity_curve_svg

        return equity_curve_svg(points)

    def describe(self) -> dict[str, Any]:
        return {"feed": self.market.kind, "pairs": list(self.settings.pairs), "timeframe": self.settings.timeframe}

    def relearn(self) -> dict[str, Any]:
        if self.learner is None:
            return {"text": "learning is not available"}
        now = self.clock.now_ms()
        history = self._history_before(now)
        if not getattr(self.learner, "version", 0) and history:
            from core.pair_backtest import PairBacktest
            from core.strategy_port import strategy_named

            port = PairBacktest(strategy_named(self.settings.strategy))
            changes = dict(self.learner.bootstrap_from_backtest(self.db, history, self.settings.timeframe, now_ms=now,
                                                                backtest=port))
        else:
            changes = dict(self.learner.relearn(self.db, now_ms=now))
        return changes

    def _history_before(self, now_ms: int) -> dict[str, Any]:
        """Candles that closed before now, for bootstrapping the learner from a backtest.

        Only the past: in a replay, the learner must not learn from candles still to come."""
        from core.market_data.resample import resample
        from core.timeframes import timeframe_ms

        out: dict[str, Any] = {}
        for pair, (tf, candles) in self.market.dataset.items():
            past = [c for c in candles if c.ts + timeframe_ms(tf) <= now_ms]
            bars = resample(past, tf, self.settings.timeframe)
            if len(bars) > 200:
                out[pair] = bars
        return out


def build_zyn(
    settings: Settings, *, clock: Clock | None = None, host: str = "127.0.0.1", db: Engine | None = None,
    lease: SchedulerLock | None = None,
) -> Zyn:
    """Everything, wired. `lease`: the SchedulerLock this process already holds (it then owns the
    money; the scheduler renews that same lease). Build only while holding it in a real process."""
    from bot.wiring_services import wire_services

    db = db if db is not None else make_engine(settings.database_url)
    kv = KeyValueStore(db)
    market = choose_market(settings, kv, clock)
    alerts = _Forward()
    breaker = CircuitBreaker(market.clock, on_change=alerts)
    exchange = build_exchange(settings, db, market, breaker)
    feed = build_feed(settings, market, exchange)
    zyn = Zyn(settings, market.clock, db, kv, exchange, feed, breaker, market, lease=lease)
    wire_services(zyn, host=host)
    alerts.target = zyn.breaker_listener
    logger.bind(**settings.redacted()).info("zyn built")
    return zyn


class _Forward:
    """Lets the breaker (built first) report to the notifier (built later)."""

    target: Any = None

    def __call__(self, old: str, new: str) -> None:
        if self.target is not None:
            self.target(old, new)


def load_env() -> dict[str, str]:
    """Environment first, then `.env` for what the environment does not set."""
    from dotenv import dotenv_values

    env: dict[str, str] = {}
    if os.path.exists(".env"):
        env.update({k: v for k, v in dotenv_values(".env").items() if v is not None})
    env.update(os.environ)
    return env


def load_env_settings() -> Settings:
    return load_settings(load_env())


def pairs_set_explicitly() -> bool:
    """Whether jimmy named the pairs (ZYN_PAIRS in the environment or .env), so they are checked."""
    return bool(load_env().get("ZYN_PAIRS", "").strip())


def build_zyn_from_env(*, background: bool = False, host: str = "127.0.0.1") -> Zyn:
    del background  # the scheduler is started by Zyn.start(), only in `zyn run`
    return build_zyn(load_env_settings(), host=host)
