"""The benchmark's yardstick: the same strategy as one bare numba loop with local variables and
float money (no resumable state, no exact ledger, no Decimal, no objects). Not used by Zyn."""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True)
def bare_backtest(ts, op, hi, lo, cl, lot, ordermin, costmin, start):  # noqa: C901 - one loop on purpose
    n = ts.shape[0]
    fee, risk, stop_k, tgt_k, frac, limit = 0.0026, 0.01, 1.5, 3.0, 0.25, 0.03
    scale = 10.0 ** lot
    ring = np.zeros(20)
    ring_n, ring_at, tr_n, tr_sum, atr = 0, 0, 0, 0.0, 0.0
    prev_close, prev_sma, have_prev, have_prev_sma = 0.0, 0.0, False, False
    cash, pos_amt, pos_cost, stop, target = start, 0.0, 0.0, 0.0, 0.0
    pending, pend_amt, pend_atr, flatten = False, 0.0, 0.0, False
    day, g_start, g_last, tripped_day = -1, start, start, -1
    streak, cool_ts, cool_rem = 0, -1, 0
    trades = 0
    equity = np.empty(n)
    for i in range(n):
        o = op[i]
        exit_px = -1.0
        if flatten and pos_amt > 0:
            exit_px = o
        flatten = False
        if exit_px < 0 and pending:
            pos_amt = pend_amt
            pos_cost = pos_amt * o * (1 + fee)
            cash -= pos_cost
            stop, target = o - stop_k * pend_atr, o + tgt_k * pend_atr
            pending = False
        if exit_px < 0 and pos_amt > 0:
            if lo[i] <= stop:
                exit_px = min(o, stop)
            elif hi[i] >= target:
                exit_px = max(o, target)
        if exit_px > 0:
            proceeds = pos_amt * exit_px * (1 - fee)
            cash += proceeds
            streak = streak + 1 if proceeds - pos_cost < 0 else 0
            if streak >= 2:
                cool_ts, cool_rem = ts[i], 6
            pos_amt = 0.0
            trades += 1
            if pending:  # a kill-switch exit at the open, then the pending entry
                pos_amt = pend_amt
                pos_cost = pos_amt * o * (1 + fee)
                cash -= pos_cost
                stop, target = o - stop_k * pend_atr, o + tgt_k * pend_atr
                pending = False
        c = cl[i]
        eq = cash + pos_amt * c
        equity[i] = eq
        d = ts[i] // 86_400_000
        if day >= 0 and d != day:
            g_start = g_last
        day, g_last = d, eq
        tripped = False
        if tripped_day != d and eq <= (1 - limit) * g_start:
            tripped_day, tripped = d, True
        ring[ring_at] = c
        ring_at = ring_at + 1 if ring_at < 19 else 0
        ring_n = min(ring_n + 1, 20)
        sma = math.nan
        if ring_n == 20:
            s = 0.0
            for j in range(ring_at, 20):
                s += ring[j]
            for j in range(ring_at):
                s += ring[j]
            sma = s / 20
        tr = hi[i] - lo[i]
        if have_prev:
            tr = max(tr, abs(hi[i] - prev_close), abs(lo[i] - prev_close))
        if tr_n < 14:
            tr_sum += tr
            tr_n += 1
            atr = tr_sum / 14
        else:
            atr = (13 * atr + tr) / 14
        cooling = False
        if cool_ts >= 0 and ts[i] > cool_ts and cool_rem > 0:
            cool_rem -= 1
            cooling = True
        ready = ring_n == 20 and tr_n >= 14 and have_prev and have_prev_sma
        crossed = ready and prev_close <= prev_sma and c > sma
        prev_close, prev_sma, have_prev, have_prev_sma = c, sma, True, ring_n == 20
        if tripped and pos_amt > 0:
            flatten = True
        if not crossed or pos_amt > 0 or tripped_day == d or cooling or i + 1 >= n:
            continue
        nxt = op[i + 1]
        x = min(risk * eq / (stop_k * atr), frac * eq / nxt)
        amt = math.floor(x * scale) / scale
        if amt > 0 and amt >= ordermin and amt * nxt >= costmin:
            pending, pend_amt, pend_atr = True, amt, atr
    return trades, equity
