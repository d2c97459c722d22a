"""Fixtures: every paper test runs on a real database file (and on PostgreSQL when configured)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import core.paper.store  # noqa: F401  (registers the paper tables)
from core.clock import SimClock
from core.domain import Market
from core.markets.catalog import market_for
from core.paper.exchange import PaperExchange
from core.telemetry.db import make_engine
from tests.pg import pg_url

T0 = 1_700_000_000_000
PAIRS = ("BTC/USD", "ETH/USD", "BTC/USDT", "ETH/BTC")


def shared_data_dir() -> Path:
    """Real candles live outside the repo; ZYN_SHARED_DATA overrides the default location."""
    default = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"
    return Path(os.environ.get("ZYN_SHARED_DATA", str(default)))


def _wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for name in ("paper_fills", "paper_orders", "paper_balances", "paper_state"):
            conn.execute(delete(SQLModel.metadata.tables[name]))


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'paper.db'}"
    url = pg_url()  # this worker's database (tests/pg.py)
    if not url:
        pytest.skip("ZYN_TEST_POSTGRES_URL not set")
    engine = make_engine(url)
    _wipe(engine)
    engine.dispose()
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock() -> SimClock:
    return SimClock(T0)


@pytest.fixture
def markets() -> dict[str, Market]:
    return {pair: market_for(pair) for pair in PAIRS}


MakeExchange = Callable[..., PaperExchange]


@pytest.fixture
def make_exchange(db: Engine, clock: SimClock, markets: dict[str, Market]) -> MakeExchange:
    """A factory, so a test can 'restart' by building a second exchange on the same database."""

    def build(**kwargs: Any) -> PaperExchange:
        kwargs.setdefault("start_balances", {"USD": Decimal(10000)})
        return PaperExchange(kwargs.pop("engine", db), markets, clock, **kwargs)

    return build


@pytest.fixture
def ex(make_exchange: MakeExchange) -> PaperExchange:
    return make_exchange()
