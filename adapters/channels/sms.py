"""Two-way SMS through Twilio: inbound webhook `POST /sms` (TwiML reply), outbound alerts.

Inbound: `X-Twilio-Signature` is checked with twilio's RequestValidator against the URL Twilio
called — `ZYN_PUBLIC_URL` + path when set (behind a proxy or tunnel the local URL differs and
every genuine request would fail), else the request URL. Missing or wrong signature -> 403,
nothing dispatched.

Replays: a correctly signed request can be captured and sent again, and Twilio itself retries.
Each `MessageSid` is remembered for 15 minutes; a replay gets **200 with an empty
`<Response/>`** (no action, no reply SMS) rather than 409, because Twilio treats non-2xx
answers as failures and would log errors or retry.

Outbound alerts go through `twilio.rest.Client` to `TWILIO_API_URL` (tests: a loopback fake).
MMS needs a public media URL, so `send()` drops images and says so in the text.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request
from loguru import logger as log
from twilio.base.exceptions import TwilioException
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from adapters.channels.config_checks import sms_configured as sms_configured
from adapters.channels.ports import (
    ChannelSettings,
    DispatcherLike,
    Envelope,
    Reply,
    ZynLike,
    channel_settings,
)
from adapters.channels.render import sms_messages
from adapters.channels.replay_cache import DurableReplayCache, ReplayCache

TWIML = "application/xml"
MAX_BODY = 1600  # Twilio's own limit for one inbound message




def make_blueprint(zyn: ZynLike) -> Blueprint:
    """The `/sms` webhook for the composition root's Flask app."""
    db = zyn.db
    durable = DurableReplayCache(db) if db is not None else None
    return sms_blueprint(zyn.dispatcher, channel_settings(zyn.settings), durable)


def sms_blueprint(
    dispatcher: DispatcherLike, channels: ChannelSettings, replay_cache: ReplayCache | DurableReplayCache | None = None
) -> Blueprint:
    """Build the blueprint from its parts (tests pass fakes)."""
    configured = sms_configured(channels)
    validator = RequestValidator(channels.twilio_auth_token) if configured else None
    seen = replay_cache or ReplayCache(ttl_s=900)
    bp = Blueprint("zyn_sms", __name__)

    @bp.post("/sms")
    def sms_webhook() -> Response:
        if validator is None:
            return Response("SMS channel not configured\n", 404, mimetype="text/plain")
        signature = request.headers.get("X-Twilio-Signature", "")
        url = signed_url(channels.public_url)
        if not signature or not validator.validate(url, request.form, signature):
            log.warning("sms: refused a webhook with a missing or invalid signature")
            return Response("invalid signature\n", 403, mimetype="text/plain")
        sid = request.form.get("MessageSid") or request.form.get("SmsSid") or ""
        if sid and not seen.first_time(sid):
            log.info("sms: ignored a replayed MessageSid")
            return Response(str(MessagingResponse()), 200, mimetype=TWIML)
        sender = request.form.get("From", "")
        body = request.form.get("Body", "")[:MAX_BODY]
        reply = _dispatch(dispatcher, Envelope("sms", sender, body))
        twiml = MessagingResponse()
        for text in sms_messages(reply):  # a long reply: several texts, split between rows
            twiml.message(text)
        return Response(str(twiml), 200, mimetype=TWIML)

    return bp


def signed_url(public_url: str) -> str:
    """The URL Twilio signed: the public base URL + path (+ query) when set, else the request URL."""
    if not public_url:
        return request.url
    query = request.query_string.decode("latin-1")
    return public_url.rstrip("/") + request.path + (f"?{query}" if query else "")


def _dispatch(dispatcher: DispatcherLike, env: Envelope) -> Reply:
    """Never let a dispatcher failure become a traceback in an SMS."""
    try:
        return dispatcher.handle(env)
    except Exception:
        log.exception("sms: dispatcher failed")
        return Reply(text="Sorry, something went wrong; nothing was done.", kind="error")


class SmsChannel:
    """Outbound alerts to `SMS_ALERT_TO` through the Twilio REST API (used by the notifier).

    `send()` raises on failure (TwilioException, network errors): the notifier isolates channels.
    """

    def __init__(self, channels: ChannelSettings, timeout_s: float = 10.0) -> None:
        self._channels = channels
        self._client: Any = None
        if sms_configured(channels) and channels.sms_alert_to and channels.twilio_from_number:
            # the REST client is most of twilio's memory: only when alerts go out by SMS (issue 20.5)
            from twilio.http.http_client import TwilioHttpClient  # lazy: twilio loads only when used
            from twilio.rest import Client  # lazy: twilio loads only when used

            http = TwilioHttpClient(timeout=timeout_s)
            self._client = Client(channels.twilio_account_sid, channels.twilio_auth_token, http_client=http)
            self._client.api.base_url = channels.twilio_api_url.rstrip("/")

    @property
    def enabled(self) -> bool:
        return self._client is not None

    def send(self, text: str, image_png: bytes | None = None) -> str:
        """Send an alert: one text of ≤ 3 segments, or a few split between lines when it is long
        (a digest); returns the first message's SID, '' when disabled."""
        if self._client is None:
            return ""
        if image_png is not None:
            text += "\n(chart on the status page)"
        sids: list[str] = []
        for body in sms_messages(Reply(text=text)):
            try:
                message = self._client.messages.create(
                    to=self._channels.sms_alert_to, from_=self._channels.twilio_from_number, body=body
                )
            except TwilioException as exc:
                log.warning("sms: alert not sent: {}", type(exc).__name__)
                raise
            sids.append(str(message.sid or ""))
        return sids[0] if sids else ""
