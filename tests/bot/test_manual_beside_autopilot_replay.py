"""Issue 22.1, the owner's own steps, through the real composition root on a replay of real
candles: `buy 0.05 BTC sl 1000 tp 90000`, `yes`, then the autopilot trades BTC beside it. The
manual position shows ITS entry and P&L in the status JSON and in `positions`; every trade's
P&L is the same in `trades` as in `why`.

ZYN_EVIDENCE=off: the autopilot trades the plain strategy (it must trade beside the manual buy)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from bot.commands.context import fmt_money, fmt_price
from bot.conversation.envelope import Envelope
from bot.wiring.app import build_zyn
from core.config import load_settings
from core.telemetry.models import TradeRow

DAY = 86_400_000


def test_a_manual_buy_beside_autopilot_trades_keeps_its_own_entry_and_every_trade_one_pnl(
    tmp_path: Path, data_dir: Path
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay", "ZYN_EVIDENCE": "off",
           "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "36000", "ZYN_TIMEFRAME": "4h"}
    zyn = build_zyn(load_settings(env))
    try:
        def say(text: str) -> str:
            return str(zyn.dispatcher.handle(Envelope("cli", "owner", text)).text)

        zyn.replay.step(zyn.replay.start_ms() + 10 * DAY)
        assert "Buy 0.05 BTC/USD" in say("buy 0.05 BTC sl 1000 tp 90000")
        assert "Trade #" in say("yes")
        with Session(zyn.db) as s:
            manual = s.exec(select(TradeRow).where(TradeRow.status == "open")).one()
        bought = manual.entry_ms
        for _ in range(120):  # until the autopilot has bought AND sold BTC after the manual buy
            zyn.replay.step(zyn.clock.now_ms() + DAY)
            with Session(zyn.db) as s:
                beside = s.exec(select(TradeRow).where(TradeRow.pair == "BTC/USD", TradeRow.status == "closed",
                                                       TradeRow.entry_ms > bought)).all()
            if beside:
                break
        assert beside, "the autopilot traded BTC beside the manual position"
        snap = zyn.status.snapshot()
        [row] = [p for p in snap["positions"] if p["trade_id"] == manual.id]
        assert row["entry_price"] == float(manual.entry_price) and row["amount"] == 0.05
        assert (row["stop_price"], row["take_profit_price"]) == (1000.0, 90000.0)
        listed = zyn.dispatcher.handle(Envelope("cli", "owner", "positions"))
        [shown] = [r for r in listed.rows if r[0] == f"BTC/USD #{manual.id} manual"]
        assert shown[2] == fmt_price(manual.entry_price, 1)
        with Session(zyn.db) as s:
            closed = s.exec(select(TradeRow).where(TradeRow.status == "closed")).all()
        trades = zyn.dispatcher.handle(Envelope("cli", "owner", "trades 50"))
        by_id = {r[0]: r for r in trades.rows}
        assert str(manual.id) in by_id and by_id[str(manual.id)][2] == "open"  # `trades` lists open trades
        for t in closed:
            pnl = fmt_money(t.pnl, "USD", signed=True)
            assert by_id[str(t.id)][6] == pnl, t.id
            assert f"P&L {fmt_money(t.pnl, signed=True)}" in say(f"why {t.id}")
        # issue 22.2 at the same instant: one "today" in the JSON, chat `status` and `kill switch`
        snap = zyn.status.snapshot()
        today = fmt_money(snap["pnl"]["today"], signed=True)
        assert snap["pnl"]["today"] == snap["kill_switch"]["daily_pnl"]
        assert f"today {today}" in say("status") and f"today {today}" in say("killswitch")
    finally:
        zyn.close()


def test_buy_in_dollars_over_the_owners_max_position_is_refused_in_one_line(tmp_path: Path, data_dir: Path) -> None:
    """Issue 22.3 as the owner met it: `set max position 20%`, then `buy $5000 of BTC` (~50 % of
    equity) went to confirmation. Now: one line naming the limit and what fits; nothing pending."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
           "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "36000", "ZYN_TIMEFRAME": "4h"}
    zyn = build_zyn(load_settings(env))
    try:
        zyn.replay.step(zyn.replay.start_ms() + 10 * DAY)  # the ATR for the default stop is known
        assert "20 %" in zyn.dispatcher.handle(Envelope("cli", "owner", "set max position 20%")).text
        reply = zyn.dispatcher.handle(Envelope("cli", "owner", "buy $5000 of BTC"))
        assert reply.kind in ("error", "refusal") and "\n" not in reply.text
        assert "max position of 20%" in reply.text and "the most that fits is" in reply.text
        assert zyn.dispatcher.handle(Envelope("cli", "owner", "yes")).text == "There is nothing waiting for a yes."
        assert zyn.exchange.fetch_open_orders() == []
    finally:
        zyn.close()
