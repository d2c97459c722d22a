"""`FILL_LAG_S`: the sim's REST shows a fill only some seconds after it happened.

Why: Kraken's REST can lag fills by seconds while the `executions` socket pushes them at once
(issue 21); a test of "the socket tells Zyn first" needs a REST that is late the same way.
With `seconds > 0`, an order that filled within the last `seconds` is shown by QueryOrders,
OpenOrders and ClosedOrders as it was before that fill (open, its earlier fills only), and
TradesHistory leaves the new fills out; afterwards everything shows as usual. New orders (a
conditional close placed on the fill included) are not delayed. The socket is never delayed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace

from core.domain import Fill, Order


@dataclass
class _Late:
    until: float  # monotonic seconds
    before: Order  # the order as REST keeps showing it meanwhile
    fills: set[str]


class FillLag:
    def __init__(self) -> None:
        self.seconds = 0.0
        self._late: dict[str, _Late] = {}
        self._lock = threading.Lock()

    def on_fill(self, order: Order, fill: Fill) -> None:
        """Fill listener: remember how the order looked before a fill REST must not show yet."""
        if self.seconds <= 0:
            return
        with self._lock:
            late = self._late.get(order.id)
            if late is None or late.until <= time.monotonic():
                before = replace(order, filled=order.filled - fill.amount, status="open", closed_ms=None)
                late = _Late(0.0, before, set())
                self._late[order.id] = late
            late.until = time.monotonic() + self.seconds
            late.fills.add(fill.id)

    def reveal(self) -> None:
        """Stop lagging: REST shows everything from now on (tests end the lag this way)."""
        with self._lock:
            self.seconds = 0.0
            self._late.clear()

    def _current(self) -> dict[str, _Late]:
        now = time.monotonic()
        with self._lock:
            for oid in [k for k, v in self._late.items() if v.until <= now]:
                del self._late[oid]
            return dict(self._late)

    def as_seen(self, order: Order) -> Order:
        late = self._current().get(order.id)
        return late.before if late is not None else order

    def hidden_fills(self) -> set[str]:
        return {f for late in self._current().values() for f in late.fills}

    def open_view(self, open_orders: list[Order], closed: list[Order]) -> list[Order]:
        """OpenOrders as REST shows it: closed orders whose fill is still late look open."""
        late = self._current()
        shown = [late[o.id].before if o.id in late else o for o in open_orders]
        return shown + [late[o.id].before for o in closed if o.id in late]

    def closed_view(self, closed: list[Order]) -> list[Order]:
        late = self._current()
        return [o for o in closed if o.id not in late]
