"""The one seam between Kraken's `executions` socket and the trading core (issue 21 point 2).

Why one small module: the trading core is getting typed events/commands (another branch); this
is the only place that knows both sides, so re-pointing it at merge time touches nothing else.
What it does, on the socket's thread:
- each `trade` execution is remembered per order (its exec id, amount and fee); a repeated
  exec id (a duplicated message) is dropped here, and the core's own bookkeeping makes a fill
  seen on the socket and later on REST count once;
- an order is finished when the AMOUNTS say so (cum_qty >= order_qty; Kraken labels even the
  completing trade "partially_filled"): if this socket saw every fill of it (their amounts add
  up to cum_qty), the finished order — filled, average price, fees — goes to the core's
  `apply_pushed`, which books it through the same steps as a REST reading; otherwise (a fill
  before this connection, or an event this cannot complete) the order is hinted and a REST
  sync is woken instead;
- a status event without a fill (cancelled, expired, a stop triggered) hints the order and
  wakes a REST sync at once (the cancel of a stop behind Zyn's back is answered in seconds);
- the stream (re)subscribing or closing wakes a full REST sync: REST is the authority for
  anything that happened while no socket was listening (start-up and every reconnect).
Applying and syncing run on the bridge's own worker thread, one at a time and in arrival
order, never on the socket's: a trading lock held by a slow REST call must not stop the socket
reading (its heartbeats, the next fills).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from loguru import logger

from adapters.kraken.ws_executions import ExecutionFill, ExecutionStream
from core.domain import Order

log = logger.bind(component="kraken_ws")
SEEN_MAX = 10_000  # exec ids remembered (a duplicate arrives within seconds, not days)


class FillTarget(Protocol):
    """What the bridge calls on the trading core (TradingService today)."""

    def apply_pushed(self, order: Order) -> Any: ...

    def hint(self, order_id: str) -> None: ...

    def sync(self, full: bool = False, read_every_s: float = 0.0) -> Any: ...


@dataclass
class _Seen:
    amount: Decimal = Decimal(0)
    fee: Decimal = Decimal(0)
    exec_ids: set[str] = field(default_factory=set)


class ExecutionBridge:
    def __init__(self, target: FillTarget, *, caller_ref: Callable[[str], str] = lambda ref: ref,
                 after_apply: Callable[[], None] = lambda: None) -> None:
        """`caller_ref`: the caller's reference for a `cl_ord_id` Kraken echoes (the adapter maps
        some to UUID5); `after_apply`: called once a pushed order was applied (status refresh)."""
        self._target, self._caller_ref, self._after_apply = target, caller_ref, after_apply
        self._orders: dict[str, _Seen] = {}
        self._seen_ids: dict[str, None] = {}
        self._lock = threading.Lock()
        self._work: queue.Queue[Order | None] = queue.Queue()  # an order to apply, or None: a REST sync
        self._sync_queued = False
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self.applied = 0  # orders applied from the socket (status / tests)
        self.syncs = 0  # REST syncs woken

    # ------------------------------------------------------------------ wiring
    def stream(self, url: str, token: Callable[[], str], **kw: Any) -> ExecutionStream:
        return ExecutionStream(url, token, self.on_fill, on_state=self.on_state, on_change=self.on_change, **kw)

    def start(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._stop.clear()
            self._worker = threading.Thread(target=self._run, name="executions-sync", daemon=True)
            self._worker.start()

    def stop(self) -> None:
        self._stop.set()
        self._work.put(None)
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join(timeout=5)

    # ------------------------------------------------------------------ socket side
    def on_state(self, state: str) -> None:
        log.bind(state=state).info("executions stream {}: REST sync woken", state)
        self._wake_sync()

    def _wake_sync(self) -> None:
        with self._lock:
            if self._sync_queued:
                return  # one pending sync reads everything anyway
            self._sync_queued = True
        self._work.put(None)

    def on_change(self, order_id: str, what: str) -> None:
        """A cancellation, expiry or stop trigger: the order is read by a REST sync woken now
        (a stop cancelled behind Zyn's back is put back at once, not at the next poll)."""
        self._target.hint(order_id)
        self._wake_sync()

    def on_fill(self, fill: ExecutionFill) -> None:
        with self._lock:
            if fill.exec_id and fill.exec_id in self._seen_ids:
                return  # the same execution twice (a duplicated message): once is enough
            if fill.exec_id:
                self._seen_ids[fill.exec_id] = None
                if len(self._seen_ids) > SEEN_MAX:
                    self._seen_ids.pop(next(iter(self._seen_ids)))
            seen = self._orders.setdefault(fill.order_id, _Seen())
            seen.amount += fill.amount
            seen.fee += fill.fee
            whole = seen.amount == fill.cum_qty
            if fill.complete:
                self._orders.pop(fill.order_id, None)
        if not fill.complete:
            self._target.hint(fill.order_id)  # a part: the order is still open; REST settles it
            return
        if not whole:  # this socket missed a fill of it: REST knows the whole order
            self._target.hint(fill.order_id)
            self._wake_sync()
            return
        self._work.put(finished_order(fill, seen.fee, self._caller_ref(fill.client_ref)))

    # ------------------------------------------------------------------ REST side
    def _run(self) -> None:
        while not self._stop.is_set():
            item = self._work.get()
            if self._stop.is_set():
                break
            try:
                if item is None:
                    with self._lock:
                        self._sync_queued = False
                    self._target.sync(full=True)
                    self.syncs += 1
                else:
                    self._target.apply_pushed(item)
                    self.applied += 1
                    self._after_apply()
            except Exception:  # noqa: BLE001 - the core journals its own failures; keep the worker alive
                log.exception("applying an executions report failed")


def finished_order(fill: ExecutionFill, fee: Decimal, client_ref: str) -> Order:
    """The order as its completing execution reports it (status from the amounts, not the label)."""
    side: Any = fill.side
    otype: Any = fill.order_type if fill.order_type in ("market", "limit", "stop-loss", "take-profit") else "market"
    return Order(
        id=fill.order_id, pair=fill.pair, side=side, type=otype, amount=fill.order_qty, price=None,
        status="closed", filled=fill.cum_qty, average_price=fill.avg_price or fill.price, fee=fee,
        client_ref=client_ref, closed_ms=fill.ts_ms or None,
    )
