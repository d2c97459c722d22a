"""The kernel against the reference on seeded, nasty candles: gaps in time, flat candles, limit
moves, tiny prices with big lot counts, exchange minimums that bite, and a learner's gate."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest

from core.domain import Candle, Market
from core.markets.catalog import market_for
from core.strategy.pinned import Gate, SignalContext
from core.strategy.risk import RiskConfig
from tests.core.kernel.parity import run_both

MIN = 60_000


def fuzz_candles(seed: int, n: int, price: float, vol: float, step_ms: int = MIN) -> list[Candle]:
    rng = random.Random(seed)
    ts, close, out = 1_600_000_000_000, price, []
    for _ in range(n):
        ts += step_ms * (rng.choice([1] * 20 + [2, 7, 60, 1440]))  # gaps, some over a UTC day
        roll = rng.random()
        if roll < 0.05:  # flat candle (an outage forward-filled)
            o = h = lo = c = close
        else:
            jump = rng.choice([0.0] * 30 + [0.2, -0.2, 0.5, -0.45]) if roll > 0.97 else 0.0  # limit moves
            o = round(close * (1 + jump), 8)
            c = round(max(o * (1 + rng.gauss(0, vol)), 1e-8), 8)
            h = round(max(o, c) * (1 + abs(rng.gauss(0, vol))), 8)
            lo = round(max(min(o, c) * (1 - abs(rng.gauss(0, vol))), 1e-8), 8)
        out.append(Candle(ts, o, h, lo, c, 1.0))
        close = c
    return out


CASES = [
    ("BTC/USD", 30_000.0, 0.004),
    ("ETH/BTC", 0.05, 0.01),
    ("DOGE/USD", 0.07, 0.02),
    ("XRP/USD", 0.5, 0.03),
]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize(("pair", "price", "vol"), CASES)
def test_kernel_matches_reference_on_fuzzed_candles(seed: int, pair: str, price: float, vol: float) -> None:
    candles = fuzz_candles(seed, 3000, price, vol)
    run_both(pair, "1m", market_for(pair), candles, keep=seed == 0)


def test_minimums_and_lot_rounding_skip_the_same_entries() -> None:
    market = Market("SHIB/USD", "SHIB", "USD", lot_decimals=0, pair_decimals=8, ordermin=Decimal(50_000),
                    costmin=Decimal("5"))
    candles = fuzz_candles(11, 4000, 0.00001, 0.02)
    ker = run_both("SHIB/USD", "1m", market, candles, start_equity=300.0, keep=True)
    codes = {d.reason.split(" ")[0] for d in ker.decisions if d.action == "skip"}
    assert codes, "expected some entries skipped by the minimums"


def test_small_account_hits_costmin_and_ordermin() -> None:
    candles = fuzz_candles(5, 3000, 30_000.0, 0.01)
    ker = run_both("BTC/USD", "1m", market_for("BTC/USD"), candles, start_equity=40.0, keep=True)
    assert any(d.action == "skip" for d in ker.decisions)


def test_gate_is_asked_at_the_same_candles_with_the_same_equity() -> None:
    seen: list[tuple[int, float]] = []

    def gate(ctx: SignalContext) -> Gate:
        seen.append((ctx.candle.ts, ctx.equity))
        h = ctx.candle.ts // MIN % 7
        return Gate(allow=h != 3, factor=0.5 + h / 6, note=f"h{h}")

    candles = fuzz_candles(3, 4000, 2_000.0, 0.01)
    run_both("ETH/USD", "1m", market_for("ETH/USD"), candles, gate=gate, keep=True)
    half = len(seen) // 2
    assert half > 5 and seen[:half] == seen[half:]  # reference first, kernel second: identical calls


def test_tight_risk_config_with_quick_cooloff_and_kill_switch() -> None:
    cfg = RiskConfig(risk_per_trade=0.05, daily_loss_limit=0.01, cooloff_losses=1, cooloff_candles=3)
    candles = fuzz_candles(8, 4000, 100.0, 0.02, step_ms=5 * MIN)
    ker = run_both("LTC/USD", "5m", market_for("LTC/USD"), candles, cfg=cfg, keep=True)
    reasons = {t.reason for t in ker.trades}
    assert "kill_switch" in reasons and "stop" in reasons


def test_a_stop_order_below_the_exchange_minimum_skips_the_same_entries() -> None:
    """An entry whose cost clears costmin but whose stop order (amount x stop) does not: skipped
    by both, with the reference's words."""
    market = Market("ETH/USD", "ETH", "USD", lot_decimals=8, pair_decimals=2, ordermin=Decimal("0.0001"),
                    costmin=Decimal("5"))
    skipped = 0
    for start in (20.02, 20.05, 20.1, 20.2):  # 25 % of equity lands just above costmin
        ker = run_both("ETH/USD", "1m", market, fuzz_candles(21, 3000, 2_000.0, 0.01), start_equity=start, keep=True)
        skipped += sum(d.reason.startswith("stop value") for d in ker.decisions)
    assert skipped > 0
