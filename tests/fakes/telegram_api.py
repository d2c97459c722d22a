"""A loopback fake of the Telegram Bot API, faithful to what python-telegram-bot 22 sends.

Every method is `POST /bot{token}/{method}`, form-encoded (nested values as JSON strings) or
multipart for uploads; answers are `{"ok": true, "result": ...}` or `{"ok": false,
"error_code": N, "description": "..."}` (see ../shared/docs/OUTSIDE.md). getUpdates long-polls
with offset/timeout; tests queue user messages and button presses with `push_message` /
`push_callback`. HTML messages are checked like Telegram does (known tags, balanced), so an
escaping bug in the adapter fails here as it would in production.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import replace
from html import unescape
from html.parser import HTMLParser
from typing import Any

from bot.settings import ZynSettings
from tests.fakes.loopback_http import Call, LoopbackServer, json_response

ALLOWED_TAGS = {
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "code",
    "pre",
    "a",
    "tg-spoiler",
    "blockquote",
    "span",
}
PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>\w+)$")


def quick_poll(settings: ZynSettings) -> ZynSettings:
    """`settings` with Telegram's long poll at 1 s instead of 10: a test's `zyn.close()` then waits
    out at most one short poll. Built into the settings, so the channel is constructed with it."""
    return replace(settings, channels=replace(settings.channels, telegram_poll_timeout_s=1))


class _HtmlCheck(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error = ""
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = self.error or f'can\'t parse entities: unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.error = self.error or f'can\'t parse entities: unexpected end tag "{tag}"'

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def html_to_text(html: str) -> tuple[str, str]:
    """(plain text, error) as Telegram would parse a parse_mode=HTML message."""
    if re.search(r"&(?!(amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);)", html):
        return "", "can't parse entities: unsupported character entity"
    parser = _HtmlCheck()
    parser.feed(html)
    parser.close()
    if parser.stack and not parser.error:
        parser.error = (
            f"can't parse entities: can't find end tag corresponding to start tag \"{parser.stack[-1]}\""
        )
    return unescape("".join(parser.text)), parser.error


class FakeTelegramAPI(LoopbackServer):
    """Bot API for one bot token; `url` is what TELEGRAM_API_URL should be set to."""

    def __init__(self, token: str = "123456:TEST-token", username: str = "zyn_test_bot", port: int = 0) -> None:
        super().__init__(port)
        self.token = token
        self.bot = {
            "id": 123456,
            "is_bot": True,
            "first_name": "Zyn",
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._query_ids = itertools.count(1)
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._open_queries: set[str] = set()
        self._fail_next: dict[str, tuple[int, dict[str, Any]]] = {}
        self._lock = threading.Condition()
        self.offsets: list[int] = []  # the offset of every getUpdates call, in order

    # --- test controls ----------------------------------------------------------------------

    def push_message(self, chat_id: int, text: str, first_name: str = "Jimmy") -> int:
        """Queue a private message from a user (command entity added for '/...')."""
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": first_name},
            "from": {"id": chat_id, "is_bot": False, "first_name": first_name},
            "text": text,
        }
        if text.startswith("/"):
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._queue({"message": msg})

    def push_callback(self, chat_id: int, message_id: int, data: str, first_name: str = "Jimmy") -> str:
        """Queue a button press on one of the bot's messages; returns the callback query id."""
        qid = str(next(self._query_ids))
        message = self._messages[(chat_id, message_id)]
        self._open_queries.add(qid)
        self._queue(
            {
                "callback_query": {
                    "id": qid,
                    "from": {"id": chat_id, "is_bot": False, "first_name": first_name},
                    "chat_instance": f"ci{chat_id}",
                    "data": data,
                    "message": message,
                }
            }
        )
        return qid

    def push_raw(self, update: dict[str, Any]) -> int:
        """Queue any update body as-is (malformed ones included); returns its update_id."""
        return self._queue(dict(update))

    def fail_next(self, method: str, status: int, description: str, retry_after: int | None = None) -> None:
        """Make the next call of `method` fail like Telegram does (e.g. 429 with retry_after)."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self._fail_next[method] = (status, body)

    def message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        return self._messages[(chat_id, message_id)]

    def find_message(self, chat_id: int, contains: str) -> int:
        """The id of the bot's latest message in a chat whose text contains `contains`."""
        for (chat, mid), msg in reversed(list(self._messages.items())):
            if chat == chat_id and contains in str(msg.get("text", "")):
                return int(mid)
        raise AssertionError(f"no bot message in chat {chat_id} containing {contains!r}")

    def _queue(self, update: dict[str, Any]) -> int:
        with self._lock:
            update["update_id"] = next(self._update_ids)
            self._updates.append(update)
            self._lock.notify_all()
            update_id: int = update["update_id"]
            return update_id

    # --- the API ----------------------------------------------------------------------------

    def route(self, call: Call) -> tuple[int, dict[str, str], bytes]:
        m = PATH.match(call.path)
        if call.method != "POST" or m is None:
            return json_response(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        if m["token"] != self.token:
            return json_response(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = m["method"]
        if method in self._fail_next:
            status, body = self._fail_next.pop(method)
            return json_response(status, body)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return json_response(
                404, {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            )
        result = handler(call.params, call.files)
        if isinstance(result, tuple):
            return json_response(result[0], {"ok": False, "error_code": result[0], "description": result[1]})
        return json_response(200, {"ok": True, "result": result})

    def _m_getMe(self, p: dict[str, Any], f: dict[str, bytes]) -> Any:  # noqa: N802 - Bot API names
        return self.bot

    def _m_deleteWebhook(self, p: dict[str, Any], f: dict[str, bytes]) -> Any:  # noqa: N802
        return True

    def _m_getUpdates(self, p: dict[str, Any], f: dict[str, bytes]) -> Any:  # noqa: N802
        offset, timeout = int(p.get("offset") or 0), float(p.get("timeout") or 0)
        limit = int(p.get("limit") or 100)
        deadline = time.monotonic() + min(timeout, 30.0)
        with self._lock:
            self.offsets.append(offset)
            if offset:  # confirms every update below offset
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            while not self._updates and time.monotonic() < deadline:
                self._lock.wait(deadline - time.monotonic())
            return list(self._updates[:limit])

    def _new_message(self, chat_id: int, extra: dict[str, Any]) -> dict[str, Any]:
        msg = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": self.bot,
            **extra,
        }
        self._messages[(chat_id, msg["message_id"])] = msg
        return msg

    def _text_fields(self, p: dict[str, Any]) -> dict[str, Any] | tuple[int, str]:
        text = str(p.get("text") or "")
        if p.get("parse_mode") == "HTML":
            text, error = html_to_text(text)
            if error:
                return 400, f"Bad Request: {error}"
        if not text.strip():
            return 400, "Bad Request: message text is empty"
        if len(text) > 4096:
            return 400, "Bad Request: message is too long"
        out: dict[str, Any] = {"text": text}
        if p.get("reply_markup"):
            out["reply_markup"] = json.loads(p["reply_markup"])
        return out

    def _m_sendMessage(self, p: dict[str, Any], f: dict[str, bytes]) -> Any:  # noqa: N802
        if not p.get("chat_id"):
            return 400, "Bad Request: chat_id is empty"
        fields = self._text_fields(p)
        if isinstance(fields, tuple):
            return fields
        return self._new_message(int(p["chat_id"]), fields)

    def _m_sendPhoto(self, p: dict[str, Any], f: dict[str, bytes]) -> Any:  # noqa: N802
        photo = f.get("photo")
        if not p.get("chat_id") or not photo:
            return 400, "Bad Request: there is no photo in the request"
        if not photo.startswith(b"\x89PNG") and not photo.startswith(b"\xff\xd8"):
            return 400, "Bad Request: IMAGE_PROCESS_FAILED"
        size = {
            "file_id": f"ph{len(photo)}",
            "file_unique_id": f"u{len(photo)}",
            "width": 640,
            "height": 480,
            "file_size": len(photo),
        }
        extra: dict[str, Any] = {"photo": [size]}
        if p.get("caption"):
            extra["caption"] = p["caption"]
        return self._new_message(int(p["chat_id"]), extra)

    def _m_answerCallbackQuery(self, p: dict[str, Any], f: dict[str, bytes]) -> Any:  # noqa: N802
        qid = str(p.get("callback_query_id") or "")
        if qid not in self._open_queries:
            return 400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
        self._open_queries.discard(qid)
        return True

    def _m_editMessageText(self, p: dict[str, Any], f: dict[str, bytes]) -> Any:  # noqa: N802
        key = (int(p.get("chat_id") or 0), int(p.get("message_id") or 0))
        if key not in self._messages:
            return 400, "Bad Request: message to edit not found"
        fields = self._text_fields(p)
        if isinstance(fields, tuple):
            return fields
        old = self._messages[key]
        if old.get("text") == fields["text"] and old.get("reply_markup") == fields.get("reply_markup"):
            return 400, "Bad Request: message is not modified"
        new = {k: v for k, v in old.items() if k != "reply_markup"}
        new.update(fields, edit_date=int(time.time()))
        self._messages[key] = new
        return new
