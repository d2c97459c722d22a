"""Issue 20.3: the folder walk-forwards timed as real processes, the baseline's code in the same run.

Why this bench: the target is "the pooled or servant walk-forward over binance_dev_4h (50 pairs)
with 20 seeds in < 60 s on 2 cores", and the issue asks for the figure and its baseline printed by
one run. Each case runs the documented command as a whole process:
    zyn backtest --data DIR --timeframe 4h --servant --json --seeds 20
    zyn backtest --data DIR --timeframe 4h --learn   --json --seeds 20
once with this checkout's code and once with the baseline's (a `git archive` of the commit this work
started from, put first on PYTHONPATH so the same venv imports it), interleaved round by round.
The pooled `--learn` over all 50 pairs took 17 minutes on the loaded machine, so by default it runs
on a subset (`--learn-pairs N`: a temp folder of symlinks to the first N files by name; 0 = all).
`--local` adds each case run by this checkout with ZYN_DASK_SCHEDULER=local (a forced local Dask
cluster) to measure whether worker processes pay on this machine (its JSON is also checked against
the baseline's).

Printed per run: wall, user and system CPU of the process tree (rusage of the reaped process, which
includes its reaped children such as Dask workers), the peak summed RSS of the tree (sampled every
0.1 s) and the largest single process's peak, the load average before and after, the command's own
stderr summary line, and whether the JSON (timings removed) equals the baseline's.

    .venv/bin/python bench/walk_forward_speed.py --baseline-src /tmp/zyn_base_982e2b8 \
        [--data ../shared/data/binance_dev_4h] [--cases servant,learn] [--learn-pairs 10] [--local] [--rounds 1]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parent.parent
TIMING_KEYS = frozenset({"seconds"})


@dataclass(frozen=True)
class Run:
    """One timed process: what ran and what it cost."""

    label: str
    wall: float
    user: float
    system: float
    tree_rss_mb: float
    max_rss_mb: float
    load_before: float
    load_after: float
    summary_line: str
    body: Any


def untimed(value: Any) -> Any:
    """The JSON with its timing fields dropped (they differ run to run; nothing else may)."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def digest(body: Any) -> str:
    return hashlib.sha256(json.dumps(untimed(body), sort_keys=True).encode()).hexdigest()[:16]


def first_difference(a: Any, b: Any, path: str = "$") -> str | None:
    """Where two JSON values first differ (None: equal)."""
    if type(a) is not type(b):
        return f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                return f"{path}.{k}: only in {'baseline' if k in a else 'now'}"
            d = first_difference(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r} vs {b!r}"


