"""Open and close bracketed positions: the steps behind every entry and exit.

Entry: the filled buy becomes a TradeRow plus a Bracket; the stop-loss sell for the filled
amount goes to the exchange, the target goes to the watcher's book. Exit: cancel the stop and
confirm it by reading it back (a stop that filled in the meantime closes the trade as `stop`),
then sell at market; if that sell fails the stop is put back so the position is never left
naked. P&L is net of both fees, computed exactly like the backtest's Decimal ledger.
Callers hold the TradingService lock; nothing here locks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from loguru import logger

from core.domain import Event, ExchangeError, ExchangeUnavailable, Order, OrderNotFound, OrderRequest
from core.ports import Clock, Exchange, Notifier
from core.risk import RiskConfig
from core.telemetry.models import OrderRow, TradeRow
from core.trading.bracket import Bracket, BracketBook
from core.trading.journal import Journal
from core.trading.orders import OrderDesk
from core.trading.state import TradingState


def dec(value: float) -> Decimal:
    """Float -> Decimal through the shortest repr, as the backtest's ledger does."""
    return Decimal(repr(value))


@dataclass(frozen=True)
class TradeExit:
    trade_id: int
    pair: str
    reason: str  # stop, target, kill_switch, manual, flatten
    amount: Decimal
    exit_price: Decimal
    pnl: float
    r_multiple: float
    exit_ms: int


