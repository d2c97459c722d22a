"""A loopback fake of the Slack Web API (what slack_sdk 3.48 sends) + request signing for tests.

Web API answers are HTTP 200 with `{"ok": false, "error": "..."}` on failure, as Slack does;
auth is `Authorization: Bearer xoxb-...`. Supported: auth.test, chat.postMessage, chat.update,
files.getUploadURLExternal -> POST upload_url -> files.completeUploadExternal (the
files_upload_v2 flow). Posting to a user id opens that user's DM ("D" + id), like Slack.
`sign()` makes the headers Slack puts on requests to /slack/events (OUTSIDE.md).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

from tests.fakes.loopback_http import Call, LoopbackServer, json_response


def sign(secret: str, body: str, ts: int | None = None) -> dict[str, str]:
    """Headers for a signed Slack request: `v0=` + hex HMAC-SHA256 of `v0:{ts}:{body}`."""
    ts = int(time.time()) if ts is None else ts
    digest = hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": f"v0={digest}"}


def slash_command_body(user_id: str, text: str, channel_id: str = "C0GENERAL") -> str:
    """Form body of a `/zyn` slash command as Slack posts it."""
    return urlencode(
        {
            "token": "legacy",
            "team_id": "T0TEAM",
            "team_domain": "zyn",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": "jimmy",
            "command": "/zyn",
            "text": text,
            "api_app_id": "A0APP",
            "response_url": "https://hooks.invalid/commands/1",
            "trigger_id": "1.2.3",
        }
    )


def event_body(event: dict[str, Any], event_id: str) -> str:
    """JSON body of an Events API `event_callback`."""
    return json.dumps(
        {
            "token": "legacy",
            "team_id": "T0TEAM",
            "api_app_id": "A0APP",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": "T0TEAM", "user_id": "U0ZYNBOT", "is_bot": True}],
        }
    )


class FakeSlackAPI(LoopbackServer):
    """`url + "/api/"` is what SLACK_API_URL should be set to."""

    def __init__(self, token: str = "xoxb-test-token", bot_user_id: str = "U0ZYNBOT") -> None:
        super().__init__()
        self.token = token
        self.bot_user_id = bot_user_id
        self.not_joined: set[str] = set()  # channels where chat.postMessage says not_in_channel
        self.uploads: dict[str, bytes] = {}
        self._ids = itertools.count(1)

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def posts(self) -> list[dict[str, Any]]:
        return [c.params for c in self.calls_to("/chat.postMessage")]

    def route(self, call: Call) -> tuple[int, dict[str, str], bytes]:
        if call.path.startswith("/upload/"):
            file_id = call.path.rsplit("/", 1)[-1]
            if file_id not in self.uploads:
                return 404, {"Content-Type": "text/plain"}, b"unknown upload"
            self.uploads[file_id] = call.body
            return 200, {"Content-Type": "text/plain"}, f"OK - {len(call.body)}".encode()
        if not call.path.startswith("/api/"):
            return json_response(404, {"ok": False, "error": "unknown_method"})
        auth = call.headers.get("Authorization", "")
        if not auth:
            return json_response(200, {"ok": False, "error": "not_authed"})
        if auth != f"Bearer {self.token}":
            return json_response(200, {"ok": False, "error": "invalid_auth"})
        method = call.path[len("/api/") :].replace(".", "_")
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return json_response(200, {"ok": False, "error": "unknown_method"})
        return json_response(200, handler(call.params))

    def _m_auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://zyn.slack.invalid/",
            "team": "Zyn",
            "user": "zyn",
            "team_id": "T0TEAM",
            "user_id": self.bot_user_id,
            "bot_id": "B0ZYN",
            "is_enterprise_install": False,
        }

    def _m_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802 - Slack's names
        channel = str(p.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.not_joined:
            return {"ok": False, "error": "not_in_channel"}
        error = _check_blocks(p.get("blocks"))
        if error:
            return {"ok": False, "error": error}
        if not p.get("text") and not p.get("blocks"):
            return {"ok": False, "error": "no_text"}
        if channel.startswith("U"):
            channel = "D" + channel[1:]
        ts = f"{int(time.time())}.{next(self._ids):06d}"
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "message": {"type": "message", "text": p.get("text", ""), "bot_id": "B0ZYN", "ts": ts},
        }

    def _m_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("channel") or not p.get("ts"):
            return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": p["channel"], "ts": p["ts"], "text": p.get("text", "")}

    def _m_files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        if not p.get("filename") or not str(p.get("length") or "").isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ids):08d}"
        self.uploads[file_id] = b""
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:  # noqa: N802
        files = p.get("files")
        files = json.loads(files) if isinstance(files, str) else files
        if not files or any(not self.uploads.get(f.get("id", "")) for f in files):
            return {"ok": False, "error": "file_not_found"}
        channel = str(p.get("channel_id") or "")
        if channel and channel[0] not in "CDG":
            return {"ok": False, "error": "invalid_channel"}
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}


def _check_blocks(blocks: Any) -> str:
    """Slack's invalid_blocks rules that matter here: types, sizes, at most 50 blocks."""
    if blocks is None:
        return ""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not isinstance(blocks, list) or len(blocks) > 50:
        return "invalid_blocks"
    for b in blocks:
        kind = b.get("type")
        text = (b.get("text") or {}).get("text", "")
        if kind not in ("header", "section", "actions", "context", "divider", "image"):
            return "invalid_blocks"
        if (kind == "header" and len(text) > 150) or (kind == "section" and len(text) > 3000):
            return "invalid_blocks"
        if kind == "actions" and not 0 < len(b.get("elements") or []) <= 25:
            return "invalid_blocks"
    return ""
