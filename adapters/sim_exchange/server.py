"""A Kraken-REST-compatible paper exchange (Flask) over a `PaperExchange`.

Why: clients (ccxt, Zyn's own Kraken adapter, anything written for Kraken) can be tried end to
end with no account and no risk — the same matching engine as paper mode answers, with Kraken's
paths (`/0/public/<Method>`, `/0/private/<Method>`), its `{"error": [...], "result": ...}`
envelope on HTTP 200, its signature/nonce rules and its error strings.

Test hooks (read on every request, so tests can change them on a running server):
- `app.config["FAULTS"]`: a list of `Fault`s, consumed first-match per method, e.g.
  `Fault("AddOrder", "drop")` executes the order then drops the connection (a lost answer),
  `Fault("Balance*", "error", times=3)` answers `EService:Unavailable` three times,
  `Fault("*", "http", status=502)` answers an HTTP 502 page.
  `Fault("QueryOrders", "delay", delay_s=2)` answers late (beyond the client's timeout: a
  timeout), `Fault("CancelOrder", "fake_cancel")` answers `{"count": 1}` and cancels nothing.
  `Fault("AddOrder", "hang", after=True, params={"ordertype": "stop-loss"})` places the stop,
  then holds the answer until `release()`: the crash tests wait for `reached` and SIGKILL
  the client while its call is in flight (a kill point at an exact step, no hook in Zyn).
  `Fault("AddOrder", "partial", fraction=Decimal("0.4"))` fills 40 % of an order that fills
  on arrival; the rest stays open, as a partly filled order does on Kraken.
  Unknown outcomes (issue 19): `Fault("AddOrder", "empty")` / `"html200"` executes the order,
  then answers HTTP 200 with an empty body / an HTML page; `Fault("AddOrder", "fake_accept")`
  answers a txid the sim never placed (nothing executed); `hide_s=5` on any executed AddOrder
  (`Fault("AddOrder", "invisible", hide_s=5)` answers normally) keeps the new order out of every
  read (QueryOrders, OpenOrders, ClosedOrders) for 5 s, as Kraken's REST can lag a fill.
- `app.config["BAD_DAY"]`: a seeded `bad_day.BadDay` schedule (issue 19): after the explicit
  `FAULTS`, every private request draws its fault from it (`zyn sim-exchange --bad-day SEED`).
- `app.config["STAKED"]`: extra balances under Kraken's staking names (`{"DOT.S": "12.5"}`),
  reported by Balance/BalanceEx like Kraken does (not tradable; clients must not count them).
- `app.config["RATE_LIMIT"]`: a `RateLimit` (leaky bucket per key) or None.
- `app.config["KRAKEN_COUNTERS"]`: a `counters.KrakenCounters` (Kraken's documented REST and
  matching-engine counters of one tier) or None.
- `app.config["SIM"]`: the `SimContext` (paper exchange, candles, clock); `SIM.lag.seconds = S`
  makes REST show each fill S seconds late (the `executions` socket is not delayed; issue 21);
  `SIM.close_lag.seconds = S` keeps each conditional close out of OpenOrders/QueryOrders for S
  seconds of the sim's clock after it was placed (the exchange's stop shown late, issue 21.3).
- `app.extensions["zyn_sim_public_calls"]`: every public call as (method, monotonic seconds,
  params), the newest 10,000 (tests check a client's pacing against the rate budget with it).
"""

from __future__ import annotations

import fnmatch
import socket
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any, Literal, Protocol
from urllib.parse import parse_qsl

from flask import Flask, Response, jsonify, request
from loguru import logger

from adapters.sim_exchange.auth import NonceBook, RateLimit, RateLimiter, signature_ok
from adapters.sim_exchange.candles import CandleBook
from adapters.sim_exchange.closes import ConditionalCloses
from adapters.sim_exchange.context import KrakenError, PaperLike, SimContext, kraken_error, pair_of
from adapters.sim_exchange.kraken_format import descr_order
from adapters.sim_exchange.private import PRIVATE
from adapters.sim_exchange.public import PUBLIC
from adapters.sim_exchange.ws_faults import SocketFault
from adapters.sim_exchange.ws_private import add_private_socket
from adapters.sim_exchange.ws_public import add_public_socket
from core.domain import ZynError
from core.ports import Clock

