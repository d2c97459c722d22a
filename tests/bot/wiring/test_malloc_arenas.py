"""A Zyn process keeps glibc's malloc to two arenas, however many threads allocate (issue 20.5)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# Eight threads allocate malloc blocks at once (a 64 KB bytes object is malloc's, not Python's
# small-object allocator); glibc's malloc_info then lists one <heap> per arena in use.
SCRIPT = """
import ctypes, json, sys, threading
from bot.wiring.malloc_arenas import limit_malloc_arenas
limited = limit_malloc_arenas() if sys.argv[1] == "limit" else None
barrier = threading.Barrier(8)
def work():
    barrier.wait()
    for _ in range(2000):
        blocks = [bytes(65536 + i) for i in range(8)]
        del blocks
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc = ctypes.CDLL(None)
libc.fopen.restype = ctypes.c_void_p
libc.fclose.argtypes = [ctypes.c_void_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
fh = libc.fopen(sys.argv[2].encode(), b"w")
libc.malloc_info(0, fh)
libc.fclose(fh)
print(json.dumps({"limited": limited, "heaps": open(sys.argv[2]).read().count("<heap nr=")}))
"""


def heaps(tmp_path: Path, mode: str) -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", SCRIPT, mode, str(tmp_path / f"{mode}.xml")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the arena limit is glibc's")
def test_eight_allocating_threads_share_two_malloc_arenas_once_limited(tmp_path: Path) -> None:
    unlimited = heaps(tmp_path, "default")
    assert int(str(unlimited["heaps"])) > 2  # the positive signal: without the limit, threads get arenas
    limited = heaps(tmp_path, "limit")
    assert limited["limited"] is True
    assert int(str(limited["heaps"])) <= 2
