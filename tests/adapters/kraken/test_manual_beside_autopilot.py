"""A manual and an autopilot position in the same pair, through real ccxt against the Kraken sim
(issue 8 point 6): two positions, each with its own stop order for its own amount and its own
target; the autopilot's target sells only its coins; a restart keeps both."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from core.telemetry.db import make_engine
from core.trading.service import TradingService
from tests.adapters.kraken.conftest import PRICES
from tests.adapters.kraken.test_trading_positions import kraken_for
from tests.core.trading.pair_positions import (
    PAIR,
    Venue,
    autopilot_target_sells_only_its_own,
    open_both,
    restart_keeps_both,
)
from tests.fakes.sim_server import PaperSim, build_paper_sim, running

D = Decimal


@pytest.fixture
def usd_only(tmp_path: Path) -> Iterator[PaperSim]:
    """A sim account holding only USD: every BTC in it belongs to a position."""
    with running(build_paper_sim(tmp_path, PRICES, {"USD": D(10000)})) as s:
        yield s


def sim_venue(sim: PaperSim, tmp_path: Path) -> Venue:
    db = make_engine(f"sqlite:///{tmp_path}/zyn.db")

    def service() -> TradingService:  # a new process on the same database: a new ccxt client too
        return TradingService(kraken_for(sim), db, sim.clock, pairs=(PAIR,), source="live", backoff_s=0.0,
                              sleep=lambda s: None)

    return Venue(
        service=service,
        set_price=lambda price: sim.exchange.set_price(PAIR, price, sim.clock.now_ms()),
        open_orders=sim.exchange.fetch_open_orders,
        btc=lambda: sim.exchange.fetch_balances().total.get("BTC", D(0)),
    )


def test_two_positions_in_one_pair_through_ccxt_each_keep_their_own_stop_across_a_restart_and_a_target(
    usd_only: PaperSim, tmp_path: Path
) -> None:
    venue = sim_venue(usd_only, tmp_path)
    usd_only.exchange.set_price(PAIR, D("30000"), usd_only.clock.now_ms())
    restarted = restart_keeps_both(venue, open_both(venue))
    autopilot_target_sells_only_its_own(venue, restarted)
