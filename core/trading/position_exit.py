"""Selling a position at market: cancel its stop and confirm it by reading it back (a stop that
filled meanwhile closes the trade as `stop`), then sell exactly what is held; if the sell
fails or sells only a part, the rest is re-protected (`position_protect`) so the position is
never left naked."""

from __future__ import annotations

from core.domain import ExchangeError, ExchangeUnavailable, OrderRequest
from core.trading.bracket import Bracket
from core.trading.position_booking import book_sell
from core.trading.position_holdings import capped
from core.trading.position_protect import protect
from core.trading.position_state import PositionState
from core.trading.position_stops import cancel_attached
from core.trading.trade_exit import TradeExit


def exit_position(state: PositionState, bracket: Bracket, reason: str) -> TradeExit:
    """Cancel the stop (confirmed), then sell what is held at market; the stop comes back if
    the sell fails. A stop that sold a part before the cancel is booked first, so the sell is
    for exactly the rest; a sell that sells only a part books it and re-protects the rest."""
    if bracket.stop_order_id:
        final = state.desk.cancel_confirmed(bracket.stop_order_id)
        rest, done = book_sell(state, bracket, final, "stop")
        if rest is None and done is not None:
            return done
        bracket = (rest or bracket).with_stop_order("")
        state.book.put(bracket)
    else:  # waiting for the exchange's stop (see `position_stops._still_awaited`): take down any REST shows
        rest, done = cancel_attached(state, bracket)
        if rest is None and done is not None:
            return done
        bracket = rest or bracket
    try:
        bracket = capped(state, bracket)  # nothing held raises: the stop is gone, so protect
        sell = OrderRequest(bracket.pair, "sell", "market", bracket.amount)
        order = state.desk.send(sell, reason, bracket.trade_id)
    except (ExchangeError, ExchangeUnavailable) as exc:
        state.journal.error(
            "trading.exit",
            "transient" if isinstance(exc, ExchangeUnavailable) else "fatal",
            f"{bracket.pair} exit ({reason}) failed: {exc}; resolving it, then re-protecting",
        )
        # Not a blind re-place: if the sell's outcome is unknown, `protect` looks it up
        # first (it may have sold), and places a stop only once the sell is proved absent.
        _, done = protect(state, bracket)
        if done is not None:
            return done
        raise
    if order.status == "open":  # still open after the read-backs: a failed cancel leaves it
        try:  # to sync (ensure_stop finishes it)
            order = state.desk.cancel_confirmed(order.id)
        except (ExchangeError, ExchangeUnavailable) as exc:  # e.g. a txid the exchange never knew
            state.journal.error("trading.exit", "transient", f"{bracket.pair} exit ({reason}) sell {order.id} "
                                f"not settled: {exc}; resolving it, then re-protecting")
            _, done = protect(state, bracket)  # the sell is looked up first (after the grace), never doubled
            if done is not None:
                return done
            raise
    rest, done = book_sell(state, bracket, order, reason)
    if rest is None and done is not None:
        return done
    protect(state, rest or bracket)
    raise ExchangeError(
        f"{bracket.pair} exit ({reason}) sold {order.filled} of {bracket.amount}; the rest keeps a stop"
    )
