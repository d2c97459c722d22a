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

from core.kernel import codes as C
from core.kernel import layout as L
from core.kernel.layout import Arr
from core.kernel.position_steps import (
    cool_record,
    fills,
    guard_close,
    profit_target_close,
    size_code,
)
from core.kernel.signal_steps import cool_blocks, indicators, remember, signal, signal_core, veto, veto_flags
from core.kernel.tags import entry, inline, pointer, unowned


@inline
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


@inline
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


@inline
def decide_entry(st: Arr, fs: Arr, fp: Arr, ip: Arr) -> tuple[int, int]:
    """Size a candidate (after the gate, if any): (code, lot units); code -1 means ask Python."""
    if st[L.I_PHASE] == 2:
        return st[L.I_RESUME_CODE], st[L.I_RESUME_K]
    if st[L.I_PHASE] == 1 and st[L.I_RESUME_ALLOW] == 0:
        return C.SKIP_GATE, 0
    return size_code(fs[L.F_EQ], fs[L.F_ATR], fs[L.F_NEXT_OPEN], fs[L.F_FACTOR], fp, ip)


@inline
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


@entry
def run_loop(ts: Arr, op: Arr, hi: Arr, lo: Arr, cl: Arr, fp: Arr, ip: Arr, st: Arr, fs: Arr, ring: Arr,
             equity: Arr, codes: Arr, sma_out: Arr, atr_out: Arr, ti: Arr, tf: Arr, hms: Arr, sess: Arr) -> int:
    """Run from candle st[I_POS] (resuming a gate/size phase if set) to the end (or to st[I_END]
    when set) or the next reason to return to Python; returns a status code of core.kernel.codes."""
    n = ts.shape[0]
    cap = ti.shape[0]
    # The inlined helpers take these once per candle: raw pointers (and two views) carry no reference
    # count, so no atomic increment per array per candle (core/kernel/unowned.py). The trade buffer is
    # C-contiguous (rows of N_TI / N_TF), indexed row * width + column.
    ts, op, hi, lo, cl = pointer(ts), pointer(op), pointer(hi), pointer(lo), pointer(cl)
    fp, ip, st, fs, ring = pointer(fp), pointer(ip), pointer(st), pointer(fs), pointer(ring)
    equity, codes, sma_out, atr_out = pointer(equity), pointer(codes), pointer(sma_out), pointer(atr_out)
    ti, tf, hms, sess = pointer(ti), pointer(tf), unowned(hms), unowned(sess)
    end = st[L.I_END] if 0 < st[L.I_END] < n else n  # candle_start still sees n: the next open is known
    while st[L.I_POS] < end:
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
@entry
def live_warm(t: int, h: float, lo: float, c: float, missed: bool, st: Arr, fs: Arr, ring: Arr) -> None:
    """core.strategy.pinned.PairStrategy.warm: a closed candle seen without deciding."""
    sma, _atr, _ready = indicators(h, lo, c, st, fs, ring)
    remember(c, sma, st, fs)
    if missed:
        cool_blocks(t, st)


@entry
def live_step(t: int, h: float, lo: float, c: float, in_position: bool, halted: bool, equity: float,
              next_open: float, ask_gate: bool, st: Arr, fs: Arr, ring: Arr, fp: Arr, ip: Arr) -> tuple[int, int]:
    """One candle's decision, as the backtest's loop makes it: (code, lot units); code -1 when a
    learner's gate must be asked first (`ask_gate`) or the size needs exact Decimals."""
    code = signal_core(t, h, lo, c, in_position, halted, st, fs, ring)
    if code != -1 or ask_gate:
        return code, 0
    return size_code(equity, fs[L.F_ATR], next_open, 1.0, fp, ip)


@entry
def live_size(equity: float, atr: float, next_open: float, factor: float, fp: Arr, ip: Arr) -> tuple[int, int]:
    """Size an entry the gate allowed (its factor applied); code -1: size with Decimals."""
    return size_code(equity, atr, next_open, factor, fp, ip)


@entry
def live_record_exit(loss: bool, exit_ts: int, st: Arr, ip: Arr) -> bool:
    """A closed trade comes back: True when a cool-off starts."""
    return cool_record(loss, exit_ts, st, ip)


@entry
def live_veto(code: int, pt_on: bool, reached: bool, session_open: bool, mtf_on: bool, ts: Arr, cl: Arr,
              tf_ms: int, hms: Arr) -> int:
    """The advanced modules' say over the live entry at the last candle of `ts`/`cl`."""
    return veto_flags(ts.shape[0] - 1, code, pt_on, reached, session_open, mtf_on, ts, cl, tf_ms, hms)
