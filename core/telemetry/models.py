"""Telemetry tables: everything Zyn decided, did and was told, so it can explain and learn.

One SQLModel metadata for the whole app (the paper exchange adds its own tables in
`core/paper/store.py`). The schema is versioned by Alembic (`core/telemetry/migrations/`): a
change here needs a new revision there. Money on orders, trades and positions (amounts, prices,
fees, P&L) is exact: `ExactDecimal` columns, Decimals in Python, so what was sent to the exchange
and what was booked never passes a float. Decisions and equity snapshots stay floats: they are
indicator readings and statistics, never sent anywhere.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel

from core.telemetry.exact_decimal import ExactDecimal


class DecisionRow(SQLModel, table=True):
    """One autopilot decision per closed candle per pair — including every skip and its reason."""

    __tablename__ = "decisions"
    id: int | None = Field(default=None, primary_key=True)
    ts_ms: int = Field(sa_type=BigInteger, index=True)  # the decision candle's open time
    decided_ms: int = Field(default=0, sa_type=BigInteger)  # clock time when decided
    pair: str = Field(index=True)
    timeframe: str = ""
    action: str = ""  # enter, skip, exit, hold, halt, none
    reason: str = ""  # e.g. "no cross", "cool-off", "kill-switch", "below ordermin"
    price: float | None = None  # close of the decision candle
    sma: float | None = None
    atr: float | None = None
    amount: float | None = None
    stop: float | None = None
    target: float | None = None
    equity: float | None = None
    learner_version: int | None = None
    learner_note: str = ""
    size_factor: float | None = None
    context_json: str = "{}"  # time context features (hour, weekday, session, ...)
    source: str = "paper"  # paper, validate, live, backtest, replay


class OrderRow(SQLModel, table=True):
    """Every order Zyn sent (or validated), with its client reference for idempotent retries."""

    __tablename__ = "orders"
    id: int | None = Field(default=None, primary_key=True)
    client_ref: str = Field(index=True, unique=True)
    exchange_id: str = Field(default="", index=True)
    pair: str = ""
    side: str = ""
    type: str = ""
    amount: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal)
    price: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    status: str = "new"  # new, open, closed, canceled, failed, validated
    purpose: str = ""  # entry, stop, take_profit, flatten, manual, kill_switch
    trade_id: int | None = Field(default=None, index=True)
    created_ms: int = Field(default=0, sa_type=BigInteger)
    updated_ms: int = Field(default=0, sa_type=BigInteger)
    error: str = ""


class TradeRow(SQLModel, table=True):
    """A round trip (entry -> exit) with the context it was taken in, for the analyzer."""

    __tablename__ = "trades"
    id: int | None = Field(default=None, primary_key=True)
    pair: str = Field(index=True)
    source: str = "paper"  # paper, live, validate, backtest
    status: str = "open"  # open, closed
    entry_ms: int = Field(default=0, sa_type=BigInteger)
    exit_ms: int | None = Field(default=None, sa_type=BigInteger)
    amount: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal)
    entry_price: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal)
    exit_price: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    stop_price: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    target_price: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    stop_order_id: str = ""
    initial_risk: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal)  # amount * (entry - stop)
    fees: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal)
    pnl: Decimal | None = Field(default=None, sa_type=ExactDecimal)  # net of fees
    r_multiple: float | None = None
    exit_reason: str = ""  # stop, target, kill_switch, manual, flatten
    atr: float | None = None
    atr_pct: float | None = None
    sma: float | None = None
    trend_strength: float | None = None  # (close - sma) / atr at the signal
    decision_id: int | None = None
    learner_version: int | None = None
    size_factor: float | None = None
    context_json: str = "{}"


class EquitySnapshotRow(SQLModel, table=True):
    __tablename__ = "equity_snapshots"
    id: int | None = Field(default=None, primary_key=True)
    ts_ms: int = Field(sa_type=BigInteger, index=True)
    equity: float = 0.0
    cash: float = 0.0
    source: str = "paper"


class ErrorRow(SQLModel, table=True):
    __tablename__ = "errors"
    id: int | None = Field(default=None, primary_key=True)
    ts_ms: int = Field(sa_type=BigInteger, index=True)
    where: str = ""
    kind: str = ""  # user, transient, fatal
    message: str = ""


class SafetyEventRow(SQLModel, table=True):
    """Kill-switch trips, circuit-breaker changes, refused strangers, emergency flattens."""

    __tablename__ = "safety_events"
    id: int | None = Field(default=None, primary_key=True)
    ts_ms: int = Field(sa_type=BigInteger, index=True)
    kind: str = ""  # kill_switch, circuit_open, circuit_closed, stranger, flatten, reconcile
    detail: str = ""
    channel: str = ""
    user_id: str = ""


class MessageRow(SQLModel, table=True):
    """Every chat message in and out, per channel and user."""

    __tablename__ = "conversations"
    id: int | None = Field(default=None, primary_key=True)
    ts_ms: int = Field(sa_type=BigInteger, index=True)
    channel: str = Field(index=True)
    user_id: str = Field(index=True)
    direction: str = "in"  # in, out
    text: str = ""


class DeferredAlertRow(SQLModel, table=True):
    """An alert raised during the owner's quiet hours, kept until it goes out in the digest when
    they end (`released_ms` set in the same statement that claims it, so it is sent once)."""

    __tablename__ = "deferred_alerts"
    id: int | None = Field(default=None, primary_key=True)
    ts_ms: int = Field(sa_type=BigInteger, index=True)
    kind: str = ""
    text: str = ""
    released_ms: int | None = Field(default=None, sa_type=BigInteger, index=True)


class KeyValueRow(SQLModel, table=True):
    """Small durable state: pending confirmations, preferences, kill-switch day, pause flags."""

    __tablename__ = "kv"
    key: str = Field(primary_key=True)
    value: str = ""
    updated_ms: int = Field(default=0, sa_type=BigInteger)


class InsightRow(SQLModel, table=True):
    __tablename__ = "insights"
    id: int | None = Field(default=None, primary_key=True)
    ts_ms: int = Field(sa_type=BigInteger, index=True)
    learner_version: int = 0
    title: str = ""
    text: str = ""
    evidence_json: str = "{}"
    active: bool = True


class LearnerStateRow(SQLModel, table=True):
    __tablename__ = "learner_state"
    version: int | None = Field(default=None, primary_key=True)
    ts_ms: int = Field(default=0, sa_type=BigInteger)
    trained_on: int = 0  # number of closed trades
    model_json: str = "{}"
    note: str = ""


class MemoryRow(SQLModel, table=True):
    """What the agent remembers about a user: a rolling summary (recent turns are messages)."""

    __tablename__ = "memory"
    id: int | None = Field(default=None, primary_key=True)
    user_key: str = Field(index=True, unique=True)  # channel:user_id
    summary: str = ""
    updated_ms: int = Field(default=0, sa_type=BigInteger)


class SchedulerLockRow(SQLModel, table=True):
    """Exactly one scheduler per database: the holder renews its lease; others stand by."""

    __tablename__ = "scheduler_lock"
    name: str = Field(primary_key=True)
    holder: str = ""
    expires_ms: int = Field(default=0, sa_type=BigInteger)


class PositionRow(SQLModel, table=True):
    """One open position's money state (`core.trading.bracket.Bracket`), exact, saved only through
    `core.trading.unit_of_work.UnitOfWork` (one transaction per change, with its trade and order rows).
    `amount`/`entry_cost` are what is still held; `sold`..`exit_fees` total the parts sold so far."""

    __tablename__ = "positions"
    trade_id: int = Field(primary_key=True)
    pair: str = Field(index=True)
    entry_ref: str = ""  # client reference of the entry order
    amount: Decimal = Field(sa_type=ExactDecimal)
    entry_price: Decimal = Field(sa_type=ExactDecimal)
    entry_cost: Decimal = Field(sa_type=ExactDecimal)
    entry_fee: Decimal = Field(sa_type=ExactDecimal)
    stop: Decimal = Field(sa_type=ExactDecimal)
    target: Decimal | None = Field(default=None, sa_type=ExactDecimal)
    stop_order_id: str = ""
    initial_risk: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal)
    entry_ms: int = Field(default=0, sa_type=BigInteger)
    origin: str = "autopilot"  # autopilot or manual: a pair may hold one of each, apart
    placed_by: str = ""  # a manual position's "who on which channel"
    sold: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal)
    proceeds: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal)
    realized: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal)
    exit_fees: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal)
    updated_ms: int = Field(default=0, sa_type=BigInteger)


class CandleRow(SQLModel, table=True):
    """One candle Zyn has seen (fetched, backfilled from Kraken's OHLC or Trades, or imported), kept
    for history: `core.market_data.store_sql.SqlCandleStore` reads and writes it. One row per pair,
    timeframe and open time (re-imports and re-fetches replace it). Prices are floats: candles are
    indicator inputs, never sent to the exchange."""

    __tablename__ = "candles"
    pair: str = Field(primary_key=True)
    timeframe: str = Field(primary_key=True)
    ts_ms: int = Field(sa_type=BigInteger, primary_key=True)  # the candle's open time
    open: float = 0.0
    high: float = 0.0
    low: float = 0.0
    close: float = 0.0
    volume: float = 0.0
