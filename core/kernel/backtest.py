"""Drive the kernel's loop over a pair's candle arrays: the kernel's `Backtester`.

Same inputs and figures as core.research.backtest.Backtester (the reference): the loop runs over whole
arrays and comes back here only to ask a learner's gate, to size an entry exactly with Decimal
when floats cannot decide it, or to grow the trade buffer. The loop is interpreted or compiled by
the size of each call's work (core/kernel/flavour.py), with identical results. Trades become `ClosedTrade` objects at
the end; per-candle decisions stay int8 codes unless `keep_decisions` asks for objects.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from functools import cached_property

import numpy as np
import numpy.typing as npt

from core.domain import ClosedTrade, Market
from core.kernel import codes as C
from core.kernel import layout as L
from core.kernel.decisions import decisions_from_codes
from core.kernel.flavour import Flavour, by_work, entry_points
from core.kernel.ledger import Ledger
from core.kernel.metrics import summarize
from core.kernel.modules import ModuleFlags
from core.market_data.arrays import F64, I64, CandleArrays
from core.markets.timeframes import timeframe_seconds
from core.strategy.entry_rules import EntryRules
from core.strategy.pinned import Decision, Gate, GateFn, SignalContext
from core.strategy.risk import RiskConfig, size_entry

SIZE_CODES = {"cannot size": C.SKIP_CANNOT_SIZE, "size rounds": C.SKIP_ROUNDS_ZERO,
              "amount": C.SKIP_ORDERMIN, "order cost": C.SKIP_COSTMIN,
              "stop value": C.SKIP_STOPMIN}


@dataclass
class TradeFigures:
    """Per-trade P&L, fees and R as arrays: all a summary needs, without building objects."""

    pnl: F64
    fees: F64
    r_multiple: F64


@dataclass
class KernelResult:
    pair: str
    timeframe: str
    candles: int
    figures: TradeFigures
    build_trades: Callable[[], list[ClosedTrade]]
    equity_curve: F64
    codes: npt.NDArray[np.int8]
    cash: Decimal  # final cash (an open position's cost paid), fixed point converted exactly
    open_amount: float  # amount still held after the last candle (0.0 when flat)
    decisions: list[Decision] = field(default_factory=list)
    start_equity: float = 10_000.0
    seconds: float = 0.0

    @cached_property
    def trades(self) -> list[ClosedTrade]:
        """ClosedTrade objects, built on first use (a summary does not need them)."""
        return self.build_trades()

    def summary(self) -> dict[str, object]:
        ppy = 365 * 86400 / timeframe_seconds(self.timeframe)
        out: dict[str, object] = {"pair": self.pair, "timeframe": self.timeframe, "candles": self.candles}
        f = self.figures
        out.update(summarize(f.pnl, f.fees, f.r_multiple, self.equity_curve, self.start_equity, ppy))
        out["seconds"] = round(self.seconds, 4)
        return out


def _params(market: Market, cfg: RiskConfig, gate: bool, keep: bool) -> tuple[F64, I64]:
    fp = np.zeros(L.N_P, np.float64)
    fp[[L.P_RISK, L.P_STOP_ATR, L.P_TARGET_ATR, L.P_MAXFRAC, L.P_FEE, L.P_LIMIT, L.P_COSTMIN]] = (
        cfg.risk_per_trade, cfg.stop_atr, cfg.target_atr, cfg.max_position_frac, cfg.fee_rate,
        cfg.daily_loss_limit, float(market.costmin))
    fp[L.P_LOT_SCALE] = 10.0 ** market.lot_decimals
    ip = np.zeros(L.N_Q, np.int64)
    om = (market.ordermin.scaleb(market.lot_decimals)).to_integral_value(rounding=ROUND_CEILING)
    ip[[L.Q_LOT, L.Q_OM, L.Q_COOL_LOSSES, L.Q_COOL_CANDLES, L.Q_GATE, L.Q_KEEP]] = (
        market.lot_decimals, int(om), cfg.cooloff_losses, cfg.cooloff_candles, int(gate), int(keep))
    return fp, ip


EXACT_INT = 2**53  # every int64 below this is exact as a float


def lots_to_amounts(k: I64, lot_decimals: int) -> F64:
    """Lot units -> amounts as the reference has them (float of the exact Decimal): one correctly
    rounded division while the units are exact in a float, the Decimal beyond (a 1.9e16-unit SHIB
    position would otherwise be rounded twice and differ from the reference in the last digit)."""
    out = k / 10.0**lot_decimals
    big = np.abs(k) >= EXACT_INT
    for j in np.flatnonzero(big):
        out[j] = float(Decimal(int(k[j])).scaleb(-lot_decimals))
    return out


NO_HMS = np.zeros(0, np.int64)
NO_SESSIONS = np.zeros(0, np.uint8)


@dataclass
class KernelBacktester:
    """Drop-in for core.research.backtest.Backtester over `CandleArrays`."""

    pair: str
    timeframe: str
    market: Market
    cfg: RiskConfig = field(default_factory=RiskConfig)
    start_equity: float = 10_000.0
    gate: GateFn | None = None
    keep_decisions: bool = False
    on_trade: Callable[[ClosedTrade], None] | None = None
    rules: EntryRules | None = None  # the advanced modules' flags (mtf, profit_target), as the reference's
    flavour: Flavour | None = None  # None: chosen by each call's work (core/kernel/flavour.py)

    def run(self, arrays: CandleArrays) -> KernelResult:
        t0 = time.perf_counter()
        run = _KernelRun(self, arrays)
        run.loop()
        run.deliver_trades()
        run.modules.finish(run.st)
        decisions = decisions_from_codes(self, arrays, run) if self.keep_decisions else []
        result = KernelResult(self.pair, self.timeframe, len(arrays), run.figures(), run.closed_trades, run.equity,
                              run.codes,
                              run.final_cash(), run.open_amount(), decisions,
                              self.start_equity)
        result.seconds = time.perf_counter() - t0
        return result


class _KernelRun:
    """The arrays of one run and the Python side of each return from the loop."""

    def __init__(self, bt: KernelBacktester, a: CandleArrays) -> None:
        self.bt, self.a = bt, a
        n = len(a)
        self.fp, self.ip = _params(bt.market, bt.cfg, bt.gate is not None, bt.keep_decisions)
        self.modules = ModuleFlags.of(bt.rules, bt.timeframe, a)
        self.st = np.zeros(L.N_I, np.int64)
        self.modules.apply(self.fp, self.ip, self.st)
        self.fs = np.zeros(L.N_F, np.float64)
        self.st[L.I_CASH] = round(Decimal(repr(bt.start_equity)) * Decimal(int(L.MONEY_SCALE)))
        self.fs[L.F_GSTART] = bt.start_equity
        self.fs[L.F_ERR] = 1e-3
        self.ring = np.zeros(L.SMA_N, np.float64)
        self.equity = np.empty(n, np.float64)
        self.codes = np.zeros(n, np.int8)
        keep = n if bt.keep_decisions else 0
        self.sma, self.atr = np.full(keep, math.nan), np.full(keep, math.nan)
        cap = max(256, n // 1000)  # grown on demand (BUF_FULL)
        self.ti, self.tf = np.zeros((cap, L.N_TI), np.int64), np.zeros((cap, L.N_TF), np.float64)
        self.gates: dict[int, Gate] = {}
        self.exact_equity: dict[int, float] = {}
        self.exact_pnl: dict[int, tuple[float, float, float]] = {}  # trades whose P&L sign was near 0
        self.delivered = 0
        self.booked = 0
        self.ledger = Ledger(Decimal(repr(bt.start_equity)), Decimal(repr(bt.cfg.fee_rate)), bt.market.lot_decimals)

    def loop(self) -> None:
        a = self.a
        n, pos, stop = len(a), int(self.st[L.I_POS]), int(self.st[L.I_END])
        work = (stop if 0 < stop < n else n) - pos  # candles this call runs through
        run_loop = entry_points(self.bt.flavour or by_work(work)).run_loop
        # the loop reads the columns through raw pointers: C-contiguous (no copy when they already are)
        ts, op, hi, lo, cl = (np.ascontiguousarray(x) for x in (a.ts, a.open, a.high, a.low, a.close))
        while True:
            status = run_loop(ts, op, hi, lo, cl, self.fp, self.ip, self.st, self.fs, self.ring,
                              self.equity, self.codes, self.sma, self.atr, self.ti, self.tf, self.modules.hms,
                              self.modules.sessions)
            if status == C.DONE:
                return
            self._handle(int(status))

    def _handle(self, status: int) -> None:
        if status == C.BUF_FULL:
            self.ti = np.concatenate((self.ti, np.zeros_like(self.ti)))
            self.tf = np.concatenate((self.tf, np.zeros_like(self.tf)))
        elif status == C.NEED_GATE:
            self._ask_gate(int(self.st[L.I_POS]))
        elif status == C.NEED_SIZE:
            self._size_in_python()
        elif status == C.NEED_PNL:
            self._settle_cooloff()
        else:
            raise OverflowError(f"{self.bt.pair}: equity outside the kernel's fixed-point range")

    def _ask_gate(self, i: int) -> None:
        """An entry candidate: exact equity from the Decimal ledger, then the gate's verdict."""
        self.deliver_trades()
        cash = self.ledger.cash_after(self.trade_rows(self.booked, int(self.st[L.I_NTR])))
        self.booked = int(self.st[L.I_NTR])
        exact = cash * Decimal(int(L.MONEY_SCALE))
        self.st[L.I_CASH] = round(exact)  # re-sync the fixed-point cash
        self.fs[L.F_RESID] = float(exact - int(self.st[L.I_CASH]))
        self.fs[L.F_ERR] = 1e-3
        eq = float(cash)
        self.fs[L.F_EQ] = eq
        self.exact_equity[i] = eq
        verdict = Gate()
        if self.bt.gate is not None:
            sma, atr = float(self.fs[L.F_SMA]), float(self.fs[L.F_ATR])
            verdict = self.bt.gate(SignalContext(self.bt.pair, self.a.candle(i), sma, atr, eq))
            self.gates[i] = verdict
        self.st[L.I_RESUME_ALLOW] = 1 if verdict.allow else 0
        self.fs[L.F_FACTOR] = verdict.factor

    def _settle_cooloff(self) -> None:
        """Replay this candle's exits into the cool-off with the reference's exact Decimal P&L signs."""
        st, ip = self.st, self.ip
        st[L.I_STREAK], st[L.I_COOL_HAS] = st[L.I_SNAP_STREAK], st[L.I_SNAP_COOL_HAS]
        st[L.I_COOL_EXIT_TS], st[L.I_COOL_REM] = st[L.I_SNAP_COOL_TS], st[L.I_SNAP_COOL_REM]
        for j in range(int(st[L.I_SNAP_J]), int(st[L.I_NTR])):
            k, entry, exit_price = int(self.ti[j, L.T_K]), float(self.tf[j, L.U_ENTRY]), float(self.tf[j, L.U_EXIT])
            _amount, _fees, pnl = self.exact_pnl[j] = self.ledger.trade(k, entry, exit_price)
            st[L.I_STREAK] = st[L.I_STREAK] + 1 if pnl < 0 else 0
            if st[L.I_STREAK] >= ip[L.Q_COOL_LOSSES]:
                st[L.I_COOL_HAS], st[L.I_COOL_REM] = 1, ip[L.Q_COOL_CANDLES]
                st[L.I_COOL_EXIT_TS] = self.a.ts[int(self.ti[j, L.T_EXIT_IDX])]
        st[L.I_UNSURE] = 0

    def _size_in_python(self) -> None:
        bt = self.bt
        size = size_entry(float(self.fs[L.F_EQ]), float(self.fs[L.F_ATR]), float(self.fs[L.F_NEXT_OPEN]),
                          bt.market, bt.cfg, float(self.fs[L.F_FACTOR]))
        if size.amount > 0:
            self.st[L.I_RESUME_CODE] = C.ENTER_CAPPED if size.capped else C.ENTER
            self.st[L.I_RESUME_K] = int(size.amount.scaleb(bt.market.lot_decimals))
        else:
            self.st[L.I_RESUME_CODE] = next(v for k, v in SIZE_CODES.items() if size.reason.startswith(k))
            self.st[L.I_RESUME_K] = 0

    def final_cash(self) -> Decimal:
        """Cash at the end (an open position's cost paid), from the fixed-point ledger: to the cent."""
        return Decimal(int(self.st[L.I_CASH])).scaleb(-10)

    def open_amount(self) -> float:
        if self.st[L.I_HASPOS] != 1:
            return 0.0
        return float(lots_to_amounts(self.st[L.I_K : L.I_K + 1], self.bt.market.lot_decimals)[0])

    def deliver_trades(self) -> None:
        """Hand trades closed since the last call to `on_trade`, before a gate may depend on them."""
        if self.bt.on_trade is None:
            return
        ntr = int(self.st[L.I_NTR])
        for t in self.closed_trades(self.delivered, ntr):
            self.bt.on_trade(t)
        self.delivered = ntr

    def trade_rows(self, first: int, last: int) -> list[tuple[list[int], list[float]]]:
        return list(zip(self.ti[first:last].tolist(), self.tf[first:last].tolist(), strict=True))

    def figures(self) -> TradeFigures:
        ti, tf = self.ti[: int(self.st[L.I_NTR])], self.tf[: int(self.st[L.I_NTR])]
        scale = L.MONEY_SCALE
        pnl = (ti[:, L.T_PROCEEDS] - ti[:, L.T_EXIT_FEE] - ti[:, L.T_COST]) / scale
        fees = (ti[:, L.T_ENTRY_FEE] + ti[:, L.T_EXIT_FEE]) / scale
        for j, (_amount, _fees, exact) in self.exact_pnl.items():
            pnl[j] = exact  # the sign (a win or not) as the exact Decimal ledger has it
        risk = lots_to_amounts(ti[:, L.T_K], self.bt.market.lot_decimals) * (tf[:, L.U_ENTRY] - tf[:, L.U_STOP])
        r = np.divide(pnl, risk, out=np.zeros_like(pnl), where=risk > 0)
        return TradeFigures(pnl, fees, r)

    def closed_trades(self, first: int = 0, last: int | None = None) -> list[ClosedTrade]:
        """Trade rows as ClosedTrade objects; fees and P&L from the fixed-point ledger (to the cent;
        the exact Decimal ledger is consulted only where a decision depends on it)."""
        bt, a = self.bt, self.a
        ntr = int(self.st[L.I_NTR]) if last is None else last
        ti, tf = self.ti[first:ntr], self.tf[first:ntr]
        scale = L.MONEY_SCALE
        amount = lots_to_amounts(ti[:, L.T_K], bt.market.lot_decimals).tolist()
        pnl = ((ti[:, L.T_PROCEEDS] - ti[:, L.T_EXIT_FEE] - ti[:, L.T_COST]) / scale).tolist()
        fees = ((ti[:, L.T_ENTRY_FEE] + ti[:, L.T_EXIT_FEE]) / scale).tolist()
        for j, (_amount, _fees, exact) in self.exact_pnl.items():
            if first <= j < ntr:
                pnl[j - first] = exact
        entry_ts, exit_ts = a.ts[ti[:, L.T_ENTRY_IDX]].tolist(), a.ts[ti[:, L.T_EXIT_IDX]].tolist()
        out: list[ClosedTrade] = []
        for j, ((*_, reason, _c, _e, _x, _p), f) in enumerate(zip(ti.tolist(), tf.tolist(), strict=True)):
            risk = amount[j] * (f[L.U_ENTRY] - f[L.U_STOP])
            out.append(ClosedTrade(
                pair=bt.pair, entry_ts=entry_ts[j], exit_ts=exit_ts[j], amount=amount[j],
                entry_price=f[L.U_ENTRY], exit_price=f[L.U_EXIT], stop=f[L.U_STOP], target=f[L.U_TARGET],
                fees=fees[j], pnl=pnl[j], r_multiple=pnl[j] / risk if risk > 0 else 0.0,
                reason=C.EXIT_REASONS[reason], atr=f[L.U_ATR], sma=f[L.U_SMA], signal_close=f[L.U_SIGNAL_CLOSE],
                size_factor=f[L.U_FACTOR],
            ))
        return out
