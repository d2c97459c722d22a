"""Walk-forward validation: does the learner beat the plain strategy on data it has not seen?

Why it is built this way (no peeking): the candles are cut into `folds + 1` consecutive
segments. Segment 0 only trains. For test fold k the model is fitted on the trades of a plain
backtest run over the candles *before* the fold's first candle (so every training trade closed
before the fold starts and no later candle exists for it), then one continuous learned backtest
runs over all candles and, for a signal inside fold k, asks fold k's model. Baseline and learned
are both measured over the test window only (segments 1..N), with the contract's backtest fields.
Every gate call is recorded (`GateAudit`) so a test can prove no decision saw a later trade.
The strategy is the Strategy port's (`core.research.pair_backtest.PairBacktest`): the compiled kernel runs
it when it has one (asking the gate at each entry candidate), else the reference Backtester.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from core.domain import Candle, Market, UserError
from core.learning.analyzer import TradeRecord, from_closed_trade
from core.learning.learner_model import LearnerConfig, LearnerModel, fit_model
from core.market_data.arrays import CandleArrays
from core.research.backtest import BacktestResult
from core.research.pair_backtest import PairBacktest
from core.strategy.port import Gate, SignalContext
from core.strategy.risk import RiskConfig


@dataclass(frozen=True)
class GateAudit:
    """One gate call: what the model had seen versus when the decision was made."""

    fold: int
    candle_ts: int  # the signal candle's open time (decision at its close)
    train_last_exit_ts: int | None  # latest exit candle among the model's training trades
    train_data_until_ms: int | None  # latest candle the training backtest was given
    fold_start_ts: int
    allow: bool
    factor: float
    note: str


@dataclass
class FoldGate:
    """The GateFn of the learned run: routes each signal to the model of the fold it falls in."""

    starts: list[int]  # first candle ts of each test fold
    models: list[LearnerModel]
    audit: list[GateAudit] = field(default_factory=list)

    def __call__(self, ctx: SignalContext) -> Gate:
        k = bisect.bisect_right(self.starts, ctx.candle.ts) - 1
        if k < 0:
            return Gate()  # training segment: the plain strategy
        model = self.models[k]
        verdict = model.gate_signal(ctx)
        self.audit.append(
            GateAudit(
                k + 1,
                ctx.candle.ts,
                model.last_exit_ts,
                model.data_until_ms,
                self.starts[k],
                verdict.allow,
                verdict.factor,
                verdict.note,
            )
        )
        return verdict


@dataclass
class WalkForwardResult:
    baseline: BacktestResult
    learned: BacktestResult
    folds: int
    models: list[LearnerModel]
    audit: list[GateAudit]

    @property
    def skipped_by_learner(self) -> int:
        return sum(1 for a in self.audit if not a.allow)

    def contract(self) -> dict[str, object]:
        """Exactly the `zyn backtest --learn --json` object."""
        return {
            "baseline": self.baseline.summary(),
            "learned": self.learned.summary(),
            "folds": self.folds,
            "skipped_by_learner": self.skipped_by_learner,
        }


def fold_starts(n_candles: int, folds: int) -> list[int]:
    """Indices of the first candle of each test fold (segment 0 before them only trains)."""
    if folds < 1:
        raise UserError("walk-forward needs at least 1 fold")
    if n_candles < 2 * (folds + 1):
        raise UserError(f"{n_candles} candles are too few for {folds} walk-forward folds")
    return [round(k * n_candles / (folds + 1)) for k in range(1, folds + 1)]


def training_records(
    arrays: CandleArrays, cutoff_ts: int, pair: str, timeframe: str, market: Market, backtest: PairBacktest
) -> tuple[list[TradeRecord], int | None]:
    """Trades of a plain backtest given only the candles before `cutoff_ts` (all closed before it),
    and the latest candle time that backtest saw."""
    end = bisect.bisect_left(arrays.ts.tolist(), cutoff_ts)
    if end < 2:
        return [], None
    result = backtest.run(pair, timeframe, market, arrays.head(end))
    return [from_closed_trade(t) for t in result.trades if t.exit_ts < cutoff_ts], int(arrays.ts[end - 1])


@dataclass(frozen=True)
class _Setup:
    pair: str
    timeframe: str
    market: Market
    backtest: PairBacktest
    learner: LearnerConfig
    pool: Mapping[str, tuple[CandleArrays, Market]]


def fold_model(arrays: CandleArrays, cutoff_ts: int, version: int, st: _Setup) -> LearnerModel:
    """The model fold `version` uses: trained on this pair's (and the pool's) trades before cutoff."""
    records, seen = training_records(arrays, cutoff_ts, st.pair, st.timeframe, st.market, st.backtest)
    for other, (other_arrays, other_market) in st.pool.items():
        if other == st.pair:
            continue
        more, other_seen = training_records(
            other_arrays, cutoff_ts, other, st.timeframe, other_market, st.backtest
        )
        records += more
        seen = max(seen or 0, other_seen or 0) or None
    records.sort(key=lambda r: r.exit_ts)
    return fit_model(records, st.learner, version=version, data_until_ms=seen)


def walk_forward(  # noqa: PLR0913
    candles: Sequence[Candle],
    pair: str,
    timeframe: str,
    market: Market,
    folds: int = 5,
    min_train_trades: int | None = None,
    *,
    cfg: RiskConfig | None = None,
    learner_config: LearnerConfig | None = None,
    start_equity: float = 10_000.0,
    pool: Mapping[str, tuple[Sequence[Candle], Market]] | None = None,
    backtest: PairBacktest | None = None,
) -> WalkForwardResult:
    """Baseline and learned backtests judged on the test folds, with every fold's model and audit.

    `pool` (other pairs' candles of the same timeframe) adds their trades that closed before each
    fold's start to its training set: more evidence for shared context effects, still no peeking.
    `backtest`: the strategy (from the port) and engine; default the default strategy with `cfg`.
    """
    t0 = time.perf_counter()
    bt = backtest or PairBacktest(cfg=cfg or RiskConfig())
    lcfg = replace(learner_config or LearnerConfig(), timeframe=timeframe)
    if min_train_trades is not None:
        lcfg = replace(lcfg, min_train_trades=min_train_trades)
    arrays = CandleArrays.from_candles(candles)
    pooled = {p: (CandleArrays.from_candles(c), m) for p, (c, m) in (pool or {}).items() if p != pair}
    setup = _Setup(pair, timeframe, market, bt, lcfg, pooled)
    starts = [candles[i].ts for i in fold_starts(len(candles), folds)]
    gate = FoldGate(starts, [fold_model(arrays, ts, k + 1, setup) for k, ts in enumerate(starts)])
    base = bt.run(pair, timeframe, market, arrays, start_equity=start_equity)
    learned = bt.run(pair, timeframe, market, arrays, gate=gate, start_equity=start_equity)
    first = fold_starts(len(candles), folds)[0]
    elapsed = time.perf_counter() - t0
    return WalkForwardResult(
        window(base, first, candles, elapsed),
        window(learned, first, candles, elapsed),
        folds,
        gate.models,
        gate.audit,
    )


def window(result: BacktestResult, start: int, candles: Sequence[Candle], seconds: float) -> BacktestResult:
    """The result restricted to candles[start:]: trades entered there, equity rebased at its start."""
    start_ts = candles[start].ts
    out = BacktestResult(
        result.pair,
        result.timeframe,
        len(candles) - start,
        [t for t in result.trades if t.entry_ts >= start_ts],
        result.equity_curve[start:],
        start_equity=result.equity_curve[start - 1],
    )
    out.seconds = seconds
    return out


def run_walk_forward(  # noqa: PLR0913
    candles: Sequence[Candle],
    pair: str,
    timeframe: str,
    market: Market,
    folds: int = 5,
    min_train_trades: int | None = None,
    *,
    cfg: RiskConfig | None = None,
    learner_config: LearnerConfig | None = None,
    pool: Mapping[str, tuple[Sequence[Candle], Market]] | None = None,
    backtest: PairBacktest | None = None,
) -> dict[str, object]:
    """`{"baseline": {...}, "learned": {...}, "folds": N, "skipped_by_learner": N}` (the contract)."""
    return walk_forward(
        candles,
        pair,
        timeframe,
        market,
        folds,
        min_train_trades,
        cfg=cfg,
        learner_config=learner_config,
        pool=pool,
        backtest=backtest,
    ).contract()
