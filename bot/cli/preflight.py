"""Startup checks that run before anything is built or written.

Why: a mistake in a setting must cost jimmy one line on stderr and exit 2 — not a traceback
after the database was created, and never a silently ignored typo (`ZYN_PAIRS=BTC/USDD` used to
trade only ETH while /healthz still listed both). Each check names the setting it is about.

Issue 19.8: everything is checked before anything is created — no `var/`, no log file, no
database. So the candle files are read far enough to be sure they are candles and fit
ZYN_TIMEFRAME, the channel allow-lists are checked without importing the channel SDKs, and a
PostgreSQL DATABASE_URL must answer (one line, exit 2, instead of a page of tracebacks).
"""

from __future__ import annotations

import difflib
import errno
import os
import socket
from collections.abc import Iterable
from pathlib import Path

from loguru import logger

from adapters.channels.config_checks import check_channels
from adapters.kraken.public_pairs import listed_pairs
from bot.cli.ledger_mode import check_ledger_mode
from bot.settings import ZynSettings
from core.config import Settings, redact_url
from core.domain import UserError
from core.market_data.csv_loader import check_head, csv_files
from core.markets.pairs import pair_from_filename
from core.markets.timeframes import timeframe_seconds


def check_port_free(host: str, port: int) -> None:
    """Bind and release the port, so 'already in use' is one line before the database is touched."""
    if not 0 < port < 65536:
        raise UserError(f"--port {port} is not a TCP port (1-65535)")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UserError(f"--port {port}: {host}:{port} is already in use (another zyn run? use --port)") \
                    from None
            if exc.errno == errno.EACCES:
                raise UserError(f"--port {port}: not allowed to listen on {host}:{port}") from None
            raise UserError(f"--host {host}: cannot listen there ({exc.strerror})") from None


def check_paper_data(settings: Settings) -> None:
    """PAPER_DATA must be a readable CSV file or a folder with CSVs, when paper mode may use it."""
    if settings.mode != "paper" or not settings.paper_data or settings.paper_feed == "live":
        return
    path = Path(settings.paper_data)
    if not path.exists():
        raise UserError(f"PAPER_DATA={settings.paper_data}: no such file or folder")
    if not os.access(path, os.R_OK) or (path.is_dir() and not os.access(path, os.X_OK)):
        raise UserError(f"PAPER_DATA={settings.paper_data}: not readable")
    files = [path] if path.is_file() else sorted(f for f in path.iterdir() if f.suffix.lower() == ".csv")
    if not files:
        raise UserError(f"PAPER_DATA={settings.paper_data}: no .csv files in this folder")
    finest: dict[str, tuple[int, str, str]] = {}  # pair -> (seconds, timeframe, file name)
    for f in files:
        if not os.access(f, os.R_OK):
            raise UserError(f"PAPER_DATA: {f} is not readable")
        try:
            pair, tf = pair_from_filename(f.name)
            seconds = timeframe_seconds(tf)
            check_head(f)
        except UserError as exc:
            raise UserError(f"PAPER_DATA: {exc}") from None
        if pair not in finest or seconds < finest[pair][0]:
            finest[pair] = (seconds, tf, f.name)
    want = timeframe_seconds(settings.timeframe)
    for seconds, tf, name in finest.values():
        if want < seconds or want % seconds:
            raise UserError(f"ZYN_TIMEFRAME={settings.timeframe}: cannot be built from the {tf} candles of {name} "
                            f"(use a whole multiple of {tf})")


def check_database(url: str, timeout_s: int = 3) -> None:
    """PostgreSQL must answer now (one line, exit 2, not a traceback per retry later); a SQLite
    file must be creatable where the URL puts it. Nothing is created here."""
    scheme, _, rest = url.partition("://")
    if scheme.lower() == "sqlite":
        target = Path(rest[1:] if rest.startswith("/") else rest).resolve().parent
        while not target.exists():
            target = target.parent
        if not os.access(target, os.W_OK | os.X_OK):
            raise UserError(f"DATABASE_URL: cannot create the database under {target} (not writable)")
        return

    import psycopg  # lazy: PostgreSQL's driver (~9 MB) only where the database is PostgreSQL (issue 20.5)

    conninfo = "postgresql://" + rest
    try:
        psycopg.connect(conninfo, connect_timeout=timeout_s).close()
    except psycopg.Error as exc:
        lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()] or [type(exc).__name__]
        reason = lines[0].removeprefix("connection failed: ")[:160]  # libpq's first line says what failed
        raise UserError(f"DATABASE_URL={redact_url(url)}: cannot reach PostgreSQL ({reason})") from None


def data_pairs(settings: Settings) -> set[str]:
    """Pairs named by the PAPER_DATA files (`KRAKEN_BTC-USD_1h.csv` -> BTC/USD)."""
    return {pair_from_filename(f.name)[0] for f in csv_files(settings.paper_data)}


def check_pairs(settings: Settings, explicit: bool, exchange_pairs: set[str] | None) -> None:
    """Every pair in an explicitly set ZYN_PAIRS must exist where Zyn will trade it.

    Replay: among the PAPER_DATA files. Otherwise: among the exchange's listed pairs, when the
    exchange could be asked (`exchange_pairs` None = not reachable: not checked, logged)."""
    if not explicit:
        return
    replay = settings.mode == "paper" and settings.paper_data and settings.paper_feed in ("replay", "auto") \
        and exchange_pairs is None
    known = data_pairs(settings) if replay else exchange_pairs
    where = f"PAPER_DATA={settings.paper_data}" if replay else "the exchange's pairs"
    if known is None:
        logger.bind(pairs=list(settings.pairs)).warning("exchange not reachable: ZYN_PAIRS not checked")
        return
    for pair in settings.pairs:
        if pair not in known:
            raise UserError(f"ZYN_PAIRS: unknown pair {pair} (not in {where}){_suggest(pair, known)}")


def _suggest(pair: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(pair, sorted(known), n=3, cutoff=0.6)
    return f"; did you mean {', '.join(close)}?" if close else ""


def preflight(settings: Settings, *, pairs_explicit: bool, port: tuple[str, int] | None = None) -> None:
    """All startup checks, in the order a user would fix them; UserError on the first."""
    if isinstance(settings, ZynSettings):  # the CLI's; a bare core Settings has no channels
        check_channels(port[0] if port is not None else "127.0.0.1", settings.channels)
    if port is not None:
        check_port_free(*port)
    check_paper_data(settings)
    check_database(settings.database_url)
    check_ledger_mode(settings.mode, settings.database_url)  # another mode's open trades: not this mode's
    exchange_pairs: set[str] | None = None
    if pairs_explicit and not (settings.mode == "paper" and settings.paper_feed == "replay"):

        exchange_pairs = listed_pairs(settings.kraken_api_url)
    check_pairs(settings, pairs_explicit, exchange_pairs)
