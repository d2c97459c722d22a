"""A folder backtest fanned out to a real Dask cluster — a `dask scheduler` and two `dask worker`
processes on loopback — gives exactly the single-process result."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bot.cli.test_cli import run
from tests.bot.dask_cluster import free_port
from tests.conftest import shared_data


def test_dask_cluster_gives_the_single_process_result(tmp_path: Path, dask_cluster: str) -> None:
    src = shared_data() / "binance"
    if not src.is_dir():
        pytest.fail(f"real candles not found at {src} (set ZYN_SHARED_DATA)")
    folder = tmp_path / "pairs"
    folder.mkdir()
    for name in ("BTC", "ETH", "SOL", "XRP"):
        f = src / f"BINANCE_{name}-USDT_1h.csv"
        (folder / f.name).symlink_to(f)
    single = run(["backtest", "--data", str(folder), "--json"], tmp_path)
    assert single.returncode == 0, single.stderr
    spread = run(["backtest", "--data", str(folder), "--json"], tmp_path, ZYN_DASK_SCHEDULER=dask_cluster)
    assert spread.returncode == 0, spread.stderr
    a, b = json.loads(single.stdout), json.loads(spread.stdout)
    assert a["engine"] == "single-process" and b["engine"] == dask_cluster

    def strip(rows: list[dict[str, object]]) -> list[dict[str, object]]:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]

    assert strip(b["pairs"]) == strip(a["pairs"]) and len(a["pairs"]) == 4
    assert {k: v for k, v in b["totals"].items() if k != "seconds"} == \
        {k: v for k, v in a["totals"].items() if k != "seconds"}


def test_unreachable_scheduler_is_one_line_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "pairs"
    folder.mkdir()
    src = shared_data() / "kraken_small" / "KRAKEN_ETH-BTC_1h.csv"
    (folder / src.name).symlink_to(src)
    out = run(["backtest", "--data", str(folder)], tmp_path, ZYN_DASK_SCHEDULER=f"tcp://127.0.0.1:{free_port()}")
    assert out.returncode == 2, out.stderr
    assert "ZYN_DASK_SCHEDULER" in out.stderr and out.stderr.count("\n") == 1
