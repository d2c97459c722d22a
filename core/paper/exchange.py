"""`PaperExchange`: the paper engine plus write-through persistence, behind `core.ports.Exchange`.

One re-entrant lock guards the engine: listeners called from inside `walk_candle` run on the
same thread and may place or cancel orders, which must not deadlock. Every action flushes the
engine's change batch in one transaction before anyone is told about it; if an action or its
write fails, the engine is reloaded from the database so memory never runs ahead of disk.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal
from functools import partial
from typing import TypeVar

from sqlalchemy.engine import Engine

from core.domain import (
    Balances,
    Candle,
    ExchangeUnavailable,
    Fill,
    InvalidOrder,
    Market,
    Order,
    OrderNotFound,
    OrderRequest,
    Ticker,
)
from core.paper import rules
from core.paper.engine import PaperEngine, PaperState
from core.paper.ids import new_salt
from core.paper.store import PaperStore
from core.paper.walk import WalkClock, candle_path, next_stop
from core.ports import Clock, PriceListener

log = logging.getLogger(__name__)

T = TypeVar("T")
CandleSource = Callable[[str, str, int | None, int | None], list[Candle]]
FillListener = Callable[[Order, Fill], None]

DEFAULT_FEE_RATE = Decimal("0.0026")


def _default_balances() -> dict[str, Decimal]:
    return {"USD": Decimal(10000)}


class PaperExchange:
    """A simulated Kraken spot account that survives restarts (see docs/ARCHITECTURE.md)."""

    name = "paper"

    def __init__(
        self,
        engine: Engine,
        markets: Mapping[str, Market],
        clock: Clock,
        fee_rate: Decimal = DEFAULT_FEE_RATE,
        start_balances: Mapping[str, Decimal] | None = None,
        candle_source: CandleSource | None = None,
    ) -> None:
        self._store = PaperStore(engine)
        self._markets = dict(markets)
        self._clock = clock
        self._fee_rate = fee_rate
        self._candles = candle_source
        self._lock = threading.RLock()
        self._price_listeners: list[PriceListener] = []
        self._fill_listeners: list[FillListener] = []
        self._walk_ts: int | None = None
        self._walking = False
        self._outer_lock: threading.RLock | None = None
        self._prices_held = 0  # inside held_prices(): quote-only changes wait for one write
        state = self._store.load()
        if state is None:
            self._book = PaperEngine(self._markets, fee_rate, PaperState(salt=new_salt()))
            self._book.reset(start_balances if start_balances is not None else _default_balances())
            self._store.apply(self._book.take_changes())
        else:
            self._book = PaperEngine(self._markets, fee_rate, state)

    # ----------------------------------------------------------------- Exchange port
    def load_markets(self) -> dict[str, Market]:
        return dict(self._markets)

    def fetch_balances(self) -> Balances:
        with self._lock:
            return self._book.balances()

    def fetch_ticker(self, pair: str) -> Ticker:
        with self._lock:
            self._book.market(pair)
            quote = self._book.price(pair)
        if quote is None:
            raise InvalidOrder(rules.err_no_price(pair))
        price, ts_ms = quote
        return Ticker(pair=pair, last=price, bid=price, ask=price, ts_ms=ts_ms)

    def fetch_ohlcv(
        self, pair: str, timeframe: str, since_ms: int | None = None, limit: int | None = None
    ) -> list[Candle]:
        """Delegated: the paper account has no market data of its own."""
        if self._candles is None:
            raise ExchangeUnavailable("no market data")
        return self._candles(pair, timeframe, since_ms, limit)

    def create_order(self, request: OrderRequest, fill_at_most: Decimal | None = None) -> Order:
        """`fill_at_most`: the sim's `partial` fault (only that much fills now, the rest rests)."""
        with self._lock:
            order, fill = self._act(lambda: self._book.place(request, self._now(), fill_at_most))
            if fill is not None:
                self._tell_fill(order, fill)
            return order

    def fill_part(self, order_id: str, amount: Decimal) -> Order:
        """Execute `amount` of an open order at the current price now; the rest stays open."""
        with self._lock:
            order, fill = self._act(lambda: self._book.fill_part(order_id, amount, self._now()))
            if fill is not None:
                self._tell_fill(order, fill)
            return order

    def cancel_order(self, order_id: str) -> None:
        with self._lock:
            self._act(lambda: self._book.cancel(order_id, self._now()))

    def fetch_order(self, order_id: str) -> Order:
        with self._lock:
            return self._book.order(order_id)

    def fetch_orders(self, order_ids: Sequence[str]) -> dict[str, Order]:
        """Every known order of `order_ids` (unknown ids left out), as Kraken's QueryOrders."""
        found: dict[str, Order] = {}
        with self._lock:
            for order_id in order_ids:
                try:
                    found[order_id] = self._book.order(order_id)
                except OrderNotFound:
                    continue
        return found

    def find_order_by_client_ref(self, client_ref: str) -> Order | None:
        with self._lock:
            return self._book.find_by_client_ref(client_ref)

    def fetch_open_orders(self, pair: str | None = None) -> list[Order]:
        with self._lock:
            return self._book.open_orders(pair)

    def fetch_closed_orders(self, since_ms: int | None = None) -> list[Order]:
        with self._lock:
            return self._book.closed_orders(since_ms)

    def fetch_my_trades(self, since_ms: int | None = None) -> list[Fill]:
        with self._lock:
            return self._book.fills(since_ms)

    def fee_rate(self, pair: str) -> Decimal:
        return self._fee_rate

    # ----------------------------------------------------------------- paper extras
    def add_price_listener(self, listener: PriceListener) -> None:
        with self._lock:
            self._price_listeners.append(listener)

    def remove_price_listener(self, listener: PriceListener) -> None:
        with self._lock:
            if listener in self._price_listeners:
                self._price_listeners.remove(listener)

    def add_fill_listener(self, listener: FillListener) -> None:
        with self._lock:
            self._fill_listeners.append(listener)

    def set_listener_lock(self, lock: threading.RLock) -> None:
        """The lock a price listener takes in `on_price` (the TradingService lock).

        `walk_candle` takes it BEFORE the engine lock, so the lock order is always service ->
        paper: a walk whose listener exits a position cannot deadlock against a thread that
        holds the service lock and is waiting for this exchange (e.g. a chat order).
        """
        self._outer_lock = lock

    def set_price(self, pair: str, price: Decimal, ts_ms: int) -> None:
        """Quote only: market orders use this price; resting orders wait for a walk."""
        with self._lock:
            if self._prices_held:
                self._book.set_price(pair, price, ts_ms)  # checks first, changes nothing when it raises
                return
            self._act(lambda: self._book.set_price(pair, price, ts_ms))

    @contextmanager
    def held_prices(self) -> Iterator[None]:
        """A replay step (issue 20.4): the quotes it moves (an open per pair, a walk per candle)
        are written once at its end, not per pair. Anything else the account does in between
        (an order, a fill, a reset) writes the waiting quotes first, as before, in their own
        commit; a crash loses only quotes, which the replay sets again."""
        with self._lock:
            self._prices_held += 1
        try:
            yield
        finally:
            with self._lock:
                self._prices_held -= 1
                if not self._prices_held:
                    self._flush()

    def reset(self, start_balances: Mapping[str, Decimal] | None = None) -> None:
        """Start the account over (tests, CLI): orders and fills go, prices and ids stay."""
        with self._lock:
            balances = start_balances if start_balances is not None else _default_balances()
            self._act(lambda: self._book.reset(balances))

    def walk_candle(self, pair: str, candle: Candle, duration_ms: int | None = None) -> None:
        """Move the price along open -> low -> high -> close, filling orders on the way.

        Stops at every resting order level and every listener watch level inside each leg, so
        a stop exits at min(open, stop) and a watched target at max(open, target), stop first.
        """
        outer = self._outer_lock
        if outer is not None:
            with outer:
                self._walk_locked(pair, candle, duration_ms)
        else:
            self._walk_locked(pair, candle, duration_ms)

    def _walk_locked(self, pair: str, candle: Candle, duration_ms: int | None) -> None:
        with self._lock:
            if self._walking:
                raise RuntimeError("walk_candle is not re-entrant (called from a listener?)")
            self._book.market(pair)
            self._walking = True
            try:
                self._walk(pair, candle, WalkClock(candle.ts, duration_ms))
            finally:
                self._walking = False
                self._walk_ts = None
                self._flush(quotes_may_wait=True)

    # ----------------------------------------------------------------- internals
    def _walk(self, pair: str, candle: Candle, clock: WalkClock) -> None:
        path = candle_path(candle)
        self._visit(pair, path[0], clock.next_ts())
        for start, end in zip(path, path[1:], strict=False):
            current = start
            while current != end:
                levels = [] if clock.exhausted else self._levels(pair)
                current = next_stop(current, end, levels)
                self._visit(pair, current, clock.next_ts())

    def _levels(self, pair: str) -> list[Decimal]:
        levels = self._book.resting_levels(pair)
        for listener in list(self._price_listeners):
            try:
                levels.extend(listener.watch_levels(pair))
            except Exception:
                log.exception("price listener %r failed in watch_levels", listener)
        return levels

    def _visit(self, pair: str, price: Decimal, ts_ms: int) -> None:
        """One pause of the walk: the price is here, orders through it fill, listeners look."""
        self._walk_ts = ts_ms
        self._book.set_price(pair, price, ts_ms)
        tried: set[str] = set()
        while True:
            pending = [oid for oid in self._book.triggered(pair) if oid not in tried]
            if not pending:
                break
            tried.add(pending[0])
            order, fill = self._act(partial(self._book.fill_resting, pending[0], ts_ms))
            if fill is not None:
                self._tell_fill(order, fill)
        for listener in list(self._price_listeners):
            try:
                listener.on_price(pair, price, ts_ms)
            except Exception:
                log.exception("price listener %r failed in on_price", listener)

    def _act(self, action: Callable[[], T]) -> T:
        """Run one engine command and persist its changes atomically, or undo it entirely."""
        self._flush()  # e.g. the walk's latest price, so it is not mixed into this action
        try:
            result = action()
        except BaseException:
            if self._book.has_changes():
                self._reload()
            raise
        self._flush()
        return result

    def _flush(self, quotes_may_wait: bool = False) -> None:
        if quotes_may_wait and self._prices_held and self._book.only_prices_pending():
            return
        changes = self._book.take_changes()
        if changes.is_empty():
            return
        try:
            self._store.apply(changes)
        except BaseException:
            self._reload()
            raise

    def _reload(self) -> None:
        """Throw away unpersisted memory: the database is the truth after a failed write."""
        self._book.take_changes()
        state = self._store.load()
        if state is None:
            state = PaperState(salt=new_salt())
        self._book = PaperEngine(self._markets, self._fee_rate, state)

    def _tell_fill(self, order: Order, fill: Fill) -> None:
        for listener in list(self._fill_listeners):
            try:
                listener(order, fill)
            except Exception:
                log.exception("fill listener %r failed", listener)

    def _now(self) -> int:
        return self._walk_ts if self._walk_ts is not None else self._clock.now_ms()
