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
            from bot.status_text import plain_value

            print(changes.get("text") or "\n".join(f"{k}: {plain_value(v)}" for k, v in changes.items()))
        return 0
    finally:
        zyn.close()


def render_plain(reply: Any) -> str:
    from bot.envelope import render_plain as render

    return str(render(reply))


def format_snapshot(s: dict[str, Any]) -> str:
    from bot.status_text import format_snapshot as as_text

    return as_text(s)
