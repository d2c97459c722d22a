"""Fast backtest of the autopilot's own strategy/risk code over one pair's candles.

Same strategy (through `core.strategy.port`), `DailyLossGuard` and sizing as the live autopilot; fills follow the pinned
rules: entries at the next candle's open, stop exit at min(open, stop), take-profit at
max(open, target) (stop first), kill-switch flatten at the next open, 0.26 % fee per side.
Cash is kept in Decimal like an exchange ledger, so the replay parity test can match it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from core.domain import Candle, ClosedTrade, Market
from core.markets.timeframes import timeframe_seconds
from core.research.metrics import summarize
from core.strategy.daily_loss import DailyLossGuard, money
from core.strategy.entry_rules import EntryRules
from core.strategy.pinned import CloseContext, Decision, GateFn, Sma20Atr
from core.strategy.port import Strategy
from core.strategy.profit_target import breakeven_stop
from core.strategy.risk import RiskConfig


def D(x: float) -> Decimal:  # noqa: N802 - short and local
    return Decimal(repr(x))


@dataclass
class _Position:
    amount: Decimal
    entry_price: Decimal
    entry_ts: int
    cost: Decimal  # amount x price + entry fee
    fee: Decimal
    stop: float
    target: float
    decision: Decision


@dataclass
class BacktestResult:
    pair: str
    timeframe: str
    candles: int
    trades: list[ClosedTrade]
    equity_curve: list[float]
    decisions: list[Decision] = field(default_factory=list)
    start_equity: float = 10_000.0
    seconds: float = 0.0

    def summary(self) -> dict[str, object]:
        ppy = 365 * 86400 / timeframe_seconds(self.timeframe)
        out: dict[str, object] = {"pair": self.pair, "timeframe": self.timeframe, "candles": self.candles}
        out.update(summarize(self.trades, self.equity_curve, self.start_equity, ppy))
        out["seconds"] = round(self.seconds, 4)
        return out


@dataclass
class Backtester:
    pair: str
    timeframe: str
    market: Market
    cfg: RiskConfig = field(default_factory=RiskConfig)
    start_equity: float = 10_000.0
    gate: GateFn | None = None
    keep_decisions: bool = False
    on_trade: Callable[[ClosedTrade], None] | None = None
    strategy: Strategy = field(default_factory=Sma20Atr)
    rules: EntryRules | None = None  # the optional modules (mtf, profit_target): same code as live

    def run(self, candles: Sequence[Candle]) -> BacktestResult:
        t0 = time.perf_counter()
        run = _Run(self, candles)
        run.loop()
        result = BacktestResult(
            self.pair, self.timeframe, len(candles), run.trades, run.curve, run.decisions, self.start_equity
        )
        result.seconds = time.perf_counter() - t0
        return result


class _Run:
    """One pass over the candles; split from Backtester to keep functions short."""

    def __init__(self, bt: Backtester, candles: Sequence[Candle]) -> None:
        self.bt, self.candles = bt, candles
        self.fee = D(bt.cfg.fee_rate)
        self.cash = D(bt.start_equity)
        self.strategy = bt.strategy.for_pair(bt.pair, bt.market, bt.cfg)
        self.guard = DailyLossGuard(limit=bt.cfg.daily_loss_limit, start_equity=money(bt.start_equity))
        self.pos: _Position | None = None
        self.pending: Decision | None = None
        self.flatten_next = False
        self.flatten_reason = "kill_switch"
        self.trades: list[ClosedTrade] = []
        self.curve: list[float] = []
        self.decisions: list[Decision] = []

    def loop(self) -> None:
        n = len(self.candles)
        for i, c in enumerate(self.candles):
            self._at_open(c)
            self._intrabar(c)
            exact = self.cash + (self.pos.amount * D(c.close) if self.pos else 0)
            equity = float(exact)  # the strategy and the curve work in floats; the guard in Decimal
            self.curve.append(equity)
            tripped = self.guard.on_close(c.ts, exact)
            next_open = self.candles[i + 1].open if i + 1 < n else c.close
            ctx = CloseContext(equity, self.pos is None, self.guard.halted(c.ts), next_open, self.bt.gate)
            d = self.strategy.decide(c, ctx)
            if self.bt.rules is not None:
                self._modules(c, i, equity)
                d = self.bt.rules.review(d, self.candles, i)
            if self.bt.keep_decisions:
                self.decisions.append(d)
            if tripped and self.pos is not None:
                self.flatten_next, self.flatten_reason = True, "kill_switch"
            if d.action == "enter" and i + 1 < n:
                self.pending = d

    def _at_open(self, c: Candle) -> None:
        if self.flatten_next and self.pos is not None:
            self._exit(c, D(c.open), self.flatten_reason)
        self.flatten_next = False
        if self.pending is not None:
            d, self.pending = self.pending, None
            price = D(c.open)
            fee = d.amount * price * self.fee
            stop, target = _levels(c.open, d)
            self.cash -= d.amount * price + fee
            self.pos = _Position(d.amount, price, c.ts, d.amount * price + fee, fee, stop, target, d)

    def _modules(self, c: Candle, i: int, equity: float) -> None:
        """The daily profit target, as live: reached at this close -> act from the next candle."""
        assert self.bt.rules is not None  # noqa: S101 - only called with rules
        start = self.guard.start_equity
        action = self.bt.rules.on_close(c.ts, equity, float(start) if start is not None else None)
        if action is None or self.pos is None:
            return
        if action == "flatten":
            self.flatten_next, self.flatten_reason = True, "profit_target"
        elif action == "breakeven":
            floor = breakeven_stop(float(self.pos.entry_price), self.bt.cfg.fee_rate)
            self.pos.stop = max(self.pos.stop, floor)

    def _intrabar(self, c: Candle) -> None:
        if self.pos is None:
            return
        if c.low <= self.pos.stop:
            self._exit(c, D(min(c.open, self.pos.stop)), "stop")
        elif c.high >= self.pos.target:
            self._exit(c, D(max(c.open, self.pos.target)), "target")

    def _exit(self, c: Candle, price: Decimal, reason: str) -> None:
        pos = self.pos
        assert pos is not None  # noqa: S101 - only called with a position
        proceeds = pos.amount * price
        fee = proceeds * self.fee
        self.cash += proceeds - fee
        pnl = float(proceeds - fee - pos.cost)
        risk = float(pos.amount) * (float(pos.entry_price) - pos.stop)
        trade = ClosedTrade(
            pair=self.bt.pair, entry_ts=pos.entry_ts, exit_ts=c.ts, amount=float(pos.amount),
            entry_price=float(pos.entry_price), exit_price=float(price), stop=pos.stop, target=pos.target,
            fees=float(pos.fee + fee), pnl=pnl, r_multiple=pnl / risk if risk > 0 else 0.0, reason=reason,
            atr=pos.decision.atr or 0.0, sma=pos.decision.sma or 0.0, signal_close=pos.decision.close,
            size_factor=pos.decision.gate.factor,
        )
        self.trades.append(trade)
        self.strategy.record_exit(pnl, c.ts)
        self.pos = None
        if self.bt.on_trade is not None:
            self.bt.on_trade(trade)


def _levels(entry: float, d: Decision) -> tuple[float, float]:
    """The decision's bracket around the entry (no target: never reached)."""
    stop = entry - float(d.stop_distance) if d.stop_distance is not None else 0.0
    target = entry + float(d.target_distance) if d.target_distance is not None else float("inf")
    return stop, target