@dataclass(frozen=True)
class EntryPlan:
    """How to bracket an entry once it fills: ATR multiples (autopilot) or fixed levels (manual)."""

    pair: str
    atr: float | None = None
    stop: Decimal | None = None
    target: Decimal | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def levels(self, fill_price: Decimal, cfg: RiskConfig) -> tuple[float, float | None]:
        if self.atr is not None and self.stop is None:
            entry = float(fill_price)
            target = entry + cfg.target_atr * self.atr if self.target is None else float(self.target)
            return entry - cfg.stop_atr * self.atr, target
        if self.stop is None:
            raise ValueError("entry plan without stop or ATR")
        return float(self.stop), float(self.target) if self.target is not None else None

    def to_json(self) -> dict[str, Any]:
        return {
            "pair": self.pair,
            "atr": self.atr,
            "meta": self.meta,
            "stop": str(self.stop) if self.stop is not None else None,
            "target": str(self.target) if self.target is not None else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EntryPlan:
        stop, target = data.get("stop"), data.get("target")
        return cls(
            pair=str(data["pair"]),
            atr=data.get("atr"),
            meta=dict(data.get("meta") or {}),
            stop=Decimal(stop) if stop is not None else None,
            target=Decimal(target) if target is not None else None,
        )


ExitListener = Callable[[TradeExit], None]


class Positions:
    def __init__(  # noqa: PLR0913
        self,
        exchange: Exchange,
        desk: OrderDesk,
        journal: Journal,
        state: TradingState,
        clock: Clock,
        cfg: RiskConfig,
        notifier: Notifier | None = None,
    ) -> None:
        self.exchange, self.desk, self.journal, self.state = exchange, desk, journal, state
        self.clock, self.cfg, self.notifier = clock, cfg, notifier
        self.book = BracketBook()
        self.exit_listeners: list[ExitListener] = []
        # The pair's price decimals (Kraken pair_decimals) when known: stop prices are rounded
        # to them here, so what is sent (and booked) is a price the exchange accepts as is.
        self.pair_decimals: Callable[[str], int | None] = lambda _pair: None

    def load(self) -> None:
        """Rebuild the in-memory book from open trades (exact values from kv, else the row)."""
        self.book.clear()
        for row in self.journal.open_trades():
            if row.id is None:
                continue
            bracket = self.state.load_bracket(row.id) or _bracket_from_row(row)
            self.book.put(bracket)

    # ------------------------------------------------------------------ entry
    def open_from_fill(
        self, plan: EntryPlan, order: Order, client_ref: str = ""
    ) -> tuple[Bracket, TradeExit | None]:
        """Record the filled entry as a trade and put its stop on the exchange."""
        amount, price = order.filled, order.average_price or order.price or Decimal(0)
        stop_f, target_f = plan.levels(price, self.cfg)
        risk = float(amount) * (float(price) - stop_f)
        entry_ms = order.closed_ms or self.clock.now_ms()
        row = self.journal.trade_open(
            _trade_row(plan, order, entry_ms, stop_f, target_f, risk), entry_ref=client_ref
        )
        assert row.id is not None  # noqa: S101 - the database assigned it
        bracket = Bracket(
            trade_id=row.id,
            pair=plan.pair,
            amount=amount,
            entry_price=price,
            entry_cost=amount * price + order.fee,
            entry_fee=order.fee,
            stop=dec(stop_f),
            target=dec(target_f) if target_f is not None else None,
            initial_risk=risk,
            entry_ms=entry_ms,
        )
        self.state.save_bracket(bracket)
        self.book.put(bracket)
        shown = f", target {target_f:.8g}" if target_f is not None else ""
        self._notify(
            "trade_opened", f"Bought {amount} {plan.pair} at {price}; stop {stop_f:.8g}{shown}", bracket
        )
        result = self.place_stop(bracket)
        if client_ref:
            self.state.drop_plan(client_ref)
        return result

    def place_stop(self, bracket: Bracket, client_ref: str = "") -> tuple[Bracket, TradeExit | None]:
        """Put the bracket's stop-loss on the exchange; a stop already through the price fills now."""
        decimals = self.pair_decimals(bracket.pair)
        if decimals is not None:
            stop = bracket.stop.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
            if stop != bracket.stop:
                bracket = replace(bracket, stop=stop)
        req = OrderRequest(
            bracket.pair, "sell", "stop-loss", bracket.amount, bracket.stop, client_ref=client_ref
        )
        order = self.desk.send(req, "stop", bracket.trade_id)
        return self.adopt_stop(bracket, order)

    def ensure_stop(self, bracket: Bracket) -> tuple[Bracket, TradeExit | None]:
        """Protect a bracket without a known stop, never with two stops.

        An exit sell whose answer was lost (row `new`) is looked up first: if it sold, the trade
        is closed. A stop sent earlier whose answer was lost (row `new`) or whose bookkeeping
        did not finish (row `open`) is adopted if it is still there. Only when the exchange
        says every earlier order is gone is a new stop placed. Raises ExchangeError /
        ExchangeUnavailable when that cannot be proved (the next sync tries again).
        """
        for row in self.journal.orders_for_trade(bracket.trade_id, ("new", "open")):
            is_stop = row.purpose == "stop"
            if row.side != "sell" or (not is_stop and row.status != "new"):
                continue
            order = self._lookup(row)
            if order is None:
                self.journal.order_update(row.client_ref, status="failed", error="not on the exchange")
                continue
            self.journal.order_sent(row.client_ref, order)
            if order.status == "closed" and order.filled > 0:
                return bracket, self.close(bracket, order, row.purpose)
            if is_stop and order.status == "open":
                return self.adopt_stop(bracket, order)
        return self.place_stop(bracket)

    def _lookup(self, row: OrderRow) -> Order | None:
        if row.exchange_id:
            try:
                return self.exchange.fetch_order(row.exchange_id)
            except OrderNotFound:
                return None
        return self.exchange.find_order_by_client_ref(row.client_ref)

    def adopt_stop(self, bracket: Bracket, order: Order) -> tuple[Bracket, TradeExit | None]:
        bracket = bracket.with_stop_order(order.id)
        self.state.save_bracket(bracket)
        self.book.put(bracket)
        self.journal.trade_update(bracket.trade_id, stop_order_id=order.id)
        if order.status == "closed":
            return bracket, self.close(bracket, order, "stop")
        return bracket, None

    # ------------------------------------------------------------------ exit
    def exit(self, bracket: Bracket, reason: str) -> TradeExit:
        """Cancel the stop (confirmed), then sell at market; the stop comes back if the sell fails."""
        if bracket.stop_order_id:
            final = self.desk.cancel_confirmed(bracket.stop_order_id)
            if final.status == "closed" and final.filled > 0:
                return self.close(bracket, final, "stop")
            bracket = bracket.with_stop_order("")
            self.book.put(bracket)
        req = OrderRequest(bracket.pair, "sell", "market", bracket.amount)
        try:
            order = self.desk.send(req, reason, bracket.trade_id)
        except (ExchangeError, ExchangeUnavailable) as exc:
            self.journal.error(
                "trading.exit",
                "transient" if isinstance(exc, ExchangeUnavailable) else "fatal",
                f"{bracket.pair} exit ({reason}) failed: {exc}; re-placing the stop",
            )
            self._restore_stop(bracket)
            raise
        return self.close(bracket, order, reason)

    def _restore_stop(self, bracket: Bracket) -> None:
        try:
            self.place_stop(bracket)
        except (ExchangeError, ExchangeUnavailable) as exc:
            self.journal.safety(
                "naked_position", f"{bracket.pair} trade {bracket.trade_id}: stop not restored: {exc}"
            )

    def close(self, bracket: Bracket, order: Order, reason: str) -> TradeExit:
        """Book the exit: net P&L (both fees), R multiple, exit time; tell the listeners."""
        amount, price = order.filled, order.average_price or order.price or Decimal(0)
        cost = (
            bracket.entry_cost if amount == bracket.amount else bracket.entry_cost * amount / bracket.amount
        )
        pnl = float(amount * price - order.fee - cost)
        r_mult = pnl / bracket.initial_risk if bracket.initial_risk > 0 else 0.0
        exit_ms = order.closed_ms or self.clock.now_ms()
        self.journal.trade_update(
            bracket.trade_id,
            status="closed",
            exit_ms=exit_ms,
            exit_price=float(price),
            pnl=pnl,
            r_multiple=r_mult,
            exit_reason=reason,
            fees=float(bracket.entry_fee + order.fee),
        )
        self.book.pop(bracket.trade_id)
        self.state.drop_bracket(bracket.trade_id)
        done = TradeExit(bracket.trade_id, bracket.pair, reason, amount, price, pnl, r_mult, exit_ms)
        logger.bind(pair=bracket.pair, action="trade_close").info(
            "trade {} closed reason={} price={} pnl={:.4f} R={:.2f}",
            bracket.trade_id,
            reason,
            price,
            pnl,
            r_mult,
        )
        kind = "stop_hit" if reason == "stop" else "trade_closed"
        self._notify(kind, f"Sold {amount} {bracket.pair} at {price} ({reason}); P&L {pnl:+.2f}", bracket)
        for listener in list(self.exit_listeners):
            listener(done)
        return done

    def check_stops(
        self, order_ids: set[str] | None = None, failed: set[str] | None = None
    ) -> list[TradeExit]:
        """Close trades whose stop filled; a stop canceled behind our back is put back.

        One bracket's exchange trouble does not stop the others: its stop id goes to `failed`
        (so the caller can look again) and the error is journaled.
        """
        exits: list[TradeExit] = []
        for bracket in self.book.all():
            if not bracket.stop_order_id or (
                order_ids is not None and bracket.stop_order_id not in order_ids
            ):
                continue
            try:
                exits.extend(self._check_stop(bracket))
            except (ExchangeError, ExchangeUnavailable) as exc:
                if failed is not None:
                    failed.add(bracket.stop_order_id)
                self.journal.error(
                    "trading.check_stops",
                    "transient" if isinstance(exc, ExchangeUnavailable) else "exchange",
                    f"{bracket.pair} trade {bracket.trade_id}: stop check failed: {exc}",
                )
        return exits

    def _check_stop(self, bracket: Bracket) -> list[TradeExit]:
        order = self.exchange.fetch_order(bracket.stop_order_id)
        if order.status == "closed" and order.filled > 0:
            return [self.close(bracket, order, "stop")]
        if order.status == "open":
            return []
        self.journal.safety(
            "stop_missing",
            f"{bracket.pair} trade {bracket.trade_id}: stop {order.id} is {order.status}; re-placing it",
        )
        bare = replace(bracket, stop_order_id="")
        self.book.put(bare)  # until a new stop is confirmed, the book says: no stop
        self.state.save_bracket(bare)
        _, hit = self.ensure_stop(bare)
        return [hit] if hit else []

    def _notify(self, kind: str, text: str, bracket: Bracket) -> None:
        if self.notifier is None:
            return
        try:
            self.notifier.notify(Event(kind, text, {"pair": bracket.pair, "trade_id": bracket.trade_id}))
        except Exception as exc:  # noqa: BLE001 - a failing channel must not stop trading
            logger.bind(action="notify").warning("notifier failed: {}", exc)


def _bracket_from_row(row: TradeRow) -> Bracket:
    amount, price = dec(row.amount), dec(row.entry_price)
    fee = dec(row.fees)
    return Bracket(
        trade_id=row.id or 0,
        pair=row.pair,
        amount=amount,
        entry_price=price,
        entry_cost=amount * price + fee,
        entry_fee=fee,
        stop=dec(row.stop_price or 0.0),
        target=dec(row.target_price) if row.target_price is not None else None,
        stop_order_id=row.stop_order_id,
        initial_risk=row.initial_risk,
        entry_ms=row.entry_ms,
    )


def _trade_row(  # noqa: PLR0913
    plan: EntryPlan, order: Order, entry_ms: int, stop: float, target: float | None, risk: float
) -> TradeRow:
    """The trade with the context it was taken in (the analyzer and learner read these)."""
    meta = plan.meta
    return TradeRow(
        pair=plan.pair,
        entry_ms=entry_ms,
        amount=float(order.filled),
        entry_price=float(order.average_price or order.price or 0),
        stop_price=stop,
        target_price=target,
        initial_risk=risk,
        fees=float(order.fee),
        atr=plan.atr,
        sma=meta.get("sma"),
        atr_pct=meta.get("atr_pct"),
        trend_strength=meta.get("trend_strength"),
        decision_id=meta.get("decision_id"),
        learner_version=meta.get("learner_version"),
        size_factor=meta.get("size_factor"),
        context_json=str(meta.get("context_json") or "{}"),
    )
