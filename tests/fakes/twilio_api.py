"""A loopback fake of Twilio's Messages REST API + webhook signing for tests.

`POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded (To, From, Body), HTTP Basic auth
(account SID : auth token) -> 201 with the message resource, or Twilio's JSON error shape
(`code`, `message`, `more_info`, `status`). `sign()` computes `X-Twilio-Signature` as Twilio does
(base64 HMAC-SHA1 of the URL followed by the sorted POST parameters, see OUTSIDE.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
from typing import Any

from tests.fakes.loopback_http import Call, LoopbackServer, json_response

MESSAGES = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/Messages\.json$")


def sign(auth_token: str, url: str, params: dict[str, str]) -> str:
    """The X-Twilio-Signature for a webhook POST to `url` with form `params`."""
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, str], bytes]:
    return json_response(
        status,
        {
            "code": code,
            "message": message,
            "status": status,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
        },
    )


class FakeTwilioAPI(LoopbackServer):
    """`url` is what TWILIO_API_URL should be set to; `sent` holds accepted messages."""

    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "twilio-test-token") -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.sent: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def route(self, call: Call) -> tuple[int, dict[str, str], bytes]:
        m = MESSAGES.match(call.path)
        if m is None:
            return _error(404, 20404, "The requested resource was not found")
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if call.headers.get("Authorization") != f"Basic {expected}" or m["sid"] != self.account_sid:
            return _error(401, 20003, "Authenticate")
        if call.method != "POST":
            return json_response(200, {"messages": self.sent})
        to, from_, body = call.params.get("To", ""), call.params.get("From", ""), call.params.get("Body", "")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not from_:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not body:
            return _error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        sid = f"SM{next(self._ids):032x}"
        msg = {
            "sid": sid,
            "account_sid": self.account_sid,
            "to": to,
            "from": from_,
            "body": body,
            "status": "queued",
            "num_segments": "1",
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "date_created": "Wed, 26 Nov 2025 10:00:00 +0000",
            "price": None,
            "error_code": None,
            "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        self.sent.append(msg)
        return json_response(201, msg)
