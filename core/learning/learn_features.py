"""Features a learner may use at an entry signal, each known at the close of the signal candle.

Why a separate module: the cell model only sees time and two coarse terciles; a model that can
carry skill needs the market's wider state (higher-timeframe trend, volatility regime, distance
from a longer mean, liquidity) and the strategy's own recent regime (how its last trades on this
pair and across the universe went). Every value here is computed from candles up to and including
the signal candle and from strategy trades whose exit candle is at or before it, so a later candle
or trade can never change it (tests/core/test_learn_features.py changes the future and checks).
Unknown values (too little history) are NaN; models impute them.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.domain import Candle, ClosedTrade
from core.markets.timeframes import timeframe_ms
from core.strategy.indicators import indicator_series

FEATURE_NAMES: tuple[str, ...] = (
    "trend_strength",  # (close - SMA20) / ATR14, trading timeframe
    "atr_pct",  # ATR14 / close
    "htf_trend",  # last completed 1d close vs its SMA20 (fraction)
    "htf_slope",  # 1d SMA20 change per day over 5 completed days (fraction)
    "vol_rank",  # ATR% percentile within its own trailing VOL_WINDOW candles
    "dist_sma100",  # (close - SMA100) / ATR14
    "pair_recent_r",  # mean R of this pair's last PAIR_RECENT strategy trades closed by then
    "universe_recent_r",  # mean R of the universe's last UNIVERSE_RECENT strategy trades
    "liquidity_rank",  # percentile of trailing quote volume among the universe's pairs
    "hour_sin",
    "hour_cos",
    "weekend",
)
DAY_MS = 86_400_000
VOL_WINDOW = 180
LIQ_WINDOW = 180
LONG_SMA = 100
HTF_SMA = 20
HTF_SLOPE_DAYS = 5
PAIR_RECENT = 5
UNIVERSE_RECENT = 20
NAN = float("nan")


@dataclass(frozen=True)
class PairSeries:
    """Per-candle candle-only features of one pair (index-aligned with its candles)."""

    ts: list[int]
    trend_strength: list[float]
    atr_pct: list[float]
    htf_trend: list[float]
    htf_slope: list[float]
    vol_rank: list[float]
    dist_sma100: list[float]
    quote_volume: list[float]  # trailing LIQ_WINDOW-candle sum of close x volume


def pair_series(candles: Sequence[Candle], timeframe: str) -> PairSeries:
    """Candle-only features for every candle; value i uses candles[: i + 1] only."""
    points = indicator_series(candles)
    closes = [c.close for c in candles]
    n = len(candles)
    trend, atr_pct, dist = [NAN] * n, [NAN] * n, [NAN] * n
    long_sum = 0.0
    for i, (c, p) in enumerate(zip(candles, points, strict=True)):
        long_sum += c.close - (closes[i - LONG_SMA] if i >= LONG_SMA else 0.0)
        if p.atr is None or p.atr <= 0 or c.close <= 0:
            continue
        atr_pct[i] = p.atr / c.close
        if p.sma is not None:
            trend[i] = (c.close - p.sma) / p.atr
        if i >= LONG_SMA - 1:
            dist[i] = (c.close - long_sum / LONG_SMA) / p.atr
    htf_t, htf_s = _htf(candles, timeframe)
    return PairSeries(
        [c.ts for c in candles],
        trend,
        atr_pct,
        htf_t,
        htf_s,
        _trailing_rank(atr_pct, VOL_WINDOW),
        dist,
        _trailing_sum([c.close * c.volume for c in candles], LIQ_WINDOW),
    )


def _trailing_rank(xs: Sequence[float], window: int) -> list[float]:
    """Percentile of xs[i] among the finite values of xs[i-window+1 .. i] (itself included)."""
    out = [NAN] * len(xs)
    win: list[float] = []
    for i, x in enumerate(xs):
        if i >= window and math.isfinite(xs[i - window]):
            win.pop(bisect.bisect_left(win, xs[i - window]))
        if math.isfinite(x):
            bisect.insort(win, x)
            if len(win) >= window // 4:
                out[i] = bisect.bisect_right(win, x) / len(win)
    return out


def _trailing_sum(xs: Sequence[float], window: int) -> list[float]:
    out, total = [], 0.0
    for i, x in enumerate(xs):
        total += x - (xs[i - window] if i >= window else 0.0)
        out.append(total)
    return out


def _htf(candles: Sequence[Candle], timeframe: str) -> tuple[list[float], list[float]]:
    """1d trend and slope from *completed* days only: day d is complete at d + 1 day."""
    tf = timeframe_ms(timeframe)
    n = len(candles)
    if tf >= DAY_MS or n == 0:
        return [NAN] * n, [NAN] * n
    day_close: dict[int, float] = {}
    for c in candles:
        day_close[c.ts // DAY_MS * DAY_MS] = c.close  # the last candle of the day sets its close
    days = sorted(day_close)
    closes = [day_close[d] for d in days]
    sma = [
        sum(closes[j - HTF_SMA + 1 : j + 1]) / HTF_SMA if j >= HTF_SMA - 1 else NAN for j in range(len(days))
    ]
    trend, slope = [NAN] * n, [NAN] * n
    for i, c in enumerate(candles):
        decision = c.ts + tf
        j = bisect.bisect_right(days, decision - DAY_MS) - 1  # last day with start + 1d <= decision
        if j < 0 or not math.isfinite(sma[j]) or sma[j] <= 0:
            continue
        trend[i] = closes[j] / sma[j] - 1.0
        k = j - HTF_SLOPE_DAYS
        if k >= 0 and math.isfinite(sma[k]) and sma[k] > 0:
            slope[i] = (sma[j] / sma[k] - 1.0) / HTF_SLOPE_DAYS
    return trend, slope


def time_features(decision_ms: int) -> tuple[float, float, float]:
    """Hour of day on the unit circle and a weekend flag, of the decision time (UTC)."""
    hour = (decision_ms // 3_600_000) % 24
    weekday = (decision_ms // DAY_MS + 3) % 7  # 1970-01-01 was a Thursday (Monday = 0)
    angle = 2 * math.pi * hour / 24
    return math.sin(angle), math.cos(angle), 1.0 if weekday >= 5 else 0.0


class Universe:
    """Feature vectors for any pair's signal, from every pair's candles and strategy trades.

    `trades` are the plain strategy's closed trades (a backtest, or the live journal): the
    strategy's own recent regime. Only trades whose exit candle is at or before the signal
    candle count, so the value is known at the signal close.
    """

    def __init__(
        self,
        candles: Mapping[str, Sequence[Candle]],
        trades: Mapping[str, Sequence[ClosedTrade]],
        timeframe: str,
    ) -> None:
        self.timeframe = timeframe
        self.tf_ms = timeframe_ms(timeframe)
        self.series = {p: pair_series(cs, timeframe) for p, cs in candles.items()}
        self._np: dict[str, tuple[Any, Any]] = {}
        self._pair_exits: dict[str, tuple[list[int], list[float]]] = {}
        for p, ts in trades.items():
            done = sorted((t.exit_ts, t.r_multiple) for t in ts)
            self._pair_exits[p] = ([e for e, _ in done], _cumsum([r for _, r in done]))
        merged = sorted((t.exit_ts, t.r_multiple) for ts in trades.values() for t in ts)
        self._all_exits = [e for e, _ in merged]
        self._all_cum = _cumsum([r for _, r in merged])

    def vector(self, pair: str, signal_ts: int, liquidity: float | None = None) -> list[float]:
        """The FEATURE_NAMES values for a signal on `pair`'s candle opening at `signal_ts`
        (`liquidity`: its liquidity rank when already computed by `vectors`)."""
        s = self.series[pair]
        i = bisect.bisect_right(s.ts, signal_ts) - 1
        if i < 0:
            return [NAN] * len(FEATURE_NAMES)
        exits, cum = self._pair_exits.get(pair, ([], [0.0]))
        pair_r = _recent_mean(exits, cum, signal_ts, PAIR_RECENT)
        all_r = _recent_mean(self._all_exits, self._all_cum, signal_ts, UNIVERSE_RECENT)
        return [
            s.trend_strength[i],
            s.atr_pct[i],
            s.htf_trend[i],
            s.htf_slope[i],
            s.vol_rank[i],
            s.dist_sma100[i],
            pair_r,
            all_r,
            self.liquidity_rank(pair, signal_ts) if liquidity is None else liquidity,
            *time_features(signal_ts + self.tf_ms),
        ]

    def vectors(self, pair: str, signal_ts: Sequence[int]) -> list[list[float]]:
        """`vector` for many signals of one pair (the same values)."""
        out: list[list[float]] = self.matrix(pair, signal_ts).tolist()
        return out

    def matrix(self, pair: str, signal_ts: Sequence[int]) -> Any:
        """`vector` for many signals of one pair as one numpy row each, computed column-wise with
        the same float operations (lookups, the same subtractions and divisions, sin/cos from a
        table of `time_features`' own values): the per-signal Python loop was most of the cost."""
        import numpy as np  # lazy: numpy loads only when used

        q = np.asarray(signal_ts, dtype=np.int64)
        out = np.full((q.shape[0], len(FEATURE_NAMES)), NAN)
        s = self.series[pair]
        idx = np.searchsorted(self._columns(pair)[0], q, side="right") - 1
        ok = idx >= 0
        at = idx[ok]
        for col, values in enumerate((s.trend_strength, s.atr_pct, s.htf_trend, s.htf_slope, s.vol_rank,
                                      s.dist_sma100)):
            out[ok, col] = np.asarray(values, dtype=np.float64)[at]
        exits, cum = self._pair_exits.get(pair, ([], [0.0]))
        out[ok, 6] = _recent_means(exits, cum, q[ok], PAIR_RECENT)
        out[ok, 7] = _recent_means(self._all_exits, self._all_cum, q[ok], UNIVERSE_RECENT)
        out[ok, 8] = np.asarray(self.liquidity_ranks(pair, q[ok].tolist()), dtype=np.float64)
        decision = q[ok] + self.tf_ms
        hour = (decision // 3_600_000) % 24
        table = np.asarray([time_features(h * 3_600_000) for h in range(24)], dtype=np.float64)
        out[ok, 9], out[ok, 10] = table[hour, 0], table[hour, 1]
        out[ok, 11] = np.where((decision // DAY_MS + 3) % 7 >= 5, 1.0, 0.0)
        return out

    def liquidity_rank(self, pair: str, signal_ts: int) -> float:
        """Share of the universe's pairs whose trailing quote volume (each at its latest candle
        at or before the signal candle) is at or below this pair's."""
        values: dict[str, float] = {}
        for p, s in self.series.items():
            i = bisect.bisect_right(s.ts, signal_ts) - 1
            if i >= 0:
                values[p] = s.quote_volume[i]
        own = values.get(pair)
        if own is None or not values:
            return NAN
        return sum(1 for v in values.values() if v <= own) / len(values)

    def liquidity_ranks(self, pair: str, signal_ts: Sequence[int]) -> list[float]:
        """`liquidity_rank` for many signal times (same counts, same division)."""
        import numpy as np  # lazy: numpy loads only when used

        if pair not in self.series or not signal_ts:
            return [NAN] * len(signal_ts)
        q = np.asarray(signal_ts, dtype=np.int64)
        own, own_ok = self._volume_at(pair, q)
        at_or_below = np.zeros(q.shape[0], np.int64)
        present = np.zeros(q.shape[0], np.int64)
        for p in self.series:
            v, ok = self._volume_at(p, q)
            present += ok
            at_or_below += ok & (v <= own)
        return [int(c) / int(n) if has else NAN
                for has, c, n in zip(own_ok.tolist(), at_or_below.tolist(), present.tolist(), strict=True)]

    def _volume_at(self, pair: str, q: Any) -> tuple[Any, Any]:
        """Trailing quote volume of `pair` at its latest candle at or before each time, and
        whether it has one."""
        import numpy as np  # lazy: numpy loads only when used

        ts, volume = self._columns(pair)
        idx = np.searchsorted(ts, q, side="right") - 1
        ok = idx >= 0
        return volume[np.maximum(idx, 0)], ok

    def _columns(self, pair: str) -> tuple[Any, Any]:
        """The pair's candle times and trailing quote volumes as numpy arrays (made once)."""
        import numpy as np  # lazy: numpy loads only when used

        if pair not in self._np:
            s = self.series[pair]
            self._np[pair] = (np.asarray(s.ts, dtype=np.int64), np.asarray(s.quote_volume, dtype=np.float64))
        return self._np[pair]


def _cumsum(xs: Sequence[float]) -> list[float]:
    out = [0.0]
    for x in xs:
        out.append(out[-1] + x)
    return out


def _recent_means(exits: list[int], cum: list[float], signal_ts: Any, k: int) -> Any:
    """`_recent_mean` for an array of signal times (the same subtraction and division)."""
    import numpy as np  # lazy: numpy loads only when used

    j = np.searchsorted(np.asarray(exits, dtype=np.int64), signal_ts, side="right")
    i = np.maximum(0, j - k)
    c = np.asarray(cum, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (c[j] - c[i]) / (j - i)
    return np.where(j == 0, 0.0, means)


def _recent_mean(exits: list[int], cum: list[float], signal_ts: int, k: int) -> float:
    """Mean of the last k values whose exit candle opened at or before the signal candle."""
    j = bisect.bisect_right(exits, signal_ts)
    if j == 0:
        return 0.0
    i = max(0, j - k)
    return (cum[j] - cum[i]) / (j - i)
