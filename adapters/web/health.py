"""`/healthz` and `/api/status`: machine-readable state for monitors and the dashboard."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue
from loguru import logger

from adapters.channels.ports import channel_settings, is_loopback
from adapters.channels.web_chat import access_denied, token_given
from adapters.web.ports import WebZyn
from core.clock import RealClock


def make_blueprint(zyn: WebZyn) -> Blueprint:
    """The owner's (or a terminal command's) `/healthz` and `/api/status`."""
    return health_blueprint(lambda: health_report(zyn), lambda: zyn.status.snapshot(),
                            lambda: channel_settings(zyn.settings).web_chat_token)


def health_blueprint(report: Callable[[], dict[str, Any]], snapshot: Callable[[], Mapping[str, Any]],
                     token: Callable[[], str]) -> Blueprint:
    """`/healthz` (200 when `report()["ok"]`, else 503; the details only for loopback callers or
    callers with WEB_CHAT_TOKEN) and `/api/status` (`snapshot()`, same access rule as /status).

    Why one blueprint for both roles: the standby (`bot/wiring/standby.py`) answers its monitors
    with the same routes and the same access rule as the owner; only the report differs."""
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz() -> ResponseReturnValue:
        body = report()
        code = 200 if body["ok"] else 503
        if not _may_see_details(token()):  # mode, exchange and jobs help an attacker, not a monitor
            return jsonify({"ok": body["ok"]}), code
        return jsonify(body), code

    @bp.get("/api/status")
    def api_status() -> ResponseReturnValue:
        # Balances and positions: the same access rule as /status (WEB_CHAT_TOKEN, else loopback).
        denied = access_denied(token())
        if denied is not None:
            return denied
        try:
            return jsonify(dict(snapshot()))
        except Exception as exc:  # the snapshot itself must never take the page down
            logger.bind(route="/api/status").exception("status snapshot failed")
            return jsonify({"error": f"status unavailable: {type(exc).__name__}"}), 503

    return bp


def _may_see_details(token: str) -> bool:
    """Loopback callers and callers with WEB_CHAT_TOKEN see the details; anyone else ok/not ok."""
    if token_given(token):
        return True
    return is_loopback(request.remote_addr) and is_loopback((request.host or "").rsplit(":", 1)[0].strip("[]"))


def health_report(zyn: WebZyn) -> dict[str, Any]:
    """ok = storage takes writes and answers, the owned scheduler runs, and the exchange circuit
    is not open (open = the exchange has been unreachable repeatedly; new entries are paused).

    Storage comes from memory (`zyn.storage`, fed by every statement and a prober thread), never
    from a query here: a locked or hung database must not make the health check hang."""
    circuit = zyn.breaker.snapshot()
    storage = zyn.storage.snapshot()
    lease_error = zyn.lease.unanswered if zyn.lease is not None else None  # renewals failing (issue 19.3)
    db_ok = _storage_ok(storage) and not lease_error
    sched = zyn.scheduler_state()
    ok = db_ok and (not sched.get("owner") or bool(sched.get("running"))) and circuit["state"] != "open"
    return {
        "ok": ok,
        "role": "owner" if sched.get("owner") else "not trading",
        "mode": zyn.settings.mode,
        "reconciling": bool(zyn.reconciling),
        "database": "ok" if db_ok else "error",
        "storage": storage,
        "lease": lease_error,
        "scheduler": sched,
        "exchange": {"name": zyn.exchange.name, "circuit": circuit["state"]},
        "circuit": circuit,
        "market_data": zyn.feed_state(),
        "components": _components(zyn),
        # a channel down does not make Zyn unhealthy (trading goes on), but it shows here
        "channels": zyn.channel_state(),
    }


def _components(zyn: WebZyn) -> dict[str, Any]:
    """Every job, poller and feed the watchdog guards, with its state and last heartbeat (issue 9)."""
    watchdog = zyn.modules.watchdog
    return dict(watchdog.snapshot()) if watchdog is not None else {}


STALE_MS = 60_000


def _storage_ok(snap: dict[str, Any]) -> bool:
    """No write fault, the last probe worked, and (when a prober runs) it answered lately."""
    if not snap["ok"]:
        return False
    last = snap["last_answer_ms"]
    return last is None or RealClock().now_ms() - int(last) <= STALE_MS
