"""The pinned strategy on the compiled kernel, for the live autopilot (through the Strategy port).

Why: the autopilot must decide with the very code the backtest runs, not a Python twin of it.
`KernelPairSignal` keeps one pair's state in the kernel's arrays (indicators, previous values,
cool-off) and calls the kernel's step (`core.kernel.loop.live_step`; interpreted, one candle's work
is small: core/kernel/flavour.py) once per closed candle: a
code comes back, the learner's gate is asked only for an entry candidate, the size is the
loop's (or exact Decimals when floats cannot decide), and the code becomes a `Decision` only here,
because the autopilot stores every decision. `KernelSma20Atr` is the port's pinned `sma20_atr`:
its `backtester` is the whole-array kernel, which `zyn backtest` uses through the port.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from types import ModuleType
from typing import Any

import numpy as np

from core.domain import Candle, Market
from core.kernel import codes as C
from core.kernel import layout as L
from core.kernel.backtest import SIZE_CODES, KernelBacktester, _params
from core.kernel.flavour import Flavour, by_work, entry_points
from core.strategy.cooloff import CoolOff
from core.strategy.entry_rules import EntryRules
from core.strategy.pinned import CloseContext, Decision, Gate, GateFn, SignalContext, Sma20Atr
from core.strategy.risk import RiskConfig, entry_reason, size_entry


class KernelPairSignal:
    """One pair's `core.strategy.port.PairSignal`, decided by the compiled kernel."""

    def __init__(self, pair: str, market: Market, cfg: RiskConfig, flavour: Flavour | None = None) -> None:
        self.pair, self.market, self.cfg = pair, market, cfg
        self.flavour = flavour  # None: by the work of a step (core/kernel/flavour.py)
        self._entry: ModuleType | None = None  # the given flavour's entry points, resolved at the first call
        self.st = np.zeros(L.N_I, np.int64)
        self.fs = np.zeros(L.N_F, np.float64)
        self.ring = np.zeros(L.SMA_N, np.float64)
        self.fp, self.ip = _params(market, cfg, False, False)

    def _kernel(self) -> ModuleType:
        """One candle's work: interpreted, unless the compiled flavour is loaded already (or given).
        A given flavour is resolved once: a universe's first close warms each pair one call per
        candle (1,000 pairs x 720 calls), and resolving it at each call cost a third of a compiled warm."""
        if self._entry is not None:
            return self._entry
        if self.flavour is None:
            return entry_points(by_work(1))
        self._entry = entry_points(self.flavour)
        return self._entry

    # ------------------------------------------------------------ the port
    def warm(self, candle: Candle, *, missed: bool = False) -> None:
        self._kernel().live_warm(int(candle.ts), float(candle.high), float(candle.low), float(candle.close),
                                 bool(missed), self.st, self.fs, self.ring)

    def decide(self, candle: Candle, ctx: CloseContext) -> Decision:
        # one compiled signature: plain floats/ints/bools whatever the candle was built from
        code, k = self._kernel().live_step(int(candle.ts), float(candle.high), float(candle.low),
                                           float(candle.close), not ctx.flat, bool(ctx.halted), float(ctx.equity),
                                           float(ctx.next_open), ctx.gate is not None, self.st, self.fs, self.ring,
                                           self.fp, self.ip)
        verdict = Gate()
        if code == -1 and ctx.gate is not None:
            code, k, verdict = self._gated(candle, ctx, ctx.gate)
        if code == -1:
            code, k = self._size_exactly(ctx, verdict.factor)
        return self.decision(candle, ctx, int(code), int(k), verdict)

    def record_exit(self, pnl: float, exit_candle_ts: int) -> bool:
        return bool(self._kernel().live_record_exit(bool(pnl < 0), int(exit_candle_ts), self.st, self.ip))

    def apply_risk(self, cfg: RiskConfig) -> None:
        self.cfg = cfg
        self.fp, self.ip = _params(self.market, cfg, False, False)

    def persisted(self) -> dict[str, Any]:
        return self.cooloff().to_dict()

    def restore(self, data: Mapping[str, Any]) -> None:
        cool = CoolOff.from_dict(dict(data))
        self.st[L.I_STREAK], self.st[L.I_COOL_REM] = cool.streak, cool.remaining
        self.st[L.I_COOL_HAS] = int(cool.exit_ts is not None)
        self.st[L.I_COOL_EXIT_TS] = cool.exit_ts or 0

    def cooloff(self) -> CoolOff:
        st = self.st
        exit_ts = int(st[L.I_COOL_EXIT_TS]) if st[L.I_COOL_HAS] == 1 else None
        return CoolOff(self.cfg.cooloff_losses, self.cfg.cooloff_candles, int(st[L.I_STREAK]), exit_ts,
                       int(st[L.I_COOL_REM]))

    # ------------------------------------------------------------ the Python side of a step
    def _gated(self, candle: Candle, ctx: CloseContext, gate: GateFn) -> tuple[int, int, Gate]:
        verdict = gate(SignalContext(self.pair, candle, float(self.fs[L.F_SMA]), float(self.fs[L.F_ATR]), ctx.equity))
        if not verdict.allow:
            return C.SKIP_GATE, 0, verdict
        code, k = self._kernel().live_size(float(ctx.equity), float(self.fs[L.F_ATR]), float(ctx.next_open),
                                           float(verdict.factor), self.fp, self.ip)
        return int(code), int(k), verdict

    def _size_exactly(self, ctx: CloseContext, factor: float) -> tuple[int, int]:
        size = size_entry(ctx.equity, float(self.fs[L.F_ATR]), ctx.next_open, self.market, self.cfg, factor)
        if size.amount > 0:
            return (C.ENTER_CAPPED if size.capped else C.ENTER), int(size.amount.scaleb(self.market.lot_decimals))
        return next(v for key, v in SIZE_CODES.items() if size.reason.startswith(key)), 0

    def decision(self, candle: Candle, ctx: CloseContext, code: int, k: int, verdict: Gate) -> Decision:
        """The code as the Decision core.strategy.pinned.PairStrategy would have returned."""
        sma = float(self.fs[L.F_SMA])
        atr = float(self.fs[L.F_ATR]) if self.st[L.I_HAS_ATR] == 1 else None
        action, reason = C.ACTIONS[code]
        base = dict(pair=self.pair, ts=candle.ts, close=candle.close, sma=None if math.isnan(sma) else sma, atr=atr,
                    equity=ctx.equity)
        if code == C.SKIP_GATE:
            return Decision(action="skip", reason=f"learner gate: {verdict.note}", gate=verdict, **base)  # type: ignore[arg-type]
        if code not in SIZED:
            return Decision(action=action, reason=reason, **base)  # type: ignore[arg-type]
        a = atr or 0.0
        price = ctx.next_open
        levels = dict(entry_price=price, stop=price - self.cfg.stop_atr * a, target=price + self.cfg.target_atr * a,
                      gate=verdict)
        if code not in (C.ENTER, C.ENTER_CAPPED):  # the minimums' words are size_entry's own
            words = size_entry(ctx.equity, a, price, self.market, self.cfg, verdict.factor).reason
            return Decision(action="skip", reason=words, **base, **levels)  # type: ignore[arg-type]
        exact_atr = Decimal(repr(a))
        amount = Decimal(k).scaleb(-self.market.lot_decimals)
        reason = entry_reason(self.cfg, code == C.ENTER_CAPPED)  # the owner's cap, not the table's default
        return Decision(action="enter", reason=reason, amount=amount, **base, **levels,  # type: ignore[arg-type]
                        stop_distance=Decimal(repr(self.cfg.stop_atr)) * exact_atr,
                        target_distance=Decimal(repr(self.cfg.target_atr)) * exact_atr)


SIZED = (C.SKIP_CANNOT_SIZE, C.SKIP_ROUNDS_ZERO, C.SKIP_ORDERMIN, C.SKIP_COSTMIN, C.SKIP_STOPMIN, C.ENTER,
         C.ENTER_CAPPED)


class KernelSma20Atr(Sma20Atr):
    """The pinned `sma20_atr` with its compiled kernel: live signals and whole-array backtests.

    `flavour`: the kernel flavour every signal and backtester it builds runs in; None = each call by
    its own work. The composition root passes "compiled" for a universe big enough
    (core.kernel.flavour.by_universe)."""

    def __init__(self, flavour: Flavour | None = None) -> None:
        self.flavour = flavour

    def for_pair(self, pair: str, market: Market, cfg: RiskConfig) -> KernelPairSignal:  # type: ignore[override]
        return KernelPairSignal(pair, market, cfg, flavour=self.flavour)

    def backtester(self, pair: str, timeframe: str, market: Market, cfg: RiskConfig, *,
                   rules: EntryRules | None = None, gate: GateFn | None = None) -> KernelBacktester:
        return KernelBacktester(pair, timeframe, market, cfg, gate=gate, rules=rules, flavour=self.flavour)
