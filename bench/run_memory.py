"""Resident memory of a real `zyn run` (two replayed pairs) at start and while the owner chats.

    .venv/bin/python bench/run_memory.py [--minutes 10] [--rate 20] [--every 30]

Issue 20.5's target: <= 250 MB after 10 minutes of chat. This starts `zyn run` exactly as
bench/chat_latency.py does (throw-away SQLite file, replay feed of ../shared/data/kraken, free
loopback port), reads its VmRSS from /proc once /healthz answers, then sends a steady mix of
ordinary requests (status, price, positions, pnl, help, rules, a chart) for `--minutes`, sampling
VmRSS every `--every` seconds. A run shorter than 10 minutes prints the straight-line
extrapolation to 10 minutes from its own slope, labelled as such. Also prints which heavy
libraries the process has loaded (from /proc/PID/maps), so a lazy import that regressed shows,
the process's CPU seconds, and the latency of the "chart" requests (median and max).

`--baseline REV` runs REV's code (`git archive REV core bot adapters scheduler` into a temp dir,
first on PYTHONPATH) and this tree side by side, started together, so both see the same minutes
of the machine's load; both blocks print when both end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from chat_latency import cpu_seconds, say, start_zyn_run  # noqa: E402 - a sibling bench script

REPO = Path(__file__).resolve().parent.parent

MESSAGES = ("status", "price BTC", "positions", "pnl today", "help", "rules", "price ETH", "chart")
HEAVY = ("matplotlib", "sklearn", "numba", "llvmlite", "pyarrow", "openai", "scipy", "lightgbm")


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def heavy_loaded(pid: int) -> list[str]:
    """Heavy libraries with a shared object mapped into the process."""
    with open(f"/proc/{pid}/maps") as fh:
        maps = fh.read()
    return [name for name in HEAVY if f"/site-packages/{name}" in maps]


def chat(port: int, rate: float, stop: threading.Event, sent: list[int], messages: list[str],
         chart_s: list[float]) -> None:
    """Send `messages` in turn at `rate` per second from one client (closed loop: the next waits for
    the reply). Each message is due at its own slot; a slow reply delays what follows it."""
    i = 0
    next_due = time.monotonic()
    while not stop.is_set():
        text = messages[i % len(messages)]
        try:
            t0 = time.monotonic()
            reply = say(port, text)
            if text.startswith("chart") and "not enough" not in reply.lower():  # a drawn chart, not the notice
                chart_s.append(time.monotonic() - t0)
            sent[0] += 1
        except OSError:
            sent[1] += 1
        i += 1
        next_due += 1 / rate
        stop.wait(max(0.0, next_due - time.monotonic()))


def clients(port: int, rate: float, stop: threading.Event, sent: list[int], messages: list[str],
            chart_s: list[float]) -> list[threading.Thread]:
    """The charts on a client of their own, at their share of the rate: a chart takes ~1 s (drawn
    in a child process, or matplotlib's first import), and on the one client it held back every
    other request behind it, so two runs compared different amounts of chat."""
    charts = [m for m in messages if m.startswith("chart")]
    others = [m for m in messages if not m.startswith("chart")] or charts
    share = len(charts) / len(messages)
    plan = [(others, rate * (1 - share))] + ([(charts, rate * share)] if charts and others is not charts else [])
    return [threading.Thread(target=chat, args=(port, r, stop, sent, m, chart_s), daemon=True) for m, r in plan]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=20.0, help="chat requests per second")
    ap.add_argument("--every", type=float, default=30.0, help="seconds between RSS samples")
    ap.add_argument("--label", default="", help="printed with the figures (e.g. the commit)")
    ap.add_argument("--messages", default=",".join(MESSAGES), help="comma-separated chat messages, in turn")
    ap.add_argument("--baseline", default="", help="a git revision run side by side with this tree")
    args = ap.parse_args(argv)
    if args.baseline:
        rest = [a for a in (argv if argv is not None else sys.argv[1:])
                if a != args.baseline and not a.startswith("--baseline")]
        return side_by_side(args.baseline, rest)
    if args.minutes <= 0 or args.rate <= 0 or args.every <= 0:
        print("minutes, rate and every must be positive", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="zyn-mem-bench-")
    proc, port = start_zyn_run(tmp)
    stop, sent, chart_s = threading.Event(), [0, 0], []
    try:
        time.sleep(2)  # let the first scheduler jobs run: "at start" means serving, not importing
        start = rss_mb(proc.pid)
        print(f"zyn run {args.label}: RSS at start {start:.1f} MB; heavy libraries loaded: "
              f"{heavy_loaded(proc.pid) or 'none'}")
        messages = [m.strip() for m in args.messages.split(",") if m.strip()]
        workers = clients(port, args.rate, stop, sent, messages, chart_s)
        for worker in workers:
            worker.start()
        t0, samples = time.monotonic(), [(0.0, start)]
        while (elapsed := time.monotonic() - t0) < args.minutes * 60:
            time.sleep(min(args.every, args.minutes * 60 - elapsed))
            samples.append(((time.monotonic() - t0) / 60, rss_mb(proc.pid)))
            print(f"  {samples[-1][0]:5.1f} min: RSS {samples[-1][1]:.1f} MB ({sent[0]} requests)", flush=True)
        stop.set()
        for worker in workers:
            worker.join(60)
        loaded, cpu, child_cpu = heavy_loaded(proc.pid), cpu_seconds(proc.pid), children_cpu(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)
    end_min, end = samples[-1]
    # the first candle compiles the autopilot's kernel (numba, ~100 MB once): the slope that
    # says whether memory keeps growing is the one after the first minute
    late = [s for s in samples if s[0] >= 1.0]
    slope = _slope(late if len(late) >= 2 else samples)
    print(f"  after {end_min:.1f} min of chat ({sent[0]} requests, {sent[1]} failed): RSS {end:.1f} MB; "
          f"slope after the first minute {slope:+.2f} MB/min; heavy libraries loaded: {loaded or 'none'}")
    if chart_s:
        print(f"  charts drawn: {len(chart_s)}, latency median {statistics.median(chart_s) * 1000:.0f} ms, "
              f"max {max(chart_s) * 1000:.0f} ms")
    print(f"  zyn run's CPU {cpu:.1f} s, its ended child processes' (chart processes) {child_cpu:.1f} s")
    if end_min < 10:
        print(f"  extrapolated to 10 min (straight line from this run's slope): {end + slope * (10 - end_min):.1f} MB")
    print(f"  target <= 250 MB after 10 minutes; load average {os.getloadavg()}")
    return 0


def exported(repo: Path, rev: str) -> str:
    """REV's core/bot/adapters/scheduler in a folder kept per commit under the temp dir: numba's
    on-disk kernel cache lives beside the kernel's source, so a fresh folder per run would make the
    baseline compile the kernel (~60 MB more of LLVM in the process) while this tree loads it."""
    sha = subprocess.run(["git", "-C", str(repo), "rev-parse", rev], check=True, capture_output=True,
                         text=True).stdout.strip()
    code = Path(tempfile.gettempdir()) / f"zyn-bench-code-{sha}"
    if not code.is_dir():
        part = Path(tempfile.mkdtemp(prefix="zyn-bench-code-"))
        archive = subprocess.run(["git", "-C", str(repo), "archive", sha, "core", "bot", "adapters", "scheduler"],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(part)], input=archive, check=True)
        part.rename(code)
    return str(code)


def side_by_side(rev: str, argv: list[str]) -> int:
    """REV's code and this tree, each in its own `zyn run`, started together; both outputs printed.
    A one-minute pass of both first (not reported) fills each tree's kernel cache."""
    code = exported(REPO, rev)
    git = ["git", "-C", str(REPO), "rev-parse", "--short"]
    base = subprocess.run([*git, rev], check=True, capture_output=True, text=True).stdout.strip()
    head = subprocess.run([*git, "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    trees = ((f"baseline {rev} ({base})", {"PYTHONPATH": code}), (f"this tree ({head}+)", {}))
    warm = [subprocess.Popen([sys.executable, __file__, "--minutes", "1", "--every", "60"], env={**os.environ, **extra},
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _, extra in trees]
    for p in warm:
        p.wait()
    print(f"started {time.strftime('%H:%M:%S', time.gmtime())} UTC side by side (after a one-minute warm-up "
          f"pass of both); load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}", flush=True)
    runs = [subprocess.Popen([sys.executable, __file__, *argv, "--label", label], env={**os.environ, **extra},
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for label, extra in trees]
    outputs = [p.communicate()[0] for p in runs]
    for out in outputs:
        print(out, end="")
    return max(p.returncode for p in runs)


def children_cpu(pid: int) -> float:
    """User + system CPU of a process's waited-for children (the chart processes), from /proc."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def _slope(samples: list[tuple[float, float]]) -> float:
    """Least-squares MB per minute."""
    n = len(samples)
    mx, my = sum(s[0] for s in samples) / n, sum(s[1] for s in samples) / n
    var = sum((s[0] - mx) ** 2 for s in samples)
    return sum((s[0] - mx) * (s[1] - my) for s in samples) / var if var else 0.0


if __name__ == "__main__":
    sys.exit(main())
