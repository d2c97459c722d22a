"""What one chat answer allocates at N pairs (issue 20.5): its transient peak, what it leaves behind,
and the arenas/heap after rounds of answers. The soak says THAT the heap grows; this says which answer
and which line.

    .venv/bin/python bench/answer_alloc.py --pairs 240 --days 1 --said status,why --n 20 --arenas 2

A real Zyn from the composition root (the soak's test world, LOAD pairs, paper replay), warmed up
`--warmup-days`, stepped `--days` simulated days without chat; then each text is asked through the
dispatcher (the cli channel) after one replay minute, `--n` times, under tracemalloc (peak above
the level before the answer, bytes alive right after it, and the sites that grew over the n answers,
replay minutes included). `--arenas R`: first R rounds of n answers without tracemalloc, printing
CPython's arenas and glibc's heap before/after (tracemalloc replaces the allocator's entry points).
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
DAY, MIN = 86_400_000, 60_000
T0 = 1_640_995_200_000  # the soak's


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pairs", type=int, default=240)
    ap.add_argument("--warmup-days", type=int, default=12)
    ap.add_argument("--days", type=float, default=1)
    ap.add_argument("--said", default="status,why")
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--frames", type=int, default=12)
    ap.add_argument("--arenas", type=int, default=0)
    a = ap.parse_args()
    from loguru import logger
    from soak import native_heap

    from bench.load_pairs import build_load_folder
    from bot.conversation.envelope import Envelope
    from tests.conftest import shared_data
    from tests.reliability.world import world

    logger.remove()
    tmp = Path(tempfile.mkdtemp(prefix="zyn-alloc-"))
    (tmp / "data").mkdir()
    days = int(a.days) + 3
    pairs = build_load_folder(tmp / "data", shared_data(), a.pairs, (a.warmup_days + days + 1) * 24,
                              end_ms=T0 + (days + 1) * DAY - 3_600_000)
    with world(tmp, tmp / "data", keep_log_lines=10_000,
               extra_env={"ZYN_PAIRS": ",".join(pairs), "ZYN_TIMEFRAME": "1h"}) as w:
        t = time.monotonic()
        now = max(w.zyn.replay.start_ms() or T0, T0)
        w.zyn.replay.step(now)
        minute = 0

        def step() -> None:
            nonlocal minute
            minute += 1
            w.zyn.replay.step(now + minute * MIN)

        def ask(text: str) -> None:
            w.zyn.dispatcher.handle(Envelope("cli", "owner", text))

        for _ in range(int(a.days * 1440)):
            step()
        print(f"warm-up and {a.days} day(s): {time.monotonic() - t:.0f} s; {native_heap()}", flush=True)
        said = a.said.split(",")
        for text in said * 2:  # caches warm
            step()
            ask(text)
        for r in range(a.arenas):
            gc.collect()
            before = native_heap()
            for _ in range(a.n):
                for text in said:
                    step()
                    ask(text)
            gc.collect()
            print(f"round {r}, {a.n} x {said}: before {before}\n  after {native_heap()}", flush=True)
        for text in said:
            tracemalloc.start(a.frames)
            peaks, kept = [], []
            gc.collect()
            first = tracemalloc.take_snapshot()
            for _ in range(a.n):
                step()
                gc.collect()
                level = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                ask(text)
                now_b, peak = tracemalloc.get_traced_memory()
                peaks.append(peak - level)
                kept.append(now_b - level)
            gc.collect()
            last = tracemalloc.take_snapshot()
            tracemalloc.stop()
            peaks.sort()
            kept.sort()
            print(f"== {text!r}: transient peak per answer median {peaks[len(peaks) // 2] / 2**20:.2f} MB, "
                  f"max {peaks[-1] / 2**20:.2f} MB; alive right after, median {kept[len(kept) // 2] / 1024:.1f} KB")
            print(f"  grown over {a.n} answers (and {a.n} replay minutes), top sites (<- Zyn's callers):")
            for st in last.compare_to(first, "traceback")[:12]:
                ours = [f for f in st.traceback if str(ROOT) in f.filename and "/.venv/" not in f.filename]
                via = " <- ".join(f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno}"
                                  for f in ours[-4:][::-1])
                site = f"{Path(st.traceback[-1].filename).name}:{st.traceback[-1].lineno}"
                print(f"    {st.size_diff / 1024:+9.1f} KB {st.count_diff:+7d}  {site}  {via}")


if __name__ == "__main__":
    main()
