"""Kill a real process holding a position (SIGKILL), restart on the same database (SQLite file or
PostgreSQL), reconcile.

Expected every time: the position is intact, exactly one stop order rests on the exchange, no
second buy was placed — and a second reconcile changes nothing.
The other steps of an order's life (entry sent, stop placed, mid-exit, stop move) are killed
against the Kraken sim with a live-mode Zyn in tests/reliability/test_crash_steps.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from core.markets.catalog import market_for
from core.trading.reconcile import Reconciler
from tests.core.trading.helpers import REPO, Stack, build_stack
from tests.pg import BACKENDS, fresh_engine

CHILD = Path(__file__).with_name("restart_child.py")
PAIR = "BTC/USD"
START_MS = 1_700_000_000_000


def _database(backend: str, tmp_path: Path) -> str:
    """An empty database on the backend; its URL for the child and the restarted stack."""
    engine = fresh_engine(backend, tmp_path)
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()
    return url


def _spawn(db: str, mode: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(CHILD), db, mode],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _restart(db: str) -> Stack:
    stack = build_stack({PAIR: market_for(PAIR)}, db_url=db, start_ms=START_MS + 60_000)
    stack.exchange.set_price(PAIR, Decimal("30100"), START_MS + 60_000)
    return stack


def _assert_intact(stack: Stack) -> None:
    ex = stack.exchange
    buys = [o for o in ex.fetch_closed_orders() + ex.fetch_open_orders() if o.side == "buy"]
    stops = [o for o in ex.fetch_open_orders() if o.type == "stop-loss"]
    assert len(buys) == 1, "no second buy"
    assert len(stops) == 1 and stops[0].amount == Decimal("0.01") and stops[0].price == Decimal("29000")
    assert ex.fetch_balances().total["BTC"] == Decimal("0.01")
    trades = stack.service.journal.open_trades()
    assert len(trades) == 1 and trades[0].stop_order_id == stops[0].id
    assert stack.service.targets(PAIR) == [Decimal("32000")]


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_with_open_position_then_restart(tmp_path: Path, backend: str) -> None:
    db = _database(backend, tmp_path)
    child = _spawn(db, "open")
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    assert line == "READY", line
    child.send_signal(signal.SIGKILL)
    assert child.wait(timeout=30) == -signal.SIGKILL
    stack = _restart(db)
    report = Reconciler(stack.service).run()
    assert not report.problems, report.text()
    _assert_intact(stack)
    assert not Reconciler(stack.service).run().actions  # idempotent: nothing left to do


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_between_buy_and_stop_then_restart(tmp_path: Path, backend: str) -> None:
    db = _database(backend, tmp_path)
    child = _spawn(db, "crash_after_buy")
    assert child.wait(timeout=30) == -signal.SIGKILL
    stack = _restart(db)
    assert stack.service.journal.open_trades() == []  # the crash left no trade behind
    report = Reconciler(stack.service).run()
    assert any("filled before the restart" in a for a in report.actions), report.text()
    _assert_intact(stack)
    second = _restart(db)  # another restart: still one buy, one stop
    assert not Reconciler(second.service).run().actions
    _assert_intact(second)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mode", ["open"])
def test_restart_keeps_watching_the_target(tmp_path: Path, mode: str, backend: str) -> None:
    """After a restart the watcher exits at the persisted target: stop canceled, sold once."""
    db = _database(backend, tmp_path)
    child = _spawn(db, mode)
    assert child.stdout is not None and child.stdout.readline().strip() == "READY"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    stack = _restart(db)
    Reconciler(stack.service).run()
    stack.exchange.set_price(PAIR, Decimal("32500"), START_MS + 120_000)
    exits = stack.watcher.poll_once()
    assert [e.reason for e in exits] == ["target"]
    assert stack.exchange.fetch_open_orders() == []
    assert stack.exchange.fetch_balances().total["BTC"] == Decimal(0)
