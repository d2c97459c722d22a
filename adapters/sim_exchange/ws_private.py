"""The sim's private WebSocket v2 (`/ws/v2-auth`): the `executions` channel, token-authenticated.

Why like this (docs.kraken.com, Spot WebSocket v2 `executions` and `GetWebSocketsToken`): a client
asks REST `GetWebSocketsToken` for a short-lived token (15 minutes to connect with it), opens the
auth endpoint and sends `{"method": "subscribe", "params": {"channel": "executions", "token": T,
"snap_orders": true}}`. It gets an acknowledgement, a `snapshot` of its open orders, then an
`update` per execution as it happens: a `trade` event with `last_qty`/`last_price` and the order's
`cum_qty` / `order_qty`. Kraken's trade event can carry `order_status: "partially_filled"` even for
the fill that completes the order (the status change follows as its own `filled` event) — the sim
does the same, so a client must compute what remains from the amounts, not from the label.
Fills come from the paper engine's fill listener, i.e. from the sim's own matching as the replay
walks candles: no client request is involved. Socket faults apply as on `/ws/v2`.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from typing import Any

from flask import Flask, Response, request
from loguru import logger
from websockets.sync.connection import Connection

from adapters.sim_exchange.context import SimContext
from adapters.sim_exchange.ws_faults import SocketFault, first_fault
from adapters.sim_exchange.ws_public import HEARTBEAT_S, POLL_S, rfc3339
from adapters.sim_exchange.ws_upgrade import drop, pump, serve_websocket
from core.domain import Fill, Order, ZynError

log = logger.bind(component="sim_ws")
TOKEN_TTL_S = 900.0


@dataclass
class _Session:
    conn: Connection
    subscribed: bool = False
    out: deque[dict[str, Any]] = field(default_factory=deque)
    last_sent: float = 0.0
    dropped: bool = False


class ExecutionStream:
    def __init__(self, ctx: SimContext, faults: Callable[[], list[SocketFault]]) -> None:
        self._ctx, self._faults = ctx, faults
        self._tokens: dict[str, float] = {}  # token -> valid until (monotonic)
        self._sessions: dict[int, _Session] = {}
        self._lock, self._fault_lock = threading.Lock(), threading.Lock()
        self._ids, self._seq = count(1), count(1)
        add_fill_listener = getattr(ctx.exchange, "add_fill_listener", None)
        if add_fill_listener is not None:
            add_fill_listener(self.on_fill)
        ctx.cancel_listeners.append(self.on_cancel)

    # ------------------------------------------------------------------ REST side
    def issue_token(self, ctx: SimContext, params: dict[str, str]) -> dict[str, Any]:
        """GetWebSocketsToken's answer."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = time.monotonic() + TOKEN_TTL_S
        return {"token": token, "expires": int(TOKEN_TTL_S)}

    # ------------------------------------------------------------------ fills
    def on_fill(self, order: Order, fill: Fill) -> None:
        cum = order.filled
        trade = {
            "exec_type": "trade", "order_id": order.id, "exec_id": fill.id, "symbol": order.pair,
            "side": order.side, "order_type": order.type, "order_qty": float(order.amount),
            "last_qty": float(fill.amount), "last_price": float(fill.price), "cum_qty": float(cum),
            "avg_price": float(order.average_price or fill.price),
            "fees": [{"asset": self._ctx.market(order.pair).quote, "qty": float(fill.fee)}],
            "order_status": "partially_filled",  # Kraken's label on a trade event, even the last one
            "timestamp": rfc3339(fill.ts_ms),
        }
        if order.client_ref:
            trade["cl_ord_id"] = order.client_ref
        reports = [trade]
        if cum >= order.amount:
            reports.append({"exec_type": "filled", "order_id": order.id, "order_status": "filled",
                            "cum_qty": float(cum), "timestamp": rfc3339(fill.ts_ms)})
        self._push(reports)

    def on_cancel(self, order: Order) -> None:
        """Kraken's `canceled` execution report (status event, no fill) for a cancelled order."""
        report = {"exec_type": "canceled", "order_id": order.id, "order_status": "canceled",
                  "symbol": order.pair, "side": order.side, "order_type": order.type,
                  "order_qty": float(order.amount), "cum_qty": float(order.filled), "reason": "User requested",
                  "timestamp": rfc3339(order.closed_ms or self._ctx.clock.now_ms())}
        self._push([report])

    def _push(self, reports: list[dict[str, Any]]) -> None:
        with self._lock:
            sessions = [s for s in self._sessions.values() if s.subscribed]
        for s in sessions:
            s.out.append({"channel": "executions", "type": "update", "data": reports, "sequence": next(self._seq)})

    # ------------------------------------------------------------------ one connection
    def session(self, conn: Connection) -> None:
        sid = next(self._ids)
        s = _Session(conn)
        with self._lock:
            self._sessions[sid] = s
        hello = {"channel": "status", "type": "update", "data": [{
            "api_version": "v2", "connection_id": sid, "system": "online", "version": "2.0.0"}]}
        try:
            pump(conn, POLL_S, lambda: self._send(s, hello), lambda: s.dropped,
                 lambda raw: self._request(s, raw), lambda: self._flush(s))
        finally:
            with self._lock:
                self._sessions.pop(sid, None)

    def _request(self, s: _Session, raw: str | bytes) -> None:
        time_in = rfc3339(self._ctx.clock.now_ms())
        try:
            req = json.loads(raw)
            method, params, req_id = str(req.get("method", "")), req.get("params") or {}, req.get("req_id")
        except (ValueError, AttributeError):
            self._send(s, {"error": "Malformed request", "success": False, "time_in": time_in})
            return
        reply: dict[str, Any] = {"method": method, "time_in": time_in, "time_out": time_in}
        if req_id is not None:
            reply["req_id"] = req_id
        if method == "ping":
            self._send(s, {**reply, "method": "pong"})
            return
        if method != "subscribe" or params.get("channel") != "executions":
            self._send(s, {**reply, "success": False, "error": "Channel not supported on this endpoint"})
            return
        if not self._token_ok(str(params.get("token", ""))):
            self._send(s, {**reply, "success": False, "error": "ESession:Invalid session"})
            return
        self._send(s, {**reply, "success": True, "result": {"channel": "executions", "snapshot": True}})
        s.out.append({"channel": "executions", "type": "snapshot", "data": self._open_orders(),
                      "sequence": next(self._seq)})
        s.subscribed = True

    def _token_ok(self, token: str) -> bool:
        with self._lock:
            until = self._tokens.get(token)
        return until is not None and time.monotonic() < until

    def _open_orders(self) -> list[dict[str, Any]]:
        try:
            orders = self._ctx.exchange.fetch_open_orders()
        except ZynError:
            return []
        return [{"order_id": o.id, "symbol": o.pair, "side": o.side, "order_type": o.type,
                 "order_qty": float(o.amount), "cum_qty": float(o.filled), "limit_price": float(o.price or 0),
                 "order_status": "partially_filled" if o.filled else "new",
                 "timestamp": rfc3339(o.created_ms)} for o in orders]

    def _flush(self, s: _Session) -> None:
        while s.out and not s.dropped:
            self._deliver(s, s.out.popleft())
        if not s.dropped and time.monotonic() - s.last_sent >= HEARTBEAT_S:
            self._deliver(s, {"channel": "heartbeat"})

    def _deliver(self, s: _Session, msg: dict[str, Any]) -> None:
        fault = first_fault(self._faults(), str(msg.get("channel", "")), self._fault_lock)
        if fault is not None and fault.kind == "drop":
            s.dropped = True
            drop(s.conn)
            return
        self._send(s, msg)
        if fault is not None and fault.kind == "duplicate":
            self._send(s, msg)

    def _send(self, s: _Session, msg: dict[str, Any]) -> None:
        s.conn.send(json.dumps(msg))
        s.last_sent = time.monotonic()


def add_private_socket(app: Flask, ctx: SimContext) -> ExecutionStream:
    """Serve `/ws/v2-auth` on `app`; `GetWebSocketsToken` is added to the private REST methods."""
    app.config.setdefault("WS_FAULTS", [])
    stream = ExecutionStream(ctx, lambda: app.config.get("WS_FAULTS") or [])

    @app.route("/ws/v2-auth", websocket=True)
    def ws_v2_auth() -> Response:
        return serve_websocket(request, stream.session)

    app.extensions["zyn_sim_executions"] = stream
    return stream
