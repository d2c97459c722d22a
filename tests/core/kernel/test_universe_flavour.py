"""A universe's kernel flavour (issue 20.4, session 7): `by_universe` answers "compiled" once the
first tick's warm-up (pairs x candles each pair is warmed from) is as much work as one call that
`by_work` compiles, and nothing for a small universe (each call keeps choosing by its own work);
the strategy built with a flavour hands it to every signal and backtester it builds."""

from __future__ import annotations

from core.evidence.plain_record import PlainRecord
from core.kernel.flavour import COMPILE_FROM, by_universe, by_work
from core.kernel.signal import KernelSma20Atr
from core.kernel.strategies import strategy_named
from core.markets.catalog import market_for
from core.strategy.risk import RiskConfig


def test_a_big_universe_runs_compiled_and_a_small_one_by_each_calls_work() -> None:
    assert by_universe(1_000, 528) == "compiled"  # the 1,000 pairs at 1h (mtf's 1d needs 528 candles)
    assert by_universe(231, 528) == "compiled"
    assert by_universe(250, 200) == "compiled"  # 4h: the autopilot's 200 candles
    assert by_universe(2, 528) is None  # a two-pair `zyn run`: never numba
    assert by_universe(30, 528) is None  # the universe module's default cap
    assert by_universe(249, 200) is None


def test_the_universe_break_even_is_the_single_calls() -> None:
    assert by_universe(1, COMPILE_FROM) == by_work(COMPILE_FROM) == "compiled"
    assert by_universe(COMPILE_FROM, 1) == "compiled"
    assert by_universe(1, COMPILE_FROM - 1) is None


def test_the_strategy_hands_its_flavour_to_every_signal_and_backtester() -> None:
    market, cfg = market_for("BTC/USD"), RiskConfig()
    for flavour in ("compiled", "interpreted", None):
        strategy = strategy_named("sma20_atr", flavour)  # type: ignore[arg-type]
        assert isinstance(strategy, KernelSma20Atr) and strategy.flavour == flavour
        assert strategy.for_pair("BTC/USD", market, cfg).flavour == flavour
        assert strategy.backtester("BTC/USD", "1h", market, cfg).flavour == flavour
    assert strategy_named("sma20_atr").flavour is None  # type: ignore[attr-defined]


def test_an_evidence_record_runs_in_the_flavour_it_is_given() -> None:
    from core.market_data.arrays import CandleArrays
    from core.market_data.csv_loader import load_csv
    from tests.conftest import shared_data

    candles = load_csv(shared_data() / "kraken/KRAKEN_BTC-USD_1h.csv")[:300]
    held = CandleArrays.from_candles(candles)
    market = market_for("BTC/USD")
    compiled = PlainRecord("BTC/USD", "1h", flavour="compiled")
    interpreted = PlainRecord("BTC/USD", "1h", flavour="interpreted")
    assert compiled.trades(market, held) == interpreted.trades(market, held)
    assert compiled._run is not None and compiled._run._bt.flavour == "compiled"
