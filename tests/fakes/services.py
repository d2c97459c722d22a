"""In-memory fakes of the services the dispatcher calls (bot/conversation/services.py Protocols).

`FakeTrading.calls` records every money action, so a test can prove that nothing ran; its
preview fills in a default stop/target like the real service may, so tests can check that the
echoed values are the ones placed after `yes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.domain import UserError
from core.trading.commands import CancelOrders, Command, Flatten, FlattenPair, Pause, PlaceManualOrder, Resume
from core.trading.results import Code, EntryFill, TradeResult

PRICES = {"BTC/USD": Decimal("61000"), "ETH/USD": Decimal("3000")}
T0 = 1_717_243_200_000  # 2024-06-01 12:00 UTC (a Saturday)
HOUR = 3_600_000


@dataclass(frozen=True)
class FakePreview:
    text: str
    amount: Decimal
    pair: str
    side: str
    price_est: Decimal | None
    stop: Decimal | None
    target: Decimal | None
    est_cost: Decimal
    closes_positions: int = 0


@dataclass(frozen=True)
class FakeResult:
    ok: bool
    text: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeTrading:
    calls: list[tuple[str, Any]] = field(default_factory=list)
    fail_with: BaseException | None = None
    preview_text: str = ""
    closes_positions: int = 0  # what a sell's preview says it closes

    def _maybe_fail(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with

    def preview_order(self, req: Any) -> FakePreview:
        self._maybe_fail()
        if req.pair not in PRICES:
            raise UserError(f"unknown pair {req.pair}")
        price = req.price or PRICES[req.pair]
        stop = req.stop if req.stop is not None else (price * Decimal("0.97")).quantize(Decimal("1"))
        target = req.target if req.target is not None else (price * Decimal("1.06")).quantize(Decimal("1"))
        cost = (req.amount * price * Decimal("1.0026")).quantize(Decimal("0.01"))
        closes = self.closes_positions if req.side == "sell" else 0
        return FakePreview(self.preview_text, req.amount, req.pair, req.side, price, stop, target, cost, closes)

    def place_manual(self, req: Any) -> FakeResult:
        self._maybe_fail()
        self.calls.append(("place_manual", req))
        return FakeResult(True, f"Placed {req.side} {req.amount} {req.pair}.")

    def cancel(self, order_id: str | None) -> FakeResult:
        self.calls.append(("cancel", order_id))
        return FakeResult(True, f"Cancelled {order_id or 'all'}.")

    def flatten(self, reason: str) -> FakeResult:
        self.calls.append(("flatten", reason))
        return FakeResult(True, "Flattened.")

    def flatten_pair(self, pair: str, reason: str) -> FakeResult:
        self.calls.append(("flatten_pair", pair))
        return FakeResult(True, f"Closed {pair}.")

    def pause(self, reason: str, until_ms: int | None = None) -> FakeResult:
        self.calls.append(("pause", reason) if until_ms is None else ("pause_until", (reason, until_ms)))
        return FakeResult(True, "")

    def resume(self) -> FakeResult:
        self.calls.append(("resume", None))
        return FakeResult(True, "Autopilot resumed.")

    def handle(self, cmd: Command) -> TradeResult:
        """The trading door: records the call under the old method names and answers with data
        (a buy fills at the fake's price with the stop and target it was given)."""
        match cmd:
            case PlaceManualOrder(order=req):
                self.place_manual(req)
                price = req.price or PRICES.get(req.pair, Decimal(1))
                if req.side == "sell":
                    return TradeResult(True, Code.SOLD, req.pair, "sell", req.amount, price)
                stop = req.stop if req.stop is not None else price * Decimal("0.97")
                entry = EntryFill(len(self.calls), req.amount, price, stop, req.target)
                return TradeResult(True, Code.BOUGHT, req.pair, "buy", req.amount, price, entry=entry)
            case CancelOrders(order_id=order_id):
                self.cancel(order_id)
                return TradeResult(True, Code.CANCELED, canceled=1 if order_id else 0)
            case Flatten(reason=reason):
                self.flatten(reason)
                return TradeResult(True, Code.FLATTENED)
            case FlattenPair(pair=pair, reason=reason):
                self.flatten_pair(pair, reason)
                return TradeResult(True, Code.CLOSED, pair)
            case Pause(reason=reason, until_ms=until_ms):
                self.pause(reason, until_ms)
                return TradeResult(True, Code.PAUSED)
            case Resume():
                self.resume()
                return TradeResult(True, Code.RESUMED)
        raise AssertionError(f"the fake does not take {cmd!r}")


@dataclass
class FakeMarket:
    """`MarketPort`: the fixed PRICES, Kraken's price decimals (the paper catalog's)."""

    def price(self, pair: str) -> Decimal:
        if pair not in PRICES:
            raise UserError(f"no price for {pair}")
        return PRICES[pair]

    def price_decimals(self, pair: str) -> int:
        from core.markets.catalog import market_for

        return market_for(pair).pair_decimals  # BTC/USD 1, ETH/USD 2, XRP/USD 5, DOGE/USD 7

    def lot_decimals(self, pair: str) -> int:
        return 8


def default_snapshot() -> dict[str, Any]:
    return {
        "mode": "paper",
        "as_of": "2024-06-01T12:00:00Z",
        "source": "exchange",
        "balances": {"USD": 9386.5, "BTC": 0.01},
        "equity_usd": 10012.3,
        "positions": [
            {
                "pair": "BTC/USD",
                "amount": 0.01,
                "entry_price": 61000.0,
                "mark_price": 62600.0,
                "unrealized_pnl": 16.0,
                "stop_price": 59000.0,
                "take_profit_price": 65000.0,
            }
        ],
        "open_orders": [
            {
                "id": "OABC12-XYZ",
                "pair": "BTC/USD",
                "side": "sell",
                "type": "stop-loss",
                "price": 59000.0,
                "amount": 0.01,
            }
        ],
        "pnl": {"today": 12.3, "week": -4.5, "all_time": 112.3},
        "trades": {"count": 3, "wins": 2, "losses": 1, "win_rate": 0.667},
        "autopilot": {"running": True, "paused_reason": ""},
        "kill_switch": {"tripped": False, "daily_pnl": 12.3, "limit": -300.0},
        "circuit": {"state": "closed", "failures": 0},
    }


def default_trades() -> list[dict[str, Any]]:
    closed = [
        (3, "BTC/USD", 30.0, T0 - 2 * HOUR),  # today
        (2, "ETH/USD", -10.0, T0 - 30 * HOUR),  # yesterday
        (1, "BTC/USD", 5.0, T0 - 10 * 24 * HOUR),  # older than a week
    ]
    return [
        {
            "id": i,
            "pair": p,
            "status": "closed",
            "amount": 0.01,
            "entry_price": 60000.0,
            "exit_price": 61000.0,
            "pnl": pnl,
            "exit_reason": "target",
            "exit_ms": ts,
            "entry_ms": ts - 5 * HOUR,
        }
        for i, p, pnl, ts in closed
    ]


@dataclass
class FakeStatus:
    snap: dict[str, Any] = field(default_factory=default_snapshot)
    pnls: dict[str, float] = field(default_factory=lambda: {"today": 12.3, "week": -4.5, "all": 112.3})
    trades: list[dict[str, Any]] = field(default_factory=default_trades)
    curve: list[tuple[int, float]] = field(
        default_factory=lambda: [
            (T0 - (48 - i) * 4 * HOUR, 10_000 + 3.0 * i - (i % 5) * 4.0) for i in range(49)
        ]
    )

    def snapshot(self) -> Mapping[str, Any]:
        return self.snap

    def pnl(self, period: str) -> float:
        return self.pnls[period]

    def recent_trades(self, n: int) -> Sequence[Mapping[str, Any]]:
        return self.trades[:n]

    def positions(self) -> Sequence[Mapping[str, Any]]:
        return list(self.snap["positions"])

    def open_orders(self) -> Sequence[Mapping[str, Any]]:
        return list(self.snap["open_orders"])

    def equity_curve(self) -> Sequence[tuple[int, float]]:
        return self.curve


@dataclass
class FakeLearner:
    runs: int = 0

    def relearn(self) -> Mapping[str, Any]:
        self.runs += 1
        return {"text": "Learner v2 trained on 12 trades.", "version": 2}


@dataclass
class FakeBacktester:
    def backtest(self, pair: str) -> Mapping[str, Any]:
        return {
            "pair": pair,
            "timeframe": "4h",
            "candles": 500,
            "trades": 7,
            "wins": 4,
            "losses": 3,
            "win_rate": 0.5714,
            "final_equity": 10250.0,
            "max_drawdown": 0.031,
        }
