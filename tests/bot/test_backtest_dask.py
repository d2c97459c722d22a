"""A folder backtest fanned out to a real Dask cluster — a `dask scheduler` and two `dask worker`
processes on loopback — gives exactly the single-process result."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bot.test_cli import run
from tests.conftest import shared_data

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    dask = str(Path(sys.executable).parent / "dask")
    return subprocess.Popen([dask, *args], stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=log.parent)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = [_start(["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                    tmp_path / "scheduler.log")]
    try:
        for n in range(2):
            procs.append(_start(["worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                 "--host", "127.0.0.1", "--name", f"w{n}"],
                                tmp_path / f"worker{n}.log"))
        _wait_for_workers(address, 2)
        yield address
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def _wait_for_workers(address: str, n: int) -> None:
    from distributed import Client

    deadline = time.monotonic() + 90
    while True:
        try:
            with Client(address, timeout="5s") as client:
                client.wait_for_workers(n, timeout=60)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_dask_cluster_gives_the_single_process_result(tmp_path: Path, cluster: str) -> None:
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
    spread = run(["backtest", "--data", str(folder), "--json"], tmp_path, ZYN_DASK_SCHEDULER=cluster)
    assert spread.returncode == 0, spread.stderr
    a, b = json.loads(single.stdout), json.loads(spread.stdout)
    assert a["engine"] == "single-process" and b["engine"] == cluster

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
    out = run(["backtest", "--data", str(folder)], tmp_path, ZYN_DASK_SCHEDULER=f"tcp://127.0.0.1:{_free_port()}")
    assert out.returncode == 2, out.stderr
    assert "ZYN_DASK_SCHEDULER" in out.stderr and out.stderr.count("\n") == 1
