"""What a new exchange adapter must do for the trading core (docs/EXTENDING.md, "add an exchange"):
the same bracket cycle runs unchanged on every `core.ports.Exchange` — the paper engine, an
in-memory exchange, and Kraken through real ccxt against the sim."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from core.clock import SimClock
from core.markets.catalog import market_for
from core.paper.exchange import PaperExchange
from core.ports import Exchange
from core.telemetry.db import make_engine
from core.trading.service import TradingService
from core.trading.types import ManualOrder
from tests.adapters.kraken.conftest import PRICES
from tests.fakes.memory_exchange import MemoryExchange
from tests.fakes.sim_server import build_paper_sim, running

PAIR = "BTC/USD"
D = Decimal


@pytest.fixture(params=["paper", "memory", "kraken_sim"])
def exchange(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Exchange, SimClock]]:
    clock = SimClock(1_700_006_400_000)
    if request.param == "paper":
        paper = PaperExchange(make_engine(f"sqlite:///{tmp_path}/p.db"), {PAIR: market_for(PAIR)}, clock)
        paper.set_price(PAIR, D("30000"), clock.now_ms())
        yield paper, clock
    elif request.param == "memory":
        memory = MemoryExchange({"USD": 10000}, clock, markets=[PAIR])
        memory.set_price(PAIR, "30000")
        yield memory, clock
    else:
        from adapters.kraken.exchange import KrakenExchange
        from core.trading.circuit_breaker import CircuitBreaker

        with running(build_paper_sim(tmp_path, PRICES, {"USD": D(10000)})) as sim:
            yield KrakenExchange(sim.url, sim.api_key, sim.api_secret, "live", sim.clock,
                                 CircuitBreaker(sim.clock), ccxt_options={"enableRateLimit": False},
                                 backoff_s=0.0, sleep=lambda s: None), sim.clock


def test_the_bracket_cycle_runs_unchanged_on_every_exchange(
    exchange: tuple[Exchange, SimClock], tmp_path: Path
) -> None:
    ex, clock = exchange
    svc = TradingService(ex, make_engine(f"sqlite:///{tmp_path}/z.db"), clock, pairs=(PAIR,),
                         start_equity=10000.0, sleep=lambda s: None)
    assert svc.place_manual(ManualOrder("buy", D("0.01"), PAIR, None, D("29000"), D("31000"))).ok
    [bracket] = svc.brackets(PAIR)
    [stop] = ex.fetch_open_orders(PAIR)
    assert (stop.type, stop.side, stop.amount, stop.id) == ("stop-loss", "sell", D("0.01"), bracket.stop_order_id)
    # the journalled stop is the exchange's stop (on Kraken the one the exchange attached to the entry and
    # Zyn adopted, issue 21: found by its exchange id, it carries no client reference of Zyn's own)
    assert svc.journal.orders_for_trade(bracket.trade_id, ["open"])[0].exchange_id == stop.id
    result = svc.exit_position(PAIR, "manual")
    assert result.ok, result.text
    assert ex.fetch_open_orders(PAIR) == [] and not svc.has_position(PAIR)
    assert [t.exit_reason for t in svc.journal.closed_trades()] == ["manual"]
