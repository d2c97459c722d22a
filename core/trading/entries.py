"""Buying into a position: market entries, limit entries, and settling entries that fill later.

Why one module: every entry saves its EntryPlan under the order's client reference BEFORE the
buy is sent, and whichever path sees the fill (the send itself, `sync`, a cancel, reconcile)
turns that plan into a bracket exactly once. Keeping the paths together keeps that rule visible.
Unknown outcomes (issue 19): a buy whose answer was lost, empty or unreadable, or that the
exchange does not show yet, is never called "failed": its plan stays, the owner hears "outcome
unknown", and the sync that sees the fill brackets it (a fill with no plan gets the strategy's
ATR stop) and alerts once. Coins held on the exchange are always covered by a stop.
Callers hold the TradingService lock; nothing here locks (`read_entries` is the one read made
without it, before).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from functools import partial

from core.domain import (
    ExchangeError,
    ExchangeUnavailable,
    Order,
    OrderNotFound,
    OrderOutcomeUnknown,
    OrderRequest,
)
from core.telemetry.models import OrderRow
from core.text import amount_text
from core.trading.conditional import CONDITIONAL_KEY, capable, rounded
from core.trading.events import OutcomeResolved, PartialEntry, UnplannedFill
from core.trading.orders import action_failed, new_client_ref
from core.trading.parts import TradingParts
from core.trading.positions import EntryPlan
from core.trading.prefetch import Prefetch
from core.trading.types import ActionResult, OrderPreview
from core.trading.validate import validated_entry

LIMIT_ENTRY = "entry_limit"
ENTRY_PURPOSES = ("entry", "manual", LIMIT_ENTRY)


def with_conditional_stop(parts: TradingParts, plan: EntryPlan, ref_price: Decimal | None) -> EntryPlan:
    """The plan with the stop price the entry asks the exchange to attach (Kraken's conditional
    close), when the exchange can for this pair and a reference price is known; else unchanged
    (Zyn places the stop itself after the fill, as before). See `core.trading.conditional`."""
    if ref_price is None or ref_price <= 0 or capable(parts.exchange, plan.pair) is None:
        return plan
    try:
        stop, _ = plan.levels(ref_price, parts.cfg)
    except ValueError:
        return plan
    stop = rounded(stop, parts.positions.pair_decimals(plan.pair))
    if stop <= 0 or stop >= ref_price:
        return plan
    return replace(plan, meta={**plan.meta, CONDITIONAL_KEY: str(stop)})


def _close_stop(plan: EntryPlan) -> Decimal | None:
    raw = plan.meta.get(CONDITIONAL_KEY)
    return Decimal(str(raw)) if raw else None


def enter_market(
    parts: TradingParts, pair: str, amount: Decimal, plan: EntryPlan, purpose: str,
    ref_price: Decimal | None = None,
) -> ActionResult:
    """Market buy then bracket; the plan is kept when the outcome is unknown so reconcile can finish it.
    With `ref_price` (the price the decision saw) the buy carries the exchange-attached stop."""
    ref = new_client_ref()
    plan = with_conditional_stop(parts, plan, ref_price)
    parts.state.save_plan(ref, plan.to_json())
    try:
        req = OrderRequest(pair, "buy", "market", amount, client_ref=ref, close_stop=_close_stop(plan))
        order = parts.desk.send(req, purpose)
    except ExchangeError as exc:
        parts.state.drop_plan(ref)
        return action_failed(parts.journal, "buy", pair, exc)
    except OrderOutcomeUnknown as exc:
        return outcome_unknown(parts, pair, amount, ref, exc)  # the plan stays for the sync
    except ExchangeUnavailable as exc:  # proved not placed by the adapter
        parts.state.drop_plan(ref)
        return action_failed(parts.journal, "buy", pair, exc)
    if order.validated_only:
        parts.state.drop_plan(ref)
        return validated_entry(parts, pair, amount, plan)
    try:
        order = _finish_market(parts, order)
    except OrderNotFound as exc:  # accepted, but not visible yet: the fill may come any moment
        return outcome_unknown(parts, pair, amount, ref, exc)
    except (ExchangeError, ExchangeUnavailable) as exc:
        parts.journal.safety("naked_position", f"{pair}: buy {order.id} still open, {order.filled} filled: {exc}")
        return ActionResult(
            False, f"buy {order.id} still open; sync cancels the rest and brackets what filled",
            {"order_id": order.id, "pair": pair}, "still_open",
        )
    if order.filled <= 0:
        parts.state.drop_plan(ref)
        why = f"buy {order.id} was not filled ({order.status})"
        return ActionResult(False, why, {"order_id": order.id}, "not_filled")
    return bracket_fill(parts, plan, order, ref)


def outcome_unknown(parts: TradingParts, pair: str, amount: Decimal, ref: str, exc: Exception) -> ActionResult:
    """Sent, maybe executed, not seen yet: never "failed" (the owner might buy again). The plan
    stays; the sync that sees the fill puts the stop on; "not there" only counts after the grace."""
    parts.journal.safety("unknown_outcome", f"{pair}: buy {amount} ({ref}) sent, outcome unknown: {exc}")
    parts.journal.order_update(ref, error=f"unknown outcome: {exc}"[:500])  # the sync says when it settles
    return ActionResult(
        False,
        f"Buy {amount_text(amount)} {pair} sent but its outcome is not known yet (the exchange has not shown it). "
        "Do not buy again: I keep checking, and if it filled I put its stop on and tell you.",
        {"client_ref": ref, "outcome": "unknown", "amount": amount, "pair": pair},
        "outcome_unknown",
    )


def bracket_fill(parts: TradingParts, plan: EntryPlan, order: Order, ref: str) -> ActionResult:
    """A buy that filled (market, or a limit filled on arrival) becomes a trade with its stop.

    The coins are bought whatever happens next, so a stop that cannot be placed is not an
    error for the caller: the owner hears it, a naked_position event is open, sync retries.
    """
    pair = plan.pair
    try:
        bracket, hit = parts.positions.open_from_fill(plan, order, ref)
    except (ExchangeError, ExchangeUnavailable) as exc:
        parts.positions.naked(pair, f"bought {order.filled} but the stop failed: {exc}")
        return ActionResult(
            True, f"Bought {order.filled} {pair} but the stop failed ({exc}); retrying on sync",
            {"amount": order.filled, "price": order.average_price or order.price, "order_id": order.id,
             "detail": str(exc)},
            "bought_stop_failed",
        )
    # a diagnostic for the journal and logs; the owner's "Bought …" is bot/text/trading.py's
    text = (f"trade {bracket.trade_id} opened: {pair} amount={bracket.amount} price={bracket.entry_price} "
            f"stop={bracket.stop} target={bracket.target}")
    data: dict[str, object] = {
        "trade_id": bracket.trade_id,
        "amount": bracket.amount,
        "price": bracket.entry_price,
        "stop": bracket.stop,
        "target": bracket.target,
        "fee": order.fee,
        "order_id": order.id,
        "stopped_at_once": hit is not None,
    }
    return ActionResult(True, text + (" (stopped out at once)" if hit else ""), data, "bought")


def limit_entry(parts: TradingParts, preview: OrderPreview, plan: EntryPlan) -> ActionResult:
    """Limit buy: bracketed now if it filled at once, otherwise by `sync` when it fills."""
    ref = new_client_ref()
    plan = with_conditional_stop(parts, plan, preview.price_est)
    parts.state.save_plan(ref, plan.to_json())
    req = OrderRequest(preview.pair, "buy", "limit", preview.amount, preview.price_est, client_ref=ref,
                       close_stop=_close_stop(plan))
    try:
        order = parts.desk.send(req, LIMIT_ENTRY)
    except (ExchangeError, ExchangeUnavailable) as exc:
        return action_failed(parts.journal, "limit buy", preview.pair, exc)
    if order.status == "closed":
        return bracket_fill(parts, plan, order, ref)
    return ActionResult(
        True,
        f"Limit buy {order.amount} {preview.pair} at {order.price} placed "
        f"(order {order.id}); the bracket is set when it fills",
        {"order_id": order.id, "amount": order.amount, "price": order.price},
        "limit_placed",
    )


def last_sent_ms(row: OrderRow) -> int:
    """When the order was last sent or answered: the row is written before the send and updated
    right after its last attempt (an unknown outcome included)."""
    return max(row.created_ms, row.updated_ms)


def unsettled_entries(parts: TradingParts) -> list[OrderRow]:
    """Entries sent whose fill is not bracketed yet: a limit buy, a market buy whose fill was not
    reported in time, or one whose answer was lost (row `new`)."""
    return [row for row in parts.journal.orders_with_status(["new", "open"])
            if row.purpose in ENTRY_PURPOSES and row.side == "buy" and row.trade_id is None]


def read_entries(parts: TradingParts, pre: Prefetch) -> None:
    """Read every unsettled entry's order into `pre`, WITHOUT the trading lock (issue 18)."""
    for row in unsettled_entries(parts):
        pre.read(("entry", row.client_ref), partial(_look_up, parts, row))


