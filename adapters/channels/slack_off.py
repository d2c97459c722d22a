"""`POST /slack/events` where Slack is not set up: a 404, without loading slack_bolt or slack_sdk.

Why its own module: the Slack channel's module imports bolt and the SDK (~2.5 MB) at import, and
every `zyn run` serves this route whether or not Slack is configured (issue 20.5)."""

from __future__ import annotations

from flask import Blueprint, Response


def unconfigured_blueprint() -> Blueprint:
    bp = Blueprint("zyn_slack", __name__)

    @bp.post("/slack/events")
    def slack_events_off() -> Response:
        return Response("Slack channel not configured\n", 404, mimetype="text/plain")

    return bp
