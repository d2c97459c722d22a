"""Paper mode mirrors the exchange (issue 21): `zyn universe --json` with PAPER_FEED=live against a
37-pair sim lists all 37 with a reason each, as validate mode does; the table never prints an
exponent. The pairs are generated LOAD DATA (tests/fakes/load_pairs.py) in the test's tmp dir.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from adapters.sim_exchange.runner import build_sim_exchange
from bot.cli.universe import format_universe
from tests.fakes.load_pairs import SOURCE, generate
from tests.fakes.sim_server import SimServer

pytestmark = pytest.mark.skipif(not SOURCE.exists(), reason="shared data not present")


@pytest.fixture
def sim37(tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    pairs = generate(tmp_path / "load", 37)
    sim = build_sim_exchange(str(tmp_path / "load"), "", "", {"USD": Decimal(10000)}, 60.0,
                             f"sqlite:///{tmp_path}/sim.db", tier="starter")
    server = SimServer(sim.app).start()
    try:
        yield server.url, pairs
    finally:
        server.stop()


def zyn_universe(tmp_path: Path, url: str, mode: str, *extra: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {**os.environ, "ZYN_LOG_LEVEL": "ERROR", "DATABASE_URL": f"sqlite:///{tmp_path}/{mode}.db",
           "ZYN_MODE": mode, "PAPER_FEED": "live", "KRAKEN_API_URL": url, "ZYN_FEATURES": "universe",
           "ZYN_PAIRS": "LAA/USD", "KRAKEN_API_KEY": "k", "KRAKEN_API_SECRET": "czNjcmV0"}
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "bot", "universe", *extra], capture_output=True, text=True,
                         env=env, timeout=300)
    return out, time.monotonic() - started


def test_paper_universe_on_live_prices_lists_every_exchange_pair_like_validate_mode(
    tmp_path: Path, sim37: tuple[str, list[str]]
) -> None:
    url, pairs = sim37
    paper, paper_s = zyn_universe(tmp_path, url, "paper", "--json")
    assert paper.returncode == 0, paper.stderr
    report = json.loads(paper.stdout)
    rows = {r["pair"]: r for r in report["universe"]}
    assert report["pairs"] == 37 and set(rows) == set(pairs)
    assert all(r["reason"] for r in rows.values())
    validate, validate_s = zyn_universe(tmp_path, url, "validate", "--json")
    assert validate.returncode == 0, validate.stderr
    assert {r["pair"]: (r["included"], r["reason"]) for r in json.loads(validate.stdout)["universe"]} == {
        p: (r["included"], r["reason"]) for p, r in rows.items()}
    again, again_s = zyn_universe(tmp_path, url, "paper", "--json")  # the history filter remembers
    assert again.returncode == 0 and json.loads(again.stdout)["universe"] == report["universe"]
    print(f"zyn universe --json, 37 pairs: paper {paper_s:.1f}s, validate {validate_s:.1f}s, "
          f"paper again {again_s:.1f}s")


def test_the_universe_table_never_prints_exponent_notation() -> None:
    rows = [{"pair": "LAB/USD", "included": False, "reason": "price below the minimum", "price": 1.783e-05,
             "volume_quote_24h": 12.0, "spread_pct": None},
            {"pair": "LAK/USD", "included": True, "reason": "#1 by 24h volume", "price": 43123.5,
             "volume_quote_24h": 1.5e9, "spread_pct": 0.01}]
    table = format_universe(rows, True)
    assert "0.00001783" in table and "43123.5" in table and "e-0" not in table and "e+" not in table
