"""The kernel's two flavours (core/kernel/flavour.py) are one strategy: the interpreted loop (plain
Python) and the compiled one (numba, from the same bytecode) leave exactly equal state arrays,
trades, equity, codes and per-candle indicators, on real candles of several pairs with the
advanced modules off and on, on the parity fuzzer's nasty candles, with a learner's gate, for the
live steps and for the resumable evidence run."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from core.domain import Candle, Market
from core.kernel import codes as C
from core.kernel.backtest import KernelBacktester, _KernelRun
from core.kernel.flavour import Flavour, entry_points
from core.kernel.resumable import ResumableRun
from core.kernel.signal import KernelPairSignal
from core.market_data.arrays import CandleArrays
from core.market_data.csv_loader import load_csv
from core.market_data.resample import resample
from core.markets.catalog import market_for
from core.markets.pairs import pair_from_filename
from core.markets.timeframes import timeframe_ms
from core.strategy.entry_rules import EntryRules
from core.strategy.pinned import CloseContext, Gate, GateFn, SignalContext
from core.strategy.risk import RiskConfig
from tests.conftest import shared_data
from tests.core.kernel.test_kernel_parity_fuzz import CASES, fuzz_candles
from tests.core.kernel.test_kernel_parity_modules import rules_of

FLAVOURS: tuple[Flavour, Flavour] = ("interpreted", "compiled")
REAL = ["kraken/KRAKEN_BTC-USD_1h.csv", "kraken/KRAKEN_ETH-USD_1h.csv", "binance/BINANCE_SOL-USDT_15m.csv",
        "binance/BINANCE_DOGE-USDT_1h.csv", "binance_dev_4h/BINANCE_ADA-USDT_4h.csv"]
MODULES: dict[str, tuple[tuple[str, ...], dict[str, object]]] = {
    "plain": ((), {}),
    "mtf": (("mtf",), {}),
    "profit_target breakeven": (("profit_target",), {}),
    "profit_target flatten in sessions": (("profit_target",), {"action": "flatten", "sessions": "08:00-20:00",
                                                               "tz": "Europe/Berlin"}),
    "mtf and profit_target": (("mtf", "profit_target"), {}),
}
ROOT = Path(__file__).resolve().parents[3]
SHIB = Market("SHIB/USD", "SHIB", "USD", lot_decimals=0, pair_decimals=8, ordermin=Decimal(50_000),
              costmin=Decimal("5"))


def _run(flavour: Flavour, pair: str, tf: str, market: Market, arrays: CandleArrays, *,
         rules: Callable[[], EntryRules] | None = None, gate: GateFn | None = None,
         equity: float = 10_000.0) -> _KernelRun:
    bt = KernelBacktester(pair, tf, market, RiskConfig(), equity, gate=gate, keep_decisions=True,
                          rules=rules() if rules else None, flavour=flavour)
    run = _KernelRun(bt, arrays)
    run.loop()
    return run


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal to the bit (NaN where NaN): floats compared as their int64 patterns."""
    if a.dtype == np.float64:
        return a.shape == b.shape and bool(np.array_equal(a.view(np.int64), b.view(np.int64)))
    return bool(np.array_equal(a, b))


def assert_flavours_agree(pair: str, tf: str, market: Market, arrays: CandleArrays, **kw: object) -> int:
    """Both flavours over the same candles: every array of the run equal to the bit; returns trades."""
    runs = [_run(f, pair, tf, market, arrays, **kw) for f in FLAVOURS]  # type: ignore[arg-type]
    one, two = runs
    for name in ("st", "fs", "ring", "equity", "codes", "sma", "atr", "ti", "tf"):
        assert _same(getattr(one, name), getattr(two, name)), f"{pair} {tf}: {name} differs between the flavours"
    assert one.gates == two.gates and one.exact_equity == two.exact_equity and one.exact_pnl == two.exact_pnl
    assert one.closed_trades() == two.closed_trades()
    assert one.final_cash() == two.final_cash() and one.open_amount() == two.open_amount()
    return len(one.closed_trades())


@pytest.mark.parametrize("rel", REAL)
@pytest.mark.parametrize("modules", list(MODULES))
def test_both_flavours_leave_equal_state_and_trades_on_real_candles(rel: str, modules: str) -> None:
    path = shared_data() / rel
    pair, tf = pair_from_filename(Path(rel).name)
    candles = load_csv(path)[-12_000:]  # the newest ~12,000 candles: a year and more of 1h
    features, options = MODULES[modules]
    rules = rules_of(tf, features, mtf=("4h",) if tf != "4h" else ("1d",), **options)  # type: ignore[arg-type]
    trades = assert_flavours_agree(pair, tf, market_for(pair), CandleArrays.from_candles(candles), rules=rules)
    assert trades > 0


