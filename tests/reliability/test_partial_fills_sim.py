"""Partial fills injected at the Kraken sim, in front of a live-mode Zyn on real ccxt.

One position's life, each step partly filled at the exchange: the entry (the sim's `partial`
fault: 40 % of the market buy fills, the rest stays open), the stop (the sim's matching engine
sells a part at the stop, then the exchange cancels the rest), the exit sell (`partial` again:
half fills). After each step Zyn syncs and the invariants must hold (tests/reliability/
invariants.py) — the stop is sized to the coins actually held — and the P&L of every part sold
is booked: when the position is finally closed, the trade's P&L is exactly what the fills say.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from loguru import logger

from adapters.sim_exchange.server import Fault
from bot.wiring.app import Zyn
from core.domain import Order
from core.trading.bracket import Bracket
from tests.bot.wiring.test_app_modes_sim import RunningSim, account_env, build, kraken_sim, say
from tests.conftest import shared_data
from tests.reliability.invariants import check_all
from tests.reliability.table import Row, publish

PAIR = "BTC/USD"
D = Decimal


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Zyn, RunningSim, list[str]]]:
    tmp = tmp_path_factory.mktemp("partial")
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), level="INFO", format="{message} | {extra}")
    with kraken_sim(tmp, shared_data(), {"USD": D(10000)}) as sim:
        zyn = build({**account_env(tmp, sim, "live"), "ZYN_LIVE_CONFIRM": "yes"})
        try:
            yield zyn, sim, lines
        finally:
            zyn.close()
            logger.remove(sink)


def bracket(zyn: Zyn) -> Bracket:
    [only] = zyn.trading.brackets(PAIR)
    return only


def stops(sim: RunningSim) -> list[Order]:
    return [o for o in sim.sim.exchange.fetch_open_orders() if o.type == "stop-loss"]


def sells_net(sim: RunningSim) -> Decimal:
    fills = sim.sim.exchange.fetch_my_trades()
    return sum((f.amount * f.price - f.fee for f in fills if f.side == "sell"), D(0))


def entry_cost(sim: RunningSim) -> Decimal:
    fills = sim.sim.exchange.fetch_my_trades()
    return sum((f.amount * f.price + f.fee for f in fills if f.side == "buy"), D(0))


def settle(zyn: Zyn, sim: RunningSim, lines: list[str], start: int) -> list[str]:
    zyn.trading.sync()
    zyn.status.sync(force=True)
    return check_all(zyn, sim.sim.exchange, lines[start:], None)


def test_partial_fills_at_the_sim_keep_the_stop_sized_to_what_is_held_and_book_each_part(
    live: tuple[Zyn, RunningSim, list[str]], tmp_path: Path
) -> None:
    zyn, sim, lines = live
    rows: list[Row] = []
    price = sim.price(PAIR)
    stop = int(price * D("0.95"))

    # 1. the entry: 40 % of the market buy fills, the rest stays open -> Zyn cancels it, stops what filled
    start = len(lines)
    sim.sim.app.config["FAULTS"] = [Fault("AddOrder", "partial", fraction=D("0.4"), params={"type": "buy"})]
    asked = say(zyn, f"buy 0.005 btc/usd sl {stop}")
    answer = say(zyn, "yes").text if asked.kind == "confirm" else asked.text
    sim.sim.app.config["FAULTS"] = []
    broken = settle(zyn, sim, lines, start)
    held = bracket(zyn)
    [buy] = [o for o in sim.sim.exchange.fetch_closed_orders() if o.side == "buy"]
    if not (held.amount == D("0.002") and buy.status == "canceled" and buy.filled == D("0.002")):
        broken.append(f"position {held.amount}, buy {buy.status} filled {buy.filled}: want 0.002 and the rest canceled")
    rows.append(("Market buy filled 40 %, the rest left open", answer, "; ".join(broken) or "all hold",
                 "pass" if not broken else "FAIL"))

    # 2. the stop: the market falls through it, 0.0008 sells at the stop, the exchange cancels the rest
    start = len(lines)
    [first_stop] = stops(sim)
    now = sim.sim.clock.now_ms()
    sim.sim.exchange.set_price(PAIR, first_stop.price or D(0), now)
    sim.sim.exchange.fill_part(first_stop.id, D("0.0008"))
    sim.sim.exchange.cancel_order(first_stop.id)
    sim.sim.exchange.set_price(PAIR, price, now)
    broken = settle(zyn, sim, lines, start)
    held = bracket(zyn)
    part_net = D("0.0008") * (first_stop.price or D(0)) * (1 - D("0.0026"))
    booked = held.realized
    if held.amount != D("0.0012") or held.sold != D("0.0008") or not booked < 0 or stops(sim)[0].amount != D("0.0012"):
        broken.append(f"after the stop's part: held {held.amount}, sold {held.sold}, realized {booked}")
    did = f"booked 0.0008 sold at {first_stop.price} (P&L {booked:.4f}), new stop for the 0.0012 left"
    rows.append(("Stop sold a part, the exchange canceled the rest", did, "; ".join(broken) or "all hold",
                 "pass" if not broken else "FAIL"))
    assert part_net > 0

    # 3. the exit: half of the market sell fills -> the part is booked, the rest keeps a stop
    start = len(lines)
    sim.sim.app.config["FAULTS"] = [Fault("AddOrder", "partial", fraction=D("0.5"),
                                          params={"type": "sell", "ordertype": "market"})]
    asked = say(zyn, "sell 0.0012 btc/usd")
    answer = say(zyn, "yes").text if asked.kind == "confirm" else asked.text
    sim.sim.app.config["FAULTS"] = []
    broken = settle(zyn, sim, lines, start)
    held = bracket(zyn)
    if held.amount != D("0.0006") or held.sold != D("0.0014") or [s.amount for s in stops(sim)] != [D("0.0006")]:
        broken.append(f"after the sell's part: held {held.amount}, sold {held.sold}, stops {stops(sim)}")
    rows.append(("Market sell filled 50 %, the rest left open", answer, "; ".join(broken) or "all hold",
                 "pass" if not broken else "FAIL"))

    # 4. the rest is sold normally: the trade's P&L is exactly the fills' (every part booked once)
    start = len(lines)
    asked = say(zyn, "sell 0.0006 btc/usd")
    answer = say(zyn, "yes").text if asked.kind == "confirm" else asked.text
    broken = settle(zyn, sim, lines, start)
    [trade] = zyn.trading.journal.closed_trades()
    want = sells_net(sim) - entry_cost(sim)
    if trade.pnl is None or abs(D(str(trade.pnl)) - want) > D("0.000001") or zyn.trading.brackets(PAIR):
        broken.append(f"trade P&L {trade.pnl}, the fills say {want}")
    if sim.sim.exchange.fetch_balances().total.get("BTC", D(0)) != 0 or sim.sim.exchange.fetch_open_orders():
        broken.append("coins or orders left after the last sell")
    rows.append(("The rest sold: P&L of all parts", f"{answer} (trade P&L {trade.pnl:.4f}, fills {want:.4f})",
                 "; ".join(broken) or "all hold", "pass" if not broken else "FAIL"))

    publish("partial", rows)
    assert all(r == "pass" for *_, r in rows), rows
