"""How the core hands independent jobs to whoever runs them: a `TaskMap` maps a top-level function
over picklable inputs and returns the results in order.

Why a port: the pooled walk-forward's per-pair runs are independent and may run on a Dask cluster
(bot/wiring/dask_map.py), but core/ imports no cluster library; it only says "run these". `serial_map`
runs them in this process (the default, and what every cluster result must equal).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")


class TaskMap(Protocol):
    def __call__(self, fn: Callable[[In], Out], items: Sequence[In], /) -> list[Out]: ...


def serial_map(fn: Callable[[In], Out], items: Sequence[In], /) -> list[Out]:
    return [fn(x) for x in items]
