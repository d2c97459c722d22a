"""Opening a position from a filled entry: the trade row, its exact position and the entry's
order link in one commit, the events, then its stop on the exchange (`position_stops`). An
entry sent with the exchange's conditional close keeps that stop's price and waits for it."""

from __future__ import annotations

from decimal import Decimal

from loguru import logger

from core.domain import Order
from core.trading.bracket import Bracket
from core.trading.conditional import CONDITIONAL_KEY
from core.trading.events import OrderFilled, PositionOpened
from core.trading.plan import EntryPlan, trade_row
from core.trading.position_state import PositionState
from core.trading.position_stops import place_stop
from core.trading.trade_exit import TradeExit


def open_from_fill(
    state: PositionState, plan: EntryPlan, order: Order, client_ref: str = ""
) -> tuple[Bracket, TradeExit | None]:
    """Record the filled entry as a trade and put its stop on the exchange."""
    amount, price = order.filled, order.average_price or order.price or Decimal(0)
    stop, target = plan.levels(price, state.cfg)
    conditional = plan.meta.get(CONDITIONAL_KEY)
    if conditional:  # the exchange holds (or held) the stop at the price the entry sent
        stop = Decimal(str(conditional))
    risk = amount * (price - stop)
    entry_ms = order.closed_ms or state.clock.now_ms()
    with state.uow.change() as tx:  # the trade, its position and the entry's link: one commit
        row = tx.open_trade(trade_row(plan, order, entry_ms, stop, target, risk), client_ref)
        assert row.id is not None  # noqa: S101 - the database assigned it
        bracket = Bracket(
            trade_id=row.id,
            pair=plan.pair,
            amount=amount,
            entry_price=price,
            entry_cost=amount * price + order.fee,
            entry_fee=order.fee,
            stop=stop,
            target=target,
            initial_risk=risk,
            entry_ms=entry_ms,
            entry_ref=client_ref,
            origin=plan.origin,
            placed_by=plan.placed_by,
        )
        tx.save(bracket)
    logger.bind(pair=plan.pair, action="trade_open").info(
        "trade {} opened ({}) amount={} entry={} stop={} target={}",
        bracket.trade_id, bracket.origin, amount, price, stop, target,
    )
    state.book.put(bracket)
    if conditional:
        state.awaiting[bracket.trade_id] = state.clock.now_ms()
    state.bus.publish(OrderFilled(order, "manual" if plan.origin == "manual" else "entry", bracket.trade_id))
    state.bus.publish(PositionOpened(
        bracket.trade_id, plan.pair, amount, price, stop, target, order.fee, plan.origin, plan.placed_by
    ))
    return place_stop(state, bracket)
