"""The open positions as the status shows them: one row per position (several per pair: a manual
beside the autopilot's), coins no position holds as one more row, and the stop on the exchange.

Why apart from `core.status.service`: that module gathers and caches the snapshot; this one only turns
exact position rows and the exchange's open orders into the rows people read.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.domain import Order
from core.telemetry.models import PositionRow, TradeRow
from core.trading.plan import origin_of


@dataclass(frozen=True)
class Held:
    """One open position of this mode as the status shows it (exact, from its saved row)."""

    trade_id: int
    pair: str
    origin: str
    amount: Decimal
    entry_price: Decimal
    entry_cost: Decimal
    stop_order_id: str
    target: Decimal | None
    exact: bool = True  # from the position aggregate (its saved row), not rebuilt from the trade row

    @classmethod
    def of(cls, trade: TradeRow, saved: PositionRow | None) -> Held:
        if saved is not None:
            return cls(saved.trade_id, saved.pair, saved.origin, saved.amount, saved.entry_price, saved.entry_cost,
                       saved.stop_order_id, saved.target)
        amount, price = Decimal(trade.amount), Decimal(trade.entry_price)
        target = Decimal(trade.target_price) if trade.target_price is not None else None
        cost = amount * price + Decimal(trade.fees)
        return cls(trade.id or 0, trade.pair, origin_of(trade.context_json), amount, price, cost,
                   trade.stop_order_id, target, exact=False)


class Targets(dict[str, float]):
    """pair -> watched target, plus the pairs of this mode's open trades (`held`) and their
    positions (`open`)."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[str] = []
        self.open: dict[str, list[Held]] = {}


def position_rows(
    held: list[Held], balance: Decimal, orders: list[Order], mark: Decimal | None
) -> list[dict[str, Any]]:
    """Several positions in one pair: each its own row; coins beyond them one more row."""
    stops = {o.id: o for o in orders if o.side == "sell" and o.type == "stop-loss"}
    rows: list[dict[str, Any]] = []
    for h in held:
        stop = stops.get(h.stop_order_id) if h.stop_order_id else None
        unrealized = float(h.amount * mark - h.entry_cost) if mark is not None else None
        rows.append({
            "pair": h.pair, "amount": float(h.amount),
            "entry_price": float(h.entry_price), "mark_price": float(mark) if mark is not None else None,
            "unrealized_pnl": unrealized,
            "stop_price": float(stop.price) if stop is not None and stop.price is not None else None,
            "take_profit_price": float(h.target) if h.target is not None else None,
            "trade_id": h.trade_id, "origin": h.origin,
        })
    rest = balance - sum((h.amount for h in held), Decimal(0))
    if rest > 0:  # coins no position holds (bought elsewhere): shown, never claimed by a position
        rows.append({
            "pair": held[0].pair, "amount": float(rest), "entry_price": None,
            "mark_price": float(mark) if mark is not None else None, "unrealized_pnl": None,
            "stop_price": None, "take_profit_price": None, "trade_id": None, "origin": None,
        })
    return rows


def stop_price_of(orders: list[Order], pair: str) -> float | None:
    """The protective stop on the exchange: the newest open stop-loss sell of the pair."""
    stops = [o for o in orders if o.pair == pair and o.side == "sell" and o.type == "stop-loss"]
    stops.sort(key=lambda o: o.created_ms)
    return float(stops[-1].price) if stops and stops[-1].price is not None else None
