"""The backtest against an independent, deliberately naive re-implementation of DESIGN.md's spec
(floats, arrays, no shared code) on real candles — what an outside check would do."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

from core.domain import Candle, Market
from core.market_data.csv_loader import load_csv
from core.market_data.resample import resample
from core.research.backtest import Backtester

DAY = 86_400_000


def reference(c: list[Candle], fee: float = 0.0026) -> tuple[list[tuple[int, int, str]], float]:  # noqa: C901
    n = len(c)
    sma = [None] * n
    atr = [None] * n
    trs = []
    for i in range(n):
        if i >= 19:
            sma[i] = sum(x.close for x in c[i - 19 : i + 1]) / 20
        tr = c[i].high - c[i].low if i == 0 else max(
            c[i].high - c[i].low, abs(c[i].high - c[i - 1].close), abs(c[i].low - c[i - 1].close))
        trs.append(tr)
        if i == 13:
            atr[i] = sum(trs) / 14
        elif i > 13:
            atr[i] = (13 * atr[i - 1] + tr) / 14
    cash, pos, trades = 10_000.0, None, []
    pending = flatten = False
    losses_in_row, cool_from, cool_until, halted_day = 0, -1, -1, None
    start_eq, cur_day, last_eq = 10_000.0, None, 10_000.0
    for t in range(n):
        if flatten and pos:
            cash += pos["amt"] * c[t].open * (1 - fee)
            pnl = pos["amt"] * c[t].open * (1 - fee) - pos["cost"]
            trades.append((pos["t"], t, "kill_switch"))
            losses_in_row = losses_in_row + 1 if pnl < 0 else 0
            if losses_in_row >= 2:
                cool_from, cool_until = t + 1, t + 6
            pos = None
        flatten = False
        if pending:
            amt, a = pending
            price = c[t].open
            cost = amt * price * (1 + fee)
            cash -= cost
            pos = {"amt": amt, "cost": cost, "stop": price - 1.5 * a, "tgt": price + 3 * a, "t": t}
            pending = False
        if pos:
            exit_px = reason = None
            if c[t].low <= pos["stop"]:
                exit_px, reason = min(c[t].open, pos["stop"]), "stop"
            elif c[t].high >= pos["tgt"]:
                exit_px, reason = max(c[t].open, pos["tgt"]), "target"
            if reason:
                cash += pos["amt"] * exit_px * (1 - fee)
                pnl = pos["amt"] * exit_px * (1 - fee) - pos["cost"]
                trades.append((pos["t"], t, reason))
                losses_in_row = losses_in_row + 1 if pnl < 0 else 0
                if losses_in_row >= 2:
                    cool_from, cool_until = t + 1, t + 6
                pos = None
        eq = cash + (pos["amt"] * c[t].close if pos else 0)
        day = c[t].ts // DAY
        if cur_day is not None and day != cur_day:
            start_eq = last_eq
        cur_day, last_eq = day, eq
        if halted_day != day and eq <= 0.97 * start_eq:
            halted_day = day
            if pos:
                flatten = True
        if t + 1 >= n or sma[t] is None or atr[t] is None or sma[t - 1] is None:
            continue
        cross = c[t - 1].close <= sma[t - 1] and c[t].close > sma[t]
        if pos is None and cross and halted_day != day and not (cool_from <= t <= cool_until):
            nxt = c[t + 1].open
            amt = min(0.01 * eq / (1.5 * atr[t]), 0.25 * eq / nxt)
            amt = math.floor(amt * 1e8) / 1e8
            if amt > 0:
                pending = (amt, atr[t])
    return trades, last_eq


def test_backtest_matches_naive_reference_on_real_candles(data_dir: Path) -> None:
    candles = resample(load_csv(data_dir / "kraken" / "KRAKEN_BTC-USD_1h.csv"), "1h", "4h")[:4000]
    result = Backtester("BTC/USD", "4h", Market("BTC/USD", "BTC", "USD")).run(candles)
    ref_trades, ref_equity = reference(candles)
    index = {cd.ts: i for i, cd in enumerate(candles)}
    ours = [(index[t.entry_ts], index[t.exit_ts], t.reason) for t in result.trades]
    assert len(ours) > 50
    assert ours == ref_trades
    assert abs(result.equity_curve[-1] - ref_equity) / ref_equity < 1e-6


def test_cli_json_has_every_contract_field(data_dir: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "backtest", "--data", str(data_dir / "kraken_small" / "KRAKEN_BTC-USDT_5m.csv"),
         "--json"], capture_output=True, text=True, check=True, timeout=60,
    )
    body = json.loads(out.stdout)
    fields = ("pair, timeframe, candles, trades, wins, losses, win_rate, profit_factor, expectancy_r, "
              "total_return, max_drawdown, sharpe, final_equity, fees_paid, seconds").split(", ")
    assert list(body) == fields
    assert body["pair"] == "BTC/USDT" and body["timeframe"] == "5m"
    assert body["wins"] + body["losses"] == body["trades"]


def test_cli_bad_csv_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "KRAKEN_BTC-USD_1h.csv"
    bad.write_text("timestamp,open,high,low,close,volume\n1546300800000,1,2,0.5,nan,1\n")
    out = subprocess.run([sys.executable, "-m", "bot", "backtest", "--data", str(bad), "--json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "NaN" in out.stderr and "Traceback" not in out.stderr
