"""`zyn run` (web + scheduler + channels in one process) and `zyn sim-exchange`.

`zyn run` first checks every setting (one line, exit 2, nothing written), then asks for the lease
on the money. With it, this process is the owner: it builds everything, publishes its loopback
endpoint for the other `zyn` commands and trades. Without it (another process owns this
database) it stands by: it serves the web page by forwarding to the owner and takes over — by
restarting itself as a fresh `zyn run` — when the owner is gone.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from loguru import logger

from bot.cli.main import open_run_log
from bot.cli.secret_file import api_secret
from bot.owner.ownership import connect_host, current_owner, ensure_token, publish_endpoint, withdraw_endpoint
from core.clock import RealClock
from core.domain import UserError

if TYPE_CHECKING:
    from adapters.sim_exchange.bad_day import BadDay
    from bot.settings import ZynSettings


def cmd_run(args: argparse.Namespace, settings: ZynSettings) -> int:
    from bot.cli.preflight import preflight  # lazy: keeps pydantic_settings out of this import

    # every check (the web chat's bind rule first: the chat can move money) before anything is
    # created or the heavy modules load: a mistake is one line and leaves no var/, log or database
    preflight(settings, pairs_explicit=settings.pairs_explicit, port=(args.host, args.port))
    from core.telemetry.db import make_engine  # lazy: keeps alembic, sqlalchemy, sqlmodel out of this import
    from core.telemetry.kv import KeyValueStore  # lazy: keeps sqlalchemy, sqlmodel out of this import
    from scheduler.lock import SchedulerLock  # lazy: keeps sqlalchemy, sqlmodel out of this import

    open_run_log()
    db = make_engine(settings.database_url)
    lease = SchedulerLock(db, RealClock(), lease_s=settings.owner_lease_s)
    code = 0
    if lease.acquire():
        restart, code = _run_owner(settings, args, db, lease)
    else:
        restart = _run_standby(settings, args, db, KeyValueStore(db), lease.renew_every_s)
    if restart:
        from bot.owner.standby import restart_process  # lazy: keeps sqlalchemy, sqlmodel out of this import

        restart_process(["run", "--host", args.host, "--port", str(args.port)])
    return code


def _serve(app: Any, host: str, port: int) -> Any:
    import waitress  # lazy: waitress loads only when used

    from adapters.web.fast_health import HealthFastLane  # lazy: keeps waitress out of this import

    # waitress warns "Task queue depth is N" for every request queued behind busy threads: at
    # 200 chat requests/s that was a log line per request written by the socket thread (issue 20.1)
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    # /healthz has its own lane: it answers even while all 8 request threads wait on the database
    server = waitress.create_server(app, host=host, port=port, threads=8, ident="zyn",
                                    _dispatcher=HealthFastLane(threads=8))
    for sig in (signal.SIGTERM, signal.SIGINT):  # SIGINT too: it is ignored in background jobs
        signal.signal(sig, lambda *_: _on_stop_signal(server))
    return server


STOP_GRACE_S = 15.0  # a clean stop waits on the database (withdraw the endpoint, release the lease)
STORAGE_OUTAGE_EXIT = 3  # the supervisor restarts on it (deploy/zyn.service), like the watchdog's


def _on_stop_signal(server: Any) -> None:
    """SIGTERM/SIGINT always stop the process promptly: a clean stop first, and a hard exit if the
    cleanup hangs (a locked or stopped database holds every statement for its busy timeout)."""
    def force() -> None:
        time.sleep(STOP_GRACE_S)
        logger.error("could not stop cleanly within {:.0f} s (storage not answering?); exiting now", STOP_GRACE_S)
        logger.complete()
        os._exit(1)

    threading.Thread(target=force, name="zyn-stop-deadline", daemon=True).start()
    _stop_serving(server)


def _give_up_on_storage(silent_s: float) -> None:
    """Storage has not answered for ZYN_STORAGE_OUTAGE_EXIT_S: exit 3 in one line, right away
    (a clean shutdown would itself wait on the database), so the supervisor starts a fresh Zyn."""
    logger.error("storage has not answered for {:.0f} s (ZYN_STORAGE_OUTAGE_EXIT_S); exiting with code {} "
                 "so the supervisor restarts Zyn", silent_s, STORAGE_OUTAGE_EXIT)
    logger.complete()
    os._exit(STORAGE_OUTAGE_EXIT)


def _stop_serving(server: Any) -> None:
    """Close the server from another thread: first let the request threads finish what they are
    answering (closing under them makes waitress write to a closed socket and print a traceback)."""
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=10)  # queued: answered "closing"
    server.close()


def _run_owner(settings: Any, args: argparse.Namespace, db: Any, lease: Any) -> tuple[bool, int]:
    """Serve and trade until stopped; (restart as a fresh process?, exit code)."""
    from adapters.web.app import create_web_app  # lazy: keeps flask out of this import
    from bot.owner.actions import owner_actions  # lazy: keeps flask out of this import
    from bot.wiring.app import build_zyn  # lazy: keeps alembic, apscheduler, numpy out of this import
    from scheduler.lease_keeper import LeaseKeeper  # lazy: keeps sqlalchemy, sqlmodel out of this import

    lost = threading.Event()
    holder: dict[str, Any] = {}

    def on_lost() -> None:  # another process owns the money now: stop acting at once, start over
        lost.set()
        server = holder.get("server")
        if server is not None:
            _stop_serving(server)

    keeper = LeaseKeeper(lease, on_lost, settings.storage_outage_exit_s, _give_up_on_storage).start()
    try:
        zyn = build_zyn(settings, db=db, lease=lease)
    except BaseException:  # e.g. a malformed candle file: one line from main(), and the lease is free again
        keeper.stop()
        lease.release()
        raise
    try:
        app = create_web_app(zyn, owner=owner_actions(zyn, ensure_token(settings.database_url)))
        server = _serve(app, args.host, args.port)
        holder["server"] = server
        url = f"http://{connect_host(args.host)}:{server.effective_port}"
        publish_endpoint(zyn.kv, lease.holder, url)
        logger.bind(host=args.host, port=args.port, mode=settings.mode, **zyn.describe()).info("zyn starting (owner)")
        # Reconciliation can take a while against a slow exchange: the page and /healthz already
        # answer meanwhile (status says "reconciling"); the scheduler starts when it is done.
        starter = threading.Thread(target=_start, args=(zyn,), name="zyn-start", daemon=True)
        starter.start()
        print(f"Zyn ({settings.mode} mode) on http://{args.host}:{args.port} — Ctrl-C to stop", flush=True)
        if not lost.is_set():
            try:
                server.run()
            except (KeyboardInterrupt, OSError):
                pass
        starter.join(120)
    finally:
        keeper.stop()
        try:
            withdraw_endpoint(zyn.kv, lease.holder)
        except Exception:  # the database may be the reason we stop
            logger.exception("could not withdraw the owner endpoint")
        zyn.close()
    from bot.wiring.modules import watchdog_exit_code  # lazy: keeps sqlalchemy, sqlmodel out of this import

    # non-zero when the watchdog could not heal: the supervisor (deploy/zyn.service) restarts
    return lost.is_set(), watchdog_exit_code(zyn.modules)


def _run_standby(settings: Any, args: argparse.Namespace, db: Any, kv: Any, every_s: float) -> bool:
    from bot.owner.standby import StandbyWatcher  # lazy: keeps sqlalchemy, sqlmodel out of this import

    # lazy: keeps flask, pydantic_settings, slack_bolt out of this import
    from bot.wiring.standby import create_standby_app

    server = _serve(create_standby_app(settings, db, kv), args.host, args.port)
    take_over = threading.Event()

    def on_free() -> None:
        # Start over as a fresh `zyn run` right here: waiting for the serve loop to wind down can
        # hang on a connection that arrived mid-shutdown, and this process must not act anyway.
        take_over.set()
        from bot.owner.standby import restart_process  # lazy: keeps sqlalchemy, sqlmodel out of this import

        logger.info("standby: restarting as the owner")
        restart_process(["run", "--host", args.host, "--port", str(args.port)])

    watcher = StandbyWatcher(db, kv, every_s, on_free).start()
    owner = current_owner(db, kv)
    where = f" at {owner.url}" if owner and owner.url else ""
    logger.bind(owner=owner.holder if owner else None).warning("another process owns trading on this database")
    print(f"Another Zyn process owns trading on this database{where}; this one forwards to it "
          f"(standby) on http://{args.host}:{args.port} and takes over if it stops.", file=sys.stderr, flush=True)
    try:
        server.run()
    except (KeyboardInterrupt, OSError):
        pass
    finally:
        watcher.stop()
    return take_over.is_set()


def _start(zyn: Any) -> None:
    try:
        zyn.start()
    except Exception:  # /healthz shows the scheduler not running; the log has why
        logger.bind(step="start").exception("zyn could not start its jobs")
        return
    zyn.warm_up()  # the compiled kernel and the heap, in the background (issue 20.1)


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


def cmd_sim_exchange(args: argparse.Namespace, settings: ZynSettings) -> int:
    # lazy: keeps alembic, flask, sqlalchemy out of this import
    from adapters.sim_exchange.runner import run_sim_exchange
    from bot.cli.preflight import check_port_free  # lazy: keeps pydantic_settings out of this import
    from bot.cli.sim_data import sim_data_path  # lazy: as the two above

    secret = api_secret(args.api_secret, args.api_secret_file)  # a file keeps it out of the process list
    if bool(args.api_key) != bool(secret):
        raise UserError("give both --api-key and --api-secret (or --api-secret-file), or neither (a pair is generated)")
    balances = parse_balances(args.balance)
    bad_day = _bad_day(args)
    check_port_free(args.host, args.port)
    if not args.db.startswith(("sqlite:///", "postgresql://", "postgresql+psycopg://", "postgres://")):
        raise UserError(f"--db {args.db!r}: use sqlite:///PATH or postgresql://USER@HOST/DB")
    # lazy: keeps flask, websockets out of this import
    from adapters.sim_exchange.fault_spec import parse_fault, parse_staked

    if not 0 <= args.fill_lag <= 3600:
        raise UserError(f"--fill-lag {args.fill_lag:g}: give seconds from 0 to 3600")
    if not 0 <= args.close_lag <= 3600:
        raise UserError(f"--close-lag {args.close_lag:g}: give seconds from 0 to 3600")
    faults, staked = [parse_fault(spec) for spec in args.fault], parse_staked(args.staked)
    data, source = sim_data_path(args.data, settings.paper_data)  # after the flags: the bare command works
    if source != "--data":
        print(f"candles: {data} ({source}; --data CSV_OR_DIR picks others)", flush=True)
    run_sim_exchange(
        host=args.host, port=args.port, data_path=data, api_key=args.api_key, api_secret=secret,
        balances=balances, speed=settings.paper_speed, db_url=args.db,
        faults=faults, staked=staked,
        tier=settings.kraken_tier,  # Kraken's documented counters of KRAKEN_TIER (default starter), issue 21
        bad_day=bad_day,
        fill_lag_s=args.fill_lag, close_lag_s=args.close_lag,
    )
    return 0


def _bad_day(args: argparse.Namespace) -> BadDay | None:
    """`--bad-day SEED` (issue 19): the seeded fault schedule, checked before anything starts."""
    from adapters.sim_exchange.bad_day import (  # lazy: the sim (Flask app) loads only with --bad-day
        KINDS,
        BadDay,
        parse_kinds,
    )

    if args.bad_day is None:
        if args.bad_day_kinds is not None:
            raise UserError("--bad-day-kinds needs --bad-day SEED")
        return None
    kinds = parse_kinds(args.bad_day_kinds) if args.bad_day_kinds is not None else KINDS
    return BadDay(args.bad_day, rate=args.bad_day_rate, order_rate=args.bad_day_order_rate, kinds=kinds)
