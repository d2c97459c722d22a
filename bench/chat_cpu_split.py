"""Where a chat request's CPU goes: the HTTP channel alone vs Zyn's dispatcher (issue 20.1).

    .venv/bin/python bench/chat_cpu_split.py [--rate 200] [--seconds 10] [--calls 3000] [--rounds 2]
        [--servers waitress,cheroot,...]

Why: `bench/chat_latency.py` reports the whole `zyn run` process's CPU per request (target <= 1 ms).
This splits it in two figures, both CPU time (not inflated by the machine's load the way wall time is):
- channel: the `--stub` server of bench/chat_latency.py (waitress + Flask + JSON + a fixed-reply
  dispatcher, in a child process) under the same open-loop load, its /proc CPU over the load divided by
  the replies. It is the floor of that server stack, whatever Zyn does (labelled as such: the reply is
  the stand-in's, not Zyn's). Measured twice per round, alternately, for `--rounds` rounds: through
  Flask's route (the baseline) and through the chat fast lane in front of it (`zyn run`'s app,
  adapters/web/chat_lane.py);
- dispatcher: the real `Dispatcher.handle("status")` built by `bot.wiring.app.build_zyn` on a throw-away
  SQLite file with the replay data (ZYN_EVIDENCE=off: nothing is traded here; no scheduler), with
  `zyn run`'s JSON log sink, the calling thread's CPU per call after a warm-up.
The machine's load average is printed beside each figure.
`--servers` (issue 20.1, session 7): instead, the channel floor of `zyn run`'s app (the fast lane)
under each named WSGI server, alternately for `--rounds` rounds: `waitress` as `zyn run` serves
(8 threads), `waitress-4` / `waitress-poll` (4 threads; `asyncore_use_poll`), `cheroot` (its
thread pool of 8 and its selector; a candidate, installed by hand: `pip install cheroot`), and
`bare` (waitress with a constant-reply WSGI app: waitress's own cost, no Zyn code at all).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import tempfile
import time
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import chat_latency as cl  # noqa: E402 - the sibling bench's server and load generator


def loaded_cpu(target: Any, args: tuple[Any, ...], rate: float, seconds: float) -> tuple[Any, float]:
    """Start `target(port_q, stop, *args)` in a child process, load it open-loop at `rate` for
    `seconds`, and return (the results, its /proc CPU seconds over the load)."""
    ctx = mp.get_context("spawn")
    port_q, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(target=target, args=(port_q, stop, *args), daemon=True)
    proc.start()
    pid = proc.pid
    assert pid is not None  # started above
    try:
        port = port_q.get(timeout=60)
        cl.run_load(port, 20, 0.5, 4)  # warm-up
        cpu0 = cl.cpu_seconds(pid)
        results, _ = cl.run_load(port, rate, seconds, 16)
        return results, cl.cpu_seconds(pid) - cpu0
    finally:
        stop.set()
        proc.join(10)


def channel_cpu(rate: float, seconds: float, lane: bool) -> str:
    results, cpu = loaded_cpu(cl.serve, (False, 8, False, lane), rate, seconds)
    lat = results.latencies_ms
    how = "waitress + chat fast lane" if lane else "waitress + Flask route (baseline)"
    return (f"channel floor, {how} (stand-in dispatcher): {len(lat)} replies, {results.errors} errors, "
            f"p50 {cl.pct(lat, 0.5):.2f} ms, p99 {cl.pct(lat, 0.99):.2f} ms; server CPU {cpu:.2f} s = "
            f"{cpu / max(1, len(lat)) * 1000:.2f} ms per request; load average {os.getloadavg()}")


SERVERS = ("waitress", "waitress-4", "waitress-poll", "cheroot", "bare")


def serve_with(port_out: Any, stop: Any, kind: str) -> None:
    """Child process: the stand-in lane app (or, for `bare`, a constant reply) under server `kind`."""
    import logging
    import threading

    from loguru import logger

    logger.remove()
    logging.getLogger("waitress").setLevel(logging.ERROR)
    app: Any = cl.build_app(False, False, True)
    if kind == "bare":
        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            body = b'{"reply":"ok"}\n'
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
    if kind == "cheroot":
        from cheroot import wsgi  # a candidate under evaluation, not a dependency of Zyn

        server = wsgi.Server(("127.0.0.1", 0), app, numthreads=8)
        server.prepare()
        port_out.put(server.bind_addr[1])
        threading.Thread(target=server.serve, daemon=True).start()
        stop.wait()
        server.stop()
        return
    from waitress.server import create_server

    options: dict[str, Any] = {"threads": 4} if kind == "waitress-4" else {"threads": 8}
    if kind == "waitress-poll":
        options["asyncore_use_poll"] = True
    waitress = create_server(app, host="127.0.0.1", port=0, channel_timeout=30, **options)
    port_out.put(waitress.effective_port)
    threading.Thread(target=waitress.run, daemon=True).start()
    stop.wait()
    waitress.close()


def server_cpu(kind: str, rate: float, seconds: float) -> str:
    results, cpu = loaded_cpu(serve_with, (kind,), rate, seconds)
    lat = results.latencies_ms
    return (f"channel floor under {kind}: {len(lat)} replies, {results.errors} errors, p99 {cl.pct(lat, 0.99):.2f} ms; "
            f"server CPU {cpu:.2f} s = {cpu / max(1, len(lat)) * 1000:.3f} ms per request; "
            f"load average {os.getloadavg()}")


def dispatcher_cpu(calls: int) -> str:
    sys.path.insert(0, ROOT)
    from loguru import logger

    from bot.conversation.envelope import Envelope
    from bot.settings import load_settings
    from bot.wiring.app import build_zyn

    tmp = tempfile.mkdtemp(prefix="zyn-cpu-split-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYN_")}
    env.update({"DATABASE_URL": f"sqlite:///{os.path.join(tmp, 'bench.db')}", "PAPER_FEED": "replay",
                "PAPER_DATA": os.environ.get("PAPER_DATA", os.path.join(ROOT, "..", "shared", "data", "kraken")),
                "ZYN_EVIDENCE": "off"})  # order paths are not exercised; said explicitly all the same
    logger.remove()
    logger.add(os.path.join(tmp, "zyn.log"), level="INFO", serialize=True, diagnose=False)  # as `zyn run`'s sink
    zyn = build_zyn(load_settings(env))
    try:
        handle = zyn.dispatcher.handle
        for _ in range(200):  # warm-up: imports, caches
            handle(Envelope("web", "bench", "status"))
        cpu0 = time.thread_time()
        for _ in range(calls):
            handle(Envelope("web", "bench", "status"))
        cpu = time.thread_time() - cpu0
    finally:
        zyn.close()
    return (f"dispatcher.handle('status') in process: {cpu / calls * 1e6:.0f} us CPU per call over {calls} calls; "
            f"load average {os.getloadavg()}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=2, help="rounds of the channel pair (Flask route, fast lane)")
    ap.add_argument("--servers", default="", help=f"compare the lane's channel floor under these: {','.join(SERVERS)}")
    args = ap.parse_args(argv)
    if args.servers:
        kinds = [k.strip() for k in args.servers.split(",") if k.strip()]
        unknown = [k for k in kinds if k not in SERVERS]
        if unknown:
            print(f"--servers: unknown {','.join(unknown)}; choose from {','.join(SERVERS)}", file=sys.stderr)
            return 2
        for n in range(1, args.rounds + 1):
            for kind in kinds:
                print(f"[round {n}] {server_cpu(kind, args.rate, args.seconds)}", flush=True)
        return 0
    for n in range(1, args.rounds + 1):
        for lane in (False, True):
            print(f"[round {n}] {channel_cpu(args.rate, args.seconds, lane)}", flush=True)
    print(dispatcher_cpu(args.calls), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
