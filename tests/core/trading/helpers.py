"""Builds the real trading stack (PaperExchange + TradingService + Autopilot + watcher) for tests, and the
same service without a database (`build_fake_stack`: MemoryExchange + FakeUnitOfWork)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine

from core.clock import SimClock
from core.domain import Market
from core.markets.catalog import market_for
from core.paper.exchange import PaperExchange
from core.ports import Exchange
from core.strategy.entry_rules import EntryRules
from core.strategy.port import Strategy
from core.strategy.risk import RiskConfig
from core.telemetry.db import make_engine
from core.trading.autopilot import Autopilot
from core.trading.bus import EventBus
from core.trading.service import TradingService
from core.trading.take_profit import TakeProfitWatcher
from tests.fakes.memory_exchange import MemoryExchange
from tests.fakes.unit_of_work import FakeUnitOfWork

REPO = Path(__file__).resolve().parents[3]


def shared_data() -> Path:
    """Real candles: ZYN_SHARED_DATA, default <repo>/../shared/data."""
    return Path(os.environ.get("ZYN_SHARED_DATA") or REPO.parent / "shared" / "data")


@dataclass
class Stack:
    clock: SimClock
    db: Engine
    exchange: PaperExchange
    service: TradingService
    autopilot: Autopilot
    watcher: TakeProfitWatcher


def build_stack(  # noqa: PLR0913
    markets: Mapping[str, Market],
    *,
    db_url: str = "sqlite://",
    start_ms: int = 0,
    timeframe: str = "1h",
    pairs: Sequence[str] | None = None,
    balance: Decimal = Decimal(10000),
    db: Engine | None = None,
    cfg: RiskConfig | None = None,
    strategy: Strategy | None = None,
    rules: EntryRules | None = None,
) -> Stack:
    clock = SimClock(start_ms)
    engine = db or make_engine(db_url)
    exchange = PaperExchange(engine, markets, clock, start_balances={"USD": balance})
    service = TradingService(
        exchange,
        engine,
        clock,
        pairs=tuple(pairs or markets),
        markets=markets,
        cfg=cfg,
        start_equity=float(balance),
        sleep=lambda _s: None,
    )
    autopilot = Autopilot(service, timeframe=timeframe, strategy=strategy, rules=rules)
    watcher = TakeProfitWatcher(service).attach()
    return Stack(clock, engine, exchange, service, autopilot, watcher)


@dataclass
class FakeStack:
    """The trading service without a database: MemoryExchange + FakeUnitOfWork (issue 18)."""

    clock: SimClock
    exchange: MemoryExchange
    uow: FakeUnitOfWork
    service: TradingService
    watcher: TakeProfitWatcher


def build_fake_stack(
    markets: Sequence[str] = ("BTC/USD", "ETH/USD"), *, start_ms: int = 0, balance: Decimal = Decimal(10000),
    wrap: Callable[[MemoryExchange], Exchange] | None = None,
) -> FakeStack:
    """`wrap`: the exchange the service sees around the stack's MemoryExchange (e.g. one that loses answers)."""
    clock = SimClock(start_ms)
    memory = MemoryExchange({"USD": balance}, clock, markets=markets)
    bus = EventBus()
    uow = FakeUnitOfWork(clock, bus=bus)
    service = TradingService(
        wrap(memory) if wrap is not None else memory, None, clock, pairs=tuple(markets),
        markets={p: market_for(p) for p in markets}, start_equity=float(balance), sleep=lambda _s: None,
        bus=bus, uow=uow,
    )
    return FakeStack(clock, memory, uow, service, TakeProfitWatcher(service).attach())
