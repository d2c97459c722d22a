"""`zyn chat`, `zyn shell`, `zyn status`, `zyn learn`: local access acts as the owner."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.app import build_zyn_from_env


def cmd_chat(args: argparse.Namespace) -> int:
    from bot.envelope import Envelope

    zyn = build_zyn_from_env(background=False)
    try:
        from bot.shell import chat_exit_code

        reply = zyn.dispatcher.handle(Envelope("cli", args.user or "owner", args.message))
        print(render_plain(reply))
        return int(chat_exit_code(reply))
    finally:
        zyn.close()


def cmd_shell(args: argparse.Namespace) -> int:
    from bot.shell import run_shell

    zyn = build_zyn_from_env(background=False)
    try:
        run_shell(zyn.dispatcher, render=render_plain, stdin=sys.stdin, stdout=sys.stdout)
        return 0
    finally:
        zyn.close()


def cmd_status(args: argparse.Namespace) -> int:
    from bot.cli import print_json

    zyn = build_zyn_from_env(background=False)
    try:
        snap = zyn.status.snapshot()
        if args.json:
            print_json(snap)
        else:
            print(format_snapshot(snap))
        return 0
    finally:
        zyn.close()


def cmd_learn(args: argparse.Namespace) -> int:
    from bot.cli import print_json

    zyn = build_zyn_from_env(background=False)
    try:
        changes = zyn.relearn()
        if args.json:
            print_json(changes)
        else:
            print(changes.get("text") or "\n".join(f"{k}: {v}" for k, v in changes.items()))
        return 0
    finally:
        zyn.close()


def render_plain(reply: Any) -> str:
    from bot.envelope import render_plain as render

    return str(render(reply))


def format_snapshot(s: dict[str, Any]) -> str:
    lines = [f"mode {s['mode']}  source {s['source']}  as of {s['as_of']}",
             f"equity {s['equity_usd']:,.2f} USD",
             "balances: " + (", ".join(f"{k} {v:g}" for k, v in s["balances"].items()) or "none")]
    for p in s["positions"]:
        lines.append(f"position {p['pair']} {p['amount']:g} @ {p['entry_price']} stop {p['stop_price']} "
                     f"target {p['take_profit_price']} uPnL {p['unrealized_pnl']}")
    lines.append(f"open orders: {len(s['open_orders'])}")
    pnl = s["pnl"]
    lines.append(f"P&L today {pnl['today']:,.2f}  week {pnl['week']:,.2f}  all {pnl['all_time']:,.2f}")
    t = s["trades"]
    lines.append(f"trades {t['count']} (wins {t['wins']}, losses {t['losses']})")
    lines.append(f"autopilot running={s['autopilot']['running']} paused={s['autopilot']['paused_reason']}")
    lines.append(f"kill-switch tripped={s['kill_switch']['tripped']}  circuit {s['circuit']['state']}")
    return "\n".join(lines)