def settle_entries(parts: TradingParts, pre: Prefetch | None = None) -> bool:
    """Bracket every entry that filled after its send returned (`unsettled_entries`), from the
    reading `pre` took before the lock while it is current, else read now.
    Returns False when some entry could not be settled now (journaled; tried again)."""
    ok = True
    for row in unsettled_entries(parts):
        try:
            _settle_entry(parts, row, pre if pre is not None else Prefetch())
        except (ExchangeError, ExchangeUnavailable) as exc:
            ok = False
            kind = "transient" if isinstance(exc, ExchangeUnavailable) else "exchange"
            parts.journal.error("trading.sync", kind, f"entry {row.client_ref} not settled: {exc}")
    return ok


def _look_up(parts: TradingParts, row: OrderRow) -> Order | None:
    """The entry's order as the exchange shows it, by id, else by client ref; None = not shown."""
    if row.exchange_id:
        try:
            return parts.exchange.fetch_order(row.exchange_id)
        except OrderNotFound:
            return parts.exchange.find_order_by_client_ref(row.client_ref)
    return parts.exchange.find_order_by_client_ref(row.client_ref)


def _settle_entry(parts: TradingParts, row: OrderRow, pre: Prefetch) -> None:
    """Read one unsettled entry back; a row without an exchange id is looked up by client ref.
    An order not shown is absent only after the grace period (Kraken's REST lags new orders),
    counted from its last send: the adapter may resend after proving a refused send absent, and
    that lookup can outlast the grace (found by the bad-day property test)."""
    young = parts.positions.clock.now_ms() - last_sent_ms(row) < parts.grace_ms
    found = pre.take(("entry", row.client_ref), lambda: _look_up(parts, row))
    if found is None:
        if young:
            return  # not visible yet: the next sync looks again
        parts.journal.order_update(row.client_ref, status="failed", error="never reached the exchange")
        parts.state.drop_plan(row.client_ref)
        parts.journal.safety("unknown_outcome", f"{row.pair}: buy {row.client_ref} never reached the exchange")
        return
    settle_found(parts, row, found)


