"""Watchdog and self-healing (feature `watchdog`): heartbeats, restarts with backoff, one notice.

Why: a long-running trader dies quietly — a job hangs on a socket, the Telegram poller thread
ends, the market feed wedges — and nobody notices until money is lost. Every scheduled job,
channel poller and feed is a `Component` that beats (passively, on each good run) or is probed
(actively, e.g. Telegram's getMe on the poller's own loop). A component that misses its beats
or fails its probe is restarted with exponential backoff; the owner is told ONCE when it goes
down and ONCE when it recovers (not once a minute). A critical component that still cannot be
healed after `max_attempts` restarts calls `on_fatal`, which in `zyn run` stops the process with
a non-zero exit code so its supervisor (systemd `Restart=on-failure`) starts a fresh one; the
restart is safe because startup reconciles with the exchange before trading.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from loguru import logger

log = logger.bind(component="watchdog")
Notify = Callable[[str], None]


@dataclass
class Component:
    name: str
    kind: str  # job | poller | feed
    stall_after_s: float
    restart: Callable[[], None] | None = None
    probe: Callable[[], bool] | None = None  # active check; None = judged by beats
    expected: Callable[[], bool] | None = None  # False = not supposed to beat now (e.g. standby)
    critical: bool = False  # cannot heal -> the process exits non-zero
    last_beat: float = 0.0  # monotonic
    last_beat_ms: int | None = None  # wall clock, for /healthz
    running_since: float | None = None  # a job run in progress
    error: str = ""
    down: bool = False
    down_at: float = 0.0
    down_reason: str = ""
    attempts: int = 0
    restarts: int = 0
    next_try: float = 0.0


@dataclass
class Watchdog:
    notify: Notify
    on_fatal: Callable[[str], None]
    interval_s: float = 10.0  # also how often Telegram is probed (a getMe every 10 s)
    max_attempts: int = 5
    backoff_s: float = 5.0
    max_backoff_s: float = 300.0
    monotonic: Callable[[], float] = time.monotonic
    wall_ms: Callable[[], int] = field(default=lambda: int(time.time() * 1000))
    components: dict[str, Component] = field(default_factory=dict)
    failed: str = ""  # why the watchdog gave up (the process should exit non-zero)
    active: Callable[[], bool] = field(default=lambda: True)  # `set feature watchdog off` pauses it
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _checking: threading.Lock = field(default_factory=threading.Lock)  # one check at a time
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    # ---------------------------------------------------------------- components report here
    def register(self, name: str, kind: str, stall_after_s: float, **kw: Any) -> Component:
        comp = Component(name, kind, stall_after_s, **kw)
        comp.last_beat = self.monotonic()
        with self._lock:
            self.components[name] = comp
        return comp

    def beat(self, name: str) -> None:
        with self._lock:
            comp = self.components.get(name)
            if comp is not None:
                comp.last_beat, comp.last_beat_ms, comp.error = self.monotonic(), self.wall_ms(), ""
                comp.running_since = None

    def started(self, name: str) -> None:
        """A job run began (a hang is a run that never finishes)."""
        with self._lock:
            comp = self.components.get(name)
            if comp is not None:
                comp.running_since = self.monotonic()

    def fail(self, name: str, error: str) -> None:
        with self._lock:
            comp = self.components.get(name)
            if comp is not None:
                comp.error, comp.running_since = error[:200], None

    # ---------------------------------------------------------------- judging and healing
    def _problem(self, comp: Component, now: float) -> str | None:
        if comp.expected is not None and not comp.expected():
            comp.last_beat = now  # standing by: nothing to judge, and a fresh start when it owns
            return None
        if comp.probe is not None:
            try:
                ok = comp.probe()
            except Exception as exc:  # noqa: BLE001 - a failing probe is the finding
                ok, comp.error = False, f"{type(exc).__name__}: {exc}"[:200]
            if ok:
                self.beat(comp.name)
                return None
            return comp.error or "health probe failed"
        if comp.down and comp.last_beat <= comp.down_at:
            return comp.error or comp.down_reason  # back only after a real beat, not a restart
        if comp.error:
            return f"failing: {comp.error}"
        if now - min(comp.last_beat, comp.running_since or comp.last_beat) <= comp.stall_after_s:
            return None
        if comp.running_since is not None:
            return f"hung: a run has not finished for {now - comp.running_since:.1f}s"
        return f"no heartbeat for {now - comp.last_beat:.0f}s"

    def check_once(self) -> None:
        with self._checking:  # the thread and a caller (tests, CLI) must not notify twice
            self._check_all()

    def _check_all(self) -> None:
        now = self.monotonic()
        for comp in list(self.components.values()):
            problem = self._problem(comp, now)
            if problem is None:
                self._recovered(comp)
            else:
                self._unhealthy(comp, problem, now)
            if self.failed:
                return

    def _recovered(self, comp: Component) -> None:
        if not comp.down:
            return
        comp.down, comp.attempts, comp.next_try = False, 0, 0.0
        text = f"{comp.name} recovered" + (f" after {comp.restarts} restart(s)" if comp.restarts else "")
        log.bind(part=comp.name).info(text)
        self.notify(f"Watchdog: {text}.")

    def _unhealthy(self, comp: Component, problem: str, now: float) -> None:
        if not comp.down:
            comp.down, comp.down_reason, comp.next_try, comp.down_at = True, problem, now, now
            action = "restarting it" if comp.restart is not None else "waiting for it to come back"
            log.bind(part=comp.name, problem=problem).warning("{} is down; {}", comp.name, action)
            self.notify(f"Watchdog: {comp.name} ({comp.kind}) is down — {problem}; {action}. "
                        "I'll tell you when it is back.")
        if comp.restart is None or now < comp.next_try:
            return
        if comp.critical and comp.attempts >= self.max_attempts:
            self._give_up(comp, problem)
            return
        comp.attempts += 1
        comp.next_try = now + min(self.backoff_s * 2 ** (comp.attempts - 1), self.max_backoff_s)
        self._restart(comp)

    def _restart(self, comp: Component) -> None:
        assert comp.restart is not None  # noqa: S101 - checked by the caller
        try:
            comp.restart()
            comp.restarts += 1
            comp.running_since, comp.error = None, ""
            log.bind(part=comp.name, attempt=comp.attempts).info("restarted {}", comp.name)
        except Exception as exc:  # noqa: BLE001 - the next attempt comes after the backoff
            comp.error = f"restart failed: {type(exc).__name__}: {exc}"[:200]
            log.bind(part=comp.name, attempt=comp.attempts).warning("restart of {} failed: {}", comp.name, exc)

    def _give_up(self, comp: Component, problem: str) -> None:
        self.failed = f"{comp.name} could not be healed after {comp.attempts} restarts ({problem})"
        log.bind(part=comp.name).error("watchdog gives up: {}", self.failed)
        self.notify(f"Watchdog: {self.failed}. Exiting so the supervisor restarts me.")
        self.on_fatal(self.failed)

    # ---------------------------------------------------------------- the thread
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="zyn-watchdog", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                if not self.active():  # reads the feature switch: the database may be out (issue 19.3)
                    continue
                self.check_once()
            except Exception as exc:  # the watchdog itself must not die of one bad check
                log.warning("watchdog check failed: {}: {}", type(exc).__name__, str(exc)[:160])
            if self.failed:
                return

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return {
                c.name: {"kind": c.kind, "state": "down" if c.down else "ok", "last_heartbeat_ms": c.last_beat_ms,
                         "restarts": c.restarts, "problem": c.down_reason if c.down else ""}
                for c in self.components.values()
            }
