"""Money commands: buy, sell, cancel, flatten (echo + pending confirmation), pause, resume.

Why two halves: the handler only *previews* and stores a pending action (nothing reaches the
exchange); `execute_pending` runs it after the owner's `yes`. The stored payload is what was
echoed — including a stop/target the trading service filled in — so `yes` runs exactly that.
`pause` runs at once: stopping new entries is always safe.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal
from typing import Any

from bot.commands.context import (
    CommandContext,
    base_of,
    field,
    fmt_amount,
    fmt_money,
    fmt_num,
    fmt_price,
    price_decimals,
    quote_of,
    to_decimal,
)
from bot.commands.servant import run_force_live
from bot.conversation.confirmations import Pending
from bot.conversation.envelope import Reply, Row
from bot.conversation.parsed import OrderSpec, build_manual_order
from bot.conversation.parser import Command
from bot.conversation.services import OrderPreviewLike
from bot.text.trading import result_text
from core.domain import UserError
from core.trading.commands import CancelOrders, Flatten, FlattenPair, Pause, PlaceManualOrder, Resume
from core.trading.results import TradeResult


def order(ctx: CommandContext, cmd: Command) -> Reply:
    spec = cmd.order
    if spec is None:
        raise UserError(f"usage: {cmd.name} AMOUNT PAIR [at PRICE] [sl PRICE] [tp PRICE]")
    spec = _from_quote_amount(ctx, spec)
    preview = ctx.services.trading.preview_order(build_manual_order(spec))
    final = replace(
        spec,
        amount=to_decimal(preview.amount) or spec.amount,
        stop=spec.stop or to_decimal(preview.stop),
        target=spec.target or to_decimal(preview.target),
    )
    pair = preview.pair or spec.pair
    dp = price_decimals(ctx, pair)
    price = f"limit {fmt_price(spec.price, dp)}" if spec.price else f"market, about {fmt_price(preview.price_est, dp)}"
    cost_label = "Est. cost" if spec.side == "buy" else "Est. proceeds"
    rows: list[Row] = [
        ("Side", spec.side),
        ("Size", f"{fmt_amount(final.amount)} {base_of(pair)}"),
        ("Pair", pair),
        ("Price", price),
        ("Stop", fmt_price(final.stop, dp) if final.stop else "none"),
        ("Target", fmt_price(final.target, dp) if final.target else "none"),
        (cost_label, fmt_money(preview.est_cost, quote_of(pair))),
    ]
    summary = f"{spec.side} {fmt_num(final.amount)} {pair} ({price})"
    line = _preview_line(spec.side, final, pair, preview, dp)
    ctx.confirmations.put(ctx.env, spec.side, summary, _spec_payload(final))
    return _confirm_reply(ctx, f"Confirm {spec.side}", line, rows)


def _preview_line(side: str, final: OrderSpec, pair: str, preview: OrderPreviewLike, dp: int | None) -> str:
    """The trading service's preview in words, its numbers as every reply shows them (amount
    without padding zeros, prices at the pair's decimals with separators, money in cents)."""
    at = f"limit {fmt_price(final.price, dp)}" if final.price else f"market (about {fmt_price(preview.price_est, dp)})"
    money = fmt_money(preview.est_cost, quote_of(pair))
    if side == "buy":
        target = (f", target {fmt_price(final.target, dp)} (watched by Zyn)" if final.target else ", no target")
        return (f"Buy {fmt_amount(final.amount)} {pair} at {at}, est. cost {money} incl. fee; "
                f"stop {fmt_price(final.stop, dp)} (held on the exchange){target}")
    note = "; cancels its stop" if preview.closes_positions else ""
    return f"Sell {fmt_amount(final.amount)} {pair} at {at}, est. proceeds {money}{note}"


def _from_quote_amount(ctx: CommandContext, spec: OrderSpec) -> OrderSpec:
    """"buy $100 of BTC": the amount is the quote spent at the current price, rounded down to
    the pair's lot; the echo then shows the usual size, stop, target and cost for `yes`."""
    if spec.quote_amount is None:
        return spec
    market = ctx.services.market
    if market is None:
        raise UserError("orders in USD need a price feed; give the amount in coins, e.g. buy 0.01 BTC")
    price = market.price(spec.pair)
    if price <= 0:
        raise UserError(f"no price for {spec.pair} right now")
    quantum = Decimal(1).scaleb(-market.lot_decimals(spec.pair))
    amount = (spec.quote_amount / price).quantize(quantum, rounding=ROUND_DOWN)
    if amount <= 0:
        raise UserError(
            f"{fmt_money(spec.quote_amount, quote_of(spec.pair))} buys less than one lot of {spec.pair} "
            f"at {fmt_price(price, market.price_decimals(spec.pair))}"
        )
    return replace(spec, amount=amount, quote_amount=None)


