"""Every startup mistake is one line on stderr naming the setting, exit 2, and nothing written.

Driven through the real `zyn` command (`python -m bot`) in a clean directory, the way jimmy
would meet each mistake; the database file must not exist afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

CLEAN = ("ZYN_", "DATABASE_URL", "PAPER_", "KRAKEN_", "TELEGRAM_", "SLACK_", "TWILIO_", "SMS_", "OPENAI_", "WEB_CHAT")

# (id, command, environment, what the one line must name)
CASES: list[tuple[str, list[str], dict[str, str], str]] = [
    ("log level", ["status"], {"ZYN_LOG_LEVEL": "loud"}, "ZYN_LOG_LEVEL"),
    ("log level on run", ["run"], {"ZYN_LOG_LEVEL": "loud"}, "ZYN_LOG_LEVEL"),
    ("database url", ["run"], {"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ("database url on chat", ["chat", "status"], {"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ("sqlite url form", ["status"], {"DATABASE_URL": "sqlite://var/zyn.db"}, "DATABASE_URL"),
    ("unknown pair", ["run"], {"ZYN_PAIRS": "BTC/USDD", "PAPER_FEED": "replay", "PAPER_DATA": "{data}/kraken"},
     "BTC/USDD"),
    ("malformed number", ["run"], {"PAPER_SPEED": "fast"}, "PAPER_SPEED"),
    ("negative number", ["run"], {"PAPER_BALANCE_USD": "-5"}, "PAPER_BALANCE_USD"),
    ("lease", ["run"], {"ZYN_OWNER_LEASE_S": "nan"}, "ZYN_OWNER_LEASE_S"),
    ("missing data", ["run"], {"PAPER_FEED": "replay", "PAPER_DATA": "/nonexistent/candles"}, "PAPER_DATA"),
    ("empty data folder", ["run"], {"PAPER_FEED": "replay", "PAPER_DATA": "{tmp}/empty"}, "PAPER_DATA"),
    ("bad mode", ["run"], {"ZYN_MODE": "liev"}, "ZYN_MODE"),
    ("live needs confirm", ["run"], {"ZYN_MODE": "live", "KRAKEN_API_KEY": "k", "KRAKEN_API_SECRET": "s"},
     "ZYN_LIVE_CONFIRM"),
    ("time zone", ["run"], {"ZYN_TZ": "Mars/Olympus"}, "ZYN_TZ"),
    ("timeframe", ["run"], {"ZYN_TIMEFRAME": "3 days"}, "3 days"),
    # issue 17: a paper account is funded in one quote currency; the servant's settings are checked
    ("mixed quotes in paper", ["run"], {"ZYN_PAIRS": "BTC/USD,ETH/USDT"}, "quote currencies (USD, USDT)"),
    ("evidence switch", ["run"], {"ZYN_EVIDENCE": "maybe"}, "ZYN_EVIDENCE"),
    ("total risk cap", ["run"], {"ZYN_MAX_TOTAL_RISK_PCT": "-1"}, "ZYN_MAX_TOTAL_RISK_PCT"),
    ("max positions", ["run"], {"ZYN_MAX_POSITIONS": "0"}, "ZYN_MAX_POSITIONS"),
    ("paper balance", ["run"], {"PAPER_BALANCE": "lots"}, "PAPER_BALANCE"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(tmp_path: Path, data_dir: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN)}
    env["PAPER_FEED"] = "replay"  # never probe the internet from a test
    env["PAPER_DATA"] = str(data_dir / "kraken")
    env.update({k: v.format(data=data_dir, tmp=tmp_path) for k, v in extra.items()})
    return env


@pytest.mark.parametrize(("command", "extra", "names"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_bad_setting_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, data_dir: Path, command: list[str],
                                                             extra: dict[str, str], names: str) -> None:
    (tmp_path / "empty").mkdir()
    # a free port, not the default 5000: another `zyn run` on the machine must not answer for the setting
    port = ["--port", str(_free_port())] if command == ["run"] else []
    out = subprocess.run([sys.executable, "-m", "bot", *command, *port], cwd=tmp_path, capture_output=True,
                         text=True, env=_env(tmp_path, data_dir, extra), timeout=60)
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2, out.stderr
    assert len(lines) == 1 and names in lines[0] and "Traceback" not in out.stderr, out.stderr
    assert not (tmp_path / "var" / "zyn.db").exists()


def test_port_in_use_is_one_line_exit_2_and_writes_nothing(tmp_path: Path, data_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = subprocess.run([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=tmp_path,
                             capture_output=True, text=True, env=_env(tmp_path, data_dir, {}), timeout=60)
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert f"--port {port}" in out.stderr and "already in use" in out.stderr
    assert not (tmp_path / "var" / "zyn.db").exists()
