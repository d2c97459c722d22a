"""`zyn run` serves the web while it reconciles with a slow exchange; status says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from adapters.sim_exchange.server import Fault
from tests.bot.cli.test_run_process import free_port, get
from tests.bot.wiring.test_app_modes_sim import account_env, build, kraken_sim, say


def test_the_page_answers_while_reconciling(tmp_path: Path, data_dir: Path) -> None:
    with kraken_sim(tmp_path, data_dir) as sim:
        first = build({**account_env(tmp_path, sim, "live"), "ZYN_LIVE_CONFIRM": "yes"})
        try:  # a position with its stop: something for the next start to reconcile
            say(first, f"buy 0.01 btc sl {int(sim.price('BTC/USD') * 95 / 100)}")
            assert say(first, "yes").text.startswith("Bought")
        finally:
            first.close()
        sim.sim.app.config["FAULTS"] = [Fault(m, "delay", delay_s=2.0, times=3)
                                        for m in ("QueryOrders", "BalanceEx", "OpenOrders", "ClosedOrders")]
        port = free_port()
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "ZYN_MODE": "live",
               "ZYN_LIVE_CONFIRM": "yes", "KRAKEN_API_URL": sim.url, "KRAKEN_API_KEY": sim.sim.api_key,
               "KRAKEN_API_SECRET": sim.sim.api_secret, "ZYN_PAIRS": "BTC/USD", "ZYN_LOG_LEVEL": "WARNING"}
        proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=tmp_path,
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        seen: list[dict[str, object]] = []
        try:
            end = time.monotonic() + 60
            while time.monotonic() < end and proc.poll() is None:
                try:
                    code, body = get(f"http://127.0.0.1:{port}/healthz")
                except OSError:
                    time.sleep(0.1)
                    continue
                seen.append(body)
                if body["scheduler"]["running"] and any(b.get("reconciling") for b in seen):  # type: ignore[index]
                    break
                time.sleep(0.1)
        finally:
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=60)
        assert any(b.get("reconciling") for b in seen), (seen[-3:], err[-1500:])
        assert not seen[-1].get("reconciling") and seen[-1]["scheduler"]["running"]  # type: ignore[index]
