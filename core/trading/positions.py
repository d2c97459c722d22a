"""Open and close bracketed positions: the steps behind every entry and exit.

Entry: the filled buy becomes a TradeRow plus a Bracket; the stop-loss sell for the filled
amount goes to the exchange, the target goes to the watcher's book. Exit: cancel the stop and
confirm it by reading it back (a stop that filled in the meantime closes the trade as `stop`),
then sell at market; if that sell fails the stop is put back so the position is never left
naked. P&L is net of both fees, computed exactly like the backtest's Decimal ledger.
Partial fills: a stop (or exit sell) that sold only part of the coins is booked pro rata
(`book_sell`) and the rest stays a bracket that is re-protected or sold, never left naked.
Every stop and exit is capped at the coins actually free (a fee taken in coins, coins gone).
Callers hold the TradingService lock; nothing here locks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import partial

from loguru import logger

from core.domain import (
    ExchangeError,
    ExchangeUnavailable,
    Market,
    Order,
    OrderNotFound,
    OrderOutcomeUnknown,
    OrderRequest,
)
from core.ports import Clock, Exchange
from core.strategy.risk import RiskConfig
from core.telemetry.models import OrderRow
from core.text import price_text
from core.trading.bracket import Bracket, BracketBook
from core.trading.bus import EventBus
from core.trading.conditional import CONDITIONAL_KEY, capable, log_choice
from core.trading.events import (
    NakedPosition,
    OrderFilled,
    PartialFill,
    PositionClosed,
    PositionOpened,
    StopMoved,
    StopPlaced,
    StopRestored,
)
from core.trading.orders import OrderDesk, new_client_ref
from core.trading.plan import EntryPlan as EntryPlan
from core.trading.plan import bracket_from_row, trade_row
from core.trading.plan import dec as dec
from core.trading.prefetch import Prefetch
from core.trading.unit_of_work import TradingJournal, UnitOfWork


@dataclass(frozen=True)
class TradeExit:
    trade_id: int
    pair: str
    reason: str  # stop, target, kill_switch, manual, flatten
    amount: Decimal
    exit_price: Decimal
    pnl: Decimal
    r_multiple: float
    exit_ms: int
    origin: str = "autopilot"  # whose position it was (the autopilot's cool-off ignores manual ones)


class Positions:
    def __init__(  # noqa: PLR0913
        self,
        exchange: Exchange,
        desk: OrderDesk,
        journal: TradingJournal,
        uow: UnitOfWork,
        clock: Clock,
        cfg: RiskConfig,
        market_of: Callable[[str], Market | None] = lambda _pair: None,
        bus: EventBus | None = None,
        stop_grace_ms: int = 15_000,
    ) -> None:
        self.exchange, self.desk, self.journal, self.uow = exchange, desk, journal, uow
        # How long a stop whose send had an unknown outcome may stay unseen before "not on the
        # exchange" is believed (issue 19; Kraken's reads can lag a new order).
        self.stop_grace_ms = stop_grace_ms
        self.clock, self.cfg = clock, cfg
        self.book = BracketBook()
        self.bus = bus if bus is not None else EventBus()  # PositionOpened/Closed, StopPlaced/Moved
        # The pair's market when known: stop prices are rounded to its price decimals (so what is
        # sent and booked is a price the exchange accepts as is), and stops and exits are capped
        # at the coins held, truncated to its lot decimals.
        self.market_of = market_of
        # Trades whose missing stop the owner has been told about in this process: one alert per
        # outage, not one per sync retry; cleared when the trade has its stop again.
        self._naked_told: set[int] = set()
        # Entries sent with a conditional close whose exchange stop REST has not shown yet:
        # trade id -> when Zyn first looked. Zyn waits `stop_grace_ms` for it before placing
        # its own (Kraken's REST can show the stop after the fill), so the two are never both
        # live; a stop seen later beside Zyn's own is cancelled by the stop check.
        self._awaiting: dict[int, int] = {}
        self.strays_told: set[str] = set()  # exchange stops the owner has been alerted about

    def pair_decimals(self, pair: str) -> int | None:
        market = self.market_of(pair)
        return market.pair_decimals if market is not None else None

    def price_shown(self, pair: str, value: object) -> str:
        """A price as every alert and reply shows it: the pair's own decimals, separators (issue 22.9)."""
        return price_text(pair, value, self.pair_decimals(pair))

    def load(self) -> None:
        """Rebuild the in-memory book from open trades (exact positions rows, else the trade row)."""
        self.book.clear()
        saved = self.uow.load()
        for row in self.journal.open_trades():
            if row.id is not None:
                self.book.put(saved.get(row.id) or bracket_from_row(row))

    # ------------------------------------------------------------------ entry
    def open_from_fill(
        self, plan: EntryPlan, order: Order, client_ref: str = ""
    ) -> tuple[Bracket, TradeExit | None]:
        """Record the filled entry as a trade and put its stop on the exchange."""
        amount, price = order.filled, order.average_price or order.price or Decimal(0)
        stop, target = plan.levels(price, self.cfg)
        conditional = plan.meta.get(CONDITIONAL_KEY)
        if conditional:  # the exchange holds (or held) the stop at the price the entry sent
            stop = Decimal(str(conditional))
        risk = amount * (price - stop)
        entry_ms = order.closed_ms or self.clock.now_ms()
        with self.uow.change() as tx:  # the trade, its position and the entry's link: one commit
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
        self.book.put(bracket)
        if conditional:
            self._awaiting[bracket.trade_id] = self.clock.now_ms()
        self.bus.publish(OrderFilled(order, "manual" if plan.origin == "manual" else "entry", bracket.trade_id))
        self.bus.publish(PositionOpened(
            bracket.trade_id, plan.pair, amount, price, stop, target, order.fee, plan.origin, plan.placed_by
        ))
        return self.place_stop(bracket)

    def place_stop(
        self, bracket: Bracket, client_ref: str = "", pre: Prefetch | None = None
    ) -> tuple[Bracket, TradeExit | None]:
        """Put the bracket's stop-loss on the exchange; a stop already through the price fills now.
        Where the exchange attaches stops to entries (Kraken's conditional close), the ones it
        placed for this position's entry are settled first: adopted, or cancelled and replaced
        by one (`_settle_conditional`), so an exchange-placed and a Zyn-placed stop are never
        both live. Found by the entry's reference, not remembered: a restart finds them too."""
        pre = pre if pre is not None else Prefetch()
        if capable(self.exchange, bracket.pair) is not None and bracket.entry_ref:
            return self._settle_conditional(bracket, client_ref, pre)
        return self._send_stop(bracket, client_ref, pre)

    def _send_stop(
        self, bracket: Bracket, client_ref: str = "", pre: Prefetch | None = None
    ) -> tuple[Bracket, TradeExit | None]:
        bracket = self._capped(bracket, pre)
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

    def _settle_conditional(self, bracket: Bracket, client_ref: str, pre: Prefetch) -> tuple[Bracket, TradeExit | None]:
        """Adopt the exchange's stop when it is exactly one for the coins held; else cancel every
        one of them (confirmed, booking what they sold) and place one of Zyn's own (see
        `core.trading.conditional`). Raises exchange errors like `place_stop` (protect retries)."""
        exchange = capable(self.exchange, bracket.pair)
        ref = bracket.entry_ref
        stops = pre.take(("conditional", ref), partial(exchange.conditional_stops, ref)) if exchange and ref else []
        held = self._capped(bracket, pre)
        if len(stops) == 1 and stops[0].amount == held.amount and stops[0].status == "open":
            self._awaiting.pop(bracket.trade_id, None)
            log_choice(bracket.pair, bracket.trade_id, "adopted the exchange's stop", stops)
            self._journal_adopted(bracket.trade_id, stops[0])
            return self.adopt_stop(replace(held, stop=stops[0].price or held.stop), stops[0])
        if not stops and self._still_awaited(bracket):
            return bracket, None
        self._awaiting.pop(bracket.trade_id, None)
        rest: Bracket = held
        for stop in stops:
            final = self.desk.cancel_confirmed(stop.id)
            if final.filled > 0:
                after, done = self.book_sell(rest, final, "stop")
                if after is None:
                    return rest, done
                rest = after
        if stops:  # several (one per fill) or not the size held: one stop of Zyn's own instead
            what = "resized: the exchange's stops cancelled, one stop of Zyn's own for what is held"
            self.journal.safety("conditional_stop", f"{bracket.pair} trade {bracket.trade_id}: {what} ({rest.amount})")
        log_choice(bracket.pair, bracket.trade_id, "places its own stop" if not stops else "resized", stops)
        return self._send_stop(replace(rest, stop_order_id=""), client_ref, pre)

    def _cancel_attached(self, bracket: Bracket) -> tuple[Bracket | None, TradeExit | None]:
        """Before an exit sells a position that has no stop of its own yet: cancel (confirmed)
        the stops the exchange attached to its entry, booking what they sold."""
        exchange = capable(self.exchange, bracket.pair)
        if exchange is None or not bracket.entry_ref:
            return bracket, None
        self._awaiting.pop(bracket.trade_id, None)
        rest: Bracket = bracket
        for stop in exchange.conditional_stops(bracket.entry_ref):
            after, done = self.book_sell(rest, self.desk.cancel_confirmed(stop.id), "stop")
            if after is None:
                return None, done
            rest = after
        return rest, None

    def _still_awaited(self, bracket: Bracket) -> bool:
        """True while the entry's conditional stop may still show on REST (within the grace):
        the caller places nothing yet and the next sync looks again; after it, falls back."""
        since = self._awaiting.get(bracket.trade_id)
        if since is None:
            return False
        waited = self.clock.now_ms() - since
        if waited < self.stop_grace_ms:
            logger.bind(pair=bracket.pair, action="conditional_stop", trade_id=bracket.trade_id).info(
                "trade {}: the exchange's stop is not shown yet ({} ms of {} ms): looking again on the next sync",
                bracket.trade_id, waited, self.stop_grace_ms,
            )
            return True
        logger.bind(pair=bracket.pair, action="conditional_stop", trade_id=bracket.trade_id).warning(
            "trade {}: the exchange's stop did not show within {} ms: Zyn places its own (one seen later is cancelled)",
            bracket.trade_id, self.stop_grace_ms,
        )
        return False

    def _journal_adopted(self, trade_id: int, stop: Order) -> None:
        """The exchange-placed stop gets an order row like one Zyn sent (purpose `stop`, the
        trade's), so every later step (cancel, restart, reconcile, status) treats it the same."""
        if self.journal.order_by_exchange_id(stop.id) is not None:
            return
        ref = new_client_ref()
        self.journal.order_new(OrderRequest(stop.pair, stop.side, stop.type, stop.amount, stop.price, client_ref=ref),
                               "stop", trade_id)
        self.journal.order_sent(ref, stop)

    def protect(self, bracket: Bracket, pre: Prefetch | None = None) -> tuple[Bracket, TradeExit | None]:
        """THE place the open-position invariant is enforced: afterwards the position has exactly
        one live stop for the coins held (`ensure_stop`), or it was closed by an order resolved
        on the way, or a `naked_position` safety event is open and the next sync tries again.

        Every path that leaves a position without a stop (entry, failed exit, stop gone, sync,
        restart) ends here, so "never two stops, never a stop for coins not held, never silent"
        is one method to read. Never raises for exchange trouble. `pre`: what `read_unprotected`
        read before the lock (used only while current, `core.trading.prefetch`).
        """
        try:
            done = self.ensure_stop(bracket, pre)
        except (ExchangeError, ExchangeUnavailable) as exc:
            self.naked(bracket.pair, f"trade {bracket.trade_id}: stop not placed ({exc}); retrying on sync")
            self._tell_naked(bracket, exc)
            return bracket, None
        if bracket.trade_id in self._naked_told:
            self._naked_told.discard(bracket.trade_id)
            self.bus.publish(StopRestored(bracket.pair, bracket.trade_id))
        return done

    def _tell_naked(self, bracket: Bracket, exc: Exception) -> None:
        """Alert the owner once (a safety alert: it goes out even in quiet hours) that a position
        has no stop on the exchange; the sync keeps retrying without repeating the alert."""
        if bracket.trade_id in self._naked_told:
            return
        self._naked_told.add(bracket.trade_id)
        self.bus.publish(NakedPosition(bracket.pair, bracket.trade_id, str(exc)))

    def naked(self, pair: str, detail: str) -> None:
        """TradingJournal an open position without a stop; `sync` retries `protect` until it has one."""
        self.journal.safety("naked_position", f"{pair} {detail}")

    def read_unprotected(self, pre: Prefetch, also: Iterable[Bracket] = ()) -> None:
        """Read, WITHOUT the trading lock, what `protect` will look at for every position that has
        no stop (and those in `also`, whose stop a reading shows gone): its earlier sells whose
        outcome is open, the balances, the exchange's attached stops."""
        bare = [b for b in self.book.all() if not b.stop_order_id] + list(also)
        for bracket in bare:
            for row in self.journal.orders_for_trade(bracket.trade_id, ("new", "open")):
                if row.side == "sell" and row.exchange_id != bracket.stop_order_id:  # (a gone stop: read)
                    pre.read(("order", row.client_ref), partial(self._lookup_now, row))
            exchange = capable(self.exchange, bracket.pair)
            if exchange is not None and bracket.entry_ref:
                pre.read(("conditional", bracket.entry_ref), partial(exchange.conditional_stops, bracket.entry_ref))
        if bare:
            pre.read(("balances", ""), self.exchange.fetch_balances, keep=True)

    def ensure_stop(self, bracket: Bracket, pre: Prefetch | None = None) -> tuple[Bracket, TradeExit | None]:
        """Protect a bracket without a known stop, never with two stops.

        An exit sell whose answer was lost (row `new`) is looked up first: if it sold, the trade
        is closed. A stop sent earlier whose answer was lost (row `new`) or whose bookkeeping
        did not finish (row `open`) is adopted if it is still there. Only when the exchange
        says every earlier order is gone is a new stop placed. Raises ExchangeError /
        ExchangeUnavailable when that cannot be proved (the next sync tries again).
        """
        for row in self.journal.orders_for_trade(bracket.trade_id, ("new", "open")):
            if row.side != "sell":
                continue
            order = (pre or Prefetch()).take(("order", row.client_ref), partial(self._lookup_now, row))
            if order is None:
                self._unseen_within_grace(row)
                self.journal.order_update(row.client_ref, status="failed", error="not on the exchange")
                continue
            self.journal.order_sent(row.client_ref, order)
            if order.status == "open" and row.purpose == "stop":
                return self.adopt_stop(bracket, order)
            if order.status == "open":  # an exit sell left open: finish it before anything else
                order = self.desk.cancel_confirmed(order.id)
            rest, done = self.book_sell(bracket, order, row.purpose)
            if rest is None:
                return bracket, done
            bracket = rest
        return self.place_stop(bracket, pre=pre)

    def _unseen_within_grace(self, row: OrderRow) -> None:
        """An order sent with an unknown outcome (answer lost, empty or HTML 200), or accepted with a
        txid that no read shows yet, may still appear: within the grace, raise (the next sync looks
        again) instead of calling it failed and sending a stop beside it (or for coins it sold).
        Found by the bad-day property test."""
        unknown = (row.status == "new" and (row.error or "").startswith("unknown outcome")) or (
            row.status == "open" and bool(row.exchange_id)  # accepted, yet no read shows it
        )
        age = self.clock.now_ms() - max(row.created_ms, row.updated_ms)  # from its last send (entries.last_sent_ms)
        if unknown and age < self.stop_grace_ms:
            raise OrderOutcomeUnknown(
                f"{row.purpose} order {row.client_ref} sent {age / 1000:.1f} s ago is not visible yet; "
                "looked for again on the next sync"
            )

    def _lookup_now(self, row: OrderRow) -> Order | None:
        if row.exchange_id:
            try:
                return self.exchange.fetch_order(row.exchange_id)
            except OrderNotFound:
                return None
        return self.exchange.find_order_by_client_ref(row.client_ref)

    def adopt_stop(self, bracket: Bracket, order: Order) -> tuple[Bracket, TradeExit | None]:
        bracket = bracket.with_stop_order(order.id)
        with self.uow.change() as tx:
            tx.save(bracket)
            tx.update_trade(bracket.trade_id, stop_order_id=order.id)
        self.book.put(bracket)
        self.bus.publish(StopPlaced(bracket.trade_id, bracket.pair, order.id, bracket.stop, bracket.amount))
        if order.status == "open" and order.filled > 0:
            order = self.cancel_part_sold(bracket, order)
        if order.status == "open" or order.filled <= 0:
            return bracket, None
        rest, done = self.book_sell(bracket, order, "stop")
        return (bracket, done) if rest is None else self.place_stop(rest)

    def cancel_part_sold(self, bracket: Bracket, order: Order) -> Order:
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
        return self.desk.cancel_confirmed(order.id)

    def move_stop(self, bracket: Bracket, stop: Decimal) -> tuple[Bracket | None, TradeExit | None]:
        """Replace the position's stop at `stop`: the old one is canceled and confirmed first (a
        stop that filled meanwhile is booked, never doubled), then the new one is placed.
        Returns (the bracket with its new stop, None), or (None, exit) when it closed on the way."""
        old = bracket.stop
        if bracket.stop_order_id:
            final = self.desk.cancel_confirmed(bracket.stop_order_id)
            rest, done = self.book_sell(bracket, final, "stop")
            if rest is None:
                return None, done
            bracket = rest.with_stop_order("")
        moved, done = self.place_stop(replace(bracket, stop=stop))
        if done is not None:
            return None, done
        self.bus.publish(StopMoved(moved.trade_id, moved.pair, old, moved.stop))
        return moved, None

    # ------------------------------------------------------------------ exit
    def exit(self, bracket: Bracket, reason: str) -> TradeExit:
        """Cancel the stop (confirmed), then sell what is held at market; the stop comes back if
        the sell fails. A stop that sold a part before the cancel is booked first, so the sell is
        for exactly the rest; a sell that sells only a part books it and re-protects the rest."""
        if bracket.stop_order_id:
            final = self.desk.cancel_confirmed(bracket.stop_order_id)
            rest, done = self.book_sell(bracket, final, "stop")
            if rest is None and done is not None:
                return done
            bracket = (rest or bracket).with_stop_order("")
            self.book.put(bracket)
        else:  # waiting for the exchange's stop (see `_still_awaited`): take down any REST shows
            rest, done = self._cancel_attached(bracket)
            if rest is None and done is not None:
                return done
            bracket = rest or bracket
        try:
            bracket = self._capped(bracket)  # nothing held raises: the stop is gone, so protect
            sell = OrderRequest(bracket.pair, "sell", "market", bracket.amount)
            order = self.desk.send(sell, reason, bracket.trade_id)
        except (ExchangeError, ExchangeUnavailable) as exc:
            self.journal.error(
                "trading.exit",
                "transient" if isinstance(exc, ExchangeUnavailable) else "fatal",
                f"{bracket.pair} exit ({reason}) failed: {exc}; resolving it, then re-protecting",
            )
            # Not a blind re-place: if the sell's outcome is unknown, `protect` looks it up
            # first (it may have sold), and places a stop only once the sell is proved absent.
            _, done = self.protect(bracket)
            if done is not None:
                return done
            raise
        if order.status == "open":  # still open after the read-backs: a failed cancel leaves it
            try:  # to sync (ensure_stop finishes it)
                order = self.desk.cancel_confirmed(order.id)
            except (ExchangeError, ExchangeUnavailable) as exc:  # e.g. a txid the exchange never knew
                self.journal.error("trading.exit", "transient", f"{bracket.pair} exit ({reason}) sell {order.id} "
                                   f"not settled: {exc}; resolving it, then re-protecting")
                _, done = self.protect(bracket)  # the sell is looked up first (after the grace), never doubled
                if done is not None:
                    return done
                raise
        rest, done = self.book_sell(bracket, order, reason)
        if rest is None and done is not None:
            return done
        self.protect(rest or bracket)
        raise ExchangeError(
            f"{bracket.pair} exit ({reason}) sold {order.filled} of {bracket.amount}; the rest keeps a stop"
        )

    def close(self, bracket: Bracket, order: Order, reason: str, order_ref: str = "") -> TradeExit:
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
        exit_ms = order.closed_ms or self.clock.now_ms()
        with self.uow.change() as tx:
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
        self.book.pop(bracket.trade_id)
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
        self.bus.publish(PositionClosed(
            done.trade_id, done.pair, reason, amount, price, pnl, r_mult, exit_ms, bracket.origin
        ))
        return done

    def book_sell(
        self, bracket: Bracket, order: Order, reason: str
    ) -> tuple[Bracket | None, TradeExit | None]:
        """A finished (not open) sell of the bracket's coins: all sold closes the trade -> (None,
        exit); a part sold is booked pro rata -> (rest without a stop, None), which the caller
        protects or sells; nothing sold -> (bracket, None). The order's row is marked done in
        the same commit as the booking, so a fill is booked exactly once, crash or not."""
        row = self.journal.order_by_exchange_id(order.id)
        ref = row.client_ref if row is not None and row.status in ("new", "open") else ""
        if order.filled <= 0:
            if ref:
                with self.uow.change() as tx:
                    tx.update_order(ref, status=order.status)
            return bracket, None
        if order.filled >= bracket.amount:
            return None, self.close(bracket, order, reason, ref)
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
        with self.uow.change() as tx:
            if ref:
                tx.update_order(ref, status=order.status)
            tx.save(rest)
        self.book.put(rest)
        text = f"{bracket.pair} trade {bracket.trade_id}: {reason} sold {amount} at {price}; {rest.amount} left"
        self.journal.safety("partial_fill", text)
        self.bus.publish(PartialFill(bracket.pair, bracket.trade_id, reason, amount, price, rest.amount))
        return rest, None

    def held(self, bracket: Bracket, pre: Prefetch | None = None) -> Decimal | None:
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
        market = self.market_of(bracket.pair)
        if market is None:
            return None
        try:
            balances = (pre or Prefetch()).take(("balances", ""), self.exchange.fetch_balances)
            total = balances.total.get(market.base, Decimal(0))
        except (ExchangeError, ExchangeUnavailable):
            return None
        others = [b for b in self.book.for_pair(bracket.pair) if b.trade_id != bracket.trade_id]
        total -= sum((b.amount for b in others if b.stop_order_id), Decimal(0))
        for older in others:  # sorted by trade id
            if not older.stop_order_id and older.trade_id < bracket.trade_id:
                total -= min(older.amount, max(total, Decimal(0)))
        return max(total, Decimal(0)).quantize(Decimal(1).scaleb(-market.lot_decimals), rounding=ROUND_DOWN)

    def _capped(self, bracket: Bracket, pre: Prefetch | None = None) -> Bracket:
        """Never stop or sell more coins than are held (a fee taken in coins, coins gone): the
        bracket shrinks to what it holds; its cost stays. Nothing held raises: a stop for the
        booked amount would only be refused (or, with other coins on the account, protect
        coins that are not the position's)."""
        held = self.held(bracket, pre)
        if held is None or held >= bracket.amount:
            return bracket  # unknown: send the booked amount, the exchange refuses what is not there
        busy = self._sell_in_flight(bracket)
        if busy:  # the shortfall may be that sell's coins, not this position's: wait for it to settle
            raise ExchangeUnavailable(
                f"{bracket.pair} trade {bracket.trade_id}: {held} of {bracket.amount} held while the sell of "
                f"trade {busy} is not settled yet; tried again on the next sync"
            )
        if held <= 0:
            raise ExchangeError(f"no {bracket.pair} coins held for trade {bracket.trade_id} ({bracket.amount} booked)")
        self.journal.safety(
            "amount_capped",
            f"{bracket.pair} trade {bracket.trade_id}: {bracket.amount} booked but {held} held; using {held}",
        )
        capped = replace(bracket, amount=held)
        self.save(capped)
        return capped

    def _sell_in_flight(self, bracket: Bracket) -> int | None:
        """Another position of the pair whose sell (not a stop) was sent and is not settled: its
        coins may be gone from the one balance already, and `held` would charge them to this
        position, which then sold or stopped too little (found by the bad-day property test)."""
        now = self.clock.now_ms()
        for other in self.book.for_pair(bracket.pair):
            if other.trade_id == bracket.trade_id:
                continue
            for r in self.journal.orders_for_trade(other.trade_id, ("new", "open")):
                if r.side != "sell":
                    continue
                young = now - max(r.created_ms, r.updated_ms) < self.stop_grace_ms
                if r.purpose != "stop" or (young and not self._seen_open(r)):  # a new stop may have sold unseen
                    return other.trade_id
        return None

    def _seen_open(self, row: OrderRow) -> bool:
        """The exchange shows this order open now (so it really reserves its coins)."""
        if not row.exchange_id:
            return False
        try:
            return self.exchange.fetch_order(row.exchange_id).status == "open"
        except (ExchangeError, ExchangeUnavailable):  # unseen, or cannot tell: not proved live
            return False

    def save(self, bracket: Bracket) -> None:
        """A change of the position alone (no trade or order row with it)."""
        with self.uow.change() as tx:
            tx.save(bracket)
        self.book.put(bracket)

