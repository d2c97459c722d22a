"""The exact slice of the core services the conversation layer calls — and nothing more.

Why Protocols: `core/trading`, `core/status` and the learning modules are built in parallel and
the dispatcher must be testable without them. Each Protocol lists only the members `bot/` uses,
with read-only properties and covariant return types (`Sequence`, `Mapping`) so the real
services satisfy them structurally without importing `bot/`. Tests use the in-memory fakes in
`tests/fakes/services.py`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

Period = Literal["today", "week", "all"]
Number = Decimal | float | int


@dataclass(frozen=True)
class OrderSpec:
    """A chat order as parsed; same field names as `core.trading.types.ManualOrder`."""

    side: Literal["buy", "sell"]
    amount: Decimal
    pair: str
    price: Decimal | None = None
    stop: Decimal | None = None
    target: Decimal | None = None
    quote_amount: Decimal | None = None  # "buy $100 of BTC": amount is computed from the price


def build_manual_order(spec: OrderSpec) -> Any:
    """Turn a spec into the trading service's own `ManualOrder` when that module exists.

    Why dynamic: core/trading may not be importable yet (parallel build) and bot/ must not fail to
    import because of it; until then the spec itself is passed (the fakes accept it).
    """
    try:
        module = importlib.import_module("core.trading.types")
    except ImportError:
        return spec
    cls = getattr(module, "ManualOrder", None)
    fields = asdict(spec)
    fields.pop("quote_amount", None)
    return spec if cls is None else cls(**fields)


class OrderPreviewLike(Protocol):
    """What `TradingService.preview_order` returns (`core.trading.types.OrderPreview`)."""

    @property
    def text(self) -> str: ...
    @property
    def amount(self) -> Number: ...
    @property
    def pair(self) -> str: ...
    @property
    def side(self) -> str: ...
    @property
    def price_est(self) -> Number | None: ...
    @property
    def stop(self) -> Number | None: ...
    @property
    def target(self) -> Number | None: ...
    @property
    def est_cost(self) -> Number | None: ...


class ActionResultLike(Protocol):
    """`core.trading.types.ActionResult`."""

    @property
    def ok(self) -> bool: ...
    @property
    def text(self) -> str: ...


class TradingPort(Protocol):
    """Money actions (all serialized by the real TradingService's lock). `req` is a ManualOrder."""

    def preview_order(self, req: Any) -> OrderPreviewLike: ...
    def place_manual(self, req: Any) -> ActionResultLike: ...
    def cancel(self, order_id: str | None) -> ActionResultLike: ...
    def flatten(self, reason: str) -> ActionResultLike: ...
    def pause(self, reason: str) -> object: ...
    def resume(self) -> ActionResultLike: ...


class StatusPort(Protocol):
    """Read side. `snapshot()` is the contract's status JSON; trades/positions/orders are dicts.

    Keys read by bot/: positions {pair, amount, entry_price, mark_price, unrealized_pnl,
    stop_price, take_profit_price}; orders {id, pair, side, type, price, amount}; trades (TradeRow
    fields) {id, pair, status, amount, entry_price, exit_price, pnl, exit_reason, entry_ms, exit_ms}.
    Missing keys are shown as "-".
    """

    def snapshot(self) -> Mapping[str, Any]: ...
    def pnl(self, period: Period) -> float: ...
    def recent_trades(self, n: int) -> Sequence[Mapping[str, Any]]: ...
    def positions(self) -> Sequence[Mapping[str, Any]]: ...
    def open_orders(self) -> Sequence[Mapping[str, Any]]: ...
    def equity_curve(self) -> Sequence[tuple[int, float]]: ...


class LearnerPort(Protocol):
    """`learn` chat command: re-run the analyzer + learner (same call as `zyn learn`).

    Returns what changed as a JSON-able mapping; its "text" entry, if any, is the summary line."""

    def relearn(self) -> Mapping[str, Any]: ...


class BacktestPort(Protocol):
    """`backtest PAIR`: the contract's `zyn backtest --json` fields for that pair's shipped data."""

    def backtest(self, pair: str) -> Mapping[str, Any]: ...


class MarketPort(Protocol):
    """Prices and lot rules for chat: `price BTC` and orders given in quote currency."""

    def price(self, pair: str) -> Decimal: ...
    def price_decimals(self, pair: str) -> int: ...
    def lot_decimals(self, pair: str) -> int: ...


@dataclass
class Services:
    """What the composition root hands the dispatcher. Learning parts are optional."""

    trading: TradingPort
    status: StatusPort
    learner: LearnerPort | None = None
    backtester: BacktestPort | None = None
    market: MarketPort | None = None
    pairs: Sequence[str] = ()
    modules: Any = None  # bot.wiring_modules.Modules: feature flags, profit target, universe (issue 9)
