"""What an entry is bracketed with (EntryPlan) and how a trade row becomes a bracket again.

Kept apart from `positions` so that module holds only the order steps; `positions` re-exports
these names for its callers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.domain import Order
from core.strategy.risk import RiskConfig
from core.telemetry.models import TradeRow
from core.trading.bracket import Bracket


def dec(value: float) -> Decimal:
    """Float -> Decimal through the shortest repr, as the backtest's ledger does."""
    return Decimal(repr(value))


@dataclass(frozen=True)
class EntryPlan:
    """How to bracket an entry once it fills: ATR multiples (autopilot) or fixed levels (manual)."""

    pair: str
    atr: float | None = None
    stop: Decimal | None = None
    target: Decimal | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    # From the strategy's decision: the bracket as distances from the actual fill.
    stop_distance: Decimal | None = None
    target_distance: Decimal | None = None

    @property
    def origin(self) -> str:
        """`manual` for an order placed by hand (kept apart from the autopilot's position)."""
        return "manual" if self.meta.get("manual") else "autopilot"

    @property
    def placed_by(self) -> str:
        return str(self.meta.get("placed_by") or "")

    def levels(self, fill_price: Decimal, cfg: RiskConfig) -> tuple[Decimal, Decimal | None]:
        """(stop, target) in Decimal from the fill: what goes to the exchange never passes a float."""
        if self.stop is None and self.stop_distance is not None:
            target = self.target
            if target is None and self.target_distance is not None:
                target = fill_price + self.target_distance
            return fill_price - self.stop_distance, target
        if self.atr is not None and self.stop is None:  # a plan saved before the Strategy port
            atr = dec(self.atr)
            target = fill_price + dec(cfg.target_atr) * atr if self.target is None else self.target
            return fill_price - dec(cfg.stop_atr) * atr, target
        if self.stop is None:
            raise ValueError("entry plan without stop or ATR")
        return self.stop, self.target

    def to_json(self) -> dict[str, Any]:
        return {
            "pair": self.pair,
            "atr": self.atr,
            "meta": self.meta,
            "stop": str(self.stop) if self.stop is not None else None,
            "target": str(self.target) if self.target is not None else None,
            "stop_distance": _text(self.stop_distance),
            "target_distance": _text(self.target_distance),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EntryPlan:
        stop, target = data.get("stop"), data.get("target")
        return cls(
            pair=str(data["pair"]),
            atr=data.get("atr"),
            meta=dict(data.get("meta") or {}),
            stop=Decimal(stop) if stop is not None else None,
            target=Decimal(target) if target is not None else None,
            stop_distance=_number(data.get("stop_distance")),
            target_distance=_number(data.get("target_distance")),
        )


def _text(value: Decimal | None) -> str | None:
    return str(value) if value is not None else None


def _number(value: object) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


def bracket_from_row(row: TradeRow) -> Bracket:
    """A trade without a saved position (a crash between the two writes): rebuilt from its row,
    whose money columns are exact Decimals."""
    amount, price, fee = Decimal(row.amount), Decimal(row.entry_price), Decimal(row.fees)
    return Bracket(
        trade_id=row.id or 0,
        pair=row.pair,
        amount=amount,
        entry_price=price,
        entry_cost=amount * price + fee,
        entry_fee=fee,
        stop=Decimal(row.stop_price or 0),
        target=Decimal(row.target_price) if row.target_price is not None else None,
        stop_order_id=row.stop_order_id,
        initial_risk=Decimal(row.initial_risk),
        entry_ms=row.entry_ms,
        origin=origin_of(row.context_json),
    )


def origin_of(context_json: str) -> str:
    """`manual` for a trade bought by hand (its context says so), else `autopilot`."""
    return "manual" if '"origin": "manual"' in (context_json or "") else "autopilot"


def trade_row(  # noqa: PLR0913
    plan: EntryPlan, order: Order, entry_ms: int, stop: Decimal, target: Decimal | None, risk: Decimal
) -> TradeRow:
    """The trade with the context it was taken in (the analyzer and learner read these)."""
    meta = plan.meta
    context = str(meta.get("context_json") or "{}")
    if plan.origin == "manual":
        context = json.dumps({**json.loads(context), "origin": "manual", "placed_by": plan.placed_by})
    return TradeRow(
        pair=plan.pair,
        entry_ms=entry_ms,
        amount=order.filled,
        entry_price=order.average_price or order.price or Decimal(0),
        stop_price=stop,
        target_price=target,
        initial_risk=risk,
        fees=order.fee,
        atr=plan.atr,
        sma=meta.get("sma"),
        atr_pct=meta.get("atr_pct"),
        trend_strength=meta.get("trend_strength"),
        decision_id=meta.get("decision_id"),
        learner_version=meta.get("learner_version"),
        size_factor=meta.get("size_factor"),
        context_json=context,
    )
