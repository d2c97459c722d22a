"""The kernel with the advanced modules' flags on (mtf, profit_target with each action, trading
sessions) makes the reference backtest's trades and decisions: on the real files and on fuzz."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from core.market_data.csv_loader import load_csv
from core.market_data.resample import resample
from core.markets.catalog import market_for
from core.markets.pairs import pair_from_filename
from core.strategy.entry_rules import EntryRules
from core.strategy.profit_target import DailyTarget
from core.strategy.sessions import parse_sessions
from tests.conftest import shared_data
from tests.core.kernel.parity import run_both
from tests.core.kernel.test_kernel_parity_fuzz import fuzz_candles


def rules_of(tf: str, features: tuple[str, ...], *, pct: float = 0.02, action: str = "breakeven",
             sessions: str = "", tz: str = "UTC", mtf: tuple[str, ...] = ()) -> Callable[[], EntryRules]:
    def build() -> EntryRules:
        return EntryRules.fixed(tf, features, target=DailyTarget(pct, action), sessions=parse_sessions(sessions, tz),
                                mtf_timeframes=mtf)

    return build


def _files() -> list[Path]:
    root = shared_data()
    return sorted(root.rglob("*.csv")) if root.is_dir() else []


@pytest.mark.parametrize("path", _files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_kernel_with_mtf_and_profit_target_matches_reference_on_real_file(path: Path) -> None:
    pair, tf = pair_from_filename(path.name)
    ker = run_both(pair, tf, market_for(pair), load_csv(path), rules=rules_of(tf, ("mtf", "profit_target")))
    assert ker.candles > 0


@pytest.mark.parametrize("action", ["breakeven", "flatten", "hold"])
def test_each_profit_target_action_matches_reference_on_a_real_4h_resample(action: str) -> None:
    path = shared_data() / "kraken/KRAKEN_BTC-USD_1h.csv"
    if not path.is_file():
        pytest.fail(f"real candles not found at {path} (set ZYN_SHARED_DATA)")
    candles = resample(load_csv(path), "1h", "4h")
    ker = run_both("BTC/USD", "4h", market_for("BTC/USD"), candles, keep=True,
                   rules=rules_of("4h", ("profit_target",), pct=0.005, action=action))
    if action == "flatten":
        assert any(t.reason == "profit_target" for t in ker.trades)
    assert any("daily profit target reached" in d.reason for d in ker.decisions)


def test_mtf_vetoes_the_same_entries_with_the_same_words_on_a_real_file() -> None:
    path = shared_data() / "binance/BINANCE_ETH-USDT_1h.csv"
    if not path.is_file():
        pytest.fail(f"real candles not found at {path} (set ZYN_SHARED_DATA)")
    ker = run_both("ETH/USDT", "1h", market_for("ETH/USDT"), load_csv(path), keep=True,
                   rules=rules_of("1h", ("mtf",), mtf=("4h", "1d")))
    reasons = {d.reason.split(" ")[2] for d in ker.decisions if d.reason.startswith("signal ignored: 4h")
               or d.reason.startswith("signal ignored: 1d")}
    assert reasons, "expected entries the higher timeframes did not confirm"


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("pair", "price", "vol"), [("BTC/USD", 30_000.0, 0.004), ("DOGE/USD", 0.07, 0.02)])
def test_kernel_with_every_flag_matches_reference_on_fuzzed_candles(seed: int, pair: str, price: float,
                                                                    vol: float) -> None:
    candles = fuzz_candles(100 + seed, 3000, price, vol, step_ms=5 * 60_000)
    action = ("breakeven", "flatten", "hold", "breakeven")[seed]
    run_both(pair, "5m", market_for(pair), candles, keep=seed < 2,
             rules=rules_of("5m", ("mtf", "profit_target"), pct=0.003, action=action,
                            sessions="07:00-11:00,22:00-02:00", tz="Europe/Berlin", mtf=("1h", "4h")))


def test_trading_sessions_in_a_zone_with_daylight_saving_match_reference() -> None:
    candles = fuzz_candles(77, 20_000, 2_000.0, 0.006, step_ms=15 * 60_000)  # ~7 months: both DST changes
    ker = run_both("ETH/USD", "15m", market_for("ETH/USD"), candles, keep=True,
                   rules=rules_of("15m", ("profit_target",), pct=0.5, sessions="08:30-17:45", tz="America/New_York"))
    assert any("outside the trading sessions" in d.reason for d in ker.decisions)
