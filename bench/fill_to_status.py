"""Latency from a fill at the sim to the position in `/api/status`: Kraken's `executions` socket
vs REST polling, same sim, same run (issue 21).

    .venv/bin/python bench/fill_to_status.py [--data ../shared/data/kraken] [--samples 3] [--settle 20] [--json]

What runs: the Kraken sim (adapters.sim_exchange, real HTTP + its `/ws/v2-auth` socket on
loopback, in this process) and a real `zyn run` process in live mode against it (real ccxt, real
`websockets`, the scheduler's jobs as configured), twice on the same sim: first with
KRAKEN_EXECUTIONS=on (fills pushed by the socket), then with KRAKEN_EXECUTIONS=off (REST polling:
the take-profit watch's sync every 10 s, the status cache's own refresh). Each sample: a chat
limit buy below the market (`buy 0.002 BTC/USD at P sl S`, `yes`) rests on the sim; the bench
then fills it in the sim's engine (no client request) and times until `/api/status` lists one
more position with a trade id (polled every 20 ms). Between the buy and its fill the bench waits
`--settle` seconds (default 20): a fill normally comes well after its order, and the chat's own
calls just before would otherwise have emptied Zyn's private-call budget (Kraken Starter: 15
units, -0.33/s), which then paces the calls behind the fill. ZYN_EVIDENCE=off (order path).
The sim's REST shows fills at once here (no `FILL_LAG_S`): the figures are what each transport
costs on its own, not Kraken's REST lag on top.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.positions_latency import chat, free_port, wait_owner  # noqa: E402

PAIR = "BTC/USD"
AMOUNT = Decimal("0.002")
TIMEOUT_S = 180.0


def positions(port: int) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=30) as resp:
        snap = json.loads(resp.read())
    return [p for p in snap.get("positions") or [] if p.get("trade_id") is not None]


def one_sample(port: int, sim: Any, settle_s: float) -> float:
    price = sim.exchange.fetch_ticker(PAIR).last
    limit, stop = int(price * Decimal("0.98")), int(price * Decimal("0.9"))
    chat(port, f"buy {AMOUNT} {PAIR} at {limit} sl {stop}")
    reply = chat(port, "yes")
    if "Limit buy" not in reply:
        raise SystemExit(f"the limit buy was not placed: {reply}")
    order_id = reply.split("(order ")[1].split(")")[0]
    before = len(positions(port))
    time.sleep(settle_s)  # a fill comes later than its order: Zyn's private-call budget refills meanwhile
    start = time.perf_counter()
    sim.exchange.fill_part(order_id, AMOUNT)  # the sim's engine fills it: no client request
    while time.perf_counter() - start < TIMEOUT_S:
        if len(positions(port)) > before:
            return time.perf_counter() - start
        time.sleep(0.02)
    raise SystemExit(f"the position did not appear in /api/status within {TIMEOUT_S:.0f} s")


def run_mode(sim: Any, url: str, executions: str, samples: int, tmp: Path, settle_s: float) -> list[float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZYN_", "KRAKEN_", "PAPER_", "DATABASE_URL"))}
    env.update(DATABASE_URL=f"sqlite:///{tmp}/zyn-{executions}.db", ZYN_MODE="live", ZYN_LIVE_CONFIRM="yes",
               KRAKEN_API_URL=url, KRAKEN_API_KEY=sim.api_key, KRAKEN_API_SECRET=sim.api_secret,
               ZYN_PAIRS=PAIR, ZYN_TIMEFRAME="4h", ZYN_EVIDENCE="off", KRAKEN_EXECUTIONS=executions)
    port = free_port()
    err = open(tmp / f"zyn-{executions}.err", "w")  # noqa: SIM115
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=tmp, env=env,
                            stdout=subprocess.DEVNULL, stderr=err, text=True)
    try:
        wait_owner(port)
        time.sleep(3.0)  # the executions stream subscribes (socket mode); the same idle start in both
        return [one_sample(port, sim, settle_s) for _ in range(samples)]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        err.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "kraken"))
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--settle", type=float, default=20.0,
                        help="idle seconds between placing the limit buy and its fill (the rate budget refills; "
                             "0 measures right after the chat's own calls emptied it)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from adapters.sim_exchange.runner import build_sim_exchange
    from tests.fakes.sim_server import SimServer

    tmp = Path(tempfile.mkdtemp(prefix="zyn-fill-status-"))
    sim = build_sim_exchange(args.data, "", "", {"USD": Decimal(100_000)}, 60.0, f"sqlite:///{tmp}/sim.db")
    sim.app.config["RATE_LIMIT"] = None  # Zyn's own budget paces it, as against Kraken
    server = SimServer(sim.app).start()
    results: dict[str, Any] = {}
    try:
        for name, flag in (("socket", "on"), ("rest", "off")):
            seconds = run_mode(sim, server.url, flag, args.samples, tmp, args.settle)
            results[name] = {"samples_s": [round(s, 3) for s in seconds],
                             "median_s": round(statistics.median(seconds), 3)}
    finally:
        server.stop()
    if args.json:
        print(json.dumps(results))
    else:
        for name, r in results.items():
            print(f"fill at the sim -> position in /api/status, {name:6s}: median {r['median_s']:.3f} s "
                  f"(samples {', '.join(f'{s:.3f}' for s in r['samples_s'])})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
