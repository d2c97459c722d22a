"""Retries and the circuit breaker around every ccxt call.

Why: read calls are safe to repeat, so transient failures (network, rate limit, `EService:
Unavailable`, an invalid nonce) are retried with exponential backoff (tenacity) — but only while
the breaker is closed: a half-open breaker gets exactly one probe, an open one refuses at once
with `ExchangeUnavailable` so a dead exchange does not block the trading lock for minutes.
Order placement does NOT come through `read` (see `KrakenExchange.create_order`): `once` sends
it one time, counts it as a send for the breaker (a look-up's success never resets that count),
and tells an answered failure (an HTTP error page, a Kraken error: nothing executed unless a
look-up finds it) from an unanswered one (timeout, dropped connection: it may have executed,
`OrderOutcomeUnknown`).
Each failed attempt is logged on one line (structured via loguru `bind`), never with a secret.
"""

from __future__ import annotations

import decimal
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

import ccxt
from loguru import logger
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential

from adapters.kraken.errors import is_transient, one_line, to_domain_error
from core.domain import ExchangeUnavailable, OrderOutcomeUnknown
from core.trading.circuit_breaker import CircuitBreaker

T = TypeVar("T")
log = logger.bind(component="kraken")


class BreakerOpen(ExchangeUnavailable):
    """Refused before anything was sent: the circuit breaker is open."""


class CallGuard:
    """Runs ccxt calls behind the breaker, with retries for idempotent ones."""

    def __init__(
        self,
        breaker: CircuitBreaker,
        retry_attempts: int = 3,
        backoff_s: float = 0.5,
        max_backoff_s: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        secrets: Sequence[str] = (),
    ) -> None:
        self.breaker = breaker
        self.retry_attempts = max(1, retry_attempts)
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._sleep = sleep
        self._secrets = tuple(s for s in secrets if s)

    def read(self, name: str, fn: Callable[[], T]) -> T:
        """An idempotent call: retried on transient errors, counted once by the breaker."""
        self._admit(name)
        attempts = 1 if self.breaker.state == "half_open" else self.retry_attempts
        retrying = Retrying(
            stop=stop_after_attempt(attempts),
            wait=wait_exponential(multiplier=self._backoff_s, max=self._max_backoff_s),
            retry=retry_if_exception(is_transient),
            sleep=self._sleep,
            before_sleep=lambda state: self._log_retry(name, state),
            reraise=True,
        )
        try:
            result = retrying(own_decimal_context(fn))
        except Exception as exc:
            raise self._fail(name, exc) from None
        self.breaker.record_success()
        return result

    def once(self, name: str, fn: Callable[[], T]) -> T:
        """An order send (AddOrder): one attempt, counted as a send by the breaker. A transient
        failure without an answer from the exchange raises `OrderOutcomeUnknown`."""
        self._admit(name)
        try:
            result = own_decimal_context(fn)()
        except Exception as exc:
            err = self._fail(name, exc, send=True)
            if isinstance(err, ExchangeUnavailable) and not answered(exc):
                raise OrderOutcomeUnknown(str(err)) from None
            raise err from None
        self.breaker.record_send_success()
        return result

    def message(self, exc: BaseException) -> str:
        return one_line(exc, self._secrets)

    def _admit(self, name: str) -> None:
        if not self.breaker.allow():
            log.bind(call=name, breaker="open").warning("kraken {} refused: circuit breaker open", name)
            raise BreakerOpen(
                "Kraken temporarily unavailable "
                f"(circuit breaker open after {self.breaker.failures} failures)"
            )

    def _fail(self, name: str, exc: Exception, send: bool = False) -> Exception:
        """Account for a failure and return the domain error to raise (non-ccxt bugs pass through)."""
        if is_transient(exc):
            if send:
                self.breaker.record_send_failure()
            else:
                self.breaker.record_failure()
        elif _is_ccxt(exc):
            self.breaker.record_success()  # the exchange answered; the request was the problem
        else:
            self.breaker.record_failure()
            return exc
        err = to_domain_error(exc, self._secrets)
        log.bind(call=name, error=type(err).__name__).warning("kraken {} failed: {}", name, err)
        return err

    def _log_retry(self, name: str, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.bind(call=name, attempt=state.attempt_number, wait_s=round(wait, 3)).warning(
            "kraken {} attempt {} failed, retrying in {:.2f}s: {}",
            name,
            state.attempt_number,
            wait,
            one_line(exc, self._secrets) if exc else "?",
        )


def own_decimal_context(fn: Callable[[], T]) -> Callable[[], T]:
    """Run a ccxt call in a private copy of the decimal context.

    Why: ccxt's `decimal_to_precision` (amounts and prices of every order) sets the CALLING
    thread's context to ROUND_HALF_UP with Underflow trapped and never restores it, so after the
    first order a thread would round Decimals (and format prices: 62,600.25 -> "62,600.3" here,
    "62,600.2" on a thread that never called ccxt) differently from every other thread."""

    def run() -> T:
        with decimal.localcontext():
            return fn()

    return run


def answered(exc: BaseException) -> bool:
    """Did the exchange (or a proxy in front of it) answer? An HTTP error page, a Kraken error
    envelope, a rate limit or a nonce refusal is an answer; a timeout or a dropped connection
    (ccxt's plain NetworkError / RequestTimeout) is not: the request may have executed."""
    if isinstance(exc, ccxt.RequestTimeout):
        return False
    return isinstance(exc, ccxt.ExchangeNotAvailable | ccxt.DDoSProtection | ccxt.InvalidNonce)


def _is_ccxt(exc: BaseException) -> bool:
    return isinstance(exc, ccxt.BaseError)
