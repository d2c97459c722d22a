"""The compiled loop's money and position steps (core/kernel/loop.py inlines them): lot sizing in
exact fixed point, fees, opening and closing a position, the fills of a candle, the cool-off
record, the daily-loss guard and the daily profit target's close.

Why apart from the loop: one job per module; tagged `inline` (core/kernel/flavour.py): plain Python
when the work is small, inlined by numba into the loop's compiled entry points when it is big; the
kernel's on-disk cache is stamped with every kernel module (core/kernel/jit.py::stamp_kernel_cache),
so a change here recompiles the loop.
"""

from __future__ import annotations

import math

from core.kernel import codes as C
from core.kernel import layout as L
from core.kernel.layout import DAY_MS, Arr
from core.kernel.tags import inline


@inline
def floor_units(x: float, scale: float) -> int:
    """floor(x * scale) as core.strategy.risk.round_down computes it on repr(x); needs x * scale < 2**52."""
    k = math.floor(x * scale)
    while (k + 1) / scale <= x:
        k += 1
    while k > 0 and k / scale > x:
        k -= 1
    return int(k)


@inline
def size_code(eq: float, atr: float, price: float, factor: float, fp: Arr, ip: Arr) -> tuple[int, int]:
    """(decision code, lot units) as core.strategy.risk.size_entry decides; code -1: ask Python."""
    if eq <= 0 or atr <= 0 or price <= 0:
        return C.SKIP_CANNOT_SIZE, 0
    raw = factor * fp[L.P_RISK] * eq / (fp[L.P_STOP_ATR] * atr)
    cap = fp[L.P_MAXFRAC] * eq / price
    x = cap if cap < raw else raw
    scale = fp[L.P_LOT_SCALE]
    if not x * scale < 4.0e15:
        return -1, 0
    k = floor_units(x, scale)
    if k <= 0:
        return C.SKIP_ROUNDS_ZERO, 0
    if k < ip[L.Q_OM]:
        return C.SKIP_ORDERMIN, 0
    cost = k * price / scale
    cm = fp[L.P_COSTMIN]
    if abs(cost - cm) <= 1e-9 * cm:
        return -1, 0
    if cost < cm:
        return C.SKIP_COSTMIN, 0
    stop_value = k * (price - fp[L.P_STOP_ATR] * atr) / scale
    if abs(stop_value - cm) <= 1e-9 * cm:
        return -1, 0
    if stop_value < cm:
        return C.SKIP_STOPMIN, 0
    return (C.ENTER_CAPPED if raw > cap else C.ENTER), k


@inline
def money(k: int, price: float, rate: float, scale: float, fs: Arr) -> tuple[int, float]:
    """k lot units x price x rate in money units, rounded half up, and what the rounding left out.
    The ledger's cash is the integer sum; integer + left-out parts tracks the exact Decimal cash
    within the bound F_ERR, which grows by a generous 1e-15 relative (float product, repr(price))."""
    value = k * price / scale * rate * L.MONEY_SCALE
    fs[L.F_ERR] += 1e-3 + abs(value) * 1e-15
    units = math.floor(value + 0.5)
    return int(units), value - units


@inline
def close_position(i: int, price: float, reason: int, ts: Arr, st: Arr, fs: Arr, fp: Arr, ip: Arr,
                   ti: Arr, tf: Arr) -> None:
    """Sell the whole position at `price`, write the trade row, feed the cool-off."""
    scale = fp[L.P_LOT_SCALE]
    k = st[L.I_K]
    proceeds, r_p = money(k, price, 1.0, scale, fs)
    fee, r_f = money(k, price, fp[L.P_FEE], scale, fs)
    st[L.I_CASH] += proceeds - fee
    fs[L.F_RESID] += r_p - r_f
    pnl = proceeds - fee - st[L.I_COST]
    j = st[L.I_NTR]
    ti[j * L.N_TI + L.T_ENTRY_IDX] = st[L.I_ENTRY_IDX]
    ti[j * L.N_TI + L.T_EXIT_IDX] = i
    ti[j * L.N_TI + L.T_K] = k
    ti[j * L.N_TI + L.T_REASON] = reason
    ti[j * L.N_TI + L.T_COST] = st[L.I_COST]
    ti[j * L.N_TI + L.T_ENTRY_FEE] = st[L.I_FEE]
    ti[j * L.N_TI + L.T_EXIT_FEE] = fee
    ti[j * L.N_TI + L.T_PROCEEDS] = proceeds
    tf[j * L.N_TF + L.U_ENTRY] = fs[L.F_ENTRY]
    tf[j * L.N_TF + L.U_EXIT] = price
    tf[j * L.N_TF + L.U_STOP] = fs[L.F_STOP]
    tf[j * L.N_TF + L.U_TARGET] = fs[L.F_TARGET]
    tf[j * L.N_TF + L.U_ATR] = fs[L.F_PATR]
    tf[j * L.N_TF + L.U_SMA] = fs[L.F_PSMA]
    tf[j * L.N_TF + L.U_SIGNAL_CLOSE] = fs[L.F_PCLOSE]
    tf[j * L.N_TF + L.U_FACTOR] = fs[L.F_PFACTOR]
    st[L.I_NTR] = j + 1
    st[L.I_HASPOS] = 0
    if st[L.I_SNAP_AT] != i + 1:  # the cool-off as it was before this candle's first exit
        st[L.I_SNAP_AT], st[L.I_SNAP_J], st[L.I_SNAP_STREAK] = i + 1, j, st[L.I_STREAK]
        st[L.I_SNAP_COOL_HAS], st[L.I_SNAP_COOL_TS] = st[L.I_COOL_HAS], st[L.I_COOL_EXIT_TS]
        st[L.I_SNAP_COOL_REM] = st[L.I_COOL_REM]
    if abs(pnl) <= 4 + (proceeds + st[L.I_COST]) * 1e-14:
        st[L.I_UNSURE] = 1  # the sign decides the cool-off: Python settles it with the exact Decimals
    cool_record(pnl < 0, ts[i], st, ip)


