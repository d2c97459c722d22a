"""The compiled loop: the strategy of core.strategy.pinned/core.risk/core.cooloff/core.kill_switch and the
fills of core.research.backtest, step for step, over column arrays.

Same floats as the Python reference where the reference uses floats (SMA as a fresh left-to-right
sum of the 20-close window, Wilder ATR, sizing, the kill-switch's comparisons); money is int64 fixed
point (core.kernel.layout.MONEY_SCALE) where the reference uses Decimal. Lot rounding is exact (the
shortest-repr truncation of core.strategy.risk.round_down); when a size cannot be decided exactly in floats
the loop returns NEED_SIZE and Python sizes it with Decimal.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.kernel import codes as C
from core.kernel import layout as L
from core.kernel.jit import ensure_cache_dir, njit_cached, njit_inline
from core.kernel.unowned import pointer, unowned

ensure_cache_dir()

DAY_MS = 86_400_000
Arr = Any  # numpy arrays; numba needs them untyped at this level


@njit_inline
def floor_units(x: float, scale: float) -> int:
    """floor(x * scale) as core.strategy.risk.round_down computes it on repr(x); needs x * scale < 2**52."""
    k = math.floor(x * scale)
    while (k + 1) / scale <= x:
        k += 1
    while k > 0 and k / scale > x:
        k -= 1
    return int(k)


@njit_inline
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


@njit_inline
def money(k: int, price: float, rate: float, scale: float, fs: Arr) -> tuple[int, float]:
    """k lot units x price x rate in money units, rounded half up, and what the rounding left out.
    The ledger's cash is the integer sum; integer + left-out parts tracks the exact Decimal cash
    within the bound F_ERR, which grows by a generous 1e-15 relative (float product, repr(price))."""
    value = k * price / scale * rate * L.MONEY_SCALE
    fs[L.F_ERR] += 1e-3 + abs(value) * 1e-15
    units = math.floor(value + 0.5)
    return int(units), value - units


@njit_inline
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


@njit_inline
def cool_record(loss: bool, exit_ts: int, st: Arr, ip: Arr) -> bool:
    """core.strategy.cooloff.CoolOff.record_exit: True when this exit starts a cool-off."""
    st[L.I_STREAK] = st[L.I_STREAK] + 1 if loss else 0
    if st[L.I_STREAK] >= ip[L.Q_COOL_LOSSES]:
        st[L.I_COOL_HAS] = 1
        st[L.I_COOL_EXIT_TS] = exit_ts
        st[L.I_COOL_REM] = ip[L.Q_COOL_CANDLES]
        return True
    return False


@njit_inline
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


@njit_inline
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


@njit_inline
def guard_close(t: int, equity: float, st: Arr, fs: Arr, fp: Arr) -> int:
    """core.trading.kill_switch.DailyLossGuard.on_close: 1 when the switch trips at this close."""
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


@njit_inline
def indicators(h: float, lo: float, c: float, st: Arr, fs: Arr, ring: Arr) -> tuple[float, float, bool]:
    """core.strategy.indicators.IndicatorState.update: (sma, atr, both ready)."""
    at = st[L.I_RING_AT]
    ring[at] = c
    st[L.I_RING_AT] = at + 1 if at + 1 < L.SMA_N else 0
    if st[L.I_RING_N] < L.SMA_N:
        st[L.I_RING_N] += 1
    sma = math.nan
    if st[L.I_RING_N] == L.SMA_N:
        total = 0.0
        start = st[L.I_RING_AT]  # oldest close: sum oldest -> newest, as sum(deque) does
        for j in range(start, L.SMA_N):
            total += ring[j]
        for j in range(start):
            total += ring[j]
        sma = total / L.SMA_N
    tr = h - lo
    if st[L.I_HAS_PREV] == 1:
        pc = fs[L.F_PREV_CLOSE]
        tr = max(h - lo, abs(h - pc), abs(lo - pc))
    if st[L.I_HAS_ATR] == 0:
        fs[L.F_TRSUM] += tr
        st[L.I_TR_N] += 1
        if st[L.I_TR_N] == L.ATR_N:
            fs[L.F_ATR] = fs[L.F_TRSUM] / L.ATR_N
            st[L.I_HAS_ATR] = 1
    else:
        fs[L.F_ATR] = ((L.ATR_N - 1) * fs[L.F_ATR] + tr) / L.ATR_N
    return sma, fs[L.F_ATR], st[L.I_RING_N] == L.SMA_N and st[L.I_HAS_ATR] == 1


@njit_inline
def remember(c: float, sma: float, st: Arr, fs: Arr) -> tuple[float, float, bool, bool]:
    """Keep this candle's close and SMA as the next candle's previous ones; returns the old ones."""
    prev_close, prev_sma = fs[L.F_PREV_CLOSE], fs[L.F_PREV_SMA]
    had_prev, had_prev_sma = st[L.I_HAS_PREV] == 1, st[L.I_HAS_PREV_SMA] == 1
    fs[L.F_PREV_CLOSE] = c
    st[L.I_HAS_PREV] = 1
    fs[L.F_PREV_SMA] = sma
    st[L.I_HAS_PREV_SMA] = 1 if st[L.I_RING_N] == L.SMA_N else 0
    return prev_close, prev_sma, had_prev, had_prev_sma


@njit_inline
def cool_blocks(t: int, st: Arr) -> bool:
    """core.strategy.cooloff.CoolOff.blocks: called once per closed candle, in order."""
    if st[L.I_COOL_HAS] == 1 and t > st[L.I_COOL_EXIT_TS] and st[L.I_COOL_REM] > 0:
        st[L.I_COOL_REM] -= 1
        return True
    return False


@njit_inline
def signal_core(t: int, h: float, lo: float, c: float, in_position: bool, halted: bool, st: Arr, fs: Arr,
                ring: Arr) -> int:
    """core.strategy.pinned.PairStrategy.on_close up to the entry: a code, or -1 for an entry candidate."""
    sma, atr, ready = indicators(h, lo, c, st, fs, ring)
    prev_close, prev_sma, had_prev, had_prev_sma = remember(c, sma, st, fs)
    cooling = cool_blocks(t, st)
    fs[L.F_SMA] = sma
    if not ready or not had_prev or not had_prev_sma:
        return C.WARMUP
    if in_position:
        return C.HOLD
    if not (prev_close <= prev_sma and c > sma):
        return C.NO_CROSS
    if halted:
        return C.HALTED
    if cooling:
        return C.SKIP_COOLOFF
    return -1


@njit_inline
def signal(i: int, ts: Arr, hi: Arr, lo: Arr, cl: Arr, st: Arr, fs: Arr, ring: Arr) -> int:
    """The backtest's signal: the kill-switch state is the loop's own."""
    halted = st[L.I_HAS_TRIPPED] == 1 and st[L.I_TRIPPED_DAY] == ts[i] // DAY_MS
    return signal_core(ts[i], hi[i], lo[i], cl[i], st[L.I_HASPOS] == 1, halted, st, fs, ring)


@njit_inline
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


@njit_inline
def mtf_confirms(i: int, ts: Arr, cl: Arr, tf_ms: int, hms: Arr) -> bool:
    """core.strategy.mtf.check: for every confirming timeframe H, the last completed H bucket closed above
    the SMA20 of the last 20 completed bucket closes (read backwards from candle i only)."""
    close_time = ts[i] + tf_ms
    buf = np.empty(L.MTF_N, np.float64)
    for h in hms:
        count = 0
        current = 0
        has_current = False
        for j in range(i, -1, -1):
            start = ts[j] - ts[j] % h
            if has_current and start == current:
                continue
            current = start
            has_current = True
            if start + h > close_time:
                continue
            buf[count] = cl[j]  # newest first
            count += 1
            if count == L.MTF_N:
                break
        if count < L.MTF_N:
            return False
        total = 0.0
        for m in range(L.MTF_N - 1, -1, -1):  # oldest first, as sum(closes) does
            total += buf[m]
        if not buf[0] > total / L.MTF_N:
            return False
    return True


@njit_inline
def veto_flags(i: int, code: int, pt_on: bool, reached: bool, session_open: bool, mtf_on: bool, ts: Arr, cl: Arr,
               tf_ms: int, hms: Arr) -> int:
    """core.strategy.entry_rules.EntryRules.veto on an entry, in its order: the code of the module that vetoes
    it, or `code`."""
    if not (code == C.ENTER or code == C.ENTER_CAPPED):
        return code
    if pt_on:
        if reached:
            return C.VETO_TARGET
        if not session_open:
            return C.VETO_SESSION
    if mtf_on and not mtf_confirms(i, ts, cl, tf_ms, hms):
        return C.VETO_MTF
    return code


@njit_inline
def veto(i: int, code: int, ts: Arr, cl: Arr, st: Arr, ip: Arr, hms: Arr, sess: Arr) -> int:
    """The backtest's veto: the target's state is the loop's, the sessions one byte per candle."""
    if not (code == C.ENTER or code == C.ENTER_CAPPED):
        return code
    reached = st[L.I_PT_HAS] == 1 and st[L.I_PT_DAY] == ts[i] // DAY_MS
    session_open = sess.shape[0] == 0 or sess[i] == 1
    return veto_flags(i, code, ip[L.Q_PT] == 1, reached, session_open, ip[L.Q_MTF] == 1, ts, cl, ip[L.Q_TF_MS], hms)


