"""A real Dask cluster on loopback for tests: a `dask scheduler` and two `dask worker` processes
(the fixture `dask_cluster`, registered in tests/bot/conftest.py, yields the scheduler address).

One cluster per test session (per xdist worker): starting three processes that import dask and
stopping them cost seconds, and the tests only submit work to it and read what their own work did
(`executed_counts` before and after), so sharing it hides nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ports import free_port

REPO = Path(__file__).resolve().parents[2]


def _start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    dask = str(Path(sys.executable).parent / "dask")
    return subprocess.Popen([dask, *args], stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=log.parent)


@pytest.fixture(scope="session")
def dask_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp_path = tmp_path_factory.mktemp("dask")
    port = free_port()
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
        # The workers first, while their scheduler still answers: stopped together, a worker could
        # wait on the gone scheduler until killed (20 s, exit -9); workers first, 1.5-2 s in all.
        _stop(procs[1:])
        _stop(procs[:1])


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()


def executed_counts(address: str) -> dict[str, int]:
    """Tasks each worker of the cluster has run so far (by worker address)."""
    from distributed import Client

    with Client(address, timeout="10s") as client:  # type: ignore[no-untyped-call]
        return dict(client.run(lambda dask_worker: dask_worker.state.executed_count))


def _wait_for_workers(address: str, n: int) -> None:
    from distributed import Client

    deadline = time.monotonic() + 90
    while True:
        try:
            with Client(address, timeout="5s") as client:  # type: ignore[no-untyped-call]
                client.wait_for_workers(n, timeout=60)
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
