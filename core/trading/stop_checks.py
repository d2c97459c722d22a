"""Watching the stops on the exchange: a filled stop closes its trade, a vanished one comes back.

Why apart from `positions`: this is the read side that `sync` runs on every tick; `positions`
holds the order steps it ends in (`book_sell`, `ensure_stop`).
Why two steps (issue 19): `read_stops` asks the exchange about EVERY stop in one call
(`Exchange.fetch_orders`: one QueryOrders) and runs OUTSIDE the trading lock, so chat never
waits behind a sync's reads and a sync costs the same whatever the number of positions;
`check_stops` then decides under the lock from that reading, skipping any position whose stop
changed meanwhile (the reading is about the stop ids it asked for, nothing else). What
re-placing a stop looks at (the balances) is read with it when the reading shows a stop gone
(`stops_gone`), and used under the lock only while current (`core.trading.prefetch`).
A stop the exchange does not know (accepted with a txid it never placed) is given a grace
period (Kraken's REST lags new orders), then re-placed like a cancelled one, with one alert.
A stray (issue 21.3 / 19's invariant): an open stop the exchange attached to a position's entry
(it carries the entry's `userref`) that is not the position's journalled stop -- REST showed it
only after Zyn had fallen back to its own. It is cancelled, confirmed, with one safety alert;
if it sold coins first, Zyn's own stop is taken down too and one stop for the rest put back, so
exactly one stop of the amount held remains. Looked for only in the `STRAY_WINDOW_MS` after an
entry (REST lags by seconds; one OpenOrders per sync in that window, none otherwise).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from core.domain import ExchangeError, ExchangeUnavailable, Order
from core.ports import Exchange
from core.trading.bracket import Bracket
from core.trading.conditional import ConditionalCloseExchange, capable
from core.trading.events import StopMissing, StrayStops
from core.trading.positions import Positions, TradeExit
from core.trading.prefetch import Prefetch

DEFAULT_GRACE_MS = 60_000
STRAY_WINDOW_MS = 600_000  # how long after an entry a late exchange-attached stop is looked for


@dataclass(frozen=True)
class StopReading:
    """What the exchange said about some stops at one moment: `found` lacks the ids it does not know."""

    asked: frozenset[str]
    found: dict[str, Order]
    strays: dict[int, list[Order]] = field(default_factory=dict)  # trade id -> exchange stops not its own


def read_stops(
    exchange: Exchange, brackets: Iterable[Bracket], order_ids: set[str] | None = None, now_ms: int | None = None
) -> StopReading:
    """One read for every stop (or only `order_ids`): call it WITHOUT the trading lock. With
    `now_ms`, positions entered within `STRAY_WINDOW_MS` are also checked for strays."""
    brackets = list(brackets)
    ids = sorted(
        {b.stop_order_id for b in brackets if b.stop_order_id and (order_ids is None or b.stop_order_id in order_ids)}
    )
    strays = _read_strays(exchange, brackets, now_ms) if now_ms is not None else {}
    if not ids:
        return StopReading(frozenset(), {}, strays)
    return StopReading(frozenset(ids), exchange.fetch_orders(ids), strays)


def stops_gone(reading: StopReading, brackets: Iterable[Bracket]) -> list[Bracket]:
    """The positions whose stop the reading shows finished or unknown: `check_stops` re-places those."""
    return [b for b in brackets if b.stop_order_id in reading.asked
            and (b.stop_order_id not in reading.found or reading.found[b.stop_order_id].status != "open")]


def _read_strays(exchange: Exchange, brackets: list[Bracket], now_ms: int) -> dict[int, list[Order]]:
    young = [b for b in brackets if b.stop_order_id and b.entry_ref and now_ms - b.entry_ms < STRAY_WINDOW_MS
             and capable(exchange, b.pair) is not None]
    if not young:
        return {}
    assert isinstance(exchange, ConditionalCloseExchange)  # noqa: S101 - `capable` said so
    by_ref = exchange.conditional_stops_of([b.entry_ref for b in young])
    out = {b.trade_id: [o for o in by_ref.get(b.entry_ref, []) if o.id != b.stop_order_id] for b in young}
    return {trade_id: orders for trade_id, orders in out.items() if orders}


def check_stops(
    positions: Positions,
    reading: StopReading,
    failed: set[str] | None = None,
    grace_ms: int = DEFAULT_GRACE_MS,
    pre: Prefetch | None = None,
) -> list[TradeExit]:
    """Close trades whose stop filled; a stop canceled behind our back, or unknown to the
    exchange after the grace period, is put back. Callers hold the TradingService lock.

    One bracket's exchange trouble does not stop the others: its stop id goes to `failed`
    (so the caller can look again) and the error is journaled.
    """
    exits: list[TradeExit] = []
    for bracket in positions.book.all():
        try:
            exits.extend(_strays(positions, bracket, reading.strays.get(bracket.trade_id, [])))
        except (ExchangeError, ExchangeUnavailable) as exc:
            positions.journal.error("trading.check_stops", "exchange", f"{bracket.pair} trade {bracket.trade_id}: "
                                    f"stray stop not cancelled: {exc}; again on the next sync")
        current = positions.book.get(bracket.trade_id)  # a stray that sold may have changed it
        if current is None or current.stop_order_id not in reading.asked:
            continue  # no stop, not asked about, or replaced since the reading
        try:
            order = reading.found.get(bracket.stop_order_id)
            if order is None:
                exits.extend(_not_found(positions, bracket, grace_ms, pre))
            else:
                exits.extend(_check_stop(positions, bracket, order, pre))
        except (ExchangeError, ExchangeUnavailable) as exc:
            if failed is not None:
                failed.add(bracket.stop_order_id)
            positions.journal.error(
                "trading.check_stops",
                "transient" if isinstance(exc, ExchangeUnavailable) else "exchange",
                f"{bracket.pair} trade {bracket.trade_id}: stop check failed: {exc}",
            )
    return exits


def _strays(positions: Positions, bracket: Bracket, strays: list[Order]) -> list[TradeExit]:
    """Cancel (confirmed) the exchange's stops beside the position's own; one alert per stray."""
    strays = [o for o in strays if o.id != bracket.stop_order_id]
    if not strays or not bracket.stop_order_id:
        return []  # none, or adopted since the reading, or no stop of Zyn's yet (protect settles it)
    fresh = [o for o in strays if o.id not in positions.strays_told]
    if fresh:
        positions.strays_told.update(o.id for o in fresh)
        text = (f"{bracket.pair} trade #{bracket.trade_id}: the exchange's stop {', '.join(o.id for o in fresh)} "
                f"showed beside Zyn's own {bracket.stop_order_id}: cancelling it (one stop stays)")
        positions.journal.safety("stray_stop", text)
        positions.bus.publish(StrayStops(bracket.pair, bracket.trade_id, tuple(o.id for o in fresh),
                                         bracket.stop_order_id))
    sold = [final for final in (positions.desk.cancel_confirmed(o.id) for o in strays) if final.filled > 0]
    if not sold:
        return []
    # the stray sold coins first: Zyn's own stop is now too large; down too, then one for the rest
    own = positions.desk.cancel_confirmed(bracket.stop_order_id)
    rest = bracket
    for order in [*sold, own]:
        after, done = positions.book_sell(rest, order, "stop")
        if after is None:
            return [done] if done is not None else []
        rest = after
    return _replace_stop(positions, rest)


def _check_stop(positions: Positions, bracket: Bracket, order: Order, pre: Prefetch | None) -> list[TradeExit]:
    if order.status == "open" and order.filled <= 0:
        return []
    part_sold = order.status == "open"
    if part_sold:  # sold a part, open for the rest: booked, and one stop for exactly what is held
        order = positions.cancel_part_sold(bracket, order)
    rest, done = positions.book_sell(bracket, order, "stop")
    if rest is None:
        return [done] if done is not None else []
    if not part_sold:  # (a part sold is journalled by book_sell as `partial_fill`)
        positions.journal.safety(
            "stop_missing",
            f"{bracket.pair} trade {bracket.trade_id}: stop {order.id} is {order.status}; re-placing it",
        )
    return _replace_stop(positions, rest, pre)


def _not_found(positions: Positions, bracket: Bracket, grace_ms: int, pre: Prefetch | None) -> list[TradeExit]:
    """The exchange does not know the stop: young -> not visible yet; old -> never placed."""
    row = positions.journal.order_by_exchange_id(bracket.stop_order_id)
    placed_ms = row.created_ms if row is not None else 0
    if positions.clock.now_ms() - placed_ms < grace_ms:
        return []
    text = (
        f"{bracket.pair} trade #{bracket.trade_id}: the exchange does not know its stop "
        f"{bracket.stop_order_id} ({grace_ms // 1000} s after it was accepted): placing it again"
    )
    positions.journal.safety("stop_missing", text)
    positions.bus.publish(StopMissing(bracket.pair, bracket.trade_id, bracket.stop_order_id, grace_ms // 1000))
    return _replace_stop(positions, bracket, pre)


def _replace_stop(positions: Positions, bracket: Bracket, pre: Prefetch | None = None) -> list[TradeExit]:
    bare = replace(bracket, stop_order_id="")
    positions.save(bare)  # until a new stop is confirmed, the saved position says: no stop
    _, hit = positions.protect(bare, pre)
    return [hit] if hit else []
