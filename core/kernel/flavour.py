"""The kernel's one source in two flavours: interpreted (plain Python, numba never imported) when
the work is small, compiled by numba when it is big; the results are identical (tests/core/kernel/
test_flavours.py).

Why (issue 20.5): loading numba and the first compiled function costs ~115 MB of RSS (~75 MB of
LLVM library pages, ~45 MB for the first function loaded, whichever it is) and ~0.4 s of CPU. A
`zyn run` on two pairs asks the kernel for one candle per pair per close (the autopilot's step,
the evidence record's extension), and a handful of short histories at start: microseconds of
work each, interpreted. Paying LLVM's memory for that is the waste.

How: kernel modules define plain functions and mark them with `inline` (a helper numba inlines
into its caller) or `entry` (a function called from Python, cached on disk when compiled), from
core/kernel/tags.py. The marks only tag the function; nothing imports numba. The interpreted
flavour is those very functions, with `pointer`/`unowned` (tags.py's) as flat views of the same
arrays. The compiled flavour (core/kernel/compiled.py, imported on first need) clones every
tagged function with globals in which the tagged functions and `pointer`/`unowned` are numba
dispatchers and intrinsics (core/kernel/unowned.py), so numba compiles the same bytecode; the
inline helpers, the on-disk cache and its stamp over every kernel module (core/kernel/jit.py)
work as before, because a clone has its original's code object, file and qualified name.

Why not two copies of the source, or numba's own `py_func` as the interpreted flavour: a copy
drifts; and `njit` at import is what loads LLVM, so the decorators must not call numba at all.

Who picks: the call site, by the size of its work (`by_work`: candles the loop will run through in
this call). Below `COMPILE_FROM` candles the interpreted flavour is cheaper than loading numba
(measured by bench/kernel_flavours.py; the figures are in the constant's comment), unless the
compiled flavour is already loaded in this process: then LLVM's price is paid and compiled is
faster at every size. The choice is the import system's own state (is core.kernel.compiled
imported?), read at each call; this module holds none.

A universe is the exception a call cannot see (issue 20.4, session 7): the autopilot steps every
pair of it at each close, one small call per pair (a live step, an evidence record's extension),
and at its first close warms every pair from its history, one call per candle. Each call is
small, so each ran interpreted, while the tick as a whole is big work: at 1,000 pairs the first
tick went from 18.2 s to 25.8 s when small calls stopped being compiled (a later close's kernel
work is only ~38 ms per 1,000 pairs either way: bench/kernel_flavours.py).
So the composition root, which knows how many pairs the autopilot will step, asks `by_universe`
once and passes the answer to the objects it builds (the strategy, the evidence record):
"compiled" when the first tick's warm-up alone (pairs x the candles each pair is warmed from) is
as much work as one call that `by_work` would compile. Nothing here changes later; a small
universe keeps None (each call by its own work), so a two-pair `zyn run` never loads numba.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Literal

Flavour = Literal["interpreted", "compiled"]

COMPILED_MODULE = "core.kernel.compiled"

# Candles in one call from which the compiled flavour is used. Measured by bench/kernel_flavours.py
# (2026-12-07, load average 5.1, real BTC/USD 1h candles): interpreted 12.0 us of CPU per candle,
# compiled 0.035 us; a fresh process loading the compiled flavour from numba's on-disk cache (numba's
# import, the loop and the live steps) pays 0.36 s of CPU and +113 MB of RSS, the interpreted one
# 0.002 s and +0.4 MB. On CPU alone the two meet at ~30,000 candles; the threshold sits above that
# because the memory counts too: below 50,000 candles the interpreted run costs at most ~0.24 s more
# CPU than loading numba would, and saves ~113 MB. A live step (1 candle), an evidence record's
# extension (1 candle) or its start on a live history (Kraken backfills 720 candles) is interpreted;
# a backtest of a year of 1m candles (525,600) or of six years of hourly ones is compiled.
COMPILE_FROM = 50_000


def compiled_loaded() -> bool:
    """True once the compiled flavour is imported in this process (LLVM's cost already paid)."""
    return COMPILED_MODULE in sys.modules


def by_work(candles: int) -> Flavour:
    """The flavour for a call that runs the loop over `candles` candles."""
    return "compiled" if candles >= COMPILE_FROM or compiled_loaded() else "interpreted"


def by_universe(pairs: int, warm_candles: int) -> Flavour | None:
    """The flavour for every kernel call of a universe of `pairs` pairs stepped together, each warmed
    from `warm_candles` candles of history at its first close: "compiled" when that warm-up is at
    least COMPILE_FROM candles of work (the same break-even as one call: numba's load is then paid
    back by the first tick alone, and every later tick is cheaper too), else None (by each call's work).
    """
    return "compiled" if pairs * warm_candles >= COMPILE_FROM else None


def entry_points(flavour: Flavour) -> ModuleType:
    """The module whose `run_loop`, `live_*` to call: core.kernel.loop itself, or its compiled clone."""
    if flavour == "compiled":
        from core.kernel import compiled  # lazy: imports numba and builds the dispatchers

        return compiled
    from core.kernel import loop  # lazy: the kernel's modules load at the first backtest or signal

    return loop
