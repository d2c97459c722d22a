"""The exchange data behind the status service: fetched on a schedule, kept when the exchange fails.

Why a cache: every chat message, web refresh and scheduler job asks for status; sending each of
those to Kraken would burn the private-API rate limit (and the circuit breaker) for data that
changes only when an order fills. So trade history is refetched at most every `trade_ttl_s`
(30 s) and balances/open orders/tickers at most every `sync_interval_s` (60 s), unless a caller
forces a sync right after an order. When a fetch fails (network, rate limit, breaker open, any
exchange error) the last good data stays in place and is marked stale, so the service can say
"cache" with the time that data was fetched. The last good inputs are also written to the
`kv` table (`status:inputs`), so a restart while the exchange is down still has something true
to show — with the time it was true.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.domain import Balances, ExchangeUnavailable, Fill, Order
from core.ports import Clock, Exchange
from core.telemetry.kv import KeyValueStore

log = logging.getLogger(__name__)

INPUTS_KEY = "status:inputs"
FILL_OVERLAP_MS = 3_600_000  # refetch the last hour of fills: late-reported ones are not missed


UNKNOWN_PAIR = "Unknown asset pair"  # Kraken's EQuery:Unknown asset pair (the paper engine says the same)


@dataclass(frozen=True)
class Account:
    """Balances, open orders and prices (pair -> last) as fetched together at `ms`."""

    balances: Balances
    orders: list[Order]
    prices: dict[str, Decimal]
    ms: int


@dataclass(frozen=True)
class CacheView:
    """A consistent copy of the cached data. `*_ok` = the latest attempt succeeded."""

    account: Account | None
    account_ok: bool
    fills: list[Fill] | None
    fills_ms: int | None
    fills_ok: bool

    @property
    def fresh(self) -> bool:
        return self.account_ok and self.fills_ok

    @property
    def as_of_ms(self) -> int | None:
        """Time of the OLDEST part in use: the snapshot is only as current as that."""
        times = [t for t in (self.account.ms if self.account else None, self.fills_ms) if t is not None]
        return min(times) if times else None


@dataclass
class _State:
    account: Account | None = None
    account_ok: bool = False
    account_try_ms: int | None = None
    fills: dict[str, Fill] | None = None
    fills_ms: int | None = None
    fills_ok: bool = False
    fills_try_ms: int | None = None
    no_ticker: set[str] = field(default_factory=set)


class ExchangeCache:
    """Thread-safe: one refresh at a time (`_io`), readers copy the state under `_lock`."""

    def __init__(
        self, exchange: Exchange, clock: Clock, kv: KeyValueStore, pairs: list[str], quote: str,
        trade_ttl_s: float = 30, sync_interval_s: float = 60, retry_s: float = 10,
    ) -> None:
        self._ex, self._clock, self._kv = exchange, clock, kv
        self._pairs, self._quote = list(pairs), quote
        self._ttl_ms, self._sync_ms = int(trade_ttl_s * 1000), int(sync_interval_s * 1000)
        self._retry_ms = int(min(retry_s, sync_interval_s) * 1000)
        self._lock = threading.Lock()
        self._io = threading.Lock()
        self._refresher: threading.Thread | None = None  # a status read's fetch (see `refresh`)
        self._s = _State()
        # moves with every change of the state (issue 20.1): the status snapshot built from a view
        # stays valid while it has not moved, and the view itself is built once per generation
        self._generation = 0
        self._view: tuple[int, CacheView] | None = None
        self._expiries = 0  # moved by `expire`: a refresh that overlapped one leaves everything due
        self._restore()

    # -- reading ------------------------------------------------------------------------------
    def view(self) -> CacheView:
        return self.stamped_view()[1]

    def stamped_view(self) -> tuple[int, CacheView]:
        """(generation, view): the same generation always comes with the same data."""
        with self._lock:
            if self._view is not None and self._view[0] == self._generation:
                return self._view
            s = self._s
            fills = sorted(s.fills.values(), key=lambda f: (f.ts_ms, f.id)) if s.fills is not None else None
            self._view = (self._generation, CacheView(s.account, s.account_ok, fills, s.fills_ms, s.fills_ok))
            return self._view

    def expire(self) -> None:
        """Make everything due: the next `refresh` refetches (a fill moved the balances)."""
        with self._lock:
            self._s.account_try_ms = self._s.fills_try_ms = None
            self._expiries += 1

    # -- refreshing ---------------------------------------------------------------------------
    def refresh(self, force: bool = False, wait_s: float | None = None) -> None:
        """Fetch what is due (everything when forced). Never raises for exchange trouble.

        `wait_s` (a status read): when something is due, the fetch runs on a refresher thread of
        its own and the reader waits for it at most `wait_s`, then serves what is held; the fetch
        lands for the next read. A status read must never hang behind Kraken's rate budget (its
        counter drained by orders and syncs) or a refresh another thread has in flight. None: the
        caller does the fetch itself and waits as long as it takes (after an order, `sync`)."""
        if wait_s is None:
            with self._io:
                self._refresh_due(force)
            return
        if not force and not self._anything_due():
            return
        with self._lock:
            worker = self._refresher
            if worker is None or not worker.is_alive():
                worker = threading.Thread(target=self._refresh_in_turn, args=(force,), name="status-refresh",
                                          daemon=True)
                self._refresher = worker
                worker.start()
        worker.join(wait_s)

    def _refresh_in_turn(self, force: bool) -> None:
        with self._io:
            self._refresh_due(force)

    def _anything_due(self) -> bool:
        now = self._clock.now_ms()
        with self._lock:
            return self._due(self._s.account_try_ms, self._s.account_ok, self._sync_ms, now) or self._due(
                self._s.fills_try_ms, self._s.fills_ok, self._ttl_ms, now)

    def _refresh_due(self, force: bool) -> None:
        """Called with the refresher's lock held."""
        now = self._clock.now_ms()
        with self._lock:
            acc_due = force or self._due(self._s.account_try_ms, self._s.account_ok, self._sync_ms, now)
            fills_due = force or self._due(self._s.fills_try_ms, self._s.fills_ok, self._ttl_ms, now)
            expiries = self._expiries
        changed = False
        if acc_due:
            changed |= self._refresh_account(now)
        if fills_due:
            changed |= self._refresh_fills(now)
        with self._lock:
            if self._expiries != expiries:  # a fill landed while we read: what we got may predate it
                self._s.account_try_ms = self._s.fills_try_ms = None
        if changed:
            self._persist()

    def _due(self, tried: int | None, ok: bool, every_ms: int, now: int) -> bool:
        """After a failure retry sooner (`retry_s`) so a short blip does not stick for a minute."""
        return tried is None or now - tried >= (every_ms if ok else self._retry_ms)

    def _refresh_account(self, now: int) -> bool:
        try:
            balances = self._ex.fetch_balances()
            orders = list(self._ex.fetch_open_orders())
            prices = self._fetch_prices(balances)
        except Exception as exc:  # any exchange failure: keep the last good data
            self._failed("balances/orders", exc)
            with self._lock:
                self._s.account_ok, self._s.account_try_ms = False, now
                self._generation += 1
            return False
        with self._lock:
            self._s.account = Account(balances, orders, prices, now)
            self._s.account_ok, self._s.account_try_ms = True, now
            self._generation += 1
        return True

    def _fetch_prices(self, balances: Balances) -> dict[str, Decimal]:
        """Last price of every traded pair and of every held asset against the quote.

        A pair the exchange does not list is remembered and skipped (logged once); its asset is
        then left out of equity. A pair with no price yet (a replay before its first candle) is
        asked again at the next sync, never remembered as unpriced. An unreachable exchange
        aborts the whole sync instead.
        """
        wanted = list(self._pairs)
        for asset, amount in balances.total.items():
            pair = f"{asset}/{self._quote}"
            if amount != 0 and asset != self._quote and pair not in wanted:
                wanted.append(pair)
        old = self._s.account.prices if self._s.account else {}
        prices: dict[str, Decimal] = {}
        for pair in wanted:
            if pair in self._s.no_ticker:
                continue
            try:
                prices[pair] = self._ex.fetch_ticker(pair).last
            except ExchangeUnavailable:
                raise
            except Exception as exc:
                if pair in old:
                    prices[pair] = old[pair]
                elif UNKNOWN_PAIR in str(exc):  # not listed: remembered, never asked again
                    self._s.no_ticker.add(pair)
                    log.info("no price for %s (%s); it is left out of equity", pair, type(exc).__name__)
                else:  # no price YET (a replay before its first candle): asked again next sync
                    log.info("no price for %s yet (%s); left out of equity until it has one", pair,
                             type(exc).__name__)
        return prices

    def _refresh_fills(self, now: int) -> bool:
        with self._lock:
            known = dict(self._s.fills) if self._s.fills is not None else None
        since = None
        if known:
            since = max(f.ts_ms for f in known.values()) - FILL_OVERLAP_MS
        try:
            new = self._ex.fetch_my_trades(since)
        except Exception as exc:
            self._failed("trade history", exc)
            with self._lock:
                self._s.fills_ok, self._s.fills_try_ms = False, now
                self._generation += 1
            return False
        merged = known or {}
        merged.update({f.id: f for f in new})
        with self._lock:
            self._s.fills, self._s.fills_ms = merged, now
            self._s.fills_ok, self._s.fills_try_ms = True, now
            self._generation += 1
        return True

    def _failed(self, what: str, exc: Exception) -> None:
        # Only the error's class goes to the log line: adapter messages may echo request data.
        log.warning("status: %s unavailable (%s); serving cached data", what, type(exc).__name__)

    # -- persistence --------------------------------------------------------------------------
    def _persist(self) -> None:
        with self._lock:
            data = _dump_state(self._s)
        try:
            self._kv.set_json(INPUTS_KEY, data)
        except Exception as exc:  # the DB being busy must not break status
            log.warning("status: could not persist inputs (%s)", type(exc).__name__)

    def _restore(self) -> None:
        try:
            data = self._kv.get_json(INPUTS_KEY)
            if isinstance(data, dict):
                _load_state(self._s, data)
        except Exception as exc:  # a corrupt row: start empty rather than not at all
            log.warning("status: ignoring persisted inputs (%s)", type(exc).__name__)
            self._s = _State()


