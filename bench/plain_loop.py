"""Whole-process yardstick: the same rules as bench/bare_loop.py in plain Python (csv module, floats).
Prints {"trades": N}. Usage: python bench/plain_loop.py FILE_OR_DIR"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path


def load(path: Path) -> list[tuple[int, float, float, float, float]]:
    with path.open(newline="") as fh:
        rows = csv.reader(fh)
        next(rows)
        return [(int(r[0]), float(r[1]), float(r[2]), float(r[3]), float(r[4])) for r in rows]


def backtest(c: list[tuple[int, float, float, float, float]], start: float = 10_000.0) -> int:  # noqa: C901
    fee = 0.0026
    window: list[float] = []
    trs: list[float] = []
    atr = prev_close = prev_sma = None
    cash, amt, cost, stop, target = start, 0.0, 0.0, 0.0, 0.0
    pending = None
    flatten = False
    day, g_start, g_last, tripped_day = None, start, start, None
    streak, cool_ts, cool_rem, trades = 0, None, 0, 0
    n = len(c)
    for i, (ts, o, h, lo, cl) in enumerate(c):
        exit_px = None
        if flatten and amt:
            exit_px = o
        flatten = False
        if exit_px is None and pending:
            amt, a = pending
            cost, stop, target, pending = amt * o * (1 + fee), o - 1.5 * a, o + 3 * a, None
            cash -= cost
        if exit_px is None and amt:
            if lo <= stop:
                exit_px = min(o, stop)
            elif h >= target:
                exit_px = max(o, target)
        if exit_px is not None:
            proceeds = amt * exit_px * (1 - fee)
            cash += proceeds
            streak = streak + 1 if proceeds - cost < 0 else 0
            if streak >= 2:
                cool_ts, cool_rem = ts, 6
            amt, trades = 0.0, trades + 1
            if pending:
                amt, a = pending
                cost, stop, target, pending = amt * o * (1 + fee), o - 1.5 * a, o + 3 * a, None
                cash -= cost
        eq = cash + amt * cl
        d = ts // 86_400_000
        if day is not None and d != day:
            g_start = g_last
        day, g_last = d, eq
        tripped = False
        if tripped_day != d and eq <= 0.97 * g_start:
            tripped_day, tripped = d, True
        window.append(cl)
        if len(window) > 20:
            window.pop(0)
        sma = sum(window) / 20 if len(window) == 20 else None
        tr = h - lo if prev_close is None else max(h - lo, abs(h - prev_close), abs(lo - prev_close))
        if atr is None:
            trs.append(tr)
            if len(trs) == 14:
                atr = sum(trs) / 14
        else:
            atr = (13 * atr + tr) / 14
        cooling = False
        if cool_ts is not None and ts > cool_ts and cool_rem > 0:
            cool_rem, cooling = cool_rem - 1, True
        crossed = (sma is not None and atr is not None and prev_sma is not None and prev_close is not None
                   and prev_close <= prev_sma and cl > sma)
        prev_close, prev_sma = cl, sma
        if tripped and amt:
            flatten = True
        if not crossed or amt or tripped_day == d or cooling or i + 1 >= n:
            continue
        nxt = c[i + 1][1]
        x = min(0.01 * eq / (1.5 * atr), 0.25 * eq / nxt)
        size = int(x * 1e8) / 1e8
        if size > 0 and size >= 0.0001 and size * nxt >= 0.5:  # Kraken BTC/USD minimums
            pending = (size, atr)
    return trades


def main() -> None:
    target = Path(sys.argv[1])
    files = sorted(target.glob("*.csv")) if target.is_dir() else [target]
    print(json.dumps({"trades": sum(backtest(load(f)) for f in files)}))


if __name__ == "__main__":
    main()
