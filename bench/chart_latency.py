"""What a chart costs now that it is drawn in a child process (issue 20.5), against the drawing in
process as it was (the same `bot.alerts.chart_figures` code, matplotlib kept imported).

    .venv/bin/python bench/chart_latency.py [--rounds 10] [--points 720]

Interleaved A/B rounds of the chat's equity PNG (720 hourly points: a month): "in process" draws
it here (the first round also imports matplotlib: reported apart), "child" runs the real
`bot.alerts.charts.equity_curve_png` (a `python -m bot.alerts.chart_child` per chart). Prints the
median and max wall time, the CPU time (this process's plus its children's), whether the bytes
are identical, and the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.alerts import chart_figures, charts  # noqa: E402 - after the path


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=10)
    ap.add_argument("--points", type=int, default=720)
    args = ap.parse_args()
    curve = [(1_700_000_000_000 + i * 3_600_000, 10_000.0 + (i % 37) * 3.5 - i * 0.2) for i in range(args.points)]
    print(f"load average {os.getloadavg()}")
    t0, c0 = time.monotonic(), _cpu()
    first = chart_figures.png(chart_figures.equity_figure(curve, "Equity", "UTC"))
    print(f"in process, first chart (imports matplotlib): {time.monotonic() - t0:.3f} s wall, {_cpu() - c0:.3f} s CPU")
    times: dict[str, list[float]] = {"in process": [], "child": []}
    cpus: dict[str, list[float]] = {"in process": [], "child": []}
    same = True
    for _ in range(args.rounds):
        for label in times:
            t0, c0 = time.monotonic(), _cpu()
            if label == "child":
                png = charts.equity_curve_png(curve, "Equity", "UTC")
            else:
                png = chart_figures.png(chart_figures.equity_figure(curve, "Equity", "UTC"))
            times[label].append(time.monotonic() - t0)
            cpus[label].append(_cpu() - c0)
            same = same and png == first
    for label in times:
        print(f"{label:>10}: median {statistics.median(times[label]) * 1000:7.1f} ms wall, max "
              f"{max(times[label]) * 1000:7.1f} ms; CPU median {statistics.median(cpus[label]) * 1000:7.1f} ms "
              f"({args.rounds} rounds)")
    print(f"same PNG bytes every time: {same}; load average {os.getloadavg()}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