@njit_inline
def conclude(i: int, n: int, code: int, k: int, st: Arr, fs: Arr, ip: Arr, codes: Arr, ts: Arr, cl: Arr,
             hms: Arr, sess: Arr) -> None:
    """Record the candle's decision (after the modules' veto); an entry becomes pending for the next open."""
    code = veto(i, code, ts, cl, st, ip, hms, sess)
    codes[i] = code
    if st[L.I_TRIPPED_NOW] == 1 and st[L.I_HASPOS] == 1:
        st[L.I_FLATTEN] = 1
        st[L.I_FLAT_REASON] = C.EXIT_KILL
    if (code == C.ENTER or code == C.ENTER_CAPPED) and i + 1 < n:
        st[L.I_PENDING] = 1
        st[L.I_PEND_K] = k
        fs[L.F_QATR] = fs[L.F_ATR]
        fs[L.F_QSMA] = fs[L.F_SMA]
        fs[L.F_QCLOSE] = cl[i]
        fs[L.F_QFACTOR] = fs[L.F_FACTOR]
    st[L.I_PHASE] = 0
    st[L.I_POS] = i + 1


@njit_inline
def candle_start(i: int, n: int, ts: Arr, op: Arr, hi: Arr, lo: Arr, cl: Arr, st: Arr, fs: Arr, fp: Arr,
                 ip: Arr, ring: Arr, equity: Arr, ti: Arr, tf: Arr) -> int:
    """Equity (after the fills), kill-switch and the signal of candle i: a decision code or -1 (candidate)."""
    eq = st[L.I_CASH] / L.MONEY_SCALE
    if st[L.I_HASPOS] == 1:
        eq += st[L.I_K] / fp[L.P_LOT_SCALE] * cl[i]
    equity[i] = eq
    fs[L.F_EQ] = eq
    st[L.I_TRIPPED_NOW] = guard_close(ts[i], eq, st, fs, fp)
    fs[L.F_NEXT_OPEN] = op[i + 1] if i + 1 < n else cl[i]
    fs[L.F_FACTOR] = 1.0
    code = signal(i, ts, hi, lo, cl, st, fs, ring)
    if ip[L.Q_PT] == 1:
        profit_target_close(ts[i], eq, st, fs, fp, ip)
    return code