log = logger.bind(component="sim_exchange")
FaultKind = Literal[
    "error", "http", "drop", "delay", "fake_cancel", "hang", "partial", "empty", "html200", "fake_accept", "invisible"
]
ORDER_READS = ("QueryOrders", "OpenOrders", "ClosedOrders")
FAKE_TXID = "OFAKEX-ACCPT-{:06d}"  # Kraken's txid shape, so reads answer "absent", not "malformed"
HANG_MAX_S = 600.0  # a hang nobody releases ends (answer dropped) after this long


class FaultSchedule(Protocol):
    """What `app.config["BAD_DAY"]` holds (`bad_day.BadDay`): one fate per private request."""

    def fault_for(self, method: str, params: dict[str, str]) -> tuple[Fault | None, SocketFault | None]: ...


@dataclass
class Fault:
    """One injected failure. `method` is a glob over Kraken method names (`AddOrder`, `*`).

    kind: `error` -> HTTP 200 with `{"error": [error]}`; `http` -> a bare HTTP `status` page;
    `drop` -> run the request, then close the connection without an answer.
    `delay` -> wait `delay_s`, then answer normally; `fake_cancel` -> `{"count": 1}`, no cancel.
    `hang` -> hold the request (set `reached`) until `release()` or `delay_s` (default
    HANG_MAX_S), then drop the connection without an answer; never executed unless `after`.
    `partial` -> AddOrder executes only `fraction` of an order that fills on arrival (the rest
    stays open); for other methods it has no effect.
    `after=True` makes `error`/`http`/`hang` also run the request first (executed but answer lost).
    `empty` / `html200` -> run the request, then HTTP 200 with an empty body / an HTML page.
    `fake_accept` -> AddOrder answers a txid nobody placed; nothing is executed.
    `invisible` -> answer normally; with `hide_s` the order stays out of the reads meanwhile.
    `hide_s`: an AddOrder this fault let execute is invisible to order reads for that long.
    `params`: only requests whose form fields all match (`{"ordertype": "stop-loss"}` fails the
    stop but not the buy before it).
    """

    method: str
    kind: FaultKind = "error"
    times: int = 1
    error: str = "EService:Unavailable"
    status: int = 502
    after: bool = False
    params: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    fraction: Decimal = Decimal("0.5")
    hide_s: float = 0.0
    reached: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)
    _released: threading.Event = field(default_factory=threading.Event, repr=False, compare=False)

    def runs_first(self) -> bool:
        return self.kind in ("drop", "empty", "html200", "invisible") or self.after

    def release(self) -> None:
        """Let a held (`hang`) request end: its connection is dropped, nothing more is executed."""
        self._released.set()

    def hold(self) -> None:
        self.reached.set()
        self._released.wait(self.delay_s or HANG_MAX_S)


