"""Keeping the book in line with the exchange: stop fills, entries that fill late, missing stops.

Why apart from the service: this is the one job that runs on its own schedule (before every
autopilot tick, after every replay walk, on the poller, on a pushed execution) rather than on a
command, and the one that reads the exchange the most. It reads first, without the trading lock
(the stops in one call, the unsettled entries, what re-protecting needs: `core.trading.prefetch`),
then takes the lock (`TradingLock.changing`) to decide and send. Fill hints (the paper exchange's
fill listener, Kraken's executions socket) say which orders to read; without them every sync
reads everything.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from core.domain import ExchangeError, ExchangeUnavailable, Fill, Order
from core.trading.entries import ENTRY_PURPOSES, read_entries, settle_entries, settle_found
from core.trading.parts import TradingParts
from core.trading.positions import TradeExit
from core.trading.prefetch import Prefetch
from core.trading.stop_checks import StopReading, check_stops, read_stops, stops_gone
from core.trading.trading_lock import TradingLock


class BookSync:
    def __init__(self, door: TradingLock, parts: TradingParts, stop_grace_ms: int) -> None:
        self.door, self.parts, self.stop_grace_ms = door, parts, stop_grace_ms
        self._hints: set[str] = set()
        self._hint_lock = threading.Lock()
        self._read_at = -1e9  # when `sync` last read the stops (monotonic seconds)
        self.fill_listeners: list[Callable[[bool], None]] = []  # told `True` on every exchange fill
        add_fill_listener = getattr(parts.exchange, "add_fill_listener", None)  # the paper exchange's
        self._hinted = callable(add_fill_listener)
        if callable(add_fill_listener):
            add_fill_listener(self._on_fill)

    def _on_fill(self, order: Order, fill: Fill) -> None:
        """Exchange fill listener (paper): only remembers the id; `sync` does the work under the lock."""
        with self._hint_lock:
            self._hints.add(order.id)
        for listener in self.fill_listeners:
            listener(True)

    def sync(self, full: bool = False, read_every_s: float = 0.0) -> list[TradeExit]:
        """Book stop fills, bracket filled entries, re-place missing stops.

        Never raises for exchange trouble: it runs before every autopilot tick and after every
        replay walk, so one failing call must not stop trading. Each failure is journaled and
        what it concerned is looked at again on the next sync. Every stop is read in ONE call,
        before the lock is taken (a caller already holding it, reconcile or the replay's walk,
        reads under it): chat never waits behind the reads (issue 19). So are the unsettled
        entries' orders and what re-protecting a position without a stop looks at (issue 18):
        under the lock they are used only while current (`core.trading.prefetch`: no action
        since, on any thread), else read again there. `read_every_s`: a poller's sync
        reads the stops only when the last reading is that old (Kraken's private-call budget is
        shared with chat; a stop is executed by Kraken itself, booking it can wait that long).
        """
        with self._hint_lock:
            hints, self._hints = self._hints, set()
        ids = None if full or not self._hinted else hints
        failed: set[str] = set()
        reading = StopReading(frozenset(), {})
        seen = self.door.version
        if time.monotonic() - self._read_at < read_every_s:
            failed |= hints  # read recently: what was hinted waits for the next reading
        elif ids is None or ids:
            self._read_at = time.monotonic()
            try:
                positions = self.parts.positions
                reading = read_stops(self.parts.exchange, positions.book.all(), ids, positions.clock.now_ms())
            except (ExchangeError, ExchangeUnavailable) as exc:
                kind = "transient" if isinstance(exc, ExchangeUnavailable) else "exchange"
                self.parts.journal.error("trading.check_stops", kind, f"stops not read: {exc}")
                failed |= hints
        settle = full or not self._hinted or bool(hints)
        pre = Prefetch(self.parts.desk.moves)  # the entries to settle and the positions to protect, read now
        if settle:
            read_entries(self.parts, pre)
        self.parts.positions.read_unprotected(pre, stops_gone(reading, self.parts.positions.book.all()))
        with self.door.changing():
            if self.door.version != seen:  # an action landed after the reads: what they said may be stale
                pre = Prefetch()
            exits = check_stops(self.parts.positions, reading, failed, self.stop_grace_ms, pre)
            if settle and not settle_entries(self.parts, pre):
                failed |= hints
            if failed:
                with self._hint_lock:
                    self._hints |= failed
            for bracket in self.parts.positions.book.all():
                if not bracket.stop_order_id:
                    exits.extend(x for x in [self.parts.positions.protect(bracket, pre)[1]] if x is not None)
            return exits

    def hint(self, order_id: str) -> None:
        """An order changed on the exchange (a socket said so): the next sync reads it."""
        with self._hint_lock:
            self._hints.add(order_id)

    def apply_pushed(self, order: Order) -> list[TradeExit]:
        """An order's final state as the exchange pushed it (Kraken's `executions` socket), applied
        NOW through the steps `sync` runs on a REST reading, so a fill counts the moment it
        happens rather than when REST shows it (issue 21). Only finished orders are applied
        (closed or canceled, the amounts saying so); an open one is hinted for the next sync.

        Exactly once whichever report comes first: a stop's fill closes (or shrinks) its trade
        and drops it from the book, an entry's fill links its trade to the entry row in the same
        commit; the later REST reading then finds nothing left to do, and a repeated push the
        same. REST stays the authority: anything this cannot match is left to `sync`."""
        if order.status == "open":
            self.hint(order.id)
            return []
        with self.door.changing():  # a reading another thread took before this is no longer current
            if self.parts.positions.book.by_stop(order.id) is not None:
                reading = StopReading(frozenset({order.id}), {order.id: order})
                return check_stops(self.parts.positions, reading, None, self.stop_grace_ms)
            row = self.parts.journal.order_by_exchange_id(order.id)
            if row is None and order.client_ref:
                row = next((r for r in self.parts.journal.orders_with_status(["new"])
                            if r.client_ref == order.client_ref), None)
            if (row is not None and row.purpose in ENTRY_PURPOSES and row.side == "buy"
                    and row.trade_id is None and row.status in ("new", "open")):
                try:
                    settle_found(self.parts, row, order)
                except (ExchangeError, ExchangeUnavailable) as exc:
                    self.parts.journal.error("trading.apply_pushed", "transient", f"entry {row.client_ref}: {exc}")
                    self.hint(order.id)
            return []
