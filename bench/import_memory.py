"""Where a real `zyn run`'s resident memory comes from: package by package, then while chatting.

    .venv/bin/python bench/import_memory.py [--settle 60] [--chat 120] [--top 30] [--who ccxt,numba] [--tracemalloc]

Issue 20.5 asks what is in the ~200 MB a `zyn run` has at start and what it gains while the
owner chats. This runs the real `zyn run` (two replayed pairs, a throw-away SQLite file, a free
loopback port; the environment of bench/chat_latency.py) inside this process, with
`builtins.__import__` wrapped so that the first import of every top-level package is bracketed
by two VmRSS reads. A package's figure is its own growth, without the packages it imported
first (those are charged to themselves), so the column adds up to the import total. Then it
chats `--settle` seconds (bench/run_memory.py's mix, 20 requests/s: the kernel and matplotlib
load then), then `--chat` seconds more, and lists what was imported meanwhile and what grew:
objects by type, and Python's own allocations (tracemalloc, when asked; it slows the process)
against VmRSS — RSS growing while the traced size does not is malloc keeping freed memory.

The figures are RSS deltas in one process: a package that maps a big .so it barely uses costs
less than its file size; while several threads run, a package's delta also holds what the
other threads allocated meanwhile (small next to the big ones; the start-up is mostly one thread).
"""

from __future__ import annotations