def create_sim_app(
    exchange: PaperLike,
    api_key: str,
    api_secret: str,
    clock: Clock,
    *,
    candles: CandleBook | None = None,
    rate_limit: RateLimit | None = None,
) -> Flask:
    """Build the Flask app. `exchange` needs the paper extras (`add_fill_listener` for closes)."""
    app = Flask("zyn_sim_exchange")
    app.json.sort_keys = False  # type: ignore[attr-defined]  # Kraken lists history newest first
    ctx = _context(exchange, clock, candles)
    app.config.update(FAULTS=[], RATE_LIMIT=rate_limit, SIM=ctx, STAKED={}, HIDDEN={}, KRAKEN_COUNTERS=None,
                      BAD_DAY=None)
    keys = {api_key: api_secret}
    nonces, limiter = NonceBook(), RateLimiter()
    refusals: Counter[str] = Counter()  # what the sim refused, by Kraken error (tests read it)
    executions = add_private_socket(app, ctx)  # `/ws/v2-auth` + its REST token (issue 21)
    socket_methods = {"GetWebSocketsToken": executions.issue_token}
    public_calls: deque[tuple[str, float, dict[str, str]]] = deque(maxlen=10_000)

    @app.route("/0/public/<method>", methods=["GET", "POST"])
    def public(method: str) -> Any:
        params = dict(request.args.items())
        if request.method == "POST":
            params.update(parse_qsl(request.get_data(as_text=True)))
        public_calls.append((method, time.monotonic(), dict(params)))
        return _serve(app, method, PUBLIC.get(method), ctx, params)

    @app.route("/0/private/<method>", methods=["POST"])
    def private(method: str) -> Any:
        body = request.get_data(as_text=True)
        params = dict(parse_qsl(body, keep_blank_values=True))
        key = request.headers.get("API-Key", "")
        refused = _authenticate(keys, key, request.path, params, body, nonces)
        if refused is None and not limiter.allow(key, app.config.get("RATE_LIMIT")):
            refused = "EAPI:Rate limit exceeded"
        counters = app.config.get("KRAKEN_COUNTERS")  # Kraken's documented counters (issue 21)
        if refused is None and counters is not None:
            refused = counters.before(key, method, params, partial(pair_of, ctx))
        if refused is not None:
            refusals[refused] += 1
            log.bind(method=method, error=refused).info("sim refused {}: {}", method, refused)
            return _envelope([refused])
        answer = _serve(app, method, PRIVATE.get(method) or socket_methods.get(method), ctx, params)
        if counters is not None and isinstance(answer, Response) and answer.is_json:
            counters.after(method, answer.get_json(silent=True))
        return answer

    add_public_socket(app, ctx)  # WebSocket v2 on this same port (issue 21)
    app.extensions["zyn_sim_limiter"] = limiter
    app.extensions["zyn_sim_refusals"] = refusals
    app.extensions["zyn_sim_public_calls"] = public_calls
    return app


def _context(exchange: PaperLike, clock: Clock, candles: CandleBook | None) -> SimContext:
    """The shared state, with conditional closes hooked to the paper exchange's fills."""
    ctx = SimContext(exchange=exchange, clock=clock, candles=candles or CandleBook())
    ctx.closes = ConditionalCloses(exchange, ctx.userrefs)
    add_fill_listener = getattr(exchange, "add_fill_listener", None)
    if add_fill_listener is not None:
        add_fill_listener(ctx.lag.on_fill)  # before the closes: the fill is late, the close is not
        add_fill_listener(ctx.closes.on_fill)
    return ctx


def _authenticate(
    keys: dict[str, str], key: str, path: str, params: dict[str, str], body: str, nonces: NonceBook
) -> str | None:
    """Kraken's order of checks: key, signature, nonce. Returns the refusal or None."""
    secret = keys.get(key)
    if not key or secret is None:
        return "EAPI:Invalid key"
    nonce = params.get("nonce", "")
    if not signature_ok(secret, path, nonce, body, request.headers.get("API-Sign", "")):
        return "EAPI:Invalid signature"
    if not nonces.accept(key, nonce):
        return "EAPI:Invalid nonce"
    return None


def _serve(app: Flask, method: str, handler: Any, ctx: SimContext, params: dict[str, str]) -> Any:
    if handler is None:
        return _envelope(["EGeneral:Unknown method"])
    fault = _take_fault(app, method, params)
    if fault is not None and fault.kind == "delay":
        time.sleep(fault.delay_s)
        fault = None
    if fault is not None and fault.kind == "fake_cancel":
        return _envelope([], {"count": 1, "pending": False})
    if fault is not None and fault.kind == "fake_accept":
        return _fake_accept(app, method, ctx, params)
    if fault is not None and fault.kind == "partial":
        if method == "AddOrder":
            handler = partial(handler, fill_fraction=fault.fraction)
        fault = None
    if fault is not None and not fault.runs_first():
        return _fault_response(fault)
    try:
        result = _with_staked(app, method, handler(ctx, params))
        result = _hidden(app, method, result, fault)
        answer = _envelope([], result)
    except KrakenError as exc:
        answer = _envelope([exc.code])
    except ZynError as exc:
        answer = _envelope([kraken_error(exc).code])
    if fault is not None and fault.kind != "invisible":
        return _fault_response(fault)
    return answer


