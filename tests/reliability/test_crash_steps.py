"""Crash-restart at each step of an order's life, with real processes and `kill -9`, on
SQLite and PostgreSQL.

A live-mode Zyn runs in a child process (`crash_child.py`, built by the composition root) against
the Kraken sim on loopback (real ccxt, real HTTP). The sim holds the one exchange call of the step
with a `hang` fault (`after=True`: executed, answer held; otherwise never executed); as soon as the
sim says the call is in flight (`Fault.reached`), the test SIGKILLs the child. Then Zyn starts again
on the same database in this process, reconciles like `zyn run` does at start, and the invariants
helper (tests/reliability/invariants.py) must hold: the exchange's open orders are the ones Zyn
believes open, each position has exactly one stop for the amount held, no client reference was
used twice — and no order was doubled. A second reconcile changes nothing.

(The kills with an open position and between the buy's fill and its stop, on the in-process paper
exchange, are in tests/core/trading/test_restart.py.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from loguru import logger

from adapters.sim_exchange.server import Fault
from bot.wiring.app import Zyn
from core.domain import Order
from core.telemetry.models import OrderRow, TradeRow
from tests.bot.wiring.test_app_modes_sim import RunningSim, build, kraken_sim, rows
from tests.conftest import REPO, shared_data
from tests.pg import BACKENDS, fresh_engine
from tests.reliability.invariants import check_all
from tests.reliability.table import Row, publish

CHILD = Path(__file__).with_name("crash_child.py")
PAIR = "BTC/USD"
AMOUNT = Decimal("0.002")
REACH_S = 60  # the child starts (imports, builds Zyn, buys) before the held call arrives


@dataclass
class Step:
    id: str
    name: str  # the README row
    child: str  # buy | sell | raise_stop (crash_child.py)
    fault: Callable[[], Fault]
    expect: Callable[[Zyn, RunningSim], list[str]]  # what this step must have left, besides the invariants
    price_up: bool = False  # the price rises before the step (a stop is only raised above it)
    backends: tuple[str, ...] = tuple(BACKENDS)
    env: tuple[tuple[str, str], ...] = ()  # extra settings for the child


def _orders(sim: RunningSim) -> list[Order]:
    ex = sim.sim.exchange
    return ex.fetch_open_orders() + ex.fetch_closed_orders()


def _executed(sim: RunningSim, side: str, otype: str) -> list[Order]:
    return [o for o in _orders(sim) if o.side == side and o.type == otype and o.filled > 0]


def _open_stops(sim: RunningSim) -> list[Order]:
    return [o for o in sim.sim.exchange.fetch_open_orders() if o.type == "stop-loss"]


def _trades(zyn: Zyn, status: str) -> list[TradeRow]:
    return [t for t in rows(zyn, TradeRow) if t.status == status]


def _problems(checks: dict[str, bool]) -> list[str]:
    return [what for what, ok in checks.items() if not ok]


def nothing_bought(zyn: Zyn, sim: RunningSim) -> list[str]:
    statuses = [r.status for r in rows(zyn, OrderRow)]
    return _problems({
        "a buy executed": not _executed(sim, "buy", "market"),
        "a trade was opened": not rows(zyn, TradeRow),
        f"the entry row is not failed: {statuses}": statuses == ["failed"],
        "an order rests on the exchange": not sim.sim.exchange.fetch_open_orders(),
    })


def one_position_one_stop(zyn: Zyn, sim: RunningSim) -> list[str]:
    stops = _open_stops(sim)
    return _problems({
        "not exactly one buy": len(_executed(sim, "buy", "market")) == 1,
        "not exactly one open trade": len(_trades(zyn, "open")) == 1,
        f"{len(stops)} stops rest, want 1": len(stops) == 1 and stops[0].amount == AMOUNT,
        "coins were sold": not _executed(sim, "sell", "market"),
    })


def one_stop_ever(zyn: Zyn, sim: RunningSim) -> list[str]:
    placed = [o for o in _orders(sim) if o.type == "stop-loss"]
    return one_position_one_stop(zyn, sim) + _problems({f"{len(placed)} stops placed, want 1": len(placed) == 1})


def sold_once_and_booked(zyn: Zyn, sim: RunningSim) -> list[str]:
    closed = _trades(zyn, "closed")
    return _problems({
        "not exactly one sell": len(_executed(sim, "sell", "market")) == 1,
        "the trade is not closed with its P&L": len(closed) == 1 and closed[0].pnl is not None
        and closed[0].exit_reason == "manual",
        "a trade is still open": not _trades(zyn, "open"),
        "an order rests on the exchange": not sim.sim.exchange.fetch_open_orders(),
        "coins left": sim.sim.exchange.fetch_balances().total.get("BTC", Decimal(0)) == 0,
    })


def stop_at(level: str) -> Callable[[Zyn, RunningSim], list[str]]:
    def check(zyn: Zyn, sim: RunningSim) -> list[str]:
        stops = _open_stops(sim)
        entry = _executed(sim, "buy", "market")[0].average_price or Decimal(0)
        raised = bool(stops) and stops[0].price is not None and stops[0].price > entry
        want = raised if level == "break-even" else not raised
        return one_position_one_stop(zyn, sim) + _problems({f"the stop is not at the {level} level": want})
    return check


def _hang(after: bool, **params: str) -> Callable[[], Fault]:
    return lambda: Fault("AddOrder", "hang", after=after, params=params)


SQLITE_ONLY = ("sqlite",)  # variants of a step already killed on both backends (suite time)
STEPS = [
    Step("entry-before-send", "entry journalled, killed before the buy reached the exchange", "buy",
         _hang(False, type="buy"), nothing_bought),
    Step("entry-answer-lost", "buy executed, killed before its answer was journalled", "buy",
         _hang(True, type="buy"), one_stop_ever, backends=SQLITE_ONLY),
    # Zyn's own stop after the buy: the path where the exchange attaches none (issue 21: with the
    # conditional close on, the entry-answer-lost step covers the exchange-placed stop)
    Step("stop-answer-lost", "stop placed on the exchange, killed before its journal row", "buy",
         _hang(True, ordertype="stop-loss"), one_stop_ever, env=(("KRAKEN_CONDITIONAL_CLOSE", "off"),)),
    Step("exit-answer-lost", "mid-exit: stop cancelled, sell executed, killed before its answer was journalled", "sell",
         _hang(True, type="sell", ordertype="market"), sold_once_and_booked),
    Step("exit-before-send", "mid-exit: stop cancelled, killed before the sell reached the exchange", "sell",
         _hang(False, type="sell", ordertype="market"), stop_at("original"), backends=SQLITE_ONLY),
    Step("move-before-place", "stop move: old stop cancelled, killed before the new one was placed", "raise_stop",
         _hang(False, ordertype="stop-loss"), stop_at("original"), price_up=True),
    Step("move-answer-lost", "stop move: new stop placed, killed before its journal row", "raise_stop",
         _hang(True, ordertype="stop-loss"), stop_at("break-even"), price_up=True, backends=SQLITE_ONLY),
]
CASES = [pytest.param(step, backend, id=f"{step.id}-{backend}") for step in STEPS for backend in step.backends]
RESULTS: list[Row] = []


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSim]:
    with kraken_sim(tmp_path_factory.mktemp("crash-sim"), shared_data(), {"USD": Decimal(10000)}) as running:
        running.sim.app.config["RATE_LIMIT"] = None
        yield running


@pytest.fixture
def fresh_account(sim: RunningSim) -> Iterator[RunningSim]:
    """Every step starts on an empty account at the same price."""
    start = sim.price(PAIR)
    sim.sim.exchange.reset({"USD": Decimal(10000)})
    yield sim
    sim.sim.app.config["FAULTS"] = []
    sim.sim.exchange.set_price(PAIR, start, sim.sim.clock.now_ms())


def _env(db_url: str, sim: RunningSim) -> dict[str, str]:
    return {"DATABASE_URL": db_url, "ZYN_MODE": "live", "ZYN_LIVE_CONFIRM": "yes", "KRAKEN_API_URL": sim.url,
            "KRAKEN_API_KEY": sim.sim.api_key, "KRAKEN_API_SECRET": sim.sim.api_secret, "ZYN_PAIRS": PAIR,
            # an order the sim does not show counts as never sent only after this grace (issue 19:
            # Kraken lags new orders); the sim shows every order at once, and the restart comes later
            "ZYN_TIMEFRAME": "4h", "ZYN_ORDER_GRACE_S": "0.5"}


def _spawn(env: dict[str, str], step: str, stop: int, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(CHILD), step, str(stop)],
        cwd=cwd,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), **env},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(cwd / "child.err").open("w"),
        text=True,
    )


def _kill_at(child: subprocess.Popen[str], sim: RunningSim, fault: Fault, step: Step, cwd: Path) -> None:
    """Wait for READY (for `sell`/`raise_stop` the position is open by then: its buy and stop
    passed unheld), arm the fault, let the step go, SIGKILL the moment the sim holds its call."""
    assert child.stdin is not None and child.stdout is not None
    ready = child.stdout.readline().strip()
    assert ready == "READY", f"{ready!r}; stderr: {(cwd / 'child.err').read_text()[-2000:]}"
    if step.price_up:
        price = sim.price(PAIR) * Decimal("1.05")
        sim.sim.exchange.set_price(PAIR, price.quantize(Decimal("0.1")), sim.sim.clock.now_ms())
    sim.sim.app.config["FAULTS"] = [fault]
    child.stdin.write("go\n")
    child.stdin.flush()
    if not fault.reached.wait(REACH_S):
        child.kill()
        pytest.fail(f"the held call never arrived; stderr: {(cwd / 'child.err').read_text()[-2000:]}")
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL


@pytest.mark.parametrize(("step", "backend"), CASES)
def test_sigkill_at_a_step_then_restart_keeps_the_invariants(
    fresh_account: RunningSim, tmp_path: Path, backend: str, step: Step
) -> None:
    sim = fresh_account
    engine = fresh_engine(backend, tmp_path)
    db_url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    env = {**_env(db_url, sim), **dict(step.env)}
    stop = int(sim.price(PAIR) * Decimal("0.95"))
    fault = step.fault()
    child = _spawn(env, step.child, stop, tmp_path)
    try:
        _kill_at(child, sim, fault, step, tmp_path)
    finally:
        if child.poll() is None:
            child.kill()
        fault.release()  # the held request ends without an answer (and executes nothing more)
        sim.sim.app.config["FAULTS"] = []

    # the restart comes after the order grace (ZYN_ORDER_GRACE_S=0.5) has run out, as a supervisor's
    # restart would: only then may "the exchange does not show it" mean "it was never sent"
    time.sleep(0.6)
    lines: list[str] = []
    sink = logger.add(lambda m: lines.append(str(m)), level="INFO", format="{message}")
    zyn = build(env)  # the restart: same database, same exchange account
    try:
        report = zyn.reconcile()
        zyn.status.sync(force=True)
        broken = check_all(zyn, sim.sim.exchange, lines, None) + step.expect(zyn, sim)
        again = zyn.reconcile()
        if again.get("actions"):
            broken.append(f"a second reconcile still acted: {again['actions']}")
    finally:
        zyn.close()
        logger.remove(sink)
    did = "reconcile: " + ("; ".join(report.get("actions") or []) or str(report.get("text", "nothing to do")))
    RESULTS.append((f"{step.name} ({'PostgreSQL' if backend == 'postgres' else 'SQLite'})", did[:200],
                    "all hold" if not broken else "; ".join(broken), "pass" if not broken else "FAIL"))
    assert broken == [], broken


def test_write_the_crash_table() -> None:
    """Runs last in this module: one row per step and backend that ran above."""
    sqlite_cases = [c for c in CASES if c.values[1] == "sqlite"]
    if len(RESULTS) < len(sqlite_cases):
        pytest.skip("the table needs every step run first (in this module, in order)")
    publish("crash", RESULTS)
    assert all(r == "pass" for *_, r in RESULTS)
