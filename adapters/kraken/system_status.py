"""Kraken's SystemStatus (`/0/public/SystemStatus`) through ccxt: online, maintenance, cancel_only, post_only.

Why its own small reader: "is the market open?" is answered from Kraken's own word, and the
question must work in every mode (paper with live prices, validate, live) with no keys. It uses
ccxt's implicit public endpoint so the exact Kraken status string comes back (ccxt's
`fetch_status` folds everything that is not `online` into "maintenance").
"""

from __future__ import annotations

from typing import Any

from core.domain import ExchangeUnavailable


class KrakenSystemStatus:
    """`system_status()` -> Kraken's status word; ExchangeUnavailable when Kraken cannot be reached.
    The ccxt client is made on first use (importing ccxt costs time no other chat answer pays)."""

    def __init__(self, api_url: str, timeout_ms: int = 5_000) -> None:
        self._api_url, self._timeout_ms = api_url.rstrip("/"), timeout_ms
        self._client: Any = None

    def _ccxt(self) -> Any:
        if self._client is None:
            import ccxt  # lazy: ccxt loads only when used

            client = ccxt.kraken({"enableRateLimit": False, "timeout": self._timeout_ms})
            client.urls["api"] = {**client.urls["api"], "public": self._api_url, "private": self._api_url}
            self._client = client
        return self._client

    def system_status(self) -> str:
        import ccxt  # lazy: ccxt loads only when used

        try:
            response = self._ccxt().publicGetSystemStatus()
        except (ccxt.NetworkError, ccxt.ExchangeError) as exc:
            raise ExchangeUnavailable(f"Kraken SystemStatus: {type(exc).__name__}") from None
        result = response.get("result") if isinstance(response, dict) else None
        status = result.get("status") if isinstance(result, dict) else None
        return str(status) if status else "unknown"
