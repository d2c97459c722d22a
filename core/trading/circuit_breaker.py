"""A circuit breaker for calls to the exchange.

Why: when Kraken is down or rate-limiting us, hammering it with retries makes things worse and
floods the logs. After `failure_threshold` consecutive failed calls the breaker *opens*: calls are
refused at once (the adapter raises `ExchangeUnavailable`) until `reset_timeout_s` has passed on
the injected clock. Order sends are counted apart (`record_send_failure`): a look-up that
succeeds after a lost AddOrder answer must not hide that every send is failing, so only a
successful send resets that count (issue 18). Then it *half-opens* and lets exactly one
probe call through: success closes
it, failure re-opens it for another timeout. Time comes from a `Clock` so tests and replays
drive it with a `SimClock`. Thread-safe: the web thread and the scheduler share one breaker.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal

from core.ports import Clock

BreakerState = Literal["closed", "open", "half_open"]
StateListener = Callable[[str, str], None]


class CircuitBreaker:
    """closed -> (threshold failures) -> open -> (timeout) -> half_open -> closed | open."""

    def __init__(
        self,
        clock: Clock,
        failure_threshold: int = 5,
        reset_timeout_s: float = 30,
        on_change: StateListener | None = None,
    ) -> None:
        if failure_threshold < 1:
            raise ValueError("failure_threshold must be at least 1")
        self._clock = clock
        self._threshold = failure_threshold
        self._reset_ms = int(reset_timeout_s * 1000)
        self._on_change = on_change
        self._lock = threading.Lock()
        self._state: BreakerState = "closed"
        self._failures = 0
        self._send_failures = 0  # consecutive failed order sends; only a good send resets it
        self._opened_ms = 0
        self._probe_in_flight = False

    @property
    def state(self) -> BreakerState:
        """Current state; an open breaker whose timeout passed reports `half_open`."""
        with self._lock:
            changed = self._maybe_half_open()
            state = self._state
        self._notify(changed)
        return state

    @property
    def failures(self) -> int:
        with self._lock:
            return max(self._failures, self._send_failures)

    def allow(self) -> bool:
        """May a call go out now? In half_open only one probe is let through at a time."""
        with self._lock:
            changed = self._maybe_half_open()
            if self._state == "closed":
                allowed = True
            elif self._state == "half_open" and not self._probe_in_flight:
                self._probe_in_flight = True
                allowed = True
            else:
                allowed = False
        self._notify(changed)
        return allowed

    def record_success(self) -> None:
        """A call reached the exchange and got an answer: the service is healthy."""
        with self._lock:
            self._failures = 0
            self._probe_in_flight = False
            changed = self._set("closed")
        self._notify(changed)

    def record_send_success(self) -> None:
        """An order send was answered: the send count starts again (and the call succeeded)."""
        with self._lock:
            self._send_failures = 0
        self.record_success()

    def record_send_failure(self) -> None:
        """An order send failed transiently: counted apart, so read successes cannot reset it."""
        with self._lock:
            self._send_failures += 1
        self.record_failure()

    def record_failure(self) -> None:
        """A call failed transiently; open at the threshold, or again after a failed probe."""
        with self._lock:
            self._failures += 1
            self._probe_in_flight = False
            changed: tuple[str, str] | None = None
            worst = max(self._failures, self._send_failures)
            if self._state == "half_open" or (self._state == "closed" and worst >= self._threshold):
                self._opened_ms = self._clock.now_ms()
                changed = self._set("open")
        self._notify(changed)

    def snapshot(self) -> dict[str, object]:
        """What /healthz and the status snapshot show: `{"state": ..., "failures": ...}`."""
        state = self.state
        return {"state": state, "failures": self.failures}

    def _maybe_half_open(self) -> tuple[str, str] | None:
        if self._state == "open" and self._clock.now_ms() - self._opened_ms >= self._reset_ms:
            self._probe_in_flight = False
            return self._set("half_open")
        return None

    def _set(self, new: BreakerState) -> tuple[str, str] | None:
        old = self._state
        if old == new:
            return None
        self._state = new
        return (old, new)

    def _notify(self, changed: tuple[str, str] | None) -> None:
        """Call the listener outside the lock so it may read the breaker (or log, or notify)."""
        if changed is not None and self._on_change is not None:
            self._on_change(*changed)
