"""Booking what a sell of a position's coins did: all sold closes the trade (net P&L of both
fees, R multiple, computed exactly like the backtest's Decimal ledger), a part sold shrinks the
position pro rata (`book_sell`) and the rest is left without a stop for the caller to protect
or sell. The selling order's row is marked done in the same commit as the booking, so a fill
is booked exactly once, crash or not."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from loguru import logger

from core.domain import Order
from core.trading.bracket import Bracket
from core.trading.events import PartialFill, PositionClosed
from core.trading.position_state import PositionState
from core.trading.trade_exit import TradeExit


def close(state: PositionState, bracket: Bracket, order: Order, reason: str, order_ref: str = "") -> TradeExit:
    """Book the exit: net P&L (both fees), R multiple, exit time; tell the listeners. The trade,
    the position and the selling order's row (`order_ref`) change in one commit."""
    amount, price = order.filled, order.average_price or order.price or Decimal(0)
    cost = (
        bracket.entry_cost if amount == bracket.amount else bracket.entry_cost * amount / bracket.amount
    )
    net, fees = amount * price - order.fee - cost, bracket.entry_fee + order.fee
    if bracket.sold:  # earlier partial fills: the trade's totals and average exit price
        net, fees = net + bracket.realized, fees + bracket.exit_fees
        price = (bracket.proceeds + amount * price) / (bracket.sold + amount)
        amount += bracket.sold
    pnl = net
    r_mult = float(pnl / bracket.initial_risk) if bracket.initial_risk > 0 else 0.0
    exit_ms = order.closed_ms or state.clock.now_ms()
    with state.uow.change() as tx:
        if order_ref:
            tx.update_order(order_ref, status=order.status)
        tx.update_trade(
            bracket.trade_id,
            status="closed",
            exit_ms=exit_ms,
            exit_price=price,
            pnl=pnl,
            r_multiple=r_mult,
            exit_reason=reason,
            fees=fees,
        )
        tx.drop(bracket.trade_id)
    state.book.pop(bracket.trade_id)
    done = TradeExit(
        bracket.trade_id, bracket.pair, reason, amount, price, pnl, r_mult, exit_ms, bracket.origin
    )
    logger.bind(pair=bracket.pair, action="trade_close").info(
        "trade {} closed reason={} price={} pnl={} R={:.2f}",
        bracket.trade_id,
        reason,
        price,
        pnl,
        r_mult,
    )
    # the owner's alert: bot/alerts/trade_alerts.py from this event (bot/text/trading.py's words)
    state.bus.publish(PositionClosed(
        done.trade_id, done.pair, reason, amount, price, pnl, r_mult, exit_ms, bracket.origin
    ))
    return done


def book_sell(
    state: PositionState, bracket: Bracket, order: Order, reason: str
) -> tuple[Bracket | None, TradeExit | None]:
    """A finished (not open) sell of the bracket's coins: all sold closes the trade -> (None,
    exit); a part sold is booked pro rata -> (rest without a stop, None), which the caller
    protects or sells; nothing sold -> (bracket, None). The order's row is marked done in
    the same commit as the booking, so a fill is booked exactly once, crash or not."""
    row = state.journal.order_by_exchange_id(order.id)
    ref = row.client_ref if row is not None and row.status in ("new", "open") else ""
    if order.filled <= 0:
        if ref:
            with state.uow.change() as tx:
                tx.update_order(ref, status=order.status)
        return bracket, None
    if order.filled >= bracket.amount:
        return None, close(state, bracket, order, reason, ref)
    amount, price = order.filled, order.average_price or order.price or Decimal(0)
    cost = bracket.entry_cost * amount / bracket.amount
    rest = replace(
        bracket,
        amount=bracket.amount - amount,
        entry_cost=bracket.entry_cost - cost,
        stop_order_id="",
        sold=bracket.sold + amount,
        proceeds=bracket.proceeds + amount * price,
        realized=bracket.realized + amount * price - order.fee - cost,
        exit_fees=bracket.exit_fees + order.fee,
    )
    with state.uow.change() as tx:
        if ref:
            tx.update_order(ref, status=order.status)
        tx.save(rest)
    state.book.put(rest)
    text = f"{bracket.pair} trade {bracket.trade_id}: {reason} sold {amount} at {price}; {rest.amount} left"
    state.journal.safety("partial_fill", text)
    state.bus.publish(PartialFill(bracket.pair, bracket.trade_id, reason, amount, price, rest.amount))
    return rest, None
