"""Latency of `POST /api/chat` ("status") under a steady loopback load.

    .venv/bin/python bench/chat_latency.py [--rate 200] [--seconds 10] [--stub | --in-process] [--check]
        [--positions 5] [--busy] [--baseline REV [--rounds 3]] [--by-thread]

The web app runs under waitress (threads) in a child process, so the load generator's threads
do not share its GIL and the numbers are the server's. The load is open-loop: request i is due
at t0 + i/rate and its latency is counted from that due time, so a server that falls behind
shows it (no coordinated omission). Each client thread keeps one HTTP/1.1 connection alive.
By default this measures the real path: a real `zyn run` process (web app, real dispatcher,
scheduler, audit and conversation writes) on a throw-away SQLite file with the replay feed, on a
free loopback port. `--in-process` serves `bot.wiring.app.build_zyn`'s blueprint from a child process
instead (no scheduler); `--stub` uses a stand-in dispatcher with a fixed reply (measures only the
channel: Flask, JSON, rendering).
Target (issue 3): p99 < 50 ms at 200 requests/s on a 2-core machine.
Issue 20.1: the real path runs with `--positions` positions open (bought through chat, echoed and
confirmed like the owner would, so the status snapshot has rows to build; the replay runs at
PAPER_SPEED=720 unless set, so the first candle and its price arrive within seconds), `--busy` starts one
process spinning a pure-Python loop on one core for the length of the load, and the report adds
the server's CPU per request (its /proc user+system time over the load, divided by the replies;
and the same less its CPU over as many seconds without requests just before, i.e. the scheduler and
replay) and the machine's load average.
`--baseline REV` (real path only): REV's core/bot/adapters/scheduler exported to a temp dir and put
first on the benched `zyn run`'s PYTHONPATH, measured alternately with this tree for `--rounds`
rounds (interleaved A/B in the same minutes, so both see the same machine load).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET_P99_MS = 50.0


class StatusOnlyDispatcher:
    """Answers like the real status command does, without a database or an exchange."""

    def handle(self, env: Any) -> Any:
        from bot.conversation.envelope import Reply

        rows: list[tuple[str, ...]] = [
            ("equity", "$10,012.30"),
            ("BTC/USD", "0.01 @ 61,000 stop 59,000 tp 65,000"),
            ("P&L today", "+12.30"),
            ("autopilot", "running"),
        ]
        return Reply(text=f"All good, {env.user_id}.", title="Status", rows=rows)


class SerializedDispatcher:
    """`--serialize`: one dispatch at a time (tests whether concurrent SQLite writers cause the tail)."""

    def __init__(self, inner: Any) -> None:
        self._inner, self._lock = inner, threading.Lock()

    def handle(self, env: Any) -> Any:
        with self._lock:
            return self._inner.handle(env)


def build_app(real: bool, serialize: bool = False, lane: bool = False) -> Any:
    """`lane`: with the stand-in, an ordinary POST /api/chat is answered by the chat fast lane
    (adapters/web/chat_lane.py) in front of Flask, as `zyn run`'s app does; else by Flask's route."""
    sys.path.insert(0, ROOT)
    from flask import Flask

    from adapters.channels.settings import ChannelSettings
    from adapters.channels.web_chat import web_blueprint
    from adapters.channels.web_session import SignInThrottle
    from adapters.web.chat_lane import chat_lane_for
    from bot.settings import load_settings

    if not real:
        app = Flask("zyn-bench")
        guard, dispatcher = SignInThrottle(), StatusOnlyDispatcher()
        app.register_blueprint(web_blueprint(dispatcher, ChannelSettings(), throttle=guard))
        if lane:
            app.wsgi_app = chat_lane_for(app, dispatcher, "", guard)  # type: ignore[method-assign]
        return app
    from adapters.channels.web_chat import make_blueprint
    from bot.wiring.app import build_zyn

    db = os.path.join(tempfile.mkdtemp(prefix="zyn-bench-"), "bench.db")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "PAPER_FEED": os.environ.get("PAPER_FEED", "replay"),
        "PAPER_DATA": os.environ.get("PAPER_DATA", os.path.join(ROOT, "..", "shared", "data", "kraken")),
    }
    zyn = build_zyn(load_settings(env))
    if serialize:
        zyn.dispatcher = SerializedDispatcher(zyn.dispatcher)
    app = Flask("zyn-bench")
    app.register_blueprint(make_blueprint(zyn))
    return app


def serve(port_out: Any, stop: Any, real: bool, threads: int, serialize: bool, lane: bool = False) -> None:
    """Child process: waitress on 127.0.0.1:<free port> until `stop` is set."""
    import logging

    from loguru import logger

    logger.remove()  # one log line per request would measure the terminal, not Zyn

    from waitress.server import create_server

    logging.getLogger("waitress").setLevel(logging.ERROR)  # "Task queue depth" chatter

    server = create_server(
        build_app(real, serialize, lane), host="127.0.0.1", port=0, threads=threads, channel_timeout=30
    )
    port_out.put(server.effective_port)
    threading.Thread(target=server.run, daemon=True).start()
    stop.wait()
    server.close()


@dataclass
class Results:
    latencies_ms: list[float] = field(default_factory=list)  # from the due time
    service_ms: list[float] = field(default_factory=list)  # from the actual send
    errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def client(port: int, due: list[float], next_index: Any, results: Results) -> None:
    """One keep-alive connection; takes the next due request until none are left."""
    body = json.dumps({"message": "status"}).encode()
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    while (i := next_index()) < len(due):
        delay = due[i] - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        start = time.perf_counter()
        try:
            conn.request("POST", "/api/chat", body=body, headers=headers)
            resp = conn.getresponse()
            ok = resp.status == 200 and b'"reply"' in resp.read()
        except (OSError, http.client.HTTPException):
            ok = False
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        end = time.perf_counter()
        with results.lock:
            if ok:
                results.latencies_ms.append((end - due[i]) * 1000)
                results.service_ms.append((end - start) * 1000)
            else:
                results.errors += 1
    conn.close()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run_load(port: int, rate: float, seconds: float, nthreads: int) -> tuple[Results, float]:
    total = int(rate * seconds)
    t0 = time.perf_counter() + 0.2
    due = [t0 + i / rate for i in range(total)]
    counter, lock = iter(range(total + nthreads)), threading.Lock()

    def next_index() -> int:
        with lock:
            return next(counter)

    results = Results()
    threads = [
        threading.Thread(target=client, args=(port, due, next_index, results)) for _ in range(nthreads)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    return results, time.perf_counter() - t0


def replay_env(tmp: str) -> dict[str, str]:
    """The environment of a benched `zyn run`: paper replay of the shared Kraken candles on a fresh
    SQLite file in `tmp`, none of the caller's Zyn or channel settings (bench/import_memory.py too)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZYN_", "TELEGRAM_", "SLACK_", "TWILIO_"))}
    env.update({
        "DATABASE_URL": f"sqlite:///{os.path.join(tmp, 'bench.db')}",
        "PAPER_FEED": "replay",
        "PAPER_DATA": os.environ.get("PAPER_DATA", os.path.join(ROOT, "..", "shared", "data", "kraken")),
        "ZYN_LOG_LEVEL": "WARNING", "PAPER_SPEED": os.environ.get("PAPER_SPEED", "720"),
    })
    return env


