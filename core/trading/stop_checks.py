"""Watching the stops on the exchange: a filled stop closes its trade, a vanished one comes back.

Why apart from `positions`: this is the read side that `sync` runs on every tick (for every
stop, or only those the paper exchange reported filled); `positions` holds the order steps it
ends in (`book_sell`, `ensure_stop`). Callers hold the TradingService lock; nothing here locks.
"""

from __future__ import annotations

from dataclasses import replace

from core.domain import ExchangeError, ExchangeUnavailable
from core.trading.bracket import Bracket
from core.trading.positions import Positions, TradeExit


def check_stops(
    positions: Positions, order_ids: set[str] | None = None, failed: set[str] | None = None
) -> list[TradeExit]:
    """Close trades whose stop filled; a stop canceled behind our back is put back.

    One bracket's exchange trouble does not stop the others: its stop id goes to `failed`
    (so the caller can look again) and the error is journaled.
    """
    exits: list[TradeExit] = []
    for bracket in positions.book.all():
        if not bracket.stop_order_id or (order_ids is not None and bracket.stop_order_id not in order_ids):
            continue
        try:
            exits.extend(_check_stop(positions, bracket))
        except (ExchangeError, ExchangeUnavailable) as exc:
            if failed is not None:
                failed.add(bracket.stop_order_id)
            positions.journal.error(
                "trading.check_stops",
                "transient" if isinstance(exc, ExchangeUnavailable) else "exchange",
                f"{bracket.pair} trade {bracket.trade_id}: stop check failed: {exc}",
            )
    return exits


def _check_stop(positions: Positions, bracket: Bracket) -> list[TradeExit]:
    order = positions.exchange.fetch_order(bracket.stop_order_id)
    if order.status == "open":
        return []
    rest, done = positions.book_sell(bracket, order, "stop")
    if rest is None:
        return [done] if done is not None else []
    positions.journal.safety(
        "stop_missing",
        f"{bracket.pair} trade {bracket.trade_id}: stop {order.id} is {order.status}; re-placing it",
    )
    bare = replace(rest, stop_order_id="")
    positions.save(bare)  # until a new stop is confirmed, the saved position says: no stop
    _, hit = positions.ensure_stop(bare)
    return [hit] if hit else []
