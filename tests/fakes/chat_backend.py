"""In-memory stand-ins for the dispatcher and the status service, for the channel tests.

`FakeDispatcher` mimics the contract's behaviour that channels depend on: a per-channel
allow-list (strangers get a `refusal` and nothing runs), `buy ...` echoed as a `confirm` that
runs only on `yes` from the same user on the same channel, `status` with rows, `chart` with a
PNG. `actions` records what "ran", so tests can prove a stranger ran nothing. When the real
`bot.dispatch.dispatcher` lands, the same tests can be pointed at it through `FakeZyn(dispatcher=...)`.
"""

from __future__ import annotations

import struct
import threading
import zlib
from dataclasses import dataclass, field
from typing import Any

from adapters.channels.ports import Envelope, Reply
from adapters.channels.settings import ChannelSettings
from bot.settings import ZynSettings as Settings

SNAPSHOT: dict[str, Any] = {
    "mode": "paper",
    "as_of": "2025-11-26T10:00:00Z",
    "source": "cache",
    "balances": {"USD": 9386.5, "BTC": 0.01},
    "equity_usd": 10012.3,
    "positions": [
        {
            "pair": "BTC/USD",
            "amount": 0.01,
            "entry_price": 61000.0,
            "mark_price": 63600.0,
            "unrealized_pnl": 26.0,
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
    "pnl": {"today": 12.3, "week": -4.5, "all_time": 12.3},
    "trades": {"count": 3, "wins": 2, "losses": 1, "win_rate": 0.667},
    "autopilot": {"running": True, "paused_reason": ""},
    "kill_switch": {"tripped": False, "daily_pnl": 12.3, "limit": -300.0},
    "circuit": {"state": "closed", "failures": 0},
}


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A valid PNG (grey pixels) without any imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    )


class FakeStatus:
    def __init__(self, snapshot: dict[str, Any] | None = None) -> None:
        self.data = dict(snapshot or SNAPSHOT)

    def snapshot(self) -> dict[str, Any]:
        return self.data

    def equity_curve(self) -> list[tuple[int, float]]:
        return [(1_700_000_000_000 + i * 3_600_000, 10_000 + 3.0 * i - (i % 5) * 4.0) for i in range(48)]


@dataclass
class FakeDispatcher:
    """allowed: channel -> user ids allowed on it."""

    allowed: dict[str, set[str]]
    actions: list[tuple[str, str, str]] = field(default_factory=list)
    seen: list[Envelope] = field(default_factory=list)
    _pending: dict[tuple[str, str], str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, env: Envelope) -> Reply:
        with self._lock:
            self.seen.append(env)
            if env.user_id not in self.allowed.get(env.channel, set()):
                return Reply(text="Sorry, I only talk to my owner.", kind="refusal")
            return self._answer(env)

    def _answer(self, env: Envelope) -> Reply:
        words = env.text.strip().lstrip("/").split()
        cmd = words[0].lower() if words else ""
        key = (env.channel, env.user_id)
        if cmd == "buy" and len(words) >= 3:
            self._pending[key] = " ".join(words)
            return Reply(
                text=f"Buy {words[1]} {words[2].upper()} at market, stop 59000, est. cost $610.00. Confirm?",
                kind="confirm",
                title="Confirm order",
                buttons=["yes", "no"],
            )
        if cmd in ("yes", "no"):
            order = self._pending.pop(key, None)
            if order is None:
                return Reply(text="Nothing to confirm.")
            if cmd == "no":
                return Reply(text="Cancelled; nothing was sent.")
            self.actions.append((env.channel, env.user_id, order))
            return Reply(text=f"Filled: {order} @ 61000 (fee $1.59).", title="Order filled")
        if cmd == "status":
            rows: list[tuple[str, ...]] = [
                ("equity", "$10,012.30"),
                ("BTC/USD", "0.01 @ 61000 stop 59000 tp 65000"),
                ("P&L today", "+12.30"),
            ]
            return Reply(text="All good, jimmy.", title="Status", rows=rows)
        if cmd == "trades":  # the real `trades` command's columns: a wide table reply
            columns = ["#", "Pair", "Status", "Amount", "Entry", "Exit", "P&L", "Exit reason"]
            table = [
                ("4", "BTC/USD", "closed", "0.0492", "4,011.4", "3,842.7", "-57.60 USD", "stop"),
                ("3", "ETH/USD", "closed", "1.2345", "2,950.12", "3,101.55", "+180.43 USD", "target"),
                ("1", "BTC/USD", "open", "0.05", "3,803.4", "-", "+10.15 USD", ""),
            ]
            return Reply(text="Last 3 trade(s).", title="Trades", rows=table, columns=columns)
        if cmd == "chart":
            return Reply(text="Equity, last 48 h.", title="Equity", image_png=tiny_png())
        if cmd == "boom":
            raise RuntimeError("simulated failure")
        return Reply(text=f"I did not understand {env.text[:40]!r}; try help.", kind="error")


@dataclass
class FakeZyn:
    """The attributes `make_blueprint(zyn)` reads, with fakes behind them."""

    settings: Settings
    dispatcher: Any
    status: Any = field(default_factory=FakeStatus)
    db: Any = None
    currency: str = "USD"

    def dashboard_settings(self) -> list[tuple[str, str]]:
        """No owner settings here (the page renders without)."""
        return []

    def equity_chart_svg(self, points: list[tuple[int, float]]) -> str:
        """No chart drawn here."""
        return ""


def make_zyn(channels: ChannelSettings, allowed: dict[str, set[str]] | None = None) -> FakeZyn:
    """FakeZyn whose dispatcher allows the channel settings' allow-lists plus the web owner."""
    allowed = allowed or {
        "telegram": set(channels.telegram_allowed_chat_ids),
        "slack": set(channels.slack_allowed_user_ids),
        "sms": set(channels.sms_allowed_numbers),
        "web": {"owner"},
    }
    return FakeZyn(settings=Settings(channels=channels), dispatcher=FakeDispatcher(allowed))
