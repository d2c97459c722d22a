"""The status service: the single source of truth for balances, positions, orders, trades and P&L.

Why one service: the web page, `zyn status`, every chat channel and the scheduler must tell the
owner the same numbers. They all come from here, and here they come from the exchange's own
records (balances, open orders, trade history -> FIFO P&L in `core.status.pnl`), never from what the
bot believes it did; the telemetry DB adds only what the exchange cannot hold (the bot-watched
take-profit target) and the equity history.

Freshness: exchange data is cached (`core.status.cache`): trade history 30 s, balances/orders
60 s, `sync(force=True)` after an order. `source` is "exchange" when the latest fetches
succeeded and "cache" when the exchange could not be reached (then `as_of` is the time of the
data shown). Nothing here raises for exchange trouble; callers always get an answer.

`snapshot()` returns exactly the contract's status JSON (CONTRACT.md, "Status snapshot").
Position fields: a position Zyn opened is its aggregate (`core.trading.positions`, saved as a
PositionRow): its own amount, entry, cost incl. the buy fee (`unrealized_pnl` = amount x mark -
that cost, before the exit fee) — never FIFO over the pair's fills, which would give a manual
position the entry of an autopilot lot (issue 22.1). Coins no position of Zyn holds: `amount` =
the exchange balance, `entry_price` = average fill price of the FIFO open lots; `stop_price` = the open stop-loss
sell order on the exchange; `take_profit_price` = the open TradeRow's target (the bot watches
it: Kraken spot cannot hold a stop and a take-profit on the same coins). Beyond the contract,
each row says whose position it is (`trade_id`, `origin`); a pair holding several positions (a
manual buy beside the autopilot's) gets one row per position with its own amount, entry, stop
order and target, plus a row for coins no position holds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from core.domain import Order, UserError
from core.learning.switch import SwitchState, load_switch
from core.ports import Clock, Exchange
from core.status.cache import Account, CacheView, ExchangeCache
from core.status.equity_curve import recorded_equity
from core.status.holdings import positions_from
from core.status.pnl import PnlReport, compute_pnl
from core.status.reads import all_trades, targets
from core.status.trades import closed_stats, iso_utc
from core.strategy.daily_loss import cents, money
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import EquitySnapshotRow

log = logging.getLogger(__name__)

LAST_KEY = "status:last"
PERIOD_ALIASES = {"today": "today", "day": "today", "week": "week", "all": "all_time", "all_time": "all_time"}
AUTOPILOT_DEFAULT: dict[str, Any] = {"running": False, "paused_reason": "unknown"}
KILL_DEFAULT: dict[str, Any] = {"tripped": False, "daily_pnl": 0.0, "limit": 0.03}
CIRCUIT_DEFAULT: dict[str, Any] = {"state": "unknown", "failures": 0}
DAY_MS = 86_400_000
# issue 20.1: the held snapshot part is rebuilt at least this often even without an event, for
# writers this process is not told about (another process on the same database, a hand edit)
REBUILD_S = 1.0
FRESH_S = 5.0  # data read longer ago than this is labelled "cache" (as_of gives its age), not "exchange"
SNAPSHOT_KEYS = (
    "mode", "as_of", "source", "balances", "equity_usd", "positions", "open_orders", "pnl",
    "trades", "autopilot", "kill_switch", "circuit", "learning", "paused_until", "evidence", "market_data",
)
# always recomputed, so an older stored snapshot may lack them
LIVE_ONLY_KEYS = frozenset({"learning", "paused_until", "evidence", "market_data"})


def _only(fn: Callable[[], dict[str, Any]], default: dict[str, Any], what: str) -> dict[str, Any]:
    """Exactly the contract's keys from a colleague's state callable; its failure is not ours."""
    try:
        got = fn()
    except Exception as exc:
        log.warning("status: %s state unavailable (%s)", what, type(exc).__name__)
        return dict(default)
    return {k: got.get(k, v) for k, v in default.items()}


def _order_dict(o: Order) -> dict[str, Any]:
    return {
        "id": o.id, "pair": o.pair, "side": o.side, "type": o.type,
        "price": None if o.price is None else float(o.price), "amount": float(o.amount),
    }


# How long a status read waits for a refresh already in flight before serving what is held.
READ_WAIT_S = 5.0


class StatusService:
    def __init__(
        self,
        exchange: Exchange,
        clock: Clock,
        db_engine: Engine,
        mode: str,
        pairs: list[str],
        breaker_snapshot: Callable[[], dict[str, Any]],
        autopilot_state: Callable[[], dict[str, Any]],
        kill_switch_state: Callable[[], dict[str, Any]],
        quote: str = "USD",
        trade_ttl_s: float = 30,
        sync_interval_s: float = 60,
        day_open_equity: Callable[[int], Decimal | float | None] | None = None,
        paused_until: Callable[[], int | None] | None = None,
        evidence_state: Callable[[], dict[str, Any]] | None = None,
        market_data_state: Callable[[], dict[str, Any]] | None = None,  # issue 21: {"transport": ...}
    ) -> None:
        """`paused_until`: when a timed pause ends (epoch ms) or None (issue 22: `paused_until` in the JSON)."""
        self._paused_until = paused_until
        self._clock, self._db, self._mode = clock, db_engine, mode
        self._day_open = day_open_equity  # equity at 00:00 UTC of a moment's day (the kill-switch's)
        self._pairs, self._quote = list(pairs), quote
        self._breaker, self._autopilot, self._kill = breaker_snapshot, autopilot_state, kill_switch_state
        self._evidence_state = evidence_state  # issue 17: live/shadow per pair ({} with ZYN_EVIDENCE=off)
        self._market_data = market_data_state or (lambda: {"transport": "rest"})
        self._kv = KeyValueStore(db_engine)
        self._cache = ExchangeCache(
            exchange, clock, self._kv, self._pairs, quote, trade_ttl_s, sync_interval_s
        )
        self._lock = threading.Lock()  # guards the log-once sets and the persisted as_of
        self._persisted_as_of: str | None = None
        self._unpriced: frozenset[str] = frozenset()
        self._unmatched_seen = 0
        self._changes = 0  # moved by `changed()` (trading events)
        # (key, built at (monotonic s), base, report): the snapshot's held exchange/database part
        self._held: tuple[tuple[int, int, int], float, dict[str, Any], PnlReport] | None = None

    # -- public API ---------------------------------------------------------------------------
    def sync(self, force: bool = False, wait_s: float | None = None) -> None:
        """Refresh what is due; `force=True` right after placing/cancelling an order. `wait_s`:
        wait at most that long for the fetch (it finishes on its own thread, for the next read)."""
        self._cache.refresh(force=force, wait_s=wait_s)

    def snapshot(self) -> dict[str, Any]:
        """The contract's status JSON. Never raises for exchange trouble (see module doc).

        Issue 20.1: the exchange/database part is a held object, rebuilt only when its inputs
        moved (`_held_base`); `source`, the day's P&L and the bot-side parts are added per read."""
        self._cache.refresh(wait_s=READ_WAIT_S)
        gen, view = self._cache.stamped_view()
        if view.account is None and view.fills is None:
            last = self._kv_last()
            if last is not None:
                return self._one_today({**last, **self._live_parts(), "mode": self._mode, "source": "cache"})
        base, _ = self._held_base(gen, view)
        snap = self._one_today({**base, "source": self._source(view), **self._live_parts()})
        if snap["source"] == "exchange":
            self._persist(snap)
        return snap

    def changed(self, refetch: bool = False) -> None:
        """A trading event happened (position opened/closed, stop or target moved, order booked;
        `refetch`: a fill moved the balances): the next read rebuilds the snapshot (and refetches
        the exchange's data). Only takes note: it runs on the trading or the exchange's thread."""
        with self._lock:
            self._changes += 1
        if refetch:
            self._cache.expire()

    def _held_base(self, gen: int, view: CacheView) -> tuple[dict[str, Any], PnlReport]:
        """The snapshot's exchange and database part for this view, rebuilt when the view moved,
        a trading event was reported (`changed`), the UTC day turned (P&L periods), or — for a
        writer this process is not told about (another process, a hand edit) — REBUILD_S passed."""
        now = time.monotonic()
        with self._lock:
            key = (gen, self._changes, self._clock.now_ms() // DAY_MS)
            held = self._held
            if held is not None and held[0] == key and now - held[1] < REBUILD_S:
                return held[2], held[3]
        report = self._report(view)
        base = self._build(view, report)
        with self._lock:
            self._held = (key, now, base, report)
        return base, report

    def pnl(self, period: str = "today") -> float:
        """Realized P&L of `today`, `week` or `all` (alias `all_time`), in the quote currency."""
        key = PERIOD_ALIASES.get(period.strip().lower())
        if key is None:
            raise UserError(f"unknown period {period!r} (use today, week or all)")
        value = self.snapshot()["pnl"][key]
        return float(value) if value is not None else 0.0

    def recent_trades(self, n: int = 10) -> list[dict[str, Any]]:
        """The last `n` trades, newest first, open ones included (`core.status.trades`): each of
        Zyn's own is its journal row (`id` is what `why TRADE_ID` takes, P&L as the position booked
        it); a sell no trade of ours closed is the FIFO round trip with the exchange's order id."""
        self._cache.refresh(wait_s=READ_WAIT_S)
        gen, view = self._cache.stamped_view()
        trades = all_trades(self._db, self._mode, view, self._held_base(gen, view)[1])
        return trades[:n] if n > 0 else []

    def positions(self) -> list[dict[str, Any]]:
        positions: list[dict[str, Any]] = self.snapshot()["positions"]
        return positions

    def open_orders(self) -> list[dict[str, Any]]:
        orders: list[dict[str, Any]] = self.snapshot()["open_orders"]
        return orders

    def pnl_report(self) -> PnlReport:
        """Everything FIFO knows (open lots, unmatched sells, per pair) for reports and the agent."""
        self._cache.refresh(wait_s=READ_WAIT_S)
        gen, view = self._cache.stamped_view()
        return self._held_base(gen, view)[1]

    def equity_curve(self, since_ms: int | None = None) -> list[tuple[int, float]]:
        """Recorded equity of this mode, oldest first: (ts_ms, equity)."""
        return recorded_equity(self._db, self._mode, since_ms)

    def record_equity_snapshot(self) -> EquitySnapshotRow | None:
        """Write the current equity (called by the scheduler). Skipped when the data is stale:
        a cached number stamped with a new time would draw a flat line that never happened."""
        snap = self.snapshot()
        if snap["source"] != "exchange" or snap["equity_usd"] is None:
            log.info("equity snapshot skipped: exchange data not fresh")
            return None
        row = EquitySnapshotRow(
            ts_ms=self._clock.now_ms(), equity=float(snap["equity_usd"]),
            cash=float(snap["balances"].get(self._quote, 0.0)), source=self._mode,
        )
        with Session(self._db) as s:
            s.add(row)
            s.commit()
            s.refresh(row)
        return row

    # -- building the snapshot ----------------------------------------------------------------
    def _report(self, view: CacheView) -> PnlReport:
        report = compute_pnl(view.fills or [], self._clock.now_ms())
        n = len(report.unmatched_sells)
        with self._lock:
            seen, self._unmatched_seen = self._unmatched_seen, n
        if n > seen:
            log.info("P&L excludes %d sell fill(s) with no recorded buy (unknown cost basis)", n)
        return report

    def _source(self, view: CacheView) -> str:
        """"exchange" only for data just read; older data is the cache's (`as_of` says how old)."""
        age_s = None if view.as_of_ms is None else max(0, self._clock.now_ms() - view.as_of_ms) / 1000
        return "exchange" if view.fresh and age_s is not None and age_s <= FRESH_S else "cache"

    def _build(self, view: CacheView, report: PnlReport) -> dict[str, Any]:
        """Everything but `source` and the bot-side parts (added per read)."""
        acc = view.account
        return {
            "mode": self._mode,
            "as_of": iso_utc(view.as_of_ms),
            "source": "cache",  # replaced per read (`_source`); here to keep the contract's key order
            "balances": self._balances(acc),
            "equity_usd": self._equity(acc),
            "positions": positions_from(acc, report, self._pairs, targets(self._db, self._mode)),
            "open_orders": [_order_dict(o) for o in acc.orders] if acc else [],
            "pnl": report.pnl if view.fills is not None else dict.fromkeys(("today", "week", "all_time")),
            "trades": closed_stats(all_trades(self._db, self._mode, view, report)),
        }

    def _one_today(self, snap: dict[str, Any]) -> dict[str, Any]:
        """One figure for the day (issue 22.2): equity now - equity at 00:00 UTC, in `pnl.today`
        and `kill_switch.daily_pnl` alike. Without the day's opening equity or a price for the
        account, the kill-switch's own figure (its last candle close) stands for both."""
        opened = None
        if self._day_open is not None:
            try:
                opened = self._day_open(self._clock.now_ms())
            except Exception as exc:  # a colleague's state; status still answers
                log.warning("status: day start equity unavailable (%s)", type(exc).__name__)
        equity, kill = snap.get("equity_usd"), dict(snap.get("kill_switch") or KILL_DEFAULT)
        if opened is not None and equity is not None:
            today = cents(money(equity) - money(opened))  # Decimal: the cent is the account's, not a float's
        else:
            today = float(kill.get("daily_pnl") or 0.0)
        kill["daily_pnl"] = today
        return {**snap, "pnl": {**(snap.get("pnl") or {}), "today": today}, "kill_switch": kill}

    def _live_parts(self) -> dict[str, Any]:
        """Bot-side state: always current, even when the exchange part comes from cache."""
        return {
            "autopilot": _only(self._autopilot, AUTOPILOT_DEFAULT, "autopilot"),
            "kill_switch": _only(self._kill, KILL_DEFAULT, "kill-switch"),
            "circuit": _only(self._breaker, CIRCUIT_DEFAULT, "circuit"),
            "learning": self._learning(),
            "paused_until": iso_utc(self._paused_until()) if self._paused_until is not None else None,
            "evidence": self._evidence(),
            "market_data": _only(self._market_data, {"transport": "rest"}, "market data"),
        }

    def _evidence(self) -> dict[str, Any]:
        """`evidence: {PAIR: {"state", "trades", "months", ...}}` (contract extension); {} when off."""
        if self._evidence_state is None:
            return {}
        try:
            return self._evidence_state()
        except Exception as exc:  # the gate's trouble must not break status
            log.warning("status: evidence unavailable (%s)", type(exc).__name__)
            return {}

    def _learning(self) -> dict[str, Any]:
        """The learning switch (on only while the latest walk-forward shows skill) and its evidence."""
        try:
            return load_switch(self._kv).public()
        except Exception as exc:  # an unreadable kv row must not break status
            log.warning("status: learning switch unreadable (%s)", type(exc).__name__)
            return SwitchState(reason="learning switch unreadable; plain strategy").public()

    @staticmethod
    def _balances(acc: Account | None) -> dict[str, float]:
        if acc is None:
            return {}
        return {a: float(v) for a, v in sorted(acc.balances.total.items()) if v != 0}

    def _equity(self, acc: Account | None) -> float | None:
        """Quote balance + every other asset at its last price; unpriced assets are left out."""
        if acc is None:
            return None
        total = acc.balances.total.get(self._quote, Decimal(0))
        unpriced: set[str] = set()
        for asset, amount in acc.balances.total.items():
            if asset == self._quote or amount == 0:
                continue
            price = acc.prices.get(f"{asset}/{self._quote}")
            if price is None:
                unpriced.add(asset)
            else:
                total += amount * price
        with self._lock:
            changed, self._unpriced = frozenset(unpriced) != self._unpriced, frozenset(unpriced)
        if changed and unpriced:
            log.info("equity_usd excludes %s: no %s price", ", ".join(sorted(unpriced)), self._quote)
        return float(total)

    # -- persistence of the last good snapshot ------------------------------------------------
    def _persist(self, snap: dict[str, Any]) -> None:
        with self._lock:
            if snap["as_of"] == self._persisted_as_of:
                return
            self._persisted_as_of = snap["as_of"]
        try:
            self._kv.set_json(LAST_KEY, snap)
        except Exception as exc:
            log.warning("status: could not persist snapshot (%s)", type(exc).__name__)

    def _kv_last(self) -> dict[str, Any] | None:
        try:
            data = self._kv.get_json(LAST_KEY)
        except Exception:
            return None
        if isinstance(data, dict) and all(k in data for k in SNAPSHOT_KEYS if k not in LIVE_ONLY_KEYS):
            return {k: data.get(k) for k in SNAPSHOT_KEYS}
        return None
