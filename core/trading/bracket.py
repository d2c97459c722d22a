"""The bracket of one open position: a stop-loss held ON the exchange, a target watched BY the bot.

Why split: Kraken spot cannot hold a stop-loss and a take-profit on the same amount (an open
sell order reserves the base balance, and ccxt silently drops one of the two), so the stop is
the exchange-side protection that survives our crash, and the take-profit is a level the
`TakeProfitWatcher` watches: at the target it cancels the stop, confirms, then sells at market.

Money values are exact Decimals (what the exchange filled) so a trade's P&L equals the
backtest's Decimal ledger; the book is in memory (the watcher asks for levels on every price
pause) and persisted per trade as a `PositionRow` through `core.trading.unit_of_work`.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, replace
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Bracket:
    trade_id: int
    pair: str
    amount: Decimal
    entry_price: Decimal
    entry_cost: Decimal  # amount x price + entry fee (quote)
    entry_fee: Decimal
    stop: Decimal
    target: Decimal | None
    stop_order_id: str = ""
    initial_risk: Decimal = Decimal(0)
    entry_ms: int = 0
    # Parts already sold (a stop that filled partly): `amount` and `entry_cost` are what is
    # still held; these keep the sold part's totals so the final close books the whole trade.
    sold: Decimal = Decimal(0)
    proceeds: Decimal = Decimal(0)  # sold x price (quote)
    realized: Decimal = Decimal(0)  # net P&L of the sold part (its fees and share of the entry cost)
    exit_fees: Decimal = Decimal(0)
    entry_ref: str = ""  # client reference of the entry order (the position's own record of it)
    # Whose position: the autopilot's, or one bought by hand ("manual", placed_by "jimmy on
    # telegram"). A pair may hold one of each at once, each with its own stop and target.
    origin: str = "autopilot"
    placed_by: str = ""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, Decimal):
                out[key] = str(value)
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Bracket:
        target = data.get("target")
        return cls(
            trade_id=int(data["trade_id"]),
            pair=str(data["pair"]),
            amount=Decimal(data["amount"]),
            entry_price=Decimal(data["entry_price"]),
            entry_cost=Decimal(data["entry_cost"]),
            entry_fee=Decimal(data["entry_fee"]),
            stop=Decimal(data["stop"]),
            target=Decimal(target) if target not in (None, "None") else None,
            stop_order_id=str(data.get("stop_order_id") or ""),
            initial_risk=Decimal(str(data.get("initial_risk") or 0)),
            entry_ms=int(data.get("entry_ms") or 0),
            sold=Decimal(data.get("sold") or 0),
            proceeds=Decimal(data.get("proceeds") or 0),
            realized=Decimal(data.get("realized") or 0),
            exit_fees=Decimal(data.get("exit_fees") or 0),
            entry_ref=str(data.get("entry_ref") or ""),
            origin=str(data.get("origin") or "autopilot"),
            placed_by=str(data.get("placed_by") or ""),
        )

    def with_stop_order(self, order_id: str) -> Bracket:
        return replace(self, stop_order_id=order_id)


def realized_pnl(bracket: Bracket, amount: Decimal, price: Decimal, fee: Decimal) -> Decimal:
    """Net P&L of selling the whole bracket: proceeds - exit fee - entry cost (backtest's formula)."""
    return amount * price - fee - bracket.entry_cost


class BracketBook:
    """Open brackets by trade id; its own small lock because the watcher reads it mid-walk."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[int, Bracket] = {}

    def put(self, bracket: Bracket) -> None:
        with self._lock:
            self._items[bracket.trade_id] = bracket

    def pop(self, trade_id: int) -> Bracket | None:
        with self._lock:
            return self._items.pop(trade_id, None)

    def get(self, trade_id: int) -> Bracket | None:
        with self._lock:
            return self._items.get(trade_id)

    def all(self) -> list[Bracket]:
        with self._lock:
            return sorted(self._items.values(), key=lambda b: b.trade_id)

    def for_pair(self, pair: str) -> list[Bracket]:
        return [b for b in self.all() if b.pair == pair]

    def by_stop(self, order_id: str) -> Bracket | None:
        return next((b for b in self.all() if b.stop_order_id == order_id), None)

    def of_origin(self, pair: str, origin: str) -> list[Bracket]:
        return [b for b in self.for_pair(pair) if b.origin == origin]

    def targets(self, pair: str) -> list[Decimal]:
        return [b.target for b in self.for_pair(pair) if b.target is not None]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
