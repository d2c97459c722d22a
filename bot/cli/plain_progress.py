"""Progress of a folder walk-forward when stderr is not a terminal (a captured or logged run).

Why: tqdm hides its bar whenever stderr is not a tty, so `zyn backtest --servant … 2>run.log` showed
no progress at all for a run of minutes. Off a terminal a plain line every ~10 % of the steps (done /
total, elapsed seconds, the step just finished) is readable in a log; stdout is never touched.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO

STEP_PERCENT = 10  # one line each time another tenth of the steps is done (and at the end)


class PlainProgress:
    """Counts steps and writes `desc: 5 of 23 steps (21 %), 12.3 s — control seed 2` to `out`
    each time the done share crosses the next `STEP_PERCENT`."""

    def __init__(self, total: int, desc: str, out: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.desc, self.out, self.clock = max(total, 1), desc, out, clock
        self.started = clock()
        self.done = 0
        self._shown = 0  # the last multiple of STEP_PERCENT written

    def step(self, label: str) -> None:
        self.done += 1
        percent = 100 * self.done // self.total
        bucket = percent // STEP_PERCENT * STEP_PERCENT
        if bucket <= self._shown and self.done < self.total:
            return
        self._shown = bucket
        elapsed = self.clock() - self.started
        print(f"{self.desc}: {self.done} of {self.total} steps ({percent} %), {elapsed:.1f} s — {label}",
              file=self.out, flush=True)
