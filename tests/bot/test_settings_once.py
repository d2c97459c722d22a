"""Settings are read once, by the settings loader: `.env` reaches every command, and no other
module reads the process environment (issue 18, point 4)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import ZynSettings, load_settings, read_environment
from tests.bot.cli.test_startup_mistakes import CLEAN

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "bot", "adapters", "scheduler")
# bot/settings.py reads once for every command; bot/settings_light.py is the stdlib-only reader of the
# terminal client path to a running owner (issue 22.6: no pydantic import before forwarding)
SETTINGS_MODULES = {"bot/settings.py", "bot/settings_light.py"}


def _zyn(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=120)


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEAN)}
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.mark.parametrize("command", [
    ["backtest", "--data", "{data}/kraken/KRAKEN_BTC-USD_1h.csv", "--json"],
    ["backtest", "--data", "{data}/kraken", "--learn", "--seeds", "1", "--json"],
    ["run", "--port", "0"],
], ids=["backtest", "backtest-learn", "run"])
def test_a_bad_strategy_in_dot_env_stops_every_command(tmp_path: Path, data_dir: Path, command: list[str]) -> None:
    (tmp_path / ".env").write_text("ZYN_STRATEGY=nope\nPAPER_FEED=replay\n")
    out = _zyn([a.format(data=data_dir) for a in command], tmp_path, _clean_env())
    lines = out.stderr.strip().splitlines()
    assert out.returncode == 2, out.stderr
    assert len(lines) == 1 and "ZYN_STRATEGY='nope'" in lines[0] and "Traceback" not in out.stderr, out.stderr
    assert out.stdout == ""
    assert not (tmp_path / "var" / "zyn.db").exists()


def test_the_environment_wins_over_dot_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("ZYN_STRATEGY=nope\nZYN_TZ=Europe/Berlin\n# a comment\nZYN_USER_NAME='ann'\n")
    monkeypatch.setenv("ZYN_STRATEGY", "sma20_atr")
    seen = read_environment(env_file)
    assert seen["ZYN_STRATEGY"] == "sma20_atr" and seen["ZYN_TZ"] == "Europe/Berlin" and seen["ZYN_USER_NAME"] == "ann"
    settings = load_settings(seen)
    assert (settings.strategy, settings.tz, settings.user_name) == ("sma20_atr", "Europe/Berlin", "ann")


def test_no_dot_env_file_is_just_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZYN_PAIRS", "ETH/USD")
    seen = read_environment(tmp_path / "missing.env")
    assert seen["ZYN_PAIRS"] == "ETH/USD"
    assert load_settings(seen).pairs_explicit and not load_settings({}).pairs_explicit


def test_channel_blocks_are_composed_and_keep_their_secrets_out_of_logs() -> None:
    settings = load_settings({"TELEGRAM_BOT_TOKEN": "123:ABCsecret", "TELEGRAM_ALLOWED_CHAT_IDS": "1, 2",
                              "SLACK_SIGNING_SECRET": "slk-secret", "WEB_CHAT_TOKEN": "web-secret",
                              "TWILIO_API_URL": "http://127.0.0.1:9/"})
    assert isinstance(settings, ZynSettings)
    ch = settings.channels
    assert ch.telegram_token == "123:ABCsecret" and ch.telegram_allowed_chat_ids == ("1", "2")
    assert ch.twilio_api_url == "http://127.0.0.1:9" and ch.slack_api_url == "https://slack.com/api/"
    text = repr(settings) + str(settings.redacted())
    assert not any(s in text for s in ("ABCsecret", "slk-secret", "web-secret"))


def test_a_bad_log_level_is_the_same_one_line_as_before() -> None:
    from core.domain import UserError

    with pytest.raises(UserError, match=r"^ZYN_LOG_LEVEL='loud' must be one of TRACE, DEBUG"):
        load_settings({"ZYN_LOG_LEVEL": "loud"})
    assert load_settings({"ZYN_LOG_LEVEL": "debug"}).log_level == "DEBUG"


def _environment_reads(tree: ast.AST) -> list[int]:
    """Lines that touch os.environ / os.getenv / os.putenv, or import environ/getenv from os."""
    hits: list[int] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "environb", "getenv", "putenv", "unsetenv"):
            if isinstance(node.value, ast.Name) and node.value.id == "os":
                hits.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            if any(a.name in ("environ", "environb", "getenv", "putenv") for a in node.names):
                hits.append(node.lineno)
    return hits


def test_the_scan_sees_each_way_of_reading_the_environment() -> None:
    code = ("import os\nfrom os import getenv\nos.environ.get('A')\nos.getenv('B')\nx = os.environ\n"
            "os.environ['C'] = '1'\n")
    assert sorted(_environment_reads(ast.parse(code))) == [2, 3, 4, 5, 6]


def test_no_module_outside_the_settings_loader_reads_the_environment() -> None:
    offenders: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel in SETTINGS_MODULES:
                continue
            offenders += [f"{rel}:{line}" for line in _environment_reads(ast.parse(path.read_text(), rel))]
    assert offenders == [], "read the setting from the settings object instead: " + ", ".join(offenders)
