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
  calls add nothing here: Kraken meters trading per pair in the matching engine (below).
- public: Kraken limits per IP at about one call per second; we allow a burst of 10 then 1/s.
  OHLC and Trades are limited per IP AND PAIR (Kraken support, "What are the API rate limits"):
  each pair has its own counter (one call a second), so the universe's history check and the
  backfill of many pairs are not serialized behind one another.
A call waits (outside any lock but the caller's) until its cost fits, then spends it.

Tiers and the matching engine (issue 21; docs.kraken.com "Spot REST rate limits" and "Spot
Trading Limits"): `KRAKEN_TIER` picks the REST counter (starter 15 / 0.33 s⁻¹, intermediate
20 / 0.5, pro 20 / 1) and the matching engine's per-pair counter (threshold 60 / 125 / 180, decay
1 / 2.34 / 3.75 per second). On that engine AddOrder adds 1 and a cancel adds a penalty by the
order's age (< 5 s: 8, < 10 s: 6, < 15 s: 5, < 45 s: 4, < 90 s: 2, < 300 s: 1); over the
threshold Kraken answers `EOrder:Rate limit exceeded`. ONE budget per process (built with the
market wiring) is shared by every Kraken client in it: the account's REST calls, the public
client behind market data, universe refreshes and backfills.

Owner first (issue 19.5): a chat buy + `yes` took 42 s with 5 positions open because the sync,
the universe refresh and the backfill spent the same counter and the owner's calls queued behind
them. A call made inside `background_calls()` (the composition root runs every scheduled job in
it, so the sync, the autopilot with the socket feed's REST seeds and repairs, and the universe
refresh are background; the backfill marks itself) may only fill a counter up
to its ceiling less `OWNER_RESERVE` of it, and spends nothing while an owner call waits on that
counter. Owner calls (everything else: chat, the web, the CLI) may fill it to the ceiling less
the margin. Neither ever passes Kraken's ceiling: the reserve only splits what Kraken allows.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

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
PUBLIC_PER_PAIR = Bucket(ceiling=1.0, decay_per_s=1.0)  # OHLC, Trades: 1/s for each pair
PER_PAIR_PUBLIC = frozenset({"OHLC", "Trades"})


@dataclass(frozen=True)
class Tier:
    """Kraken's documented limits for one verification tier."""

    name: str
    rest: Bucket  # the private REST call counter, per API key
    engine: Bucket  # the matching engine's counter, per pair


TIERS: dict[str, Tier] = {
    "starter": Tier("starter", PRIVATE_STARTER, Bucket(60.0, 1.0)),
    "intermediate": Tier("intermediate", Bucket(20.0, 0.5), Bucket(125.0, 2.34)),
    "pro": Tier("pro", Bucket(20.0, 1.0), Bucket(180.0, 3.75)),
}
CANCEL_PENALTY = ((5.0, 8.0), (10.0, 6.0), (15.0, 5.0), (45.0, 4.0), (90.0, 2.0), (300.0, 1.0))
ENGINE_ADD = frozenset({"AddOrder", "EditOrder", "AmendOrder"})
ENGINE_CANCEL = frozenset({"CancelOrder", "EditOrder"})

# issue 19.5: the share of a counter background calls may not spend. Small on the private key on
# purpose: a background call that waits may be holding the trading lock (the autopilot's tick, the
# sync's entry settling), and chat waits for that lock, not for the budget — a large reserve made
# those waits longer (measured: 9-16 s with 0.7). Starter: background fills the key's counter to
# 15 - 0.5 margin - 3 = 11.5; the owner always has the last 3 units, and goes first whenever it
# waits. Public: half the host's counter stays free for chat's prices during a universe refresh.
OWNER_RESERVE = {"private": 0.2, "public": 0.5}
BACKGROUND_POLL_S = 0.1  # how often a background call waiting behind an owner call looks again
_BACKGROUND: ContextVar[bool] = ContextVar("kraken_background_calls", default=False)


@contextmanager
def background_calls() -> Iterator[None]:
    """Kraken calls made inside (this thread / task) are background: they yield to the owner."""
    token = _BACKGROUND.set(True)
    try:
        yield
    finally:
        _BACKGROUND.reset(token)


def in_background(fn: Callable[[], T]) -> Callable[[], T]:
    """`fn` run inside `background_calls()` (how the composition root wraps scheduled jobs)."""

    def run() -> T:
        with background_calls():
            return fn()

    run.__name__ = getattr(fn, "__name__", "job")
    run.__doc__ = fn.__doc__
    return run


def is_background() -> bool:
    return _BACKGROUND.get()


def cancel_penalty(age_s: float) -> float:
    """What cancelling an order of this age adds to its pair's matching-engine counter."""
    for below, penalty in CANCEL_PENALTY:
        if age_s < below:
            return penalty
    return 0.0