@inline
def cool_record(loss: bool, exit_ts: int, st: Arr, ip: Arr) -> bool:
    """core.strategy.cooloff.CoolOff.record_exit: True when this exit starts a cool-off."""
    st[L.I_STREAK] = st[L.I_STREAK] + 1 if loss else 0
    if st[L.I_STREAK] >= ip[L.Q_COOL_LOSSES]:
        st[L.I_COOL_HAS] = 1
        st[L.I_COOL_EXIT_TS] = exit_ts
        st[L.I_COOL_REM] = ip[L.Q_COOL_CANDLES]
        return True
    return False


@inline
def open_position(i: int, price: float, st: Arr, fs: Arr, fp: Arr, ip: Arr) -> None:
    """Fill the pending entry at this candle's open and place the bracket from the actual price."""
    scale = fp[L.P_LOT_SCALE]
    k = st[L.I_PEND_K]
    notional, r_n = money(k, price, 1.0, scale, fs)
    fee, r_f = money(k, price, fp[L.P_FEE], scale, fs)
    st[L.I_CASH] -= notional + fee
    fs[L.F_RESID] -= r_n + r_f
    st[L.I_HASPOS] = 1
    st[L.I_K] = k
    st[L.I_COST] = notional + fee
    st[L.I_FEE] = fee
    st[L.I_ENTRY_IDX] = i
    atr = fs[L.F_QATR]
    fs[L.F_ENTRY] = price
    fs[L.F_STOP] = price - fp[L.P_STOP_ATR] * atr
    fs[L.F_TARGET] = price + fp[L.P_TARGET_ATR] * atr
    fs[L.F_PATR] = atr
    fs[L.F_PSMA] = fs[L.F_QSMA]
    fs[L.F_PCLOSE] = fs[L.F_QCLOSE]
    fs[L.F_PFACTOR] = fs[L.F_QFACTOR]
    st[L.I_PENDING] = 0


@inline
def fills(i: int, ts: Arr, op: Arr, hi: Arr, lo: Arr, st: Arr, fs: Arr, fp: Arr, ip: Arr, ti: Arr,
          tf: Arr) -> None:
    """What happens inside candle i: kill-switch flatten and pending entry at the open, then the
    bracket with the stop checked first (open -> low -> high -> close)."""
    o = op[i]
    if st[L.I_FLATTEN] == 1 and st[L.I_HASPOS] == 1:
        close_position(i, o, st[L.I_FLAT_REASON], ts, st, fs, fp, ip, ti, tf)
    st[L.I_FLATTEN] = 0
    if st[L.I_PENDING] == 1:
        open_position(i, o, st, fs, fp, ip)
    if st[L.I_HASPOS] == 1:
        if lo[i] <= fs[L.F_STOP]:
            close_position(i, min(o, fs[L.F_STOP]), C.EXIT_STOP, ts, st, fs, fp, ip, ti, tf)
        elif hi[i] >= fs[L.F_TARGET]:
            close_position(i, max(o, fs[L.F_TARGET]), C.EXIT_TARGET, ts, st, fs, fp, ip, ti, tf)


@inline
def guard_close(t: int, equity: float, st: Arr, fs: Arr, fp: Arr) -> int:
    """core.strategy.daily_loss.DailyLossGuard.on_close: 1 when the switch trips at this close."""
    day = t // DAY_MS
    if st[L.I_GHASDAY] == 1 and day != st[L.I_GDAY]:
        fs[L.F_GSTART] = fs[L.F_GLAST]
    st[L.I_GHASDAY] = 1
    st[L.I_GDAY] = day
    fs[L.F_GLAST] = equity
    if st[L.I_HAS_TRIPPED] == 1 and st[L.I_TRIPPED_DAY] == day:
        return 0
    if equity <= (1.0 - fp[L.P_LIMIT]) * fs[L.F_GSTART]:
        st[L.I_HAS_TRIPPED] = 1
        st[L.I_TRIPPED_DAY] = day
        return 1
    return 0


@inline
def profit_target_close(t: int, equity: float, st: Arr, fs: Arr, fp: Arr, ip: Arr) -> None:
    """core.strategy.entry_rules.EntryRules.on_close + core.research.backtest._Run._modules: the daily target reached
    at this close raises the stop to break-even plus fees, or flattens at the next open."""
    day = t // DAY_MS
    start = fs[L.F_GSTART]
    if (st[L.I_PT_HAS] == 1 and st[L.I_PT_DAY] == day) or not start > 0:
        return
    if not equity - start >= fp[L.P_PT_PCT] * start:
        return
    st[L.I_PT_HAS] = 1
    st[L.I_PT_DAY] = day
    if st[L.I_HASPOS] == 0:
        return
    if ip[L.Q_PT_ACTION] == L.PT_FLATTEN:
        st[L.I_FLATTEN] = 1
        st[L.I_FLAT_REASON] = C.EXIT_PROFIT_TARGET
    elif ip[L.Q_PT_ACTION] == L.PT_BREAKEVEN:
        fee = fp[L.P_FEE]
        floor = fs[L.F_ENTRY] * (1 + fee) / (1 - fee)  # core.strategy.profit_target.breakeven_stop
        fs[L.F_STOP] = max(fs[L.F_STOP], floor)