def settle_found(parts: TradingParts, row: OrderRow, order: Order) -> None:
    """One unsettled entry in the state the exchange reports (read by REST, or pushed by its
    socket): finish what is still open, then bracket what filled, exactly once (the row links
    the trade in the same commit, so a second report of the same fill finds it settled)."""
    if not row.exchange_id or row.status == "new":
        parts.journal.order_sent(row.client_ref, order)
    order = finish_partial_limit(parts, _finish_market(parts, order))
    if order.status == "open":
        return
    parts.journal.order_update(row.client_ref, status=order.status)
    _bracket_filled(parts, row.client_ref, order)


def _finish_market(parts: TradingParts, order: Order) -> Order:
    """A market buy still open after the read-backs is canceled (confirmed) so that exactly
    what filled is bracketed and nothing can fill later without a stop."""
    if order.type == "market" and order.side == "buy" and order.status == "open":
        return parts.desk.cancel_confirmed(order.id)
    return order


def finish_partial_limit(parts: TradingParts, order: Order) -> Order:
    """A limit buy still open with a part filled: cancel the rest (confirmed), so the caller
    brackets exactly what filled, and tell the owner.

    Why cancel instead of a stop that grows with the fills: the coins bought so far would
    otherwise wait for the whole order, without a stop. A stop resized on every new fill needs
    a cancel-and-replace each time, with windows where the old stop is gone and the new one is
    not there (naked) or a fill lands between the read and the cancel (stop too small), and a
    trade whose size changes under it. Once the cancel is confirmed by reading the order back,
    nothing more can fill, so `filled` is final: it becomes ONE bracket with ONE stop, by the
    same path as every other finished entry (the plan is dropped there, so never twice). If
    the cancel cannot be confirmed, this raises and the next sync (or reconcile) tries again.
    """
    if order.side != "buy" or order.type != "limit" or order.status != "open" or order.filled <= 0:
        return order
    final = parts.desk.cancel_confirmed(order.id)
    if final.status == "canceled":
        text = (
            f"{order.pair}: limit buy {order.id} filled {final.filled} of {order.amount}; "
            f"the rest was canceled so what filled gets its stop now. Place a new order for more."
        )
        parts.journal.safety("partial_entry", text)
        parts.positions.bus.publish(PartialEntry(order.pair, order.id, final.filled, order.amount))
    return final


