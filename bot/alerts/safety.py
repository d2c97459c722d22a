"""Alerts for safety changes seen outside trading: storage faults, the exchange circuit breaker
and failing scheduled jobs — each one log line, a row where the contract keeps one, and a
message for the owner. The root hands these callbacks to the parts that detect the change.
"""

from __future__ import annotations

from collections.abc import Callable

from loguru import logger
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.alerts.notifier import Notifier, error_event
from core.domain import Event
from core.ports import Clock
from core.telemetry.models import ErrorRow, SafetyEventRow


def storage_alerts(notifier: Notifier) -> Callable[[str | None, str | None], None]:
    """`StorageHealth`'s `on_change`: a fault halts entries (the trading gate) and tells the owner."""

    def on_change(old: str | None, new: str | None) -> None:
        if new is not None:
            logger.bind(fault=new).error("storage fault: new entries halted, stops stay on the exchange")
            notifier.notify(error_event("storage", f"{new}. New entries are halted; stops stay on the exchange."))
        else:
            logger.bind(was=old).warning("storage writes work again")
            notifier.notify(Event("error", "Storage works again; new entries are allowed.", {"where": "storage"}))

    return on_change


def breaker_alerts(db: Engine, clock: Clock, notifier: Notifier) -> Callable[[str, str], None]:
    """The circuit breaker's `on_change`: a safety event row and an alert to the owner."""

    def on_change(old: str, new: str) -> None:
        detail = f"exchange circuit breaker {old} -> {new}"
        logger.bind(old=old, new=new).warning("circuit breaker changed")
        try:
            with Session(db) as sess:
                sess.add(SafetyEventRow(ts_ms=clock.now_ms(), kind=f"circuit_{new}", detail=detail))
                sess.commit()
            notifier.notify(Event("circuit", detail, {"old": old, "new": new}))
        except Exception:
            logger.exception("circuit alert failed")

    return on_change


def job_failed(db: Engine, clock: Clock, notifier: Notifier, job: str, error: str) -> None:
    """A failing job is an `error` alert for the owner (and an ErrorRow), not a silent log line."""
    with Session(db) as s:
        s.add(ErrorRow(ts_ms=clock.now_ms(), where=f"job.{job}", kind="transient", message=error[:500]))
        s.commit()
    notifier.notify(error_event(f"scheduled job {job}", error))
