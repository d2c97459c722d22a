"""Wires the advanced modules (issue 9): feature flags, entry rules (mtf, profit target, sessions),
the universe and the watchdog. Part of the composition root (bot/app.py).

Why its own file: the modules are optional add-ons built in parallel with the core; the rest of
the wiring only passes `zyn.modules.rules` to the autopilot and asks `zyn.modules` for status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loguru import logger

from core.domain import ZynError
from core.entry_rules import EntryRules
from core.features import FeatureSwitch
from core.profit_target import DailyTarget
from core.telemetry.kv import KeyValueStore

if TYPE_CHECKING:
    from bot.app import Zyn

TARGET_PCT_KEY = "features:profit_target_pct"
TARGET_STATE_KEY = "features:profit_target_state"


@dataclass
class Modules:
    features: FeatureSwitch
    rules: EntryRules
    kv: KeyValueStore
    universe: Any = None  # core.universe.UniverseService when the exchange can list its pairs
    universe_at_ms: int | None = None  # last refresh (the job runs every minute, refreshes when stale)
    watchdog: Any = None  # scheduler.watchdog.Watchdog in `zyn run`

    def target_pct(self) -> float:
        raw = self.kv.get(TARGET_PCT_KEY)
        try:
            return float(raw) if raw else self.rules.target.pct
        except ValueError:
            return self.rules.target.pct

    def set_target_pct(self, pct: float) -> None:
        self.kv.set(TARGET_PCT_KEY, repr(pct))
        self.rules.target.pct = pct

    def universe_rows(self) -> list[dict[str, Any]]:
        return universe_rows(self)

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


def build_modules(zyn: Zyn) -> Modules:
    s = zyn.settings
    ms = s.modules
    features = FeatureSwitch(ms.features, zyn.kv)
    state = zyn.kv.get_json(TARGET_STATE_KEY, {}) or {}
    target = DailyTarget(ms.profit_target_pct, ms.profit_target_action,
                         reached_day=state.get("reached_day") if isinstance(state, dict) else None)
    modules_ref: list[Modules] = []

    def save(t: DailyTarget) -> None:
        zyn.kv.set_json(TARGET_STATE_KEY, {"reached_day": t.reached_day})

    rules = EntryRules(s.timeframe, features.enabled, target=target, sessions=ms.sessions,
                       mtf_timeframes=ms.mtf_timeframes, on_change=save,
                       target_pct=lambda: modules_ref[0].target_pct())
    modules = Modules(features, rules, zyn.kv)
    modules_ref.append(modules)
    modules.universe = build_universe(zyn)
    modules.watchdog = build_watchdog(zyn, modules)
    return modules


def build_universe(zyn: Zyn) -> Any:
    """The universe over the exchange's own pair list: Kraken (one batched Ticker) or, in paper
    mode, the paper account's markets with figures from the candles. None without market data."""
    from core.universe import UniverseService

    s = zyn.settings
    cfg = s.modules.universe
    feed = zyn.feed

    def history(pair: str) -> int:
        return len(feed.closed_candles(pair, s.timeframe, cfg.min_history)) if feed is not None else 0

    if s.mode != "paper":
        from adapters.kraken.universe import KrakenUniverseSource

        exchange: Any = zyn.exchange
        return UniverseService(KrakenUniverseSource(exchange.ccxt, exchange.guard.read), cfg, history)
    if feed is None:
        return None
    from core.universe_candles import CandleUniverseSource

    return UniverseService(CandleUniverseSource(zyn.exchange.load_markets(), feed, s.timeframe), cfg, history)


def refresh_universe(zyn: Zyn) -> tuple[str, ...]:
    """The scheduled job: with `universe` on, the autopilot trades the filtered universe (plus held
    pairs); switched off, it goes back to ZYN_PAIRS."""
    modules: Modules = zyn.modules
    if not modules.features.enabled("universe") or modules.universe is None:
        return tuple(zyn.autopilot.set_pairs(zyn.settings.pairs))
    now = zyn.clock.now_ms()
    stale_ms = zyn.settings.modules.universe.refresh_minutes * 60_000
    if modules.universe_at_ms is None or now - modules.universe_at_ms >= stale_ms:
        try:
            modules.universe.refresh()
        except ZynError as exc:  # keep the last universe; retried next minute without an alert each time
            logger.bind(action="universe").warning("universe refresh failed; keeping the last one: {}", exc)
            if not modules.universe.refreshed:
                return tuple(zyn.autopilot.set_pairs(zyn.settings.pairs))
        else:
            modules.universe_at_ms = now
    return tuple(zyn.autopilot.set_pairs(modules.universe.pairs()))


