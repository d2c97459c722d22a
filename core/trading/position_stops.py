"""A position's one stop-loss on the exchange: placed (rounded to the pair's price decimals,
capped at the coins held), adopted when it is already there, moved (the old one cancelled and
confirmed first), and the stops the exchange attached to the entry (Kraken's conditional close)
settled so an exchange-placed and a Zyn-placed stop are never both live. A stop that filled on
the way is booked (`position_booking`), never doubled."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from loguru import logger

from core.domain import Order, OrderRequest
from core.trading.bracket import Bracket
from core.trading.conditional import capable, log_choice
from core.trading.events import StopMoved, StopPlaced
from core.trading.orders import new_client_ref
from core.trading.position_booking import book_sell
from core.trading.position_holdings import capped
from core.trading.position_state import PositionState
from core.trading.prefetch import Prefetch
from core.trading.trade_exit import TradeExit


def place_stop(
    state: PositionState, bracket: Bracket, client_ref: str = "", pre: Prefetch | None = None
) -> tuple[Bracket, TradeExit | None]:
    """Put the bracket's stop-loss on the exchange; a stop already through the price fills now.
    Where the exchange attaches stops to entries (Kraken's conditional close), the ones it
    placed for this position's entry are settled first: adopted, or cancelled and replaced
    by one (`_settle_conditional`), so an exchange-placed and a Zyn-placed stop are never
    both live. Found by the entry's reference, not remembered: a restart finds them too."""
    pre = pre if pre is not None else Prefetch()
    if capable(state.exchange, bracket.pair) is not None and bracket.entry_ref:
        return _settle_conditional(state, bracket, client_ref, pre)
    return _send_stop(state, bracket, client_ref, pre)


def _send_stop(
    state: PositionState, bracket: Bracket, client_ref: str = "", pre: Prefetch | None = None
) -> tuple[Bracket, TradeExit | None]:
    bracket = capped(state, bracket, pre)
    decimals = state.pair_decimals(bracket.pair)
    if decimals is not None:
        stop = bracket.stop.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
        if stop != bracket.stop:
            bracket = replace(bracket, stop=stop)
    req = OrderRequest(
        bracket.pair, "sell", "stop-loss", bracket.amount, bracket.stop, client_ref=client_ref
    )
    order = state.desk.send(req, "stop", bracket.trade_id)
    return adopt_stop(state, bracket, order)


def _settle_conditional(
    state: PositionState, bracket: Bracket, client_ref: str, pre: Prefetch
) -> tuple[Bracket, TradeExit | None]:
    """Adopt the exchange's stop when it is exactly one for the coins held; else cancel every
    one of them (confirmed, booking what they sold) and place one of Zyn's own (see
    `core.trading.conditional`). Raises exchange errors like `place_stop` (protect retries)."""
    exchange = capable(state.exchange, bracket.pair)
    ref = bracket.entry_ref
    stops = pre.take(("conditional", ref), partial(exchange.conditional_stops, ref)) if exchange and ref else []
    held = capped(state, bracket, pre)
    if len(stops) == 1 and stops[0].amount == held.amount and stops[0].status == "open":
        state.awaiting.pop(bracket.trade_id, None)
        log_choice(bracket.pair, bracket.trade_id, "adopted the exchange's stop", stops)
        _journal_adopted(state, bracket.trade_id, stops[0])
        return adopt_stop(state, replace(held, stop=stops[0].price or held.stop), stops[0])
    if not stops and _still_awaited(state, bracket):
        return bracket, None
    state.awaiting.pop(bracket.trade_id, None)
    rest: Bracket = held
    for stop in stops:
        final = state.desk.cancel_confirmed(stop.id)
        if final.filled > 0:
            after, done = book_sell(state, rest, final, "stop")
            if after is None:
                return rest, done
            rest = after
    if stops:  # several (one per fill) or not the size held: one stop of Zyn's own instead
        what = "resized: the exchange's stops cancelled, one stop of Zyn's own for what is held"
        state.journal.safety("conditional_stop", f"{bracket.pair} trade {bracket.trade_id}: {what} ({rest.amount})")
    log_choice(bracket.pair, bracket.trade_id, "places its own stop" if not stops else "resized", stops)
    return _send_stop(state, replace(rest, stop_order_id=""), client_ref, pre)


def cancel_attached(state: PositionState, bracket: Bracket) -> tuple[Bracket | None, TradeExit | None]:
    """Before an exit sells a position that has no stop of its own yet: cancel (confirmed)
    the stops the exchange attached to its entry, booking what they sold."""
    exchange = capable(state.exchange, bracket.pair)
    if exchange is None or not bracket.entry_ref:
        return bracket, None
    state.awaiting.pop(bracket.trade_id, None)
    rest: Bracket = bracket
    for stop in exchange.conditional_stops(bracket.entry_ref):
        after, done = book_sell(state, rest, state.desk.cancel_confirmed(stop.id), "stop")
        if after is None:
            return None, done
        rest = after
    return rest, None


def _still_awaited(state: PositionState, bracket: Bracket) -> bool:
    """True while the entry's conditional stop may still show on REST (within the grace):
    the caller places nothing yet and the next sync looks again; after it, falls back."""
    since = state.awaiting.get(bracket.trade_id)
    if since is None:
        return False
    waited = state.clock.now_ms() - since
    if waited < state.stop_grace_ms:
        logger.bind(pair=bracket.pair, action="conditional_stop", trade_id=bracket.trade_id).info(
            "trade {}: the exchange's stop is not shown yet ({} ms of {} ms): looking again on the next sync",
            bracket.trade_id, waited, state.stop_grace_ms,
        )
        return True
    logger.bind(pair=bracket.pair, action="conditional_stop", trade_id=bracket.trade_id).warning(
        "trade {}: the exchange's stop did not show within {} ms: Zyn places its own (one seen later is cancelled)",
        bracket.trade_id, state.stop_grace_ms,
    )
    return False


def _journal_adopted(state: PositionState, trade_id: int, stop: Order) -> None:
    """The exchange-placed stop gets an order row like one Zyn sent (purpose `stop`, the
    trade's), so every later step (cancel, restart, reconcile, status) treats it the same."""
    if state.journal.order_by_exchange_id(stop.id) is not None:
        return
    ref = new_client_ref()
    state.journal.order_new(OrderRequest(stop.pair, stop.side, stop.type, stop.amount, stop.price, client_ref=ref),
                            "stop", trade_id)
    state.journal.order_sent(ref, stop)


def adopt_stop(state: PositionState, bracket: Bracket, order: Order) -> tuple[Bracket, TradeExit | None]:
    bracket = bracket.with_stop_order(order.id)
    with state.uow.change() as tx:
        tx.save(bracket)
        tx.update_trade(bracket.trade_id, stop_order_id=order.id)
    state.book.put(bracket)
    state.bus.publish(StopPlaced(bracket.trade_id, bracket.pair, order.id, bracket.stop, bracket.amount))
    if order.status == "open" and order.filled > 0:
        order = cancel_part_sold(state, bracket, order)
    if order.status == "open" or order.filled <= 0:
        return bracket, None
    rest, done = book_sell(state, bracket, order, "stop")
    return (bracket, done) if rest is None else place_stop(state, rest)


def cancel_part_sold(state: PositionState, bracket: Bracket, order: Order) -> Order:
    """A stop that sold a part and stays open for the rest (Kraken: vol_exec < vol; a stop at
    break-even above the price sells at once): cancel the rest, confirmed, and return the
    final order, which the caller books (`book_sell`: the position shrinks by what sold) and
    replaces by one stop of exactly the coins left. Left open, the stop would cover fewer
    coins than the position books and its later fill would be booked against the wrong
    amount (found by the bad-day property test, schedule seed 29865)."""
    logger.bind(pair=bracket.pair, action="stop_part_sold", trade_id=bracket.trade_id).warning(
        "trade {}: stop {} sold {} of {} and stays open: cancelling the rest, one stop for what is held",
        bracket.trade_id, order.id, order.filled, order.amount,
    )
    return state.desk.cancel_confirmed(order.id)


def move_stop(state: PositionState, bracket: Bracket, stop: Decimal) -> tuple[Bracket | None, TradeExit | None]:
    """Replace the position's stop at `stop`: the old one is canceled and confirmed first (a
    stop that filled meanwhile is booked, never doubled), then the new one is placed.
    Returns (the bracket with its new stop, None), or (None, exit) when it closed on the way."""
    old = bracket.stop
    if bracket.stop_order_id:
        final = state.desk.cancel_confirmed(bracket.stop_order_id)
        rest, done = book_sell(state, bracket, final, "stop")
        if rest is None:
            return None, done
        bracket = rest.with_stop_order("")
    moved, done = place_stop(state, replace(bracket, stop=stop))
    if done is not None:
        return None, done
    state.bus.publish(StopMoved(moved.trade_id, moved.pair, old, moved.stop))
    return moved, None
