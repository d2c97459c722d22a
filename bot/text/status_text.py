"""Plain text for the CLI (`zyn status`, `zyn learn`): money to cents, amounts without float
noise, no Python reprs (`paused=None`, `[]`, `{}`) — the same rules as the chat replies."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from core.domain import UserError
from core.markets.catalog import market_for
from core.text import amount_text as fmt_amount
from core.text import money_with_currency as fmt_money
from core.text import price_places_text as fmt_price


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


QUOTES = ("USD", "EUR", "USDT", "USDC")


def snapshot_currency(s: Mapping[str, Any]) -> str:
    """What the snapshot's equity and P&L are counted in, from the snapshot alone (this terminal
    client has no settings): a paper account is funded in one quote currency (PAPER_BALANCE, issue
    17 point 9), so its one quote balance names it; an exchange account is valued in USD."""
    held = [k for k in _map(s.get("balances")) if k in QUOTES]
    return held[0] if s.get("mode") == "paper" and len(held) == 1 else "USD"


def format_snapshot(s: Mapping[str, Any]) -> str:
    """The status snapshot as lines a person reads."""
    pnl, trades, auto = _map(s.get("pnl")), _map(s.get("trades")), _map(s.get("autopilot"))
    cur = snapshot_currency(s)
    ks, circuit = _map(s.get("kill_switch")), _map(s.get("circuit"))
    balances = _map(s.get("balances"))
    shown = ", ".join(
        f"{k} {fmt_money(v, '') if k in QUOTES else fmt_amount(v)}"
        for k, v in balances.items()
    )
    lines = [
        f"mode {s.get('mode', '?')}  source {s.get('source') or '-'}  as of {s.get('as_of') or '-'}",
        f"equity {fmt_money(s.get('equity_usd'), cur)}",
        "balances: " + (shown or "none"),
    ]
    for p in s.get("positions") or []:
        dp = _decimals(str(p.get("pair") or ""))
        quote = str(p.get("pair") or "").partition("/")[2] or "USD"  # a position's P&L is in its pair's quote
        lines.append(
            f"position {p.get('pair')}{_whose(p)} {fmt_amount(p.get('amount'))} @ {fmt_price(p.get('entry_price'), dp)}"
            f"  stop {fmt_price(p.get('stop_price'), dp)}  target {fmt_price(p.get('take_profit_price'), dp)}"
            f"  unrealized {fmt_money(p.get('unrealized_pnl'), quote, signed=True)}"
        )
    lines.append(f"open orders: {len(s.get('open_orders') or [])}")
    lines.append(
        "P&L today {}  week {}  all time {}".format(
            *(fmt_money(pnl.get(k), cur, signed=True) for k in ("today", "week", "all_time"))
        )
    )
    count = int(trades.get("count") or 0)
    rate = trades.get("win_rate")
    win = f"{float(rate) * 100:.0f} %" if count and rate is not None else "n/a"
    won, lost = trades.get("wins") or 0, trades.get("losses") or 0
    lines.append(f"closed trades {count} (won {won}, lost {lost}; win rate {win})")
    state = "running" if auto.get("running") else "stopped"
    if auto.get("paused_reason"):
        state = f"paused ({auto['paused_reason']})"
    lines.append(f"autopilot {state}")
    lines.append(f"kill-switch {'TRIPPED' if ks.get('tripped') else 'ok'}  exchange link {link_words(circuit)}")
    from bot.text.evidence import evidence_rows  # lazy: keeps numpy, sqlalchemy, sqlmodel out of this import

    lines += [f"evidence {pair}: {line}" for pair, line in evidence_rows(s)]  # issue 17: live/shadow per pair
    return "\n".join(lines)


# The circuit breaker's states in the owner's words ("closed" means healthy to an engineer only).
LINK_WORDS = {"closed": "ok", "open": "down (circuit breaker open; new entries paused)", "half_open": "probing"}


def link_words(circuit: Mapping[str, object]) -> str:
    state = str(circuit.get("state") or "-")
    return LINK_WORDS.get(state, state)


def plain_value(value: object) -> str:
    """A learner/report value for people: lists joined, mappings as `k v`, None/empty as 'none'."""
    if value is None or value in ([], {}, (), ""):
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return significant(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {plain_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(plain_value(v) for v in value)
    return str(value)


def significant(value: float, digits: int = 4) -> str:
    """About `digits` significant digits and never exponent notation (issue 22.9): 12345.678 ->
    '12,346', 0.20712 -> '0.2071', 0.0000123 -> '0.0000123' (not '1.23e-05')."""
    if value == 0 or not math.isfinite(value):
        return "0" if value == 0 else str(value)
    places = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{min(places, 12)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _decimals(pair: str) -> int | None:
    """The pair's price decimals from the market catalog (this text has only the status JSON), as
    the alerts use when the exchange's own rules are not at hand; None for a malformed pair."""
    try:
        return market_for(pair).pair_decimals
    except UserError:
        return None


def _whose(p: Mapping[str, Any]) -> str:
    """" #3 manual": which of a pair's positions (a manual one beside the autopilot's)."""
    return f" #{p.get('trade_id')} {p.get('origin') or ''}".rstrip() if p.get("trade_id") is not None else ""
