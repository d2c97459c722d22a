"""Open and close bracketed positions: the one object the order steps call (`Positions`).

Entry: the filled buy becomes a TradeRow plus a Bracket; the stop-loss sell for the filled
amount goes to the exchange, the target goes to the watcher's book. Exit: cancel the stop and
confirm it by reading it back (a stop that filled in the meantime closes the trade as `stop`),
then sell at market; if that sell fails the stop is put back so the position is never left
naked. P&L is net of both fees, computed exactly like the backtest's Decimal ledger.
Partial fills: a stop (or exit sell) that sold only part of the coins is booked pro rata
(`book_sell`) and the rest stays a bracket that is re-protected or sold, never left naked.
Every stop and exit is capped at the coins actually free (a fee taken in coins, coins gone).

A thin facade: the state is `position_state.PositionState`, each step lives in the module of
its job (`position_open`, `position_stops`, `position_protect`, `position_exit`,
`position_booking`, `position_holdings`). Callers hold the TradingService lock; nothing here locks.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from core.domain import Order
from core.trading import (
    position_booking,
    position_exit,
    position_holdings,
    position_open,
    position_protect,
    position_stops,
)
from core.trading.bracket import Bracket
from core.trading.plan import EntryPlan as EntryPlan
from core.trading.plan import dec as dec
from core.trading.position_state import PositionState
from core.trading.prefetch import Prefetch
from core.trading.trade_exit import TradeExit as TradeExit


class Positions(PositionState):
    # ------------------------------------------------------------------ entry
    def open_from_fill(
        self, plan: EntryPlan, order: Order, client_ref: str = ""
    ) -> tuple[Bracket, TradeExit | None]:
        """Record the filled entry as a trade and put its stop on the exchange."""
        return position_open.open_from_fill(self, plan, order, client_ref)

    # ------------------------------------------------------------------ stops
    def place_stop(
        self, bracket: Bracket, client_ref: str = "", pre: Prefetch | None = None
    ) -> tuple[Bracket, TradeExit | None]:
        """Put the bracket's stop-loss on the exchange (`position_stops.place_stop`)."""
        return position_stops.place_stop(self, bracket, client_ref, pre)

    def adopt_stop(self, bracket: Bracket, order: Order) -> tuple[Bracket, TradeExit | None]:
        return position_stops.adopt_stop(self, bracket, order)

    def cancel_part_sold(self, bracket: Bracket, order: Order) -> Order:
        """Cancel the rest of a stop that sold a part, confirmed (`position_stops.cancel_part_sold`)."""
        return position_stops.cancel_part_sold(self, bracket, order)

    def move_stop(self, bracket: Bracket, stop: Decimal) -> tuple[Bracket | None, TradeExit | None]:
        """Replace the position's stop at `stop` (`position_stops.move_stop`)."""
        return position_stops.move_stop(self, bracket, stop)

    # ------------------------------------------------------------------ the invariant
    def protect(self, bracket: Bracket, pre: Prefetch | None = None) -> tuple[Bracket, TradeExit | None]:
        """THE place the open-position invariant is enforced (`position_protect.protect`)."""
        return position_protect.protect(self, bracket, pre)

    def ensure_stop(self, bracket: Bracket, pre: Prefetch | None = None) -> tuple[Bracket, TradeExit | None]:
        """Protect a bracket without a known stop, never with two (`position_protect.ensure_stop`)."""
        return position_protect.ensure_stop(self, bracket, pre)

    def naked(self, pair: str, detail: str) -> None:
        """Journal an open position without a stop; `sync` retries `protect` until it has one."""
        position_protect.naked(self, pair, detail)

    def read_unprotected(self, pre: Prefetch, also: Iterable[Bracket] = ()) -> None:
        """Read, WITHOUT the trading lock, what `protect` will look at (`position_protect`)."""
        position_protect.read_unprotected(self, pre, also)

    # ------------------------------------------------------------------ exit and booking
    def exit(self, bracket: Bracket, reason: str) -> TradeExit:
        """Cancel the stop (confirmed), then sell what is held at market (`position_exit`)."""
        return position_exit.exit_position(self, bracket, reason)

    def close(self, bracket: Bracket, order: Order, reason: str, order_ref: str = "") -> TradeExit:
        """Book the exit of the whole position (`position_booking.close`)."""
        return position_booking.close(self, bracket, order, reason, order_ref)

    def book_sell(
        self, bracket: Bracket, order: Order, reason: str
    ) -> tuple[Bracket | None, TradeExit | None]:
        """Book a finished sell of the bracket's coins, all or a part (`position_booking.book_sell`)."""
        return position_booking.book_sell(self, bracket, order, reason)

    def held(self, bracket: Bracket, pre: Prefetch | None = None) -> Decimal | None:
        """The coins this position can hold (`position_holdings.held`)."""
        return position_holdings.held(self, bracket, pre)
