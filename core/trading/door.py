"""What the autopilot may ask of trading: commands, typed queries and events, nothing else (issue 18).

Why a Protocol: the autopilot used to reach into `TradingService` members (its lock, version,
guard, journal, kv state, exchange and clock), so any change inside the service could break the
decision loop, and the loop could change state behind the service's back. The autopilot is typed
against `TradingDoor`; mypy (strict on core) refuses any other member. Actions go through
`handle(cmd)`; the guard is read as a copy and fed through one method; the decision records and
the pair's persisted strategy state are written through the service, which owns the journal and
the kv state (so a decision and the state it leaves share one commit). Reading the exchange
outside the trading lock and deciding under it is `read_then_act`: the one place that pattern
lives (the service's version says whether a reading is still current).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from core.domain import Balances, Market
from core.strategy.daily_loss import DailyLossGuard
from core.strategy.risk import RiskConfig
from core.telemetry.models import DecisionRow, EquitySnapshotRow
from core.trading.bracket import Bracket
from core.trading.commands import Command
from core.trading.results import TradeResult
from core.trading.tick_batch import KvWrite

R = TypeVar("R")
T = TypeVar("T")
E = TypeVar("E")


class TradingDoor(Protocol):
    """The trading service as the autopilot sees it."""

    # ---------------------------------------------------------------- acting
    def handle(self, cmd: Command) -> TradeResult: ...

    def sync(self, full: bool = False, read_every_s: float = 0.0) -> Sequence[object]: ...

    def read_then_act(self, read: Callable[[], R], act: Callable[[R], T]) -> T: ...

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> Callable[[], None]: ...

    # ---------------------------------------------------------------- queries
    @property
    def pairs(self) -> tuple[str, ...]: ...

    @property
    def cfg(self) -> RiskConfig: ...

    @property
    def markets(self) -> dict[str, Market]: ...

    @property
    def paused_reason(self) -> str | None: ...

    def now_ms(self) -> int: ...

    def brackets(self, pair: str | None = None) -> list[Bracket]: ...

    def has_position(self, pair: str, origin: str | None = None) -> bool: ...

    def balances(self) -> Balances: ...

    def price_now(self, pair: str) -> Decimal: ...

    # ---------------------------------------------------------------- the daily loss guard
    def loss_guard(self) -> DailyLossGuard: ...

    def halted(self, at_ms: int | None = None) -> bool: ...

    def set_loss_limit(self, limit: float) -> None: ...

    def mark_close(self, ts_ms: int, equity: Decimal) -> bool: ...

    # ---------------------------------------------------------------- what the autopilot records
    def note_atr(self, pair: str, atr: float) -> None: ...

    def decisions_batch(self) -> AbstractContextManager[None]: ...

    def record_decision(self, row: DecisionRow, extras: Sequence[Any] = ()) -> DecisionRow: ...

    def amend_decision(self, decision_id: int, **changes: Any) -> None: ...

    def equity_row(self, ts_ms: int, equity: float, cash: float) -> EquitySnapshotRow: ...

    def note_safety(self, kind: str, detail: str) -> None: ...

    def pair_state(self, pair: str) -> tuple[dict[str, Any] | None, int | None]: ...

    def save_pair_state(self, pair: str, strategy_state: Mapping[str, Any], last_ts: int | None) -> None: ...

    def pair_state_rows(self, pair: str, strategy_state: Mapping[str, Any], last_ts: int | None) -> list[KvWrite]: ...
