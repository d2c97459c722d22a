"""A pair with no price yet when status first looks (a replay's start, before its first candle) is
priced as soon as a price exists: it must not be left out of equity for the life of the process.
Found by bench/owner_day.py: BTC bought in a replay showed Mark "-" and equity fell by the coins'
whole value ("today -2,690.82 USD") in status and the daily summaries until a restart."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from core.clock import SimClock
from core.markets.catalog import markets_for
from core.paper.exchange import PaperExchange
from core.status.service import StatusService
from core.telemetry.db import make_engine

T0 = 1_546_300_800_000  # 2019-01-01 00:00 UTC


def test_a_pair_without_a_price_yet_is_priced_once_its_first_price_arrives(tmp_path: Path) -> None:
    clock = SimClock(T0)
    engine = make_engine(f"sqlite:///{tmp_path}/t.db")
    ex = PaperExchange(engine, markets_for(["BTC/USD"]), clock,
                       start_balances={"USD": Decimal("9000"), "BTC": Decimal("0.25")})
    status = StatusService(ex, clock, engine, "paper", ["BTC/USD"], dict, dict, kill_switch_state=dict)
    first = status.snapshot()  # before the first candle: the paper exchange has no BTC price yet
    assert first["equity_usd"] == 9000.0
    ex.set_price("BTC/USD", Decimal("4000"), T0 + 3_600_000)
    clock.set(T0 + 2 * 3_600_000)  # past the status cache's sync interval
    later = status.snapshot()
    assert later["equity_usd"] == 10000.0  # 9,000 USD + 0.25 BTC at 4,000
    assert status.positions()[0]["mark_price"] == 4000.0
