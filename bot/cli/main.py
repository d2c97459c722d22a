"""The `zyn` command line. User mistakes: one line on stderr, exit 2; failures: exit 1.

`--json` prints exactly one JSON object on stdout; logs go to stderr (or the log file).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.settings import ZynSettings


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse prints usage; we keep it to one line
        print(f"zyn: {message}", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="zyn", description="Zyn — a self-learning trading assistant for Kraken")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="web + scheduler + channels in one process")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=5000)
    chat = sub.add_parser("chat", help="send one message through the dispatcher")
    chat.add_argument("message")
    chat.add_argument("--user", default="owner")
    sub.add_parser("shell", help="interactive shell on the dispatcher")
    st = sub.add_parser("status", help="status snapshot")
    st.add_argument("--json", action="store_true")
    bt = sub.add_parser("backtest", help="backtest the autopilot's strategy on candles")
    bt.add_argument("--data", required=True)
    bt.add_argument("--pair")
    bt.add_argument("--timeframe")
    bt.add_argument("--learn", action="store_true")
    bt.add_argument("--seeds", type=int, default=20, help="control seeds (--data DIR --learn or --servant)")
    bt.add_argument("--servant", action="store_true",
                    help="--data DIR: the evidence gate + account-wide risk walked forward in one shared account")
    bt.add_argument("--json", action="store_true")
    bt.add_argument("--plot")
    bt.add_argument("--features", default=None, help="comma list of modules to apply, e.g. mtf,profit_target")
    sub.add_parser("universe", help="every exchange pair with in/out and the reason").add_argument(
        "--json", action="store_true")
    ln = sub.add_parser("learn", help="re-run the analyzer + learner over the database")
    ln.add_argument("--json", action="store_true")
    sim = sub.add_parser("sim-exchange", help="Kraken-REST-compatible paper exchange server")
    sim.add_argument("--host", default="127.0.0.1")
    sim.add_argument("--port", type=int, default=8090)
    sim.add_argument("--data")
    sim.add_argument("--api-key")
    sim.add_argument("--api-secret")
    sim.add_argument("--api-secret-file", help="read the secret from this file (mode 0600): not in the process list")
    sim.add_argument("--balance", action="append", default=[], help="ASSET=AMOUNT, repeatable (USD=10000)")
    sim.add_argument("--db", default="sqlite:///var/sim_exchange.db",
                     help="the sim's own paper account (SQLAlchemy URL); not Zyn's DATABASE_URL")
    sim.add_argument("--fault", action="append", default=[], help="inject a fault: METHOD=KIND[,times=N,...]")
    sim.add_argument("--staked", action="append", default=[], help="a staking balance, e.g. DOT.S=12.5")
    # issue 19 ("Also build"): a seeded schedule of the exchange's bad days, deterministic per request order
    sim.add_argument("--bad-day", type=int, default=None, metavar="SEED",
                     help="replay a fault schedule drawn from SEED over the private calls")
    sim.add_argument("--bad-day-rate", type=float, default=0.25, metavar="SHARE",
                     help="share of private calls that get a fault (default 0.25)")
    sim.add_argument("--bad-day-order-rate", type=float, default=None, metavar="SHARE",
                     help="share of AddOrder calls that get a fault (default: --bad-day-rate)")
    sim.add_argument("--bad-day-kinds", default=None, metavar="LIST",
                     help="comma list of faults to deal (default all: answer_lost, empty200, html200, "
                          "late_fill, fake_accept, rate_limit, partial, socket_drop)")
    sim.add_argument("--fill-lag", type=float, default=0.0, metavar="S",
                     help="REST shows each fill S seconds late; the executions socket at once (issue 21)")
    sim.add_argument("--close-lag", type=float, default=0.0, metavar="S",
                     help="REST shows each conditional close (the stop attached to an entry) S seconds late")
    from bot.cli.data import add_data_parser  # lazy: the slim terminal-client path

    add_data_parser(sub)  # zyn data import|status (issue 17: the candle store)
    sub.metavar = "{" + ",".join(sub.choices) + "}"  # `zyn` typed bare names the commands, not "command"
    return p


def _setup_logging(command: str, quiet: bool, level: str = "") -> None:
    # local imports: the client path to a running owner (22.6) must not pay for loguru
    from loguru import logger  # lazy: the slim terminal-client path

    from bot.cli.log_bridge import route_stdlib_logging  # lazy: the slim terminal-client path

    # diagnose=False: loguru's default prints the values of the variables in every traceback
    # frame (e.g. a ChannelSettings repr with every token), so secrets would reach the logs.
    logger.remove()
    # a conversation on the terminal should read like one: safety events are in the database
    default = "ERROR" if command in ("chat", "shell") else ("WARNING" if quiet else "INFO")
    level = level or default  # ZYN_LOG_LEVEL, checked by the settings loader
    fmt = "{time:YYYY-MM-DD HH:mm:ss} {level} {message} | {extra}"
    logger.add(sys.stderr, level=level, format=fmt, diagnose=False)
    route_stdlib_logging()  # core's stdlib records reach the same sinks


def open_run_log() -> None:
    """`zyn run`'s log file, added only once every startup check has passed (issue 19.8: a refused
    start creates nothing, not even `var/` or an empty log). A read-only or full `var/` is one line."""
    from loguru import logger  # lazy: the slim terminal-client path

    from core.domain import UserError  # lazy: the slim terminal-client path

    try:
        os.makedirs("var", exist_ok=True)
        logger.add("var/zyn.log", level="INFO", rotation="10 MB", retention=5, serialize=True, diagnose=False)
    except OSError as exc:
        raise UserError(f"cannot write the log under var/ ({type(exc).__name__}: {exc.strerror or exc}); "
                        "make var/ writable or free some disk space") from None


SIGPIPE_EXIT = 141
"""128 + SIGPIPE: what a shell shows for a command whose reader closed the pipe (`zyn chat … | head`)."""


def main(argv: Sequence[str] | None = None) -> int:
    """The command; a reader that closes stdout early (`| head`) ends it quietly, not with a traceback
    or "zyn: [Errno 32] Broken pipe" — closing the pipe is the reader's choice, not a failure of Zyn."""
    try:
        try:
            return _main(argv)
        finally:  # also after argparse's --help: a closed pipe shows here, not in the interpreter's exit
            sys.stdout.flush()
    except BrokenPipeError:
        return _reader_went_away()