def engine_cost(method: str, age_s: float | None = None) -> float:
    """AddOrder +1; CancelOrder the age penalty (an unknown age counts as the worst, < 5 s)."""
    cost = 1.0 if method in ENGINE_ADD else 0.0
    if method in ENGINE_CANCEL:
        cost += cancel_penalty(age_s if age_s is not None else 0.0)
    return cost


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
        *,
        engine: Bucket = TIERS["starter"].engine,
        margin: float = 0.0,
        owner_reserve: dict[str, float] | None = None,
    ) -> None:
        self._buckets = {"private": private, "public": public}
        self._level = {"private": 0.0, "public": 0.0}
        self._at = {"private": now(), "public": now()}
        self._engine = engine
        self._margin = margin  # units kept free on Kraken's own counters (network jitter, see for_tier)
        self._placed: dict[str, tuple[str, float]] = {}  # order id -> (pair, placed at)
        self._reserve = dict(OWNER_RESERVE if owner_reserve is None else owner_reserve)  # background keeps off
        self._owners_waiting: dict[str, int] = {}  # counter -> owner calls waiting on it now
        self.spent: dict[str, float] = {"private": 0.0, "public": 0.0, "engine": 0.0}  # totals (bench)
        # seconds spent waiting, by who waited (bench: does the owner ever wait?)
        self.waited: dict[str, float] = {"owner": 0.0, "background": 0.0}
        self.calls: dict[str, int] = {"private": 0, "public": 0}  # REST calls paid from here (bench)
        self._now = now
        self._sleep = sleep
        self._lock = threading.Lock()

    @classmethod
    def for_tier(cls, tier: str = "starter", **kw: Any) -> RateBudget:
        """The budget of one `KRAKEN_TIER` (starter, intermediate, pro), keeping half a unit free
        on the key's counters: Kraken counts a call when it ARRIVES, so a call that travelled faster
        than the one before finds less decay there than Zyn counted when it sent it (a 20-pair
        validate run against the sim met one `EAPI:Rate limit exceeded` with no margin; this
        arrival-time difference is the likely cause)."""
        t = TIERS[tier]
        kw.setdefault("margin", 0.5)
        return cls(private=t.rest, engine=t.engine, **kw)

    def spend(self, api: str, method: str, pair: str = "") -> float:
        """Wait until the call fits under the ceiling, then count it; returns the seconds waited.
        `pair`: the pair of a public OHLC/Trades call (its own counter)."""
        kind = "private" if api == "private" else "public"
        if kind == "public" and method in PER_PAIR_PUBLIC and pair:
            kind = f"pair:{pair}"
        cost = private_cost(method) if kind == "private" else 1.0
        waited = self._wait(kind, cost)
        with self._lock:
            self.calls["private" if api == "private" else "public"] += 1
        return waited

    # ------------------------------------------------------------------ matching engine
    def spend_order(self, pair: str, method: str, order_id: str = "") -> float:
        """Before AddOrder / CancelOrder: wait until the pair's engine counter has room. A cancel
        finds its pair and age by `order_id`; an order this process did not place counts as
        young (the worst penalty) on a shared "unknown pair" counter."""
        age = None
        if order_id and method in ENGINE_CANCEL:
            with self._lock:
                placed = self._placed.get(order_id)
            if placed is not None:
                pair, age = placed[0], self._now() - placed[1]
        cost = engine_cost(method, age)
        return self._wait(f"engine:{pair}", cost) if cost > 0 else 0.0

    def placed(self, order_id: str, pair: str) -> None:
        """Remember when an order was placed (its cancel penalty depends on its age)."""
        with self._lock:
            self._placed[order_id] = (pair, self._now())
            if len(self._placed) > 10_000:  # bounded: the oldest are long past any penalty
                for key in list(self._placed)[:5_000]:
                    del self._placed[key]

    def _wait(self, kind: str, cost: float) -> float:
        background = is_background()
        waited, queued = 0.0, False
        try:
            while True:
                with self._lock:
                    wait = self._try(kind, cost, background)
                    if wait > 0 and not background and not queued:  # background steps aside now
                        self._owners_waiting[kind] = self._owners_waiting.get(kind, 0) + 1
                        queued = True
                if wait <= 0:
                    return waited
                self._sleep(wait)
                waited += wait
        finally:
            with self._lock:
                self.waited["background" if background else "owner"] += waited
                if queued:
                    self._owners_waiting[kind] -= 1

    def refused(self, api: str) -> None:
        """Kraken answered `EAPI:Rate limit exceeded`: its counter is full whatever ours says (another
        process on the key, or one started while the counter was still full): believe Kraken."""
        kind = "private" if api == "private" else "public"
        with self._lock:
            self._drain(kind)
            self._level[kind] = max(self._level[kind], self._buckets[kind].ceiling)

    def level(self, api: str) -> float:
        """The counter now (for tests and the status line)."""
        with self._lock:
            self._drain(api)
            return self._level[api]

    def _try(self, kind: str, cost: float, background: bool = False) -> float:
        """Spend `cost` if it fits and return 0, else return how long until it would fit.
        A background call leaves the owner's reserve alone and steps aside while an owner call
        waits on the same counter (only an owner call still waiting counts: it is not yet in)."""
        self._drain(kind)
        bucket = self._bucket(kind)
        keep_free = self._margin if kind == "private" or kind.startswith("engine:") else 0.0
        if background and kind in ("private", "public") and cost > 0:
            if self._owners_waiting.get(kind, 0) > 0:
                return BACKGROUND_POLL_S
            keep_free += self._reserve.get(kind, 0.0) * bucket.ceiling
        over = self._level[kind] + cost - (bucket.ceiling - keep_free)
        if over <= 1e-9 or cost == 0:  # a margin: float residue after an exact wait must not loop
            self._level[kind] += cost
            total = kind.split(":", 1)[0].replace("pair", "public")
            self.spent[total] = self.spent.get(total, 0.0) + cost
            return 0.0
        return over / bucket.decay_per_s

    def _bucket(self, kind: str) -> Bucket:
        if kind.startswith("engine:"):
            return self._engine
        return PUBLIC_PER_PAIR if kind.startswith("pair:") else self._buckets[kind]

    def _drain(self, kind: str) -> None:
        now = self._now()
        bucket = self._bucket(kind)
        level, at = self._level.get(kind, 0.0), self._at.get(kind, now)
        self._level[kind] = max(0.0, level - (now - at) * bucket.decay_per_s)
        self._at[kind] = now
