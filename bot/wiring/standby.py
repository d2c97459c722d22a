"""A second `zyn run` on a database another process owns: it serves its web page and webhooks
by forwarding to the owner, and never places, cancels, reconciles or books anything.

It builds no exchange and no trading service at all (so it cannot touch money by accident); it
only watches the lease. When the owner is gone (its lease expired or was released) the standby
stops serving and the process starts over as a fresh `zyn run` (`os.execv`), which takes the
lease, loads the books from the database and reconciles exactly once — the same path as a
normal start, instead of a second, rarely used takeover path.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue
from loguru import logger
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.owner.forwarding import ForwardingDispatcher, ForwardingStatus, OwnerLookup
from bot.owner.ownership import current_owner, read_token
from bot.settings import ZynSettings
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import EquitySnapshotRow


def create_standby_app(settings: ZynSettings, db: Engine, kv: KeyValueStore) -> Flask:
    from adapters.channels import sms, web_chat
    from adapters.channels.dashboard import decisions_from_db, insights_from_db
    from adapters.channels.replay_cache import DurableReplayCache
    from adapters.channels.slack import SlackChannel, slack_configured
    from bot.alerts.charts import equity_curve_svg
    from bot.owner.settings import dashboard_rows

    lookup = OwnerLookup(db, kv, lambda: read_token(settings.database_url))
    dispatcher = ForwardingDispatcher(lookup, settings.user_name)
    status = ForwardingStatus(lookup, lambda: _equity_curve(db, settings.mode))
    app = Flask("zyn-standby")
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    app.register_blueprint(web_chat.web_blueprint(
        dispatcher, settings.channels, status=status, decisions=lambda n: decisions_from_db(db, n),
        insights=lambda: insights_from_db(db), user_name=settings.user_name,
        settings=lambda: dashboard_rows(kv, settings.tz), chart=equity_curve_svg,
    ))
    app.register_blueprint(sms.sms_blueprint(dispatcher, settings.channels, DurableReplayCache(db)))
    if slack_configured(settings.channels):  # else Flask's 404, as in the owner
        app.register_blueprint(SlackChannel(settings.channels, dispatcher).blueprint())

    @app.get("/api/status")
    def api_status() -> ResponseReturnValue:
        from adapters.channels.web_chat import access_denied

        denied = access_denied(settings.channels.web_chat_token)
        if denied is not None:
            return denied
        try:
            return jsonify(status.snapshot())
        except Exception as exc:
            logger.bind(route="/api/status").warning("standby: owner status failed: {}", exc)
            return jsonify({"error": f"status unavailable: {exc}"}), 503

    @app.get("/healthz")
    def healthz() -> ResponseReturnValue:
        owner = lookup.owner()
        return jsonify({"ok": owner is not None, "role": "standby", "mode": settings.mode,
                        "owner": {"alive": owner is not None, "serving": bool(owner and owner.url)}}), (
            200 if owner is not None else 503)

    return app


def _equity_curve(db: Engine, mode: str) -> list[tuple[int, float]]:
    with Session(db) as s:
        stmt = select(EquitySnapshotRow).where(EquitySnapshotRow.source == mode)
        rows = s.exec(stmt.order_by(col(EquitySnapshotRow.ts_ms))).all()
    return [(r.ts_ms, r.equity) for r in rows]


class StandbyWatcher:
    """Polls the lease; calls `on_free` once when no process owns the money any more."""

    def __init__(self, db: Engine, kv: KeyValueStore, every_s: float, on_free: Callable[[], None]) -> None:
        self._db, self._kv, self._every, self._on_free = db, kv, every_s, on_free
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="zyn-standby", daemon=True)

    def start(self) -> StandbyWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self._every):
            try:
                free = current_owner(self._db, self._kv) is None
            except Exception as exc:  # the database is shared with the owner: keep watching
                logger.warning("standby: cannot read the lease: {}", type(exc).__name__)
                continue
            if free:
                logger.info("the owner is gone; this process takes over trading")
                self._stop.set()
                self._on_free()
                return


def restart_process(argv: list[str]) -> None:
    """Become a fresh `zyn run` with the same arguments and environment (same pid)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "bot", *argv])  # noqa: S606 - our own command line