def _reader_went_away() -> int:
    """Point stdout at /dev/null so the interpreter's flush at exit has nowhere to fail, and exit 141."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
    return SIGPIPE_EXIT


def _main(argv: Sequence[str] | None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "chat" and not args.message.strip():
        print("zyn: chat: the message is empty (it must be non-empty text); try zyn chat \"help\"", file=sys.stderr)
        return 2
    if args.command in ("chat", "status", "shell"):  # a running owner answers: import only the client (22.6)
        served = _served_by_owner(args)
        if served is not None:
            return served
    from loguru import logger  # lazy: the slim terminal-client path

    from core.domain import UserError  # lazy: the slim terminal-client path

    try:
        settings = _load_settings()  # `.env` + environment, once, for every command
        _setup_logging(args.command, quiet=args.command not in ("run", "sim-exchange"), level=settings.log_level)
    except UserError as exc:
        print(f"zyn: {exc}", file=sys.stderr)
        return 2
    handlers: dict[str, Callable[[argparse.Namespace, ZynSettings], int]] = {
        "run": _cmd("bot.cli.run", "cmd_run"),
        "chat": _cmd("bot.cli.chat", "cmd_chat"),
        "shell": _cmd("bot.cli.chat", "cmd_shell"),
        "status": _cmd("bot.cli.chat", "cmd_status"),
        "backtest": _cmd("bot.cli.backtest", "cmd_backtest"),
        "learn": _cmd("bot.cli.chat", "cmd_learn"),
        "universe": _cmd("bot.cli.universe", "cmd_universe"),
        "sim-exchange": _cmd("bot.cli.run", "cmd_sim_exchange"),
        "data": _cmd("bot.cli.data", "cmd_data"),
    }
    try:
        return handlers[args.command](args, settings)
    except UserError as exc:
        print(f"zyn: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        raise  # the reader closed stdout: main() ends quietly
    except Exception as exc:
        logger.bind(command=args.command).exception("command failed")
        print(f"zyn: {args.command} failed: {type(exc).__name__}: {str(exc)[:200]}", file=sys.stderr)
        return 1


def _served_by_owner(args: argparse.Namespace) -> int | None:
    """The light client path (bot/cli/fast_client.py); None when the ordinary path must answer."""
    from bot.cli.fast_client import serve  # lazy: the slim terminal-client path
    from bot.settings_light import load_env  # lazy: the slim terminal-client path

    try:
        return serve(args, load_env())
    except BrokenPipeError:
        raise  # the reader closed stdout: main() ends quietly
    except Exception as exc:  # noqa: BLE001 - e.g. the owner's token unreadable: one line, as below
        from core.domain import UserError  # lazy: the slim terminal-client path

        print(f"zyn: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UserError) else 1


def _load_settings() -> ZynSettings:
    # local import: pydantic-settings stays off the path of `zyn --help` and argument mistakes
    from bot.settings import load_settings, read_environment  # lazy: the slim terminal-client path

    return load_settings(read_environment())


def _cmd(module: str, name: str) -> Callable[[argparse.Namespace, ZynSettings], int]:
    """Import a command lazily so `zyn backtest` does not load the Telegram SDK."""
    def run(args: argparse.Namespace, settings: ZynSettings) -> int:
        import importlib  # lazy: the slim terminal-client path

        fn: Callable[[argparse.Namespace, ZynSettings], int] = getattr(importlib.import_module(module), name)
        return fn(args, settings)

    return run
