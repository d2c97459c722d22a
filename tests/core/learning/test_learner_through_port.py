"""The learner evaluates whatever strategy the Strategy port gives it: a strategy without a
compiled kernel runs on the reference Backtester, the pinned one on the kernel, and asking the
kernel for a strategy it does not implement is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domain import UserError
from core.kernel.strategies import strategy_named
from core.learning.pooled_data import load_folder
from core.learning.pooled_walk_forward import pooled_walk_forward
from core.learning.walk_forward import fold_starts, walk_forward
from core.research.backtest import Backtester
from core.research.pair_backtest import PairBacktest
from tests.fakes.toy_strategy import EveryNth


def test_pooled_walk_forward_judges_the_ports_strategy(data_dir: Path) -> None:
    uni = load_folder(data_dir / "kraken_cdd", "4h")
    two = dict(list(uni.data.items())[:2])
    toy = PairBacktest(EveryNth())
    assert not toy.compiled and PairBacktest(strategy_named("sma20_atr")).compiled
    res = pooled_walk_forward(two, "4h", seeds=2, variant="L-a", backtest=toy)
    pinned = pooled_walk_forward(two, "4h", seeds=2, variant="L-a")
    for run, other in zip(res.pairs, pinned.pairs, strict=True):
        candles, market = two[run.pair]
        start = candles[fold_starts(len(candles), 5)[0]].ts
        direct = Backtester(run.pair, "4h", market, strategy=EveryNth()).run(candles)
        assert run.baseline.trades == [t for t in direct.trades if t.entry_ts >= start]
        assert len(run.baseline.trades) > 20 and run.baseline.trades != other.baseline.trades
        assert {round(t.exit_price / t.entry_price, 2) for t in run.baseline.trades if t.reason == "target"} == {1.03}


def test_walk_forward_takes_the_strategy_from_the_port(data_dir: Path) -> None:
    uni = load_folder(data_dir / "kraken_cdd", "4h")
    pair, (candles, market) = next(iter(uni.data.items()))
    wf = walk_forward(candles, pair, "4h", market, backtest=PairBacktest(EveryNth()))
    direct = Backtester(pair, "4h", market, strategy=EveryNth()).run(candles)
    assert wf.baseline.equity_curve == direct.equity_curve[-len(wf.baseline.equity_curve):]


def test_the_kernel_is_refused_for_a_strategy_it_does_not_implement() -> None:
    with pytest.raises(UserError, match="no compiled kernel"):
        PairBacktest(EveryNth(), engine="kernel")
    with pytest.raises(UserError, match="engine"):
        PairBacktest(engine="gpu")  # type: ignore[arg-type]
