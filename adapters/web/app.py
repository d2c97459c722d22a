"""The one Flask app: health/status JSON, the web chat + dashboard, and the SMS/Slack webhooks."""

from __future__ import annotations

from flask import Flask

from adapters.channels import sms, web_chat
from adapters.channels.config_checks import slack_configured
from adapters.channels.ports import channel_settings
from adapters.channels.slack_off import unconfigured_blueprint
from adapters.channels.web_session import SignInThrottle
from adapters.web import health, owner_api
from adapters.web.chat_lane import chat_lane_for
from adapters.web.owner_api import OwnerActions
from adapters.web.ports import WebZyn


def create_web_app(zyn: WebZyn, owner: OwnerActions | None = None) -> Flask:
    """`owner`: the routes through which other local `zyn` processes act (only in the owner)."""
    app = Flask("zyn")
    app.config["MAX_CONTENT_LENGTH"] = 256 * 1024
    app.register_blueprint(health.make_blueprint(zyn))
    guard = SignInThrottle()  # one wrong-token count for the chat routes and the lane before them
    app.register_blueprint(web_chat.make_blueprint(zyn, throttle=guard))
    # an ordinary POST /api/chat is answered before Flask's request cycle (issue 20.1; Flask's
    # documented middleware seam, set here while the app is built): adapters/web/chat_lane.py
    token = channel_settings(zyn.settings).web_chat_token
    app.wsgi_app = chat_lane_for(app, zyn.dispatcher, token, guard)  # type: ignore[method-assign]
    app.register_blueprint(sms.make_blueprint(zyn))
    if owner is not None:
        app.register_blueprint(owner_api.make_blueprint(owner))
    modules = zyn.modules  # the dashboard shows which modules are on (issue 9)
    app.context_processor(lambda: {"features_on": modules.status_line()})
    configured = zyn.channels.get("slack")
    if configured is None and not slack_configured(channel_settings(zyn.settings)):
        app.register_blueprint(unconfigured_blueprint())  # a 404, and slack_bolt stays unloaded (issue 20.5)
        return app
    from adapters.channels import slack as slack_module  # lazy: slack-bolt, only when Slack is set up

    if isinstance(configured, slack_module.SlackChannel):  # the configured Slack channel serves its own signed route
        app.register_blueprint(configured.blueprint())
    else:
        app.register_blueprint(slack_module.make_blueprint(zyn))
    return app
