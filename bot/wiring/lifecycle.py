"""What changes while Zyn runs, kept apart from the wiring (which never changes once built).

Why its own object: the application object (`bot.wiring.app.Zyn`) is frozen — every part is built once,
complete, by the composition root. But a process does go through states: it reconciles after a
start (the web already answers, status says "reconciling"), its scheduler is running or not, a
polling channel has a supervisor thread, the storage prober runs. Parts built *before* the
scheduler need to ask about those states (the status service's "is the autopilot running?", the
watchdog's "should the feed be beating?"), so this small object is built first and handed to
them at construction: the explicit port that breaks the cycle scheduler -> jobs -> status ->
scheduler, instead of filling a reference in later.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Protocol

from scheduler.lock import SchedulerLock


class Stoppable(Protocol):
    def stop(self) -> None: ...


class SupervisorLike(Stoppable, Protocol):
    def state(self) -> Mapping[str, object]: ...


class Lifecycle:
    """The run state of one process; thread-safe (the web, the starter thread and jobs read it)."""

    def __init__(self, lock: SchedulerLock) -> None:
        self._lock = lock
        self._reconciling = threading.Event()
        self._scheduled = threading.Event()
        self._guard = threading.Lock()
        self._supervisors: dict[str, SupervisorLike] = {}
        self._helpers: list[Stoppable] = []

    @property
    def reconciling(self) -> bool:
        return self._reconciling.is_set()

    def begin_reconcile(self) -> None:
        self._reconciling.set()

    def end_reconcile(self) -> None:
        self._reconciling.clear()

    @property
    def scheduled(self) -> bool:
        """Whether this process's scheduler has been started (and not stopped since)."""
        return self._scheduled.is_set()

    def mark_scheduled(self, running: bool) -> None:
        if running:
            self._scheduled.set()
        else:
            self._scheduled.clear()

    def acting(self) -> bool:
        """This process runs the jobs and holds the lease (as far as it knows without asking the
        database): what the watchdog asks before it expects the feed and the jobs to beat."""
        return self.scheduled and self._lock.still_valid_locally()

    def supervise(self, name: str, supervisor: SupervisorLike) -> None:
        with self._guard:
            self._supervisors[name] = supervisor

    def supervisor_states(self) -> dict[str, Mapping[str, object]]:
        with self._guard:
            return {name: sup.state() for name, sup in self._supervisors.items()}

    def keep(self, helper: Stoppable) -> None:
        """A background helper started with the process (e.g. the storage prober)."""
        with self._guard:
            self._helpers.append(helper)

    def stop_all(self) -> None:
        """Supervisors and helpers, each once (close() may be reached twice on a failed start)."""
        with self._guard:
            stopping: list[Stoppable] = [*self._supervisors.values(), *self._helpers]
            self._supervisors, self._helpers = {}, []
        for part in stopping:
            part.stop()
