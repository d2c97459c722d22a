"""Builds the services on top of the exchange: trading, autopilot, status, learning, conversation,
notifications and channels. Part of the composition root (bot/wiring/app.py).

Each function takes the parts it needs and returns one complete, typed object; `bot.wiring.app.build_zyn`
calls them in dependency order and then constructs the frozen `Zyn` once. Nothing here sets an
attribute on an object after it was built. Where two parts need each other, the later one reaches
the earlier through a callback given at construction (the breaker's alerts, the status service's
"is the autopilot running?" via `bot.wiring.lifecycle.Lifecycle`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from loguru import logger
from sqlalchemy.engine import Engine

from adapters.channels.ports import Channel
from adapters.kraken.system_status import KrakenSystemStatus
from bot.agent import build_free_text_engine
from bot.alerts.notifier import Notifier
from bot.alerts.safety import storage_alerts
from bot.alerts.trade_alerts import TradeAlerts
from bot.conversation.chat_journal import JournaledAuditLog
from bot.conversation.intent_cache import IntentModel, default_cache_dir
from bot.conversation.offline_engine import OfflineEngine
from bot.conversation.service_ports import ExchangeMarket, StoreBacktests, SyncedTrading, trend_source
from bot.conversation.services import Services
from bot.dispatch.dispatcher import Dispatcher
from bot.learning.runner import LearningRunner
from bot.owner.settings import OwnerSettings
from bot.settings import ZynSettings
from bot.status.autopilot import autopilot_state, kill_switch_state
from bot.wiring.lifecycle import Lifecycle
from bot.wiring.market import LivePaperPricer, MarketWiring, paper_markets
from bot.wiring.modules import Modules
from bot.wiring.servant import account_risk
from core.clock import RealClock, SimClock
from core.config import Settings, quote_of
from core.domain import Candle
from core.kernel.flavour import Flavour
from core.kernel.strategies import strategy_named
from core.learning.analyzer import TradeAnalyzer
from core.learning.learner import Learner
from core.learning.learner_model import LearnerConfig
from core.learning.switch import SwitchedGate, load_switch
from core.markets.timeframes import timeframe_ms
from core.ports import Clock, Exchange, MarketFeed
from core.status.service import StatusService
from core.telemetry.kv import KeyValueStore
from core.telemetry.storage_health import StorageHealth
from core.trading.atr_on_demand import AtrOnDemand
from core.trading.autopilot import Autopilot
from core.trading.bus import EventBus
from core.trading.circuit_breaker import CircuitBreaker
from core.trading.events import BookChanged
from core.trading.orders import no_fence
from core.trading.replay import ReplayDriver
from core.trading.service import TradingService
from core.trading.shadow import ShadowBook

if TYPE_CHECKING:
    import threading

    from bot.conversation.audit_log import AuditSink
    from bot.conversation.services import ServantPort
    from bot.dispatch.dispatcher import Dispatcher
    from core.market_data.store import CandleStore
    from core.trading.servant import LiveEvidence
    from scheduler.lock import SchedulerLock


# ------------------------------------------------------------------------------- trading
def build_trading(settings: Settings, exchange: Exchange, db: Engine, kv: KeyValueStore, market: MarketWiring,
                  feed: MarketFeed | None, notifier: Notifier, breaker: CircuitBreaker,
                  storage: StorageHealth, lease: SchedulerLock | None = None) -> TradingService:
    """`lease`: the lease this process holds; every order send and cancel is fenced by it."""
    paper = settings.mode == "paper"
    markets = paper_markets(settings, market) if paper else None
    bus = EventBus()  # trading's events (issue 18): the owner's trade and safety alerts subscribe here
    TradeAlerts(notifier).subscribe(bus)
    return TradingService(
        exchange, db, market.clock, kv=kv, pairs=settings.pairs, markets=markets,
        breaker=breaker, storage=storage, source=settings.mode,
        start_equity=settings.paper_start_balance if paper else None,
        atr_fallback=atr_on_demand(settings, exchange, feed, market.clock),
        order_grace_s=settings.order_grace_s,
        fence=lease.fence if lease is not None else no_fence,
        policy=OwnerSettings(kv, settings.tz),  # manual orders meet the owner's settings too
        bus=bus,
    )


def atr_on_demand(settings: Settings, exchange: Exchange, feed: MarketFeed | None, clock: Clock) -> AtrOnDemand:
    """Recent closed candles from the feed (else the exchange's OHLC) for a stop-less chat order."""
    def fetch(pair: str, timeframe: str, limit: int) -> list[Candle]:
        if feed is not None:
            return list(feed.closed_candles(pair, timeframe, limit))
        now, tf_ms = clock.now_ms(), timeframe_ms(timeframe)
        rows = exchange.fetch_ohlcv(pair, timeframe, None, limit + 1)
        return [c for c in rows if c.ts + tf_ms <= now][-limit:]

    return AtrOnDemand(fetch, settings.timeframe, clock)


def build_autopilot(settings: Settings, trading: TradingService, feed: MarketFeed | None, kv: KeyValueStore,
                    learning: LearningRunner, modules: Modules, evidence: LiveEvidence | None = None,
                    flavour: Flavour | None = None) -> Autopilot:
    """`evidence`: the gate (issue 17; None = ZYN_EVIDENCE=off, the plain strategy everywhere);
    `flavour`: the kernel's for the universe (bot/wiring/kernel_flavour.py; None: by each call's work)."""
    return Autopilot(trading, timeframe=settings.timeframe, pairs=settings.pairs, feed=feed,
                     gate=gate_provider(learning, kv), strategy=strategy_named(settings.strategy, flavour),
                     policy=OwnerSettings(kv, settings.tz), rules=modules.rules,
                     evidence=evidence.verdict if evidence is not None else None,
                     shadow=ShadowBook(kv) if evidence is not None else None, account_risk=account_risk(settings))


def gate_provider(learning: LearningRunner, kv: KeyValueStore) -> Callable[[], SwitchedGate]:
    """The learner's gate behind the learning switch: plain strategy (and a note saying so)
    unless the latest walk-forward showed skill (core/learning/switch.py)."""
    def provider() -> SwitchedGate:
        learner = learning.learner
        gate = learner.gate if learner is not None and learner.version else None
        return SwitchedGate(lambda: load_switch(kv), gate)

    return provider


def build_replay(settings: Settings, market: MarketWiring, exchange: Exchange,
                 autopilot: Autopilot, trading: TradingService) -> ReplayDriver | None:
    """The replay driver (paper + PAPER_FEED=replay), resumed where the last run stopped."""
    if market.kind != "replay":
        return None

    replay = ReplayDriver(exchange, autopilot, market.clock, dict(market.dataset),  # type: ignore[arg-type]
                          trading=trading, timeframe=settings.timeframe)
    resume = market.clock.now_ms()
    if resume > (replay.start_ms() or resume):
        replay.skip_until(resume)
    return replay


def build_pricer(settings: Settings, market: MarketWiring, exchange: Exchange,
                 feed: MarketFeed | None) -> LivePaperPricer | None:
    """Paper trading on live public prices: walks them into the paper exchange."""
    if market.kind == "live" and settings.mode == "paper" and feed is not None:
        return LivePaperPricer(exchange, feed, settings.pairs, market.clock)
    return None


# ------------------------------------------------------------------------------- learning
def build_learning(settings: Settings, db: Engine, kv: KeyValueStore, market: MarketWiring,
                   candles: CandleStore) -> LearningRunner:
    learner, analyzer = None, None
    try:
        analyzer = TradeAnalyzer(db)
        learner = Learner.load_latest(db, LearnerConfig(timeframe=settings.timeframe))
    except Exception:  # learning is an add-on: trading must run without it
        logger.bind(part="learner").exception("learner unavailable; trading the plain strategy")
        learner = None
    return LearningRunner(settings, db, kv, market.clock, market.dataset, learner, analyzer, candles)


# ------------------------------------------------------------------------------- status
def account_currency(settings: Settings) -> str:
    """What equity and P&L are counted in: a paper account is funded in its pairs' quote (PAPER_BALANCE,
    issue 17 point 9), a Kraken account is valued in USD. Status and chat label their figures with it."""
    return quote_of(settings.pairs[0]) if settings.mode == "paper" else "USD"


def build_status(settings: Settings, exchange: Exchange, clock: Clock, db: Engine, breaker: CircuitBreaker,
                 trading: TradingService, modules: Modules, feed: MarketFeed | None,
                 lifecycle: Lifecycle, evidence: LiveEvidence | None = None,
                 autopilot: Autopilot | None = None,
                 market_data: Callable[[], dict[str, Any]] | None = None) -> StatusService:
    status = StatusService(
        exchange, clock, db, settings.mode, list(settings.pairs), breaker_snapshot=breaker.snapshot,
        autopilot_state=lambda: autopilot_state(trading, modules, clock, feed, lifecycle, autopilot),
        kill_switch_state=lambda: kill_switch_state(trading),
        day_open_equity=lambda now_ms: trading.state.guard.day_open_equity(now_ms),
        paused_until=lambda: trading.paused_until_ms,  # issue 22: a timed pause's end in the status JSON
        quote=account_currency(settings),
        evidence_state=evidence.to_json if evidence is not None else None,
        market_data_state=market_data,
    )
    connect_status_events(trading, status)
    return status


def connect_status_events(trading: TradingService, status: StatusService) -> None:
    """Issue 20.1: the events that change the status snapshot (a committed position/trade/order
    change, an exchange fill) invalidate it. The one place the snapshot subscribes to trading's bus."""
    trading.subscribe(BookChanged, lambda event: status.changed(event.fill))


# ------------------------------------------------------------------------------- conversation
def build_dispatcher(settings: ZynSettings, db: Engine, kv: KeyValueStore, clock: Clock, notifier: Notifier,
                     exchange: Exchange, market: MarketWiring, trading: TradingService, status: StatusService,
                     learning: LearningRunner, modules: Modules, candles: CandleStore,
                     feed: MarketFeed | None = None, servant: ServantPort | None = None,
                     book: Callable[[str, str, Decimal], str] | None = None) -> Dispatcher:
    backtests = StoreBacktests(settings, market.clock, lambda: set(market.dataset), candles)
    services = Services(trading=SyncedTrading(trading, status, book), status=status, learner=learning,
                        backtester=backtests, market=ExchangeMarket(trading, exchange),
                        pairs=tuple(settings.pairs), modules=modules, system_status=_system_status(settings, market),
                        trend=trend_source(settings.timeframe, feed, modules.rules.confirming), servant=servant,
                        currency=account_currency(settings))

    # loaded from the cache (or built once), not trained per process
    offline = OfflineEngine(model=IntentModel(default_cache_dir(settings.cache_home)))
    free_text = build_free_text_engine(settings, db=db, fallback=offline, clock=clock, kv=kv,
                                       status=status, analyzer=learning.analyzer)
    ch = settings.channels
    allow = {"telegram": set(ch.telegram_allowed_chat_ids), "slack": set(ch.slack_allowed_user_ids),
             "sms": set(ch.sms_allowed_numbers), "web": {"*"}}
    # A replay clock runs PAPER_SPEED x faster (and stands still outside `zyn run`): the owner's
    # 2 minutes to answer yes are wall-clock minutes.
    confirm_clock = RealClock() if isinstance(clock, SimClock) else None
    return Dispatcher(services, kv, db, clock, allow, settings.user_name, free_text, notifier, tz=settings.tz,
                      confirm_clock=confirm_clock, audit=build_chat_journal(settings, db))


def build_chat_journal(settings: ZynSettings, db: Engine) -> AuditSink | None:
    """Issue 20.1: the conversation audit log through a write-ahead journal (ZYN_CHAT_JOURNAL: a
    folder; empty = `<database file>.chat-journal`; "off", or no database file: None, i.e. the
    dispatcher commits each message before its reply)."""

    folder = settings.chat_journal
    if folder.lower() == "off":
        return None
    if not folder:
        path = db.url.database or ""
        if db.url.get_backend_name() != "sqlite" or not path or path == ":memory:" or path.startswith("file:"):
            return None
        folder = f"{path}.chat-journal"
    return JournaledAuditLog(db, Path(folder), flush_s=settings.chat_journal_flush_s)


def _system_status(settings: Settings, market: MarketWiring) -> Callable[[], str] | None:
    """Kraken's SystemStatus for "is the market open?" (keyless; the sim serves it), or None when
    the prices are replayed from files and no exchange is involved."""
    if market.kind == "replay":
        return None

    return KrakenSystemStatus(settings.kraken_api_url).system_status


# ------------------------------------------------------------------------------- channels
def build_channels(settings: ZynSettings, dispatcher: Dispatcher, notifier: Notifier) -> Mapping[str, Channel]:
    """The configured chat channels (read-only mapping), each put on the notifier for alerts.

    The notifier is the one registry that changes at run time by design (a channel that is down is
    taken off it by its supervisor and put back when it is up), so the senders are registered
    here rather than passed to its constructor: the notifier must exist before the trading
    service, which the channels' dispatcher needs."""
    from adapters.channels.config_checks import slack_configured  # lazy: like the channels below
    from adapters.channels.sms import SmsChannel  # lazy: keeps flask, twilio out of this import

    ch = settings.channels
    channels: dict[str, Channel] = {}
    if ch.telegram_token:  # python-telegram-bot (~30 MB) only when there is a bot (issue 20.5)
        # lazy: keeps apscheduler, telegram out of this import
        from adapters.channels.telegram import TelegramChannel, telegram_configured

        if telegram_configured(ch):
            channels["telegram"] = TelegramChannel(ch, dispatcher)
    if slack_configured(ch):  # slack_bolt and slack_sdk (~2.5 MB) only when there is an app (issue 20.5)
        from adapters.channels.slack import SlackChannel  # lazy: keeps slack_bolt, slack_sdk out of this import

        channels["slack"] = SlackChannel(ch, dispatcher)
    sms = SmsChannel(ch)
    if sms.enabled:
        channels["sms"] = sms
    for name, channel in channels.items():
        notifier.register(name, channel.send)
    logger.bind(channels=sorted(channels)).info("channels configured")
    return MappingProxyType(channels)


def warm_free_text(dispatcher: Dispatcher) -> threading.Thread | None:
    """`zyn run`: load (or build once) the offline intent classifier in the background now, so
    the first free-text message never waits for it (also behind the LLM agent, its fallback)."""
    return dispatcher.free_text.warm()


def build_storage_health(db: Engine, notifier: Notifier) -> StorageHealth:
    """Storage faults seen on any statement halt entries (the trading gate) and tell the owner."""
    health = StorageHealth(RealClock(), storage_alerts(notifier))  # wall time: staleness is real time, also in a replay
    health.watch(db)
    return health
