"""`zyn run` with a startup mistake: exit 2, one line naming it, and NOTHING created (issue 19.8).

The outside probe found that 38 of 39 mistakes left a `var/` folder and an empty `var/zyn.log`,
and four (a 7-minute timeframe, an empty PAPER_DATA file, a Telegram token or Slack credentials
without an allow-list) also left `var/zyn.db`; four were not refused at all. Each case runs the
real `zyn run` (`python -m bot run`) in an empty temporary directory and then asserts the
directory is still exactly as the test left it. The runs are independent (own directory, port 0
where a port matters), so the cases are safe under xdist.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import shared_data

CLEAN = ("ZYN_", "DATABASE_URL", "PAPER_", "KRAKEN_", "TELEGRAM_", "SLACK_", "TWILIO_", "SMS_", "OPENAI_", "WEB_CHAT")
LIVE = {"ZYN_MODE": "live", "ZYN_LIVE_CONFIRM": "yes", "KRAKEN_API_KEY": "key",
        "KRAKEN_API_SECRET": "c2VjcmV0LXNlY3JldC1zZWNyZXQ="}

# (id, environment, the word the one line must contain); "{tmp}" is the run's directory
CASES: list[tuple[str, dict[str, str], str]] = [
    ("timeframe 7m", {"ZYN_TIMEFRAME": "7m"}, "ZYN_TIMEFRAME"),
    ("timeframe words", {"ZYN_TIMEFRAME": "3 days"}, "ZYN_TIMEFRAME"),
    ("empty PAPER_DATA file", {"PAPER_DATA": "{tmp}/given/empty.csv"}, "PAPER_DATA"),
    ("PAPER_DATA missing", {"PAPER_DATA": "{tmp}/given/nothing-here"}, "PAPER_DATA"),
    ("PAPER_DATA folder without csv", {"PAPER_DATA": "{tmp}/given/none"}, "PAPER_DATA"),
    ("PAPER_DATA not a csv", {"PAPER_DATA": "{tmp}/given/junk.csv"}, "PAPER_DATA"),
    ("telegram without allow-list", {"TELEGRAM_BOT_TOKEN": "123:abc"}, "TELEGRAM_ALLOWED_CHAT_IDS"),
    ("slack without allow-list", {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, "SLACK_ALLOWED_USER_IDS"),
    ("kraken url not a url", {**LIVE, "KRAKEN_API_URL": "not a url"}, "KRAKEN_API_URL"),
    ("kraken url ftp", {**LIVE, "KRAKEN_API_URL": "ftp://example.com"}, "KRAKEN_API_URL"),
    ("secret not base64", {**LIVE, "KRAKEN_API_SECRET": "not base64!"}, "KRAKEN_API_SECRET"),
    ("pairs only commas", {"ZYN_PAIRS": " , "}, "ZYN_PAIRS"),
    ("pair unreadable", {"ZYN_PAIRS": "BTC/USD,??"}, "??"),
    ("pair not in the data", {"ZYN_PAIRS": "BTC/USDD"}, "BTC/USDD"),
    ("live confirm YES", {**LIVE, "ZYN_LIVE_CONFIRM": "YES"}, "ZYN_LIVE_CONFIRM"),
    ("live without confirm", {**LIVE, "ZYN_LIVE_CONFIRM": ""}, "ZYN_LIVE_CONFIRM"),
    ("live without keys", {"ZYN_MODE": "live", "ZYN_LIVE_CONFIRM": "yes"}, "KRAKEN_API_KEY"),
    ("bad mode", {"ZYN_MODE": "liev"}, "ZYN_MODE"),
    ("bad feed", {"PAPER_FEED": "tape"}, "PAPER_FEED"),
    ("bad number", {"PAPER_SPEED": "fast"}, "PAPER_SPEED"),
    ("negative balance", {"PAPER_BALANCE_USD": "-5"}, "PAPER_BALANCE_USD"),
    ("time zone", {"ZYN_TZ": "Mars/Olympus"}, "ZYN_TZ"),
    ("log level", {"ZYN_LOG_LEVEL": "loud"}, "ZYN_LOG_LEVEL"),
    ("database scheme", {"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
    ("sqlite two slashes", {"DATABASE_URL": "sqlite://var/zyn.db"}, "DATABASE_URL"),
    ("postgres unreachable", {"DATABASE_URL": "postgresql://zyn@127.0.0.1:{closed_port}/zyn"}, "DATABASE_URL"),
    ("strategy", {"ZYN_STRATEGY": "moon"}, "ZYN_STRATEGY"),
    ("public bind without token", {"--host": "0.0.0.0"}, "WEB_CHAT_TOKEN"),
]


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def run_zyn(tmp_path: Path, data_dir: Path, extra: dict[str, str], args: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN)}
    env["PAPER_FEED"] = "replay"  # never the internet from a test
    env["PAPER_DATA"] = str(data_dir / "kraken")
    env.update({k: v.format(tmp=tmp_path, closed_port=closed_port()) for k, v in extra.items()})
    host = env.pop("--host", "127.0.0.1")  # a command-line argument in the case table, not a variable
    argv = [sys.executable, "-m", "bot", "run", "--host", host, "--port", str(closed_port()), *args]
    return subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60)


@dataclass(frozen=True)
class Outcome:
    result: subprocess.CompletedProcess[str]
    before: set[str]
    after: set[str]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    """Every case's `zyn run`, four at a time (each in its own empty directory), run once for the
    module: the cases are independent processes, so the file takes seconds, not a minute."""
    data_dir = shared_data()

    def one(case: tuple[str, dict[str, str], str]) -> tuple[str, Outcome]:
        run_dir = tmp_path_factory.mktemp("startup")
        given = run_dir / "given"
        (given / "none").mkdir(parents=True)
        (given / "empty.csv").write_bytes(b"")
        (given / "junk.csv").write_text("this is not a candle file\n")
        before = tree(run_dir)
        result = run_zyn(run_dir, data_dir, case[1], [])
        return case[0], Outcome(result, before, tree(run_dir))

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(one, CASES))


@pytest.mark.parametrize(("case", "names"), [(c[0], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_a_startup_mistake_is_one_line_exit_2_and_creates_nothing(outcomes: dict[str, Outcome], case: str,
                                                                  names: str) -> None:
    out = outcomes[case]
    lines = out.result.stderr.strip().splitlines()
    assert out.result.returncode == 2, out.result.stderr
    assert len(lines) == 1 and names in lines[0] and "Traceback" not in out.result.stderr, out.result.stderr
    assert out.after == out.before, "created: " + ", ".join(sorted(out.after - out.before))


def test_port_in_use_is_one_line_exit_2_and_creates_nothing(tmp_path: Path, data_dir: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        out = run_zyn(tmp_path, data_dir, {}, ["--port", str(port)])
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "already in use" in out.stderr
    assert tree(tmp_path) == set()
