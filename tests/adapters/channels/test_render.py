"""Reply -> channel formats: escaping, limits, SMS segment arithmetic."""

from __future__ import annotations

from adapters.channels.ports import Reply
from adapters.channels.render import (
    fit_sms,
    format_table,
    is_gsm7,
    plain_text,
    slack_blocks,
    slack_messages,
    slack_text,
    sms_messages,
    sms_segments,
    sms_text,
    telegram_html,
    telegram_messages,
)
from tests.fakes.telegram_api import html_to_text


def test_sms_segment_arithmetic() -> None:
    assert sms_segments("") == 0
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2
    assert sms_segments("a" * 459) == 3 and sms_segments("a" * 460) == 4
    assert sms_segments("€" * 80) == 1 and sms_segments("€" * 81) == 2  # extension chars cost 2
    assert sms_segments("é" * 160) == 1  # é is GSM-7
    assert sms_segments("ą" * 70) == 1 and sms_segments("ą" * 71) == 2 and sms_segments("ą" * 201) == 3


def test_fit_sms_keeps_gsm7_and_three_segments() -> None:
    text = fit_sms("“Stop hit” – BTC/USD… " + "x" * 1000)
    assert is_gsm7(text) and text.endswith("...") and sms_segments(text) == 3 and len(text) == 459
    ucs2 = fit_sms("Zyn 🚀 " + "ą" * 500)
    assert ucs2.endswith("…") and sms_segments(ucs2) == 3
    assert fit_sms("short\x00\x07 one") == "short one"


def test_sms_text_for_confirm_says_how_to_answer() -> None:
    reply = Reply(text="Buy 0.01 BTC/USD, stop 59000.", kind="confirm", title="Confirm order")
    assert sms_text(reply).endswith("Reply yes to confirm or no to cancel.")


def test_columns_become_a_header_row() -> None:
    reply = Reply(text="", title="Trades", rows=[("1", "BTC/USD", "+12.30")], columns=["id", "pair", "pnl"])
    assert plain_text(reply).splitlines() == ["Trades", "id · pair · pnl", "1 · BTC/USD · +12.30"]
    assert format_table([("a", "bb"), ("ccc", "d")]) == "a    bb\nccc  d"


def test_telegram_html_is_valid_and_bounded() -> None:
    reply = Reply(text="<script>&" * 2000, title="A & <B>", rows=[("x<y", "1")])
    html = telegram_html(reply)
    text, error = html_to_text(html)
    assert not error and len(html) <= 4096 and text.startswith("A & <B>\n<script>&")


def test_slack_blocks_escape_and_buttons() -> None:
    reply = Reply(text="ping <!channel> & <@U1>", kind="confirm", title="T" * 200, rows=[("k", "v")])
    blocks = slack_blocks(reply)
    assert blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= 150
    assert "&lt;!channel&gt; &amp; &lt;@U1&gt;" in blocks[1]["text"]["text"]
    assert [e["value"] for e in blocks[-1]["elements"]] == ["yes", "no"]
    assert blocks[-1]["elements"][0]["style"] == "primary"
    long = slack_blocks(Reply(text="x" * 5000))  # split into sections, not cut
    assert [len(b["text"]["text"]) for b in long] == [3000, 2000]
    assert slack_text(Reply(text="x" * 5000)).replace("\n", "") == "x" * 5000


def test_telegram_never_cuts_a_cell() -> None:
    """The help table's long descriptions used to be cut at 24 characters ("posi…")."""
    long = "mode, equity, P&L, positions, autopilot state"
    labelled = telegram_html(Reply(text="", title="Commands", rows=[("status", long)]))
    assert f"<b>status</b>: {long.replace('&', '&amp;')}" in labelled and "…" not in labelled
    wide = Reply(
        text="",
        title="Positions",
        rows=[("BTC/USD", "0.01", "61,000.0", "62,600.0", "+16.00 USD", "59,000.0", "65,000.0")],
        columns=["Pair", "Amount", "Entry", "Mark", "Unrealized", "Stop", "Target"],
    )
    text, error = html_to_text(telegram_html(wide))
    assert not error and "BTC/USD\nAmount: 0.01\nEntry: 61,000.0" in text and "Target: 65,000.0" in text
    narrow = telegram_html(Reply(text="", rows=[("1", "BTC")], columns=["#", "pair"]))
    assert "<pre>#  pair\n1  BTC</pre>" in narrow  # a table that fits a phone stays a table


def test_sms_names_table_cells_by_their_column() -> None:
    reply = Reply(text="", title="Trades", rows=[("1", "BTC/USD", "+12.30")], columns=["#", "pair", "pnl"])
    assert sms_text(reply).splitlines() == ["Trades", "1: pair BTC/USD, pnl +12.30"]
    labelled = Reply(text="ok", rows=[("Equity", "10,000.00 USD")])
    assert sms_text(labelled).splitlines() == ["ok", "Equity: 10,000.00 USD"]


def test_a_reply_longer_than_one_message_is_split_between_rows_not_cut() -> None:
    rows = [(f"#{i}", "BTC/USD", "closed", "0.01", "61,000.0", "62,000.0", f"+{i}.00 USD", "target")
            for i in range(120)]
    reply = Reply(text="Last 120 trade(s).", title="Trades", rows=rows,
                  columns=["#", "Pair", "Status", "Amount", "Entry", "Exit", "P&L", "Exit reason"])
    telegram = [html_to_text(m) for m in telegram_messages(reply)]
    assert len(telegram) > 1 and not any(error for _, error in telegram)
    assert all(len(m) <= 4096 for m in telegram_messages(reply))
    shown = "\n\n".join(t for t, _ in telegram)
    assert all(f"#{i}\nPair: BTC/USD" in shown and f"P&L: +{i}.00 USD" in shown for i in range(120))
    slack = slack_messages(reply)
    sections = [b["text"]["text"] for _, blocks in slack for b in blocks if b["type"] == "section"]
    assert all(len(s) <= 3000 for s in sections) and all(len(blocks) <= 50 for _, blocks in slack)
    assert all(any(f"*#{i}*\nPair: BTC/USD" in s for s in sections) for i in range(120))
    narrow = Reply(text="", rows=[(str(i), "BTC") for i in range(900)], columns=["#", "pair"])
    chunks = telegram_messages(narrow)  # a narrow table stays a table in every part, header repeated
    assert len(chunks) > 1 and all(c.startswith("<pre>#    pair\n") and c.endswith("</pre>") for c in chunks)


def test_an_sms_reply_too_long_for_three_texts_names_what_was_left_out() -> None:
    rows = [(f"BTC/USD #{i}", "amount 0.01, entry 61,000.0, stop 59,000.0") for i in range(60)]
    texts = sms_messages(Reply(text="60 open position(s).", title="Positions", rows=rows))
    assert len(texts) == 3 and all(sms_segments(t) <= 3 for t in texts)
    sent = [line for t in texts for line in t.splitlines()]
    assert sent[-1].startswith("(+") and "more line(s) not sent by SMS" in sent[-1]
    whole = [line for line in sent if line.startswith("BTC/USD #")]
    assert all(line.endswith("stop 59,000.0") for line in whole)  # every row sent is whole
    assert int(sent[-1][2:].split()[0]) == 60 - len(whole)
