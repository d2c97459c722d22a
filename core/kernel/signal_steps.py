"""The compiled loop's signal steps (core/kernel/loop.py inlines them): SMA20/ATR over the ring of
closes, the cool-off block, the entry signal, and the advanced modules' veto (mtf confirmation,
profit target, trading sessions).

Why apart from the loop: one job per module; tagged `inline` (core/kernel/flavour.py): plain Python
when the work is small, inlined by numba into the compiled loop when it is big; the kernel's
on-disk cache is stamped with every kernel module (core/kernel/jit.py::stamp_kernel_cache).
"""

from __future__ import annotations

import math

import numpy as np

from core.kernel import codes as C
from core.kernel import layout as L
from core.kernel.layout import DAY_MS, Arr
from core.kernel.tags import inline


@inline
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


@inline
def remember(c: float, sma: float, st: Arr, fs: Arr) -> tuple[float, float, bool, bool]:
    """Keep this candle's close and SMA as the next candle's previous ones; returns the old ones."""
    prev_close, prev_sma = fs[L.F_PREV_CLOSE], fs[L.F_PREV_SMA]
    had_prev, had_prev_sma = st[L.I_HAS_PREV] == 1, st[L.I_HAS_PREV_SMA] == 1
    fs[L.F_PREV_CLOSE] = c
    st[L.I_HAS_PREV] = 1
    fs[L.F_PREV_SMA] = sma
    st[L.I_HAS_PREV_SMA] = 1 if st[L.I_RING_N] == L.SMA_N else 0
    return prev_close, prev_sma, had_prev, had_prev_sma


@inline
def cool_blocks(t: int, st: Arr) -> bool:
    """core.strategy.cooloff.CoolOff.blocks: called once per closed candle, in order."""
    if st[L.I_COOL_HAS] == 1 and t > st[L.I_COOL_EXIT_TS] and st[L.I_COOL_REM] > 0:
        st[L.I_COOL_REM] -= 1
        return True
    return False


@inline
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


@inline
def signal(i: int, ts: Arr, hi: Arr, lo: Arr, cl: Arr, st: Arr, fs: Arr, ring: Arr) -> int:
    """The backtest's signal: the kill-switch state is the loop's own."""
    halted = st[L.I_HAS_TRIPPED] == 1 and st[L.I_TRIPPED_DAY] == ts[i] // DAY_MS
    return signal_core(ts[i], hi[i], lo[i], cl[i], st[L.I_HASPOS] == 1, halted, st, fs, ring)


@inline
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


@inline
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


@inline
def veto(i: int, code: int, ts: Arr, cl: Arr, st: Arr, ip: Arr, hms: Arr, sess: Arr) -> int:
    """The backtest's veto: the target's state is the loop's, the sessions one byte per candle."""
    if not (code == C.ENTER or code == C.ENTER_CAPPED):
        return code
    reached = st[L.I_PT_HAS] == 1 and st[L.I_PT_DAY] == ts[i] // DAY_MS
    session_open = sess.shape[0] == 0 or sess[i] == 1
    return veto_flags(i, code, ip[L.Q_PT] == 1, reached, session_open, ip[L.Q_MTF] == 1, ts, cl, ip[L.Q_TF_MS], hms)
