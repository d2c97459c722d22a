"""Soak: 30 simulated days of replay in 1-minute steps across every pair the shared data has
for one common period, with chat traffic on every channel each simulated hour; prints the RSS
over time and the error count.

    .venv/bin/python bench/soak.py [--days 30] [--every-min 60] [--pairs 240]

Everything is in process and on loopback: a real Zyn from the composition root (paper mode,
replay feed) with Telegram, Slack and Twilio on the test fakes and the web chat through Flask.
Data: the shared 1h candles of the 15 Binance pairs and the 2 Kraken pairs, trimmed at run time
into a temp folder to the same window (60 warm-up days + the soak), so all 17 pairs trade at
once — the shared data has no 20 pairs for one common period, and no 1m candles beyond one
week of BTC-USDT. Time advances one simulated minute per step (43,200 steps for 30 days).
Errors = ERROR/CRITICAL log lines + ErrorRow rows + non-2xx chat answers. Not run by `make test`.
`--pairs N` (issue 20.5): N LOAD pairs instead (bench/load_pairs.py: the real hourly candles
time-shifted and price-scaled onto the same window; load data, not market data). The RSS slope
is the least-squares line through the daily RSS from day 1 on (MB per simulated day). The
harness keeps only the last 10,000 log lines (the test world keeps all by default, which at
240 pairs would be the harness's own growth, not Zyn's).

The test world starts no scheduler: the soak runs the scheduler's own `native_heap_trim` job (none on
a revision without it) every TRIM_EVERY_S seconds of SIMULATED time, the interval `zyn run` runs it at:
1,440 times a simulated day, as a deployed Zyn does in a day. (Before session 7 it ran every 60 s of
wall time: at 240 pairs a simulated day takes 15-30 s, so the soak trimmed once in 2-4 simulated days,
~3,000 times less often than the process it stands for; `--trim-wall` runs it so again.)
`--baseline REV` runs REV's code (`git archive REV core bot adapters scheduler`, first on
sys.path) side by side with this tree, started together; both outputs print when both end.
`make soak` = `--pairs 240 --days 30 --warmup-days 12 --baseline main`: the issue's 30 simulated days at
240 pairs (12 days of warm-up: 60 at 240 pairs is ~350,000 catch-up decisions before day 0).
`--holders` prints who holds the objects grown from day 1 (bench/holders.py) and what the fakes kept;
The fakes (Telegram, Slack: test servers on threads of THIS process, not Zyn) record every call they
get, every reply Zyn sends included: ~1.1 MB per simulated day at 240 pairs, the harness' growth, which
a deployed Zyn does not have (the replies live on Telegram's and Slack's servers). So each simulated
day, once that day's Telegram replies arrived, the fakes forget the calls they recorded (since issue
20.5 session 7; `--keep-replies` keeps them, as before). What the process still holds beside Zyn: the
fakes' servers and threads, Flask's test client, the last 10,000 log lines, and the
harness' own few lists; the JSON says `fakes_forget_replies`.
"""

from __future__ import annotations

import argparse
import csv
import ctypes
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CODE = os.environ.get("ZYN_BENCH_CODE")  # --baseline: another revision's core/bot/adapters/scheduler first
if CODE:
    sys.path.insert(0, CODE)

DAY, MIN = 86_400_000, 60_000
TRIM_EVERY_S = 60.0  # bot/wiring/malloc_trim.py's (a baseline revision may not have that module)
T0 = 1_640_995_200_000  # 2022-01-01 00:00 UTC: inside every file's range


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def trimmed_data(shared: Path, out: Path, days: int) -> list[str]:
    """Write each 1h file, cut to [T0 - 60 d, T0 + days], into `out`; returns the pairs."""
    pairs = []
    files = sorted((shared / "binance").glob("*_1h.csv")) + sorted((shared / "kraken").glob("*_1h.csv"))
    lo, hi = T0 - 60 * DAY, T0 + (days + 1) * DAY
    for f in files:
        with f.open() as src, (out / f.name).open("w", newline="") as dst:
            rows = csv.reader(src)
            w = csv.writer(dst)
            w.writerow(next(rows))
            w.writerows(r for r in rows if lo <= int(float(r[0])) < hi)
        base, quote = f.name.split("_")[1].split("-")
        pairs.append(f"{base}/{quote}")
    return pairs


