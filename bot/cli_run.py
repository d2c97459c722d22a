"""`zyn run` (web + scheduler + channels in one process) and `zyn sim-exchange`."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from decimal import Decimal, InvalidOperation
from typing import Any

from loguru import logger

from core.domain import UserError


def cmd_run(args: argparse.Namespace) -> int:
    import waitress

    from adapters.web.app import create_web_app
    from bot.app import build_zyn, load_env_settings

    if not 0 < args.port < 65536:
        raise UserError(f"--port {args.port} is not a TCP port")
    from adapters.channels.web_chat import check_bind

    settings = load_env_settings()
    check_bind(args.host, settings)  # before anything starts: the chat can move money
    zyn = build_zyn(settings, host=args.host)
    app = create_web_app(zyn)
    logger.bind(host=args.host, port=args.port, mode=zyn.settings.mode, **zyn.describe()).info("zyn starting")
    server = waitress.create_server(app, host=args.host, port=args.port, threads=8, ident="zyn")
    for sig in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: it is ignored in background jobs
        signal.signal(sig, lambda *_: server.close())
    # Reconciliation can take a while against a slow exchange: the page and /healthz already
    # answer meanwhile (status says "reconciling"); the scheduler starts when it is done.
    starter = threading.Thread(target=_start, args=(zyn,), name="zyn-start", daemon=True)
    starter.start()
    print(f"Zyn ({zyn.settings.mode} mode) on http://{args.host}:{args.port} — Ctrl-C to stop", flush=True)
    try:
        server.run()
    except (KeyboardInterrupt, OSError):
        pass
    finally:
        starter.join(120)
        zyn.close()
    return 0


def _start(zyn: Any) -> None:
    try:
        zyn.start()
    except Exception:  # /healthz shows the scheduler not running; the log has why
        logger.bind(step="start").exception("zyn could not start its jobs")


def parse_balances(items: list[str]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for item in items or ["USD=10000"]:
        asset, sep, amount = item.partition("=")
        try:
            value = Decimal(amount)
        except InvalidOperation:
            raise UserError(f"--balance {item!r}: expected ASSET=AMOUNT, e.g. USD=10000") from None
        if not sep or not asset.strip() or not value.is_finite() or value < 0:
            raise UserError(f"--balance {item!r}: expected ASSET=AMOUNT with a non-negative amount")
        out[asset.strip().upper()] = value
    return out


def cmd_sim_exchange(args: argparse.Namespace) -> int:
    from adapters.sim_exchange.runner import run_sim_exchange
    from bot.app import load_env_settings

    if bool(args.api_key) != bool(args.api_secret):
        raise UserError("give both --api-key and --api-secret, or neither (a pair is generated)")
    settings = load_env_settings()
    kwargs: dict[str, Any] = {
        "host": args.host, "port": args.port, "data_path": args.data, "api_key": args.api_key,
        "api_secret": args.api_secret, "balances": parse_balances(args.balance), "speed": settings.paper_speed,
    }
    from adapters.sim_exchange.fault_spec import parse_fault, parse_staked

    kwargs["faults"] = [parse_fault(spec) for spec in args.fault]
    kwargs["staked"] = parse_staked(args.staked)
    db_url = os.environ.get("ZYN_SIM_DATABASE_URL")
    if db_url:
        kwargs["db_url"] = db_url
    run_sim_exchange(**kwargs)
    return 0
