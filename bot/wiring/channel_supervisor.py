"""Start a polling channel (Telegram) in the background and keep retrying until it runs.

Why: trading must never wait for a chat channel. `zyn run` used to start Telegram after the
scheduler and exit 2 when Telegram was unreachable, taking the autopilot (and the stops it
manages) down with it. Now each pollable channel gets a supervisor thread: it tries to start the
channel, and on failure logs one line, takes the channel off the notifier (so alerts are not
queued at a dead channel), tells the owner on the channels that do work, and tries again with
backoff (5 s doubling to 5 min). When it comes up it is put back on the notifier and the owner
is told. `state()` is what `/healthz` shows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from loguru import logger

from core.domain import Event


class Startable(Protocol):
    def start(self) -> None: ...

    def send(self, text: str, image_png: bytes | None = None) -> Any: ...


class NotifierLike(Protocol):
    def register(self, name: str, send: Callable[[str, bytes | None], object]) -> None: ...

    def unregister(self, name: str) -> None: ...

    def notify(self, event: Event) -> None: ...


class ChannelSupervisor:
    """One channel's start-and-retry loop in a daemon thread; `stop()` ends it."""

    def __init__(
        self,
        name: str,
        channel: Startable,
        notifier: NotifierLike | None,
        *,
        first_delay_s: float = 5.0,
        max_delay_s: float = 300.0,
    ) -> None:
        self.name = name
        self._channel = channel
        self._notifier = notifier
        self._first, self._max = first_delay_s, max_delay_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {"state": "starting", "attempts": 0, "error": None}
        self._thread = threading.Thread(target=self._run, name=f"zyn-start-{name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 25.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def state(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state)

    def _set(self, **changes: Any) -> None:
        with self._lock:
            self._state.update(changes)

    def _run(self) -> None:
        delay = self._first
        down_told = False
        while not self._stop.is_set():
            attempts = self.state()["attempts"] + 1
            try:
                self._channel.start()
            except Exception as exc:  # any start failure: report, retry; never kill the process
                error = f"{type(exc).__name__}: {str(exc)[:200]}"
                self._set(state="retrying", attempts=attempts, error=error, retry_in_s=delay)
                logger.bind(channel=self.name, attempt=attempts, retry_in_s=delay).warning(
                    "{} could not start, retrying in the background: {}", self.name, error
                )
                if not down_told:
                    self._tell(f"{self.name.capitalize()} could not start ({error}); trading goes on, "
                               "and I keep retrying in the background.", unregister=True)
                    down_told = True
                if self._stop.wait(delay):
                    return
                delay = min(delay * 2, self._max)
                continue
            self._set(state="up", attempts=attempts, error=None, retry_in_s=None)
            logger.bind(channel=self.name, attempt=attempts).info("{} started", self.name)
            if self._notifier is not None:
                self._notifier.register(self.name, self._channel.send)
            if down_told:
                self._tell(f"{self.name.capitalize()} is connected again.", unregister=False)
            return

    def _tell(self, text: str, *, unregister: bool) -> None:
        if self._notifier is None:
            return
        try:
            if unregister:
                self._notifier.unregister(self.name)
            self._notifier.notify(Event("error", text, {"where": f"channel:{self.name}"}))
        except Exception:
            logger.bind(channel=self.name).exception("could not tell the owner about the channel")
