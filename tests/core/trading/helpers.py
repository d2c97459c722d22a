"""Builds the real trading stack (PaperExchange + TradingService + Autopilot + watcher) for tests."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy.engine import Engine

from core.clock import SimClock
from core.domain import Market
from core.paper.exchange import PaperExchange
from core.strategy.entry_rules import EntryRules
from core.strategy.port import Strategy
from core.strategy.risk import RiskConfig
from core.telemetry.db import make_engine
from core.trading.autopilot import Autopilot
from core.trading.service import TradingService
from core.trading.take_profit import TakeProfitWatcher

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