def module_jobs(zyn: Zyn) -> list[Any]:
    from scheduler.runner import JobSpec, every

    if zyn.modules is None or zyn.modules.universe is None:
        return []
    return [JobSpec("universe", lambda: refresh_universe(zyn), every(60))]


def universe_rows(modules: Modules) -> list[dict[str, Any]]:
    """Every pair with in/out and the reason (refreshed now if it never was). UserError without data."""
    from core.domain import UserError

    if modules.universe is None:
        raise UserError("no universe here: there is no market data to rank pairs by (no feed)")
    return [r.to_dict() for r in modules.universe.rows()]


def build_watchdog(zyn: Zyn, modules: Modules) -> Any:
    """The watchdog (not started): the feed is wrapped to beat it; jobs are wrapped by the
    scheduler wiring; `start_watchdog` adds the Telegram poller and starts the thread."""
    from core.domain import Event
    from scheduler.watchdog import Watchdog
    from scheduler.watched import WatchedFeed

    def notify(text: str) -> None:
        zyn.notifier.notify(Event("watchdog", text))

    wd = Watchdog(notify=notify, on_fatal=_exit_process, active=lambda: modules.features.enabled("watchdog"))
    if zyn.feed is not None and zyn.market.kind == "live":
        zyn.feed = WatchedFeed(zyn.feed, wd)
        wd.register("feed", "feed", 150.0, expected=lambda: _owner(zyn))
    return wd


def _restart_scheduler(zyn: Zyn) -> None:
    if zyn.scheduler is not None:
        zyn.scheduler.restart()


def _owner(zyn: Zyn) -> bool:
    return bool(zyn.scheduler is not None and zyn.scheduler.state().get("owner"))


def _exit_process(reason: str) -> None:
    """Cannot heal: stop `zyn run` the way Ctrl-C does (its SIGTERM handler closes the server);
    `zyn run` then exits non-zero (watchdog_exit_code) and the supervisor starts a fresh process."""
    import os
    import signal

    del reason
    os.kill(os.getpid(), signal.SIGTERM)


def watch_scheduler_jobs(zyn: Zyn, jobs: list[Any]) -> list[Any]:
    from scheduler.watched import watch_jobs

    modules: Modules | None = zyn.modules
    if modules is None or modules.watchdog is None:
        return jobs
    return watch_jobs(modules.watchdog, jobs, restart=lambda: _restart_scheduler(zyn),
                      expected=lambda: _owner(zyn))


def start_watchdog(zyn: Zyn) -> None:
    modules: Modules | None = zyn.modules
    if modules is None or modules.watchdog is None:
        return
    wd = modules.watchdog
    telegram = zyn.channels.get("telegram")
    if telegram is not None:
        watch_telegram(wd, telegram)
    wd.start()


def watch_telegram(wd: Any, telegram: Any) -> None:
    """The poller is probed (getMe on its own loop) and restarted (stop + start) when it fails.
    Not critical: an unreachable Telegram is retried with backoff forever, never a process exit."""

    def restart_telegram() -> None:
        telegram.stop(5.0)
        telegram.start(15.0)

    wd.register("telegram", "poller", 60.0, probe=telegram.healthy, restart=restart_telegram)


def stop_watchdog(zyn: Zyn) -> None:
    if zyn.modules is not None and zyn.modules.watchdog is not None:
        zyn.modules.watchdog.stop()


def watchdog_exit_code(zyn: Zyn) -> int:
    """3 when the watchdog gave up (so systemd's Restart=on-failure restarts Zyn), else 0."""
    wd = zyn.modules.watchdog if zyn.modules is not None else None
    return 3 if wd is not None and wd.failed else 0
