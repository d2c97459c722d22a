"""Socket vs REST polling on 200 pairs, same sim, same run (issue 21): close -> decision, REST calls.

What runs: `zyn sim-exchange`'s app (in this process, werkzeug threaded, Kraken's starter-tier
counters enforced) replays N generated LOAD-DATA pairs (tests/fakes/load_pairs.py: real candles
from ../shared/data, price-scaled, time-shifted; never evidence about a strategy) at `--speed`.
Two complete Zyns (`build_zyn`, paper on live prices, on the sim's clock, ZYN_EVIDENCE=off) trade
all N pairs at 4h: one streams over the sim's WebSocket v2, the other's socket URL points nowhere
so it polls REST (the fallback path itself). Each runs its autopilot in a loop (`--poll` seconds
between runs, the scaled stand-in for the 30 s job). Measured per decision: wall time from the
moment the sim closed the candle (its replay thread adding it to the book) to the end of the
autopilot run that decided it (every pair's decision of that close, journal rows included);
and the REST OHLC calls each feed made. Printed: latency percentiles per mode, calls per sim
hour, run_once durations, and the sim's rate-limit refusals (must be zero).
Usage: python bench/kraken_stream.py [--pairs 200] [--candles 6] [--speed 1440] [--poll 0.05]
       [--mode paper|validate] [--only socket|rest]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import flask  # noqa: E402
from loguru import logger  # noqa: E402

from bot.wiring.app import Zyn, build_zyn  # noqa: E402
from core.config import load_settings  # noqa: E402
from core.domain import Candle  # noqa: E402
from tests.fakes.load_sim import load_sim, stream_of  # noqa: E402
from tests.fakes.sim_server import SimServer  # noqa: E402

FOUR_H = 4 * 3_600_000


class Closes:
    """Wall time at which the sim closed each (pair, candle)."""

    def __init__(self) -> None:
        self.at: dict[tuple[str, int], float] = {}

    def candle_traded(self, pair: str, candle: Candle, closed: bool) -> None:
        if closed:
            self.at[(pair, candle.ts)] = time.monotonic()


def run_loop(zyn: Zyn, poll_s: float, stop: threading.Event, out: dict[str, list[Any]]) -> None:
    while not stop.is_set():
        started = time.monotonic()
        rows = zyn.autopilot.run_once()
        done = time.monotonic()
        out["runs"].append(done - started)
        for r in rows:
            if r.action != "none" or r.reason != "no market data":
                out["decided"].append((r.pair, r.ts_ms, done))
        stop.wait(poll_s)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))] if s else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--candles", type=int, default=6, help="4h closes to measure (6 = a day)")
    ap.add_argument("--speed", type=float, default=1440.0)
    ap.add_argument("--poll", type=float, default=0.05)
    ap.add_argument("--mode", choices=("paper", "validate"), default="paper",
                    help="validate: the sim account's key, private calls under the starter counters")
    ap.add_argument("--only", choices=("socket", "rest"), default=None,
                    help="run one Zyn (validate: two Zyns on ONE key would share Kraken's counter, not a budget)")
    args = ap.parse_args()
    logger.remove()
    logger.add(sys.stderr, level="WARNING")
    tmp = Path(tempfile.mkdtemp(prefix="zyn-stream-bench-"))
    sim, pairs = load_sim(tmp, args.pairs, rows=260, speed=args.speed)
    closes = Closes()
    sim.candles.listen(closes)
    requests: Counter[str] = Counter()  # every HTTP request the sim served, by path (both Zyns)

    @sim.app.before_request
    def count_request() -> None:
        requests[flask.request.path] += 1

    server = SimServer(sim.app).start()
    keys = {"KRAKEN_API_KEY": sim.api_key, "KRAKEN_API_SECRET": sim.api_secret} if args.mode == "validate" else {}
    base = {**keys, "ZYN_MODE": args.mode, "PAPER_FEED": "live", "KRAKEN_API_URL": server.url,
            "ZYN_PAIRS": ",".join(pairs), "ZYN_TIMEFRAME": "4h", "ZYN_EVIDENCE": "off", "ZYN_LOG_LEVEL": "WARNING"}
    envs = {"socket": {**base, "DATABASE_URL": f"sqlite:///{tmp}/socket.db"},
            "rest": {**base, "DATABASE_URL": f"sqlite:///{tmp}/rest.db", "KRAKEN_WS_URL": "ws://127.0.0.1:9/ws/v2"}}
    zyns = {m: build_zyn(load_settings(env), clock=sim.clock) for m, env in envs.items() if args.only in (None, m)}
    results: dict[str, dict[str, list[Any]]] = {m: {"runs": [], "decided": []} for m in zyns}
    stop = threading.Event()
    print(f"{args.mode} mode, {args.pairs} pairs, 4h, sim speed {args.speed:g}x "
          f"({FOUR_H / 1000 / args.speed:.1f} s per candle), "
          f"autopilot loop every {args.poll:g} s; warming up (seeds)...", flush=True)
    for zyn in zyns.values():
        zyn.autopilot.run_once()  # the first run: REST history for every pair, the socket opens
    deadline = time.monotonic() + 30
    while "socket" in zyns and stream_of(zyns["socket"]).transport() != "websocket" and time.monotonic() < deadline:
        time.sleep(0.05)
    seeds = {m: stream_of(z).rest_calls for m, z in zyns.items()}
    rest_before = {m: dict(z.market.budget.calls) for m, z in zyns.items()}  # every REST call, from its budget
    wall_start = time.monotonic()
    start_sim = sim.clock.now_ms()
    first_close = (start_sim // FOUR_H + 1) * FOUR_H
    threads = [threading.Thread(target=run_loop, args=(z, args.poll, stop, results[m]), daemon=True)
               for m, z in zyns.items()]
    for t in threads:
        t.start()
    sim.replayer.start()
    end_sim = first_close + args.candles * FOUR_H + FOUR_H // 4  # a quarter candle past the last close
    while sim.clock.now_ms() < end_sim:
        time.sleep(0.1)
    stop.set()
    sim.replayer.stop()
    for t in threads:
        t.join(timeout=60)
    sim_hours = (sim.clock.now_ms() - start_sim) / 3_600_000
    wall_hours = (time.monotonic() - wall_start) / 3600
    print(f"measured over {sim_hours:.1f} sim hours ({args.candles} closes of every pair)")
    for mode, zyn in zyns.items():
        got = results[mode]
        lat = [done - closes.at[(p, ts)] for p, ts, done in got["decided"]
               if (p, ts) in closes.at and ts + FOUR_H >= first_close]
        feed = stream_of(zyn)
        seed = seeds[mode]
        calls = feed.rest_calls - seed
        print(f"{mode:>6}: decisions {len(lat)}; close->decision p50 {pct(lat, 0.5) * 1000:.0f} ms, "
              f"p95 {pct(lat, 0.95) * 1000:.0f} ms, max {max(lat, default=float('nan')) * 1000:.0f} ms; "
              f"run_once p50 {statistics.median(got['runs'] or [float('nan')]) * 1000:.0f} ms over "
              f"{len(got['runs'])} runs; "
              f"REST OHLC calls after warm-up {calls} ({calls / sim_hours:.0f} per sim hour; seed {seed}); "
              f"transport {feed.transport()}")
    for mode, zyn in zyns.items():
        calls = {k: n - rest_before[mode][k] for k, n in zyn.market.budget.calls.items()}
        total = sum(calls.values())
        print(f"{mode:>6}: REST calls after warm-up (all methods, from its rate budget) {total} {calls}: "
              f"{total / sim_hours:.0f} per sim hour, {total / wall_hours:.0f} per real hour at this speed")
    print(f"sim requests by path (both Zyns, the whole run): {dict(sorted(requests.items()))}")
    counters = sim.app.config["KRAKEN_COUNTERS"]
    print(f"sim (starter counters, its own code): refusals {dict(counters.refused) or 'none'}, peak REST counter "
          f"{counters.peak['rest']:.1f}/15, peak engine counter {counters.peak['engine']:.1f}/60; all refusals by "
          f"the sim app: {dict(sim.app.extensions['zyn_sim_refusals']) or 'none'}")
    for zyn in zyns.values():
        zyn.close()
    server.stop()
    os.environ.pop("ZYN_LOG_LEVEL", None)


if __name__ == "__main__":
    main()