import argparse
import builtins
import os
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from chat_latency import replay_env, say  # noqa: E402 - a sibling bench script
from run_memory import MESSAGES  # noqa: E402 - a sibling bench script


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class ImportMeter:
    """Own RSS growth of each top-level package's first import (children charged to themselves)."""

    def __init__(self, who: tuple[str, ...] = ()) -> None:
        self.who = who  # packages whose first importer is printed (Zyn's frames of the stack)
        self.own: dict[str, float] = {}
        self.seconds: dict[str, float] = {}
        self._local = threading.local()  # per thread: a stack of [child inclusive MB, child seconds]
        self._real: Callable[..., Any] = builtins.__import__

    def install(self) -> None:
        builtins.__import__ = self._import

    def _import(self, name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        top = name.split(".")[0]
        if level or not top or top in sys.modules or top in self.own:
            return self._real(name, globals, locals, fromlist, level)
        self.own[top] = 0.0
        if top in self.who:
            self._print_importer(top)
        stack: list[list[float]] = self._local.__dict__.setdefault("stack", [])
        before, t0 = rss_mb(), time.perf_counter()
        stack.append([0.0, 0.0])
        try:
            return self._real(name, globals, locals, fromlist, level)
        finally:
            child_mb, child_s = stack.pop()
            incl, secs = rss_mb() - before, time.perf_counter() - t0
            self.own[top] = incl - child_mb
            self.seconds[top] = secs - child_s
            if stack:
                stack[-1][0] += incl
                stack[-1][1] += secs

    @staticmethod
    def _print_importer(top: str) -> None:
        import traceback

        ours = [f for f in traceback.extract_stack()[:-2]
                if f.filename.startswith(ROOT) and not f.filename.startswith(os.path.join(ROOT, "bench"))]
        chain = " <- ".join(f"{os.path.relpath(f.filename, ROOT)}:{f.lineno}" for f in reversed(ours[-14:]))
        print(f"first import of {top}: {chain or '(outside Zyn)'}", flush=True)


def wait_healthz(port: int, deadline_s: float = 120) -> bool:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:  # noqa: S310
                if resp.status in (200, 503):
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def object_types() -> dict[str, int]:
    import gc
    from collections import Counter

    return dict(Counter(type(o).__qualname__ for o in gc.get_objects()))


def print_packages(meter: ImportMeter, names: list[str], top: int) -> None:
    for name in sorted(names, key=lambda n: -meter.own[n])[:top]:
        print(f"  {name:28s} {meter.own[name]:7.1f} MB  {meter.seconds.get(name, 0.0) * 1000:8.0f} ms")


def chat(port: int, seconds: float, rate: float = 20.0) -> int:
    sent, i, t0 = 0, 0, time.monotonic()
    while time.monotonic() - t0 < seconds:
        try:
            say(port, MESSAGES[i % len(MESSAGES)])
            sent += 1
        except OSError:
            pass
        i += 1
        time.sleep(max(0.0, t0 + i / rate - time.monotonic()))
    return sent


def report(args: argparse.Namespace, meter: ImportMeter, port: int, base: float) -> None:
    import gc
    import tracemalloc

    if not wait_healthz(port):
        print("zyn run did not answer /healthz", file=sys.stderr)
        os._exit(1)
    at_health = rss_mb()
    at_start = set(meter.own)
    imports = sum(meter.own.values())
    print(f"interpreter before any import: {base:.1f} MB; at /healthz {at_health:.1f} MB; "
          f"load average {os.getloadavg()}")
    print(f"first imports of {len(at_start)} top-level packages: {imports:.1f} MB; the rest by /healthz "
          f"(not imports): {at_health - base - imports:.1f} MB")
    print_packages(meter, list(at_start), args.top)
    at_start_pkgs = set(meter.own)
    if args.settle > 0:  # the first candles load the kernel and the first chart matplotlib: not growth
        sent = chat(port, args.settle)
        gc.collect()
        print(f"after {args.settle:.0f} s of chat to settle ({sent} requests): RSS {rss_mb():.1f} MB; "
              f"load average {os.getloadavg()}")
        print_packages(meter, [n for n in meter.own if n not in at_start_pkgs], args.top)
    if args.tracemalloc:
        tracemalloc.start(1)  # after the settling: what is traced is what the measured chat allocates
    rss0 = rss_mb()
    traced0 = tracemalloc.get_traced_memory()[0] if tracemalloc.is_tracing() else 0
    snap0 = tracemalloc.take_snapshot() if tracemalloc.is_tracing() else None
    types0 = object_types()
    settled = set(meter.own)
    if args.chat > 0:
        sent = chat(port, args.chat)
        gc.collect()
        after = rss_mb()
        later = [n for n in meter.own if n not in settled]
        print(f"after {args.chat:.0f} s more of chat ({sent} requests): RSS {after:.1f} MB ({after - rss0:+.1f}); "
              f"{len(later)} packages first imported meanwhile: {sum(meter.own[n] for n in later):.1f} MB; "
              f"load average {os.getloadavg()}")
        print_packages(meter, later, args.top)
        types1 = object_types()
        grown = sorted(((types1.get(t, 0) - types0.get(t, 0), t) for t in types1), reverse=True)
        print("  gc-tracked objects grown: " + ", ".join(f"{t} {d:+d}" for d, t in grown[:12]))
    if snap0 is not None:
        now = tracemalloc.get_traced_memory()[0]
        print(f"tracemalloc: traced {traced0 / 2**20:.1f} MB -> {now / 2**20:.1f} MB ({(now - traced0) / 2**20:+.1f}); "
              f"RSS {rss0:.1f} -> {rss_mb():.1f} MB ({rss_mb() - rss0:+.1f})")
        snap1 = tracemalloc.take_snapshot()
        print("  top files by live allocations made during the measured chat:")
        for stat in snap1.statistics("filename")[: args.top]:
            print(f"  {stat.size / 2**20:7.2f} MB  {os.path.relpath(stat.traceback[0].filename, ROOT)}")
        print("  top growth over the measured chat, by line:")
        for stat in snap1.compare_to(snap0, "lineno")[: args.top]:
            frame = stat.traceback[0]
            print(f"  {stat.size_diff / 2**20:+7.2f} MB ({stat.count_diff:+d} blocks)  "
                  f"{os.path.relpath(frame.filename, ROOT)}:{frame.lineno}")
    sys.stdout.flush()
    os._exit(0)  # the server is not ours to wind down here


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--settle", type=float, default=0.0, help="seconds of chat after /healthz before measuring growth")
    ap.add_argument("--chat", type=float, default=0.0, help="seconds of chat measured after --settle (0: none)")
    ap.add_argument("--top", type=int, default=30, help="rows listed")
    ap.add_argument("--who", default="", help="comma-separated packages whose first importer is printed")
    ap.add_argument("--tracemalloc", action="store_true", help="trace Python's allocations during the measured chat")
    args = ap.parse_args(argv)
    base = rss_mb()
    meter = ImportMeter(tuple(w.strip() for w in args.who.split(",") if w.strip()))
    meter.install()
    tmp = tempfile.mkdtemp(prefix="zyn-import-mem-")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    os.environ.clear()
    os.environ.update(replay_env(tmp))
    os.chdir(tmp)
    sys.argv = ["zyn", "run", "--host", "127.0.0.1", "--port", str(port)]
    from bot.cli.main import main as zyn_main

    # `zyn run` installs its signal handlers, so it runs on the main thread; the report on another
    threading.Thread(target=report, args=(args, meter, port, base), name="import-memory-report", daemon=True).start()
    return zyn_main()


if __name__ == "__main__":
    sys.exit(main())
