"""Kraken's documented rate counters, enforced by the sim with its own code (not Zyn's limiter).

Why separate from Zyn's `adapters.kraken.budget`: a test that Zyn stays under Kraken's limits
proves nothing if the referee is Zyn's own arithmetic. This is written from Kraken's pages
directly ("Spot REST rate limits", "Spot Trading Limits"), per tier:

| tier | REST max | REST decay /s | engine threshold | engine decay /s |
| --- | --- | --- | --- | --- |
| starter | 15 | 0.33 | 60 | 1 |
| intermediate | 20 | 0.5 | 125 | 2.34 |
| pro | 20 | 1 | 180 | 3.75 |

REST (per API key): every private call adds 1, Ledgers / QueryLedgers / TradesHistory /
QueryTrades add 2, the order calls (AddOrder, CancelOrder, ...) add nothing here; over the maximum
the answer is `EAPI:Rate limit exceeded` and nothing runs. Matching engine (per key and pair):
AddOrder adds 1; cancelling adds by the order's age: < 5 s 8, < 10 s 6, < 15 s 5, < 45 s 4,
< 90 s 2, < 300 s 1; at the threshold the answer is `EOrder:Rate limit exceeded`. Ages are wall
seconds (Kraken's clock), whatever speed the sim replays candles at. Public calls are not
counted here (Kraken limits them per IP without a documented counter).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

_TIERS: dict[str, tuple[float, float, float, float]] = {
    "starter": (15.0, 0.33, 60.0, 1.0),
    "intermediate": (20.0, 0.5, 125.0, 2.34),
    "pro": (20.0, 1.0, 180.0, 3.75),
}
_DOUBLE = {"Ledgers", "QueryLedgers", "TradesHistory", "QueryTrades"}
_ORDER_CALLS = {"AddOrder", "AddOrderBatch", "CancelOrder", "CancelOrderBatch", "CancelAll", "EditOrder",
                "AmendOrder", "CancelAllOrdersAfter"}
_AGES = ((5, 8), (10, 6), (15, 5), (45, 4), (90, 2), (300, 1))


class KrakenCounters:
    """The counters of every key the sim serves; thread-safe. `refused` counts the refusals."""

    def __init__(self, tier: str = "starter", now: Callable[[], float] = time.monotonic) -> None:
        if tier not in _TIERS:
            raise ValueError(f"tier must be one of {', '.join(_TIERS)}")
        self.tier = tier
        self._rest_max, self._rest_decay, self._engine_max, self._engine_decay = _TIERS[tier]
        self._now = now
        self._levels: dict[tuple[str, ...], tuple[float, float]] = {}  # counter -> (level, at)
        self._born: dict[str, float] = {}  # txid -> placed at (wall)
        self._lock = threading.Lock()
        self.refused: Counter[str] = Counter()
        self.peak: dict[str, float] = {"rest": 0.0, "engine": 0.0}

    def rest_call(self, key: str, method: str) -> str | None:
        """Count one private call; the refusal string when it is over the maximum."""
        if method in _ORDER_CALLS:
            return None
        cost = 2.0 if method in _DOUBLE else 1.0
        if not self._add(("rest", key), cost, self._rest_max, self._rest_decay, "rest"):
            self.refused["EAPI:Rate limit exceeded"] += 1
            return "EAPI:Rate limit exceeded"
        return None

    def add_order(self, key: str, pair: str) -> str | None:
        if not self._add(("engine", key, pair), 1.0, self._engine_max, self._engine_decay, "engine"):
            self.refused["EOrder:Rate limit exceeded"] += 1
            return "EOrder:Rate limit exceeded"
        return None

    def placed(self, txid: str) -> None:
        with self._lock:
            self._born[txid] = self._now()

    def cancel(self, key: str, pair: str, txid: str) -> str | None:
        with self._lock:
            born = self._born.get(txid)
        age = self._now() - born if born is not None else 1e9
        cost = next((penalty for below, penalty in _AGES if age < below), 0)
        if cost and not self._add(("engine", key, pair), float(cost), self._engine_max, self._engine_decay, "engine"):
            self.refused["EOrder:Rate limit exceeded"] += 1
            return "EOrder:Rate limit exceeded"
        return None

    def _add(self, name: tuple[str, ...], cost: float, maximum: float, decay: float, kind: str) -> bool:
        now = self._now()
        with self._lock:
            level, at = self._levels.get(name, (0.0, now))
            level = max(0.0, level - (now - at) * decay)
            if level + cost > maximum + 1e-9:  # float residue of the decay is not "exceeding" it
                self._levels[name] = (level, now)
                return False
            self._levels[name] = (level + cost, now)
            self.peak[kind] = max(self.peak[kind], level + cost)
            return True

    # ------------------------------------------------------------------ the server's two hooks
    def before(self, key: str, method: str, params: dict[str, str], pair_of: Callable[[str], str | None]) -> str | None:
        """Before a private call runs: the REST counter, then the engine for order calls.
        `pair_of(txid or pair name)` names the pair an order call is about (None: unknown)."""
        refused = self.rest_call(key, method)
        if refused is not None:
            return refused
        if method == "AddOrder":
            return self.add_order(key, pair_of(params.get("pair", "")) or "?")
        if method == "CancelOrder":
            txid = params.get("txid", "")
            return self.cancel(key, pair_of(txid) or "?", txid)
        return None

    def after(self, method: str, answer: object) -> None:
        """After AddOrder answered: remember when each new txid was born."""
        if method != "AddOrder" or not isinstance(answer, dict):
            return
        for txid in (answer.get("result") or {}).get("txid") or []:
            self.placed(str(txid))
