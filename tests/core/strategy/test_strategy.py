from decimal import Decimal

from core.domain import Candle, Market
from core.strategy.daily_loss import DailyLossGuard
from core.strategy.pinned import Gate, PairStrategy
from core.strategy.risk import RiskConfig, round_down, size_entry

MKT = Market("BTC/USD", "BTC", "USD")


def flat_then_cross(n_flat: int = 25) -> list[Candle]:
    """Closes at 100 (at or below SMA) then one close at 110 (above): a cross-up on the last."""
    out = [Candle(i * 3600_000, 100, 101, 99, 100, 1) for i in range(n_flat)]
    out.append(Candle(n_flat * 3600_000, 100, 111, 99, 110, 1))
    return out


def run(strategy: PairStrategy, candles: list[Candle], **kw: object):  # type: ignore[no-untyped-def]
    d = None
    for cdl in candles:
        d = strategy.on_close(cdl, equity=10_000.0, flat=True, halted=False, next_open=cdl.close, **kw)  # type: ignore[arg-type]
    return d


def test_cross_up_enters_with_pinned_size_and_bracket() -> None:
    d = run(PairStrategy("BTC/USD", MKT), flat_then_cross())
    assert d.action == "enter"
    atr = d.atr
    raw = 0.01 * 10_000 / (1.5 * atr)
    cap = 0.25 * 10_000 / 110
    assert d.amount == round_down(min(raw, cap), 8)
    assert d.stop == 110 - 1.5 * atr and d.target == 110 + 3 * atr


def test_no_entry_when_in_position_halted_or_gated() -> None:
    candles = flat_then_cross()
    s = PairStrategy("BTC/USD", MKT)
    for cdl in candles[:-1]:
        s.on_close(cdl, equity=1e4, flat=True, halted=False, next_open=100)
    assert s.on_close(candles[-1], equity=1e4, flat=True, halted=True, next_open=110).action == "halted"
    s2 = PairStrategy("BTC/USD", MKT)
    d = run(s2, candles, gate=lambda ctx: Gate(allow=False, note="planted"))
    assert d.action == "skip" and "planted" in d.reason


def test_cooloff_blocks_six_candles_after_second_loss() -> None:
    s = PairStrategy("BTC/USD", MKT)
    assert not s.record_exit(-5.0, 1000)
    assert s.record_exit(-5.0, 2000)
    blocked = [s.cooloff.blocks(ts) for ts in (2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000)]
    assert blocked == [False, True, True, True, True, True, True, False]


def test_size_below_minimum_is_a_skip_with_reason() -> None:
    market = Market("BTC/USD", "BTC", "USD", ordermin=Decimal("5"))
    r = size_entry(10_000, 100, 30_000, market, RiskConfig())
    assert r.amount == 0 and "below the exchange minimum" in r.reason


def test_an_entry_whose_stop_would_be_below_the_order_minimum_is_skipped() -> None:
    """Issue 13 defect 1 for the autopilot: 1.11 coins at 1.00 is a 1.11 USD buy, but the stop at
    0.10 is a 0.11 USD sell, which Kraken (costmin 0.50) would refuse after the buy filled."""
    market = Market("X/USD", "X", "USD", costmin=Decimal("0.5"))
    r = size_entry(100, 0.6, 1.0, market, RiskConfig())
    assert r.amount == 0 and "stop value 0.11 below the exchange minimum 0.5" in r.reason
    assert size_entry(100, 0.6, 1.0, Market("X/USD", "X", "USD", costmin=Decimal("0.1")), RiskConfig()).amount > 0


def test_kill_switch_trips_at_3_percent_of_previous_day_close() -> None:
    g = DailyLossGuard(start_equity=10_000)
    day = 86_400_000
    assert not g.on_close(0, 9_800)
    assert g.on_close(3600_000, 9_700)  # <= 0.97 x 10000
    assert g.halted(7200_000) and not g.halted(day)
    assert not g.on_close(day + 3600_000, 9_500)  # new day starts from 9700: 9500 > 9409
    assert g.start_equity == 9_700
