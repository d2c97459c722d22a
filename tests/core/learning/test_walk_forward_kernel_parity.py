"""The walk-forward and the pooled walk-forward on the compiled kernel give the reference
Backtester's results on real candles: the same gate calls and verdicts, the same trades trade by
trade (levels to the last bits, P&L and fees to the cent), the equity to the cent at every candle,
the same skips, signals and control returns."""

from __future__ import annotations

from pathlib import Path

from core.learning.pooled_data import load_folder
from core.learning.pooled_walk_forward import pooled_walk_forward
from core.learning.walk_forward import walk_forward
from core.market_data.csv_loader import load_csv
from core.market_data.resample import resample
from core.markets.catalog import market_for
from core.markets.pairs import pair_from_filename
from core.research.backtest import BacktestResult
from core.research.pair_backtest import PairBacktest
from tests.core.kernel.parity import EXACT, REL, ULPS

KERNEL, REFERENCE = PairBacktest(engine="kernel"), PairBacktest(engine="reference")
CENT = 0.005


def assert_same_run(ref: BacktestResult, ker: BacktestResult, label: str) -> None:
    assert len(ker.trades) == len(ref.trades), f"{label}: {len(ker.trades)} trades vs reference {len(ref.trades)}"
    for n, (a, b) in enumerate(zip(ref.trades, ker.trades, strict=True)):
        for key in EXACT:
            assert getattr(b, key) == getattr(a, key), f"{label} trade {n}: {key}"
        for key in ULPS:
            want, got = getattr(a, key), getattr(b, key)
            assert got == want or abs(got - want) <= REL * abs(want), f"{label} trade {n}: {key} {got} != {want}"
        assert abs(a.pnl - b.pnl) < CENT and abs(a.fees - b.fees) < CENT, f"{label} trade {n}: P&L to the cent"
    assert len(ker.equity_curve) == len(ref.equity_curve) and abs(ker.start_equity - ref.start_equity) < CENT
    worst = max((abs(x - y) for x, y in zip(ref.equity_curve, ker.equity_curve, strict=True)), default=0.0)
    assert worst < CENT, f"{label}: equity differs by {worst} at some candle"
    want, got = ref.summary(), ker.summary()
    for key, value in want.items():
        if key == "seconds":
            continue
        if isinstance(value, float):
            assert abs(got[key] - value) <= 1e-9 * max(1.0, abs(value)), f"{label}: {key} {got[key]} != {value}"  # type: ignore[operator]
        else:
            assert got[key] == value, f"{label}: {key}"


def _candles_4h(path: Path) -> tuple[str, list[object]]:
    pair, tf = pair_from_filename(path.name)
    return pair, resample(load_csv(path), tf, "4h")


def test_walk_forward_on_the_kernel_matches_the_reference_on_real_files(data_dir: Path) -> None:
    btc, btc_candles = _candles_4h(data_dir / "kraken_cdd" / "KRAKEN-CDD_BTC-USD_1h.csv")
    eth, eth_candles = _candles_4h(data_dir / "binance" / "BINANCE_ETH-USDT_1h.csv")
    cases = [
        (btc, btc_candles, {}),
        # the ETH file's model also learns from two other pairs' trades before each fold
        (eth, eth_candles, {p: (c, market_for(p)) for p, c in (
            _candles_4h(data_dir / "binance" / "BINANCE_BTC-USDT_1h.csv"),
            _candles_4h(data_dir / "binance" / "BINANCE_SOL-USDT_1h.csv"))}),
    ]
    for pair, candles, pool in cases:
        runs = [walk_forward(candles, pair, "4h", market_for(pair), min_train_trades=10, pool=pool,  # type: ignore[arg-type]
                             backtest=bt) for bt in (REFERENCE, KERNEL)]
        ref, ker = runs
        assert ker.audit == ref.audit and len(ker.audit) > 20, f"{pair}: the gate was asked differently"
        assert ker.skipped_by_learner == ref.skipped_by_learner
        for a, b in zip(ref.models, ker.models, strict=True):  # trained on the same trades
            assert (b.version, b.trained_on, b.last_exit_ts, b.data_until_ms) == \
                (a.version, a.trained_on, a.last_exit_ts, a.data_until_ms)
            assert a.overall_r is None and b.overall_r is None or abs(a.overall_r - b.overall_r) < 1e-9  # type: ignore[operator]
        assert_same_run(ref.baseline, ker.baseline, f"{pair} baseline")
        assert_same_run(ref.learned, ker.learned, f"{pair} learned")
        assert ref.learned.trades != ref.baseline.trades or ker.skipped_by_learner == 0


def test_pooled_walk_forward_on_the_kernel_matches_the_reference(data_dir: Path) -> None:
    uni = load_folder(data_dir / "kraken_cdd", "4h")
    ref = pooled_walk_forward(uni.data, "4h", seeds=3, variant="G-b", backtest=REFERENCE)
    ker = pooled_walk_forward(uni.data, "4h", seeds=3, variant="G-b", backtest=KERNEL)
    assert ker.trained_until == ref.trained_until
    assert sum(p.skipped for p in ker.pairs) > 0
    for a, b in zip(ref.pairs, ker.pairs, strict=True):
        assert (b.pair, b.skipped, b.signals) == (a.pair, a.skipped, a.signals)
        assert_same_run(a.baseline, b.baseline, f"{a.pair} baseline")
        assert_same_run(a.learned, b.learned, f"{a.pair} learned")
        assert all(abs(x - y) < 1e-9 for x, y in zip(a.control_returns, b.control_returns, strict=True))
    want, got = ref.summary(), ker.summary()
    assert {k: v for k, v in got.items() if isinstance(v, bool | int)} == \
        {k: v for k, v in want.items() if isinstance(v, bool | int)}
    assert all(abs(got[k] - v) < 1e-9 for k, v in want.items() if isinstance(v, float))  # type: ignore[operator]
