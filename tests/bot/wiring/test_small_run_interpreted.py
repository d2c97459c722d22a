"""A small live run never loads numba (issue 20.5): `zyn run`'s composition root on a replay of two
real pairs, the start-up warm, the autopilot through two days of closes and the evidence gate's
record extended close by close all run the kernel interpreted (core/kernel/flavour.py), so LLVM's
~120 MB is never mapped. Run in a fresh interpreter: this test process's own imports do not count."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import shared_data

ROOT = Path(__file__).resolve().parents[3]

SCRIPT = """
import json, sys
from loguru import logger
logger.remove()
from bot.wiring.app import build_zyn
from bot.wiring.warm import warm_compiled
from core.config import load_settings
from core.kernel.signal import KernelSma20Atr
zyn = build_zyn(load_settings({"DATABASE_URL": "sqlite:///%(db)s", "PAPER_FEED": "replay", "PAPER_DATA": "%(data)s",
                               "ZYN_TIMEFRAME": "1h", "ZYN_FEATURES": "mtf,profit_target"}))
pairs = sorted(zyn.trading.markets)
warmed = warm_compiled(KernelSma20Atr(), zyn.trading.markets[pairs[0]], zyn.trading.cfg, "1h")
hour = 3_600_000
start = zyn.replay.start_ms() + 1_500 * hour  # ~2 months of history behind the first close
zyn.replay.skip_until(start)
for k in range(48):
    zyn.replay.step(start + (k + 1) * hour)
live = zyn.autopilot.evidence.__self__
trades = {p: len(live.source.trades(p, start + 48 * hour)) for p in pairs}
print(json.dumps({"warmed": warmed, "ticks": zyn.replay.ticks, "trades": trades, "pairs": pairs,
                  "kernel": "core.kernel.loop" in sys.modules, "numba": "numba" in sys.modules,
                  "llvmlite": "llvmlite" in sys.modules}))
zyn.close()
"""


def test_two_replayed_pairs_through_two_days_of_closes_run_the_kernel_without_numba(tmp_path: Path) -> None:
    code = SCRIPT % {"db": tmp_path / "z.db", "data": shared_data() / "kraken"}
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-1500:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["warmed"] and got["kernel"] and got["ticks"] >= 2 * 48  # the kernel ran: both pairs, every close
    assert len(got["pairs"]) == 2 and all(n > 0 for n in got["trades"].values()), got  # the evidence record too
    assert not got["numba"] and not got["llvmlite"], got