def _dec_map(d: dict[str, Decimal]) -> dict[str, str]:
    return {k: str(v) for k, v in d.items()}


def _order_dump(o: Order) -> dict[str, Any]:
    return {
        "id": o.id, "pair": o.pair, "side": o.side, "type": o.type, "amount": str(o.amount),
        "price": None if o.price is None else str(o.price), "status": o.status,
        "client_ref": o.client_ref, "created_ms": o.created_ms,
    }


def _fill_dump(f: Fill) -> dict[str, Any]:
    return {
        "id": f.id, "order_id": f.order_id, "pair": f.pair, "side": f.side,
        "amount": str(f.amount), "price": str(f.price), "fee": str(f.fee), "ts_ms": f.ts_ms,
    }


def _dump_state(s: _State) -> dict[str, Any]:
    out: dict[str, Any] = {"version": 1}
    if s.account is not None:
        a = s.account
        out["account"] = {
            "total": _dec_map(a.balances.total), "free": _dec_map(a.balances.free),
            "orders": [_order_dump(o) for o in a.orders], "prices": _dec_map(a.prices), "ms": a.ms,
        }
    if s.fills is not None:
        out["fills"] = [_fill_dump(f) for f in s.fills.values()]
        out["fills_ms"] = s.fills_ms
    return out


