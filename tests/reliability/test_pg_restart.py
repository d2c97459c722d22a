"""The PostgreSQL server stops and starts again under a running `zyn run` (live mode, real ccxt
against the Kraken sim, its own private PostgreSQL server: tests/reliability/pg_server.py).

While the database is down Zyn keeps running, `/healthz` says 503 (answered at once, from
memory), a new buy is refused with one line and reaches no exchange, and the position's stop
stays on the exchange. When the server is back Zyn reconnects by itself (pool_pre_ping), health
returns to 200, a new buy goes through — and the invariants hold: nothing doubled, nothing lost.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.domain import Order
from core.telemetry.db import make_engine
from tests.bot.cli.test_run_process import free_port, get
from tests.bot.wiring.test_app_modes_sim import RunningSim, kraken_sim
from tests.conftest import REPO, shared_data
from tests.reliability.invariants import check_store
from tests.reliability.pg_server import PrivateServer
from tests.reliability.table import publish

ANSWER_WITHIN_S = 1.0


@pytest.fixture
def pg() -> Iterator[PrivateServer]:
    server = PrivateServer().start()
    try:
        yield server
    finally:
        server.remove()


def chat(port: int, text: str) -> str:
    body = json.dumps({"message": text, "user": "owner"}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/chat", data=body,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback test server
            return str(json.loads(resp.read())["reply"])
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}: {exc.read()[:200]!r}"


def order(port: int, text: str) -> str:
    asked = chat(port, text)
    return chat(port, "yes") if "yes" in asked.lower() else asked


def health(port: int) -> tuple[int, dict[str, Any], float]:
    began = time.monotonic()
    try:
        code, body = get(f"http://127.0.0.1:{port}/healthz")
    except OSError as exc:
        return 0, {"error": str(exc)}, time.monotonic() - began
    return code, body, time.monotonic() - began


def wait_health(port: int, want: int, deadline_s: float = 60) -> list[tuple[int, dict[str, Any], float]]:
    seen: list[tuple[int, dict[str, Any], float]] = []
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        seen.append(health(port))
        if seen[-1][0] == want and not seen[-1][1].get("reconciling"):
            return seen
        time.sleep(0.25)
    raise AssertionError(f"/healthz never answered {want}: last {seen[-3:]}")


def executed(sim: RunningSim, side: str) -> list[Order]:
    ex = sim.sim.exchange
    return [o for o in ex.fetch_open_orders() + ex.fetch_closed_orders() if o.side == side and o.filled > 0]


def test_zyn_run_survives_a_postgresql_restart_halting_entries_meanwhile(
    pg: PrivateServer, tmp_path: Path
) -> None:
    port = free_port()
    with kraken_sim(tmp_path, shared_data(), {"USD": Decimal(10000)}) as sim:
        sim.sim.app.config["RATE_LIMIT"] = None
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(REPO), "DATABASE_URL": pg.url, "ZYN_MODE": "live",
               "ZYN_LIVE_CONFIRM": "yes", "KRAKEN_API_URL": sim.url, "KRAKEN_API_KEY": sim.sim.api_key,
               "KRAKEN_API_SECRET": sim.sim.api_secret, "ZYN_PAIRS": "BTC/USD,ETH/USD", "ZYN_TIMEFRAME": "4h"}
        with (tmp_path / "run.err").open("w") as err:
            proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)],  # noqa: S603
                                    cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            wait_health(port, 200)
            btc_stop = int(sim.price("BTC/USD") * Decimal("0.95"))
            bought = order(port, f"buy 0.002 btc/usd sl {btc_stop}")
            assert "Bought 0.002" in bought, bought
            [stop] = sim.sim.exchange.fetch_open_orders()

            pg.stop()  # ---------------------------------------------------------------- down
            down = wait_health(port, 503, deadline_s=30)
            eth_stop = int(sim.price("ETH/USD") * Decimal("0.95"))
            refused = order(port, f"buy 0.05 eth/usd sl {eth_stop}")
            assert "Bought" not in refused and not refused.startswith("HTTP 5"), refused
            assert len(executed(sim, "buy")) == 1, "a buy reached the exchange while the database was down"
            assert sim.sim.exchange.fetch_open_orders() == [stop], "the stop must stay on the exchange"
            assert proc.poll() is None, "zyn run died with the database"
            slowest = max(s for _, _, s in down)
            assert slowest < ANSWER_WITHIN_S, f"a health check took {slowest:.2f} s while the database was down"

            pg.start()  # --------------------------------------------------------------- back
            wait_health(port, 200, deadline_s=60)
            again = order(port, f"buy 0.05 eth/usd sl {eth_stop}")
            assert "Bought 0.05" in again, again
            code, snap = get(f"http://127.0.0.1:{port}/api/status")
            assert code == 200
            db = make_engine(pg.url)
            try:
                broken = check_store(db, sim.sim.exchange, snap)
            finally:
                db.dispose()
            assert broken == [], broken
            assert len(executed(sim, "buy")) == 2 and len(sim.sim.exchange.fetch_open_orders()) == 2
            assert proc.poll() is None
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                code = None
        log = (tmp_path / "run.err").read_text()
        assert code == 0, log[-3000:]
        assert "storage fault" in log and "Traceback" not in log, log[-3000:]
        did = (f"/healthz 503 while down (slowest answer {slowest * 1000:.0f} ms); a buy got: "
               f"{refused.splitlines()[-1]} Stop kept; back by itself; the next buy went through")
        publish("postgres", [("pg_ctl stop, then start, with a position open", did,
                              "all hold (no order doubled or lost, no traceback)", "pass")])
