"""Fixtures: a running Kraken sim over a real PaperExchange, and Kraken adapters pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from adapters.kraken.exchange import KrakenExchange
from core.trading.circuit_breaker import CircuitBreaker
from tests.fakes.sim_server import PaperSim, build_paper_sim, running

PRICES = {
    "BTC/USD": [30000.0, 30100.0, 30200.0, 30000.0],
    "ETH/USD": [2000.0, 2010.0, 2020.0, 2030.0],
    "DOGE/USD": [0.1, 0.11, 0.12, 0.12],
}


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[PaperSim]:
    balances = {"USD": Decimal(10000), "BTC": Decimal("0.5")}
    with running(build_paper_sim(tmp_path, PRICES, balances)) as s:
        yield s


class FakeTime:
    """The rate budget's clock and sleep, as one: a sleep moves the time on at once (and is kept)."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, s: float) -> None:
        self.sleeps.append(s)
        self.t += s

    @property
    def slept(self) -> float:
        return sum(self.sleeps)


KrakenFactory = Callable[..., KrakenExchange]


@pytest.fixture
def make_kraken(sim: PaperSim) -> KrakenFactory:
    def make(mode: str = "live", breaker: CircuitBreaker | None = None, **kw: Any) -> KrakenExchange:
        options = {"enableRateLimit": False, "timeout": 3000}
        options.update(kw.pop("ccxt_options", {}))
        return KrakenExchange(
            sim.url,
            kw.pop("api_key", sim.api_key),
            kw.pop("api_secret", sim.api_secret),
            mode,  # type: ignore[arg-type]
            sim.clock,
            breaker or CircuitBreaker(sim.clock),
            ccxt_options=options,
            backoff_s=0.0,
            sleep=lambda s: None,
            **kw,
        )

    return make


@pytest.fixture
def kraken(make_kraken: KrakenFactory) -> KrakenExchange:
    return make_kraken()
