"""What an entry is bracketed with (EntryPlan) and how a trade row becomes a bracket again.

Kept apart from `positions` so that module holds only the order steps; `positions` re-exports
these names for its callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.domain import Order
from core.risk import RiskConfig
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
    amount, price = dec(row.amount), dec(row.entry_price)
    fee = dec(row.fees)
    return Bracket(
        trade_id=row.id or 0,
        pair=row.pair,
        amount=amount,
        entry_price=price,
        entry_cost=amount * price + fee,
        entry_fee=fee,
        stop=dec(row.stop_price or 0.0),
        target=dec(row.target_price) if row.target_price is not None else None,
        stop_order_id=row.stop_order_id,
        initial_risk=row.initial_risk,
        entry_ms=row.entry_ms,
    )


def trade_row(  # noqa: PLR0913
    plan: EntryPlan, order: Order, entry_ms: int, stop: Decimal, target: Decimal | None, risk: float
) -> TradeRow:
    """The trade with the context it was taken in (the analyzer and learner read these)."""
    meta = plan.meta
    return TradeRow(
        pair=plan.pair,
        entry_ms=entry_ms,
        amount=float(order.filled),
        entry_price=float(order.average_price or order.price or 0),
        stop_price=float(stop),
        target_price=float(target) if target is not None else None,
        initial_risk=risk,
        fees=float(order.fee),
        atr=plan.atr,
        sma=meta.get("sma"),
        atr_pct=meta.get("atr_pct"),
        trend_strength=meta.get("trend_strength"),
        decision_id=meta.get("decision_id"),
        learner_version=meta.get("learner_version"),
        size_factor=meta.get("size_factor"),
        context_json=str(meta.get("context_json") or "{}"),
    )
