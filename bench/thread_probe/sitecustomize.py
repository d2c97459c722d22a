"""Loaded by every Python process started with this folder on PYTHONPATH (bench/fit_threads_probe.py).

Why: to see the native thread pools as threadpoolctl sees them *inside* the real command's processes
(the CLI and, with a local Dask cluster, its worker processes) without touching Zyn's code. A daemon
thread samples `threadpool_info()` every 20 ms and rewrites, once a second, a JSON file per process:
{library: {num_threads: samples}}. Only active when ZYN_THREAD_PROBE_DIR is set.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from pathlib import Path


def _sample(out: Path) -> None:
    from threadpoolctl import threadpool_info

    seen: dict[str, Counter[int]] = {}
    last = time.monotonic()
    while True:
        for pool in threadpool_info():
            key = f"{pool['user_api']}:{pool['internal_api']}"
            seen.setdefault(key, Counter())[int(pool["num_threads"])] += 1
        if time.monotonic() - last > 1.0:
            _write(out, seen)
            last = time.monotonic()
        time.sleep(0.02)


def _write(out: Path, seen: dict[str, Counter[int]]) -> None:
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps({k: dict(v) for k, v in seen.items()}))
    tmp.replace(out)


_DIR = os.environ.get("ZYN_THREAD_PROBE_DIR")
if _DIR:
    _path = Path(_DIR) / f"pid{os.getpid()}.json"
    threading.Thread(target=_sample, args=(_path,), daemon=True, name="thread-probe").start()
