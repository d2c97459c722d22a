"""Watching the stops on the exchange: a filled stop closes its trade, a vanished one comes back.

Why apart from `positions`: this is the read side that `sync` runs on every tick; `positions`
holds the order steps it ends in (`book_sell`, `ensure_stop`).
Why two steps (issue 19): `read_stops` asks the exchange about EVERY stop in one call
(`Exchange.fetch_orders`: one QueryOrders) and runs OUTSIDE the trading lock, so chat never
waits behind a sync's reads and a sync costs the same whatever the number of positions;
`check_stops` then decides under the lock from that reading, skipping any position whose stop
changed meanwhile (the reading is about the stop ids it asked for, nothing else).
A stop the exchange does not know (accepted with a txid it never placed) is given a grace
period (Kraken's REST lags new orders), then re-placed like a cancelled one, with one alert.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from core.domain import Event, ExchangeError, ExchangeUnavailable, Order
from core.ports import Exchange
from core.trading.bracket import Bracket
from core.trading.positions import Positions, TradeExit

DEFAULT_GRACE_MS = 60_000


@dataclass(frozen=True)
class StopReading:
    """What the exchange said about some stops at one moment: `found` lacks the ids it does not know."""

    asked: frozenset[str]
    found: dict[str, Order]


def read_stops(exchange: Exchange, brackets: Iterable[Bracket], order_ids: set[str] | None = None) -> StopReading:
    """One read for every stop (or only `order_ids`): call it WITHOUT the trading lock."""
    ids = sorted(
        {b.stop_order_id for b in brackets if b.stop_order_id and (order_ids is None or b.stop_order_id in order_ids)}
    )
    if not ids:
        return StopReading(frozenset(), {})
    return StopReading(frozenset(ids), exchange.fetch_orders(ids))


def check_stops(
    positions: Positions,
    reading: StopReading,
    failed: set[str] | None = None,
    grace_ms: int = DEFAULT_GRACE_MS,
) -> list[TradeExit]:
    """Close trades whose stop filled; a stop canceled behind our back, or unknown to the
    exchange after the grace period, is put back. Callers hold the TradingService lock.

    One bracket's exchange trouble does not stop the others: its stop id goes to `failed`
    (so the caller can look again) and the error is journaled.
    """
    exits: list[TradeExit] = []
    for bracket in positions.book.all():
        if bracket.stop_order_id not in reading.asked:
            continue  # no stop, not asked about, or replaced since the reading
        try:
            order = reading.found.get(bracket.stop_order_id)
            if order is None:
                exits.extend(_not_found(positions, bracket, grace_ms))
            else:
                exits.extend(_check_stop(positions, bracket, order))
        except (ExchangeError, ExchangeUnavailable) as exc:
            if failed is not None:
                failed.add(bracket.stop_order_id)
            positions.journal.error(
                "trading.check_stops",
                "transient" if isinstance(exc, ExchangeUnavailable) else "exchange",
                f"{bracket.pair} trade {bracket.trade_id}: stop check failed: {exc}",
            )
    return exits


def _check_stop(positions: Positions, bracket: Bracket, order: Order) -> list[TradeExit]:
    if order.status == "open":
        return []
    rest, done = positions.book_sell(bracket, order, "stop")
    if rest is None:
        return [done] if done is not None else []
    positions.journal.safety(
        "stop_missing",
        f"{bracket.pair} trade {bracket.trade_id}: stop {order.id} is {order.status}; re-placing it",
    )
    return _replace_stop(positions, rest)


def _not_found(positions: Positions, bracket: Bracket, grace_ms: int) -> list[TradeExit]:
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
    if positions.notifier is not None:
        try:
            positions.notifier.notify(Event("stop_missing", text, {"pair": bracket.pair, "trade_id": bracket.trade_id}))
        except Exception:  # noqa: BLE001,S110 - a failing channel must not stop the re-placement
            pass
    return _replace_stop(positions, bracket)


def _replace_stop(positions: Positions, bracket: Bracket) -> list[TradeExit]:
    bare = replace(bracket, stop_order_id="")
    positions.save(bare)  # until a new stop is confirmed, the saved position says: no stop
    _, hit = positions.protect(bare)
    return [hit] if hit else []
