"""Issue 20.1 on a real `zyn run`: the status snapshot is a held object, and the events that change
it show in the very next read — a buy filled through chat, the position closed, a pause and a
resume — in /api/status and in the chat `status` reply alike (one source, no stale figure)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from tests.bot.cli.test_run_process import free_port, get, wait_healthy


def _say(port: int, text: str) -> str:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/chat", data=json.dumps({"message": text}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback
        return str(json.loads(resp.read())["reply"])


def _status(port: int) -> dict[str, Any]:
    code, snap = get(f"http://127.0.0.1:{port}/api/status")
    assert code == 200
    return dict(snap)


def _btc(snap: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in snap["positions"] if p["pair"] == "BTC/USD"]


def test_the_next_status_shows_a_fill_a_close_and_a_pause(tmp_path: Path, data_dir: Path) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
           "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "720", "ZYN_LOG_LEVEL": "WARNING"}
    run = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=tmp_path, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(port, scheduled=True)
        end, price = time.monotonic() + 60, None
        while price is None and time.monotonic() < end:  # the replay's first candle brings a price
            m = re.search(r"is at ([\d,]+(?:\.\d+)?)", _say(port, "price BTC"))
            price = float(m.group(1).replace(",", "")) if m else time.sleep(0.5)
        assert price is not None
        before = _status(port)
        assert _btc(before) == [] and "BTC" not in before["balances"]
        for _ in range(3):  # held: read again and again before the event
            _status(port)
            _say(port, "status")

        assert "yes" in _say(port, f"buy 0.001 BTC sl {price * 0.9:.6g}").lower()
        _say(port, "yes")
        snap = _status(port)  # the very next read
        (row,) = _btc(snap)
        assert row["amount"] == 0.001 and snap["balances"]["BTC"] == 0.001
        assert f"{len(snap['positions'])} position(s)" in _say(port, "status")

        assert "yes" in _say(port, "close my BTC position").lower()
        _say(port, "yes")
        snap = _status(port)
        assert _btc(snap) == [] and "BTC" not in snap["balances"]
        assert f"{len(snap['positions'])} position(s)" in _say(port, "status")

        if "yes" in _say(port, "pause").lower():  # a money-state change waits for yes
            _say(port, "yes")
        assert _status(port)["autopilot"]["running"] is False
        assert "pause" in _status(port)["autopilot"]["paused_reason"].lower()
        if "yes" in _say(port, "resume").lower():
            _say(port, "yes")
        assert "pause" not in str(_status(port)["autopilot"]["paused_reason"]).lower()
    finally:
        run.terminate()
        run.wait(30)
