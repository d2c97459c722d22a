"""Feature flags for the advanced modules: which are on, from `ZYN_FEATURES` and chat.

Why a flag per module: each module (universe, mtf, profit_target, watchdog) changes what the
autopilot trades, so each must be measured in a backtest and switched on deliberately. The
environment gives the defaults; `set feature NAME on|off` in chat stores an override in the kv
table, so it survives restarts and every process (the owner and `zyn chat`) sees the same state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from core.domain import UserError

FEATURES = ("universe", "mtf", "profit_target", "watchdog")
DEFAULT_ON = frozenset({"watchdog"})  # on by default once built (issue 9); `-watchdog` turns it off
DESCRIPTIONS = {
    "universe": "trade the liquidity-filtered Kraken universe instead of ZYN_PAIRS",
    "mtf": "an entry counts only if the higher timeframes close above their SMA20",
    "profit_target": "stop new entries for the UTC day once the daily profit target is reached; sessions",
    "watchdog": "heartbeats for jobs, pollers and feeds; restart what stalls",
}
KV_KEY = "features:overrides"


def parse_features(raw: str) -> frozenset[str]:
    """`universe,mtf` -> those on (plus the defaults); `-watchdog` turns a default off.

    An unknown name is a UserError naming it, so a typo never silently trades without a module.
    """
    on = set(DEFAULT_ON)
    for item in (part.strip().lower() for part in raw.split(",")):
        if not item:
            continue
        off = item.startswith(("-", "!"))
        name = item.lstrip("-!").strip()
        if name not in FEATURES:
            raise UserError(f"ZYN_FEATURES: unknown feature {name[:30]!r} (known: {', '.join(FEATURES)})")
        (on.discard if off else on.add)(name)
    return frozenset(on)


def parse_feature_list(raw: str) -> tuple[str, ...]:
    """`--features mtf,profit_target` for a backtest: exactly the listed ones, in FEATURES order."""
    names = {part.strip().lower() for part in raw.split(",") if part.strip()}
    unknown = sorted(names - set(FEATURES))
    if unknown:
        raise UserError(f"--features: unknown feature {unknown[0][:30]!r} (known: {', '.join(FEATURES)})")
    return tuple(name for name in FEATURES if name in names)


class JsonStore(Protocol):
    def get_json(self, key: str, default: object = None) -> object: ...

    def set_json(self, key: str, value: object) -> None: ...


class FeatureSwitch:
    """The live on/off state: environment defaults overridden by what the owner set in chat."""

    def __init__(self, defaults: Iterable[str], store: JsonStore | None = None) -> None:
        self._defaults = frozenset(defaults)
        self._store = store
        self._local: dict[str, bool] = {}

    def _overrides(self) -> Mapping[str, bool]:
        if self._store is None:
            return self._local
        raw = self._store.get_json(KV_KEY, {})
        if not isinstance(raw, dict):
            return {}
        return {str(k): bool(v) for k, v in raw.items() if k in FEATURES}

    def enabled(self, name: str) -> bool:
        return self._state(name, self._overrides())

    def states(self) -> dict[str, bool]:
        """Every feature from one read of the overrides (a status reply shows them all: one
        consistent view, one `kv` lookup instead of one per feature; issue 20.1)."""
        overrides = self._overrides()
        return {name: self._state(name, overrides) for name in FEATURES}

    def _state(self, name: str, overrides: Mapping[str, bool]) -> bool:
        override = overrides.get(name)
        return (name in self._defaults) if override is None else override

    def on(self) -> tuple[str, ...]:
        return tuple(name for name, state in self.states().items() if state)

    def set(self, name: str, state: bool) -> bool:
        """Switch one feature; returns the previous state. Unknown names are a UserError."""
        if name not in FEATURES:
            raise UserError(f"unknown feature {name[:30]!r} (known: {', '.join(FEATURES)})")
        before = self.enabled(name)
        overrides = dict(self._overrides())
        overrides[name] = state
        if self._store is None:
            self._local = overrides
        else:
            self._store.set_json(KV_KEY, overrides)
        return before
