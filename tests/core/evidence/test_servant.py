"""The --servant walk-forward: no look-ahead, the contract's summary, controls at the servant's live share."""

from __future__ import annotations

from core.domain import Market
from core.evidence import GateRule
from core.evidence.servant import control_flags, servant_walk_forward
from core.market_data.arrays import CandleArrays

SUMMARY_KEYS = {"baseline_return", "servant_return", "control_return", "control_seeds", "seeds_beaten", "skill",
                "live_trades", "shadow_trades", "baseline_max_drawdown", "servant_max_drawdown", "deflated_sharpe",
                "variants_tried"}
RULE = GateRule(name="t", min_trades=5, lookback_days=120, prior_trades=10.0, z=0.5)


def test_summary_and_rows_have_the_contract_shape(four_pairs_4h: dict[str, tuple[CandleArrays, Market]]) -> None:
    res = servant_walk_forward(four_pairs_4h, "4h", seeds=3, rule=RULE, variants_tried=5)
    body = res.contract()
    assert set(body) == {"timeframe", "pairs", "summary"} and body["timeframe"] == "4h"
    s = res.summary()
    assert set(s) == SUMMARY_KEYS and s["control_seeds"] == 3 and s["variants_tried"] == 5
    assert s["live_trades"] + s["shadow_trades"] <= sum(len(t.trades) for t in res.tapes)  # type: ignore[operator]
    assert s["shadow_trades"] > 0 and s["live_trades"] > 0  # type: ignore[operator]
    dsr = s["deflated_sharpe"]
    assert isinstance(dsr, float) and 0.0 <= dsr <= 1.0
    rows = body["pairs"]
    assert [r["pair"] for r in rows] == sorted(four_pairs_4h)  # type: ignore[index]
    contribution = sum(r["return_contribution"] for r in rows)  # type: ignore[index]
    assert abs(contribution - s["servant_return"]) < 1e-9  # type: ignore[operator]  # every trade closed


def test_controls_keep_each_pairs_number_of_live_signals() -> None:
    live = {"A/USD": [True, False, False, True, False], "B/USD": [False] * 4}
    for seed in range(5):
        flags = control_flags(live, seed)
        assert flags["A/USD"].count(True) == 2 and flags["B/USD"] == [False] * 4
    assert control_flags(live, 1) == control_flags(live, 1)


def test_no_decision_depends_on_a_later_candle(four_pairs_4h: dict[str, tuple[CandleArrays, Market]]) -> None:
    full = servant_walk_forward(four_pairs_4h, "4h", seeds=1, rule=RULE)
    cut_ms = int(four_pairs_4h["BTC/USD"][0].ts[3000])
    short = {p: (CandleArrays.from_candles([c for c in a.to_candles() if c.ts < cut_ms]), m)
             for p, (a, m) in four_pairs_4h.items()}
    part = servant_walk_forward(short, "4h", seeds=1, rule=RULE)
    for pair in four_pairs_4h:
        early = [t.entry_ts for t in part.tapes[sorted(short).index(pair)].trades]
        both = dict(zip([t.entry_ts for t in full.tapes[sorted(four_pairs_4h).index(pair)].trades],
                        full.live[pair], strict=True))
        assert part.live[pair] == [both[ts] for ts in early], pair  # the same live/shadow calls before the cut
        steps_before = [s for s in full.walk.transitions[pair] if s[0] < cut_ms]
        assert part.walk.transitions[pair][: len(steps_before)] == steps_before
    assert any(any(flags) for flags in part.live.values())
