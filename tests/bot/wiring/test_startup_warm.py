"""zyn run's start-up warm (issue 20.1): the kernel is loaded in the flavour small live work uses
(interpreted: numba is never imported, issue 20.5) or, in a process that has loaded the compiled
flavour, with the very signatures the autopilot and the evidence gate use later (so a candle
never loads or compiles one under chat), and the heap is settled only once the intent classifier
is ready."""

from __future__ import annotations

import gc
import subprocess
import sys
import threading
from dataclasses import replace
from pathlib import Path

from bot.wiring.warm import StartupWarm, settle_heap, warm_compiled
from core.kernel.backtest import KernelBacktester
from core.kernel.flavour import entry_points
from core.kernel.live_rules import review
from core.kernel.signal import KernelSma20Atr  # the default strategy (sma20_atr) the autopilot runs
from core.market_data.arrays import CandleArrays
from core.market_data.csv_loader import load_csv
from core.markets.catalog import market_for
from core.strategy.pinned import CloseContext, Gate, SignalContext
from core.strategy.risk import RiskConfig
from tests.conftest import shared_data
from tests.core.kernel.test_kernel_parity_modules import rules_of
from tests.fakes.toy_strategy import EveryNth


def _compiled() -> dict[str, list[object]]:
    from core.kernel import compiled

    fns = (compiled.run_loop, compiled.live_warm, compiled.live_step, compiled.live_size, compiled.live_record_exit,
           compiled.live_veto)
    return {fn.py_func.__name__: list(fn.signatures) for fn in fns}

ROOT = Path(__file__).resolve().parents[3]


def _allow(_ctx: SignalContext) -> Gate:
    return Gate(allow=True, factor=0.5)


def test_warming_for_small_work_runs_the_kernel_without_importing_numba() -> None:
    code = (
        "import sys\n"
        "from bot.wiring.warm import warm_compiled\n"
        "from core.kernel.signal import KernelSma20Atr\n"
        "from core.markets.catalog import market_for\n"
        "from core.strategy.risk import RiskConfig\n"
        "assert warm_compiled(KernelSma20Atr(), market_for('BTC/USD'), RiskConfig(), '1h')\n"
        "assert 'core.kernel.loop' in sys.modules, 'the kernel did not run'\n"
        "print('numba' in sys.modules, 'core.kernel.compiled' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-800:]
    assert out.stdout.split() == ["False", "False"]


def test_warm_loads_every_compiled_function_with_the_signatures_real_use_needs() -> None:
    """In a process that has loaded the compiled flavour (a big backtest ran), small work uses it too."""
    entry_points("compiled")
    market, cfg = market_for("BTC/USD"), RiskConfig()
    assert warm_compiled(KernelSma20Atr(), market, cfg, "1h")
    warmed = _compiled()
    assert all(warmed.values()), warmed

    candles = load_csv(shared_data() / "kraken/KRAKEN_BTC-USD_1h.csv")[:600]  # real candles, entries included
    arrays = CandleArrays.from_candles(candles)
    result = KernelBacktester("BTC/USD", "1h", market, cfg, gate=_allow).run(arrays)  # the evidence gate's call
    assert result.trades, "the real series must reach entries (the gate and sizing paths)"
    signal = KernelSma20Atr().for_pair("BTC/USD", market, cfg)  # the autopilot's calls
    rules = rules_of("1h", ("mtf", "profit_target"))()
    entered = 0
    for i, candle in enumerate(candles[:-1]):
        if i < 30:
            signal.warm(candle)
            continue
        decision = signal.decide(candle, CloseContext(10_000.0, True, False, candles[i + 1].open, gate=_allow))
        review(rules, replace(decision, action="enter"), candles[: i + 1])
        entered += decision.action == "enter"
    signal.record_exit(-1.0, candles[-1].ts)
    assert entered, "the live path must size at least one entry"
    assert _compiled() == warmed  # nothing compiled or loaded after the warm


def test_a_strategy_without_a_kernel_has_nothing_to_warm() -> None:
    assert not warm_compiled(EveryNth(), market_for("BTC/USD"), RiskConfig(), "1h")


def test_the_heap_is_settled_after_the_kernel_and_the_intent_classifier_even_when_the_kernel_fails() -> None:
    order: list[str] = []
    kernel_called, intents_may_finish = threading.Event(), threading.Event()

    def kernel() -> bool:
        order.append("kernel")
        kernel_called.set()
        raise RuntimeError("no cache")

    def intents_work() -> None:
        intents_may_finish.wait(10)
        order.append("intents")

    def intents() -> threading.Thread:
        thread = threading.Thread(target=intents_work, daemon=True)
        thread.start()
        return thread

    def settle() -> int:
        order.append("settle")
        return 1

    warm = StartupWarm(kernel, intents, settle)
    warm.start()
    assert kernel_called.wait(10)  # the positive signal first
    assert not warm.done.is_set() and "settle" not in order  # still waiting on the classifier
    intents_may_finish.set()
    assert warm.done.wait(10)
    assert order == ["kernel", "intents", "settle"]


def test_settling_the_heap_freezes_what_start_up_built() -> None:
    try:
        assert settle_heap() > 0
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # the other tests keep a normal heap
