"""Web chat (`/`, `POST /api/chat`) and the status dashboard (`/status`, `/api/status/extra`).

Who is talking: the web channel has no accounts. Without `WEB_CHAT_TOKEN` only loopback clients
are served (and `check_bind` refuses to bind anything else); with a token every request must
carry `Authorization: Bearer <token>` or the `zyn_token` cookie that `POST /login` sets (HttpOnly,
SameSite=Strict, Secure over https; it holds a value derived from the token, see web_session.py;
wrong tokens are throttled per client) — loopback too, because behind a local reverse proxy every request looks like
loopback. Never `?token=`: a URL ends up in access logs, proxies and the browser's history.
A browser opening `/status` without the cookie is sent to the sign-in form (and back to `/status`
once signed in); API clients (`/api/...`, `Accept: application/json`, curl's `*/*`, a Bearer
header) keep the 401 JSON answer.
Every page of this blueprint says it must not be framed (X-Frame-Options and CSP
frame-ancestors), so another site cannot overlay it to click "yes" for the owner.
A trusted caller is the owner: the optional `"user"` field only names the conversation
(default "owner"); the dispatcher's allow-list still decides what that user may do. Pages
render server-side (work without JS) and poll JSON to refresh; the browser inserts text with
textContent only, never as HTML.
"""

from __future__ import annotations

import base64
import hmac
import json
import math
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from loguru import logger as log

from adapters.channels.config_checks import check_bind as bind_rule
from adapters.channels.dashboard import (
    ChartSvg,
    EquityChart,
    decisions_from_db,
    insights_from_db,
    safe_curve,
    safe_settings,
    safe_snapshot,
)
from adapters.channels.ports import (
    ChannelSettings,
    DispatcherLike,
    Envelope,
    Reply,
    SettingsLike,
    StatusLike,
    ZynLike,
    channel_settings,
    is_loopback,
)
from adapters.channels.render import cells, confirm_buttons, plain_text, table_rows
from adapters.channels.web_session import NOSNIFF, SignInThrottle, cookie_ok, is_https, session_value

MAX_BODY = 4096
COOKIE = "zyn_token"
NO_FRAMING = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}
THROTTLE_KEY = "zyn_signin_throttle"  # the app's one SignInThrottle, in Flask's app.extensions
MAX_USER = 64
SIGN_IN_RETURNS = ("zyn_web.status_page",)  # pages the sign-in form may return to (else the chat)
DISPATCH_FAILED = "internal error; nothing was done"
Decisions = Callable[[int], Sequence[dict[str, Any]]]
Insights = Callable[[], Sequence[dict[str, Any]]]


def check_bind(host: str, settings: ChannelSettings | SettingsLike) -> None:
    """Refuse to serve the chat on a non-loopback address without WEB_CHAT_TOKEN."""
    bind_rule(host, channel_settings(settings))


def make_blueprint(zyn: ZynLike, throttle: SignInThrottle | None = None) -> Blueprint:
    """Chat page, chat API and dashboard for the composition root's Flask app. `throttle`: the
    app's wrong-token counter when something else shares it (the chat fast lane)."""
    db = zyn.db
    return web_blueprint(
        zyn.dispatcher,
        channel_settings(zyn.settings),
        status=zyn.status,
        decisions=(lambda n: decisions_from_db(db, n)) if db is not None else None,
        insights=(lambda: insights_from_db(db)) if db is not None else None,
        user_name=zyn.settings.user_name,
        settings=zyn.dashboard_settings,
        chart=zyn.equity_chart_svg,
        currency=zyn.currency,
        throttle=throttle,
    )


