"""The exact slice of the core services the conversation layer calls — and nothing more.

Why Protocols: `core/trading`, `core/status` and the learning modules are built in parallel and
the dispatcher must be testable without them. Each Protocol lists only the members `bot/` uses,
with read-only properties and covariant return types (`Sequence`, `Mapping`) so the real
services satisfy them structurally without importing `bot/`. Tests use the in-memory fakes in
`tests/fakes/services.py`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal, Protocol

from core.strategy.features import FeatureSwitch
from core.strategy.trend_view import TrendView
from core.trading.commands import Command
from core.trading.results import TradeResult
from core.trading.types import ManualOrder

Period = Literal["today", "week", "all"]
Number = Decimal | float | int


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
    @property
    def closes_positions(self) -> int: ...  # a sell: the open positions it closes (their stops go)


class TradingPort(Protocol):
    """Money actions: typed commands through trading's one door (core/trading/commands.py), answered
    with data (`TradeResult`); bot/text/trading.py turns that into words."""

    def preview_order(self, req: ManualOrder) -> OrderPreviewLike: ...
    def handle(self, cmd: Command) -> TradeResult: ...


class StatusPort(Protocol):
    """Read side. `snapshot()` is the contract's status JSON; trades/positions/orders are dicts.

    Keys read by bot/: positions {pair, amount, entry_price, mark_price, unrealized_pnl,
    stop_price, take_profit_price, trade_id, origin} (one per position: a pair may hold several);
    orders {id, pair, side, type, price, amount}; trades (TradeRow
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


class ModulesPort(Protocol):
    """The optional modules (`bot.wiring.modules.Modules`) as chat uses them: `features`,
    `set feature`, `set target`, `universe` and the status line."""

    @property
    def features(self) -> FeatureSwitch: ...
    def status_line(self) -> str: ...
    def settings_of(self) -> dict[str, str]: ...
    def set_target_pct(self, pct: float) -> None: ...
    def universe_rows(self) -> list[dict[str, Any]]: ...


class ServantPort(Protocol):
    """The servant's measured answers (issue 17; `bot.wiring.servant.ServantAnswers`): plain vs
    plain + a module over the owner's pairs on the candles Zyn holds, and the shadow record."""

    @property
    def measurable(self) -> Sequence[str]: ...
    def what_if(self, feature: str | None = None, since_ms: int | None = None) -> Any: ...  # WhatIf | None
    def shadow_trades(self) -> Sequence[Any]: ...  # core.trading.shadow.ShadowTrade


@dataclass(frozen=True)
class Services:
    """What the composition root hands the dispatcher. Learning parts are optional."""

    trading: TradingPort
    status: StatusPort
    learner: LearnerPort | None = None
    backtester: BacktestPort | None = None
    market: MarketPort | None = None
    pairs: Sequence[str] = ()
    modules: ModulesPort | None = None  # bot.wiring.modules.Modules: flags, profit target, universe (issue 9)
    system_status: Callable[[], str] | None = None  # Kraken's SystemStatus word; None when replaying (issue 22)
    trend: Callable[[str], TrendView | None] | None = None  # SMA20/ATR/mtf on the feed's closed candles (issue 22)
    servant: ServantPort | None = None  # measured answers about the servant (issue 17)
    # the account's currency: equity and P&L are counted in it (paper: the pairs' quote, e.g. USDT; issue 17.9)
    currency: str = "USD"
