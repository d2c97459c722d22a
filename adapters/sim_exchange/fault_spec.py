"""`zyn sim-exchange --fault SPEC`: the same faults the tests inject, from the command line.

SPEC is `METHOD=KIND` plus optional `,key=value` parts, e.g.
`AddOrder=drop`, `BalanceEx=error,times=2,error=EAPI:Invalid nonce`, `*=http,status=502,times=5`,
`QueryOrders=delay,delay=3`, `CancelOrder=fake_cancel`, `AddOrder=error,after` (executed, then
the error: the answer is lost), `AddOrder=hang,after,delay=30` (executed, the answer held 30 s
then dropped), `AddOrder=partial,fraction=0.4` (40 % fills now, the rest stays open),
`AddOrder=empty,hide=5` (executed, an empty 200 answer, the order unseen by reads for 5 s),
`AddOrder=html200`, `AddOrder=fake_accept,ordertype=stop-loss` (a stop "accepted", never
placed), `AddOrder=invisible,hide=5`.
See `adapters.sim_exchange.server.Fault` for the kinds.
Why a flag: an outside probe (or a person) can reproduce a fault against a real client without
writing Python; a wrong spec is a user mistake (one line, exit 2).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any, cast, get_args

from adapters.sim_exchange.server import Fault, FaultKind
from core.domain import UserError

KINDS = get_args(FaultKind)


def parse_fault(spec: str) -> Fault:
    head, *parts = [p.strip() for p in spec.split(",")]
    method, sep, kind = head.partition("=")
    if not sep or not method or kind not in KINDS:
        raise UserError(f"--fault {spec!r}: expected METHOD=KIND with KIND one of {', '.join(KINDS)}")
    kwargs: dict[str, Any] = {}
    for part in parts:
        key, _, value = part.partition("=")
        try:
            if key == "after" and not value:
                kwargs["after"] = True
            elif key in ("times", "status"):
                kwargs[key] = int(value)
            elif key == "delay":
                kwargs["delay_s"] = float(value)
            elif key == "ordertype" and value:
                kwargs["params"] = {"ordertype": value}
            elif key == "hide":
                kwargs["hide_s"] = float(value)
            elif key == "error" and value:
                kwargs["error"] = value
            elif key == "fraction":
                kwargs["fraction"] = _fraction(value)
            else:
                raise ValueError(key)
        except ValueError:
            raise UserError(f"--fault {spec!r}: bad part {part!r} (times=N, status=N, delay=S, error=TEXT, "
                            "fraction=F, hide=S, ordertype=T, after)") from None
    if kwargs.get("times", 1) < 1 or kwargs.get("delay_s", 0.0) < 0 or kwargs.get("hide_s", 0.0) < 0:
        raise UserError(f"--fault {spec!r}: times must be at least 1 and delay not negative")
    return Fault(method, cast(FaultKind, kind), **kwargs)


def _fraction(value: str) -> Decimal:
    try:
        share = Decimal(value)
    except InvalidOperation:
        raise ValueError(value) from None
    if not share.is_finite() or not 0 < share < 1:
        raise ValueError(value)
    return share


def parse_staked(items: list[str]) -> dict[str, str]:
    """`--staked DOT.S=12.5` -> {"DOT.S": "12.5"}: balances shown under Kraken's staking names."""
    out: dict[str, str] = {}
    for item in items:
        code, sep, amount = item.partition("=")
        try:
            value = Decimal(amount)
        except InvalidOperation:
            value = Decimal(-1)
        if not sep or not code.strip() or not value.is_finite() or value < 0:
            raise UserError(f"--staked {item!r}: expected CODE=AMOUNT, e.g. DOT.S=12.5")
        out[code.strip()] = str(value)
    return out
