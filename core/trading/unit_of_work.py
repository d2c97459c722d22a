"""The unit of work trading depends on: one change of an open position, committed at once or not at all,
and the records trading keeps beside it (its journal of orders, trades, decisions and safety
events; its kv state: the kill-switch, the pause, the entry plans, the autopilot's pair state).

Why a Protocol: every change of a position (the `Bracket`, its trade row, the order row that
changed it, the entry's saved plan) must land in one commit, or a crash could lose a partial
fill's accounting or leave a closed trade with a live bracket. Trading needs only that promise
and those records, not SQL: `core/trading/uow_sql.py::SqlUnitOfWork` keeps them in the database
(one SQLModel session per change; `core.trading.journal.Journal`; the kv table), and
`tests/fakes/unit_of_work.py::FakeUnitOfWork` in dictionaries, so the trading service and its
bookkeeping can be tested without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from core.domain import Order, OrderRequest
from core.telemetry.models import DecisionRow, EquitySnapshotRow, OrderRow, TradeRow
from core.trading.bracket import Bracket


class DecisionBatch(Protocol):
    def tick(self) -> AbstractContextManager[None]:
        """Hold this thread's decision rows until the outermost tick ends, then write them at once."""
        ...


class TradingJournal(Protocol):
    """What trading writes and reads back: order rows (written BEFORE a send), trades, decisions,
    safety events and errors. Rows come back detached: a caller may keep them."""

    @property
    def source(self) -> str: ...

    @property
    def batch(self) -> DecisionBatch: ...

    def decision(self, row: DecisionRow, extras: Sequence[Any] = ()) -> DecisionRow: ...

    def decision_update(self, decision_id: int, **changes: Any) -> None: ...

    def order_new(self, req: OrderRequest, purpose: str, trade_id: int | None = None) -> OrderRow: ...

    def order_sent(self, client_ref: str, order: Order) -> None: ...

    def order_update(self, client_ref: str, **changes: Any) -> None: ...

    def orders_with_status(self, statuses: Iterable[str]) -> list[OrderRow]: ...

    def orders_for_trade(self, trade_id: int, statuses: Iterable[str]) -> list[OrderRow]: ...

    def order_by_exchange_id(self, exchange_id: str) -> OrderRow | None: ...

    def open_trades(self) -> list[TradeRow]: ...

    def closed_trade_rows(self, pair: str | None = None) -> list[TradeRow]: ...

    def safety(self, kind: str, detail: str) -> None: ...

    def error(self, where: str, kind: str, message: str) -> None: ...

    def equity_row(self, ts_ms: int, equity: float, cash: float) -> EquitySnapshotRow: ...


class KeyValues(Protocol):
    """Small durable state as JSON under string keys (the kv table)."""

    def get_json(self, key: str, default: Any = None) -> Any: ...

    def set_json(self, key: str, value: Any) -> None: ...

    def delete(self, key: str) -> None: ...


class PositionChanges(Protocol):
    """The writes of one change; nothing is visible to others until the unit of work commits."""

    def save(self, bracket: Bracket) -> None: ...

    def drop(self, trade_id: int) -> None: ...

    def open_trade(self, row: TradeRow, entry_ref: str = "") -> TradeRow:
        """Insert the trade (its id is assigned now), link its entry order, drop the entry's plan."""
        ...

    def update_trade(self, trade_id: int, **changes: Any) -> None: ...

    def update_order(self, client_ref: str, **changes: Any) -> None: ...

    def drop_plan(self, client_ref: str) -> None: ...


class UnitOfWork(Protocol):
    @property
    def journal(self) -> TradingJournal: ...

    @property
    def kv(self) -> KeyValues: ...

    # told after each commit (issue 20.1: the status snapshot is rebuilt on the next read);
    # a listener must only take note, never do I/O: it runs on the trading thread
    on_commit: list[Callable[[], None]]

    def change(self) -> AbstractContextManager[PositionChanges]:
        """`with uow.change() as tx: ...` commits everything done on `tx` at once; an exception
        inside the block commits nothing."""
        ...

    def load(self) -> dict[int, Bracket]:
        """Every saved position by trade id."""
        ...
