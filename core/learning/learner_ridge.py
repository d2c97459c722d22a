"""The learner's opt-in ridge variant (`LearnerConfig.method == "ridge"`).

Why it exists: a regularized linear model of R on continuous features known at the signal
close, as an alternative to the per-context cells in `core.learning.learner_model`. It was tried on the
development set (bench/results/learner_protocol.md) and NOT adopted: it did not beat the
random-skip control. It is kept, apart from the default model, so that experiment can be
re-run (`bench/walk_forward.py --method ridge`); the default stays "cells".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from core.learning.analyzer import TradeRecord
from core.learning.learner_config import LearnerConfig
from core.learning.stats import stdev
from core.markets.timeframes import timeframe_ms
from core.strategy.port import Gate, SignalContext

RIDGE_FEATURES = ("trend", "trend_sq", "atr_rel", "hour_sin", "hour_cos", "weekend")


def numeric_features(
    entry_ts: int, atr_pct: float | None, trend: float | None, atr_median: float | None
) -> list[float]:
    """Continuous context of an entry at `entry_ts` (close of the signal candle); missing -> 0
    after centring, i.e. "average". Order = RIDGE_FEATURES."""
    hour = (entry_ts // 3_600_000) % 24
    weekday = (entry_ts // 86_400_000 + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
    t = min(3.0, max(-1.0, trend)) if trend is not None else math.nan
    rel = math.log(atr_pct / atr_median) if atr_pct and atr_median and atr_pct > 0 else math.nan
    angle = 2 * math.pi * hour / 24
    return [t, t * t, rel, math.sin(angle), math.cos(angle), 1.0 if weekday >= 5 else 0.0]


@dataclass
class RidgeFit:
    """R ~ intercept + coef . standardized features, L2 prior of `lam` pseudo-trades per feature."""

    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    cov: list[list[float]]  # (Z'Z + lam I)^-1, for the prediction's standard error
    sigma: float  # residual sd
    n: int
    atr_median: dict[str, float]  # per pair (training trades only); "*" = pooled

    def z(self, x: list[float]) -> list[float]:
        return [0.0 if math.isnan(v) else (v - m) / s for v, m, s in zip(x, self.mean, self.scale, strict=True)]

    def predict(self, x: list[float]) -> tuple[float, float]:
        """(predicted R, its standard error)."""
        z = self.z(x)
        pred = self.intercept + sum(c * v for c, v in zip(self.coef, z, strict=True))
        quad = sum(z[i] * self.cov[i][j] * z[j] for i in range(len(z)) for j in range(len(z)))
        return pred, self.sigma * math.sqrt(max(0.0, quad) + 1.0 / max(1, self.n))


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """Gaussian elimination with partial pivoting (small, well-conditioned ridge systems)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col_i in range(n):
        piv = max(range(col_i, n), key=lambda r: abs(m[r][col_i]))
        m[col_i], m[piv] = m[piv], m[col_i]
        for r in range(n):
            if r != col_i and m[col_i][col_i] != 0:
                f = m[r][col_i] / m[col_i][col_i]
                m[r] = [x - f * y for x, y in zip(m[r], m[col_i], strict=True)]
    return [m[i][n] / m[i][i] if m[i][i] != 0 else 0.0 for i in range(n)]


def _median(xs: list[float]) -> float | None:
    s = sorted(xs)
    return (s[(len(s) - 1) // 2] + s[len(s) // 2]) / 2 if s else None


def fit_ridge(records: Sequence[TradeRecord], lam: float, min_pair_n: int) -> RidgeFit | None:
    if len(records) < 3:
        return None
    meds: dict[str, float] = {}
    pooled = _median([r.atr_pct for r in records if r.atr_pct])
    if pooled:
        meds["*"] = pooled
    by_pair: dict[str, list[float]] = {}
    for r in records:
        if r.atr_pct:
            by_pair.setdefault(r.pair, []).append(r.atr_pct)
    meds.update({p: m for p, v in by_pair.items() if len(v) >= min_pair_n and (m := _median(v))})
    xs = [numeric_features(r.entry_ts, r.atr_pct, r.trend_strength, meds.get(r.pair, pooled)) for r in records]
    ys = [r.r for r in records]
    k = len(RIDGE_FEATURES)
    mean_, scale = [], []
    for j in range(k):
        col_v = [x[j] for x in xs if not math.isnan(x[j])]
        mu = sum(col_v) / len(col_v) if col_v else 0.0
        mean_.append(mu)
        scale.append(stdev(col_v) or 1.0)
    fit = RidgeFit(mean_, scale, [0.0] * k, 0.0, [], 0.0, len(ys), meds)
    zs = [fit.z(x) for x in xs]
    ybar = sum(ys) / len(ys)
    a = [[sum(z[i] * z[j] for z in zs) + (lam if i == j else 0.0) for j in range(k)] for i in range(k)]
    b = [sum(z[i] * (y - ybar) for z, y in zip(zs, ys, strict=True)) for i in range(k)]
    fit.coef = _solve(a, b)
    fit.cov = [_solve(a, [1.0 if i == j else 0.0 for i in range(k)]) for j in range(k)]
    fit.intercept = ybar
    resid = [y - ybar - sum(c * v for c, v in zip(fit.coef, z, strict=True)) for z, y in zip(zs, ys, strict=True)]
    fit.sigma = stdev(resid)
    return fit


def ridge_gate(fit: RidgeFit, cfg: LearnerConfig, overall: float, version: int, ctx: SignalContext) -> Gate:
    """The ridge verdict for a signal: deny only when the prediction is reliably negative and
    clearly under `overall`; size only when the gap is significant at `cfg.size_z`."""
    ts = ctx.candle.ts + timeframe_ms(cfg.timeframe)
    close = ctx.candle.close
    atr_pct = ctx.atr / close if ctx.atr > 0 and close > 0 else None
    trend = (close - ctx.sma) / ctx.atr if ctx.atr > 0 and ctx.sma > 0 else None
    med = fit.atr_median.get(ctx.pair, fit.atr_median.get("*"))
    pred, se = fit.predict(numeric_features(ts, atr_pct, trend, med))
    gap = pred - overall
    why = (
        f"predicted {pred:+.2f}R (se {se:.2f}) vs overall {overall:+.2f}R over {fit.n} trades "
        f"[trend {trend if trend is not None else float('nan'):.2f} ATR, ATR% {100 * (atr_pct or 0):.2f}]"
    )
    significant = se > 0 and abs(gap) / se >= cfg.z
    if significant and gap < -cfg.deny_margin_r and pred + cfg.z * se < cfg.deny_upper_r:
        return Gate(False, 1.0, version, f"reliably negative: {why}")
    if se <= 0 or abs(gap) / se < cfg.size_z:
        return Gate(True, 1.0, version, f"no reliable edge; plain size: {why}")
    factor = min(cfg.max_factor, max(cfg.min_factor, 1.0 + cfg.size_gain * gap))
    return Gate(True, round(factor, 3), version, f"size {factor:.2f}x: {why}")
