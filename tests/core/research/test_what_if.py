"""The measured what-ifs behind chat's "would mtf help?" / "should I keep trading?" (core/research/what_if.py):
the plain figure is the kernel backtest's own return, a variant runs the same candles with its module's
flags, `since_ms` measures only from that moment, and too little history says nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.kernel.backtest import KernelBacktester
from core.market_data.csv_loader import load_arrays
from core.markets.catalog import market_for
from core.research.what_if import FOLDS, what_if
from core.strategy.entry_rules import EntryRules

TF = "1h"
PAIRS = ("BTC/USDT", "ETH/USDT")


def _held(data_dir: Path, n: int = 3000) -> dict:  # type: ignore[type-arg]
    return {p: load_arrays(data_dir / "binance" / f"BINANCE_{p.replace('/', '-')}_1h.csv").head(n) for p in PAIRS}


def test_plain_is_the_kernel_backtests_mean_return_and_folds_cover_the_span(data_dir: Path) -> None:
    held = _held(data_dir)
    markets = {p: market_for(p) for p in PAIRS}
    found = what_if(held, TF, markets)
    assert found is not None and found.variant is None and found.pairs == PAIRS
    direct = [KernelBacktester(p, TF, markets[p]).run(held[p]) for p in PAIRS]
    expected = sum(r.equity_curve[-1] / r.start_equity - 1 for r in direct) / len(PAIRS)
    assert found.plain.mean_return == pytest.approx(expected, abs=1e-12)
    assert found.plain.trades == sum(len(r.trades) for r in direct)
    assert len(found.plain.fold_returns) == FOLDS
    single = what_if({PAIRS[0]: held[PAIRS[0]]}, TF, markets)
    assert single is not None
    compounded = 1.0
    for f in single.plain.fold_returns:  # for one pair the folds compound to the whole
        compounded *= 1 + f
    assert compounded - 1 == pytest.approx(single.plain.mean_return, abs=1e-9)
    assert 3.5 < found.months < 4.5  # 3000 hourly candles


def test_a_module_runs_with_its_flags_and_since_measures_only_the_later_part(data_dir: Path) -> None:
    held = _held(data_dir)
    markets = {p: market_for(p) for p in PAIRS}
    rules = EntryRules.fixed(TF, ("mtf",))
    found = what_if(held, TF, markets, "mtf", rules)
    assert found is not None and found.variant is not None
    assert found.variant.trades < found.plain.trades  # mtf vetoes entries the plain strategy takes
    since = int(held[PAIRS[0]].ts[2000])
    later = what_if(held, TF, markets, since_ms=since)
    assert later is not None and later.plain.trades < found.plain.trades and later.months < 1.5


def test_too_little_history_says_nothing(data_dir: Path) -> None:
    assert what_if(_held(data_dir, 30), TF, {p: market_for(p) for p in PAIRS}) is None


def test_a_verdict_needs_the_minimum_months_and_plain_trades() -> None:
    from core.research.what_if import MIN_VERDICT_MONTHS, MIN_VERDICT_TRADES, VariantFigures, WhatIf

    def found(months: float, trades: int) -> WhatIf:
        return WhatIf(PAIRS, months, VariantFigures("plain", 0.01, (0.0,) * FOLDS, trades), None)

    assert found(MIN_VERDICT_MONTHS, MIN_VERDICT_TRADES).enough_for_verdict()
    assert not found(MIN_VERDICT_MONTHS - 0.1, 500).enough_for_verdict()
    assert not found(24.0, MIN_VERDICT_TRADES - 1).enough_for_verdict()
    assert found(12.0, 40).fold_months() == pytest.approx(3.0)
