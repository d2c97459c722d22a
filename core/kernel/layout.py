"""Where each piece of the kernel's state lives in its two flat arrays (int64 and float64).

The loop keeps its state in arrays, not Python objects, so it can stop at a learner's gate (or a
full trade buffer), hand control back to Python, and resume exactly where it was.
"""

from __future__ import annotations

from typing import Any

DAY_MS = 86_400_000  # a UTC day: the kill switch's and the profit target's day number is ts // DAY_MS
Arr = Any  # numpy arrays; numba needs them untyped at the loop's level

# money in the loop: int64 units of 1e-10 of the quote currency (fixed point, no float drift)
MONEY_SCALE = 10_000_000_000.0
MONEY_LIMIT = 4.0e18
SMA_N = 20
ATR_N = 14

# int64 state
I_POS = 0  # next candle to process
I_PHASE = 1  # 0 = start of candle, 1 = waiting for a gate verdict, 2 = waiting for a Python size,
# 3 = fills done, waiting for Python to settle the cool-off with exact P&L signs
I_CASH = 2
I_HASPOS = 3
I_K = 4  # position amount in lot units (10**-lot_decimals)
I_COST = 5  # amount x entry price + entry fee, money units
I_FEE = 6  # entry fee, money units
I_ENTRY_IDX = 7
I_PENDING = 8
I_PEND_K = 9
I_FLATTEN = 10
I_NTR = 11
I_RING_N = 12
I_RING_AT = 13
I_TR_N = 14
I_HAS_ATR = 15
I_HAS_PREV = 16
I_HAS_PREV_SMA = 17
I_GDAY = 18
I_GHASDAY = 19
I_TRIPPED_DAY = 20
I_HAS_TRIPPED = 21
I_STREAK = 22
I_COOL_EXIT_TS = 23
I_COOL_HAS = 24
I_COOL_REM = 25
I_TRIPPED_NOW = 26
I_RESUME_ALLOW = 27  # gate verdict handed in by Python
I_RESUME_K = 28  # size handed in by Python (phase 2)
I_RESUME_CODE = 29
I_PT_HAS = 30  # the daily profit target was reached on day I_PT_DAY (core.strategy.profit_target.DailyTarget)
I_PT_DAY = 31
I_FLAT_REASON = 32  # exit reason of a pending flatten (kill-switch or profit target)
I_UNSURE = 33  # a trade closed this candle with a P&L too near 0 for its sign to be sure in fixed point
I_SNAP_AT = 34  # candle of the cool-off snapshot below (taken at its first close), +1 (0 = none)
I_SNAP_J = 35  # first trade closed in that candle
I_SNAP_STREAK = 36
I_SNAP_COOL_HAS = 37
I_SNAP_COOL_TS = 38
I_SNAP_COOL_REM = 39
I_END = 40  # stop before this candle (0 = the end): an incremental run (core/kernel/resumable.py)
# stays one candle short of what it holds, so the candle it stops before still has its next open
N_I = 41

# float64 state
F_ATR = 0
F_TRSUM = 1
F_PREV_CLOSE = 2
F_PREV_SMA = 3
F_GSTART = 4
F_GLAST = 5
F_ENTRY = 6
F_STOP = 7
F_TARGET = 8
F_PATR = 9
F_PSMA = 10
F_PCLOSE = 11
F_PFACTOR = 12
F_QATR = 13
F_QSMA = 14
F_QCLOSE = 15
F_QFACTOR = 16
F_EQ = 17
F_SMA = 18
F_NEXT_OPEN = 19
F_FACTOR = 20  # the gate's size factor for the current candidate
F_ERR = 21  # bound on |fixed-point cash + F_RESID - exact Decimal cash|, money units, since the last sync
F_RESID = 22  # what rounding each posting to whole money units left out (float, for sizing decisions)
N_F = 23

# float64 parameters
P_RISK = 0
P_STOP_ATR = 1
P_TARGET_ATR = 2
P_MAXFRAC = 3
P_FEE = 4
P_LIMIT = 5
P_COSTMIN = 6
P_PT_PCT = 7  # daily profit target, fraction of the day's start equity
P_LOT_SCALE = 8  # 10 ** lot decimals (a power per candle costs more than the candle's own work)
N_P = 9

# int64 parameters
Q_LOT = 0
Q_OM = 1  # exchange ordermin in lot units, rounded up
Q_COOL_LOSSES = 2
Q_COOL_CANDLES = 3
Q_GATE = 4
Q_KEEP = 5  # store SMA/ATR per candle (for Decision objects)
Q_TF_MS = 6  # the trading timeframe in ms (mtf buckets, sessions)
Q_MTF = 7  # feature mtf on (with at least one confirming timeframe)
Q_PT = 8  # feature profit_target on (the daily target and the trading sessions)
Q_PT_ACTION = 9  # PT_BREAKEVEN | PT_FLATTEN | PT_HOLD
N_Q = 10

PT_BREAKEVEN, PT_FLATTEN, PT_HOLD = 0, 1, 2
PT_ACTIONS = {"breakeven": PT_BREAKEVEN, "flatten": PT_FLATTEN, "hold": PT_HOLD}
MTF_N = 20  # core.strategy.mtf.SMA_PERIOD

# trade buffer columns: int64
T_ENTRY_IDX = 0
T_EXIT_IDX = 1
T_K = 2
T_REASON = 3
T_COST = 4
T_ENTRY_FEE = 5
T_EXIT_FEE = 6
T_PROCEEDS = 7
N_TI = 8
# trade buffer columns: float64
U_ENTRY = 0
U_EXIT = 1
U_STOP = 2
U_TARGET = 3
U_ATR = 4
U_SMA = 5
U_SIGNAL_CLOSE = 6
U_FACTOR = 7
N_TF = 8
