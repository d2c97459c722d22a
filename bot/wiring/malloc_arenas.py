"""glibc's malloc held to a few arenas in a Zyn process (issue 20.5).

Why: glibc gives every thread that allocates while another holds the lock an arena of its own
(up to 8 per core), and memory freed into one arena serves only the threads that use it. A
`zyn run` has waitress's 8 request threads, the scheduler's, the channels' and the evidence
gate's: each kept its own free memory, so RSS kept climbing while the chat did not hold more
(bench/run_memory.py, 3 minutes side by side at load 16: 318.7 MB and +7.73 MB/min with the
default arenas, 306.4 MB and +3.41 MB/min with two). Two arenas trade a little lock contention
between threads for that; Python's own small objects come from its arenas and are unaffected.

Set in the composition root before any thread starts (a thread keeps the arena it has). On a
C library that is not glibc (musl, macOS) there is no `mallopt` limit to set: nothing changes.
"""

from __future__ import annotations

import ctypes

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """At most `arenas` malloc arenas from now on; False when the C library has no such limit."""
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(ctypes.c_int(M_ARENA_MAX), ctypes.c_int(arenas)))  # int mallopt(int, int)
