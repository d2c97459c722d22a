"""The composition root: reads settings once, builds every object, wires them explicitly.

Nothing else in Zyn constructs a service or reads the environment; no module-level singletons,
no I/O at import time. `build_zyn` is used by `zyn run`, every CLI command and the tests.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

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
    trading: Any = None
    autopilot: Any = None
    status: Any = None
    notifier: Any = None
    dispatcher: Any = None
    learner: Any = None
    analyzer: Any = None
    replay: Any = None
    take_profit: Any = None
    pricer: LivePaperPricer | None = None
    scheduler: Any = None
    channels: dict[str, Any] = field(default_factory=dict)
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
        self._started = True

    def channel_state(self) -> dict[str, Any]:
        """Each channel: "up", or "retrying" with the last start error (for /healthz and status)."""
        out: dict[str, Any] = {name: {"state": "up"} for name in self.channels}
        out.update({name: sup.state() for name, sup in self.supervisors.items()})
        return out

    def close(self) -> None:
        for supervisor in self.supervisors.values():
            supervisor.stop()
        if self._prober is not None:
            self._prober.stop()
        for name, channel in self.channels.items():
            stop = getattr(channel, "stop", None)
            if callable(stop):
                try:
                    stop()
                except Exception:
                    logger.bind(channel=name).exception("channel stop failed")
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.notifier is not None:
            self.notifier.close()
        persist_replay_clock(self.kv, self.clock)
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
        if paused is None and self.feed is None:
            paused = "no market data (Kraken unreachable and no PAPER_DATA)"
        running = self._scheduler_somewhere() and paused is None
        return {"running": running, "paused_reason": paused}

    def _scheduler_somewhere(self) -> bool:
        """This process's scheduler, or another `zyn run` on the same database (e.g. for `zyn chat`)."""
        if self.scheduler_state().get("running"):
            return True
        from core.clock import RealClock
        from scheduler.lock import lease_alive

        try:
            return lease_alive(self.db, RealClock())
        except Exception:
            logger.bind(check="scheduler_lease").exception("cannot read the scheduler lease")
            return False

    def kill_switch_state(self) -> dict[str, Any]:
        guard = self.trading.state.guard
        return {"tripped": self.trading.halted(), "daily_pnl": round(guard.daily_pnl(), 2), "limit": guard.limit}

    def describe(self) -> dict[str, Any]:
        return {"feed": self.market.kind, "pairs": list(self.settings.pairs), "timeframe": self.settings.timeframe}

    def relearn(self) -> dict[str, Any]:
        if self.learner is None:
            return {"text": "learning is not available"}
        now = self.clock.now_ms()
        history = self._history_before(now)
        if not getattr(self.learner, "version", 0) and history:
            changes = dict(self.learner.bootstrap_from_backtest(self.db, history, self.settings.timeframe, now_ms=now))
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


def build_zyn(settings: Settings, *, clock: Clock | None = None, host: str = "127.0.0.1") -> Zyn:
    from bot.wiring_services import wire_services

    db = make_engine(settings.database_url)
    kv = KeyValueStore(db)
    market = choose_market(settings, kv, clock)
    alerts = _Forward()
    breaker = CircuitBreaker(market.clock, on_change=alerts)
    exchange = build_exchange(settings, db, market, breaker)
    feed = build_feed(settings, market, exchange)
    zyn = Zyn(settings, market.clock, db, kv, exchange, feed, breaker, market)
    wire_services(zyn, host=host)
    alerts.target = zyn.breaker_listener  # type: ignore[attr-defined]
    logger.bind(**settings.redacted()).info("zyn built")
    return zyn


class _Forward:
    """Lets the breaker (built first) report to the notifier (built later)."""

    target: Any = None

    def __call__(self, old: str, new: str) -> None:
        if self.target is not None:
            self.target(old, new)


def load_env_settings() -> Settings:
    """Environment first, then `.env` for what the environment does not set."""
    from dotenv import dotenv_values

    env: dict[str, str] = {}
    if os.path.exists(".env"):
        env.update({k: v for k, v in dotenv_values(".env").items() if v is not None})
    env.update(os.environ)
    return load_settings(env)


def build_zyn_from_env(*, background: bool = False, host: str = "127.0.0.1") -> Zyn:
    del background  # the scheduler is started by Zyn.start(), only in `zyn run`
    return build_zyn(load_env_settings(), host=host)
