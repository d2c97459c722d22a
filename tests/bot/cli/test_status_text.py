"""`zyn status` (text) speaks the owner's words: the circuit breaker's "closed" is "ok" to him."""

from __future__ import annotations

from bot.text.status_text import format_snapshot


def snapshot(state: str) -> dict[str, object]:
    return {"mode": "paper", "source": "exchange", "equity": 10000.0, "balances": {"USD": 10000.0},
            "open_orders": [], "pnl": {"today": 0.0, "week": 0.0, "all_time": 0.0},
            "trades": {"count": 0}, "autopilot": {"running": True}, "kill_switch": {"tripped": False},
            "circuit": {"state": state}}


def test_a_healthy_exchange_link_reads_ok_and_an_open_breaker_says_entries_are_paused() -> None:
    assert "exchange link ok" in format_snapshot(snapshot("closed"))
    down = format_snapshot(snapshot("open"))
    assert "exchange link down (circuit breaker open; new entries paused)" in down
    assert "closed" not in format_snapshot(snapshot("closed")).split("exchange link")[1]


def test_no_trades_yet_reads_win_rate_n_a() -> None:
    assert "win rate n/a" in format_snapshot(snapshot("closed"))