def web_blueprint(
    dispatcher: DispatcherLike,
    channels: ChannelSettings,
    status: StatusLike | None = None,
    decisions: Decisions | None = None,
    insights: Insights | None = None,
    user_name: str = "",
    settings: Callable[[], list[tuple[str, str]]] | None = None,
    chart: ChartSvg | None = None,
    throttle: SignInThrottle | None = None,
    currency: str = "USD",
) -> Blueprint:
    """Build the blueprint from its parts (tests and the bench pass fakes). `throttle`: the
    wrong-token counter (one per app; tests pass one with their own clock)."""
    bp = Blueprint(
        "zyn_web",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/zyn-static",
    )
    token = channels.web_chat_token
    guard = throttle if throttle is not None else SignInThrottle()
    bp.record_once(lambda state: state.app.extensions.setdefault(THROTTLE_KEY, guard))

    @bp.after_request
    def no_framing(resp: Response) -> Response:
        resp.headers.update(NO_FRAMING)
        return resp

    @bp.after_app_request
    def no_sniffing(resp: Response) -> Response:  # every route of the app, not only this blueprint's
        resp.headers.update(NOSNIFF)
        return resp

    @bp.get("/")
    def chat_page() -> str:
        signed_in = not token or _token_ok(token)
        return render_template("chat.html", token_required=not signed_in, user_name=user_name,
                               next_page=_next_page(request.args.get("next")))

    @bp.post("/login")
    def login() -> ResponseReturnValue:
        given = request.form.get("token", "")
        client = request.remote_addr or "?"
        locked = _locked_out(guard, client)
        if locked is not None:
            return locked
        if not token or not given or not hmac.compare_digest(given.encode(), token.encode()):
            log.bind(route="/login").warning("web: sign-in refused")
            guard.failed(client)
            return _sign_in_refused(user_name)
        guard.succeeded(client)
        resp = redirect(_next_page(request.form.get("next")) or url_for("zyn_web.chat_page"), code=303)
        secure = is_https(request.is_secure, request.headers.get("X-Forwarded-Proto"))
        resp.set_cookie(COOKIE, session_value(token), httponly=True, samesite="Strict", secure=secure)
        return resp

    _add_dashboard_routes(
        bp, token, status, decisions or (lambda n: []), insights or (lambda: []), lambda: safe_settings(settings),
        EquityChart(chart), currency,
    )

    @bp.post("/api/chat")
    def chat_api() -> Response | tuple[Response, int]:
        denied = _deny(token)
        if denied is not None:
            return denied
        if request.mimetype != "application/json":
            # A cross-site page can POST text/plain without a CORS preflight; JSON cannot.
            return _error('send JSON with "Content-Type: application/json"', 415)
        parsed = _parse_chat(request.content_length)
        if isinstance(parsed, str):
            return _error(parsed, 400)
        message, user = parsed
        try:
            reply = dispatcher.handle(Envelope("web", user, message))
        except Exception:
            log.exception("web: dispatcher failed")
            return _error(DISPATCH_FAILED, 500)
        return jsonify(reply_json(reply))

    return bp


def _add_dashboard_routes(  # noqa: PLR0913
    bp: Blueprint,
    token: str,
    status: StatusLike | None,
    recent: Decisions,
    learned: Insights,
    owner_settings: Callable[[], list[tuple[str, str]]],
    chart: EquityChart,
    currency: str = "USD",
) -> None:
    """`/status` (server-rendered) and `/api/status/extra` (chart, decisions, insights for the refresh)."""

    @bp.get("/status")
    def status_page() -> ResponseReturnValue:
        denied = _deny(token)
        if denied is not None and denied.status_code == 401 and _browser_page():
            # a browser without the cookie: to the sign-in form, and back here once signed in
            return redirect(url_for("zyn_web.chat_page", next=url_for("zyn_web.status_page")), code=303)
        if denied is not None:
            return denied
        snap = safe_snapshot(status)
        curve = safe_curve(status) if not snap.get("error") else []
        return render_template(
            "status.html",
            s=snap,
            chart=chart.svg(curve),
            decisions=recent(20),
            insights=learned(),
            settings=owner_settings(),
            currency=currency,
        )

    @bp.get("/api/status/extra")
    def status_extra() -> Response:
        denied = _deny(token)
        if denied is not None:
            return denied
        return jsonify(
            {
                "equity_svg": chart.svg(safe_curve(status)),
                "decisions": list(recent(20)),
                "insights": list(learned()),
            }
        )


def _sign_in_refused(user_name: str) -> ResponseReturnValue:
    """A wrong token: a browser gets the sign-in form again saying so (not a page of JSON), an API
    client the JSON; 401 either way."""
    if _browser_page():
        return render_template("chat.html", token_required=True, user_name=user_name, sign_in_failed=True,
                               next_page=_next_page(request.form.get("next"))), 401
    return _error("wrong token", 401)


def _browser_page() -> bool:
    """A browser opening the page (it prefers HTML and sends no token of its own), not an API
    client: curl (`*/*`), `Accept: application/json` or a Bearer header keep the 401 JSON."""
    if request.headers.get("Authorization"):
        return False
    accept = request.accept_mimetypes
    return bool(request.headers.get("Accept")) and accept.best_match(["application/json", "text/html"]) == "text/html"


def _next_page(wanted: str | None) -> str | None:
    """Where the sign-in returns to: only this app's own pages, never a URL from the request (an
    open redirect would let another site send the owner anywhere after signing in)."""
    return wanted if wanted and wanted in {url_for(page) for page in SIGN_IN_RETURNS} else None


def reply_json(reply: Reply) -> dict[str, Any]:
    """The `/api/chat` answer: the contract's `reply` (plain text) plus the structure for the page."""
    body: dict[str, Any] = {
        "reply": plain_text(reply),
        "kind": reply.kind,
        "title": reply.title,
        "text": reply.text,
        "rows": [cells(r) for r in table_rows(reply)],
        # a table's column names (also its first row above): the page lays it out per width like
        # the other channels — a table when it fits, one card per row on a phone (issue 22.10)
        "columns": [str(c) for c in reply.columns] if reply.columns and reply.rows else [],
        "buttons": confirm_buttons(reply),
    }
    if reply.image_png:
        body["image_png"] = base64.b64encode(reply.image_png).decode("ascii")
    return body