def tree_rss(root: psutil.Process) -> int:
    """Summed RSS of a process and its live descendants (bytes; 0 once gone)."""
    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def timed(label: str, cmd: list[str], env: dict[str, str], cwd: Path) -> Run:
    """Run `cmd` to the end, sampling its tree's RSS; its own rusage once reaped."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd)
        watched = psutil.Process(proc.pid)
        peak = 0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, tree_rss(watched))
            time.sleep(0.1)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        load_after = os.getloadavg()[0]
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    lines = [ln for ln in stderr.replace("\r", "\n").splitlines() if ln.strip()]
    if proc.returncode != 0:
        raise SystemExit(f"{label}: {' '.join(cmd)} exited {proc.returncode}: {lines[-3:]}")
    return Run(label, wall, usage.ru_utime, usage.ru_stime, peak / 2**20, usage.ru_maxrss / 1024,
               load_before, load_after, lines[-1] if lines else "", json.loads(stdout))


def subset(folder: Path, n: int, root: Path) -> Path:
    """A folder of symlinks to the first `n` pair files of `folder` by name (0: the folder itself)."""
    files = sorted(p for p in folder.iterdir() if p.suffix == ".csv")
    if n <= 0 or n >= len(files):
        return folder
    target = root / f"{folder.name}_first{n}"
    target.mkdir(parents=True, exist_ok=True)
    for old in target.iterdir():
        old.unlink()
    for f in files[:n]:
        (target / f.name).symlink_to(f)
    return target


def environment(baseline_src: Path | None, local: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ZYN_DASK_SCHEDULER", "PYTHONPATH")}
    if baseline_src is not None:
        env["PYTHONPATH"] = str(baseline_src)
    if local:
        env["ZYN_DASK_SCHEDULER"] = "local"
    return env


def show(run: Run, baseline: Run | None) -> None:
    same = ""
    if baseline is not None:
        diff = first_difference(untimed(baseline.body), untimed(run.body))
        same = "; JSON = baseline's" if diff is None else f"; JSON DIFFERS at {diff}"
    print(f"  {run.label:34} wall {run.wall:7.1f} s  CPU {run.user + run.system:7.1f} s "
          f"(user {run.user:.1f} + sys {run.system:.1f})  peak RSS tree {run.tree_rss_mb:6.0f} MB "
          f"(largest process {run.max_rss_mb:.0f} MB)  load {run.load_before:.2f} -> {run.load_after:.2f}  "
          f"json {digest(run.body)}{same}", flush=True)
    print(f"  {'':34} {run.summary_line}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--data", default=str(REPO.parent / "shared" / "data" / "binance_dev_4h"))
    ap.add_argument("--baseline-src", required=True, help="the baseline commit exported with git archive")
    ap.add_argument("--cases", default="servant,learn")
    ap.add_argument("--learn-pairs", type=int, default=10, help="pairs for --learn (first N by name; 0 = all)")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--local", action="store_true", help="also run each case with ZYN_DASK_SCHEDULER=local")
    ap.add_argument("--no-baseline", action="store_true", help="only this checkout (e.g. to compare engines)")
    ap.add_argument("--zyn", default=str(REPO / ".venv" / "bin" / "zyn"))
    args = ap.parse_args(argv)
    data = Path(args.data).resolve()
    base_src = Path(args.baseline_src).resolve()
    work = Path(tempfile.gettempdir()) / "zyn-walk-forward-speed"
    print(f"issue 20.3 walk-forward speed; {os.cpu_count()} cores; load average {os.getloadavg()}; "
          f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    print(f"now: {REPO} ; baseline: {base_src} (PYTHONPATH) ; same interpreter {args.zyn}")
    for case in [c.strip() for c in args.cases.split(",") if c.strip()]:
        folder = subset(data, args.learn_pairs, work) if case == "learn" else data
        pairs = sum(1 for p in folder.iterdir() if p.suffix == ".csv")
        cmd = [args.zyn, "backtest", "--data", str(folder), "--timeframe", "4h", f"--{case}", "--json",
               "--seeds", str(args.seeds)]
        print(f"\n{case}: {pairs} pairs of {data.name}: {' '.join(cmd)}", flush=True)
        runs: dict[str, list[Run]] = {}
        for r in range(args.rounds):
            print(f" round {r + 1}", flush=True)
            baseline = None
            plan: list[tuple[str, Path | None, bool]] = []
            if not args.no_baseline:
                plan.append(("baseline (default engine)", base_src, False))
            plan.append(("now (default engine)", None, False))
            if args.local:
                plan.append(("now ZYN_DASK_SCHEDULER=local", None, True))
            for label, src, local in plan:
                run = timed(label, cmd, environment(src, local), src or REPO)
                runs.setdefault(label, []).append(run)
                if src is not None and not local:
                    baseline = run
                show(run, None if src is not None and not local else baseline)
        print(f" {case} summary (median over {args.rounds} round(s)):")
        for label, rs in runs.items():
            wall = statistics.median(r.wall for r in rs)
            cpu = statistics.median(r.user + r.system for r in rs)
            print(f"  {label:34} wall {wall:7.1f} s  CPU {cpu:7.1f} s")
    print(f"\nload average at the end {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
