"""Slack: slash command `/zyn`, app mentions and DMs at `POST /slack/events`, alerts by DM.

`X-Slack-Signature` and `X-Slack-Request-Timestamp` are verified on the raw body (wrong or older
than 5 minutes -> 401, see slack_guard) before bolt parses anything; bolt verifies them again.
Listeners `ack()` at once (Slack gives 3 s) and do the work in bolt's background thread
(`process_before_response=False`), then answer with
`chat.postMessage` (mrkdwn fallback + Block Kit, yes/no buttons on confirmations) and charts
with `files_upload_v2`. Slack redelivers events it thinks were missed, and a signed request can
be replayed within the 5-minute window, so each `event_id` is acted on once (replays get 200).
`token_verification_enabled=False` keeps `App()` from calling `auth.test` at construction (it
would block start-up on the network); bolt still calls it once on the first request.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, request
from loguru import logger as log
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.channels.config_checks import slack_configured as slack_configured
from adapters.channels.ports import (
    ChannelConfigError,
    ChannelSettings,
    DispatcherLike,
    Envelope,
    Reply,
    ZynLike,
    channel_settings,
)
from adapters.channels.render import slack_messages
from adapters.channels.replay_cache import ReplayCache
from adapters.channels.slack_guard import bolt_error, refusal
from adapters.channels.slack_off import unconfigured_blueprint

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
MAX_EVENT_BYTES = 256 * 1024
_FALLBACK_ERRORS = ("channel_not_found", "not_in_channel", "is_archived")




def make_blueprint(zyn: ZynLike) -> Blueprint:
    """`POST /slack/events` for the composition root's Flask app (404 when Slack is not set up)."""
    channels = channel_settings(zyn.settings)
    if not slack_configured(channels):
        return unconfigured_blueprint()
    return SlackChannel(channels, zyn.dispatcher).blueprint()


def web_client(channels: ChannelSettings, timeout_s: int = 10) -> WebClient:
    """WebClient on SLACK_API_URL; slack_sdk joins method names onto it, so it needs a slash."""
    base = channels.slack_api_url.rstrip("/") + "/"
    return WebClient(token=channels.slack_bot_token, base_url=base, timeout=timeout_s)


