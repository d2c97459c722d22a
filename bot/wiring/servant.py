"""Builds the servant's live parts (issue 17): the evidence gate fed from the candles Zyn holds,
the shadow book, and the account-wide risk cap. Part of the composition root (bot/wiring/app.py).

`ZYN_EVIDENCE=off` builds no gate: the autopilot trades the plain strategy everywhere, as before.
In a replay the evidence comes from the replay's own files, cut at each candle's close (never a
candle after the replay clock); live, from the candle store (backfill + every candle fetched).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from loguru import logger

from bot.owner.settings import OwnerSettings
from bot.wiring.modules import stored_target_pct
from core.config import Settings
from core.domain import Candle, Market
from core.evidence import DEFAULT_RULE, EvidenceGate
from core.evidence.module_set import ModuleSet, module_set
from core.kernel.arrays import CandleArrays
from core.kernel.flavour import Flavour
from core.market_data.resample import resample
from core.market_data.store import CandleStore
from core.markets.catalog import market_for
from core.ports import Clock
from core.research.what_if import WhatIf, what_if
from core.strategy.account_risk import AccountRiskConfig
from core.strategy.entry_rules import EntryRules
from core.strategy.features import FeatureSwitch
from core.strategy.profit_target import DailyTarget
from core.telemetry.kv import KeyValueStore
from core.trading.rules import forced_pairs
from core.trading.servant import ArraySource, LiveEvidence, PlainSource, StoreSource
from core.trading.service import TradingService
from core.trading.shadow import ShadowBook, ShadowTrade


def account_risk(settings: Settings) -> AccountRiskConfig:
    return AccountRiskConfig(Decimal(repr(settings.max_total_risk_pct)) / 100, settings.max_positions)


def forced_live(kv: KeyValueStore, tz: str) -> Callable[[], frozenset[str]]:
    """The pairs the owner forced live with `trade PAIR anyway` (read at every evaluation)."""
    owner = OwnerSettings(kv, tz)
    return lambda: forced_pairs(owner.rules())


def build_plain_source(settings: Settings, dataset: dict[str, tuple[str, list[Candle]]], store: CandleStore,
                       trading: TradingService, kv: KeyValueStore, flavour: Flavour | None = None) -> PlainSource:
    """The candles Zyn holds per pair, and the strategy's record on them (plain, or with the modules
    the autopilot trades with): a replay's files (cut at each moment asked; the same candles its
    clock-bound store shows), else the candle store. `flavour`: the kernel's for the universe
    (bot/wiring/kernel_flavour.py; None: by each call's work)."""
    def market_of(pair: str) -> Market:
        return trading.markets.get(pair) or market_for(pair)

    def rules_for(modules: ModuleSet) -> EntryRules:
        return record_rules(settings, modules, stored_target_pct(kv, settings.modules.profit_target_pct))

    if dataset:
        return ArraySource(replay_arrays(dataset, settings.timeframe), settings.timeframe, market_of, rules_for,
                           flavour)
    return StoreSource(_history(store, settings.timeframe), settings.timeframe, market_of, rules_for, flavour)


def record_rules(settings: Settings, modules: ModuleSet, target_pct: float) -> EntryRules:
    """The modules of an evidence record as `zyn backtest --features` builds them (the autopilot's
    module settings, on for the whole run), a fresh object per run: the run keeps the target's state.
    The target's percentage is the owner's at the time the record (re)starts."""
    ms = settings.modules
    return EntryRules.fixed(settings.timeframe, tuple(sorted(modules)),
                            target=DailyTarget(target_pct, ms.profit_target_action),
                            sessions=ms.sessions, mtf_timeframes=ms.mtf_timeframes)


def build_evidence(settings: Settings, source: PlainSource, kv: KeyValueStore,
                   features: FeatureSwitch) -> LiveEvidence | None:
    """The evidence gate as the autopilot consumes it (None when ZYN_EVIDENCE=off); its record is
    the strategy's with the modules switched on now (`set feature mtf on` applies from the next close)."""
    if not settings.evidence:
        return None

    return LiveEvidence(EvidenceGate(DEFAULT_RULE), settings.pairs, source, forced_live(kv, settings.tz), kv,
                        modules=lambda: module_set(features.enabled))


class ServantAnswers:
    """`ServantPort` for chat: plain vs plain + a module over the owner's pairs on the candles held
    now (in a replay: before the replay clock), and the shadow trades recorded."""

    measurable = ("mtf", "profit_target")

    def __init__(self, settings: Settings, source: PlainSource, clock: Clock, kv: KeyValueStore) -> None:
        self._settings, self._source, self._clock, self._kv = settings, source, clock, kv

    def what_if(self, feature: str | None = None, since_ms: int | None = None) -> WhatIf | None:
        now, tf = self._clock.now_ms(), self._settings.timeframe
        held = {p: a for p in self._settings.pairs if (a := self._source.held(p, now)) is not None}
        rules = None
        if feature in self.measurable:
            ms = self._settings.modules
            rules = EntryRules.fixed(tf, (feature,), target=DailyTarget(ms.profit_target_pct, ms.profit_target_action),
                                     sessions=ms.sessions, mtf_timeframes=ms.mtf_timeframes)
        markets = {p: market_for(p) for p in held}
        return what_if(held, tf, markets, feature, rules, since_ms=since_ms)

    def shadow_trades(self) -> list[ShadowTrade]:
        return ShadowBook(self._kv).records()


def replay_arrays(dataset: dict[str, tuple[str, list[Candle]]], timeframe: str) -> dict[str, CandleArrays]:
    return {pair: CandleArrays.from_candles(resample(candles, tf, timeframe))
            for pair, (tf, candles) in dataset.items()}


def _history(store: CandleStore, timeframe: str) -> Callable[[str, int], Sequence[Candle]]:
    def history(pair: str, until_ms: int) -> Sequence[Candle]:
        try:
            return store.history(pair, timeframe, until_ms)
        except Exception:  # noqa: BLE001 - storage trouble: the pair keeps its last evidence
            logger.bind(pair=pair, action="evidence").exception("candle history unavailable")
            return []

    return history
