"""What every position step works on: the exchange, desk, journal and unit of work, the
in-memory bracket book and the little memory kept between syncs. One object, so the steps
split by job (`position_booking`, `position_holdings`, `position_stops`, `position_protect`,
`position_open`, `position_exit`) share it without importing one another; `Positions` is it
plus the step API. Callers hold the TradingService lock; nothing here locks."""

from __future__ import annotations

from collections.abc import Callable

from core.domain import Market
from core.ports import Clock, Exchange
from core.strategy.risk import RiskConfig
from core.text import price_text
from core.trading.bracket import Bracket, BracketBook
from core.trading.bus import EventBus
from core.trading.orders import OrderDesk
from core.trading.plan import bracket_from_row
from core.trading.unit_of_work import TradingJournal, UnitOfWork


class PositionState:
    def __init__(  # noqa: PLR0913
        self,
        exchange: Exchange,
        desk: OrderDesk,
        journal: TradingJournal,
        uow: UnitOfWork,
        clock: Clock,
        cfg: RiskConfig,
        market_of: Callable[[str], Market | None] = lambda _pair: None,
        bus: EventBus | None = None,
        stop_grace_ms: int = 15_000,
    ) -> None:
        self.exchange, self.desk, self.journal, self.uow = exchange, desk, journal, uow
        # How long a stop whose send had an unknown outcome may stay unseen before "not on the
        # exchange" is believed (issue 19; Kraken's reads can lag a new order).
        self.stop_grace_ms = stop_grace_ms
        self.clock, self.cfg = clock, cfg
        self.book = BracketBook()
        self.bus = bus if bus is not None else EventBus()  # PositionOpened/Closed, StopPlaced/Moved
        # The pair's market when known: stop prices are rounded to its price decimals (so what is
        # sent and booked is a price the exchange accepts as is), and stops and exits are capped
        # at the coins held, truncated to its lot decimals.
        self.market_of = market_of
        # Trades whose missing stop the owner has been told about in this process: one alert per
        # outage, not one per sync retry; cleared when the trade has its stop again.
        self.naked_told: set[int] = set()
        # Entries sent with a conditional close whose exchange stop REST has not shown yet:
        # trade id -> when Zyn first looked. Zyn waits `stop_grace_ms` for it before placing
        # its own (Kraken's REST can show the stop after the fill), so the two are never both
        # live; a stop seen later beside Zyn's own is cancelled by the stop check.
        self.awaiting: dict[int, int] = {}
        self.strays_told: set[str] = set()  # exchange stops the owner has been alerted about

    def pair_decimals(self, pair: str) -> int | None:
        market = self.market_of(pair)
        return market.pair_decimals if market is not None else None

    def price_shown(self, pair: str, value: object) -> str:
        """A price as every alert and reply shows it: the pair's own decimals, separators (issue 22.9)."""
        return price_text(pair, value, self.pair_decimals(pair))

    def load(self) -> None:
        """Rebuild the in-memory book from open trades (exact positions rows, else the trade row)."""
        self.book.clear()
        saved = self.uow.load()
        for row in self.journal.open_trades():
            if row.id is not None:
                self.book.put(saved.get(row.id) or bracket_from_row(row))

    def save(self, bracket: Bracket) -> None:
        """A change of the position alone (no trade or order row with it)."""
        with self.uow.change() as tx:
            tx.save(bracket)
        self.book.put(bracket)