def _bracket_filled(parts: TradingParts, client_ref: str, order: Order) -> None:
    """A finished buy (closed, or canceled after a partial fill) gets its bracket: from its saved
    plan, else from the strategy's ATR rule (coins held are always under a stop)."""
    saved = parts.state.load_plan(client_ref)
    if order.filled <= 0:
        parts.state.drop_plan(client_ref)
        return
    plan = EntryPlan.from_json(saved) if saved is not None else atr_plan(parts, order.pair)
    if plan is None:
        text = (f"{order.pair}: buy {order.id} filled {order.filled} with no saved plan and no ATR known: "
                f"it has NO stop. `flatten {order.pair}` closes it.")
        parts.journal.safety("naked_position", text)
        parts.positions.bus.publish(UnplannedFill(order.pair, order.id, order.filled))
        return
    bracket, _ = parts.positions.open_from_fill(plan, order, client_ref)  # drops the plan
    row = parts.journal.order_by_exchange_id(order.id)
    if row is not None and row.error.startswith("unknown outcome"):
        price = order.average_price or order.price or Decimal(0)
        resolved = OutcomeResolved(order.pair, bracket.trade_id, order.filled, price, bracket.stop, saved is not None)
        parts.journal.safety("unknown_outcome", f"{order.pair} buy {order.id} filled {order.filled} at {price}: "
                             f"trade {bracket.trade_id}, stop {bracket.stop}, planned={saved is not None}")
        parts.positions.bus.publish(resolved)


def atr_plan(parts: TradingParts, pair: str) -> EntryPlan | None:
    """A plan for a fill nobody planned (lost plan, bought behind Zyn's back): the strategy's ATR
    stop and target from the fill price, kept apart as a manual position."""
    try:
        atr = parts.atr_of(pair)
    except (ExchangeError, ExchangeUnavailable):
        atr = None
    if atr is None or atr <= 0:
        return None
    return EntryPlan(pair, atr=atr, meta={"manual": True, "placed_by": "adopted (no saved plan)"})


def drop_limit_plan(parts: TradingParts, order: Order) -> None:
    """A canceled limit entry: bracket what it bought before the cancel, else forget its plan."""
    row = parts.journal.order_by_exchange_id(order.id)
    if row is not None and row.purpose == LIMIT_ENTRY and row.trade_id is None:
        _bracket_filled(parts, row.client_ref, order)
