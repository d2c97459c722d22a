"""TradingService: the ONE serialized path for every action that changes orders or positions.

Autopilot entries and exits, manual chat orders, cancel, flatten, the kill-switch and resume
all take the same re-entrant lock, so two actions never interleave (e.g. a chat `sell` while
the watcher exits at the target). Refusals are one-line `ActionResult(ok=False)` (or UserError
from `preview_order`) and change nothing. See docs/ARCHITECTURE.md "Trading (as built)".
The steps live in sibling modules (entries, manual, flatten, positions); the methods here take
the lock and delegate, so the lock is visibly held around every money action.
The read side (queries, the autopilot's records, the gates, the order preview) is the base
class `TradingQueries` in `core/trading/service_queries.py`; this module is the commands.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from decimal import Decimal

from sqlalchemy.engine import Engine

from core.domain import ExchangeError, ExchangeUnavailable, Market, Order, UserError
from core.ports import Clock, Exchange
from core.strategy.pinned import Decision
from core.strategy.risk import RiskConfig
from core.telemetry.kv import KeyValueStore
from core.trading.book_sync import BookSync
from core.trading.bus import EventBus
from core.trading.commands import (
    CancelOrders,
    Command,
    EnterOnSignal,
    ExitPosition,
    Flatten,
    FlattenPair,
    LockInProfit,
    MoveStop,
    Pause,
    PlaceManualOrder,
    Resume,
    ResumeIfDue,
    TakeProfit,
    TripKillSwitch,
)
from core.trading.entries import ENTRY_PURPOSES as ENTRY_PURPOSES
from core.trading.entries import LIMIT_ENTRY as LIMIT_ENTRY
from core.trading.entries import enter_market
from core.trading.events import BookChanged, DailyLoss, KillSwitchTripped, TradingPaused, TradingResumed
from core.trading.flatten import Flattener, cancel_orders
from core.trading.manual import Gatekeeping, send_manual
from core.trading.orders import Fence, OrderDesk, Sleep, action_failed, no_fence
from core.trading.outcome import EXITS, exit_infos, to_result
from core.trading.parts import TradingParts
from core.trading.positions import EntryPlan, Positions, TradeExit
from core.trading.profit_lock import lock_in_profit
from core.trading.results import Code, TradeResult
from core.trading.rules import TradingPolicy
from core.trading.service_queries import BreakerView, StorageView, TradingQueries
from core.trading.state import TradingState
from core.trading.trading_lock import TradingLock
from core.trading.types import ActionResult, ManualOrder
from core.trading.unit_of_work import TradingJournal, UnitOfWork
from core.trading.uow_sql import SqlUnitOfWork

STOP_GRACE_MAX_MS = 15_000


class TradingService(TradingQueries):
    def __init__(  # noqa: PLR0913
        self,
        exchange: Exchange,
        db: Engine | None,
        clock: Clock,
        *,
        kv: KeyValueStore | None = None,
        pairs: Sequence[str] = (),
        markets: Mapping[str, Market] | None = None,
        cfg: RiskConfig | None = None,
        breaker: BreakerView | None = None,
        storage: StorageView | None = None,
        source: str = "paper",
        start_equity: Decimal | float | None = None,
        attempts: int = 3,
        backoff_s: float = 0.5,
        sleep: Sleep = time.sleep,
        atr_fallback: Callable[[str], float | None] | None = None,
        order_grace_s: float = 60.0,
        fence: Fence = no_fence,
        policy: TradingPolicy | None = None,
        bus: EventBus | None = None,
        uow: UnitOfWork | None = None,
    ) -> None:
        self._door = TradingLock()
        # issue 18: every change is published here as a typed event (core.trading.events)
        self.bus = bus if bus is not None else EventBus()
        self.policy = policy  # the owner's settings from chat: a manual order is judged by them too
        self._atr_fallback = atr_fallback  # recent candles when the autopilot has no ATR yet
        self.exchange, self.clock, self.pairs = exchange, clock, tuple(pairs)
        self.cfg = cfg or RiskConfig()
        self.breaker, self.storage = breaker, storage
        if uow is None:
            if db is None:
                raise ValueError("TradingService needs a database or a unit of work")
            uow = SqlUnitOfWork(db, clock, source, self.bus, kv)
        # the positions, the journal and the kv state, all behind the unit of work (issue 18):
        # SqlUnitOfWork in the database, tests' FakeUnitOfWork in dictionaries
        self.uow: UnitOfWork = uow
        self.journal: TradingJournal = uow.journal
        self.state = TradingState(uow.kv, start_equity, self.cfg.daily_loss_limit)
        self.desk = OrderDesk(
            exchange, self.journal, attempts=attempts, backoff_s=backoff_s, sleep=sleep, fence=fence
        )
        self._markets = dict(markets) if markets is not None else None
        # How long an order the exchange does not show may still appear (issue 19). A stop gets at
        # most 15 s: its coins are unprotected while we wait, whereas an entry given up too early
        # would leave a late fill without its plan.
        self.grace_ms = int(order_grace_s * 1000)
        self.stop_grace_ms = min(self.grace_ms, STOP_GRACE_MAX_MS)
        self.positions = Positions(
            exchange, self.desk, self.journal, self.uow, clock, self.cfg, market_of=self._market,
            bus=self.bus, stop_grace_ms=self.stop_grace_ms,
        )
        self.parts = TradingParts(
            exchange, self.desk, self.positions, self.journal, self.state, self.cfg,
            atr_of=self.atr_of, grace_ms=self.grace_ms,
        )
        self.flattener = Flattener(
            exchange, self.positions, self.desk, attempts=attempts, backoff_s=backoff_s, sleep=sleep
        )
        self._atr: dict[str, float] = {}  # the signal ATR per pair, as the autopilot last saw it
        self.book_sync = BookSync(self._door, self.parts, self.stop_grace_ms)
        # readers holding a copy of the book (the status snapshot) hear of every change on the bus
        self.uow.on_commit.append(lambda: self.bus.publish(BookChanged(False)))
        self.book_sync.fill_listeners.append(lambda fill: self.bus.publish(BookChanged(fill)))
        self.positions.load()

    def changing(self) -> AbstractContextManager[None]:
        """The trading lock around an action that may change the account; bumps `version`."""
        return self._door.changing()

    # ------------------------------------------------------------------ manual orders
    def place_manual(self, req: ManualOrder) -> ActionResult:
        with self.changing():
            try:
                preview = self.preview_order(req)  # again: the market may have moved since the echo
            except UserError as exc:
                return ActionResult(False, str(exc), {"pair": req.pair}, Code.REFUSED)
            return send_manual(self.parts, req, preview, self.atr_of(req.pair))

    # ------------------------------------------------------------------ autopilot
    def enter(self, pair: str, plan: Decision, *, decision_id: int | None = None) -> ActionResult:
        """Buy at market for an autopilot decision; stop/target come from the fill and the signal ATR."""
        with self.changing():
            gates = self.gates()
            refusal = gates.halted or gates.paused or gates.circuit
            if pair not in self.markets:
                refusal = f"unknown pair {pair}"
            if refusal or plan.amount <= 0 or (plan.stop_distance is None and plan.atr is None):
                why = refusal or "nothing to buy (amount 0 or no stop)"
                return ActionResult(False, why, {"pair": pair}, _refusal_code(gates, refusal))
            meta: dict[str, object] = {
                "decision_id": decision_id,
                "sma": plan.sma,
                "size_factor": plan.gate.factor,
                "learner_version": plan.gate.version,
                "atr_pct": plan.atr / plan.close if plan.close and plan.atr else None,
                "trend_strength": (plan.close - plan.sma) / plan.atr
                if plan.sma is not None and plan.atr
                else None,
            }
            bracket = EntryPlan(
                pair, atr=plan.atr, meta=meta, stop_distance=plan.stop_distance, target_distance=plan.target_distance
            )
            ref_price = Decimal(str(plan.close)) if plan.close else None
            return enter_market(self.parts, pair, plan.amount, bracket, "entry", ref_price)

    def exit_position(self, pair: str, reason: str) -> ActionResult:
        with self.changing():
            exits: list[TradeExit] = []
            try:
                for bracket in self.brackets(pair):
                    exits.append(self.positions.exit(bracket, reason))
            except (ExchangeError, ExchangeUnavailable) as exc:
                return action_failed(self.journal, f"exit ({reason})", pair, exc)
            if not exits:
                return ActionResult(False, f"no open {pair} position", {"pair": pair}, Code.NO_POSITION)
            pnl = sum((e.pnl for e in exits), Decimal(0))
            closed = ", ".join(f"#{e.trade_id} {e.origin}" for e in exits)
            return ActionResult(
                True,
                f"Closed {len(exits)} {pair} position(s) ({closed}; {reason}), P&L {pnl:+.2f}",
                {"exits": [e.trade_id for e in exits], EXITS: exit_infos(exits), "pair": pair},
                Code.CLOSED,
            )

    def take_profit(self, pair: str, price: Decimal, ts_ms: int) -> list[TradeExit]:
        """The watcher saw `price`: exit every bracket of `pair` whose target it reached."""
        with self.changing():
            exits: list[TradeExit] = []
            for bracket in self.brackets(pair):
                if bracket.target is None or price < bracket.target:
                    continue
                try:
                    exits.append(self.positions.exit(bracket, "target"))
                except (ExchangeError, ExchangeUnavailable) as exc:
                    self.journal.error(
                        "trading.take_profit", "transient", f"{pair} target exit failed: {exc}"
                    )
            return exits

    def move_stop(self, trade_id: int, stop: Decimal) -> ActionResult:
        """Replace one position's stop (cancel confirmed, then place); publishes StopMoved."""
        with self.changing():
            bracket = next((b for b in self.brackets() if b.trade_id == trade_id), None)
            if bracket is None:
                return ActionResult(False, f"no open position #{trade_id}", {}, Code.NO_POSITION)
            try:
                moved, done = self.positions.move_stop(bracket, stop)
            except (ExchangeError, ExchangeUnavailable) as exc:
                self.positions.protect(bracket)
                return action_failed(self.journal, "move stop", bracket.pair, exc)
            if moved is None:
                infos = exit_infos([done] if done is not None else [])
                return ActionResult(True, f"#{trade_id} closed by its stop", {EXITS: infos}, Code.CLOSED)
            return ActionResult(
                True, f"#{trade_id} stop moved to {moved.stop}",
                {"trade_id": trade_id, "stop_price": moved.stop, "pair": moved.pair}, Code.STOP_MOVED,
            )

    # ------------------------------------------------------------------ the door (issue 18)
    def handle(self, cmd: Command) -> TradeResult:
        """Carry out one typed command under the trading lock; the answer is data only."""
        with self.lock:
            match cmd:
                case ResumeIfDue(now_ms=now_ms):
                    done = self.resume_if_due(now_ms)
                    return to_result(done) if done is not None else TradeResult(False, Code.NOTHING_TO_DO)
                case TakeProfit(pair=pair, price=price, ts_ms=ts_ms):
                    exits = self.take_profit(pair, price, ts_ms)
                    code = Code.CLOSED if exits else Code.NOTHING_TO_DO
                    return TradeResult(bool(exits), code, pair, "sell", exits=exit_infos(exits))
                case LockInProfit(action=action, target=target):
                    with self.changing():
                        outcomes = lock_in_profit(self, action, target)
                    detail = "; ".join(f"{o.pair}:{o.what}" for o in outcomes)  # diagnostic (words: bot/text/safety)
                    return TradeResult(True, Code.PROFIT_LOCKED, detail=detail)
            return self._act(cmd)

    def _act(self, cmd: Command) -> TradeResult:  # noqa: PLR0911 - one line per command
        match cmd:
            case PlaceManualOrder(order=req):
                return to_result(self.place_manual(req), req.pair, req.side)
            case EnterOnSignal(pair=pair, decision=decision, decision_id=decision_id):
                return to_result(self.enter(pair, decision, decision_id=decision_id), pair, "buy")
            case ExitPosition(pair=pair, reason=reason):
                return to_result(self.exit_position(pair, reason), pair, "sell")
            case Flatten(reason=reason):
                return to_result(self.flatten(reason))
            case FlattenPair(pair=pair, reason=reason):
                return to_result(self.flatten_pair(pair, reason), pair, "sell")
            case MoveStop(trade_id=trade_id, stop=stop):
                return to_result(self.move_stop(trade_id, stop))
            case CancelOrders(order_id=order_id):
                return to_result(self.cancel(order_id))
            case Pause(reason=reason, until_ms=until_ms):
                return to_result(self.pause(reason, until_ms))
            case Resume():
                return to_result(self.resume())
            case TripKillSwitch(loss=loss):
                return to_result(self.trip_kill_switch(loss))
        raise TypeError(f"not a trading command: {cmd!r}")

    # ------------------------------------------------------------------ safety
    def cancel(self, order_id: str | None) -> ActionResult:
        """Cancel one order or all; stops of open positions are kept (flatten closes those)."""
        with self.changing():
            return cancel_orders(self.parts, order_id)

    def flatten(self, reason: str) -> ActionResult:
        with self.changing():
            report = self.flattener.run(self.pairs, self.markets, reason)
            self.journal.safety("flatten", f"{reason}: {report.text()}")
            self.bus.publish(report.event(reason))
            return ActionResult(
                report.ok,
                report.text(),
                {"exits": [e.trade_id for e in report.exits], EXITS: exit_infos(report.exits), "failed": report.failed,
                 "canceled": report.canceled},
                Code.FLATTENED if report.ok else Code.PARTLY_FAILED,
            )

    def flatten_pair(self, pair: str, reason: str) -> ActionResult:
        """Close every position in `pair` (manual and autopilot alike), each after its own stop."""
        with self.changing():
            result = self.exit_position(pair, "flatten")
            self.journal.safety("flatten", f"{pair} ({reason}): {result.text}")
            return result

    def trip_kill_switch(self, loss: DailyLoss) -> ActionResult:
        """Daily loss limit reached: flatten everything and halt entries until the next UTC day."""
        with self.changing():
            self.state.save_guard()
            self.journal.safety("kill_switch", loss.detail())
            self.bus.publish(KillSwitchTripped(loss))
            result = self.flatten("kill_switch")
            return replace(result, code=Code.KILL_SWITCH) if result.ok else result

    def pause(self, reason: str, until_ms: int | None = None) -> ActionResult:
        """Stop new entries; with `until_ms` the scheduler resumes at that time (`resume_if_due`)."""
        with self.lock:
            self.state.set_paused(reason or "paused by the owner", until_ms)
            self.journal.safety("pause", reason if until_ms is None else f"{reason} (until {until_ms})")
            self.bus.publish(TradingPaused(reason, until_ms))
            return ActionResult(
                True, f"Paused: no new entries ({reason}). Stops and targets stay active.", {}, Code.PAUSED
            )


    def resume_if_due(self, now_ms: int) -> ActionResult | None:
        """End a timed pause whose time has come (a scheduler job calls this); tells the owner.

        Only the pause is lifted: a tripped daily kill-switch stays until its own end."""
        with self.lock:
            until = self.state.paused_until_ms
            if until is None or self.state.paused_reason is None or now_ms < until:
                return None
            was = self.state.paused_reason
            self.state.set_paused(None)
            self.journal.safety("resume", f"timed pause ended (was paused={was!r}, until {until})")
            self.bus.publish(TradingResumed(was, False, timed=True))  # the owner's alert: bot/alerts
            return ActionResult(True, "timed pause ended", {}, Code.RESUMED)

    def resume(self) -> ActionResult:
        with self.lock:
            was = (self.paused_reason, self.halted())
            self.state.set_paused(None)
            self.state.guard.resume()
            self.state.save_guard()
            self.journal.safety("resume", f"was paused={was[0]!r} halted={was[1]}")
            self.bus.publish(TradingResumed(was[0], was[1]))
            return ActionResult(True, "Resumed: the autopilot may enter again.", {}, Code.RESUMED)

    # ------------------------------------------------------------------ fills (core/trading/book_sync.py)
    def sync(self, full: bool = False, read_every_s: float = 0.0) -> list[TradeExit]:
        """Book stop fills, bracket filled entries, re-place missing stops (`BookSync.sync`)."""
        return self.book_sync.sync(full, read_every_s)

    def hint(self, order_id: str) -> None:
        """An order changed on the exchange (a socket said so): the next sync reads it."""
        self.book_sync.hint(order_id)

    def apply_pushed(self, order: Order) -> list[TradeExit]:
        """An order's final state as the exchange pushed it, applied now (`BookSync.apply_pushed`)."""
        return self.book_sync.apply_pushed(order)



def _refusal_code(gates: Gatekeeping, refusal: str | None) -> Code:
    if refusal is None:
        return Code.NOTHING_TO_DO
    if refusal == gates.halted:
        return Code.HALTED
    if refusal == gates.paused:
        return Code.TRADING_PAUSED
    if refusal == gates.circuit:
        return Code.CIRCUIT_OPEN
    return Code.UNKNOWN_PAIR