def cancel(ctx: CommandContext, cmd: Command) -> Reply:
    target = cmd.args[0] if cmd.args else ""
    open_orders = ctx.services.status.open_orders()
    if target == "all":
        if not open_orders:
            return Reply(text="No open orders to cancel.")
        # echo what will really happen: the stops of open positions stay (flatten closes those)
        stops = [o for o in open_orders if o.get("type") == "stop-loss" and o.get("side") == "sell"]
        going = [o for o in open_orders if o not in stops]
        kept = f"; the {_count(len(stops), 'stop')} of open positions stay (flatten closes positions)" if stops else ""
        if not going:
            return Reply(text=f"Nothing to cancel: the only open orders are the {_count(len(stops), 'stop')} of "
                              "open positions, which stay (flatten closes positions).")
        rows: list[Row] = [_order_row(o) for o in going]
        summary = f"cancel {_count(len(going), 'open order')}{kept}"
        ctx.confirmations.put(ctx.env, "cancel", summary, {"order_id": None})
        return _confirm_reply(ctx, "Confirm cancel", summary + ".", rows)
    match = [o for o in open_orders if str(o.get("id")) == target]
    if not match:
        raise UserError(f"there is no open order {target}; send orders to see them")
    summary = f"cancel order {target}"
    ctx.confirmations.put(ctx.env, "cancel", summary, {"order_id": target})
    return _confirm_reply(ctx, "Confirm cancel", summary + ".", [_order_row(match[0])])


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def flatten(ctx: CommandContext, cmd: Command) -> Reply:
    status = ctx.services.status
    held, open_orders = status.positions(), status.open_orders()
    if cmd.args:
        return _flatten_pair(ctx, cmd.args[0], [p for p in held if p.get("pair") == cmd.args[0]])
    if not held and not open_orders:
        return Reply(text="Nothing to flatten: no open positions and no open orders.")
    rows: list[Row] = [_sell_row(p) for p in held]
    if open_orders:
        rows.append(("Open orders", f"cancel {len(open_orders)}"))
    summary = f"flatten: sell {len(held)} position(s) at market and cancel {len(open_orders)} order(s)"
    ctx.confirmations.put(ctx.env, "flatten", summary, {})
    return _confirm_reply(ctx, "Confirm flatten", summary + ".", rows)


def pause(ctx: CommandContext, cmd: Command) -> Reply:
    result = ctx.services.trading.handle(Pause(f"paused by the owner on {ctx.env.channel}"))
    text = result_text(result) if result.ok else result.detail
    return Reply(text=f"{text} Send resume to start again.", title="Paused")


def resume(ctx: CommandContext, cmd: Command) -> Reply:
    snap = ctx.services.status.snapshot()
    auto = snap.get("autopilot") or {}
    tripped = bool((snap.get("kill_switch") or {}).get("tripped"))
    if auto.get("running") and not auto.get("paused_reason") and not tripped:
        return Reply(text="The autopilot is already running; nothing to resume.")
    rows: list[Row] = [("Paused because", str(auto.get("paused_reason") or "-"))]
    summary = "resume the autopilot"
    if tripped:
        rows.append(("Kill-switch", "tripped today — resuming allows new entries again"))
        summary += " (overriding today's kill-switch)"
    ctx.confirmations.put(ctx.env, "resume", summary, {})
    return _confirm_reply(ctx, "Confirm resume", summary + ".", rows)


def execute_pending(ctx: CommandContext, pending: Pending) -> Reply:
    """Run a confirmed action. Only the dispatcher calls this, after claiming the pending row."""
    runner = _RUNNERS.get(pending.action)
    if runner is None:
        raise UserError(f"cannot run a pending {pending.action!r}")
    result = runner(ctx, pending.payload)
    if isinstance(result, tuple):
        ok, text = result
    else:
        ok, text = result.ok, result_text(result, price_decimals(ctx, result.pair))
    return Reply(text=text, kind="text" if ok else "error", title="Done" if ok else "Not done")


def _run_order(ctx: CommandContext, payload: dict[str, Any]) -> TradeResult:
    """Place it, named for who placed it where: core keeps `placed_by` on the position (so `why`
    explains a manual trade as manual); nothing more is written here."""
    placed_by = f"{ctx.user_name or 'the owner'} on {ctx.env.channel}"
    order = replace(build_manual_order(_spec_from_payload(payload)), placed_by=placed_by)
    return ctx.services.trading.handle(PlaceManualOrder(order))


def _run_cancel(ctx: CommandContext, payload: dict[str, Any]) -> TradeResult:
    order_id = payload.get("order_id")
    return ctx.services.trading.handle(CancelOrders(str(order_id) if order_id else None))


