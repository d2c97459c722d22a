"""Settings of the advanced modules (issue 9), parsed from the environment like core/config.py.

Kept apart from `core.config.Settings` so the core settings stay small; `Settings.modules` holds
one of these. Pure: a mapping in, a frozen object out; a bad value is a UserError naming it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from core.domain import UserError
from core.markets.pairs import normalize_pair
from core.markets.universe_settings import UniverseSettings as UniverseSettings
from core.strategy.features import DEFAULT_ON, parse_features
from core.strategy.mtf import confirming_timeframes
from core.strategy.profit_target import ACTIONS, DEFAULT_PCT, parse_pct
from core.strategy.sessions import Sessions, parse_sessions


@dataclass(frozen=True)
class ModuleSettings:
    features: frozenset[str] = DEFAULT_ON
    universe: UniverseSettings = field(default_factory=UniverseSettings)
    mtf_timeframes: tuple[str, ...] = ()  # empty: 4h and 1d where above the trading timeframe
    profit_target_pct: float = DEFAULT_PCT
    profit_target_action: str = "breakeven"
    sessions: Sessions = field(default_factory=Sessions)


def _number(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip().rstrip("%")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UserError(f"{name}={raw[:30]!r} is not a number") from None
    if not (value >= minimum) or value == float("inf"):
        raise UserError(f"{name}={raw[:30]!r} must be a finite number of at least {minimum:g}")
    return value


def _list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _universe(env: Mapping[str, str]) -> UniverseSettings:
    quote = env.get("ZYN_UNIVERSE_QUOTE", "").strip().upper() or "USD"
    if not quote.isalnum() or len(quote) > 8:
        raise UserError(f"ZYN_UNIVERSE_QUOTE={quote[:20]!r} is not a currency code (e.g. USD)")
    return UniverseSettings(
        quote=quote,
        min_volume_usd=_number(env, "ZYN_UNIVERSE_MIN_VOLUME_USD", 250_000.0),
        max_spread_pct=_number(env, "ZYN_UNIVERSE_MAX_SPREAD_PCT", 0.5),
        max_pairs=int(_number(env, "ZYN_UNIVERSE_MAX_PAIRS", 30, 1)),
        min_price=_number(env, "ZYN_UNIVERSE_MIN_PRICE", 0.0001),
        min_history=int(_number(env, "ZYN_UNIVERSE_MIN_HISTORY", 50)),
        deny=tuple(normalize_pair(p) for p in _list(env.get("ZYN_UNIVERSE_DENY", ""))),
        refresh_minutes=int(_number(env, "ZYN_UNIVERSE_REFRESH_MINUTES", 60, 1)),
    )


def load_module_settings(env: Mapping[str, str], timeframe: str, tz: str = "UTC") -> ModuleSettings:
    mtf = _list(env.get("ZYN_MTF_TIMEFRAMES", "").lower())
    confirming_timeframes(timeframe, mtf)  # validates
    target_raw = env.get("ZYN_PROFIT_TARGET_PCT", "").strip()
    action = env.get("ZYN_PROFIT_TARGET_ACTION", "").strip().lower() or "breakeven"
    if action not in ACTIONS:
        raise UserError(f"ZYN_PROFIT_TARGET_ACTION={action[:20]!r} must be one of {', '.join(ACTIONS)}")
    return ModuleSettings(
        features=parse_features(env.get("ZYN_FEATURES", "")),
        universe=_universe(env),
        mtf_timeframes=mtf,
        profit_target_pct=parse_pct(target_raw, "ZYN_PROFIT_TARGET_PCT") if target_raw else DEFAULT_PCT,
        profit_target_action=action,
        sessions=parse_sessions(env.get("ZYN_SESSIONS", ""), tz),
    )