def test_both_flavours_agree_on_a_4h_resample_with_a_gate_that_resizes_and_refuses() -> None:
    candles = resample(load_csv(shared_data() / "kraken/KRAKEN_BTC-USD_1h.csv"), "1h", "4h")

    def gate(ctx: SignalContext) -> Gate:
        h = ctx.candle.ts // timeframe_ms("4h") % 5
        return Gate(allow=h != 2, factor=0.4 + h / 5, note=f"h{h}")

    assert assert_flavours_agree("BTC/USD", "4h", market_for("BTC/USD"), CandleArrays.from_candles(candles),
                                 gate=gate) > 0


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize(("pair", "price", "vol"), CASES)
def test_both_flavours_agree_on_the_parity_fuzzers_candles(seed: int, pair: str, price: float, vol: float) -> None:
    arrays = CandleArrays.from_candles(fuzz_candles(seed, 3000, price, vol))
    assert_flavours_agree(pair, "1m", market_for(pair), arrays)
    assert_flavours_agree(pair, "1m", market_for(pair), arrays, rules=rules_of("1m", ("mtf", "profit_target"),
                                                                                 mtf=("15m",), action="flatten"))


def test_both_flavours_skip_the_same_entries_on_minimums_and_lot_rounding() -> None:
    arrays = CandleArrays.from_candles(fuzz_candles(11, 4000, 0.00001, 0.02))
    assert_flavours_agree("SHIB/USD", "1m", SHIB, arrays, equity=300.0)
    assert_flavours_agree("BTC/USD", "1m", market_for("BTC/USD"),
                          CandleArrays.from_candles(fuzz_candles(5, 3000, 30_000.0, 0.01)), equity=40.0)


def _live(flavour: Flavour, candles: list[Candle], gate: GateFn | None) -> tuple[list[object], KernelPairSignal]:
    """The autopilot's calls on one pair: warm on the first candles, decide (with an exit fed back
    after each entry), and the modules' veto on every entry."""
    market, cfg = market_for("BTC/USD"), RiskConfig()
    signal = KernelPairSignal("BTC/USD", market, cfg, flavour=flavour)
    veto = entry_points(flavour).live_veto
    hms = np.array([timeframe_ms("4h")], np.int64)
    out: list[object] = []
    for i, candle in enumerate(candles[:-1]):
        if i < 25:
            signal.warm(candle, missed=i % 7 == 3)
            continue
        decision = signal.decide(candle, CloseContext(10_000.0 - i, i % 3 == 0, i % 50 == 7, candles[i + 1].open,
                                                      gate=gate))
        out.append(decision)
        if decision.action == "enter":
            out.append(signal.record_exit(-1.0 if i % 2 else 1.0, candle.ts))
            window = candles[: i + 1]
            ts = np.fromiter((c.ts for c in window), np.int64, len(window))
            cl = np.fromiter((c.close for c in window), np.float64, len(window))
            out.append(int(veto(C.ENTER, True, i % 4 == 0, i % 5 != 0, True, ts, cl, timeframe_ms("1h"), hms)))
    return out, signal


@pytest.mark.parametrize("gated", [False, True])
def test_the_live_steps_decide_the_same_in_both_flavours(gated: bool) -> None:
    candles = load_csv(shared_data() / "kraken/KRAKEN_ETH-USD_1h.csv")[-3_000:]
    gate: GateFn | None = (lambda ctx: Gate(allow=ctx.candle.ts // 7_200_000 % 5 != 2, factor=0.7)) if gated else None
    (one, a), (two, b) = (_live(f, candles, gate) for f in FLAVOURS)
    assert one == two
    assert sum(getattr(d, "action", "") == "enter" for d in one) > 3
    assert all(_same(getattr(a, n), getattr(b, n)) for n in ("st", "fs", "ring"))


def test_the_resumable_evidence_run_closes_the_same_trades_in_both_flavours() -> None:
    arrays = CandleArrays.from_candles(load_csv(shared_data() / "kraken/KRAKEN_BTC-USD_1h.csv")[-2_000:])
    runs = [ResumableRun("BTC/USD", "1h", market_for("BTC/USD"), RiskConfig(), 10_000.0,
                         rules_of("1h", ("mtf", "profit_target"), mtf=("4h",))(), flavour=f) for f in FLAVOURS]
    got: list[list[object]] = [[], []]
    for n in [1_000, *range(1_001, 2_001)]:  # a history, then one candle per close
        for j, run in enumerate(runs):
            got[j] += run.closed(arrays.head(n))
    assert got[0] == got[1] and len(got[0]) > 5


def test_small_work_is_interpreted_and_big_work_compiled_and_once_loaded_compiled_serves_all() -> None:
    code = (
        "from core.kernel.flavour import COMPILE_FROM, by_work, entry_points\n"
        "got = [by_work(1), by_work(COMPILE_FROM - 1), by_work(COMPILE_FROM)]\n"
        "entry_points('compiled')\n"
        "got.append(by_work(1))\n"
        "print(' '.join(got))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-800:]
    assert out.stdout.split() == ["interpreted", "interpreted", "compiled", "compiled"]


def test_the_compiled_flavour_is_numba_over_the_interpreted_flavours_own_bytecode() -> None:
    plain, compiled = entry_points("interpreted"), entry_points("compiled")
    assert plain.run_loop.__module__ == "core.kernel.loop"
    assert not hasattr(plain.run_loop, "py_func")  # plain Python, no dispatcher
    for name in ("run_loop", "live_warm", "live_step", "live_size", "live_record_exit", "live_veto"):
        assert getattr(compiled, name).py_func.__code__ is getattr(plain, name).__code__, name
