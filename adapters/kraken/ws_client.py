"""One WebSocket v2 connection to Kraken (or the sim), kept open in a thread: connect, subscribe,
read, and on any trouble reconnect with backoff and subscribe everything again.

Why a thread with the `websockets` sync client: the rest of Zyn is threaded (APScheduler jobs,
waitress); one reader thread per connection needs no event loop shared with anything else.
Trouble is: the connection refused or closed, an error frame, or silence — Kraken sends a
`heartbeat` every second on a subscribed connection, so nothing at all for `stall_s` means a
stalled socket; it is closed and opened again. Backoff doubles from `backoff_s` to
`max_backoff_s` and starts over once a connection has delivered data. Every message (heartbeats
included) stamps `last_message_at`; `alive()` is what the watchdog probes and what decides
between the socket and REST polling.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from itertools import count
from typing import Any

from loguru import logger
from websockets.sync.client import ClientConnection, connect

log = logger.bind(component="kraken_ws")
Handler = Callable[[dict[str, Any]], None]
Requests = Callable[[], list[dict[str, Any]]]
BOOK_MARK = '"book"'  # a message of the book channel (the only one read with Decimals)


class KrakenSocket:
    def __init__(
        self,
        url: str,
        subscriptions: Requests,
        on_message: Handler,
        *,
        stall_s: float = 10.0,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        open_timeout_s: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
        on_closed: Callable[[], None] | None = None,
    ) -> None:
        """`on_closed`: called (on the socket's thread) each time a connection that was open ends."""
        self.url = url
        self._on_closed = on_closed
        self._subscriptions, self._on_message = subscriptions, on_message
        self._stall_s, self._backoff_s, self._max_backoff_s = stall_s, backoff_s, max_backoff_s
        self._open_timeout_s = open_timeout_s
        self._monotonic = monotonic
        self._pending: list[dict[str, Any]] = []  # requests for the live connection (new pairs)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: ClientConnection | None = None
        self._req_ids = count(1)
        self.last_message_at: float | None = None
        self.connected_at: float | None = None
        self.connects = 0
        self.last_error = ""
        self._delivered = False
        self._opened = False  # the current session's connection was established

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="kraken-ws", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._close_conn()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)

    def reconnect(self) -> None:
        """Drop the connection now (the watchdog's restart); the thread opens a new one."""
        self._close_conn()
        self._wake.set()
        self.start()

    def send(self, request: dict[str, Any]) -> None:
        """Send on the live connection (or with the next subscriptions when there is none)."""
        with self._lock:
            self._pending.append(request)

    def request_id(self) -> int:
        return next(self._req_ids)

    def alive(self) -> bool:
        """Connected, and a message (a heartbeat at least) within `stall_s`."""
        at = self.last_message_at
        return self._conn is not None and at is not None and self._monotonic() - at < self._stall_s

    # ------------------------------------------------------------------ the thread
    def _run(self) -> None:
        delay = self._backoff_s
        while not self._stop.is_set():
            self._delivered = False
            try:
                self._session()
            except Exception as exc:  # noqa: BLE001 - network, protocol, or the token/subscription call: retry
                self.last_error = f"{type(exc).__name__}: {exc}"[:200]
                log.bind(url=self.url, error=type(exc).__name__).warning("market socket lost: {}", self.last_error)
            finally:
                was_open, self._opened = self._opened, False
                self._close_conn()
                if was_open and self._on_closed is not None:
                    try:
                        self._on_closed()
                    except Exception:  # a bug in the listener must not stop the reconnects
                        log.exception("socket closed listener failed")
            if self._stop.is_set():
                break
            delay = self._backoff_s if self._delivered else min(delay * 2, self._max_backoff_s)
            self._wake.clear()
            self._wake.wait(delay)

    def _session(self) -> None:
        conn = connect(self.url, open_timeout=self._open_timeout_s, close_timeout=2, max_size=2**24)
        self._conn = conn
        self._opened = True
        self.connects += 1
        self.connected_at = self._monotonic()
        self.last_message_at = self._monotonic()
        log.bind(url=self.url, connects=self.connects).info("market socket connected")
        with self._lock:
            self._pending.clear()  # a fresh connection gets the whole subscription list below
        for request in self._subscriptions():
            conn.send(json.dumps(request))
        while not self._stop.is_set():
            with self._lock:
                pending, self._pending = self._pending, []
            for request in pending:
                conn.send(json.dumps(request))
            try:
                raw = conn.recv(timeout=0.25)
            except TimeoutError:
                if self._monotonic() - (self.last_message_at or 0.0) >= self._stall_s:
                    raise TimeoutError(f"no message for {self._stall_s:g}s (stalled)") from None
                continue
            self.last_message_at = self._monotonic()
            try:  # book levels as Decimals: their checksum is over the wire's digits (ws_book)
                message = json.loads(raw, parse_float=Decimal) if BOOK_MARK in raw else json.loads(raw)
            except ValueError:
                log.warning("market socket: a message that is not JSON was skipped")
                continue
            if isinstance(message, dict):
                if message.get("channel") not in (None, "heartbeat", "status"):
                    self._delivered = True
                self._handle(message)

    def _handle(self, message: dict[str, Any]) -> None:
        try:
            self._on_message(message)
        except Exception:  # a bug in one message's handling must not cut the market data
            log.exception("market socket: handling a {} message failed", message.get("channel"))

    def _close_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception as exc:  # noqa: BLE001 - closing a broken socket may fail; it is gone either way
                log.bind(error=type(exc).__name__).debug("market socket close: {}", exc)
