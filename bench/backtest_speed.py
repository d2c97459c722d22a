"""Backtest speed, all contenders in one run on the same synthetic candles (fixed seed).

Workloads: 1 pair x 1 y of 1m (525,600 candles), 1 pair x 10 y of 1m, 200 pairs x 1 y of 1h.
Contenders, each a whole process (start-up, imports, reading the CSV, the backtest, the output):
  zyn     `zyn backtest --data FILE_OR_DIR --json` (the compiled kernel; a folder = one process)
  numba   bench/bare_run.py: pyarrow read + one bare numba loop of the same rules (the yardstick)
  python  bench/plain_loop.py: the same rules in plain Python
  backtesting.py, vectorbt  bench/peers.py in the separate bench venv (.venv-bench, `make bench-venv`)
Zyn, numba and python apply the same rules, so their trade counts must agree; the peers' rules are
simpler (see bench/peers.py), so their counts are shown, not required to match. Prints one table:
wall time (median of --repeat runs), cost per candle, peak RSS, and Zyn's ratio to each.
Usage: python bench/backtest_speed.py [--repeat 3] [--skip python,vectorbt] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
from bench_data import make_all  # noqa: E402

CANDLES = {"1y": 525_600, "10y": 5_256_000, "200x1h": 200 * 8_760}
LABELS = {"1y": "1 pair x 1 y of 1m", "10y": "1 pair x 10 y of 1m", "200x1h": "200 pairs x 1 y of 1h"}


def commands(path: Path) -> dict[str, list[str]]:
    py, bench_py = str(REPO / ".venv" / "bin" / "python"), str(REPO / ".venv-bench" / "bin" / "python")
    cmds = {
        "zyn": [str(REPO / ".venv" / "bin" / "zyn"), "backtest", "--data", str(path), "--json"],
        "numba": [py, str(HERE / "bare_run.py"), str(path)],
        "python": [py, str(HERE / "plain_loop.py"), str(path)],
    }
    if Path(bench_py).exists():
        cmds["backtesting.py"] = [bench_py, str(HERE / "peers.py"), "backtesting", str(path)]
        cmds["vectorbt"] = [bench_py, str(HERE / "peers.py"), "vectorbt", str(path)]
    return cmds


def run_one(cmd: list[str], repeat: int) -> tuple[float, float, int | None, str]:
    runs = [measure_isolated(cmd)]
    if runs[0][0] < 30:  # a contender slower than 30 s is timed once: its order of magnitude is the point
        runs += [measure_isolated(cmd) for _ in range(repeat - 1)]
    ok = [r for r in runs if not r[3]]
    if not ok:
        return runs[-1]
    return statistics.median(r[0] for r in ok), max(r[1] for r in ok), ok[-1][2], ""


def measure_isolated(cmd: list[str]) -> tuple[float, float, int | None, str]:
    """Run under a tiny parent so RUSAGE_CHILDREN's peak is this process's alone."""
    probe = (
        "import json,os,resource,subprocess,sys,time\n"
        "t=time.perf_counter();p=subprocess.run(sys.argv[1:],capture_output=True,text=True)\n"
        "w=time.perf_counter()-t;r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024\n"
        "print(json.dumps({'wall':w,'rss':r,'rc':p.returncode,'out':p.stdout,'err':p.stderr[-400:]}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZYN_")}
    res = subprocess.run([sys.executable, "-c", probe, *cmd], capture_output=True, text=True, env=env, cwd=REPO)
    info = json.loads(res.stdout)
    if info["rc"] != 0:
        last = (info["err"].strip().splitlines() or ["failed"])[-1]
        return info["wall"], info["rss"], None, last
    body = json.loads(info["out"].strip().splitlines()[-1])
    trades = body["totals"]["trades"] if "totals" in body else body.get("trades")
    return info["wall"], info["rss"], int(trades), ""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip", default="")
    ap.add_argument("--data", default=str(HERE / "data"))
    ap.add_argument("--out")
    args = ap.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    paths = make_all(Path(args.data))
    warm = commands(paths["200x1h"])
    for name in ("zyn", "numba"):  # compile once so every timed run loads numba's on-disk cache
        subprocess.run(warm[name], capture_output=True, cwd=REPO)
    results: dict[str, dict[str, tuple[float, float, int | None, str]]] = {}
    for work, path in paths.items():
        results[work] = {}
        for name, cmd in commands(path).items():
            if name in skip:
                continue
            results[work][name] = run_one(cmd, args.repeat)
            print(f"  {work:7} {name:15} {results[work][name]}", file=sys.stderr, flush=True)
    text = table(results, args.repeat)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")


def table(results: dict[str, dict[str, tuple[float, float, int | None, str]]], repeat: int) -> str:
    lines = [f"backtest speed: whole process, median of {repeat}, peak RSS; ratio = Zyn wall / contender wall",
             "| workload | contender | wall s | ns/candle | peak MB | trades | Zyn ratio | trades agree |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    same_rules = ("zyn", "numba", "python")
    for work, row in results.items():
        zyn = row.get("zyn")
        for name, (wall, rss, trades, err) in row.items():
            if err:
                lines.append(f"| {LABELS[work]} | {name} | failed: {err[:60]} | | | | | |")
                continue
            ratio = f"{zyn[0] / wall:.2f}x" if zyn and not zyn[3] else "n/a"
            agree = "-"
            if zyn and zyn[2] is not None and trades is not None:
                agree = ("yes" if trades == zyn[2] else "NO") if name in same_rules else \
                    f"other rules ({(trades - zyn[2]) / max(zyn[2], 1):+.0%})"
            lines.append(f"| {LABELS[work]} | {name} | {wall:.2f} | {wall / CANDLES[work] * 1e9:,.0f} | {rss:,.0f} "
                         f"| {trades} | {ratio} | {agree} |")
        if zyn and not zyn[3] and work == "10y" and "1y" in results and "zyn" in results["1y"]:
            lines.append(f"| 10 y / 1 y (Zyn) | | {zyn[0] / results['1y']['zyn'][0]:.1f}x | | | | | |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
