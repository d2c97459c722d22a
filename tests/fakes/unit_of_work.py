"""FakeUnitOfWork: trading's unit of work (core/trading/unit_of_work.py) kept in dictionaries.

Why: position bookkeeping promises "one change, one commit, or nothing"; the fake keeps that
promise without a database (a change works on copies that replace the committed state only when
the block ends without an exception), so tests of what trading writes need no SQLite.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from core.telemetry.models import TradeRow
from core.trading.bracket import Bracket


@dataclass
class _State:
    positions: dict[int, Bracket] = field(default_factory=dict)
    trades: dict[int, TradeRow] = field(default_factory=dict)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # client ref -> changes (trade_id, status...)
    plans_dropped: set[str] = field(default_factory=set)
    next_id: int = 1


class FakeChange:
    def __init__(self, state: _State, source: str) -> None:
        self.state, self.source = state, source

    def save(self, bracket: Bracket) -> None:
        self.state.positions[bracket.trade_id] = bracket

    def drop(self, trade_id: int) -> None:
        self.state.positions.pop(trade_id, None)

    def open_trade(self, row: TradeRow, entry_ref: str = "") -> TradeRow:
        row.id, row.source = self.state.next_id, self.source
        self.state.next_id += 1
        self.state.trades[row.id] = row
        if entry_ref:
            self.state.orders.setdefault(entry_ref, {})["trade_id"] = row.id
            self.drop_plan(entry_ref)
        return row

    def update_trade(self, trade_id: int, **changes: Any) -> None:
        row = self.state.trades.get(trade_id)
        if row is not None:
            for key, value in changes.items():
                setattr(row, key, value)

    def update_order(self, client_ref: str, **changes: Any) -> None:
        self.state.orders.setdefault(client_ref, {}).update(changes)

    def drop_plan(self, client_ref: str) -> None:
        self.state.plans_dropped.add(client_ref)


class FakeUnitOfWork:
    def __init__(self, source: str = "paper") -> None:
        self.source = source
        self.committed = _State()
        self.commits = 0
        self.on_commit: list[Callable[[], None]] = []  # as SqlUnitOfWork's: told after each commit

    @contextmanager
    def change(self) -> Iterator[FakeChange]:
        work = copy.deepcopy(self.committed)
        yield FakeChange(work, self.source)
        self.committed = work  # only reached when the block raised nothing
        self.commits += 1
        for listener in self.on_commit:
            listener()

    def load(self) -> dict[int, Bracket]:
        return dict(self.committed.positions)