def start_zyn_run(tmp: str, code: str = "") -> tuple[Any, int]:
    """A real `zyn run` on a free loopback port; returns (process, port) once /healthz answers.
    `code`: a directory whose packages come first on the process's path (`--baseline`)."""
    import socket
    import subprocess
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    env = replay_env(tmp)
    if code:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (code, env.get("PYTHONPATH", "")) if p)
    zyn = os.path.join(os.path.dirname(sys.executable), "zyn")
    log = open(os.path.join(tmp, "zyn-run.log"), "wb")  # noqa: SIM115 - lives as long as the process
    proc = subprocess.Popen([zyn, "run", "--host", "127.0.0.1", "--port", str(port)], cwd=tmp, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"zyn run exited with {proc.returncode}; see {tmp}/zyn-run.log")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:  # noqa: S310
                if resp.status in (200, 503):
                    return proc, port
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise SystemExit("zyn run did not answer /healthz within 120 s")


def spin() -> None:
    """`--busy`: the CPU-bound neighbour (a pure-Python loop on one core) until killed."""
    n = 0
    while True:
        n = (n * 31 + 7) % 1_000_003


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_cpu(pid: int) -> dict[int, float]:
    """User + system CPU so far of each thread of a process, by native thread id (Linux /proc)."""
    out: dict[int, float] = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        out[int(tid)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def thread_names(pid: int) -> dict[int, str]:
    """Python thread names by native id, from `py-spy dump` (a diagnostic tool installed beside this
    Python by hand, not a dependency of Zyn: `--by-thread` says so when it is missing)."""
    import re
    import subprocess

    spy = os.path.join(os.path.dirname(sys.executable), "py-spy")
    if not os.path.exists(spy):
        return {}
    dump = subprocess.run([spy, "dump", "--nonblocking", "--pid", str(pid)], capture_output=True, text=True,
                          check=False).stdout
    return {int(m.group(1)): m.group(2) for m in re.finditer(r'Thread (\d+) \(\w+\): "([^"]+)"', dump)}


def by_thread(before: dict[int, float], after: dict[int, float], names: dict[int, str], replies: int) -> str:
    """CPU per request of each kind of thread ("waitress-3" counts as "waitress"), biggest first."""
    import re

    groups: dict[str, float] = {}
    for tid, cpu in after.items():
        name = names.get(tid, "?")
        kind = re.sub(r"[-_\d]+$", "", name) or name
        groups[kind] = groups.get(kind, 0.0) + cpu - before.get(tid, 0.0)
    labels = {"MainThread": "MainThread (waitress's socket loop)", "waitress": "waitress request threads"}
    return ", ".join(f"{labels.get(k, k)} {v / max(1, replies) * 1000:.3f}"
                     for k, v in sorted(groups.items(), key=lambda kv: -kv[1]) if v > 0)


def settle(pid: int, busy_share: float = 0.05, limit_s: float = 180.0) -> float:
    """Wait until the process uses under `busy_share` of a core over one second (its start-up work
    — the kernel's compile and warm, the classifier — is done), at most `limit_s`; returns the seconds
    waited. Without it the "without requests" window can hold start-up CPU and hide the background."""
    start = time.monotonic()
    while time.monotonic() - start < limit_s:
        before = cpu_seconds(pid)
        time.sleep(1.0)
        if cpu_seconds(pid) - before < busy_share:
            break
    return time.monotonic() - start


def say(port: int, text: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/api/chat", body=json.dumps({"message": text}),
                     headers={"Content-Type": "application/json"})
        return str(json.loads(conn.getresponse().read().decode())["reply"])
    finally:
        conn.close()


def open_positions(port: int, count: int, pairs: tuple[str, ...] = ("BTC", "ETH")) -> int:
    """Buy `count` small positions through chat (price, buy with a stop 10 % under, yes).

    The replay feed needs a candle before there is a price, so the first asks are retried."""
    import re

    deadline, opened = time.monotonic() + 90, 0
    while opened < count and time.monotonic() < deadline:
        base = pairs[opened % len(pairs)]
        m = re.search(r"is at ([\d,]+(?:\.\d+)?)", say(port, f"price {base}"))
        if m is None:
            time.sleep(0.5)
            continue
        price = float(m.group(1).replace(",", ""))
        echo = say(port, f"buy {50 / price:.4f} {base} sl {price * 0.9:.6g}")
        if "yes" not in echo.lower():
            raise SystemExit(f"could not open a position: {echo[:200]}")
        say(port, "yes")
        opened += 1
    return opened


def count_rows(tmp: str) -> dict[str, int]:
    """Rows the run wrote (audit, conversation), to check no message was lost."""
    import sqlite3

    con = sqlite3.connect(os.path.join(tmp, "bench.db"))
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: int(con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0])  # noqa: S608 - table names from sqlite
                for t in tables if any(k in t.lower() for k in ("audit", "conversation", "message", "chat"))}
    finally:
        con.close()


