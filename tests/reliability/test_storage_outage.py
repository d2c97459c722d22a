"""A storage outage longer than the owner's lease (issue 19 point 3), on a real `zyn run`.

The test holds `BEGIN EXCLUSIVE` on the SQLite file for longer than a shortened lease
(`ZYN_OWNER_LEASE_S=2`). Before, the lease keeper took the failed renewal for a lost lease: the web
port closed while the process lived on, took the lease back and traded, unreachable, deaf to
SIGTERM. Now the owner keeps its port and answers /healthz 503 while storage is gone, and it resumes
by itself (same lease, still the owner) when the lock goes; if the outage outlasts
`ZYN_STORAGE_OUTAGE_EXIT_S` it exits 3 with one line for its supervisor; SIGTERM stops it promptly
even mid-outage. (No order can be sent meanwhile: every send first passes the lease fence, a write
the locked database refuses — tests/reliability/test_stale_owner.py covers the fence itself.)
(The owner: bot/cli/run.py; the keeper: scheduler/lease_keeper.py.)
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from tests.bot.cli.test_run_process import free_port, get, wait_healthy
from tests.bot.wiring.test_app_modes_sim import kraken_sim
from tests.conftest import REPO, shared_data
from tests.reliability.pg_server import PrivateServer
from tests.reliability.test_pg_restart import executed, health, order, wait_health

LEASE_S = 2.0


@pytest.fixture
def postgres() -> Iterator[PrivateServer]:
    server = PrivateServer().start()
    try:
        yield server
    finally:
        server.remove()


def _start(tmp_path: Path, data_dir: Path, port: int, exit_s: float) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
           "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "60", "ZYN_PAIRS": "BTC/USD",
           "ZYN_LOG_LEVEL": "WARNING", "ZYN_OWNER_LEASE_S": str(LEASE_S),
           "ZYN_STORAGE_OUTAGE_EXIT_S": str(exit_s)}
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)],  # noqa: S603
                            cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _lock(tmp_path: Path) -> sqlite3.Connection:
    locker = sqlite3.connect(tmp_path / "zyn.db", timeout=10, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    return locker


def _stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.terminate()
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return err


def test_owner_keeps_its_port_answers_503_and_resumes_when_a_lock_outlasting_its_lease_goes(
    tmp_path: Path, data_dir: Path
) -> None:
    port = free_port()
    proc = _start(tmp_path, data_dir, port, exit_s=120)
    locker: sqlite3.Connection | None = None
    try:
        wait_healthy(port, scheduled=True)
        locker = _lock(tmp_path)
        began = time.monotonic()
        codes: list[int] = []
        # well past the lease and the 5 s stall mark, then on until the positive signal: a loaded
        # machine can take longer than the window to notice (the port must stay open throughout)
        deadline = began + 60
        while time.monotonic() - began < 4 * LEASE_S + 6 or (codes[-1] != 503 and time.monotonic() < deadline):
            code, _ = get(f"http://127.0.0.1:{port}/healthz")  # raises if the port closed
            codes.append(code)
            assert proc.poll() is None, "zyn run exited during the outage"
            time.sleep(0.25)
        assert codes[-1] == 503, f"/healthz during the outage: {codes}"
        locker.rollback()
        locker.close()
        locker = None
        released = time.monotonic()
        body = wait_healthy(port, deadline_s=30, scheduled=True)
        print(f"locked {4 * LEASE_S + 6:.0f} s (lease {LEASE_S:.0f} s): /healthz {codes.count(200)}x200 then "
              f"{codes.count(503)}x503, port open; 200 again {time.monotonic() - released:.1f} s after the lock went")
        assert body["database"] == "ok" and body["role"] == "owner"
        assert proc.poll() is None
        began = time.monotonic()
    finally:
        if locker is not None:
            locker.rollback()
            locker.close()
        err = _stop(proc)
    assert time.monotonic() - began < 20, "SIGTERM did not stop zyn run promptly"
    assert proc.returncode == 0, err[-2000:]
    assert "lost the lease" not in err, err[-2000:]
    assert "Traceback" not in err, err[-2000:]


def test_owner_exits_3_with_one_line_when_storage_stays_locked_past_the_outage_limit(
    tmp_path: Path, data_dir: Path
) -> None:
    port = free_port()
    proc = _start(tmp_path, data_dir, port, exit_s=6)
    locker: sqlite3.Connection | None = None
    try:
        wait_healthy(port, scheduled=True)
        locker = _lock(tmp_path)
        began = time.monotonic()
        code, _ = get(f"http://127.0.0.1:{port}/healthz")  # still serving at first
        assert proc.poll() is None
        try:
            rc = proc.wait(timeout=90)  # an upper bound for a loaded machine; the limit is 6 s
        except subprocess.TimeoutExpired:
            rc = None
        waited = time.monotonic() - began
    finally:
        if locker is not None:
            locker.rollback()
            locker.close()
        err = _stop(proc)
    print(f"outage past ZYN_STORAGE_OUTAGE_EXIT_S=6: exit {rc} after {waited:.1f} s")
    assert rc == 3, f"exit {rc} after {waited:.1f} s: {err[-2000:]}"
    assert 4 <= waited < 90, waited  # never before the limit (lock held from `began`)
    said = [line for line in err.splitlines() if "ZYN_STORAGE_OUTAGE_EXIT_S" in line]
    assert len(said) == 1 and "code 3" in said[0], err[-2000:]
    assert "Traceback" not in err, err[-2000:]


def test_sigterm_stops_the_owner_promptly_while_storage_is_locked(tmp_path: Path, data_dir: Path) -> None:
    port = free_port()
    proc = _start(tmp_path, data_dir, port, exit_s=120)
    locker: sqlite3.Connection | None = None
    try:
        wait_healthy(port, scheduled=True)
        locker = _lock(tmp_path)
        deadline = time.monotonic() + 60  # an upper bound: the 503 comes within seconds when quiet
        code = 200
        while code != 503 and time.monotonic() < deadline:  # the positive signal: it knows storage is out
            code, _ = get(f"http://127.0.0.1:{port}/healthz")
            time.sleep(0.2)
        assert code == 503
        began = time.monotonic()
        proc.terminate()
        try:
            proc.wait(timeout=25)
        except subprocess.TimeoutExpired:
            pass
        took = time.monotonic() - began
    finally:
        if locker is not None:
            locker.rollback()
            locker.close()
        err = _stop(proc)
    print(f"SIGTERM during the outage: exit {proc.returncode} after {took:.1f} s")
    assert proc.returncode is not None and took < 20, f"SIGTERM took {took:.1f} s: {err[-2000:]}"
    assert "Traceback" not in err, err[-2000:]


def test_a_postgresql_stop_longer_than_the_lease_leaves_the_owner_serving_and_resuming(
    postgres: PrivateServer, tmp_path: Path
) -> None:
    """Live mode against the Kraken sim on a private PostgreSQL server stopped for longer than a 3 s
    lease: the owner stays up with its port, refuses a buy (it reaches no exchange), and trades
    again as the same owner when the server is back. Before, it exited 1 with dozens of tracebacks."""
    port = free_port()
    with kraken_sim(tmp_path, shared_data(), {"USD": Decimal(10000)}) as sim:
        sim.sim.app.config["RATE_LIMIT"] = None
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "DATABASE_URL": postgres.url,
               "ZYN_MODE": "live",
               "ZYN_LIVE_CONFIRM": "yes", "KRAKEN_API_URL": sim.url, "KRAKEN_API_KEY": sim.sim.api_key,
               "KRAKEN_API_SECRET": sim.sim.api_secret, "ZYN_PAIRS": "BTC/USD,ETH/USD", "ZYN_TIMEFRAME": "4h",
               "ZYN_OWNER_LEASE_S": "3", "ZYN_STORAGE_OUTAGE_EXIT_S": "120"}
        with (tmp_path / "run.err").open("w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)],  # noqa: S603
                                    cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=err)
        code: int | None = None
        try:
            wait_health(port, 200)
            postgres.stop()  # ---------------------------------------------------------------- down
            stopped = time.monotonic()
            wait_health(port, 503, deadline_s=30)
            eth_stop = int(sim.price("ETH/USD") * Decimal("0.95"))
            refused = order(port, f"buy 0.05 eth/usd sl {eth_stop}")
            assert "Bought" not in refused and not refused.startswith("HTTP 5"), refused
            while time.monotonic() - stopped < 12:  # four leases: the old owner "lost the lease" here
                status, _, _ = health(port)
                assert status == 503 and proc.poll() is None, (status, proc.poll())
                time.sleep(0.5)
            assert executed(sim, "buy") == [], "a buy reached the exchange while the database was down"
            postgres.start()  # --------------------------------------------------------------- back
            back = wait_health(port, 200, deadline_s=60)[-1][1]
            assert back["role"] == "owner"
            assert "Bought 0.05" in order(port, f"buy 0.05 eth/usd sl {eth_stop}")
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        log = (tmp_path / "run.err").read_text()
        print(f"PostgreSQL stopped {time.monotonic() - stopped:.0f} s+ under a 3 s lease: "
              f"{log.count('Traceback')} tracebacks, exit {code} on SIGTERM")
        assert code == 0, log[-3000:]
        assert "lost the lease" not in log, log[-3000:]
        assert "Traceback" not in log, log[-3000:]  # no thread dies of the outage (watchdog, backfill)
