"""A seeded schedule of the exchange's bad days (issue 19, "Also build"): `zyn sim-exchange
--bad-day SEED [--bad-day-rate R]`, or `app.config["BAD_DAY"] = BadDay(seed)` from a test.

Why a schedule and not a list of faults: a property test (and an outside probe) needs faults that
fall anywhere in a long, random sequence of calls, yet a failure it finds must replay exactly.
So every private request draws its fate from one `random.Random(seed)`, consuming the same
number of draws whatever it gets: the faults depend only on the seed and the order of the
requests, never on the clock. `paused` lets a test stop the weather (its checks must not be
judged through a fault) without consuming draws, so the schedule after a pause is unchanged.

The kinds are what a real Kraken does on a bad day (see `server.Fault` for how each is served):
`answer_lost` (AddOrder executed, connection dropped), `empty200` / `html200` (executed, then an
HTTP 200 with an empty body / a Cloudflare-like page), `late_fill` (answered, but the order stays
out of every read for `hide_s`), `fake_accept` (a txid the exchange never placed), `rate_limit`
(`EAPI:Rate limit exceeded`, nothing done: any private method), `partial` (an order filling on
arrival fills only `fraction`; the rest rests), `socket_drop` (the call is served, and the next
WebSocket message on either socket finds the connection cut).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, get_args

from adapters.sim_exchange.server import Fault
from adapters.sim_exchange.ws_faults import SocketFault
from core.domain import UserError

BadDayKind = Literal[
    "answer_lost", "empty200", "html200", "late_fill", "fake_accept", "rate_limit", "partial", "socket_drop"
]
KINDS: tuple[BadDayKind, ...] = get_args(BadDayKind)
ORDER_KINDS = frozenset({"answer_lost", "empty200", "html200", "late_fill", "fake_accept", "partial"})
RATE_LIMIT = "EAPI:Rate limit exceeded"


@dataclass(frozen=True)
class Struck:
    """One fault the schedule dealt: the request's number (1 = the first private request), what."""

    n: int
    method: str
    kind: BadDayKind
    hide_s: float
    detail: str  # the order's type/side for AddOrder, else ""
    ref: str = ""  # the order's client reference (cl_ord_id, else userref), else ""

    def __str__(self) -> str:
        hidden = f", unseen {self.hide_s:g} s" if self.hide_s else ""
        return f"#{self.n} {self.method}{' ' + self.detail if self.detail else ''}: {self.kind}{hidden}"


@dataclass
class BadDay:
    """`rate`: the share of private requests that get a fault; `order_rate`: the share of AddOrders
    (default `rate`; orders are few beside the reads, and most kinds concern them); `hide_s`: how
    long an executed order may stay out of the reads; `kinds`: which faults may be dealt (all)."""

    seed: int
    rate: float = 0.25
    order_rate: float | None = None
    hide_s: float = 1.0
    kinds: tuple[BadDayKind, ...] = KINDS
    fraction: Decimal = Decimal("0.5")
    paused: bool = False
    struck: list[Struck] = field(default_factory=list)
    requests: int = 0
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        for name, share in (("--bad-day-rate", self.rate), ("--bad-day-order-rate", self.order_rate)):
            if share is not None and not 0 <= share <= 1:
                raise UserError(f"{name} {share}: expected a share between 0 and 1")
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown or not self.kinds:
            raise UserError(f"bad-day kinds {unknown or '(none)'}: expected some of {', '.join(KINDS)}")
        self._rng = random.Random(self.seed)  # noqa: S311 - a replayable schedule, not a secret

    def fault_for(self, method: str, params: dict[str, str]) -> tuple[Fault | None, SocketFault | None]:
        """The fate of one private request: a REST fault, a socket cut to arm, or neither."""
        with self._lock:
            if self.paused:
                return None, None
            self.requests += 1
            strike, pick, hide = self._rng.random(), self._rng.random(), self._rng.random()
            rate = self.order_rate if method == "AddOrder" and self.order_rate is not None else self.rate
            if strike >= rate:
                return None, None
            kinds = [k for k in self.kinds if method == "AddOrder" or k not in ORDER_KINDS]
            if not kinds:
                return None, None
            kind = kinds[int(pick * len(kinds))]
            hide_s = self.hide_s if kind == "late_fill" or (kind in ("answer_lost", "empty200", "html200")
                                                            and hide < 0.5) else 0.0
            detail = f"{params.get('ordertype', '')} {params.get('type', '')}".strip() if method == "AddOrder" else ""
            ref = params.get("cl_ord_id") or params.get("userref") or ""
            self.struck.append(Struck(self.requests, method, kind, hide_s, detail, ref))
        if kind == "socket_drop":
            return None, SocketFault("drop")
        return self._fault(method, kind, hide_s), None

    def _fault(self, method: str, kind: BadDayKind, hide_s: float) -> Fault:
        if kind == "rate_limit":
            return Fault(method, "error", error=RATE_LIMIT)
        served = {"answer_lost": "drop", "empty200": "empty", "html200": "html200", "late_fill": "invisible",
                  "fake_accept": "fake_accept", "partial": "partial"}[kind]
        return Fault(method, served, hide_s=hide_s, fraction=self.fraction)  # type: ignore[arg-type]

    def schedule(self) -> str:
        """What was dealt so far, one fault a line (printed with a failing seed)."""
        orders = f", AddOrder {self.order_rate:g}" if self.order_rate is not None else ""
        head = (f"bad day seed {self.seed} (rate {self.rate:g}{orders}): {len(self.struck)} fault(s) "
                f"in {self.requests} request(s)")
        return "\n".join([head, *(f"  {s}" for s in self.struck)])


def parse_kinds(text: str) -> tuple[BadDayKind, ...]:
    """`--bad-day-kinds rate_limit,partial` -> the kinds, else one line naming the bad one."""
    names = tuple(k.strip() for k in text.split(",") if k.strip())
    bad = [k for k in names if k not in KINDS]
    if bad or not names:
        raise UserError(f"--bad-day-kinds {text!r}: expected a comma list of {', '.join(KINDS)}")
    return names  # type: ignore[return-value]