def _flatten_pair(ctx: CommandContext, pair: str, held: list[Mapping[str, Any]]) -> Reply:
    """`flatten BTC/USD`: every position in the pair, manual and autopilot alike, and the echo
    says so (a manual position beside the autopilot's is its own position with its own stop)."""
    mine = [p for p in held if p.get("trade_id") is not None]
    if not mine:
        return Reply(text=f"Nothing to flatten in {pair}: no open {pair} position.")
    names = ", ".join(_position_name(p) for p in mine)
    closes = "its only position" if len(mine) == 1 else f"all {len(mine)} positions"
    summary = f"flatten {pair}: closes {closes} ({names}) at market, each after canceling its own stop"
    ctx.confirmations.put(ctx.env, "flatten", summary, {"pair": pair})
    return _confirm_reply(ctx, f"Confirm flatten {pair}", summary + ".", [_sell_row(p) for p in mine])


def _position_name(p: Mapping[str, Any]) -> str:
    origin = str(p.get("origin") or "")
    return f"#{p.get('trade_id')} {origin}".strip() if p.get("trade_id") is not None else "coins outside a position"


def _sell_row(p: Mapping[str, Any]) -> Row:
    value = _mul(p.get("amount"), p.get("mark_price"))
    label = field(p, "pair") + (f" {_position_name(p)}" if p.get("trade_id") is not None else "")
    return (
        label,
        f"sell {fmt_amount(p.get('amount'))} at about {fmt_price(p.get('mark_price'))} "
        f"≈ {fmt_money(value, quote_of(str(p.get('pair') or '')))}",
    )


def _run_flatten(ctx: CommandContext, payload: dict[str, Any]) -> TradeResult:
    reason = f"flatten confirmed by the owner on {ctx.env.channel}"
    pair = payload.get("pair")
    if isinstance(pair, str) and pair:
        return ctx.services.trading.handle(FlattenPair(pair, reason))
    return ctx.services.trading.handle(Flatten(reason))


def _run_resume(ctx: CommandContext, payload: dict[str, Any]) -> TradeResult:
    return ctx.services.trading.handle(Resume())


def _run_force_live(ctx: CommandContext, payload: dict[str, Any]) -> tuple[bool, str]:
    """`trade BTC anyway`, confirmed: a standing rule (bot/commands/servant.py, issue 17), not a
    trading command: (ok, its words)."""

    return run_force_live(ctx, payload)


_RUNNERS: dict[str, Callable[[CommandContext, dict[str, Any]], TradeResult | tuple[bool, str]]] = {
    "buy": _run_order,
    "sell": _run_order,
    "cancel": _run_cancel,
    "flatten": _run_flatten,
    "resume": _run_resume,
    "force_live": _run_force_live,
}


def _confirm_reply(ctx: CommandContext, title: str, line: str, rows: list[Row]) -> Reply:
    minutes = max(1, ctx.confirmations.window_ms // 60_000)
    text = (
        f"{ctx.user_name}, please confirm: {line}\n"
        f"Reply yes within {minutes} minutes to go ahead, or no to drop it."
    )
    return Reply(text=text, kind="confirm", title=title, rows=rows, buttons=["yes", "no"])


def _order_row(o: Any) -> Row:
    return (
        field(o, "id"),
        " ".join((field(o, "side"), fmt_amount(o.get("amount")), field(o, "pair"), field(o, "type")))
        + f" @ {fmt_price(o.get('price'))}",
    )


def _mul(a: object, b: object) -> Decimal | None:
    x, y = to_decimal(a), to_decimal(b)
    return x * y if x is not None and y is not None else None


def _spec_payload(spec: OrderSpec) -> dict[str, Any]:
    return {
        k: (str(v) if v is not None else None)
        for k, v in (
            ("side", spec.side),
            ("amount", spec.amount),
            ("pair", spec.pair),
            ("price", spec.price),
            ("stop", spec.stop),
            ("target", spec.target),
        )
    }


def _spec_from_payload(payload: dict[str, Any]) -> OrderSpec:
    side = payload.get("side")
    amount = to_decimal(payload.get("amount"))
    if side not in ("buy", "sell") or amount is None or not payload.get("pair"):
        raise UserError("the pending order was unreadable; nothing was placed — send it again")
    return OrderSpec(
        side="buy" if side == "buy" else "sell",
        amount=amount,
        pair=str(payload["pair"]),
        price=to_decimal(payload.get("price")),
        stop=to_decimal(payload.get("stop")),
        target=to_decimal(payload.get("target")),
    )


HANDLERS = {
    "buy": order,
    "sell": order,
    "cancel": cancel,
    "flatten": flatten,
    "pause": pause,
    "resume": resume,
}
