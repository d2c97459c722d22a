"""The composition root picks the kernel's flavour for the universe the autopilot will step (issue
20.4, session 7; bot/wiring/kernel_flavour.py): a universe of 250 pairs at 4h (each warmed from the
autopilot's 200 candles: 50,000 candles at its first close) gets the compiled flavour in its
strategy and its evidence records, and in a real process the start-up warm loads numba up front and
the first close runs compiled; the same files with the universe off (ZYN_PAIRS: two pairs) or capped
at the module's default 30 pairs get no flavour (each call by its own work: a two-pair run never
loads numba, tests/bot/wiring/test_small_run_interpreted.py). LOAD DATA (tests/fakes/load_pairs.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bot.wiring.app import Zyn, build_zyn
from bot.wiring.modules import refresh_universe
from core.config import load_settings
from tests.fakes.load_pairs import SOURCE, generate

pytestmark = pytest.mark.skipif(not SOURCE.exists(), reason="shared data not present")

ROOT = Path(__file__).resolve().parents[3]
PAIRS = 250  # x 200 candles = COMPILE_FROM
FOUR_H = 4 * 3_600_000


def _env(tmp: Path, data: Path, **extra: str) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite:///{tmp}/zyn.db", "PAPER_FEED": "replay", "PAPER_DATA": str(data),
            "ZYN_TIMEFRAME": "4h", "ZYN_UNIVERSE_MIN_VOLUME_USD": "0", "ZYN_UNIVERSE_MIN_PRICE": "0",
            "ZYN_UNIVERSE_MIN_HISTORY": "0", **extra}


def _flavours(zyn: Zyn) -> tuple[object, object]:
    """The flavour of the autopilot's strategy and of the evidence gate's records."""
    assert zyn.evidence is not None
    return zyn.autopilot.strategy.flavour, zyn.evidence.source.flavour  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def load_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("load")
    generate(data, PAIRS, rows=260)
    return data


@pytest.mark.parametrize(("extra", "expected"), [
    ({"ZYN_FEATURES": "universe", "ZYN_UNIVERSE_MAX_PAIRS": str(PAIRS)}, "compiled"),
    ({"ZYN_FEATURES": "universe"}, None),  # the universe's default cap: 30 pairs
    ({"ZYN_FEATURES": "mtf", "ZYN_PAIRS": "LAA/USD,LAB/USD"}, None),  # no universe: ZYN_PAIRS
])
def test_the_root_gives_a_big_universe_the_compiled_flavour_and_a_small_one_none(
    tmp_path: Path, load_data: Path, extra: dict[str, str], expected: str | None
) -> None:
    zyn = build_zyn(load_settings(_env(tmp_path, load_data, **extra)))
    try:
        assert _flavours(zyn) == (expected, expected)
    finally:
        zyn.close()


SCRIPT = """
import json, sys
from loguru import logger
logger.remove()
from bot.wiring.app import build_zyn
from bot.wiring.modules import refresh_universe
from bot.wiring.warm import warm_compiled
from core.config import load_settings
zyn = build_zyn(load_settings(%(env)r))
numba_at_build = "numba" in sys.modules
pairs = sorted(zyn.trading.markets)
warmed = warm_compiled(zyn.autopilot.strategy, zyn.trading.markets[pairs[0]], zyn.trading.cfg, "4h")  # zyn run's warm
numba_after_warm = "numba" in sys.modules
start = zyn.replay.start_ms() + 230 * %(four_h)d
zyn.replay.skip_until(start)
traded = refresh_universe(zyn)
zyn.replay.step(start + %(four_h)d)
from core.kernel import compiled
print(json.dumps({"numba_at_build": numba_at_build, "warmed": warmed, "numba_after_warm": numba_after_warm,
                  "traded": len(traded), "ticks": zyn.replay.ticks,
                  "steps": len(compiled.live_step.signatures), "warms": len(compiled.live_warm.signatures),
                  "loops": len(compiled.run_loop.signatures)}))
zyn.close()
"""


def test_a_big_universe_loads_the_compiled_kernel_up_front_and_steps_every_pair_with_it(
    tmp_path: Path, load_data: Path
) -> None:
    env = _env(tmp_path, load_data, ZYN_FEATURES="universe", ZYN_UNIVERSE_MAX_PAIRS=str(PAIRS))
    code = SCRIPT % {"env": env, "four_h": FOUR_H}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, timeout=600)
    assert out.returncode == 0, out.stderr[-1500:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert not got["numba_at_build"], got  # building loads nothing: the warm (zyn run) or the first close does
    assert got["warmed"] and got["numba_after_warm"], got
    assert got["traded"] == PAIRS and got["ticks"] > PAIRS // 2, got  # the pairs with a candle at that close decided
    assert got["steps"] and got["warms"] and got["loops"], got  # ... by the compiled kernel


def test_the_universe_job_tells_the_evidence_gate_every_pair_before_their_first_close(
    tmp_path: Path, load_data: Path
) -> None:
    """So the first close evaluates the universe once, not once per pair joining (issue 20.4 s7)."""
    env = _env(tmp_path, load_data, ZYN_FEATURES="universe", ZYN_UNIVERSE_MAX_PAIRS=str(PAIRS))
    zyn = build_zyn(load_settings(env))
    try:
        assert zyn.evidence is not None
        before = set(zyn.evidence.pairs)
        assert zyn.replay is not None
        zyn.replay.skip_until(zyn.replay.start_ms() + 230 * FOUR_H)  # the universe ranks pairs by their candles
        traded = refresh_universe(zyn)
        assert len(traded) == PAIRS and set(traded) <= set(zyn.evidence.pairs)
        assert not set(traded) <= before  # the universe's pairs were not known before the job
    finally:
        zyn.close()
