"""The pinned SMA20 cross-up strategy (`sma20_atr`): one decision per closed candle per pair.

The first implementation of the Strategy port (`core/strategy/port.py`): `Sma20Atr` is the
strategy, `PairStrategy` one pair's state. The backtest and the live autopilot both drive it
through the port, so a parity test can compare them trade by trade. It owns the indicator
state, the cool-off and the previous candle's values; the daily kill-switch is account-wide
and passed in. `Decision` and `Gate` are the port's value types (every strategy returns them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, Literal

from core.domain import Candle, Market
from core.strategy.cooloff import CoolOff
from core.strategy.indicators import IndicatorState
from core.strategy.risk import RiskConfig, entry_reason, size_entry

# "shadow": an entry the evidence gate keeps in shadow (recorded with its size, no order; issue 17)
Action = Literal["enter", "skip", "hold", "none", "flatten", "halted", "shadow"]


@dataclass(frozen=True)
class Gate:
    """A learner's verdict on a would-be entry: allow/deny and a size factor in [0.5, 1.5]."""

    allow: bool = True
    factor: float = 1.0
    version: int | None = None
    note: str = ""


@dataclass(frozen=True)
class SignalContext:
    """What is known at the close of the signal candle: handed to a learner's gate."""

    pair: str
    candle: Candle
    sma: float
    atr: float
    equity: float


GateFn = Callable[[SignalContext], Gate]


@dataclass(frozen=True)
class Decision:
    pair: str
    ts: int  # open time of the decision candle
    action: Action
    reason: str
    close: float
    sma: float | None = None
    atr: float | None = None
    equity: float | None = None
    amount: Decimal = Decimal(0)
    entry_price: float | None = None  # estimate (open of the next candle / ticker)
    stop: float | None = None
    target: float | None = None
    gate: Gate = field(default_factory=Gate)
    # The bracket as exact distances below/above the actual fill (None: no target).
    stop_distance: Decimal | None = None
    target_distance: Decimal | None = None


@dataclass(frozen=True)
class CloseContext:
    """What the account knows at a candle's close, handed to the strategy with the candle.

    `halted`: the kill-switch (already updated with this candle's equity) or a pause;
    `next_open`: the price an entry is expected to fill at; `gate`: the learner's verdict, if any.
    """

    equity: float
    flat: bool
    halted: bool
    next_open: float
    gate: GateFn | None = None


@dataclass
class PairStrategy:
    pair: str
    market: Market
    cfg: RiskConfig = field(default_factory=RiskConfig)
    indicators: IndicatorState = field(default_factory=IndicatorState)
    cooloff: CoolOff = field(default_factory=CoolOff)
    prev_close: float | None = None
    prev_sma: float | None = None

    def __post_init__(self) -> None:
        self.cooloff.losses_to_trigger = self.cfg.cooloff_losses
        self.cooloff.candles = self.cfg.cooloff_candles

    def decide(self, candle: Candle, ctx: CloseContext) -> Decision:
        """The port's entry point (`core.strategy.port.PairSignal`)."""
        return self.on_close(
            candle, equity=ctx.equity, flat=ctx.flat, halted=ctx.halted, next_open=ctx.next_open, gate=ctx.gate
        )

    def warm(self, candle: Candle, *, missed: bool = False) -> None:
        """See a closed candle without deciding; a missed one (closed while down) counts for the cool-off."""
        point = self.indicators.update(candle)
        self.prev_close, self.prev_sma = candle.close, point.sma
        if missed:
            self.cooloff.blocks(candle.ts)

    def apply_risk(self, cfg: RiskConfig) -> None:
        """The owner's risk settings from chat (sizing, cool-off) for the decisions that follow."""
        self.cfg = cfg
        self.cooloff.losses_to_trigger, self.cooloff.candles = cfg.cooloff_losses, cfg.cooloff_candles

    def persisted(self) -> dict[str, Any]:
        return self.cooloff.to_dict()

    def restore(self, data: Mapping[str, Any]) -> None:
        cool = CoolOff.from_dict(dict(data))
        cool.losses_to_trigger, cool.candles = self.cfg.cooloff_losses, self.cfg.cooloff_candles
        self.cooloff = cool

    def on_close(  # noqa: PLR0913
        self,
        candle: Candle,
        *,
        equity: float,
        flat: bool,
        halted: bool,
        next_open: float,
        gate: GateFn | None = None,
    ) -> Decision:
        """Decide at the close of `candle`; an entry is acted on at `next_open`.

        `halted` is the account's kill-switch state at this close (already updated with this
        candle's equity). The cool-off counter advances on every call, entry or not.
        """
        point = self.indicators.update(candle)
        prev_close, prev_sma = self.prev_close, self.prev_sma
        self.prev_close, self.prev_sma = candle.close, point.sma
        cooling = self.cooloff.blocks(candle.ts)
        base = Decision(self.pair, candle.ts, "none", "", candle.close, point.sma, point.atr, equity)
        if point.sma is None or point.atr is None or prev_sma is None or prev_close is None:
            return _with(base, "none", "warming up: SMA20/ATR14 not ready")
        crossed = prev_close <= prev_sma and candle.close > point.sma
        if not flat:
            return _with(base, "hold", "in position; the bracket is the exit")
        if not crossed:
            return _with(base, "none", "no cross above SMA20")
        if halted:
            return _with(base, "halted", "signal ignored: daily loss kill-switch is on")
        if cooling:
            return _with(base, "skip", "signal ignored: cool-off after 2 losses in a row")
        return self._entry(base, candle, point.atr, equity, next_open, gate)

    def _entry(
        self, base: Decision, candle: Candle, atr: float, equity: float, next_open: float, gate: GateFn | None
    ) -> Decision:
        verdict = Gate()
        if gate is not None:
            verdict = gate(SignalContext(self.pair, candle, base.sma or 0.0, atr, equity))
            if not verdict.allow:
                return _with(base, "skip", f"learner gate: {verdict.note}", gate=verdict)
        size = size_entry(equity, atr, next_open, self.market, self.cfg, verdict.factor)
        stop = next_open - self.cfg.stop_atr * atr
        target = next_open + self.cfg.target_atr * atr
        if size.amount <= 0:
            return _with(base, "skip", size.reason, entry_price=next_open, stop=stop, target=target, gate=verdict)
        reason = entry_reason(self.cfg, size.capped)
        exact_atr = Decimal(repr(atr))
        return _with(
            base, "enter", reason, amount=size.amount, entry_price=next_open, stop=stop, target=target,
            gate=verdict, stop_distance=Decimal(repr(self.cfg.stop_atr)) * exact_atr,
            target_distance=Decimal(repr(self.cfg.target_atr)) * exact_atr,
        )

    def record_exit(self, pnl: float, exit_candle_ts: int) -> bool:
        """Tell the strategy a trade closed (net P&L); returns True if a cool-off starts."""
        return self.cooloff.record_exit(pnl, exit_candle_ts)


class Sma20Atr:
    """The pinned strategy as a `core.strategy.port.Strategy` (name `sma20_atr`)."""

    name = "sma20_atr"

    def for_pair(self, pair: str, market: Market, cfg: RiskConfig) -> PairStrategy:
        return PairStrategy(pair, market, cfg)


def _with(base: Decision, action: Action, reason: str, **changes: object) -> Decision:
    return replace(base, action=action, reason=reason, **changes)  # type: ignore[arg-type]
