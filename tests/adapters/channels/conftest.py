"""Fixtures for the channel tests: loopback fakes of the outside APIs, a fake Zyn, a live server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from werkzeug.serving import make_server

from adapters.channels import slack, sms, web_chat
from adapters.channels.ports import channel_settings
from adapters.channels.settings import ChannelSettings
from adapters.channels.web_session import SignInThrottle
from adapters.web.chat_lane import chat_lane_for
from tests.fakes.chat_backend import FakeZyn, make_zyn
from tests.fakes.slack_api import FakeSlackAPI
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.fakes.twilio_api import FakeTwilioAPI

OWNER_CHAT = 4242
STRANGER_CHAT = 6666
OWNER_SLACK = "U0JIMMY"
OWNER_PHONE = "+15550001111"
SLACK_SECRET = "slack-signing-secret"  # noqa: S105 - test value


@pytest.fixture
def telegram_api() -> Iterator[FakeTelegramAPI]:
    with FakeTelegramAPI() as api:
        yield api


@pytest.fixture
def slack_api() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI() as api:
        yield api


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioAPI]:
    with FakeTwilioAPI() as api:
        yield api


@pytest.fixture
def channels(
    telegram_api: FakeTelegramAPI, slack_api: FakeSlackAPI, twilio_api: FakeTwilioAPI
) -> ChannelSettings:
    return ChannelSettings(
        telegram_token=telegram_api.token,
        telegram_api_url=telegram_api.url,
        telegram_allowed_chat_ids=(str(OWNER_CHAT),),
        slack_bot_token=slack_api.token,
        slack_signing_secret=SLACK_SECRET,
        slack_api_url=slack_api.api_url,
        slack_allowed_user_ids=(OWNER_SLACK,),
        twilio_account_sid=twilio_api.account_sid,
        twilio_auth_token=twilio_api.auth_token,
        twilio_from_number="+15559990000",
        twilio_api_url=twilio_api.url,
        sms_allowed_numbers=(OWNER_PHONE,),
        sms_alert_to=OWNER_PHONE,
    )


@pytest.fixture
def zyn(channels: ChannelSettings) -> FakeZyn:
    return make_zyn(channels)


def build_app(zyn: FakeZyn) -> Flask:
    """The Flask app as the composition root builds it, from the channel blueprints, with the chat
    fast lane in front (adapters/web/app.py)."""
    app = Flask("zyn-test")
    guard = SignInThrottle()
    app.register_blueprint(web_chat.make_blueprint(zyn, throttle=guard))
    app.wsgi_app = chat_lane_for(  # type: ignore[method-assign]
        app, zyn.dispatcher, channel_settings(zyn.settings).web_chat_token, guard)
    app.register_blueprint(sms.make_blueprint(zyn))
    app.register_blueprint(slack.make_blueprint(zyn))

    @app.get("/api/status")  # the lead's adapters/web/health.py serves this in the real app
    def api_status() -> dict[str, object]:
        return dict(zyn.status.snapshot())

    return app


@pytest.fixture
def app(zyn: FakeZyn) -> Flask:
    return build_app(zyn)


class LiveServer:
    """A real HTTP server (werkzeug, threaded) on 127.0.0.1:<free port> for browser/client tests."""

    def __init__(self, app: Flask) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app)
    yield server
    server.stop()


def without(channels: ChannelSettings, **changes: object) -> ChannelSettings:
    return replace(channels, **changes)  # type: ignore[arg-type]
