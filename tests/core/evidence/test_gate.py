"""The evidence gate: only the past counts, small samples borrow from the pool, hysteresis holds."""

from __future__ import annotations

from pathlib import Path

from core.evidence import DEFAULT_RULE, EvidenceGate, EvidenceTrade, GateRule, plain_trades
from core.evidence.rule import DAY_MS
from core.kernel.arrays import CandleArrays
from core.market_data.csv_loader import load_arrays
from core.markets.catalog import market_for

RULE = GateRule(name="test", min_trades=5, lookback_days=0, prior_trades=10.0)


def _trades(pair: str, rs: list[float], start_ms: int = 0, step_ms: int = DAY_MS) -> list[EvidenceTrade]:
    return [EvidenceTrade(pair, start_ms + i * step_ms, start_ms + i * step_ms + step_ms // 2, r)
            for i, r in enumerate(rs)]


def test_a_pair_never_evaluated_is_shadow_with_no_trades() -> None:
    ev = EvidenceGate().state("BTC/USD")
    assert ev.state == "shadow" and ev.trades == 0 and ev.expectancy_r is None and not ev.forced
    assert set(ev.to_json()) == {"state", "trades", "months", "expectancy_r", "interval_low", "interval_high",
                                 "pooled_r", "forced"}


def test_only_trades_closed_by_the_evaluation_time_count() -> None:
    gate = EvidenceGate(RULE)
    winners = _trades("BTC/USD", [2.0, 1.5, 2.5, 1.8, 2.2, 1.9])
    gate.add_all(winners)
    last_close = winners[-1].closed_ms
    before = gate.evaluate(["BTC/USD"], last_close - 1)["BTC/USD"]
    assert before.trades == 5
    at = gate.evaluate(["BTC/USD"], last_close)["BTC/USD"]
    assert at.trades == 6
    # a future trade added now changes nothing at a time before it closed
    gate.add(EvidenceTrade("BTC/USD", last_close + 10 * DAY_MS, last_close + 11 * DAY_MS, -50.0))
    again = gate.evaluate(["BTC/USD"], last_close)["BTC/USD"]
    assert again.trades == 6 and again.expectancy_r == at.expectancy_r


def test_a_clear_winner_goes_live_and_a_loser_stays_shadow() -> None:
    gate = EvidenceGate(RULE)
    gate.add_all(_trades("AAA/USD", [1.0, 1.2, 0.8, 1.1, 0.9, 1.0, 1.05, 0.95] * 4))
    gate.add_all(_trades("BBB/USD", [-1.0, -0.9, -1.1, 0.2] * 8))
    out = gate.evaluate(["AAA/USD", "BBB/USD", "CCC/USD"], 10**12)
    assert out["AAA/USD"].state == "live" and out["AAA/USD"].interval_low is not None
    assert out["AAA/USD"].interval_low > 0  # type: ignore[operator]
    assert out["BBB/USD"].state == "shadow"
    assert out["CCC/USD"].state == "shadow" and out["CCC/USD"].trades == 0
    assert out["CCC/USD"].pooled_r == out["AAA/USD"].pooled_r


def test_few_trades_are_shrunk_toward_the_pool_many_speak_for_themselves() -> None:
    gate = EvidenceGate(RULE)
    gate.add_all(_trades("POOL/USD", [-0.5] * 300))
    gate.add_all(_trades("FEW/USD", [2.0] * 8))
    gate.add_all(_trades("MANY/USD", [2.0] * 300))
    out = gate.evaluate(["FEW/USD", "MANY/USD"], 10**12)
    few, many = out["FEW/USD"].expectancy_r, out["MANY/USD"].expectancy_r
    assert few is not None and many is not None
    assert few < 1.5 < many  # 8 trades borrow strength from the pool, 300 barely do
    assert many > 1.9


def test_hysteresis_keeps_a_live_pair_live_while_its_estimate_stays_positive() -> None:
    rule = GateRule(name="h", min_trades=5, lookback_days=0, prior_trades=0.0, enter_above=0.0, exit_below=0.0)
    gate = EvidenceGate(rule)
    gate.add_all(_trades("AAA/USD", [1.0] * 10))
    assert gate.evaluate(["AAA/USD"], 10**12)["AAA/USD"].state == "live"
    # noisy but still positive on average: the interval's low end is below 0, the estimate above
    gate.add_all(_trades("AAA/USD", [-3.0, 4.0, -3.0, 4.0], start_ms=10**12 + DAY_MS))
    now = 10**12 + 10 * DAY_MS
    ev = gate.evaluate(["AAA/USD"], now)["AAA/USD"]
    assert ev.interval_low is not None and ev.interval_low < 0 < (ev.expectancy_r or 0)
    assert ev.state == "live"
    fresh = EvidenceGate(rule)  # the same figures from shadow: not enough to go live
    fresh.add_all(gate._all.trades)
    assert fresh.evaluate(["AAA/USD"], now)["AAA/USD"].state == "shadow"


def test_forcing_a_pair_makes_it_live_and_says_so() -> None:
    gate = EvidenceGate(RULE)
    ev = gate.evaluate(["BTC/USD"], 0, forced=frozenset({"BTC/USD"}))["BTC/USD"]
    assert ev.state == "live" and ev.forced
    assert gate.evaluate(["BTC/USD"], 1)["BTC/USD"].state == "shadow"


def test_the_lookback_drops_old_trades() -> None:
    rule = GateRule(name="l", min_trades=1, lookback_days=30, prior_trades=0.0)
    gate = EvidenceGate(rule)
    gate.add_all(_trades("AAA/USD", [1.0] * 10))
    assert gate.evaluate(["AAA/USD"], 10 * DAY_MS)["AAA/USD"].trades == 10
    assert gate.evaluate(["AAA/USD"], 45 * DAY_MS)["AAA/USD"].trades == 0


def test_the_same_calls_give_the_same_states_whatever_order_trades_arrive_in(data_dir: Path) -> None:
    candles = load_arrays(data_dir / "kraken_cdd" / "KRAKEN-CDD_BTC-USD_1h.csv").to_candles()[:3000]
    arrays = CandleArrays.from_candles(candles)
    trades = plain_trades("BTC/USD", "1h", market_for("BTC/USD"), arrays)
    assert trades and all(t.closed_ms > t.entered_ms for t in trades)
    a, b = EvidenceGate(DEFAULT_RULE), EvidenceGate(DEFAULT_RULE)
    a.add_all(trades)
    b.add_all(reversed(trades))
    times = [t.closed_ms for t in trades]
    assert [a.evaluate(["BTC/USD"], t) for t in times] == [b.evaluate(["BTC/USD"], t) for t in times]


def test_evaluating_pairs_one_by_one_gives_the_states_of_evaluating_them_together() -> None:
    for rule in (RULE, GateRule(name="q", min_trades=5, lookback_days=0, prior_trades=10.0, review_days=30)):
        together, one_by_one = EvidenceGate(rule), EvidenceGate(rule)
        for gate in (together, one_by_one):
            gate.add_all(_trades("AAA/USD", [1.0, 1.2, 0.8, 1.1, 0.9] * 4))
            gate.add_all(_trades("BBB/USD", [1.0, 1.1, 0.9, 1.05, 0.95] * 4))
        for at in (3 * DAY_MS, 40 * DAY_MS, 80 * DAY_MS):
            both = together.evaluate(["AAA/USD", "BBB/USD"], at)
            single = {p: one_by_one.evaluate([p], at)[p] for p in ("AAA/USD", "BBB/USD")}
            assert both == single, (rule.name, at)
        assert together.state("BBB/USD").state == "live"
