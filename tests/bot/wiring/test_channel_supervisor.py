"""A chat channel that cannot start is retried in the background; trading never waits for it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from adapters.channels.settings import ChannelSettings
from adapters.channels.telegram import TelegramChannel
from bot.wiring.channel_supervisor import ChannelSupervisor
from core.domain import Event
from tests.bot.cli.test_run_process import free_port, wait_healthy
from tests.fakes.chat_backend import make_zyn
from tests.fakes.telegram_api import FakeTelegramAPI


class RecordingNotifier:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.registered: list[str] = []
        self.unregistered: list[str] = []

    def register(self, name: str, send: Callable[[str, bytes | None], object]) -> None:
        self.registered.append(name)

    def unregister(self, name: str) -> None:
        self.unregistered.append(name)

    def notify(self, event: Event) -> None:
        self.events.append(event)


def wait_until(pred: Callable[[], bool], timeout_s: float = 20.0) -> None:
    end = time.monotonic() + timeout_s
    while not pred():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.05)


def test_unreachable_then_back_is_retried_reported_and_restored() -> None:
    with FakeTelegramAPI() as api:
        channels = ChannelSettings(
            telegram_token=api.token, telegram_api_url=api.url, telegram_allowed_chat_ids=("4242",)
        )
        channel = TelegramChannel(channels, make_zyn(channels).dispatcher, poll_timeout_s=1)
        api.fail_next("getMe", 502, "Bad Gateway")
        notifier = RecordingNotifier()
        sup = ChannelSupervisor("telegram", channel, notifier, first_delay_s=0.05)
        sup.start()
        try:
            wait_until(lambda: sup.state()["state"] == "up")
            assert sup.state()["attempts"] == 2 and channel.running
        finally:
            sup.stop()
            channel.stop()
    texts = [e.text for e in notifier.events]
    assert len(texts) == 2 and "could not start" in texts[0] and "connected again" in texts[1]
    assert notifier.unregistered == ["telegram"] and notifier.registered == ["telegram"]


def test_zyn_run_keeps_trading_with_telegram_unreachable(tmp_path: Path, data_dir: Path) -> None:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/zyn.db", "PAPER_FEED": "replay",
           "PAPER_DATA": str(data_dir / "kraken"), "PAPER_SPEED": "360000", "ZYN_LOG_LEVEL": "WARNING",
           "TELEGRAM_BOT_TOKEN": "123:unreachable-token", "TELEGRAM_ALLOWED_CHAT_IDS": "4242",
           "TELEGRAM_API_URL": "http://127.0.0.1:9"}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--port", str(port)], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # the page answers while `zyn run` still reconciles: wait for its scheduler (a lighter
        # start-up, issue 20.5, answered /healthz before the scheduler had started)
        health = wait_healthy(port, scheduled=True)
        assert health["scheduler"]["running"]
        end = time.monotonic() + 30
        while health["channels"]["telegram"]["state"] != "retrying":
            assert time.monotonic() < end and proc.poll() is None
            time.sleep(0.2)
            health = wait_healthy(port)
        assert health["channels"]["telegram"]["error"] and health["channels"]["telegram"]["attempts"] >= 1
        assert proc.poll() is None  # still running: the outage did not stop trading
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err[-2000:]
    assert "unreachable-token" not in err
