"""ccxt.kraken with one serialized private-call path and Kraken's own rate-limit counter.

Why serialized: Kraken refuses a nonce that is not strictly greater than the last one it saw for
the key (`EAPI:Invalid nonce`, and repeated ones can get the key locked). ccxt makes the nonce
while signing, then sends; two threads sharing the client can sign in one order and arrive in
the other. So every private call holds this client's lock from signing to answer. The adapter
builds one client per API key (the composition root builds one `KrakenExchange`), so this is
one path per key in the process. Public calls are not signed and run in parallel.
Why not ccxt's limiter: see `adapters.kraken.budget`. ccxt's `throttle` is a no-op here and the
budget is spent in `fetch2` instead, still switched by ccxt's own `enableRateLimit`: the REST
counter for every call, the pair's matching-engine counter for AddOrder/CancelOrder (each
placed txid is remembered, so its cancel pays the penalty of its age). A refusal for the rate limit
tells the budget Kraken's counter is full (`RateBudget.refused`), so the retry waits for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import ccxt

from adapters.kraken.budget import RateBudget


class SerialKraken(ccxt.kraken):  # type: ignore[misc]  # ccxt ships no type hints
    """`fetch2` (where ccxt signs and sends) under the private lock and the rate budget."""

    def __init__(self, config: dict[str, Any], budget: RateBudget,
                 deadline: Callable[[], str] | None = None, fence: Callable[[], None] | None = None) -> None:
        """`deadline`: AddOrder's `deadline` is stamped from it when the request leaves, after
        the lock and the budget's wait (issue 21): Zyn's own pacing must not eat the window
        Kraken gives a request in transit."""
        super().__init__(config)
        self._private_lock = threading.Lock()
        self._budget = budget
        self._deadline = deadline
        # The lease fence checked again as AddOrder leaves (issue 19.4): the order desk checks it
        # before journalling, but a wait for this lock or the rate budget can outlast the lease
        # (a frozen or stalled owner); raising LeaseLost here sends nothing.
        self._fence = fence

    @property
    def budget(self) -> RateBudget:
        """The rate budget this client spends (the candle backfill shares it: one public counter)."""
        return self._budget

    def throttle(self, cost: Any = None) -> None:
        """ccxt's fixed delay per call: replaced by the budget (see the module docstring)."""
        return None

    def fetch2(
        self,
        path: str,
        api: Any = "public",
        method: str = "GET",
        params: dict[str, Any] | None = None,
        config: dict[str, Any] | None = None,
    ) -> Any:
        kind = api[0] if isinstance(api, list | tuple) and api else str(api)
        params, config = params or {}, config or {}
        if kind != "private":
            if self.enableRateLimit:
                self._budget.spend("public", path, str(params.get("pair", "")))
            return super().fetch2(path, api, method, params, config)
        with self._private_lock:
            if self.enableRateLimit:
                self._budget.spend("private", path)
                self._budget.spend_order(str(params.get("pair", "?")), path, str(params.get("txid", "")))
            if path == "AddOrder" and "deadline" in params and self._deadline is not None:
                params = {**params, "deadline": self._deadline()}
            if path == "AddOrder" and self._fence is not None:
                self._fence()
            try:
                answer = super().fetch2(path, api, method, params, config)
            except ccxt.BaseError as exc:
                if "EAPI:Rate limit exceeded" in str(exc):
                    self._budget.refused("private")  # the next call waits for Kraken's counter to drain
                raise
        if path == "AddOrder" and isinstance(answer, dict):
            for txid in (answer.get("result") or {}).get("txid") or []:
                self._budget.placed(str(txid), str(params.get("pair", "?")))
        return answer
