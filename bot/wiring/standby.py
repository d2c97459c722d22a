"""Builds the web app of a second `zyn run` on a database another process owns: it serves its
web page and webhooks by forwarding to the owner, and never places, cancels, reconciles or books
anything.

It builds no exchange and no trading service at all (so it cannot touch money by accident); it
only watches the lease (`bot/owner/standby.py`). Its `/healthz` and `/api/status` are the owner's
routes (`adapters/web/health.py`) with the standby's report.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy.engine import Engine

from adapters.channels import sms, web_chat
from adapters.channels.dashboard import decisions_from_db, insights_from_db
from adapters.channels.replay_cache import DurableReplayCache
from adapters.channels.slack import SlackChannel, slack_configured
from adapters.web.health import health_blueprint
from bot.alerts.charts import equity_curve_svg
from bot.owner.forwarding import ForwardingDispatcher, ForwardingStatus, OwnerLookup
from bot.owner.ownership import read_token
from bot.owner.settings import dashboard_rows
from bot.owner.standby import standby_health
from bot.settings import ZynSettings
from core.status.equity_curve import recorded_equity
from core.telemetry.kv import KeyValueStore


def create_standby_app(settings: ZynSettings, db: Engine, kv: KeyValueStore) -> Flask:
    lookup = OwnerLookup(db, kv, lambda: read_token(settings.database_url))
    dispatcher = ForwardingDispatcher(lookup, settings.user_name)
    status = ForwardingStatus(lookup, lambda: recorded_equity(db, settings.mode))
    app = Flask("zyn-standby")
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    app.register_blueprint(health_blueprint(lambda: standby_health(lookup, settings.mode), status.snapshot,
                                            lambda: settings.channels.web_chat_token))
    app.register_blueprint(web_chat.web_blueprint(
        dispatcher, settings.channels, status=status, decisions=lambda n: decisions_from_db(db, n),
        insights=lambda: insights_from_db(db), user_name=settings.user_name,
        settings=lambda: dashboard_rows(kv, settings.tz), chart=equity_curve_svg,
    ))
    app.register_blueprint(sms.sms_blueprint(dispatcher, settings.channels, DurableReplayCache(db)))
    if slack_configured(settings.channels):  # else Flask's 404, as in the owner
        app.register_blueprint(SlackChannel(settings.channels, dispatcher).blueprint())
    return app
