"""Builds the services on top of the exchange: trading, autopilot, status, learning,
conversation, notifications and channels. Part of the composition root (bot/app.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loguru import logger

from core.domain import Event

if TYPE_CHECKING:
    from bot.app import Zyn
    from core.trading.types import ManualOrder


def wire_services(zyn: Zyn, *, host: str = "127.0.0.1") -> None:
    from bot.notifier import Notifier
    from core.markets_catalog import markets_for
    from core.strategy_port import strategy_named
    from core.trading.autopilot import Autopilot
    from core.trading.service import TradingService
    from core.trading.take_profit import TakeProfitWatcher

    s = zyn.settings
    zyn.notifier = Notifier(zyn.kv, zyn.db, zyn.clock, tz=s.tz)
    zyn.storage = _storage_health(zyn)
    markets = markets_for(sorted(set(s.pairs) | set(zyn.market.dataset))) if s.mode == "paper" else None
    zyn.trading = TradingService(
        zyn.exchange, zyn.db, zyn.clock, kv=zyn.kv, pairs=s.pairs, markets=markets, notifier=zyn.notifier,
        breaker=zyn.breaker, storage=zyn.storage, source=s.mode,
        start_equity=s.paper_balance_usd if s.mode == "paper" else None, atr_fallback=_atr_on_demand(zyn),
    )
    zyn.take_profit = TakeProfitWatcher(zyn.trading).attach()
    _wire_learning(zyn)
    from bot.owner_settings import OwnerSettings
    from bot.wiring_modules import build_modules

    zyn.modules = build_modules(zyn)
    zyn.autopilot = Autopilot(zyn.trading, timeframe=s.timeframe, pairs=s.pairs, feed=zyn.feed,
                              gate=_gate_provider(zyn), strategy=strategy_named(s.strategy),
                              policy=OwnerSettings(zyn.kv, s.tz),
                              rules=zyn.modules.rules)
    _wire_market_drivers(zyn)
    _wire_status(zyn)
    _wire_conversation(zyn, host)
    _wire_channels(zyn)
    zyn.breaker_listener = _breaker_alerts(zyn)


def _atr_on_demand(zyn: Zyn) -> Any:
    """Recent closed candles from the feed (else the exchange's OHLC) for a stop-less chat order."""
    from core.timeframes import timeframe_ms
    from core.trading.atr_on_demand import AtrOnDemand

    def fetch(pair: str, timeframe: str, limit: int) -> list[Any]:
        if zyn.feed is not None:
            return list(zyn.feed.closed_candles(pair, timeframe, limit))
        now, tf_ms = zyn.clock.now_ms(), timeframe_ms(timeframe)
        rows = zyn.exchange.fetch_ohlcv(pair, timeframe, None, limit + 1)
        return [c for c in rows if c.ts + tf_ms <= now][-limit:]

    return AtrOnDemand(fetch, zyn.settings.timeframe, zyn.clock)


def _wire_market_drivers(zyn: Zyn) -> None:
    from bot.wiring_market import LivePaperPricer

    if zyn.market.kind == "replay":
        from core.trading.replay import ReplayDriver

        pairs = {p: v for p, v in zyn.market.dataset.items()}
        zyn.replay = ReplayDriver(zyn.exchange, zyn.autopilot, zyn.clock, pairs,  # type: ignore[arg-type]
                                  timeframe=zyn.settings.timeframe)
        resume = zyn.clock.now_ms()
        if resume > (zyn.replay.start_ms() or resume):
            zyn.replay.skip_until(resume)
    elif zyn.market.kind == "live" and zyn.settings.mode == "paper" and zyn.feed is not None:
        zyn.pricer = LivePaperPricer(zyn.exchange, zyn.feed, zyn.settings.pairs, zyn.clock)


def _wire_learning(zyn: Zyn) -> None:
    try:
        from core.analyzer import TradeAnalyzer
        from core.learner import Learner
        from core.learner_model import LearnerConfig

        zyn.analyzer = TradeAnalyzer(zyn.db)
        zyn.learner = Learner.load_latest(zyn.db, LearnerConfig(timeframe=zyn.settings.timeframe))
    except Exception:  # learning is an add-on: trading must run without it
        logger.bind(part="learner").exception("learner unavailable; trading the plain strategy")
        zyn.learner = None


def _gate_provider(zyn: Zyn) -> Any:
    """The learner's gate behind the learning switch: plain strategy (and a note saying so)
    unless the latest walk-forward showed skill (core/learning_switch.py)."""
    from core.learning_switch import SwitchedGate, load_switch

    def provider() -> Any:
        learner = zyn.learner
        gate = learner.gate if learner is not None and learner.version else None
        return SwitchedGate(lambda: load_switch(zyn.kv), gate)

    return provider


def _wire_status(zyn: Zyn) -> None:
    from core.status import StatusService

    zyn.status = StatusService(
        zyn.exchange, zyn.clock, zyn.db, zyn.settings.mode, list(zyn.settings.pairs),
        breaker_snapshot=zyn.breaker.snapshot, autopilot_state=zyn.autopilot_state,
        kill_switch_state=zyn.kill_switch_state,
    )


def _wire_conversation(zyn: Zyn, host: str) -> None:
    from bot.dispatcher import Dispatcher
    from bot.offline_engine import OfflineEngine
    from bot.services import Services
    from core.clock import RealClock, SimClock

    s = zyn.settings
    services = Services(trading=_TradingPort(zyn), status=zyn.status, learner=_LearnerPort(zyn),
                        backtester=_BacktestPort(zyn), market=_MarketPort(zyn), pairs=tuple(s.pairs),
                        modules=zyn.modules)
    from bot.agent import build_free_text_engine
    from bot.intent_cache import IntentModel, default_cache_dir

    offline = OfflineEngine(model=IntentModel(default_cache_dir()))  # loaded from the cache, not trained
    free_text = build_free_text_engine(s, db=zyn.db, fallback=offline, clock=zyn.clock, kv=zyn.kv,
                                       status=zyn.status, analyzer=zyn.analyzer)
    ch = s.channels
    allow = {"telegram": set(ch.telegram_allowed_chat_ids), "slack": set(ch.slack_allowed_user_ids),
             "sms": set(ch.sms_allowed_numbers), "web": {"*"}}
    # A replay clock runs PAPER_SPEED x faster (and stands still outside `zyn run`): the owner's
    # 2 minutes to answer yes are wall-clock minutes.
    confirm_clock = RealClock() if isinstance(zyn.clock, SimClock) else None
    zyn.dispatcher = Dispatcher(services, zyn.kv, zyn.db, zyn.clock, allow, s.user_name, free_text,
                                zyn.notifier, tz=s.tz, confirm_clock=confirm_clock)


class _TradingPort:
    """The trading service as chat sees it. After a money action the status cache is refreshed at
    once (core.status: `sync(force=True)` after an order): otherwise `orders` or `positions` right
    after a `yes` would show the account as it was before, for up to a minute."""

    def __init__(self, zyn: Zyn) -> None:
        self._zyn = zyn

    def preview_order(self, req: ManualOrder) -> Any:
        return self._zyn.trading.preview_order(req)

    def pause(self, reason: str) -> Any:
        return self._zyn.trading.pause(reason)

    def resume(self) -> Any:
        return self._zyn.trading.resume()

    def _synced(self, result: Any) -> Any:
        self._zyn.status.sync(force=True)
        return result

    def place_manual(self, req: ManualOrder) -> Any:
        return self._synced(self._zyn.trading.place_manual(req))

    def cancel(self, order_id: str | None) -> Any:
        return self._synced(self._zyn.trading.cancel(order_id))

    def flatten(self, reason: str) -> Any:
        return self._synced(self._zyn.trading.flatten(reason))

    def flatten_pair(self, pair: str, reason: str) -> Any:
        return self._synced(self._zyn.trading.flatten_pair(pair, reason))


class _MarketPort:
    """Prices and lot/price decimals for chat (`price BTC`, `buy $100 of BTC`)."""

    def __init__(self, zyn: Zyn) -> None:
        self._zyn = zyn

    def _market(self, pair: str) -> Any:
        from core.markets_catalog import market_for

        return self._zyn.trading.markets.get(pair) or market_for(pair)

    def price(self, pair: str) -> Any:
        from core.domain import UserError, ZynError

        try:
            return self._zyn.exchange.fetch_ticker(pair).last
        except ZynError as exc:  # "EOrder:no price yet for X" reads badly: no code, no repetition
            reason = re.sub(r"^E[A-Za-z]+:", "", str(exc)).strip()
            detail = "no market data yet" if "no price yet" in reason else reason
            raise UserError(f"no price for {pair} right now ({detail})") from None

    def price_decimals(self, pair: str) -> int:
        return int(self._market(pair).pair_decimals)

    def lot_decimals(self, pair: str) -> int:
        return int(self._market(pair).lot_decimals)


class _LearnerPort:
    def __init__(self, zyn: Zyn) -> None:
        self._zyn = zyn

    def relearn(self) -> dict[str, Any]:
        return self._zyn.relearn()


class _BacktestPort:
    """`backtest PAIR` in chat: the shipped candles for that pair (PAPER_DATA), same code as the CLI."""

    def __init__(self, zyn: Zyn) -> None:
        self._zyn = zyn

    def backtest(self, pair: str) -> dict[str, Any]:
        from core.backtest import Backtester
        from core.domain import UserError
        from core.market_data.resample import resample
        from core.markets_catalog import market_for
        from core.strategy_port import strategy_named

        data = self._zyn.market.dataset
        if pair not in data:
            raise UserError(f"no candles for {pair} here (set PAPER_DATA to a folder with its CSV)")
        tf_file, candles = data[pair]
        tf = self._zyn.settings.timeframe
        strategy = strategy_named(self._zyn.settings.strategy)
        return Backtester(pair, tf, market_for(pair), strategy=strategy).run(resample(candles, tf_file, tf)).summary()


def _wire_channels(zyn: Zyn) -> None:
    from adapters.channels.slack import SlackChannel, slack_configured
    from adapters.channels.sms import SmsChannel
    from adapters.channels.telegram import TelegramChannel, telegram_configured

    ch = zyn.settings.channels
    if telegram_configured(ch):
        zyn.channels["telegram"] = TelegramChannel(ch, zyn.dispatcher)
    if slack_configured(ch):
        zyn.channels["slack"] = SlackChannel(ch, zyn.dispatcher)
    sms = SmsChannel(ch)
    if sms.enabled:
        zyn.channels["sms"] = sms
    for name, channel in zyn.channels.items():
        zyn.notifier.register(name, channel.send)
    logger.bind(channels=sorted(zyn.channels)).info("channels configured")


def _storage_health(zyn: Zyn) -> Any:
    """Storage faults seen on any statement halt entries (the trading gate) and tell the owner."""
    from bot.notifier import error_event
    from core.clock import RealClock
    from core.telemetry.storage_health import StorageHealth

    def on_change(old: str | None, new: str | None) -> None:
        if new is not None:
            logger.bind(fault=new).error("storage fault: new entries halted, stops stay on the exchange")
            zyn.notifier.notify(error_event("storage", f"{new}. New entries are halted; stops stay on the exchange."))
        else:
            logger.bind(was=old).warning("storage writes work again")
            zyn.notifier.notify(Event("error", "Storage works again; new entries are allowed.", {"where": "storage"}))

    health = StorageHealth(RealClock(), on_change)  # wall time: staleness is real time, also in a replay
    health.watch(zyn.db)
    return health


def _breaker_alerts(zyn: Zyn) -> Callable[[str, str], None]:
    def on_change(old: str, new: str) -> None:
        from core.telemetry.models import SafetyEventRow

        detail = f"exchange circuit breaker {old} -> {new}"
        logger.bind(old=old, new=new).warning("circuit breaker changed")
        try:
            from sqlmodel import Session

            with Session(zyn.db) as sess:
                sess.add(SafetyEventRow(ts_ms=zyn.clock.now_ms(), kind=f"circuit_{new}", detail=detail))
                sess.commit()
            zyn.notifier.notify(Event("circuit", detail, {"old": old, "new": new}))
        except Exception:
            logger.exception("circuit alert failed")

    return on_change


def warm_free_text(zyn: Zyn) -> None:
    """`zyn run`: load (or build once) the offline intent classifier in the background now, so
    the first free-text message never waits for it (also behind the LLM agent, its fallback)."""
    engine = zyn.dispatcher.free_text
    for candidate in (engine, getattr(engine, "fallback", None)):
        warm = getattr(candidate, "warm", None)
        if callable(warm):
            warm()
