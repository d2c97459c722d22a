"""Serve a WebSocket on the sim's REST port: RFC 6455 by the `websockets` library, on Flask's socket.

Why this way: Kraken serves REST and WebSocket on different hosts, the sim on ONE port (the
contract: `ws://HOST:PORT/ws/v2` beside `/0/public/...`). `websockets`' own server parses only GET
requests, so it cannot front the REST API (its private calls are POSTs), and a proxy in front of
the Flask app would be a second server to keep faithful. Instead the Flask view takes the request
werkzeug already parsed, runs the opening handshake with `websockets`' sans-I/O `ServerProtocol`
(key check, `Sec-WebSocket-Accept`, version, 101 response — the library's code, not ours), writes
the 101 to the raw socket werkzeug exposes (`werkzeug.socket`, the threaded server the tests and
`zyn sim-exchange` run) and hands the socket to `websockets.sync`'s `Connection`, which frames,
masks, answers pings and closes as the RFC says. The view's thread serves the socket until it
closes; the response object then tells werkzeug the connection is gone (no HTTP answer follows).
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from flask import Request, Response
from loguru import logger
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as WsRequest
from websockets.server import ServerProtocol
from websockets.sync.connection import Connection

log = logger.bind(component="sim_exchange")
Session = Callable[[Connection], None]


class _Detached(Response):
    """After a WebSocket session the socket belongs to nobody: tell werkzeug it was dropped."""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        raise ConnectionError("websocket session ended")


def serve_websocket(request: Request, session: Session) -> Response:
    """Upgrade `request` and run `session(connection)` in this thread until the socket closes."""
    sock: socket.socket | None = request.environ.get("werkzeug.socket")
    if sock is None:
        return Response("WebSocket needs the threaded werkzeug server\n", status=501, mimetype="text/plain")
    if "websocket" not in request.headers.get("Upgrade", "").lower():
        return Response("426 Upgrade Required: this is a WebSocket endpoint\n", status=426,
                        headers={"Upgrade": "websocket"}, mimetype="text/plain")
    protocol = ServerProtocol()
    # werkzeug consumed the request bytes; the protocol's parser must still see them first (it
    # parses the HTTP request, then frames), so they are written back to it as they came.
    head = f"GET {request.full_path.rstrip('?')} HTTP/1.1\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in request.headers.items()) + "\r\n"
    protocol.receive_data(head.encode("latin-1"))
    events = protocol.events_received()
    if not events or not isinstance(events[0], WsRequest):
        return Response("400 Bad Request: not a WebSocket handshake\n", status=400, mimetype="text/plain")
    response = protocol.accept(events[0])
    protocol.send_response(response)
    sock.sendall(b"".join(protocol.data_to_send()))
    if response.status_code != 101:
        log.bind(status=response.status_code).info("sim refused a WebSocket handshake: {}", response.body)
        return _Detached()
    conn = Connection(sock, protocol, ping_interval=None, close_timeout=2)
    try:
        session(conn)
    except Exception:  # one session's bug must not take the server down
        log.exception("websocket session failed")
    finally:
        conn.close()
    return _Detached()


def drop(conn: Connection) -> None:
    """Cut the TCP connection with no close frame (a network drop, as a client sees it)."""
    try:
        conn.socket.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def pump(conn: Connection, poll_s: float, hello: Callable[[], None], dropped: Callable[[], bool],
         on_message: Callable[[str | bytes], None], flush: Callable[[], None]) -> None:
    """One socket session of the sim (public and private alike): the greeting, then read with a short
    timeout, hand each message on and flush what is due, until a fault drops it or the client closes."""
    try:
        hello()
        while not dropped():
            try:
                raw = conn.recv(timeout=poll_s)
            except TimeoutError:
                raw = None
            if raw is not None:
                on_message(raw)
            flush()
    except ConnectionClosed:
        pass
