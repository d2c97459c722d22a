"""`zyn run` as a process: replay real candles, serve /healthz and /api/status, trade, stop
cleanly on SIGTERM — and a second process on the same database does not run the scheduler."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from sqlmodel import Session, func, select

from core.telemetry.db import make_engine
from core.telemetry.models import DecisionRow
from tests.ports import free_port


def get(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def start(tmp_path: Path, data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
           "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "360000", "ZYN_LOG_LEVEL": "WARNING"}
    return subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_healthy(port: int, deadline_s: float = 60, scheduled: bool = False) -> dict[str, Any]:
    """The first 200 from /healthz; with `scheduled`, the first once the owner's scheduler runs
    (the page answers while `zyn run` still reconciles, before its scheduler has started)."""
    end = time.time() + deadline_s
    while time.time() < end:
        try:
            code, body = get(f"http://127.0.0.1:{port}/healthz")
            if code == 200 and (not scheduled or body["scheduler"].get("running")):
                return dict(body)
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("zyn run did not become healthy")


def test_zyn_run_replays_trades_and_stops_cleanly(tmp_path: Path, data_dir: Path) -> None:
    port, port2 = free_port(), free_port()
    first = start(tmp_path, data_dir, port)
    second = None
    try:
        health = wait_healthy(port, scheduled=True)
        assert health["scheduler"]["owner"] and health["market_data"]["kind"] == "replay"
        db = make_engine(f"sqlite:///{tmp_path}/zyn.db")
        end = time.time() + 60
        while time.time() < end:
            with Session(db) as s:
                if s.exec(select(func.count()).select_from(DecisionRow)).one() > 50:
                    break
            time.sleep(0.5)
        code, snap = get(f"http://127.0.0.1:{port}/api/status")
        assert code == 200 and snap["mode"] == "paper" and snap["autopilot"]["running"]
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
               "PAPER_DATA": str(data_dir / "kraken"), "ZYN_LOG_LEVEL": "ERROR"}
        cli = subprocess.run([sys.executable, "-m", "bot", "status", "--json"], cwd=tmp_path, env=env,
                             capture_output=True, text=True, timeout=120)
        assert json.loads(cli.stdout)["autopilot"]["running"]  # another process sees the live scheduler
        second = start(tmp_path, data_dir, port2)
        other = wait_healthy(port2)
        assert other["role"] == "standby" and other["owner"]["serving"]  # one owner per database
        assert health["role"] == "owner"
    finally:
        for proc in (second, first):
            if proc is not None:
                proc.send_signal(signal.SIGTERM)
    # communicate, not wait: the pipes are drained and a failed stop shows its stderr
    _, err = first.communicate(timeout=30)
    assert first.returncode == 0, err[-3000:]
    assert second is not None
    _, err = second.communicate(timeout=30)
    assert second.returncode == 0, err[-3000:]
