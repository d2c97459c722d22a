"""The unit of work trading depends on: one change of an open position, committed at once or not at all.

Why a Protocol: every change of a position (the `Bracket`, its trade row, the order row that
changed it, the entry's saved plan) must land in one commit, or a crash could lose a partial
fill's accounting or leave a closed trade with a live bracket. Trading needs only that promise,
not SQL: `core/trading/uow_sql.py::SqlUnitOfWork` keeps it with one SQLModel session, and
`tests/fakes/unit_of_work.py::FakeUnitOfWork` with dictionaries, so position bookkeeping can be
tested without a database.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any, Protocol

from core.telemetry.models import TradeRow
from core.trading.bracket import Bracket


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