@njit_inline
def decide_entry(st: Arr, fs: Arr, fp: Arr, ip: Arr) -> tuple[int, int]:
    """Size a candidate (after the gate, if any): (code, lot units); code -1 means ask Python."""
    if st[L.I_PHASE] == 2:
        return st[L.I_RESUME_CODE], st[L.I_RESUME_K]
    if st[L.I_PHASE] == 1 and st[L.I_RESUME_ALLOW] == 0:
        return C.SKIP_GATE, 0
    return size_code(fs[L.F_EQ], fs[L.F_ATR], fs[L.F_NEXT_OPEN], fs[L.F_FACTOR], fp, ip)


@njit_inline
def size_if_certain(st: Arr, fs: Arr, fp: Arr, ip: Arr) -> tuple[int, int]:
    """Size a candidate from the fixed-point cash when every equity within the error bound of the
    exact Decimal cash gives the same decision; (-1, 0) when it might not (Python then syncs)."""
    if ip[L.Q_GATE] == 1 or ip[L.Q_KEEP] == 1:  # a gate, or Decision objects, need the exact equity
        return -1, 0
    cash, err = (st[L.I_CASH] + fs[L.F_RESID]) / L.MONEY_SCALE, (fs[L.F_ERR] + 1.0) / L.MONEY_SCALE
    lo = (cash - err) * (1.0 - 1e-15)
    hi = (cash + err) * (1.0 + 1e-15)
    price, atr = fs[L.F_NEXT_OPEN], fs[L.F_ATR]
    c_lo, k_lo = size_code(lo, atr, price, 1.0, fp, ip)
    c_hi, k_hi = size_code(hi, atr, price, 1.0, fp, ip)
    if c_lo != c_hi or k_lo != k_hi or c_lo == C.SKIP_CANNOT_SIZE:
        return -1, 0
    return c_lo, k_lo