def _load_state(s: _State, data: dict[str, Any]) -> None:
    """Restored data is never 'ok': it is served as cache until the exchange answers."""
    acc = data.get("account")
    if isinstance(acc, dict):
        s.account = Account(
            balances=Balances(
                total={k: Decimal(v) for k, v in acc["total"].items()},
                free={k: Decimal(v) for k, v in acc["free"].items()},
            ),
            orders=[
                Order(
                    id=o["id"], pair=o["pair"], side=o["side"], type=o["type"],
                    amount=Decimal(o["amount"]), price=None if o["price"] is None else Decimal(o["price"]),
                    status=o["status"], client_ref=o.get("client_ref", ""), created_ms=int(o["created_ms"]),
                )
                for o in acc["orders"]
            ],
            prices={k: Decimal(v) for k, v in acc["prices"].items()},
            ms=int(acc["ms"]),
        )
    fills = data.get("fills")
    if isinstance(fills, list):
        s.fills = {
            f["id"]: Fill(
                id=f["id"], order_id=f["order_id"], pair=f["pair"], side=f["side"],
                amount=Decimal(f["amount"]), price=Decimal(f["price"]), fee=Decimal(f["fee"]),
                ts_ms=int(f["ts_ms"]),
            )
            for f in fills
        }
        s.fills_ms = int(data["fills_ms"])
