"""The coins a position really holds: every stop and exit is capped at them (a fee taken in
coins, coins sold by hand, coins gone), and a pair's one exchange balance is shared among its
positions the same way on every call, so their stops together never ask for more coins than
the account has."""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_DOWN, Decimal

from core.domain import ExchangeError, ExchangeUnavailable
from core.telemetry.models import OrderRow
from core.trading.bracket import Bracket
from core.trading.position_state import PositionState
from core.trading.prefetch import Prefetch


def held(state: PositionState, bracket: Bracket, pre: Prefetch | None = None) -> Decimal | None:
    """The coins this position can hold, truncated to lot decimals; None when the market or
    the balance is unknown.

    A pair may hold several positions (a manual one beside the autopilot's) while the
    exchange knows one balance. Coins under another position's live stop are that
    position's (the exchange reserves them); the rest is shared among the positions without
    a stop oldest first (by trade id). So a shortfall (a fee taken in coins, coins sold by
    hand) falls on the position being re-protected, newest first, the same way on every
    call, and the positions' stops together never ask for more coins than the account has.

    The total (not Kraken's free balance) because free lags a cancel: free + what our own
    just-canceled stop reserved is what the position owns.
    """
    market = state.market_of(bracket.pair)
    if market is None:
        return None
    try:
        balances = (pre or Prefetch()).take(("balances", ""), state.exchange.fetch_balances)
        total = balances.total.get(market.base, Decimal(0))
    except (ExchangeError, ExchangeUnavailable):
        return None
    others = [b for b in state.book.for_pair(bracket.pair) if b.trade_id != bracket.trade_id]
    total -= sum((b.amount for b in others if b.stop_order_id), Decimal(0))
    for older in others:  # sorted by trade id
        if not older.stop_order_id and older.trade_id < bracket.trade_id:
            total -= min(older.amount, max(total, Decimal(0)))
    return max(total, Decimal(0)).quantize(Decimal(1).scaleb(-market.lot_decimals), rounding=ROUND_DOWN)


def capped(state: PositionState, bracket: Bracket, pre: Prefetch | None = None) -> Bracket:
    """Never stop or sell more coins than are held (a fee taken in coins, coins gone): the
    bracket shrinks to what it holds; its cost stays. Nothing held raises: a stop for the
    booked amount would only be refused (or, with other coins on the account, protect
    coins that are not the position's)."""
    have = held(state, bracket, pre)
    if have is None or have >= bracket.amount:
        return bracket  # unknown: send the booked amount, the exchange refuses what is not there
    busy = _sell_in_flight(state, bracket)
    if busy:  # the shortfall may be that sell's coins, not this position's: wait for it to settle
        raise ExchangeUnavailable(
            f"{bracket.pair} trade {bracket.trade_id}: {have} of {bracket.amount} held while the sell of "
            f"trade {busy} is not settled yet; tried again on the next sync"
        )
    if have <= 0:
        raise ExchangeError(f"no {bracket.pair} coins held for trade {bracket.trade_id} ({bracket.amount} booked)")
    state.journal.safety(
        "amount_capped",
        f"{bracket.pair} trade {bracket.trade_id}: {bracket.amount} booked but {have} held; using {have}",
    )
    shrunk = replace(bracket, amount=have)
    state.save(shrunk)
    return shrunk


def _sell_in_flight(state: PositionState, bracket: Bracket) -> int | None:
    """Another position of the pair whose sell (not a stop) was sent and is not settled: its
    coins may be gone from the one balance already, and `held` would charge them to this
    position, which then sold or stopped too little (found by the bad-day property test)."""
    now = state.clock.now_ms()
    for other in state.book.for_pair(bracket.pair):
        if other.trade_id == bracket.trade_id:
            continue
        for r in state.journal.orders_for_trade(other.trade_id, ("new", "open")):
            if r.side != "sell":
                continue
            young = now - max(r.created_ms, r.updated_ms) < state.stop_grace_ms
            if r.purpose != "stop" or (young and not _seen_open(state, r)):  # a new stop may have sold unseen
                return other.trade_id
    return None


def _seen_open(state: PositionState, row: OrderRow) -> bool:
    """The exchange shows this order open now (so it really reserves its coins)."""
    if not row.exchange_id:
        return False
    try:
        return state.exchange.fetch_order(row.exchange_id).status == "open"
    except (ExchangeError, ExchangeUnavailable):  # unseen, or cannot tell: not proved live
        return False
