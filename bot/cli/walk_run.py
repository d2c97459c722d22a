"""What the two folder walk-forwards of `zyn backtest --data DIR` (`--learn` and `--servant`) share:
checking their arguments, loading the folder (the pairs left out named on stderr), and running
with the Dask fan-out (bot/wiring/dask_map.py) and progress on stderr — a bar on a terminal, a plain
line every ~10 % otherwise (bot/cli/plain_progress.py) — while stdout stays one JSON object.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bot.cli.plain_progress import PlainProgress
from bot.wiring.dask_map import task_map
from core.domain import UserError
from core.learning.pooled_data import FolderUniverse, load_folder
from core.markets.timeframes import timeframe_seconds
from core.research.task_map import TaskMap

DEFAULT_TIMEFRAME = "4h"


def walk_timeframe(args: argparse.Namespace) -> str:
    """The timeframe to walk (`--timeframe`, default 4h), after the arguments are checked."""
    tf: str = args.timeframe or DEFAULT_TIMEFRAME
    timeframe_seconds(tf)
    if args.seeds < 1:
        raise UserError("--seeds must be at least 1")
    return tf


def load_universe(folder: str, timeframe: str, cache: str) -> FolderUniverse:
    """Every usable pair file of `folder`; the ones left out named on stderr; none at all: UserError."""
    universe = load_folder(folder, timeframe, cache=cache or None)
    for line in universe.skipped:
        print(f"left out {line}", file=sys.stderr)
    if not universe.data:
        raise UserError(f"{folder}: no pair file with enough {timeframe} candles")
    return universe


@contextmanager
def fanned_out(local_cluster: bool, scheduler: str, steps: int,
               desc: str) -> Iterator[tuple[TaskMap, str, Callable[[str], None]]]:
    """(tasks, engine name, progress): the Dask fan-out and `steps`-long progress on stderr: tqdm's bar
    on a terminal; off one (tqdm would hide its bar) a plain line every ~10 %."""
    with task_map(local_cluster=local_cluster, scheduler=scheduler) as (tasks, engine):
        if not sys.stderr.isatty():
            yield tasks, engine, PlainProgress(steps, desc, sys.stderr).step
            return
        from tqdm import tqdm  # lazy: tqdm loads only when a walk-forward runs on a terminal

        with tqdm(total=steps, desc=desc, unit="step", file=sys.stderr) as bar:
            yield tasks, engine, lambda label: _step(bar, label)


def _step(bar: Any, label: str) -> None:
    bar.set_postfix_str(label, refresh=False)
    bar.update(1)
