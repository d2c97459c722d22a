"""One shared account: the account-wide cap refuses what does not fit; shadow signals hold no money."""

from __future__ import annotations

from core.domain import ClosedTrade, Market
from core.evidence.account import PairTape, simulate
from core.market_data.arrays import CandleArrays
from core.markets.catalog import market_for
from core.research.pair_backtest import PairBacktest
from core.strategy.account_risk import MAX_POSITIONS, TOTAL_RISK_CAP, AccountRiskConfig
from core.strategy.risk import RiskConfig

H = 3_600_000


def _tape(pair: str, market: Market, trades: list[ClosedTrade], n: int = 10) -> PairTape:
    return PairTape(pair, market, [i * H for i in range(n)], [100.0] * n, trades)


def _trade(pair: str, entry_h: int, exit_h: int, exit_price: float) -> ClosedTrade:
    # entry 100, ATR 2 -> stop 97 (1.5 ATR): risk 1 % of 10,000 = 100 -> amount 33.33 (capped at 25 %: 25)
    return ClosedTrade(pair, entry_h * H, exit_h * H, 0.0, 100.0, exit_price, 97.0, 106.0, 0.0, 0.0, 0.0, "stop",
                       atr=2.0)


def test_three_pairs_at_once_fit_the_three_percent_cap_a_fourth_does_not() -> None:
    cfg = RiskConfig(max_position_frac=1.0)
    names = ["A/USD", "B/USD", "C/USD", "D/USD"]
    tapes = [_tape(p, market_for(p), [_trade(p, 1, 5, 100.0)]) for p in names]
    run = simulate(tapes, {p: [True] for p in names}, H, cfg, AccountRiskConfig())
    assert sum(run.taken.values()) == 3
    assert run.refused["D/USD"] == {TOTAL_RISK_CAP: 1}
    fewer = simulate(tapes, {p: [True] for p in names}, H, cfg, AccountRiskConfig(max_positions=2))
    assert sum(fewer.taken.values()) == 2 and fewer.refused["C/USD"] == {MAX_POSITIONS: 1}


def test_shadow_signals_do_not_count_against_the_cap_nor_move_the_account() -> None:
    cfg = RiskConfig(max_position_frac=1.0)
    names = ["A/USD", "B/USD", "C/USD", "D/USD"]
    tapes = [_tape(p, market_for(p), [_trade(p, 1, 5, 97.0)]) for p in names]
    live = {"A/USD": [False], "B/USD": [True], "C/USD": [False], "D/USD": [True]}
    run = simulate(tapes, live, H, cfg, AccountRiskConfig())
    assert run.taken == {"A/USD": 0, "B/USD": 1, "C/USD": 0, "D/USD": 1}
    assert run.pnl["A/USD"] == 0.0 and run.pnl["B/USD"] < 0
    # each live stop-out loses its 1 % risk plus both fees
    assert -0.024 < run.total_return < -0.023  # 100 + fees of 0.26 % on 3,333 in and 3,233 out, twice
    assert run.max_drawdown > 0.02 - 1e-9


def test_the_account_is_marked_to_market_at_every_close() -> None:
    market = market_for("A/USD")
    closes = [100.0, 100.0, 90.0, 110.0, 100.0]
    tape = PairTape("A/USD", market, [i * H for i in range(5)], closes,
                    [_trade("A/USD", 1, 4, 100.0)])
    run = simulate([tape], {"A/USD": [True]}, H, RiskConfig(), AccountRiskConfig())
    assert run.equity[2] < run.equity[1] < run.equity[3]
    assert run.times == [(i + 1) * H for i in range(5)]


def test_one_pair_alone_is_the_kernels_own_backtest(four_pairs_4h: dict[str, tuple[CandleArrays, Market]]) -> None:
    """With one pair and every signal live the shared account IS the single-pair backtest, to the cent."""
    arrays, market = four_pairs_4h["ETH/USD"]
    result = PairBacktest().run("ETH/USD", "4h", market, arrays)
    tape = PairTape.of("ETH/USD", market, arrays, result.trades)
    run = simulate([tape], {"ETH/USD": [True] * len(result.trades)}, 4 * H, RiskConfig(), AccountRiskConfig())
    assert sum(run.taken.values()) == len(result.trades) > 20
    ts = arrays.ts.tolist()
    for trade in result.trades[::7]:
        i = ts.index(trade.exit_ts)
        assert abs(run.equity[i] - result.equity_curve[i]) < 0.01
