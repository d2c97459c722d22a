"""`zyn run` as a process with the modules on: /healthz lists every guarded component with its
last heartbeat, and SIGTERM still stops it cleanly (exit 0: the watchdog did not give up)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.bot.cli.test_run_process import free_port, get, wait_healthy


def test_healthz_lists_components_with_heartbeats(tmp_path: Path, data_dir: Path) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
           "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "360000", "ZYN_LOG_LEVEL": "WARNING",
           "ZYN_FEATURES": "universe,mtf,profit_target", "ZYN_TIMEFRAME": "4h"}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_healthy(port)
        end, components = time.time() + 60, {}
        while time.time() < end:
            components = get(f"http://127.0.0.1:{port}/healthz")[1]["components"]
            if components.get("job:replay", {}).get("last_heartbeat_ms"):
                break
            time.sleep(0.3)
        # the learning and report jobs run on the replay's clock inside job:replay (issue 17.8)
        assert {"job:replay", "job:status_sync", "job:universe"} <= set(components)
        assert components["job:replay"]["state"] == "ok" and components["job:replay"]["last_heartbeat_ms"] > 0
    finally:
        proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