@njit_cached
def run_loop(ts: Arr, op: Arr, hi: Arr, lo: Arr, cl: Arr, fp: Arr, ip: Arr, st: Arr, fs: Arr, ring: Arr,
             equity: Arr, codes: Arr, sma_out: Arr, atr_out: Arr, ti: Arr, tf: Arr, hms: Arr, sess: Arr) -> int:
    """Run from candle st[I_POS] (resuming a gate/size phase if set) to the end or the next
    reason to return to Python; returns a status code of core.kernel.codes."""
    n = ts.shape[0]
    cap = ti.shape[0]
    # The inlined helpers take these once per candle: raw pointers (and two views) carry no reference
    # count, so no atomic increment per array per candle (core/kernel/unowned.py). The trade buffer is
    # C-contiguous (rows of N_TI / N_TF), indexed row * width + column.
    ts, op, hi, lo, cl = pointer(ts), pointer(op), pointer(hi), pointer(lo), pointer(cl)
    fp, ip, st, fs, ring = pointer(fp), pointer(ip), pointer(st), pointer(fs), pointer(ring)
    equity, codes, sma_out, atr_out = pointer(equity), pointer(codes), pointer(sma_out), pointer(atr_out)
    ti, tf, hms, sess = pointer(ti), pointer(tf), unowned(hms), unowned(sess)
    while st[L.I_POS] < n:
        i = st[L.I_POS]
        k = 0
        if st[L.I_PHASE] == 0:
            if st[L.I_NTR] + 2 > cap:
                return C.BUF_FULL
            fills(i, ts, op, hi, lo, st, fs, fp, ip, ti, tf)
            if st[L.I_UNSURE] == 1:
                st[L.I_PHASE] = 3
                return C.NEED_PNL
        if st[L.I_PHASE] == 0 or st[L.I_PHASE] == 3:
            st[L.I_PHASE] = 0
            code = candle_start(i, n, ts, op, hi, lo, cl, st, fs, fp, ip, ring, equity, ti, tf)
            if ip[L.Q_KEEP] == 1:
                sma_out[i], atr_out[i] = fs[L.F_SMA], fs[L.F_ATR] if st[L.I_HAS_ATR] == 1 else math.nan
            if abs(st[L.I_CASH]) > L.MONEY_LIMIT:
                return C.OVERFLOW
            if code == -1:
                code, k = size_if_certain(st, fs, fp, ip)
            if code == -1:  # a candidate: Python hands in the exact equity and the gate's verdict
                st[L.I_PHASE] = 1
                return C.NEED_GATE
        else:
            code = -1
        if code == -1:
            code, k = decide_entry(st, fs, fp, ip)
            if code == -1:
                st[L.I_PHASE] = 2
                return C.NEED_SIZE
        conclude(i, n, code, k, st, fs, ip, codes, ts, cl, hms, sess)
    return C.DONE


# ---------------------------------------------------------------- the live autopilot's step
@njit_cached
def live_warm(t: int, h: float, lo: float, c: float, missed: bool, st: Arr, fs: Arr, ring: Arr) -> None:
    """core.strategy.pinned.PairStrategy.warm: a closed candle seen without deciding."""
    sma, _atr, _ready = indicators(h, lo, c, st, fs, ring)
    remember(c, sma, st, fs)
    if missed:
        cool_blocks(t, st)


@njit_cached
def live_step(t: int, h: float, lo: float, c: float, in_position: bool, halted: bool, equity: float,
              next_open: float, ask_gate: bool, st: Arr, fs: Arr, ring: Arr, fp: Arr, ip: Arr) -> tuple[int, int]:
    """One candle's decision, as the backtest's loop makes it: (code, lot units); code -1 when a
    learner's gate must be asked first (`ask_gate`) or the size needs exact Decimals."""
    code = signal_core(t, h, lo, c, in_position, halted, st, fs, ring)
    if code != -1 or ask_gate:
        return code, 0
    return size_code(equity, fs[L.F_ATR], next_open, 1.0, fp, ip)


@njit_cached
def live_size(equity: float, atr: float, next_open: float, factor: float, fp: Arr, ip: Arr) -> tuple[int, int]:
    """Size an entry the gate allowed (its factor applied); code -1: size with Decimals."""
    return size_code(equity, atr, next_open, factor, fp, ip)


@njit_cached
def live_record_exit(loss: bool, exit_ts: int, st: Arr, ip: Arr) -> bool:
    """A closed trade comes back: True when a cool-off starts."""
    return cool_record(loss, exit_ts, st, ip)


@njit_cached
def live_veto(code: int, pt_on: bool, reached: bool, session_open: bool, mtf_on: bool, ts: Arr, cl: Arr,
              tf_ms: int, hms: Arr) -> int:
    """The advanced modules' say over the live entry at the last candle of `ts`/`cl`."""
    return veto_flags(ts.shape[0] - 1, code, pt_on, reached, session_open, mtf_on, ts, cl, tf_ms, hms)