def slope_per_day(samples: list[tuple[int, float]]) -> float:
    """Least-squares MB per simulated day through (day, RSS) from day 1 on."""
    pts = [(d, r) for d, r in samples if d >= 1]
    if len(pts) < 2:
        return float("nan")
    mx = sum(d for d, _ in pts) / len(pts)
    my = sum(r for _, r in pts) / len(pts)
    return sum((d - mx) * (r - my) for d, r in pts) / sum((d - mx) ** 2 for d, _ in pts)


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def anon_and_threads() -> str:
    """RssAnon/RssFile and the thread count (thread stacks and glibc's per-thread arenas are anonymous memory)."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    anon, file = (int(fields[k].split()[0]) / 1024 for k in ("RssAnon", "RssFile"))
    return (f"anon {anon:.1f} MB, file {file:.1f} MB,"
            f" threads {fields['Threads'].strip()}")


def native_heap() -> str:
    """glibc's heap (in use / free but kept) and SQLite's own heap: what RSS holds beside Python's."""
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    try:
        sqlite_mb = f"{ctypes.CDLL('libsqlite3.so.0').sqlite3_memory_used() / 2**20:.1f} MB"
    except OSError:
        sqlite_mb = "?"
    nrt = ""
    if "numba" in sys.modules:  # the kernel's arrays come from numba's own runtime (malloc, not traced)
        from numba.core.runtime import rtsys  # lazy: only when the process already has numba

        try:
            stats = rtsys.get_allocation_stats()
            alive, infos = stats.alloc - stats.free, stats.mi_alloc - stats.mi_free
            nrt = f", numba NRT blocks alive {alive}, meminfos alive {infos}"
        except RuntimeError:
            nrt = ", numba NRT stats off"
    return (f"{anon_and_threads()}, malloc in use {(info.uordblks + info.hblkhd) / 2**20:.1f} MB, "
            f"free kept {info.fordblks / 2**20:.1f} MB, mmapped {info.hblkhd / 2**20:.1f} MB, "
            f"sqlite {sqlite_mb}{nrt}, {python_arenas()}")


def python_arenas() -> str:
    """CPython's small-object allocator: arenas held (mmap'd, outside malloc) against bytes in live
    blocks; an arena goes back only when every block in it is free, so the gap is fragmentation."""
    with tempfile.TemporaryFile() as out:
        saved = os.dup(2)
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()  # noqa: SLF001 - CPython's own report, printed on fd 2
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode()
    held = re.search(r"# bytes in allocated blocks\s*=\s*([\d,]+)", text)
    arenas = re.search(r"# arenas allocated current\s*=\s*([\d,]+)", text)
    if not held or not arenas:  # tracemalloc's hooks replace pymalloc's entry points: no report then
        return "python arenas n/a while tracemalloc traces"
    blocks = int(held.group(1).replace(",", "")) / 2**20
    return f"python arenas {int(arenas.group(1).replace(',', ''))} (1 MiB each) holding {blocks:.1f} MB of live blocks"


def object_types() -> dict[str, int]:
    """Live objects tracked by the cyclic collector, by type name."""
    import gc
    from collections import Counter

    return dict(Counter(type(o).__qualname__ for o in gc.get_objects()))


def print_growth(before: object, after: object, types_before: dict[str, int], types_after: dict[str, int]) -> None:
    """The allocation sites and object types that grew between two snapshots (--trace)."""
    import tracemalloc

    assert isinstance(before, tracemalloc.Snapshot) and isinstance(after, tracemalloc.Snapshot)
    print("growth from day 1 to the last day, by allocation site (and, with --trace-frames > 1, the "
          "nearest caller in Zyn's own code):")
    for stat in after.compare_to(before, "traceback")[:20]:
        frames = list(stat.traceback)[::-1]  # tracemalloc lists the oldest frame first: the site is the last
        frame = frames[0]
        ours = next((f for f in frames[1:] if str(ROOT) in f.filename and "/.venv/" not in f.filename), None)
        via = f"  <- {ours.filename.replace(str(ROOT) + '/', '')}:{ours.lineno}" if ours else ""
        print(f"  {stat.size_diff / 2**20:+8.2f} MB {stat.count_diff:+9d} blocks  "
              f"{frame.filename.replace(str(ROOT) + '/', '')}:{frame.lineno}{via}")
    grown = sorted(((types_after.get(t, 0) - types_before.get(t, 0), t) for t in types_after), reverse=True)
    print("objects (gc-tracked) grown from day 1 to the last day:", ", ".join(f"{t} {d:+d}" for d, t in grown[:12]))


