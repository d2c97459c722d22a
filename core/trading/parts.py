"""What the order steps need from the trading core — the order sender, the open positions (saved
through the unit of work), the journal and the saved entry plans — without the TradingService.

Why: `entries`, `manual`, `flatten` and `validate` used to take the whole service, which imports
them: an import cycle, and every step could reach every other part. The service builds one
`TradingParts` and hands it over; the steps see exactly these and nothing above them.
Callers hold the TradingService lock; nothing here locks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.ports import Exchange
from core.strategy.risk import RiskConfig
from core.trading.orders import OrderDesk
from core.trading.positions import Positions
from core.trading.state import TradingState
from core.trading.unit_of_work import TradingJournal, UnitOfWork


@dataclass(frozen=True)
class TradingParts:
    exchange: Exchange
    desk: OrderDesk  # the order sender: journal first, look up before any retry
    positions: Positions
    journal: TradingJournal
    state: TradingState  # entry plans saved before their order is sent
    cfg: RiskConfig
    # The strategy's ATR per pair (None = unknown): how a filled buy without a saved plan is
    # still bracketed (coins held are always under a stop, issue 19).
    atr_of: Callable[[str], float | None] = lambda _pair: None
    # How long an order the exchange does not show may still appear (Kraken's REST lags new
    # orders): before that, "not found" proves nothing (issue 19).
    grace_ms: int = 60_000

    @property
    def uow(self) -> UnitOfWork:
        return self.positions.uow