class SlackChannel:
    """One Slack workspace: the bolt app (inbound) and a WebClient (replies and alerts)."""

    def __init__(self, channels: ChannelSettings, dispatcher: DispatcherLike | None = None) -> None:
        if not slack_configured(channels):
            raise ChannelConfigError("Slack: SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set")
        self._channels = channels
        self._dispatcher = dispatcher
        self.client = web_client(channels)
        self._seen = ReplayCache(ttl_s=900)
        self._app: App | None = None

    # --- outbound ---------------------------------------------------------------------------

    def send(self, text: str, image_png: bytes | None = None) -> str:
        """Alert the first allowed user by DM; returns the message ts. Raises on Slack errors."""
        if not self._channels.slack_allowed_user_ids:
            return ""
        user = self._channels.slack_allowed_user_ids[0]
        return self.post_reply(user, Reply(text=text, image_png=image_png))

    def post_reply(self, channel: str, reply: Reply, thread_ts: str | None = None) -> str:
        """Post a rendered reply (several messages when it is long; then its chart as a file)
        to a channel, DM or user id; returns the first message's ts."""
        first_ts, posted_in = "", channel
        for text, blocks in slack_messages(reply):
            kwargs: dict[str, Any] = {"text": text, "blocks": blocks, "mrkdwn": True}
            if thread_ts:
                kwargs["thread_ts"] = thread_ts
            resp = self.client.chat_postMessage(channel=posted_in, **kwargs)
            posted_in = str(resp.get("channel") or posted_in)
            first_ts = first_ts or str(resp.get("ts") or "")
        if reply.image_png:
            self.client.files_upload_v2(
                channel=posted_in,
                file=reply.image_png,
                filename="zyn-chart.png",
                title=reply.title or "chart",
            )
        return first_ts

    # --- inbound ----------------------------------------------------------------------------

    def blueprint(self) -> Blueprint:
        """Flask blueprint with `POST /slack/events` handled by bolt."""
        handler = SlackRequestHandler(self.bolt_app())
        bp = Blueprint("zyn_slack", __name__)

        @bp.post("/slack/events")
        def slack_events() -> Response:
            if (request.content_length or 0) > MAX_EVENT_BYTES:
                return Response("payload too large\n", 413, mimetype="text/plain")
            refused = refusal(self._channels.slack_signing_secret, request.get_data(cache=True), request.headers)
            if refused is not None:
                return Response(f"{refused[1]}\n", refused[0], mimetype="text/plain")
            return handler.handle(request)

        return bp

    def bolt_app(self) -> App:
        """The bolt App with Zyn's listeners (built once)."""
        if self._app is None:
            app = App(
                signing_secret=self._channels.slack_signing_secret,
                client=self.client,
                token_verification_enabled=False,
                name="zyn",
            )
            app.error(bolt_error)  # a signed body bolt still chokes on: 400, not 500 (issue 19.7)
            app.use(self._drop_replays)
            app.command("/zyn")(self._on_command)
            app.event("app_mention")(self._on_mention)
            app.event("message")(self._on_message)
            app.action(re.compile(r"^zyn_reply_"))(self._on_button)
            self._app = app
        return self._app

    def _drop_replays(self, req: BoltRequest, body: dict[str, Any], next: Any) -> Any:  # noqa: A002
        """Act once per event_id; and once per signature, which covers slash commands and button
        presses (no event_id): a captured `/zyn yes` replayed within the 5-minute window has the
        same timestamp and body, hence the same signature. Runs after bolt verified it."""
        event_id = body.get("event_id") if isinstance(body, dict) else None
        signature = (req.headers.get("x-slack-signature") or [""])[0]
        keys = [f"event:{event_id}"] if event_id else []
        keys += [f"sig:{signature}"] if signature else []
        fresh = [self._seen.first_time(k) for k in keys]  # record every key, no short-circuit
        if not all(fresh):
            log.info("slack: ignored a redelivered or replayed request")
            return BoltResponse(status=200, body="")
        return next()

    def _on_command(self, ack: Any, command: dict[str, Any]) -> None:
        ack()
        self._answer(command.get("user_id", ""), command.get("text", ""), command.get("channel_id", ""))

    def _on_mention(self, event: dict[str, Any]) -> None:
        text = MENTION.sub("", event.get("text", "")).strip()
        self._answer(event.get("user", ""), text, event.get("channel", ""), event.get("thread_ts"))

    def _on_message(self, event: dict[str, Any]) -> None:
        """Direct messages only; our own and other bots' messages and edits are ignored."""
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        self._answer(event.get("user", ""), event.get("text", ""), event.get("channel", ""))

    def _on_button(self, ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        channel = (body.get("channel") or {}).get("id", "")
        self._answer((body.get("user") or {}).get("id", ""), str(action.get("value", "")), channel)

    def _answer(self, user: str, text: str, channel: str, thread_ts: str | None = None) -> None:
        """Dispatch and post the reply; a failure is logged, never raised into bolt."""
        if not user or self._dispatcher is None:
            return
        try:
            reply = self._dispatcher.handle(Envelope("slack", user, text))
        except Exception:
            log.exception("slack: dispatcher failed")
            reply = Reply(text="Sorry, something went wrong; nothing was done.", kind="error")
        try:
            try:
                self.post_reply(channel or user, reply, thread_ts)
            except SlackApiError as exc:
                if exc.response.get("error") not in _FALLBACK_ERRORS:
                    raise
                self.post_reply(user, reply)  # bot not in that channel: answer by DM instead
        except Exception as exc:  # Slack down or refusing: log it, bolt's thread must go on
            error = exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            log.warning("slack: reply not posted: {}", error)
