"""`zyn chat` as a client of a running owner, against a bare Python start, in one run (issue 22.6).

    .venv/bin/python bench/chat_client.py [--runs 10] [--data ../shared/data/kraken]

Starts a real `zyn run` (paper, replay of real candles, throw-away SQLite file, free loopback
port), waits until its scheduler runs, then times, alternately so both see the same machine load,
`python -c pass` and `python -m bot chat "status"` (a full round trip: process start, imports,
finding the owner, the HTTP request, the owner's dispatcher, printing). Prints the median and the
best of each and their ratio. Goal: the client within ~6x a bare Python start.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_scheduled(port: int, deadline_s: float = 120) -> None:
    import json

    end = time.time() + deadline_s
    while time.time() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:  # noqa: S310
                if json.loads(resp.read())["scheduler"].get("running"):
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("zyn run did not start")


def timed(cmd: list[str], cwd: str, env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)  # noqa: S603
    elapsed = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"{cmd[1:]} failed: {done.stderr.strip()[-300:]}")
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "kraken"))
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="zyn-chat-client-")
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}/zyn.db", "PAPER_FEED": "replay", "PAPER_DATA": args.data,
           "PAPER_SPEED": "3600", "ZYN_LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    owner = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=tmp, env=env,  # noqa: S603
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_scheduled(port)
        client_env = {**env, "ZYN_LOG_LEVEL": "ERROR"}
        timed([sys.executable, "-m", "bot", "chat", "status"], tmp, client_env)  # warm the OS file cache
        bare, chat = [], []
        for _ in range(args.runs):
            bare.append(timed([sys.executable, "-c", "pass"], tmp, client_env))
            chat.append(timed([sys.executable, "-m", "bot", "chat", "status"], tmp, client_env))
    finally:
        owner.send_signal(signal.SIGTERM)
        owner.wait(timeout=60)
    b, c = statistics.median(bare), statistics.median(chat)
    print(f"runs: {args.runs} each, alternating; owner: zyn run (replay) on 127.0.0.1:{port}")
    print(f"python -c pass           median {b * 1000:7.1f} ms   best {min(bare) * 1000:7.1f} ms")
    print(f"zyn chat status (client) median {c * 1000:7.1f} ms   best {min(chat) * 1000:7.1f} ms")
    print(f"ratio (median): {c / b:.1f}x   (goal: within ~6x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
