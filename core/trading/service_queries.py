"""What TradingService answers and records without sending an order: the queries.

Split from `core/trading/service.py` (house rule: one job per module). The service's reads
(markets, positions, the pause and the kill-switch's state, balances and prices read WITHOUT the
trading lock), the autopilot's records (decisions, equity, pair state: journal writes, no order),
the gates every entry passes and the manual order's preview. Nothing here sends, cancels or
changes an order or a position; those are the commands in `core/trading/service.py`. The
attributes are set by `TradingService.__init__` (the one constructor); they are declared here
so the queries type-check on their own. Lock use is unchanged: `loss_guard`, `set_loss_limit`,
`mark_close` and `preview_order` take the one trading lock (re-entrant) and `read_then_act`
runs its `act` under it; the other reads take no lock, as before the split.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from decimal import Decimal
from typing import Any, Protocol, TypeVar

from core.domain import Balances, ExchangeUnavailable, Market, UserError, ZynError
from core.ports import Clock, Exchange
from core.strategy.daily_loss import DailyLossGuard
from core.strategy.risk import RiskConfig
from core.telemetry.models import DecisionRow, EquitySnapshotRow
from core.trading.bracket import Bracket
from core.trading.bus import EventBus
from core.trading.manual import Gatekeeping, ManualChecker
from core.trading.positions import Positions
from core.trading.rules import TradingPolicy
from core.trading.state import TradingState
from core.trading.tick_batch import KvWrite
from core.trading.trading_lock import TradingLock
from core.trading.types import ManualOrder, OrderPreview
from core.trading.unit_of_work import TradingJournal

E = TypeVar("E")
R = TypeVar("R")
T = TypeVar("T")


class BreakerView(Protocol):
    @property
    def state(self) -> str: ...


class StorageView(Protocol):
    """What is wrong with storage right now (None = writes work); see telemetry.storage_health."""

    @property
    def fault(self) -> str | None: ...


class TradingQueries:
    """The read side of `TradingService` (its base class); see the module docstring."""

    _door: TradingLock
    bus: EventBus
    policy: TradingPolicy | None
    _atr_fallback: Callable[[str], float | None] | None
    exchange: Exchange
    clock: Clock
    cfg: RiskConfig
    breaker: BreakerView | None
    storage: StorageView | None
    journal: TradingJournal
    state: TradingState
    _markets: dict[str, Market] | None
    positions: Positions
    _atr: dict[str, float]

    @property
    def lock(self) -> threading.RLock:
        """The one trading lock (`TradingLock`): every money action holds it."""
        return self._door.lock

    @property
    def version(self) -> int:
        """Bumped by every action that may change orders, positions or balances (under the lock):
        a caller that read the exchange before taking the lock compares it to know its reading is
        still current, else it reads again under the lock (issue 18: reads outside the lock)."""
        return self._door.version

    # ------------------------------------------------------------------ queries
    @property
    def markets(self) -> dict[str, Market]:
        if self._markets is None:
            try:
                self._markets = self.exchange.load_markets()
            except ExchangeUnavailable as exc:
                raise UserError(f"cannot load the exchange's markets right now ({exc})") from None
        return self._markets

    def _market(self, pair: str) -> Market | None:
        try:
            return self.markets.get(pair)
        except ZynError:
            return None

    def note_atr(self, pair: str, atr: float) -> None:
        """The autopilot's latest ATR for `pair`: a manual buy without `sl` is stopped at 1.5 x ATR."""
        self._atr[pair] = atr

    def atr_of(self, pair: str) -> float | None:
        """The autopilot's ATR14 for `pair`, else (a stop-less chat order) fetched on demand."""
        known = self._atr.get(pair)
        if known is None and self._atr_fallback is not None:
            return self._atr_fallback(pair)
        return known

    def has_position(self, pair: str, origin: str | None = None) -> bool:
        """Any open position in `pair`, or (origin "autopilot"/"manual") one of that origin: the
        autopilot holds at most one of its own per pair, whatever the owner bought by hand."""
        book = self.positions.book
        return bool(book.for_pair(pair) if origin is None else book.of_origin(pair, origin))

    def brackets(self, pair: str | None = None) -> list[Bracket]:
        book = self.positions.book
        return book.all() if pair is None else book.for_pair(pair)

    def targets(self, pair: str) -> list[Decimal]:
        return self.positions.book.targets(pair)

    @property
    def paused_reason(self) -> str | None:
        return self.state.paused_reason

    def halted(self, at_ms: int | None = None) -> bool:
        """Whether the daily kill-switch holds entries at `at_ms` (a candle's time; default now)."""
        return self.state.guard.halted(self.clock.now_ms() if at_ms is None else at_ms)

    def now_ms(self) -> int:
        return self.clock.now_ms()

    def balances(self) -> Balances:
        """The account's balances, read from the exchange WITHOUT the trading lock."""
        return self.exchange.fetch_balances()

    def price_now(self, pair: str) -> Decimal:
        """The pair's last traded price, read WITHOUT the trading lock (raises ZynError)."""
        return self.exchange.fetch_ticker(pair).last

    def subscribe(self, event_type: type[E], handler: Callable[[E], None]) -> Callable[[], None]:
        """Be told of every published trading event of `event_type` (core.trading.events)."""
        return self.bus.subscribe(event_type, handler)

    def read_then_act(self, read: Callable[[], R], act: Callable[[R], T]) -> T:
        """Read the exchange without the trading lock, then decide and send under it (issue 18);
        a reading an action on another thread made stale meanwhile is read again under the lock."""
        return self._door.read_then_act(read, act)

    # ------------------------------------------------------------------ the daily loss guard
    def loss_guard(self) -> DailyLossGuard:
        """A copy of the kill-switch's state: reading it never changes it."""
        with self.lock:
            return replace(self.state.guard)

    def set_loss_limit(self, limit: float) -> None:
        """The owner's `set daily loss` in force from this close on (persisted with the tick)."""
        with self.lock:
            self.state.guard.limit = limit

    def mark_close(self, ts_ms: int, equity: Decimal) -> bool:
        """Feed a candle close's equity to the kill-switch; True when it trips now."""
        with self.lock:
            return self.state.guard.on_close(ts_ms, equity)

    # ------------------------------------------------------------------ the autopilot's records
    def decisions_batch(self) -> AbstractContextManager[None]:
        """A tick's decisions in one commit (issue 20.4)."""
        return self.journal.batch.tick()

    def record_decision(self, row: DecisionRow, extras: Sequence[Any] = ()) -> DecisionRow:
        """One decision; `extras` (the equity snapshot, the pair's state rows) share its commit."""
        return self.journal.decision(row, extras)

    def amend_decision(self, decision_id: int, **changes: Any) -> None:
        self.journal.decision_update(decision_id, **changes)

    def equity_row(self, ts_ms: int, equity: float, cash: float) -> EquitySnapshotRow:
        return self.journal.equity_row(ts_ms, equity, cash)

    def note_safety(self, kind: str, detail: str) -> None:
        """A safety event (journaled, logged and published as SafetyEvent)."""
        self.journal.safety(kind, detail)

    def pair_state(self, pair: str) -> tuple[dict[str, Any] | None, int | None]:
        """The pair's persisted strategy state and last decided candle."""
        return self.state.load_pair(pair)

    def save_pair_state(self, pair: str, strategy_state: Mapping[str, Any], last_ts: int | None) -> None:
        self.state.save_pair(pair, dict(strategy_state), last_ts)

    def pair_state_rows(self, pair: str, strategy_state: Mapping[str, Any], last_ts: int | None) -> list[KvWrite]:
        """The guard and the pair's state as kv rows, committed with the decision row."""
        return self.state.tick_rows(pair, dict(strategy_state), last_ts, self.clock.now_ms())

    def gates(self) -> Gatekeeping:
        halted = (
            "the daily loss kill-switch is on until the next UTC day (or resume)" if self.halted() else None
        )
        paused = f"trading is paused ({self.paused_reason}); resume first" if self.paused_reason else None
        circuit = None
        if self.breaker is not None and self.breaker.state == "open":
            circuit = "the exchange circuit breaker is open (exchange unreachable); try again later"
        fault = self.storage.fault if self.storage is not None else None
        if fault is not None:  # a trade Zyn cannot journal is a trade it cannot manage
            circuit = (
                "storage is failing (database unreachable, disk full or read-only?); new entries are halted, "
                "stops stay"
            )
        return Gatekeeping(halted, paused, circuit)

    # ------------------------------------------------------------------ the manual order's checks
    def owner_cfg(self) -> RiskConfig:
        """The risk settings in force: the owner's (`set max position 20%`) over the pinned ones."""
        return self.policy.risk(self.cfg) if self.policy is not None else self.cfg

    def preview_order(self, req: ManualOrder) -> OrderPreview:
        with self.lock:
            checker = ManualChecker(self.exchange, self.markets, self.owner_cfg(), self.atr_of)
            return checker.preview(req, self.gates(), self.brackets(req.pair))

    @property
    def paused_until_ms(self) -> int | None:
        """When a timed pause ends (epoch ms), None for no pause or one without an end."""
        return self.state.paused_until_ms