def _fake_accept(app: Flask, method: str, ctx: SimContext, params: dict[str, str]) -> Response:
    """AddOrder "accepted" with a txid the sim never placed (Kraken answered, nothing happened)."""
    if method != "AddOrder":
        return _envelope(["EService:Unavailable"])
    fakes: int = app.config.get("FAKE_ACCEPTS", 0) + 1
    app.config["FAKE_ACCEPTS"] = fakes
    try:
        market = ctx.market(ctx.pair(params.get("pair", "")))
        price = Decimal(params["price"]) if params.get("price") else None
        text = descr_order(params.get("type", "buy"), Decimal(params.get("volume", "0")), market,
                           params.get("ordertype", "market"), price)
    except (KrakenError, ArithmeticError, ValueError):
        text = "order accepted"
    return _envelope([], {"descr": {"order": text}, "txid": [FAKE_TXID.format(fakes)]})


def _hidden(app: Flask, method: str, result: Any, fault: Fault | None) -> Any:
    """Remember the txids a hiding fault placed; leave hidden orders out of the order reads."""
    hidden: dict[str, float] = app.config.setdefault("HIDDEN", {})
    now = time.monotonic()
    if method == "AddOrder" and fault is not None and fault.hide_s > 0 and isinstance(result, dict):
        for txid in result.get("txid") or []:
            hidden[txid] = now + fault.hide_s
    if method not in ORDER_READS or not isinstance(result, dict):
        return result
    gone = {txid for txid, until in hidden.items() if until > now}
    if not gone:
        return result
    if method == "QueryOrders":
        return {k: v for k, v in result.items() if k not in gone}
    key = "open" if method == "OpenOrders" else "closed"
    kept = {k: v for k, v in (result.get(key) or {}).items() if k not in gone}
    out = {**result, key: kept}
    if "count" in out:
        out["count"] = len(kept) + (out["count"] - len(result.get(key) or {}))
    return out


def _with_staked(app: Flask, method: str, result: Any) -> Any:
    """Balance/BalanceEx also list the staking balances (`DOT.S`, `ETH2.S`...) as Kraken does."""
    staked: dict[str, str] = app.config.get("STAKED") or {}
    if not staked or method not in ("Balance", "BalanceEx") or not isinstance(result, dict):
        return result
    extra: dict[str, Any] = {
        code: amount if method == "Balance" else {"balance": amount, "hold_trade": "0.0000000000"}
        for code, amount in staked.items()
    }
    return {**result, **extra}


def _take_fault(app: Flask, method: str, params: dict[str, str]) -> Fault | None:
    faults: list[Fault] = app.config.get("FAULTS") or []
    for fault in faults:
        wanted = all(params.get(k) == v for k, v in fault.params.items())
        if fault.times > 0 and wanted and fnmatch.fnmatchcase(method, fault.method):
            fault.times -= 1
            return fault
    bad_day: FaultSchedule | None = app.config.get("BAD_DAY")
    if bad_day is None or not request.path.startswith("/0/private/"):
        return None
    dealt, cut = bad_day.fault_for(method, params)  # the seeded schedule (adapters/sim_exchange/bad_day.py)
    if cut is not None:
        app.config.setdefault("WS_FAULTS", []).append(cut)
    return dealt


def _fault_response(fault: Fault) -> Any:
    if fault.kind == "hang":
        log.bind(method=fault.method).info("sim holds a request (hang fault)")
        fault.hold()
    if fault.kind in ("drop", "hang"):
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return Response("", status=200)
        return Response("<html><body>504 Gateway Time-out</body></html>", status=504, mimetype="text/html")
    if fault.kind == "http":
        page = f"<html><body>{fault.status} error</body></html>"
        return Response(page, status=fault.status, mimetype="text/html")
    if fault.kind == "empty":
        return Response("", status=200, mimetype="application/json")
    if fault.kind == "html200":
        page = "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>checking</body></html>"
        return Response(page, status=200, mimetype="text/html")
    return _envelope([fault.error])


def _envelope(errors: list[str], result: Any = None) -> Response:
    payload: dict[str, Any] = {"error": errors}
    if not errors:
        payload["result"] = result
    return jsonify(payload)
