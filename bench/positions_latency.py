"""Chat buy + `yes` latency with 0, 2 and 5 open positions, and private Kraken calls per sync
with 5 open positions (issue 19.5), in ONE run.

    .venv/bin/python bench/positions_latency.py [--data ../shared/data/kraken] [--json]

What runs: the Kraken sim (adapters.sim_exchange, real HTTP on loopback, in this process, its
requests counted by a WSGI middleware) and a real `zyn run` process in live mode against it
(real ccxt, Zyn's own rate budget on, the scheduler running its jobs: autopilot, take-profit
watch with its sync, status). Each measured buy is the web chat's `buy ...` then `yes`, timed
from the first request to the second answer. Positions are chat buys with a stop (each its own
manual position; BTC/USD and ETH/USD alternate). ZYN_EVIDENCE=off (order path).
Then `zyn run` is stopped and the same database is opened in this process to count the private
calls of `TradingService.sync()` with the 5 positions open (3 syncs, each counted alone).
Target: buy + yes <= 2 s with 5 positions; <= 3 private calls per sync.
`--settle S` waits S idle seconds before each measured buy: with 0 the measured buy comes right
after the buys that opened the positions, so it measures mostly how empty those left Zyn's
private-call budget (Kraken Starter: 15 units, 0.33/s), not the positions.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PRIVATE = ("Balance", "BalanceEx", "OpenOrders", "ClosedOrders", "QueryOrders", "AddOrder", "CancelOrder",
           "TradesHistory", "TradeBalance")
AMOUNTS = {"BTC/USD": Decimal("0.002"), "ETH/USD": Decimal("0.05")}
TARGET_S = 2.0


class Counter:
    """WSGI middleware: how many requests per Kraken method reached the sim."""

    def __init__(self, app: Any) -> None:
        self.app, self.counts, self.lock = app, dict[str, int](), threading.Lock()
        self.timeline: list[tuple[float, str]] = []  # (perf_counter, method): written beside the log

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        method = str(environ.get("PATH_INFO", "")).rsplit("/", 1)[-1]
        with self.lock:
            self.counts[method] = self.counts.get(method, 0) + 1
            self.timeline.append((time.perf_counter(), method))
        return self.app(environ, start_response)

    def private(self) -> int:
        with self.lock:
            return sum(n for m, n in self.counts.items() if m in PRIVATE)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def chat(port: int, message: str) -> str:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/chat", data=json.dumps({"message": message}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=300) as resp:
        return str(json.loads(resp.read())["reply"])


def wait_owner(port: int, deadline_s: float = 180) -> None:
    end = time.time() + deadline_s
    while time.time() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
                if json.loads(resp.read()).get("role") == "owner":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("zyn run did not become the owner")


def buy_yes(port: int, pair: str, price: Decimal, marks: list[tuple[float, str]] | None = None) -> tuple[float, str]:
    stop = int(price * Decimal("0.9"))
    start = time.perf_counter()
    echo = chat(port, f"buy {AMOUNTS[pair]} {pair} sl {stop}")
    if marks is not None:
        marks.append((time.perf_counter(), "-- echo answered"))
    done = chat(port, "yes") if "yes" in echo.lower() else echo
    if marks is not None:
        marks += [(start, f"-- buy {pair} sent"), (time.perf_counter(), "-- yes answered")]
    return time.perf_counter() - start, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "kraken"))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--settle", type=float, default=0.0,
                        help="idle seconds before each measured buy (Kraken's private budget refills meanwhile)")
    args = parser.parse_args()

    from adapters.kraken.budget import PRIVATE_STARTER
    from adapters.sim_exchange.runner import build_sim_exchange
    from tests.fakes.sim_server import SimServer

    tmp = Path(tempfile.mkdtemp(prefix="zyn-positions-"))
    balances = {"USD": Decimal(100_000)}
    # Kraken's starter-tier counters enforced by the sim's own code (adapters/sim_exchange/counters.py):
    # a refusal there is Zyn exceeding Kraken's limits, counted and printed below.
    sim = build_sim_exchange(args.data, "", "", balances, 60.0, f"sqlite:///{tmp}/sim.db", tier="starter")
    counter = Counter(sim.app.wsgi_app)
    sim.app.wsgi_app = counter  # type: ignore[method-assign]
    server = SimServer(sim.app).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZYN_", "KRAKEN_", "PAPER_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp}/zyn.db", ZYN_MODE="live", ZYN_LIVE_CONFIRM="yes",
               KRAKEN_API_URL=server.url, KRAKEN_API_KEY=sim.api_key, KRAKEN_API_SECRET=sim.api_secret,
               ZYN_PAIRS="BTC/USD,ETH/USD", ZYN_TIMEFRAME="1h", ZYN_EVIDENCE="off")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=tmp, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(tmp / "zyn.err", "w"), text=True)  # noqa: SIM115
    results: dict[str, Any] = {"latency_s": {}, "replies": {}}
    started = time.time()
    marks: list[tuple[float, str]] = []
    t0 = time.perf_counter()
    try:
        wait_owner(port)
        pairs = ["BTC/USD", "ETH/USD"]
        opened = 0
        for measured_at in (0, 2, 5):
            while opened < measured_at:  # open positions up to the count, unmeasured
                pair = pairs[opened % 2]
                _, text = buy_yes(port, pair, sim.exchange.fetch_ticker(pair).last, marks)
                if "Bought" not in text:
                    raise SystemExit(f"could not open position {opened + 1}: {text}")
                opened += 1
            pair = pairs[opened % 2]
            time.sleep(args.settle)  # an owner does not buy five times a minute: the budget refills
            marks.append((time.perf_counter(), f"-- measured buy with {measured_at} positions"))
            seconds, text = buy_yes(port, pair, sim.exchange.fetch_ticker(pair).last, marks)
            results["latency_s"][str(measured_at)] = round(seconds, 3)
            results["replies"][str(measured_at)] = " ".join(text.split())[:90]
            opened += 1 if "Bought" in text else 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    with open(tmp / "requests.txt", "w") as fh:  # every request the sim served, with the chat's marks
        for at, what in sorted(counter.timeline + marks):
            fh.write(f"{at - t0:9.3f} {what}\n")
    results["timeline"] = str(tmp / "requests.txt")
    results["private_calls_by_method"] = {m: n for m, n in sorted(counter.counts.items()) if m in PRIVATE}
    results["run_s"] = round(time.time() - started, 1)
    # another process on the same key starts with an empty budget, while Kraken's counter (the
    # sim's) may still be full from `zyn run`: wait until it has drained (15 / 0.33 s) first
    time.sleep(PRIVATE_STARTER.ceiling / PRIVATE_STARTER.decay_per_s)
    results["calls_per_sync"] = calls_per_sync(env, counter, keep=5)
    server.stop()
    stops = [o for o in sim.exchange.fetch_open_orders() if o.type == "stop-loss"]
    results["open_positions_at_the_end"] = len(stops)
    counters = sim.app.config["KRAKEN_COUNTERS"]
    results["sim_refusals"] = dict(counters.refused)
    results["sim_peak_rest_counter"] = round(counters.peak["rest"], 2)
    results["log"] = str(tmp / "zyn.err")
    if args.json:
        print(json.dumps(results))
    else:
        for n, s in results["latency_s"].items():
            print(f"buy + yes with {n} open position(s): {s:.3f} s   ({results['replies'][n]})")
        print(f"private Kraken calls per sync with {results['calls_per_sync']['positions']} positions: "
              f"{results['calls_per_sync']['per_sync']}")
        print(f"settle before each measured buy: {args.settle:g} s")
        print(f"every request with the chat's marks: {results['timeline']}")
        print(f"private calls by method over the {results['run_s']} s run: {results['private_calls_by_method']}")
        print(f"Kraken starter counters at the sim: refusals {results['sim_refusals'] or 0}, "
              f"peak REST counter {results['sim_peak_rest_counter']} of 15")
        print(f"target: buy + yes <= {TARGET_S} s with 5 positions; <= 3 private calls per sync")
    return 0


def calls_per_sync(env: dict[str, str], counter: Counter, keep: int) -> dict[str, Any]:
    """The same database in this process: private calls made by each `sync()` alone."""
    from bot.wiring.app import build_zyn
    from core.config import load_settings

    zyn = build_zyn(load_settings(env))
    try:
        while len(zyn.trading.brackets()) > keep:  # the measured 5-position buy made a 6th
            newest = zyn.trading.brackets()[-1]
            zyn.trading.positions.exit(newest, "manual")
        per_sync = []
        for _ in range(3):
            before = counter.private()
            zyn.trading.sync(full=True)
            per_sync.append(counter.private() - before)
        return {"positions": len(zyn.trading.brackets()), "per_sync": per_sync}
    finally:
        zyn.close()


if __name__ == "__main__":
    raise SystemExit(main())
