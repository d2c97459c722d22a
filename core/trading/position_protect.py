"""THE open-position invariant, in one place: after `protect` a position has exactly one live
stop for the coins held, or it was closed by an order resolved on the way, or a
`naked_position` safety event is open (the owner told once) and the next sync tries again.
Earlier sells whose answer was lost are looked up before any stop goes out, so a stop is
never sent beside one that is still there or for coins already sold."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from core.domain import ExchangeError, ExchangeUnavailable, Order, OrderNotFound, OrderOutcomeUnknown
from core.telemetry.models import OrderRow
from core.trading.bracket import Bracket
from core.trading.conditional import capable
from core.trading.events import NakedPosition, StopRestored
from core.trading.position_booking import book_sell
from core.trading.position_state import PositionState
from core.trading.position_stops import adopt_stop, place_stop
from core.trading.prefetch import Prefetch
from core.trading.trade_exit import TradeExit


def protect(state: PositionState, bracket: Bracket, pre: Prefetch | None = None) -> tuple[Bracket, TradeExit | None]:
    """THE place the open-position invariant is enforced: afterwards the position has exactly
    one live stop for the coins held (`ensure_stop`), or it was closed by an order resolved
    on the way, or a `naked_position` safety event is open and the next sync tries again.

    Every path that leaves a position without a stop (entry, failed exit, stop gone, sync,
    restart) ends here, so "never two stops, never a stop for coins not held, never silent"
    is one function to read. Never raises for exchange trouble. `pre`: what `read_unprotected`
    read before the lock (used only while current, `core.trading.prefetch`).
    """
    try:
        done = ensure_stop(state, bracket, pre)
    except (ExchangeError, ExchangeUnavailable) as exc:
        naked(state, bracket.pair, f"trade {bracket.trade_id}: stop not placed ({exc}); retrying on sync")
        _tell_naked(state, bracket, exc)
        return bracket, None
    if bracket.trade_id in state.naked_told:
        state.naked_told.discard(bracket.trade_id)
        state.bus.publish(StopRestored(bracket.pair, bracket.trade_id))
    return done


def _tell_naked(state: PositionState, bracket: Bracket, exc: Exception) -> None:
    """Alert the owner once (a safety alert: it goes out even in quiet hours) that a position
    has no stop on the exchange; the sync keeps retrying without repeating the alert."""
    if bracket.trade_id in state.naked_told:
        return
    state.naked_told.add(bracket.trade_id)
    state.bus.publish(NakedPosition(bracket.pair, bracket.trade_id, str(exc)))


def naked(state: PositionState, pair: str, detail: str) -> None:
    """Journal an open position without a stop; `sync` retries `protect` until it has one."""
    state.journal.safety("naked_position", f"{pair} {detail}")


def read_unprotected(state: PositionState, pre: Prefetch, also: Iterable[Bracket] = ()) -> None:
    """Read, WITHOUT the trading lock, what `protect` will look at for every position that has
    no stop (and those in `also`, whose stop a reading shows gone): its earlier sells whose
    outcome is open, the balances, the exchange's attached stops."""
    bare = [b for b in state.book.all() if not b.stop_order_id] + list(also)
    for bracket in bare:
        for row in state.journal.orders_for_trade(bracket.trade_id, ("new", "open")):
            if row.side == "sell" and row.exchange_id != bracket.stop_order_id:  # (a gone stop: read)
                pre.read(("order", row.client_ref), partial(_lookup_now, state, row))
        exchange = capable(state.exchange, bracket.pair)
        if exchange is not None and bracket.entry_ref:
            pre.read(("conditional", bracket.entry_ref), partial(exchange.conditional_stops, bracket.entry_ref))
    if bare:
        pre.read(("balances", ""), state.exchange.fetch_balances, keep=True)


def ensure_stop(
    state: PositionState, bracket: Bracket, pre: Prefetch | None = None
) -> tuple[Bracket, TradeExit | None]:
    """Protect a bracket without a known stop, never with two stops.

    An exit sell whose answer was lost (row `new`) is looked up first: if it sold, the trade
    is closed. A stop sent earlier whose answer was lost (row `new`) or whose bookkeeping
    did not finish (row `open`) is adopted if it is still there. Only when the exchange
    says every earlier order is gone is a new stop placed. Raises ExchangeError /
    ExchangeUnavailable when that cannot be proved (the next sync tries again).
    """
    for row in state.journal.orders_for_trade(bracket.trade_id, ("new", "open")):
        if row.side != "sell":
            continue
        order = (pre or Prefetch()).take(("order", row.client_ref), partial(_lookup_now, state, row))
        if order is None:
            _unseen_within_grace(state, row)
            state.journal.order_update(row.client_ref, status="failed", error="not on the exchange")
            continue
        state.journal.order_sent(row.client_ref, order)
        if order.status == "open" and row.purpose == "stop":
            return adopt_stop(state, bracket, order)
        if order.status == "open":  # an exit sell left open: finish it before anything else
            order = state.desk.cancel_confirmed(order.id)
        rest, done = book_sell(state, bracket, order, row.purpose)
        if rest is None:
            return bracket, done
        bracket = rest
    return place_stop(state, bracket, pre=pre)


def _unseen_within_grace(state: PositionState, row: OrderRow) -> None:
    """An order sent with an unknown outcome (answer lost, empty or HTML 200), or accepted with a
    txid that no read shows yet, may still appear: within the grace, raise (the next sync looks
    again) instead of calling it failed and sending a stop beside it (or for coins it sold).
    Found by the bad-day property test."""
    unknown = (row.status == "new" and (row.error or "").startswith("unknown outcome")) or (
        row.status == "open" and bool(row.exchange_id)  # accepted, yet no read shows it
    )
    age = state.clock.now_ms() - max(row.created_ms, row.updated_ms)  # from its last send (entries.last_sent_ms)
    if unknown and age < state.stop_grace_ms:
        raise OrderOutcomeUnknown(
            f"{row.purpose} order {row.client_ref} sent {age / 1000:.1f} s ago is not visible yet; "
            "looked for again on the next sync"
        )


def _lookup_now(state: PositionState, row: OrderRow) -> Order | None:
    if row.exchange_id:
        try:
            return state.exchange.fetch_order(row.exchange_id)
        except OrderNotFound:
            return None
    return state.exchange.find_order_by_client_ref(row.client_ref)
