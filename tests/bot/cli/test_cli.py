"""The command line's promises: one line and exit 2 for a user mistake, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(args: list[str], cwd: Path, *, timeout_s: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """`zyn ARGS` in a child process; `timeout_s` is only an upper bound for a hung child (a heavy
    command such as the pooled walk-forward passes a larger one: a loaded machine stretches it)."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("ZYN_", "PAPER_", "KRAKEN_", "DATABASE_URL"))}
    full.update(env)
    full["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, cwd=cwd,
                          env=full, timeout=timeout_s)


@pytest.mark.parametrize(
    ("dotenv", "needle"),
    [
        ("ZYN_MODE=yolo\n", "ZYN_MODE"),
        ("ZYN_MODE=live\nKRAKEN_API_KEY=k\nKRAKEN_API_SECRET=s\n", "ZYN_LIVE_CONFIRM"),
        ("PAPER_SPEED=fast\n", "PAPER_SPEED"),
        ("ZYN_TIMEFRAME=4x\n", "timeframe"),
        ("PAPER_FEED=replay\n", "PAPER_DATA"),
    ],
)
def test_malformed_dotenv_is_one_line_exit_2(tmp_path: Path, dotenv: str, needle: str) -> None:
    (tmp_path / ".env").write_text(dotenv)
    out = run(["status", "--json"], tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/z.db")
    assert out.returncode == 2, out.stderr
    assert needle in out.stderr and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert out.stdout == ""


def test_secret_never_printed(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ZYN_MODE=live\nKRAKEN_API_KEY=key-123\nKRAKEN_API_SECRET=sEcReT-xyz\n")
    out = run(["status"], tmp_path)
    assert "sEcReT-xyz" not in out.stderr + out.stdout and "key-123" not in out.stderr + out.stdout


def test_unknown_command_and_bad_args(tmp_path: Path) -> None:
    assert run(["frobnicate"], tmp_path).returncode == 2
    out = run(["backtest", "--data", str(tmp_path / "missing_BTC-USD_1h.csv")], tmp_path)
    assert out.returncode == 2 and "no such file" in out.stderr


def test_offline_status_without_market_data_still_answers(tmp_path: Path) -> None:
    out = run(["chat", "status"], tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/z.db", PAPER_FEED="replay",
              PAPER_DATA=str(tmp_path / "nowhere"))
    assert out.returncode == 2 and "nowhere" in out.stderr
    unreachable = run(["chat", "what is the autopilot doing?"], tmp_path, DATABASE_URL=f"sqlite:///{tmp_path}/y.db",
                      PAPER_FEED="auto", KRAKEN_API_URL="http://127.0.0.1:9")
    assert unreachable.returncode == 0, unreachable.stderr
    assert unreachable.stdout.strip()


def test_backtest_plot_and_learn_json(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "kraken_small" / "KRAKEN_BTC-USDT_5m.csv"
    data = Path(os.environ.get("ZYN_SHARED_DATA", data.parents[1])) / "kraken_small" / data.name
    png = tmp_path / "eq.png"
    out = run(["backtest", "--data", str(data), "--plot", str(png)], tmp_path)
    assert out.returncode == 0, out.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and "final_equity" in out.stdout
    money = {line.split(":")[0].strip(): line.split(":")[1].strip() for line in out.stdout.splitlines() if ":" in line}
    for key in ("final_equity", "fees_paid"):  # money to the cent, like every reply
        assert len(money[key].split(".")[1]) == 2, money[key]
    import json

    learn = run(["backtest", "--data", str(data), "--timeframe", "15m", "--learn", "--json"], tmp_path)
    assert learn.returncode == 0, learn.stderr
    body = json.loads(learn.stdout)
    assert set(body) == {"baseline", "learned", "folds", "skipped_by_learner"}
    assert body["baseline"]["timeframe"] == "15m" and set(body["learned"]) == set(body["baseline"])


def test_every_plot_is_written_or_fails_in_one_line(tmp_path: Path) -> None:
    data = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "kraken_small" / "KRAKEN_BTC-USDT_5m.csv"
    data = Path(os.environ.get("ZYN_SHARED_DATA", data.parents[1])) / "kraken_small" / data.name
    png = tmp_path / "wf.png"
    out = run(["backtest", "--data", str(data), "--timeframe", "1h", "--learn", "--plot", str(png)], tmp_path)
    assert out.returncode == 0, out.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f"plot written to {png}" in out.stderr
    bad = run(["backtest", "--data", str(data), "--plot", str(tmp_path / "nowhere" / "x.png")], tmp_path)
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "no such folder" in bad.stderr


def test_charts_put_dates_on_the_x_axis() -> None:
    from bot.alerts.chart_figures import backtest_figure

    hours = [1_717_200_000_000 + i * 3_600_000 for i in range(48)]  # 2024-06-01 00:00 UTC on
    fig = backtest_figure(hours, {"equity": [10_000.0 + i for i in range(48)]}, "t")
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert any(label.startswith(("06-01", "06-02", "2024-06")) for label in labels), labels