def export_code(rev: str, into: str) -> str:
    """`rev`'s core, bot, adapters and scheduler in `into`; returns `rev`'s short hash."""
    import subprocess

    archive = subprocess.run(["git", "-C", ROOT, "archive", rev, "core", "bot", "adapters", "scheduler"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", rev], check=True,
                          capture_output=True, text=True).stdout.strip()


def main_ab(args: argparse.Namespace) -> int:
    """`--baseline REV`: REV's code and this tree alternately, `--rounds` times each."""
    code_dir = tempfile.mkdtemp(prefix="zyn-chat-baseline-")
    base = export_code(args.baseline, code_dir)
    rc = 0
    for n in range(1, args.rounds + 1):
        for label, code in ((f"baseline {args.baseline} ({base})", code_dir), ("this tree", "")):
            print(f"== round {n}: {label}; load average {os.getloadavg()}", flush=True)
            rc |= main_process(args, code)
    return rc


def main_process(args: argparse.Namespace, code_dir: str = "") -> int:
    tmp = tempfile.mkdtemp(prefix="zyn-chat-bench-")
    proc, port = start_zyn_run(tmp, code_dir)
    busy: Any = None
    try:
        opened = open_positions(port, args.positions) if args.positions else 0
        positions = say(port, "status").split("position(s)")[0].rsplit(",", 1)[-1].strip()
        run_load(port, 20, 0.5, 4)  # warm-up
        time.sleep(0.6)  # the chat journal stores rows within 250 ms (issue 20.1): count after it did
        before = count_rows(tmp)
        settled = settle(proc.pid)
        if args.busy:
            busy = mp.get_context("spawn").Process(target=spin, daemon=True)
            busy.start()
        names = thread_names(proc.pid) if args.by_thread else {}
        idle0 = cpu_seconds(proc.pid)  # the same seconds without requests: its scheduler and replay
        time.sleep(args.seconds)
        idle = cpu_seconds(proc.pid) - idle0
        cpu0, threads0 = cpu_seconds(proc.pid), thread_cpu(proc.pid)
        results, elapsed = run_load(port, args.rate, args.seconds, args.threads)
        cpu, threads1 = cpu_seconds(proc.pid) - cpu0, thread_cpu(proc.pid)
    finally:
        if busy is not None:
            busy.terminate()
            busy.join(10)
        proc.terminate()
        proc.wait(30)
    after = count_rows(tmp)
    code = report(results, elapsed, args)
    print(f"  positions opened: {opened} (status says {positions}); busy neighbour: {'yes' if args.busy else 'no'}")
    replies = max(1, len(results.latencies_ms))
    print(f"  server CPU: {cpu:.2f} s for {len(results.latencies_ms)} replies = "
          f"{cpu / replies * 1000:.2f} ms per request (includes its scheduler and replay)")
    print(f"  server CPU without requests over the same {args.seconds:g} s before (after {settled:.0f} s for its "
          f"start-up work to end): {idle:.2f} s; the difference per request: "
          f"{max(0.0, cpu - idle) / replies * 1000:.2f} ms")
    if args.by_thread:
        print(f"  server CPU per request by thread (ms): {by_thread(threads0, threads1, names, replies)}"
              + ("" if names else " (names need py-spy beside this Python: pip install py-spy)"))
    written = {t: after[t] - before.get(t, 0) for t in after}
    print(f"  rows written during the load: {written} (replies: {len(results.latencies_ms)})")
    return code


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=200.0, help="requests per second (default 200)")
    ap.add_argument("--seconds", type=float, default=10.0, help="duration (default 10)")
    ap.add_argument("--threads", type=int, default=16, help="client connections (default 16)")
    ap.add_argument("--server-threads", type=int, default=8, help="waitress threads (default 8)")
    ap.add_argument("--stub", action="store_true", help="stand-in dispatcher with a fixed reply")
    ap.add_argument("--in-process", dest="real", action="store_true",
                    help="bot.wiring.app.build_zyn's blueprint in a child process instead of `zyn run`")
    ap.add_argument("--serialize", action="store_true", help="with --in-process: one dispatch at a time")
    ap.add_argument("--positions", type=int, default=5, help="positions opened before the load (real path)")
    ap.add_argument("--busy", action="store_true", help="a CPU-bound neighbour process during the load")
    ap.add_argument("--check", action="store_true", help=f"exit 1 unless p99 < {TARGET_P99_MS:g} ms")
    ap.add_argument("--baseline", default="", help="real path: a git revision measured alternately with this tree")
    ap.add_argument("--rounds", type=int, default=3, help="with --baseline: rounds of the pair (default 3)")
    ap.add_argument("--by-thread", action="store_true",
                    help="real path: the server's CPU per request split by thread (names from py-spy)")
    args = ap.parse_args(argv)
    if args.rate <= 0 or args.seconds <= 0 or args.threads < 1:
        print("rate, seconds and threads must be positive", file=sys.stderr)
        return 2
    args.process = not args.stub and not args.real
    if args.process:
        return main_ab(args) if args.baseline else main_process(args)
    ctx = mp.get_context("spawn")
    port_q, stop = ctx.Queue(), ctx.Event()
    proc = ctx.Process(
        target=serve, args=(port_q, stop, args.real, args.server_threads, args.serialize), daemon=True
    )
    proc.start()
    try:
        port = port_q.get(timeout=60)
        run_load(port, 20, 0.5, 4)  # warm-up: imports, first requests, matplotlib-free path
        results, elapsed = run_load(port, args.rate, args.seconds, args.threads)
    finally:
        stop.set()
        proc.join(10)
    return report(results, elapsed, args)


