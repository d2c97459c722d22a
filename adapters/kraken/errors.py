"""Translate ccxt exceptions into Zyn's error kinds, keeping Kraken's own words.

Why: core only knows `core.domain` errors; the owner should read Kraken's message
(`EOrder:Insufficient funds`) on one line, never a JSON dump, a URL with a query or a key.
ccxt puts the whole response body into its messages, so we pull the `E...:...` codes out.

Measured with ccxt 4.5.90: `EOrder:Unknown order` is mapped by ccxt to `InvalidOrder` (only
`cancel_order` re-raises it as `OrderNotFound`), so the text decides here, not the class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import ccxt

from core.domain import (
    ExchangeError,
    ExchangeUnavailable,
    InsufficientFunds,
    InvalidOrder,
    OrderNotFound,
    ZynError,
)

_KRAKEN_CODE = re.compile(r"\b(E[A-Z][A-Za-z]*:[^\"\],\n]+)")
_MAX_LEN = 200

# Transient: worth a retry and counted by the circuit breaker. All are ccxt.NetworkError
# subclasses (InvalidNonce, DDoSProtection/RateLimitExceeded, ExchangeNotAvailable, RequestTimeout).
TRANSIENT: tuple[type[Exception], ...] = (ccxt.NetworkError,)


def is_transient(exc: BaseException) -> bool:
    """A failure that may succeed if tried again later (network, rate limit, maintenance, nonce)."""
    return isinstance(exc, TRANSIENT)


def kraken_codes(text: str) -> list[str]:
    """The Kraken error strings (`EAPI:Invalid key`, ...) found in a ccxt message or body."""
    return [m.strip() for m in _KRAKEN_CODE.findall(text)]


def one_line(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """A short, single-line, secret-free description of a ccxt error."""
    raw = str(exc)
    codes = kraken_codes(raw)
    if codes:
        text = "Kraken: " + "; ".join(dict.fromkeys(codes))
    else:
        first = raw.splitlines()[0] if raw else ""
        text = f"{type(exc).__name__}: {_strip_query(first)}".strip()
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = " ".join(text.split())
    return text if len(text) <= _MAX_LEN else text[: _MAX_LEN - 3] + "..."


def to_domain_error(exc: BaseException, secrets: Iterable[str] = ()) -> ZynError:
    """Map a ccxt exception to the `core.domain` kind the rest of Zyn handles."""
    message = one_line(exc, secrets)
    raw = str(exc)
    if "Deadline elapsed" in raw:  # refused by the engine, nothing executed: final, never retried
        return InvalidOrder(message)
    if "EOrder:Unknown order" in raw or isinstance(exc, ccxt.OrderNotFound):
        return OrderNotFound(message)
    if isinstance(exc, ccxt.InsufficientFunds) or "Insufficient funds" in raw:
        return InsufficientFunds(message)
    if is_transient(exc):
        return ExchangeUnavailable(message)
    if isinstance(exc, ccxt.InvalidOrder | ccxt.BadRequest | ccxt.BadSymbol):
        return InvalidOrder(message)
    if "EGeneral:Invalid arguments" in raw or "EOrder:" in raw:
        return InvalidOrder(message)
    return ExchangeError(message)


def _strip_query(text: str) -> str:
    """Drop query strings from URLs in a message (they can carry parameters we did not mean to log)."""
    return re.sub(r"(https?://\S+?)\?\S*", r"\1", text)
