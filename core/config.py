"""Settings: parsed once, in `zyn`'s entry point, from the environment (and `.env`).

Parsing is pure (a mapping in, a frozen object out) so it can be tested without touching the
process environment. A malformed value raises `UserError` naming the variable.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.domain import UserError
from core.kernel.strategies import DEFAULT_STRATEGY, STRATEGIES
from core.markets.pairs import normalize_pair
from core.markets.timeframes import timeframe_seconds
from core.strategy.module_settings import ModuleSettings, load_module_settings

MODES = ("paper", "validate", "live")
FEEDS = ("auto", "live", "replay")
# issue 21: Kraken's documented rate tiers and WebSocket v2 endpoints
KRAKEN_TIERS = ("starter", "intermediate", "pro")
KRAKEN_API_DEFAULT = "https://api.kraken.com"
KRAKEN_WS_DEFAULT = "wss://ws.kraken.com/v2"
KRAKEN_WS_AUTH_DEFAULT = "wss://ws-auth.kraken.com/v2"


@dataclass(frozen=True)
class Settings:
    mode: str = "paper"
    live_confirm: bool = False
    database_url: str = field(default="sqlite:///var/zyn.db", repr=False)
    kraken_api_key: str = field(default="", repr=False)
    kraken_api_secret: str = field(default="", repr=False)
    kraken_api_url: str = "https://api.kraken.com"
    paper_feed: str = "auto"
    paper_data: str = ""
    learn_data: str = ""  # ZYN_LEARN_DATA: folders (comma list) the learning switch's walk-forward adds
    pairs: tuple[str, ...] = ("BTC/USD", "ETH/USD")
    timeframe: str = "4h"
    strategy: str = "sma20_atr"  # a name registered in core/strategy/port.py (ZYN_STRATEGY)
    paper_speed: float = 60.0
    paper_balance_usd: float = 10_000.0
    openai_api_key: str = field(default="", repr=False)
    openai_base_url: str = ""
    openai_model: str = "gpt-4o"
    user_name: str = "jimmy"
    tz: str = "UTC"
    owner_lease_s: float = 30.0
    # issue 19 (money paths): how long an order the exchange does not show may still appear
    # (Kraken's REST lags new orders); before that "not found" proves nothing.
    order_grace_s: float = 60.0
    # issue 19 point 3 (storage outage): how long the owner waits for its database to come back
    # (serving /healthz 503, refusing money actions) before it exits with code 3 for its supervisor.
    storage_outage_exit_s: float = 300.0
    # issue 20.1: the conversation audit log through a write-ahead journal, off the request path
    chat_journal: str = ""  # ZYN_CHAT_JOURNAL: a folder; "" = beside the SQLite file; "off" = commit per reply
    # ZYN_CHAT_JOURNAL_FLUSH_S: rows reach the database within this. 0.25 s, not 0.05 s: one transaction,
    # segment file and mark per batch cost the writer 0.165 ms of CPU per chat request at 200/s, 0.04 ms at
    # 0.25 s (bench/chat_latency.py, same minutes); nothing is lost meanwhile (the rows are in the journal)
    # and readers of the conversation flush first
    chat_journal_flush_s: float = 0.25
    # issue 21: Kraken as it really is (rate tier, WebSocket v2 endpoints)
    kraken_tier: str = "starter"  # KRAKEN_TIER
    kraken_ws_url: str = KRAKEN_WS_DEFAULT  # KRAKEN_WS_URL (derived from KRAKEN_API_URL when only that is set)
    kraken_ws_auth_url: str = KRAKEN_WS_AUTH_DEFAULT  # KRAKEN_WS_AUTH_URL
    # issue 21 points 2-3: entries carry Kraken's conditional close stop (KRAKEN_CONDITIONAL_CLOSE
    # on|off; off: Zyn places every stop itself after the fill) and live mode applies fills pushed
    # by the private `executions` socket (KRAKEN_EXECUTIONS on|off; off: REST polling only)
    kraken_conditional_close: bool = True
    kraken_executions: bool = True
    modules: ModuleSettings = field(default_factory=ModuleSettings)
    # issue 18: settings once — every variable the code reads arrives here (channel blocks: bot/settings.py)
    log_level: str = ""  # ZYN_LOG_LEVEL; empty: the command's default (bot/cli/main.py)
    candle_cache: str = ""  # ZYN_CANDLE_CACHE: folder of .npz copies of clean candle files; empty: no cache
    dask_scheduler: str = ""  # ZYN_DASK_SCHEDULER: tcp://host:port or "local"; empty: decided per run
    cache_home: str = ""  # XDG_CACHE_HOME: where per-user caches go (the intent model); empty: ~/.cache
    pairs_explicit: bool = False  # ZYN_PAIRS was set (the start-up check then verifies each pair)
    # --- issue 17 (servant): the evidence gate, account-wide risk, paper funding in the quote ---
    evidence: bool = True  # ZYN_EVIDENCE on|off: off = the plain strategy everywhere
    max_total_risk_pct: float = 3.0  # ZYN_MAX_TOTAL_RISK_PCT: open risk of all live positions, % of equity
    max_positions: int = 5  # ZYN_MAX_POSITIONS: live positions at most
    paper_balance: float | None = None  # PAPER_BALANCE (quote currency); None = PAPER_BALANCE_USD

    @property
    def paper_start_balance(self) -> float:
        """The paper account's starting balance in the pairs' quote currency (PAPER_BALANCE wins)."""
        return self.paper_balance if self.paper_balance is not None else self.paper_balance_usd
    # issue 17 point 3 (candle store): the start-up backfill (`zyn run`) from Kraken's OHLC and Trades
    backfill: bool = True  # ZYN_BACKFILL=on|off
    history_days: float = 365.0  # ZYN_HISTORY_DAYS: how far back the Trades tape is read (0: OHLC only)

    def redacted(self) -> dict[str, str]:
        """What may be logged: secrets are replaced by whether they are set."""
        secret_names = ("key", "secret", "token", "sid")
        out: dict[str, str] = {}
        for name, value in vars(self).items():
            if name in ("channels", "modules"):
                continue
            out[name] = ("set" if value else "unset") if any(s in name for s in secret_names) else str(value)
        out["database_url"] = redact_url(self.database_url)
        return out


def redact_url(url: str) -> str:
    """postgresql://user:pw@host/db -> postgresql://user:***@host/db (for logs)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable url>"
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _list(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def _float(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UserError(f"{name}={raw!r} is not a number") from None
    if not value > minimum or value != value or value == float("inf"):
        raise UserError(f"{name}={raw!r} must be a finite number above {minimum:g}")
    return value


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    value = env.get(name, "").strip().lower() or default
    if value not in choices:
        raise UserError(f"{name}={value!r} must be one of {', '.join(choices)}")
    return value


def load_settings(env: Mapping[str, str]) -> Settings:
    """Build Settings from an environment mapping; raise UserError on the first bad value."""
    mode = _choice(env, "ZYN_MODE", "paper", MODES)
    live_confirm = _live_confirm(env, mode)
    key, secret = env.get("KRAKEN_API_KEY", "").strip(), env.get("KRAKEN_API_SECRET", "").strip()
    if mode in ("validate", "live") and not (key and secret):
        raise UserError(f"ZYN_MODE={mode} needs KRAKEN_API_KEY and KRAKEN_API_SECRET")
    _check_secret(secret)
    pairs = _pairs(env)
    timeframe = env.get("ZYN_TIMEFRAME", "").strip() or "4h"
    try:
        timeframe_seconds(timeframe)
    except UserError as exc:
        raise UserError(f"ZYN_TIMEFRAME={timeframe!r}: {exc}") from None
    strategy = _choice(env, "ZYN_STRATEGY", DEFAULT_STRATEGY, tuple(sorted(STRATEGIES)))
    tz = env.get("ZYN_TZ", "").strip() or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"ZYN_TZ={tz!r} is not a known time zone (e.g. UTC, Europe/Berlin)") from None
    user = env.get("ZYN_USER_NAME", "").strip() or "jimmy"
    if len(user) > 40 or not user.isprintable():
        raise UserError("ZYN_USER_NAME must be a short printable name")
    servant = _servant_settings(env, mode, pairs)  # issue 17
    return Settings(
        mode=mode,
        live_confirm=live_confirm,
        database_url=_database_url(env),
        kraken_api_key=key,
        kraken_api_secret=secret,
        kraken_api_url=_kraken_url(env),
        paper_feed=_choice(env, "PAPER_FEED", "auto", FEEDS),
        paper_data=env.get("PAPER_DATA", "").strip(),
        learn_data=env.get("ZYN_LEARN_DATA", "").strip(),
        pairs=pairs,
        timeframe=timeframe,
        strategy=strategy,
        paper_speed=_float(env, "PAPER_SPEED", 60.0, 0.0),
        paper_balance_usd=_float(env, "PAPER_BALANCE_USD", 10_000.0, 0.0),
        openai_api_key=env.get("OPENAI_API_KEY", "").strip(),
        openai_base_url=env.get("OPENAI_BASE_URL", "").strip(),
        openai_model=env.get("OPENAI_MODEL", "").strip() or "gpt-4o",
        user_name=user,
        tz=tz,
        owner_lease_s=_float(env, "ZYN_OWNER_LEASE_S", 30.0, 0.0),
        # issue 19 (money paths)
        order_grace_s=_float(env, "ZYN_ORDER_GRACE_S", 60.0, 0.0),
        # issue 19 point 3 (storage outage)
        storage_outage_exit_s=_float(env, "ZYN_STORAGE_OUTAGE_EXIT_S", 300.0, 0.0),
        # issue 20.1 (chat write-ahead journal)
        chat_journal=env.get("ZYN_CHAT_JOURNAL", "").strip(),
        chat_journal_flush_s=_float(env, "ZYN_CHAT_JOURNAL_FLUSH_S", 0.25, 0.0),
        **_kraken_extras(env),  # issue 21
        modules=load_module_settings(env, timeframe, tz),
        # issue 17 (servant)
        evidence=servant.evidence,
        max_total_risk_pct=servant.max_total_risk_pct,
        max_positions=servant.max_positions,
        paper_balance=servant.paper_balance,
        # issue 17 point 3 (candle store)
        backfill=_choice(env, "ZYN_BACKFILL", "on", ("on", "off")) == "on",
        history_days=_history_days(env),
        **_issue18(env),
    )


def _kraken_extras(env: Mapping[str, str]) -> dict[str, Any]:
    """issue 21: KRAKEN_TIER and the WebSocket endpoints.

    KRAKEN_WS_URL / KRAKEN_WS_AUTH_URL win; else, with KRAKEN_API_URL pointing anywhere but Kraken
    (a `zyn sim-exchange`), both follow it: `ws://HOST:PORT/ws/v2` and `.../ws/v2-auth` on its port."""
    tier = _choice(env, "KRAKEN_TIER", "starter", KRAKEN_TIERS)
    api = (env.get("KRAKEN_API_URL", "").strip() or KRAKEN_API_DEFAULT).rstrip("/")
    ws, ws_auth = env.get("KRAKEN_WS_URL", "").strip(), env.get("KRAKEN_WS_AUTH_URL", "").strip()
    for name, url in (("KRAKEN_WS_URL", ws), ("KRAKEN_WS_AUTH_URL", ws_auth)):
        if url and not url.startswith(("ws://", "wss://")):
            raise UserError(f"{name}={url!r} must start with ws:// or wss://")
    if api != KRAKEN_API_DEFAULT and api.startswith(("http://", "https://")):
        base = "ws" + api[len("http"):]
        derived, derived_auth = f"{base}/ws/v2", f"{base}/ws/v2-auth"
    else:
        derived, derived_auth = KRAKEN_WS_DEFAULT, KRAKEN_WS_AUTH_DEFAULT
    return {"kraken_tier": tier, "kraken_ws_url": (ws or derived).rstrip("/"),
            "kraken_ws_auth_url": (ws_auth or derived_auth).rstrip("/"),
            "kraken_conditional_close": _choice(env, "KRAKEN_CONDITIONAL_CLOSE", "on", ("on", "off")) == "on",
            "kraken_executions": _choice(env, "KRAKEN_EXECUTIONS", "on", ("on", "off")) == "on"}


def _history_days(env: Mapping[str, str]) -> float:
    """ZYN_HISTORY_DAYS (issue 17): 0 or more days, at most ten years."""
    raw = env.get("ZYN_HISTORY_DAYS", "").strip()
    if not raw:
        return 365.0
    try:
        days = float(raw)
    except ValueError:
        raise UserError(f"ZYN_HISTORY_DAYS={raw!r} is not a number") from None
    if not 0 <= days <= 3650:
        raise UserError(f"ZYN_HISTORY_DAYS={raw!r} must be between 0 and 3650 days")
    return days


# issue 19.8 (startup mistakes): values that used to be accepted and only failed later, or never
def _live_confirm(env: Mapping[str, str], mode: str) -> bool:
    """Exactly `yes` (the contract's word, typed for real money): `YES` or `y` is refused in live
    mode rather than guessed at, so the one place that arms real orders has one spelling."""
    raw = env.get("ZYN_LIVE_CONFIRM", "").strip()
    if mode == "live" and raw != "yes":
        if raw:
            raise UserError(f"ZYN_LIVE_CONFIRM={raw[:20]!r}: live mode needs exactly ZYN_LIVE_CONFIRM=yes "
                            "(lower case, real money); refusing to start")
        raise UserError("ZYN_MODE=live also needs ZYN_LIVE_CONFIRM=yes (real money); refusing to start")
    return raw == "yes"


def _check_secret(secret: str) -> None:
    """Kraken's API secret is base64 (it signs every private call): anything else fails at the
    first order, so it is refused at start. The value itself is never shown."""
    if not secret:
        return

    try:
        base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        raise UserError("KRAKEN_API_SECRET is not base64 (copy the private key exactly as Kraken shows it)") from None


def _pairs(env: Mapping[str, str]) -> tuple[str, ...]:
    """ZYN_PAIRS: a comma list; set but naming no pair (`" , "`) is a mistake, not the default."""
    raw = env.get("ZYN_PAIRS", "")
    pairs = tuple(normalize_pair(p) for p in _list(raw))
    if raw.strip() and not pairs:
        raise UserError(f"ZYN_PAIRS={raw.strip()[:40]!r} names no pair (e.g. ZYN_PAIRS=BTC/USD,ETH/USD)")
    return pairs or ("BTC/USD", "ETH/USD")


def _kraken_url(env: Mapping[str, str]) -> str:
    """KRAKEN_API_URL: an http(s) URL with a host (the sim-exchange is http://127.0.0.1:PORT)."""
    raw = env.get("KRAKEN_API_URL", "").strip()
    if not raw:
        return "https://api.kraken.com"
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or " " in raw:
        raise UserError(f"KRAKEN_API_URL={redact_url(raw)[:60]!r} is not an http(s) URL "
                        "(e.g. https://api.kraken.com)")
    return raw.rstrip("/")


LOG_LEVELS = ("TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR", "CRITICAL")


def _issue18(env: Mapping[str, str]) -> dict[str, Any]:
    """Issue 18: variables other modules used to read from the process environment themselves."""
    level = env.get("ZYN_LOG_LEVEL", "").strip().upper()
    if level and level not in LOG_LEVELS:
        raise UserError(f"ZYN_LOG_LEVEL={level.lower()!r} must be one of {', '.join(LOG_LEVELS)}")
    return {
        "log_level": level,
        "candle_cache": env.get("ZYN_CANDLE_CACHE", "").strip(),
        "dask_scheduler": env.get("ZYN_DASK_SCHEDULER", "").strip(),
        "cache_home": env.get("XDG_CACHE_HOME", "").strip(),
        "pairs_explicit": bool(env.get("ZYN_PAIRS", "").strip()),
    }


# --- issue 17 (servant) -------------------------------------------------------------------------
class _ServantSettings(NamedTuple):
    evidence: bool
    max_total_risk_pct: float
    max_positions: int
    paper_balance: float | None


def _servant_settings(env: Mapping[str, str], mode: str, pairs: tuple[str, ...]) -> _ServantSettings:
    """ZYN_EVIDENCE, ZYN_MAX_TOTAL_RISK_PCT, ZYN_MAX_POSITIONS and PAPER_BALANCE (contract extensions).

    A paper account is funded in ONE quote currency (the pairs'): pairs quoted in different
    currencies cannot share it, so paper mode refuses them up front rather than trading a
    zero-equity account."""
    evidence = _choice(env, "ZYN_EVIDENCE", "on", ("on", "off")) == "on"
    total = _float(env, "ZYN_MAX_TOTAL_RISK_PCT", 3.0, 0.0)
    if total > 100:
        raise UserError(f"ZYN_MAX_TOTAL_RISK_PCT={total:g} must be at most 100 (a percentage of equity)")
    raw = env.get("ZYN_MAX_POSITIONS", "").strip()
    positions = 5
    if raw:
        try:
            positions = int(raw)
        except ValueError:
            raise UserError(f"ZYN_MAX_POSITIONS={raw!r} is not a whole number") from None
        if positions < 1:
            raise UserError(f"ZYN_MAX_POSITIONS={raw!r} must be at least 1")
    balance = _float(env, "PAPER_BALANCE", 0.0, 0.0) if env.get("PAPER_BALANCE", "").strip() else None
    quotes = sorted({quote_of(p) for p in pairs})
    if mode == "paper" and len(quotes) > 1:
        raise UserError(
            f"ZYN_PAIRS mixes quote currencies ({', '.join(quotes)}): a paper account is funded in one; "
            "pick pairs with the same quote"
        )
    return _ServantSettings(evidence, total, positions, balance)


def quote_of(pair: str) -> str:
    """The quote currency of a normalized pair (BTC/USDT -> USDT)."""
    return pair.partition("/")[2] or "USD"


DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg", "postgres")


def _database_url(env: Mapping[str, str]) -> str:
    """SQLite or PostgreSQL only (the two the suite runs on); anything else is refused up front."""
    url = env.get("DATABASE_URL", "").strip() or "sqlite:///var/zyn.db"
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in DATABASE_SCHEMES:
        shown = scheme if sep else redact_url(url)[:40]
        raise UserError(
            f"DATABASE_URL: unsupported database {shown!r} (use sqlite:///PATH or postgresql://USER@HOST/DB)"
        )
    if scheme.lower() == "sqlite" and not rest.startswith("/"):
        raise UserError("DATABASE_URL: a SQLite URL looks like sqlite:///var/zyn.db (three slashes)")
    return url
