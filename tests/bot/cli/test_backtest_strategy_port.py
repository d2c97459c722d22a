"""`zyn backtest` reaches the strategy through the Strategy port: the pinned `sma20_atr` runs its
compiled kernel (with the modules' flags); a strategy without a kernel (the toy of
docs/EXTENDING.md) runs in the reference Backtester and makes the same trades as calling it directly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.backtest_strategy import backtest_with
from core.kernel.backtest import KernelResult
from core.kernel.strategies import strategy_named
from core.market_data.csv_loader import load_csv
from core.markets.catalog import market_for
from core.research.backtest import Backtester
from core.strategy.entry_rules import EntryRules
from core.strategy.pinned import Sma20Atr
from core.strategy.port import kernel_of
from tests.bot.cli.test_cli import run
from tests.conftest import shared_data
from tests.fakes.toy_strategy import EveryNth


def _real(rel: str = "kraken/KRAKEN_BTC-USD_1h.csv") -> Path:
    path = shared_data() / rel
    if not path.is_file():
        pytest.fail(f"real candles not found at {path} (set ZYN_SHARED_DATA)")
    return path


def test_the_pinned_strategy_exposes_its_kernel_and_a_toy_does_not() -> None:
    assert kernel_of(strategy_named("sma20_atr")) is not None
    assert kernel_of(EveryNth()) is None


def test_the_pinned_strategy_backtests_on_the_kernel_with_the_reference_trades() -> None:
    path = _real()
    rules = EntryRules.fixed("1h", ("mtf", "profit_target"))
    result, times = backtest_with(strategy_named("sma20_atr"), str(path), rules=rules)
    assert isinstance(result, KernelResult) and len(list(times)) == result.candles
    ref = Backtester("BTC/USD", "1h", market_for("BTC/USD"), strategy=Sma20Atr(),
                     rules=EntryRules.fixed("1h", ("mtf", "profit_target"))).run(load_csv(path))
    assert [(t.entry_ts, t.exit_ts, t.amount, t.reason) for t in result.trades] == [
        (t.entry_ts, t.exit_ts, t.amount, t.reason) for t in ref.trades]


def test_a_strategy_without_a_kernel_falls_back_to_the_reference_backtester() -> None:
    path = _real()
    result, times = backtest_with(EveryNth(), str(path), timeframe="4h")
    assert not isinstance(result, KernelResult) and len(list(times)) == result.candles
    from core.market_data.resample import resample

    direct = Backtester("BTC/USD", "4h", market_for("BTC/USD"), strategy=EveryNth()).run(
        resample(load_csv(path), "1h", "4h"))
    assert len(direct.trades) >= 10
    assert result.trades == direct.trades


def test_zyn_backtest_names_an_unknown_strategy_in_one_line(tmp_path: Path) -> None:
    """The settings loader's one line, the same as `zyn run` gives (issue 18: settings read once)."""
    out = run(["backtest", "--data", str(_real()), "--json"], tmp_path, ZYN_STRATEGY="nope")
    assert out.returncode == 2 and "ZYN_STRATEGY='nope' must be one of" in out.stderr
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_zyn_backtest_with_features_runs_the_port_strategy(tmp_path: Path) -> None:
    path = _real()
    out = run(["backtest", "--data", str(path), "--json", "--features", "mtf,profit_target"], tmp_path,
              ZYN_STRATEGY="sma20_atr")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    ref = Backtester("BTC/USD", "1h", market_for("BTC/USD"),
                     rules=EntryRules.fixed("1h", ("mtf", "profit_target"))).run(load_csv(path))
    assert report["trades"] == len(ref.trades) and report["features"] == ["mtf", "profit_target"]
