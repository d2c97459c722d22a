"""Child process for the restart test: opens a position through the real stack, then dies.

Usage: python restart_child.py DB_URL MODE   (sqlite:///… or postgresql://…)
  open             buy with a bracket, print READY, wait to be SIGKILLed (position open)
  crash_after_buy  SIGKILL itself the moment the market buy fills on the (persisted) paper
                   exchange: the buy is done but its response and the stop never happen
"""

from __future__ import annotations

import os
import signal
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from core.domain import Fill, Order  # noqa: E402
from core.markets.catalog import market_for  # noqa: E402
from core.trading.types import ManualOrder  # noqa: E402
from tests.core.trading.helpers import build_stack  # noqa: E402

START_MS = 1_700_000_000_000
PAIR = "BTC/USD"


def main(db_url: str, mode: str) -> None:
    stack = build_stack({PAIR: market_for(PAIR)}, db_url=db_url, start_ms=START_MS)
    stack.exchange.set_price(PAIR, Decimal("30000"), START_MS)
    if mode == "crash_after_buy":

        def die_on_buy(order: Order, fill: Fill) -> None:
            if order.side == "buy":
                os.kill(os.getpid(), signal.SIGKILL)

        stack.exchange.add_fill_listener(die_on_buy)
    result = stack.service.place_manual(
        ManualOrder("buy", Decimal("0.01"), PAIR, stop=Decimal("29000"), target=Decimal("32000"))
    )
    print("READY" if result.ok else f"FAILED {result.text}", flush=True)
    time.sleep(60)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
