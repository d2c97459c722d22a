"""Kraken's REST rate limits as Kraken counts them, instead of ccxt's fixed delay per call.

Why: ccxt's limiter sleeps `rateLimit x cost` (1 s x 3 for most private calls) between any two
calls, however idle the key has been, so a buy plus `yes` (a dozen reads) took 30-70 s against a
local server. Kraken itself keeps a counter per API key: every private call adds to it, it
decays continuously, and a call that would take it over the ceiling is refused
(`EAPI:Rate limit exceeded`). Budgeting by that rule lets bursts through at once and waits only
when the counter really is full. What we chose (docs.kraken.com, "Spot REST rate limits"):
- private: ceiling 15, decay 0.33/s (the Starter tier, the strictest; Intermediate/Pro keys have
  more headroom, so this never over-spends). TradesHistory, Ledgers, QueryLedgers and
  QueryTrades add 2, other reads 1. AddOrder, CancelOrder, AmendOrder, EditOrder and the batch
  calls add nothing here: Kraken meters trading per pair in a separate matching-engine limit,
  which a handful of orders per minute stays far below.
- public: Kraken limits per IP at about one call per second; we allow a burst of 10 then 1/s.
A call waits (outside any lock but the caller's) until its cost fits, then spends it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

FREE_PRIVATE = frozenset(
    {"AddOrder", "AddOrderBatch", "CancelOrder", "CancelOrderBatch", "AmendOrder", "EditOrder"}
)
HEAVY_PRIVATE = frozenset({"TradesHistory", "Ledgers", "QueryLedgers", "QueryTrades"})


@dataclass(frozen=True)
class Bucket:
    """A leaky counter: `ceiling` units, draining `decay_per_s`."""

    ceiling: float
    decay_per_s: float


PRIVATE_STARTER = Bucket(ceiling=15.0, decay_per_s=0.33)
PUBLIC = Bucket(ceiling=10.0, decay_per_s=1.0)


def private_cost(method: str) -> float:
    """What one private call adds to Kraken's counter."""
    if method in FREE_PRIVATE:
        return 0.0
    return 2.0 if method in HEAVY_PRIVATE else 1.0


class RateBudget:
    """The counters of one API key (private) and this host (public); thread-safe."""

    def __init__(
        self,
        private: Bucket = PRIVATE_STARTER,
        public: Bucket = PUBLIC,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._buckets = {"private": private, "public": public}
        self._level = {"private": 0.0, "public": 0.0}
        self._at = {"private": now(), "public": now()}
        self._now = now
        self._sleep = sleep
        self._lock = threading.Lock()

    def spend(self, api: str, method: str) -> float:
        """Wait until the call fits under the ceiling, then count it; returns the seconds waited."""
        kind = "private" if api == "private" else "public"
        cost = private_cost(method) if kind == "private" else 1.0
        waited = 0.0
        while True:
            with self._lock:
                wait = self._try(kind, cost)
            if wait <= 0:
                return waited
            self._sleep(wait)
            waited += wait

    def level(self, api: str) -> float:
        """The counter now (for tests and the status line)."""
        with self._lock:
            self._drain(api)
            return self._level[api]

    def _try(self, kind: str, cost: float) -> float:
        """Spend `cost` if it fits and return 0, else return how long until it would fit."""
        self._drain(kind)
        bucket = self._buckets[kind]
        over = self._level[kind] + cost - bucket.ceiling
        if over <= 0 or cost == 0:
            self._level[kind] += cost
            return 0.0
        return over / bucket.decay_per_s

    def _drain(self, kind: str) -> None:
        now = self._now()
        bucket = self._buckets[kind]
        self._level[kind] = max(0.0, self._level[kind] - (now - self._at[kind]) * bucket.decay_per_s)
        self._at[kind] = now
