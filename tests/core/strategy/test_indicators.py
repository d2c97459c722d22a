from core.domain import Candle
from core.strategy.indicators import IndicatorState, indicator_series


def c(i: int, o: float, h: float, low: float, cl: float) -> Candle:
    return Candle(i * 3600_000, o, h, low, cl, 1.0)


def test_sma_needs_20_closes_and_is_the_plain_mean() -> None:
    candles = [c(i, 10 + i, 11 + i, 9 + i, 10 + i) for i in range(25)]
    pts = indicator_series(candles)
    assert all(p.sma is None for p in pts[:19])
    assert pts[19].sma == sum(10 + i for i in range(20)) / 20
    assert pts[24].sma == sum(10 + i for i in range(5, 25)) / 20


def test_wilder_atr_first_is_mean_of_14_true_ranges_then_smoothed() -> None:
    # first TR = high - low; later TR uses the previous close
    candles = [c(0, 10, 12, 9, 11)] + [c(i, 11, 13, 10, 11) for i in range(1, 15)] + [c(15, 11, 20, 11, 19)]
    pts = indicator_series(candles)
    trs = [3.0] + [3.0] * 13  # max(13-10, |13-11|, |10-11|) = 3
    assert pts[12].atr is None
    assert pts[13].atr == sum(trs) / 14
    tr_14 = 3.0  # candle 14 is like the others
    atr14 = (13 * pts[13].atr + tr_14) / 14
    assert pts[14].atr == atr14
    tr_15 = max(20 - 11, abs(20 - 11), abs(11 - 11))
    assert abs(pts[15].atr - (13 * atr14 + tr_15) / 14) < 1e-12


def test_gap_up_true_range_uses_previous_close() -> None:
    st = IndicatorState(sma_period=2, atr_period=1)
    st.update(c(0, 10, 10.5, 9.5, 10))
    p = st.update(c(1, 15, 15.5, 14.5, 15))
    assert p.atr == 5.5  # |15.5 - 10|
