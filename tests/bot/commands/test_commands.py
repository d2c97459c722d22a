"""Each command answers with a structured Reply (title, text, rows); channels render it."""

import io
from collections.abc import Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.cli.shell import chat_exit_code, chat_once, run_shell
from bot.conversation.envelope import Reply, render_plain
from bot.dispatch.dispatcher import Dispatcher
from core.telemetry.kv import KeyValueStore
from core.telemetry.models import InsightRow
from tests.fakes.services import T0, FakeStatus

Say = Callable[..., Reply]


def test_status(say: Say) -> None:
    reply = say("/status")
    assert reply.title == "Status" and reply.kind == "text"
    rows = reply.row_dict()
    assert rows["Mode"] == "paper" and rows["Equity"] == "10,012.30 USD"
    assert rows["P&L today / week / all"] == "+12.30 USD / -4.50 USD / +112.30 USD"
    assert rows["Autopilot"] == "running" and rows["Exchange link"] == "ok"


def test_status_paused_and_cached(say: Say, status: FakeStatus) -> None:
    status.snap["autopilot"] = {"running": True, "paused_reason": "kill-switch"}
    status.snap["source"] = "cache"
    reply = say("status")
    assert "autopilot paused (kill-switch)" in reply.text and "cached" in reply.text


def test_balance_positions_orders(say: Say) -> None:
    assert say("balance").row_dict() == {"BTC": "0.01", "USD": "9,386.50", "Equity (USD)": "10,012.30 USD"}
    pos = say("positions")
    assert pos.columns[:2] == ["Pair", "Amount"] and pos.rows[0][-2:] == ("59,000.0", "65,000.0")
    orders = say("orders")
    assert orders.rows[0][0] == "OABC12-XYZ" and orders.is_table


def test_empty_account(say: Say, status: FakeStatus) -> None:
    status.snap["positions"], status.snap["open_orders"], status.trades = [], [], []
    assert say("positions").text == "No open positions."
    assert say("orders").text == "No open orders."
    assert say("trades").text == "No trades yet."


def test_pnl_and_trades(say: Say) -> None:
    assert say("pnl").row_dict() == {
        "Today": "+12.30 USD",
        "This week": "-4.50 USD",
        "All time": "+112.30 USD",
    }
    assert say("pnl week").text == "P&L this week: -4.50 USD."
    assert say("pnl all").text == "P&L all time: +112.30 USD."
    assert len(say("trades 2").rows) == 2


def test_help_set_prefs(say: Say, kv: KeyValueStore) -> None:
    reply = say("help")
    assert reply.text.startswith("Hi jimmy") and any(r[0].startswith("buy|sell") for r in reply.rows)
    assert say("set name Jim").text == "Got it, Jim."
    assert say("help").text.startswith("Hi Jim,")
    assert "20:30" in say("set report_time 20:30").text and kv.get("pref:daily_report_time") == "20:30"
    assert say("set report_time 25:00").kind == "error"
    assert say("set tz Europe/Berlin").kind == "text" and say("set tz Mars/Base").kind == "error"
    assert say("set colour blue").text.startswith("Unknown setting 'colour'")


def test_insights_learn_backtest(say: Say, db: Engine) -> None:
    assert "No insights yet" in say("insights").text
    with Session(db) as s:
        s.add(InsightRow(ts_ms=T0, title="Asia session", text="Entries 00-08 UTC lost 0.4R on average"))
        s.add(InsightRow(ts_ms=T0, title="old", text="retired", active=False))
        s.commit()
    assert say("insights").rows == [("Asia session", "Entries 00-08 UTC lost 0.4R on average")]
    learn = say("learn")
    assert learn.text == "Learner v2 trained on 12 trades." and ("version", "2") in learn.rows
    bt = say("backtest xbtusd")
    assert bt.title == "Backtest BTC/USD" and bt.row_dict()["trades"] == "7"


def test_why_unknown_trade(say: Say) -> None:
    reply = say("why 42")
    assert reply.kind == "error" and reply.text == "There is no trade #42; send trades to see their numbers"


def test_memory_and_forget(say: Say) -> None:
    say("status")
    assert say("memory").title == "Memory"
    assert say("forget").text.startswith("Done")


def test_chart(say: Say, status: FakeStatus) -> None:
    png = say("chart").image_png
    assert png is not None and png.startswith(b"\x89PNG")
    assert say("chart pnl").image_png is not None
    status.curve = []
    assert say("chart").image_png is None


def test_render_plain_table_and_pairs(say: Say) -> None:
    text = render_plain(say("orders"))
    assert "ID" in text.splitlines()[2] and "OABC12-XYZ" in text
    assert "[yes] [no]" in render_plain(say("buy 0.01 btc"))


def test_shell_loop_and_chat_once(dispatcher: Dispatcher) -> None:
    out = io.StringIO()
    assert (
        run_shell(dispatcher, stdin=io.StringIO("status\n\nbuy 0.01 btc\nyes\nexit\nstatus\n"), stdout=out)
        == 0
    )
    text = out.getvalue()
    assert "Status" in text and "please confirm" in text and "Bought 0.01 BTC/USD at 61,000.0, stop 59,170.0" in text
    assert text.count("Status") == 1  # stopped at exit
    reply = chat_once(dispatcher, "buy -1 btc")
    assert reply.kind == "error" and chat_exit_code(reply) == 2
    assert chat_exit_code(chat_once(dispatcher, "status")) == 0


def test_the_learn_reply_reads_as_text_not_as_python() -> None:
    """A real re-learn's changes (core.learning.learner.diff_models) as the `learn` reply shows them."""
    from bot.commands.learning import learn_rows

    changes = {
        "version": 2, "previous_version": None, "trained_on": 68, "previous_trained_on": 0,
        "overall_r": 0.0114, "previous_overall_r": None, "ready": True, "gated": [], "newly_gated": [],
        "no_longer_gated": [], "sized": {"Asia session": 0.8},
        "moved": [{"context": "Asia session", "n": 23, "before_r": None, "after_r": 0.189},
                  {"context": "US session", "n": 26, "before_r": 0.012, "after_r": -0.104}],
    }
    rows = dict(learn_rows(changes))
    assert rows["overall R per trade"] == "+0.01R" and rows["previous overall R per trade"] == "none"
    assert rows["Asia session (23 trades)"] == "new -> +0.19R" and rows["US session (26 trades)"] == "+0.01R -> -0.10R"
    assert rows["sized"] == "Asia session x0.8" and rows["gated"] == "none" and rows["ready"] == "yes"
    shown = " ".join(f"{k} {v}" for k, v in rows.items())
    assert not any(t in shown for t in ("[", "{", "None", "True", "before_r", "'"))
