"""Modes (README "Modes — paper, validate, live"), as jimmy switches them: `zyn run` in one mode,
stopped, started again in another on the same `var/zyn.db`.

Seen in a fresh clone: a live `zyn run` killed and restarted from a terminal without its variables
became a paper owner, whose reconcile closed the live trade as `missing` (the coins and the stop
stayed on the exchange). Now a mode that is not the open trades' refuses in one line, exit 2, for
`zyn run` and for a terminal command owning the money alike.
"""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from pathlib import Path

from tests.readme.jimmy import free_port, offline, run, zyn

LIVE = {"ZYN_MODE": "live", "ZYN_LIVE_CONFIRM": "yes", "KRAKEN_API_KEY": "k", "KRAKEN_API_SECRET": "c2VjcmV0"}


def _serving(port: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 120
    while True:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if json.load(r).get("role") == "owner":
                    return
        except OSError:
            pass
        assert time.monotonic() < deadline, "zyn run never served"
        time.sleep(0.3)


def _open_a_paper_trade(folder: Path, data_dir: Path) -> None:
    """`zyn run` on replayed candles, then `zyn chat "buy 0.01 BTC/USD sl 1000"` and `yes` from a terminal."""
    env = offline(PAPER_FEED="replay", PAPER_DATA=str(data_dir / "kraken" / "KRAKEN_BTC-USD_1h.csv"),
                  ZYN_PAIRS="BTC/USD", PAPER_SPEED="600")  # an hour's candle every 6 s
    port = free_port()
    proc = subprocess.Popen([*zyn(), "run", "--port", str(port)], cwd=folder, env=env, text=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _serving(port, proc)
        deadline = time.monotonic() + 120
        while run(["chat", "price BTC"], folder, env).returncode != 0:  # the first replayed close
            assert time.monotonic() < deadline, "no price from the replay"
        asked = run(["chat", "buy 0.01 BTC/USD sl 1000"], folder, env)  # no ATR yet: a stop far below
        assert "please confirm" in asked.stdout, asked.stdout + asked.stderr
        done = run(["chat", "yes"], folder, env)
        assert "Bought 0.01 BTC/USD" in done.stdout, done.stdout + done.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def test_another_mode_on_a_database_with_open_trades_is_refused(tmp_path: Path, data_dir: Path) -> None:
    _open_a_paper_trade(tmp_path, data_dir)
    for args in (["run", "--port", str(free_port())], ["chat", "status"]):
        out = run(args, tmp_path, offline(**LIVE), timeout=120)
        assert out.returncode == 2, out.stdout + out.stderr
        assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
        assert "1 open paper trade(s) (BTC/USD)" in out.stderr and "ZYN_MODE=paper" in out.stderr, out.stderr
