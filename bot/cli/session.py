"""How a terminal command (`zyn chat`, `zyn shell`, `zyn status`, `zyn learn`) reaches the money.

If a process owns the money for this database (a running `zyn run`), every request goes to it
and its answer is printed: one ledger, one set of pending confirmations, one place that acts.
If nobody owns it, this command takes the lease and owns for its own duration (building Zyn,
fetching candles on demand), then releases it. A request is re-sent to another owner only when
the first certainly did nothing (connection refused, "not the owner"); otherwise the user is told
to check before repeating.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from loguru import logger

from bot.cli.busy_text import busy_message
from bot.conversation.envelope import Envelope, Reply
from bot.owner.client import OwnerClient, OwnerUnreachable
from bot.owner.ownership import current_owner, read_token
from core.clock import RealClock
from core.config import Settings
from core.domain import ZynError
from core.telemetry.db import make_engine
from core.telemetry.kv import KeyValueStore
from scheduler.lease_keeper import LeaseKeeper
from scheduler.lock import SchedulerLock

if TYPE_CHECKING:
    from bot.wiring.app import Zyn

T = TypeVar("T")
WAIT_S = 20.0


class OwnerBusy(ZynError):
    """The money is owned by a process that takes no requests (another terminal command)."""


class CliSession:
    def __init__(self, settings: Settings, *, wait_s: float = WAIT_S) -> None:
        self._settings, self._wait_s = settings, wait_s
        self._db = make_engine(settings.database_url)
        self._kv = KeyValueStore(self._db)
        self._zyn: Zyn | None = None
        self._keeper: LeaseKeeper | None = None

    @property
    def user_name(self) -> str:
        return self._settings.user_name

    # ------------------------------------------------------------------ requests
    def handle(self, env: Envelope) -> Reply:
        reply: Reply = self._route(lambda c: c.dispatch(env), lambda z: z.dispatcher.handle(env))
        return reply

    def status(self) -> dict[str, Any]:
        return self._route(lambda c: c.status(), lambda z: dict(z.status.snapshot()))

    def learn(self) -> dict[str, Any]:
        return self._route(lambda c: c.learn(), lambda z: dict(z.relearn()))

    def close(self) -> None:
        if self._keeper is not None:
            self._keeper.stop()
        if self._zyn is not None:
            self._zyn.close()  # releases the lease (after saving the replay clock)
        else:
            self._db.dispose()

    # ------------------------------------------------------------------ routing
    def _route(self, remote: Callable[[OwnerClient], T], local: Callable[[Zyn], T]) -> T:
        deadline = time.monotonic() + self._wait_s
        while True:
            if self._zyn is not None:
                return local(self._zyn)
            owner = current_owner(self._db, self._kv)
            if owner is None:
                if self._take_lease():
                    assert self._zyn is not None  # noqa: S101 - set by _take_lease
                    return local(self._zyn)
            elif owner.url is not None:
                try:
                    return remote(OwnerClient(owner.url, read_token(self._settings.database_url)))
                except OwnerUnreachable as exc:
                    if not exc.retry_safe:
                        raise ZynError(f"{exc}; if this was an order, check `zyn chat orders` before repeating it") \
                            from None
                    logger.bind(owner=owner.holder).info("owner did not take the request; looking again")
            if time.monotonic() > deadline:

                raise OwnerBusy(busy_message(owner.holder if owner else None, bool(owner and owner.url),
                                             self._settings.owner_lease_s))
            time.sleep(0.25)

    def _take_lease(self) -> bool:
        from bot.wiring.app import build_zyn  # lazy: keeps apscheduler, numpy, pydantic_settings out of this import

        lease = SchedulerLock(self._db, RealClock(), lease_s=self._settings.owner_lease_s)
        if not lease.acquire():
            return False
        self._keeper = LeaseKeeper(lease).start()
        try:
            self._zyn = build_zyn(self._settings, db=self._db, lease=lease)
        except BaseException:
            self._keeper.stop()
            lease.release()
            raise
        logger.bind(holder=lease.holder).info("no zyn run owns this database; this command owns it meanwhile")
        return True