def side_by_side(rev: str, argv: list[str]) -> int:
    """REV's code and this tree, each soaked in its own process, started together. A one-day
    two-pair pass of both first (not reported) fills each tree's kernel cache."""
    from run_memory import exported  # lazy: the sibling bench's export, kept per commit (one copy)

    code = exported(ROOT, rev)
    git = ["git", "-C", str(ROOT), "rev-parse", "--short"]
    base = subprocess.run([*git, rev], check=True, capture_output=True, text=True).stdout.strip()
    head = subprocess.run([*git, "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
    trees = ((f"baseline {rev} ({base})", {"ZYN_BENCH_CODE": code}), (f"this tree ({head}+)", {}))
    warm = [subprocess.Popen([sys.executable, __file__, "--pairs", "2", "--days", "1", "--warmup-days", "1"],
                             env={**os.environ, **extra}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _, extra in trees]
    for p in warm:
        p.wait()
    print(f"started {time.strftime('%H:%M:%S', time.gmtime())} UTC side by side (after a warm-up pass of both); "
          f"load average {' '.join(Path('/proc/loadavg').read_text().split()[:3])}", flush=True)
    runs = []
    for label, extra in trees:
        log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - read back below
        proc = subprocess.Popen([sys.executable, __file__, *argv], env={**os.environ, **extra},
                                stdout=log, stderr=subprocess.STDOUT, text=True)
        runs.append((label, proc, log))
    rcs = []
    for label, proc, log in runs:
        rcs.append(proc.wait())
        log.seek(0)
        print(f"== {label}: exit {rcs[-1]}\n{log.read()}", end="", flush=True)
    return max(rcs)


def main() -> int:  # noqa: C901, PLR0915 - one linear script
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--every-min", type=int, default=60, help="chat traffic every N simulated minutes")
    ap.add_argument("--pairs", type=int, default=0, help="N LOAD pairs from the real hourly candles instead")
    ap.add_argument("--warmup-days", type=int, default=60,
                    help="with --pairs: days of candles before the soak (decided in one catch-up step)")
    ap.add_argument("--trace", action="store_true",
                    help="where the growth is: Python's live allocations made since the warm-up beside RSS "
                         "each day, then the allocation sites and object types that grew from day 1 to the "
                         "last day (tracemalloc: slower)")
    ap.add_argument("--trace-frames", type=int, default=1, help="with --trace: frames kept per allocation")
    ap.add_argument("--said", default="status,pnl today,trades,balance,why,orders,help,pnl week",
                    help="the chat texts sent in turn (comma-separated): which answers grow the heap")
    ap.add_argument("--keep-replies", action="store_true",
                    help="the fakes keep every call they recorded (before session 7's default: the harness' "
                         "own growth in the slope)")
    ap.add_argument("--forget-replies", action="store_true",
                    help="the default since session 7 (kept for old command lines): each simulated day, once "
                         "its Telegram replies arrived, the fakes forget "
                         "the calls they recorded (the harness' own growth, not Zyn's, out of the slope)")
    ap.add_argument("--holders", action="store_true",
                    help="who holds the gc-tracked objects grown from day 1 to the last day (bench/holders.py)")
    ap.add_argument("--trim-wall", action="store_true",
                    help="the heap-trim job every TRIM_EVERY_S of wall time (before session 7), not simulated time")
    ap.add_argument("--trim-every-min", type=int, default=0,
                    help="experiment: glibc malloc_trim(0) every N simulated minutes (0: never)")
    ap.add_argument("--baseline", default="", help="a git revision soaked side by side with this tree")
    args = ap.parse_args()
    if args.trace:  # numba counts its runtime's allocations only when told before it is imported
        os.environ["NUMBA_NRT_STATS"] = "1"
    if args.baseline:
        return side_by_side(args.baseline, [a for a in sys.argv[1:] if a != args.baseline
                                            and not a.startswith("--baseline")])
    import tracemalloc  # --trace starts it after the warm-up: the growth, not the imports, is traced

    from loguru import logger
    from sqlmodel import Session, func, select

    from bot.conversation.envelope import Envelope
    from core.telemetry.models import DecisionRow, ErrorRow
    from tests.conftest import shared_data
    from tests.fakes.slack_api import sign, slash_command_body
    from tests.fakes.twilio_api import sign as twilio_sign
    from tests.reliability.world import OWNER_CHAT, OWNER_PHONE, OWNER_SLACK, SECRETS, world

    logger.remove()
    errors: list[str] = []
    logger.add(lambda m: errors.append(str(m)), level="ERROR", format="{level} {name}:{function} {message}")
    tmp = Path(tempfile.mkdtemp(prefix="zyn-soak-"))
    (tmp / "data").mkdir()
    if args.pairs:
        from bench.load_pairs import build_load_folder

        hours = (args.warmup_days + args.days + 1) * 24
        end = T0 + (args.days + 1) * DAY - 3_600_000
        pairs = build_load_folder(tmp / "data", shared_data(), args.pairs, hours, end_ms=end)
    else:
        pairs = trimmed_data(shared_data(), tmp / "data", args.days)
    # the settings are read from world()'s own mapping (load_settings(env)), not os.environ: before
    # issue 20.5 these two were set in os.environ, never read, and only the default pairs traded
    settings = {"ZYN_PAIRS": ",".join(pairs), "ZYN_TIMEFRAME": "1h"}
    said = args.said.split(",")
    bad_answers, messages, samples = 0, 0, []
    with world(tmp, tmp / "data", keep_log_lines=10_000, extra_env=settings) as w:
        web = w.app.test_client()
        auth = {"Authorization": f"Bearer {SECRETS['WEB_CHAT_TOKEN']}"}
        start = w.zyn.replay.start_ms()
        now = max(start or T0, T0)
        w.zyn.replay.step(now)  # the warm-up
        if args.trace:
            tracemalloc.start(args.trace_frames)
        t_wall, n, forgotten = time.monotonic(), 0, 0
        trim_job = [j for j in w.zyn.scheduler.jobs if j.name == "native_heap_trim"]
        next_trim = t_wall + TRIM_EVERY_S
        samples.append((0, rss_mb()))
        for minute in range(1, args.days * 1440 + 1):
            w.zyn.replay.step(now + minute * MIN)
            if minute % args.every_min == 0:
                text = said[(minute // args.every_min) % len(said)]
                n += 1
                r = web.post("/api/chat", json={"message": text}, headers=auth)
                bad_answers += r.status_code != 200
                w.tg.push_message(OWNER_CHAT, text)
                body = slash_command_body(OWNER_SLACK, text)
                r = web.post("/slack/events", data=body, content_type="application/x-www-form-urlencoded",
                             headers=sign(SECRETS["SLACK_SIGNING_SECRET"], body))
                bad_answers += r.status_code != 200
                form = {"MessageSid": f"SM{n:032d}", "From": OWNER_PHONE, "To": "+15559990000", "Body": text}
                r = web.post("/sms", data=form, headers={
                    "X-Twilio-Signature": twilio_sign(SECRETS["TWILIO_AUTH_TOKEN"], "http://localhost/sms", form)})
                bad_answers += r.status_code != 200
                w.zyn.dispatcher.handle(Envelope("cli", "owner", "status"))
                messages += 5
            if trim_job and not args.trim_wall and minute % max(1, round(TRIM_EVERY_S / 60)) == 0:
                w.zyn.scheduler.run_now("native_heap_trim")  # the scheduler's interval, on the soak's clock
            if trim_job and args.trim_wall and time.monotonic() >= next_trim:  # its interval in wall time
                w.zyn.scheduler.run_now("native_heap_trim")
                next_trim += TRIM_EVERY_S
            if args.trim_every_min and minute % args.trim_every_min == 0:
                import ctypes

                ctypes.CDLL(None).malloc_trim(0)
            if not args.keep_replies and minute % 1440 == 0:
                w.tg.wait_for("/sendMessage", lambda c: c.params.get("chat_id") == str(OWNER_CHAT),
                              count=n - forgotten, timeout=300)
                for fake in (w.tg, w.slack):
                    fake.forget_calls()
                forgotten = n
            if minute % 1440 == 0:
                samples.append((minute // 1440, rss_mb()))
                traced = (f", traced since warm-up {tracemalloc.get_traced_memory()[0] / 2**20:7.1f} MB, "
                          f"{native_heap()}" if args.trace else f", {native_heap()}")
                print(f"day {minute // 1440:2d}: RSS {samples[-1][1]:7.1f} MB{traced}, wall "
                      f"{time.monotonic() - t_wall:6.0f} s, errors so far {len(errors)}", flush=True)
                if args.trace and minute // 1440 == 1:
                    # the types first: a snapshot's own traces are tuples, and were counted as growth
                    # (the "tuple +6436" of bench/results/soak_20_5_s6.txt was the second snapshot)
                    first_types = object_types()
                    first_snap = tracemalloc.take_snapshot()
                if args.holders and minute // 1440 == 1:
                    from bench.holders import snapshot_ids  # lazy: only with --holders

                    first_ids = snapshot_ids()
        if args.trace and args.days > 1:
            last_types = object_types()
            print_growth(first_snap, tracemalloc.take_snapshot(), first_types, last_types)
        if args.holders and args.days > 1:
            from bench.holders import print_holders  # lazy: only with --holders

            print_holders(first_ids)
        if args.holders:
            from bench.holders import deep_mb  # lazy: only with --holders

            kept = {"tg.calls": w.tg.calls, "slack.calls": w.slack.calls, "twilio.sent": w.twilio.sent,
                    "log_lines": w.log_lines}
            print("MB (deep) the harness keeps at the end:", {k: round(deep_mb(v), 2) for k, v in kept.items()})
        w.tg.wait_for("/sendMessage", lambda c: c.params.get("chat_id") == str(OWNER_CHAT), count=n - forgotten,
                      timeout=300)
        with Session(w.zyn.db) as s:
            error_rows = int(s.exec(select(func.count()).select_from(ErrorRow)).one())
            decisions = int(s.exec(select(func.count()).select_from(DecisionRow)).one())
        closed = w.zyn.status.snapshot()["trades"]
    first = samples[1][1] if len(samples) > 1 else samples[0][1]
    spread = (max(r for _, r in samples[1:]) - min(r for _, r in samples[1:])) / first * 100 if len(samples) > 2 else 0
    print(json.dumps({
        "code": CODE or "this tree", "fakes_forget_replies": not args.keep_replies,
        "heap_trim_job": ("every 60 s wall" if args.trim_wall else "every simulated minute") if trim_job else "none",
        "pairs": len(pairs), "load_pairs": bool(args.pairs), "warmup_days": args.warmup_days if args.pairs else 60,
        "pairs_traded": len(w.zyn.autopilot.pairs),
        "decisions": decisions, "days": args.days,
        "rss_slope_mb_per_day": round(slope_per_day(samples), 3),
        "load_average_end": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "minute_steps": args.days * 1440, "chat_messages": messages,
        "rss_mb_by_day": [round(r, 1) for _, r in samples], "rss_spread_pct_after_day1": round(spread, 1),
        "error_log_lines": len(errors), "error_rows": error_rows, "non_200_answers": bad_answers,
        "trades": closed, "wall_s": round(time.monotonic() - t_wall),
    }, indent=1))
    for line in errors[:5]:
        print("ERROR:", line[:300])
    return 0 if not errors and not error_rows and not bad_answers else 1


if __name__ == "__main__":
    raise SystemExit(main())
