"""Alerts to the owner on every configured channel (implements `core.ports.Notifier`).

Why one worker thread per channel: `notify` is called from inside the trading service (under the
money lock), the scheduler and the web threads, so it must never wait on Telegram, Slack or
Twilio. Each channel gets its own single-thread queue — alerts stay in order per channel, and a
channel that fails or hangs never delays or blocks the others. Every failure is logged and
written as an ErrorRow; every alert sent is stored as an outgoing MessageRow.
Per-event on/off settings live in the kv table (`set alerts EVENT on|off`), default on; during
the owner's quiet hours only safety alerts (stop hit or failed, naked position, kill-switch,
flatten, circuit breaker, errors incl. storage faults, watchdog) go out at once. The others are
deferred, not dropped: kept in the database (`bot/alerts/alert_digest.py`, so a restart loses none) and
sent as one digest when quiet hours end — by the scheduler's `alert_digest` job every minute, or
before the next alert, whichever comes first.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from zoneinfo import ZoneInfo

from loguru import logger
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.alerts.alert_digest import DeferredAlerts, digest_event
from bot.owner.settings import OwnerSettings, in_quiet_hours
from core.domain import Event, UserError
from core.ports import Clock
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import ErrorRow, MessageRow

ALERT_EVENTS = (
    "trade_opened",
    "trade_closed",
    "stop_hit",
    "kill_switch",
    "circuit",
    "error",
    "daily_report",
    "weekly_report",
)
SAFETY_EVENTS = frozenset(  # sent at once even in quiet hours
    {"kill_switch", "circuit", "error", "stop_hit", "stop_failed", "naked_position", "stop_restored", "flatten",
     "watchdog"}
)
Sender = Callable[[str, bytes | None], object]  # return value ignored
MAX_ALERT_CHARS = 4000


def alert_key(kind: str) -> str:
    return f"alerts:{kind}"


def alert_enabled(kv: KeyValueStore, kind: str) -> bool:
    """Default on; only an explicit `off` mutes (unknown kinds always go out)."""
    return kv.get(alert_key(kind), "on") != "off"


def set_alert(kv: KeyValueStore, kind: str, on: bool) -> list[str]:
    """Switch one event kind (or `all`); returns the kinds changed. Unknown kind -> UserError."""
    kinds = list(ALERT_EVENTS) if kind == "all" else [kind]
    if kind != "all" and kind not in ALERT_EVENTS:
        raise UserError(f"unknown alert {kind[:30]!r}; choose one of: all, {', '.join(ALERT_EVENTS)}")
    for k in kinds:
        kv.set(alert_key(k), "on" if on else "off")
    return kinds


class Notifier:
    def __init__(
        self, kv: KeyValueStore, db: Engine, clock: Clock, *, send_timeout_s: float = 30.0, tz: str = "UTC"
    ) -> None:
        self._kv, self._db, self._clock, self._tz = kv, db, clock, tz
        self._timeout = send_timeout_s
        self._senders: dict[str, Sender] = {}
        self._pools: dict[str, ThreadPoolExecutor] = {}
        self._lock = threading.Lock()
        self._deferred = DeferredAlerts(db, clock)

    def register(self, name: str, send: Sender) -> None:
        """Add (or replace) a channel's sender: `send(text, image_png_or_None)`; it may raise."""
        with self._lock:
            self._senders[name] = send
            if name not in self._pools:
                self._pools[name] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"notify-{name}")
        logger.bind(channel=name).info("notifier channel registered")

    def unregister(self, name: str) -> None:
        with self._lock:
            self._senders.pop(name, None)
            pool = self._pools.pop(name, None)
        if pool is not None:
            pool.shutdown(wait=False)

    @property
    def channels(self) -> list[str]:
        with self._lock:
            return sorted(self._senders)

    def enabled(self, kind: str) -> bool:
        return alert_enabled(self._kv, kind)

    def notify(self, event: Event) -> None:
        """Queue the event on every channel and return at once (core.ports.Notifier)."""
        self._submit(event)

    def deliver(self, event: Event, timeout_s: float | None = None) -> dict[str, bool]:
        """Send and wait: {channel: delivered}. A channel still busy after the timeout counts as failed."""
        results: dict[str, bool] = {}
        for name, future in self._submit(event).items():
            try:
                results[name] = future.result(timeout=self._timeout if timeout_s is None else timeout_s)
            except FutureTimeout:
                self._record_error(name, "send timed out")
                results[name] = False
        return results

    def flush(self, timeout_s: float = 10.0) -> None:
        """Wait until every queued alert has been attempted (tests, shutdown)."""
        with self._lock:
            pools = list(self._pools.values())
        for future in [p.submit(lambda: None) for p in pools]:
            future.result(timeout=timeout_s)

    def close(self) -> None:
        with self._lock:
            pools, self._pools, self._senders = list(self._pools.values()), {}, {}
        for pool in pools:
            pool.shutdown(wait=True, cancel_futures=False)

    def in_quiet_hours(self) -> bool:
        """Inside the owner's quiet hours (`set quiet hours 22:00-07:00`, in the owner's zone)?"""
        owner = OwnerSettings(self._kv, self._tz)
        local = datetime.fromtimestamp(self._clock.now_ms() / 1000, tz=ZoneInfo(owner.tz()))
        return in_quiet_hours(owner.quiet_hours(), local.strftime("%H:%M"))

    def release_deferred(self) -> dict[str, Future[bool]]:
        """Outside quiet hours: send everything held back as ONE digest (claimed first, so it
        goes out once however many callers race). The scheduler calls this every minute."""
        with self._lock:
            nobody = not self._senders  # e.g. channels still starting: keep the rows for later
        if nobody or self.in_quiet_hours():
            return {}
        rows = self._deferred.claim()
        if not rows:
            return {}
        owner = OwnerSettings(self._kv, self._tz)
        event = digest_event(rows, owner.tz(), owner.quiet_hours())
        logger.bind(kind=event.kind, alerts=len(rows)).info("quiet hours over: digest of held-back alerts")
        return self._fan_out(event, event.text)

    def _submit(self, event: Event) -> dict[str, Future[bool]]:
        if not self.enabled(event.kind):
            logger.bind(kind=event.kind).info("alert muted by settings")
            return {}
        if event.kind not in SAFETY_EVENTS and self.in_quiet_hours():
            row_id = self._deferred.hold(event)
            logger.bind(kind=event.kind, deferred_id=row_id).info("alert deferred: quiet hours")
            return {}
        if event.kind not in SAFETY_EVENTS:
            self.release_deferred()  # what waited since the night goes out before the news
        text = event.text if len(event.text) <= MAX_ALERT_CHARS else event.text[: MAX_ALERT_CHARS - 1] + "…"
        return self._fan_out(event, text)

    def _fan_out(self, event: Event, text: str) -> dict[str, Future[bool]]:
        image = event.data.get("image_png")
        png = image if isinstance(image, bytes) else None
        with self._lock:
            targets = [(n, s, self._pools[n]) for n, s in self._senders.items()]
        return {
            name: pool.submit(self._send_one, name, send, event.kind, text, png)
            for name, send, pool in targets
        }

    def _send_one(self, name: str, send: Sender, kind: str, text: str, png: bytes | None) -> bool:
        try:
            send(text, png)
        except Exception as exc:  # one channel's failure must never reach the others or the caller
            logger.bind(channel=name, kind=kind).exception("alert failed")
            self._record_error(name, f"{type(exc).__name__}: {exc}")
            return False
        self._record_sent(name, text)
        logger.bind(channel=name, kind=kind).info("alert sent")
        return True

    def _record_sent(self, name: str, text: str) -> None:
        try:
            with Session(self._db) as s:
                s.add(
                    MessageRow(
                        ts_ms=self._clock.now_ms(), channel=name, user_id="alerts", direction="out", text=text
                    )
                )
                s.commit()
        except Exception:
            logger.bind(channel=name).exception("could not store sent alert")

    def _record_error(self, name: str, message: str) -> None:
        try:
            with Session(self._db) as s:
                s.add(
                    ErrorRow(
                        ts_ms=self._clock.now_ms(),
                        where=f"notifier:{name}",
                        kind="transient",
                        message=message[:500],
                    )
                )
                s.commit()
        except Exception:
            logger.bind(channel=name).exception("could not store notifier error")


# ---- event builder (the dispatcher's and the scheduler's error alerts) -----------------------


def error_event(where: str, message: str) -> Event:
    return Event("error", f"Error in {where}: {message[:300]}", {"where": where})
