"""`GET /healthz` gets its own small lane of threads in waitress, beside the request pool.

Why: waitress answers every request on one of its worker threads (8 in `zyn run`). With all of
them waiting on the database — a locked SQLite file holds a writer for its 30 s busy timeout,
a PostgreSQL server that went away holds a connect — a health check queued behind them waited
just as long, so a monitor saw a hang instead of a 503. The health route reads only memory
(storage state, circuit breaker, scheduler), so it can safely run beside them: this task
dispatcher hands a connection whose next request is `GET /healthz` to its own lane and
everything else to the usual pool. Same Flask app, same route, same port (CONTRACT.md).

It relies on waitress's task-dispatcher seam (`create_server(_dispatcher=...)`) and on the
channel's parsed request (`requests[0].command/.path`); anything unexpected there falls back
to the normal pool, so the worst case is the old behaviour, never a lost request.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

from waitress.task import ThreadedTaskDispatcher

HEALTH_PATHS = frozenset({"/healthz"})


class HealthFastLane(ThreadedTaskDispatcher):  # type: ignore[misc]  # waitress is untyped
    """waitress's pool of `threads` workers plus `lane_threads` that serve only the health route."""

    def __init__(self, threads: int, lane_threads: int = 2, paths: frozenset[str] = HEALTH_PATHS) -> None:
        super().__init__()
        self._paths = paths
        self._lane: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lane_threads = [
            threading.Thread(target=self._serve_lane, name=f"zyn-health-{n}", daemon=True)
            for n in range(lane_threads)
        ]
        for thread in self._lane_threads:
            thread.start()
        self.set_thread_count(threads)

    def add_task(self, task: Any) -> None:
        if self._is_health(task):
            self._lane.put(task)
        else:
            super().add_task(task)

    def _is_health(self, task: Any) -> bool:
        requests = getattr(task, "requests", None)
        if not requests:
            return False
        request = requests[0]
        return getattr(request, "command", "") in ("GET", "HEAD") and getattr(request, "path", "") in self._paths

    def _serve_lane(self) -> None:
        while True:
            task = self._lane.get()
            if task is None:
                return
            try:
                task.service()
            except BaseException:  # as waitress's own workers do: log and serve the next one
                self.logger.exception("Exception when servicing %r", task)

    def shutdown(self, cancel_pending: bool = True, timeout: float = 5) -> bool:
        for _ in self._lane_threads:
            self._lane.put(None)
        done: bool = super().shutdown(cancel_pending, timeout)
        return done
