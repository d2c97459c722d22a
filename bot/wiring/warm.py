"""`zyn run`'s start-up warm: load what the first candle and the first chat message would load, then
settle the heap, so neither stalls chat later (issue 20.1).

Why, measured with py-spy and timing in `zyn run` under `bench/chat_latency.py` (200 req/s):
- the kernel's functions were loaded at the autopilot's first candle and the evidence gate's
  first entry candidate: when they were always compiled, one replay step of ~0.7 s of CPU holding
  the GIL (numba's import and typing context, the cached code). Since issue 20.5 a live step and a
  short history run interpreted (core/kernel/flavour.py): warming them costs milliseconds and
  never imports numba (~120 MB); the compiled flavour is warmed when the strategy runs in it (a
  universe big enough, bot/wiring/kernel_flavour.py: loaded here, up front, not at the first
  close) or when this process has loaded it already (then live steps use it, by_work);
- those imports (and scikit-learn's, for the intent classifier) leave ~470,000 objects, and each full
  (generation 2) garbage collection walked all of them: 100-200 ms of CPU holding the GIL, in
  whichever thread happened to allocate. `gc.freeze()` after start-up moves what start-up built into
  the permanent generation (Python's documented remedy): a later full collection walks only what
  was created since. It is called after a collection, so no start-up garbage is frozen.
Both run once, in a background thread, before the scheduler's first job and the first chat request.

The kernel is warmed through the call sites the autopilot and the evidence gate use
(`backtester(...).run`, `for_pair(...)`'s warm/decide/record_exit) on a throw-away state and a
short flat series: the same flavour those calls pick for small work and, when that flavour is the
compiled one, the same argument types, hence the same compiled signatures (another signature
would be compiled anew). Nothing is kept.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from loguru import logger

from core.domain import Market
from core.market_data.arrays import CandleArrays
from core.markets.timeframes import timeframe_ms
from core.strategy.pinned import CloseContext
from core.strategy.port import Strategy, kernel_of
from core.strategy.risk import RiskConfig

WARM_CANDLES = 40  # enough for the indicators' windows (SMA 20, ATR 14) to fill
WARM_PAIR = "WARM/UP"  # never traded: the throw-away state's name
INTENTS_WAIT_S = 120.0  # the intent classifier trains once (~10 s) when its cache is missing


def flat_series(timeframe: str, n: int = WARM_CANDLES, price: float = 100.0) -> CandleArrays:
    """`n` candles at one price: no entry is ever signalled, every compiled step still runs."""
    ts = np.arange(n, dtype=np.int64) * timeframe_ms(timeframe)
    flat = np.full(n, price, np.float64)
    return CandleArrays(ts, flat.copy(), flat.copy(), flat.copy(), flat.copy())


def warm_compiled(strategy: Strategy, market: Market, cfg: RiskConfig, timeframe: str) -> bool:
    """Load every kernel function the live autopilot and the evidence gate call, in the strategy's
    flavour (compiled for a big universe) or the one their small work picks (interpreted unless the
    compiled one is loaded already); False when the strategy has no kernel (nothing to load)."""
    kernel = kernel_of(strategy)
    if kernel is None:
        return False
    series = flat_series(timeframe)
    kernel.backtester(WARM_PAIR, timeframe, market, cfg).run(series)  # the evidence gate's loop
    signal = strategy.for_pair(WARM_PAIR, market, cfg)
    for i in range(len(series) - 1):
        signal.warm(series.candle(i))
    last = series.candle(len(series) - 1)
    signal.decide(last, CloseContext(equity=10_000.0, flat=True, halted=False, next_open=last.close))
    signal.record_exit(0.0, last.ts)
    _warm_helpers(signal, series, timeframe)
    return True


def _warm_helpers(signal: Any, series: CandleArrays, timeframe: str) -> None:
    """The two kernel helpers a flat series never reaches (an allowed entry's size, the modules'
    veto), in the signal's flavour or that of one candle's work, with the argument types of their
    call sites (core/kernel/signal.py, live_rules.py)."""
    from core.kernel import codes as C  # lazy: the kernel's modules load with the first pair
    from core.kernel.flavour import by_work, entry_points  # lazy: the kernel's modules load with the first pair

    kernel = entry_points(getattr(signal, "flavour", None) or by_work(1))
    live_size, live_veto = kernel.live_size, kernel.live_veto

    fp, ip = getattr(signal, "fp", None), getattr(signal, "ip", None)
    if fp is not None and ip is not None:
        live_size(10_000.0, 1.0, 100.0, 1.0, fp, ip)
    ts = np.fromiter((int(t) for t in series.ts[-1:]), np.int64, 1)
    cl = np.fromiter((float(c) for c in series.close[-1:]), np.float64, 1)
    live_veto(C.ENTER, False, False, True, False, ts, cl, timeframe_ms(timeframe), np.array([], np.int64))


def settle_heap() -> int:
    """Collect, then freeze what is left (start-up's modules, classes, caches) out of the collector's
    reach; returns how many objects are frozen."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class StartupWarm:
    """The background thread: the kernel, then (once the intent classifier is ready) the heap."""

    def __init__(self, kernel: Callable[[], bool], intents: Callable[[], threading.Thread | None],
                 settle: Callable[[], int] = settle_heap) -> None:
        self._kernel, self._intents, self._settle = kernel, intents, settle
        self.done = threading.Event()

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name="zyn-warm", daemon=True)
        thread.start()
        return thread

    def _run(self) -> None:
        t0, c0 = time.perf_counter(), time.thread_time()
        intents = self._intents()
        kernel = False
        try:
            kernel = self._kernel()
        except Exception:  # the first candle loads it itself; only the stall comes back
            logger.bind(step="warm").exception("could not load the compiled kernel at start")
        if intents is not None:
            intents.join(INTENTS_WAIT_S)
        frozen = self._settle()
        logger.bind(step="warm", kernel=kernel, frozen=frozen, ms=round((time.perf_counter() - t0) * 1000),
                    cpu_ms=round((time.thread_time() - c0) * 1000)).info("start-up warm done, heap settled")
        self.done.set()
