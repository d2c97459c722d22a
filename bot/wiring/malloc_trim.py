"""Give glibc's freed-but-kept heap memory back to the system now and then (issue 20.5).

Why: glibc returns memory to the kernel only from the top of an arena (and a mmap'd block when it
is freed); free chunks in the middle of the heap stay resident. SQLAlchemy's result rows, JSON
bodies and numpy temporaries of a `zyn run` leave such holes, so RSS held more than the live
allocations. `malloc_trim(0)` releases every whole free page of every arena (madvise), costing a
walk of the free lists. Run as a scheduled job every TRIM_EVERY_S seconds of wall time, after the
scheduler's other work has had its turn. The measurement that justified it is below.

On a C library that is not glibc (musl, macOS) there is no `malloc_trim`: nothing happens.

Measured: `bench/run_memory.py --minutes 10 --every 60 --baseline 7b00ff7` (a real `zyn run`, two
replayed pairs, 20 chat requests/s; 7b00ff7 is this branch just before the job; both trees'
kernel caches warm), side by side from 19:41:16 UTC, load average 8-13: without the trim 256.0 MB
after 10 minutes (10,751 requests), with it 242.3 MB (10,757 requests): -13.7 MB, pages freed after
start-up that glibc kept in the middle of its heap. (A first run, 19:12 UTC, showed 305.4 against
241.8 MB, but its baseline's kernel cache was cold — a compile's ~60 MB of LLVM: not the trim's.)
A trim holds each arena's lock
while it walks it: 12.8 ms CPU (25 ms wall, load 14) right after 100 MB were freed from a 180 MB
heap, under 1 ms on a steady heap.
bench/results/run_memory_20_5_s6.txt.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

TRIM_EVERY_S = 60.0


def native_trimmer() -> Callable[[], bool] | None:
    """A callable that runs glibc's `malloc_trim(0)` (True when memory went back), or None off glibc."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None

    def run() -> bool:
        return bool(trim(ctypes.c_size_t(0)))  # int malloc_trim(size_t pad): ctypes' default int result

    return run