def _error(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def access_denied(token: str) -> Response | None:
    """The web chat's access rule for other routes showing the owner's data (e.g. /api/status)."""
    return _deny(token)


def _deny(token: str) -> Response | None:
    """None when the caller may proceed, else the 401/403 answer.

    Without a token the Host header must name loopback too: a DNS-rebinding page (evil.example
    resolving to 127.0.0.1) reaches a loopback socket but sends its own name as Host."""
    if token:
        guard: SignInThrottle | None = current_app.extensions.get(THROTTLE_KEY)
        client = request.remote_addr or "?"
        locked = _locked_out(guard, client) if guard is not None else None
        if locked is not None:
            return locked
        if _verified(token, guard, client):
            return None
        resp = jsonify({"error": "missing or wrong token (Authorization: Bearer <WEB_CHAT_TOKEN>, or sign in)"})
        resp.status_code = 401
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp
    if loopback_caller(request.remote_addr, request.host):
        return None
    resp = jsonify({"error": "the web chat serves loopback only unless WEB_CHAT_TOKEN is set"})
    resp.status_code = 403
    return resp


def _token_ok(token: str) -> bool:
    return token_matches(token, request.headers.get("Authorization", ""), request.cookies.get(COOKIE, ""))


def token_matches(token: str, authorization: str, cookie: str) -> bool:
    """The request carries the token in the Authorization header, or the sign-in cookie (which
    holds the session value derived from the token, never the token). No side effect: counting a
    wrong guess is `_verified`'s (the WSGI fast lane asks this too, adapters/web/chat_lane.py)."""
    if authorization.lower().startswith("bearer "):
        given = authorization[7:].strip()
        return bool(token and given) and hmac.compare_digest(given.encode(), token.encode())
    return cookie_ok(token, cookie)


def loopback_caller(remote_addr: str | None, host: str) -> bool:
    """Without a token: the client is on loopback AND the Host header names loopback (a
    DNS-rebinding page reaches a loopback socket but sends its own name as Host)."""
    return is_loopback(remote_addr) and is_loopback(_host_name(host))


def _verified(token: str, guard: SignInThrottle | None, client: str) -> bool:
    """`_token_ok`, counting a wrong Bearer token against the client (a wrong cookie is not a guess
    at the token — it is a 256-bit derived value — and a browser with a stale cookie must still be
    able to sign in again)."""
    if _token_ok(token):
        return True
    if guard is not None and request.headers.get("Authorization", "").lower().startswith("bearer "):
        guard.failed(client)
    return False


def _locked_out(guard: SignInThrottle, client: str) -> Response | None:
    """429 with Retry-After while this client is locked out after too many wrong tokens."""
    wait = guard.wait_s(client)
    if wait <= 0:
        return None
    log.bind(client=client, wait_s=round(wait, 1)).warning("web: sign-in locked out")
    resp = jsonify({"error": f"too many wrong tokens; try again in {math.ceil(wait)} s"})
    resp.status_code = 429
    resp.headers["Retry-After"] = str(math.ceil(wait))
    return resp


def token_given(token: str) -> bool:
    """For other routes (e.g. /healthz): does this request prove it knows WEB_CHAT_TOKEN? Throttled
    like the sign-in, or the longer /healthz answer would be an unthrottled way to test guesses."""
    guard: SignInThrottle | None = current_app.extensions.get(THROTTLE_KEY)
    client = request.remote_addr or "?"
    if guard is not None and guard.wait_s(client) > 0:
        return False
    return _verified(token, guard, client)


def _host_name(host: str) -> str:
    """'127.0.0.1:5000' -> '127.0.0.1', '[::1]:5000' -> '::1', 'localhost' -> 'localhost'."""
    try:
        return urlsplit(f"//{host}").hostname or ""
    except ValueError:
        return ""


def _parse_chat(content_length: int | None) -> tuple[str, str] | str:
    """(message, user) from the JSON body, or a one-line error."""
    if content_length is not None and content_length > MAX_BODY:
        return f"message too large (at most {MAX_BODY} bytes)"
    return parse_chat_body(request.stream.read(MAX_BODY + 1))


def parse_chat_body(raw: bytes) -> tuple[str, str] | str:
    """(message, user) from the raw JSON body (at most MAX_BODY + 1 bytes read), or a one-line error."""
    if len(raw) > MAX_BODY:
        return f"message too large (at most {MAX_BODY} bytes)"
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return 'body must be JSON like {"message": "status"}'
    if not isinstance(data, dict):
        return 'body must be a JSON object like {"message": "status"}'
    message, user = data.get("message"), data.get("user") or "owner"
    if not isinstance(message, str):
        return 'missing "message" (a string)'
    message = "".join(c for c in message if c in "\n\t" or c.isprintable()).strip()
    if not message:
        return "message is empty"
    if not isinstance(user, str) or len(user) > MAX_USER or not user.isprintable():
        return f'"user" must be a short printable name (at most {MAX_USER} characters)'
    return message, user