def report(results: Results, elapsed: float, args: argparse.Namespace) -> int:
    lat, svc = results.latencies_ms, results.service_ms
    p99 = pct(lat, 0.99)
    kind = ("real `zyn run` process" if getattr(args, "process", False) else
            "real, in-process" if args.real else "stand-in") + (", serialized" if args.serialize else "")
    print(
        f"POST /api/chat 'status' ({kind} dispatcher), "
        f"target {args.rate:g} req/s "
        f"for {args.seconds:g} s, {args.threads} client connections, waitress threads={args.server_threads}"
    )
    print(f"  replies: {len(lat)} ok, {results.errors} errors, {len(lat) / elapsed:.1f} replies/s")
    print(
        f"  latency from due time (ms): p50 {pct(lat, 0.5):.2f}  p90 {pct(lat, 0.9):.2f}  "
        f"p99 {p99:.2f}  max {max(lat, default=float('nan')):.2f}"
    )
    print(f"  service time (ms):          p50 {pct(svc, 0.5):.2f}  p99 {pct(svc, 0.99):.2f}")
    ok = p99 < TARGET_P99_MS and results.errors == 0
    print(f"  target p99 < {TARGET_P99_MS:g} ms: {'PASS' if ok else 'FAIL'}; load average {os.getloadavg()}")
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
