"""Where independent jobs run: an existing Dask cluster, a local one, or this process.

Why one helper: `zyn backtest --data DIR` (one job per pair file) and the pooled walk-forward
(`--learn`: per-pair baseline, learned and control runs) fan out the same way. With
ZYN_DASK_SCHEDULER=tcp://host:port set, the jobs go to that cluster (unreachable: one-line
UserError); with ZYN_DASK_SCHEDULER=local, or when the caller says the work repays starting one,
a local cluster (`distributed.LocalCluster`, one single-threaded worker process per core);
otherwise this process.
The yielded `TaskMap` keeps the input order, so every engine gives the single-process result.
"""

from __future__ import annotations

import logging
import os  # cpu_count only: the scheduler address comes from settings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from core.domain import UserError
from core.research.task_map import TaskMap, serial_map

SINGLE = "single-process"
LOCAL = "dask-local"
In = TypeVar("In")
Out = TypeVar("Out")


@contextmanager
def task_map(local_cluster: bool, workers: int | None = None, scheduler: str = "") -> Iterator[tuple[TaskMap, str]]:
    """(map, engine name): the cluster at `scheduler` (the ZYN_DASK_SCHEDULER setting); else a local
    cluster of `workers` processes (default: one per core) when `local_cluster`; else this process."""
    address = scheduler.strip() or None
    if address == "local":
        address, local_cluster = None, True
    if address is None and not local_cluster:
        yield serial_map, SINGLE
        return
    from distributed import Client, LocalCluster  # lazy: distributed loads only when used

    if address is not None:
        try:
            client: Any = Client(address, timeout="10s")  # type: ignore[no-untyped-call]
        except OSError as exc:
            raise UserError(f"ZYN_DASK_SCHEDULER={address}: cannot reach the Dask scheduler ({exc})") from None
        with client:
            yield _mapper(client), address
        return
    n = max(1, workers or os.cpu_count() or 1)
    cluster: Any = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
        silence_logs=logging.ERROR)
    with cluster, Client(cluster) as local:  # type: ignore[no-untyped-call]
        yield _mapper(local), LOCAL


def _mapper(client: Any) -> TaskMap:
    def run(fn: Callable[[In], Out], items: Sequence[In], /) -> list[Out]:
        if not items:
            return []
        futures = client.map(fn, list(items), pure=False)
        return list(client.gather(futures))

    return run
