"""Telegram: long polling with python-telegram-bot, in a background thread with its own loop.

Zyn is one process (Flask + scheduler + this poller), so the PTB Application cannot own the
main thread the way `run_polling()` wants: `start()` runs initialize -> start_polling -> start
on a private event loop in a daemon thread, `stop()` unwinds it and joins the thread, and
`send()` hands coroutines to that loop with `run_coroutine_threadsafe`, so the notifier may call
it from any thread.

Every text (commands included) becomes `Envelope("telegram", str(chat_id), text)`; the
dispatcher (run in a worker thread: it is synchronous and may touch the exchange) decides who is
allowed. A confirmation gets an inline yes/no keyboard; pressing a button is answered
(answerCallbackQuery, so the client stops its spinner), dispatched as the text "yes"/"no" from
the same chat, and the confirmation message is edited to show the outcome. Charts go as photos.
The chat id is the identity: in a group on the allow-list any member can confirm.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import re
import threading
from collections.abc import Coroutine
from datetime import timedelta
from html import escape as html_escape
from typing import Any

from loguru import logger as log
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter, TelegramError
from telegram.ext import Application, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from adapters.channels.config_checks import telegram_configured as telegram_configured
from adapters.channels.ports import (
    ChannelConfigError,
    ChannelSettings,
    DispatcherLike,
    Envelope,
    Reply,
    ZynLike,
    channel_settings,
)
from adapters.channels.render import TELEGRAM_MAX, confirm_buttons, telegram_messages
from adapters.channels.telegram_updates import TolerantUpdatesRequest

BOT_SUFFIX = re.compile(r"^(/\w+)@\w+")
MAX_RETRY_AFTER_S = 30.0




def make_channel(zyn: ZynLike) -> TelegramChannel | None:
    """The poller for the composition root, or None when Telegram is not configured."""
    channels = channel_settings(zyn.settings)
    return TelegramChannel(channels, zyn.dispatcher) if telegram_configured(channels) else None


def build_application(channels: ChannelSettings) -> Application:  # type: ignore[type-arg]
    """PTB Application pointed at TELEGRAM_API_URL (`{url}/bot{token}/{method}`)."""
    url = channels.telegram_api_url.rstrip("/")
    return (
        Application.builder()
        .token(channels.telegram_token)
        .base_url(f"{url}/bot")
        .base_file_url(f"{url}/file/bot")
        .connect_timeout(5)
        .read_timeout(15)
        .write_timeout(15)
        .get_updates_request(TolerantUpdatesRequest(connect_timeout=5, read_timeout=15, write_timeout=15))
        .build()
    )


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """One row of inline buttons whose callback data is the text to dispatch ("yes"/"no")."""
    labels = confirm_buttons(reply)
    if not labels:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(lb, callback_data=lb[:64]) for lb in labels]])


def redact(text: str, token: str) -> str:
    """`text` with the bot token (and its secret half after the colon) replaced."""
    for secret in (token, token.partition(":")[2]):
        if len(secret) >= 8:
            text = text.replace(secret, "<TELEGRAM_BOT_TOKEN>")
    return text


def command_text(text: str) -> str:
    """'/status@zyn_bot week' -> '/status week' (groups add the bot's name to commands)."""
    return BOT_SUFFIX.sub(r"\1", text.strip())


class TelegramChannel:
    """The Telegram poller and sender; `start()`/`stop()` are idempotent and thread-safe."""

    def __init__(
        self, channels: ChannelSettings, dispatcher: DispatcherLike, poll_timeout_s: int | None = None
    ) -> None:
        """`poll_timeout_s`: one getUpdates long poll (and so the longest stop()); the settings'
        `telegram_poll_timeout_s` unless given."""
        if not telegram_configured(channels):
            raise ChannelConfigError("Telegram: TELEGRAM_BOT_TOKEN is not set")
        self._channels = channels
        self._dispatcher = dispatcher
        self._poll_timeout = channels.telegram_poll_timeout_s if poll_timeout_s is None else poll_timeout_s
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._app: Any = None  # the PTB Application, owned by the poller thread
        # sends handed to the poller's loop and not finished yet: failed at once when the loop ends,
        # so an alert queued while the channel stops never waits out its whole timeout
        self._inflight: set[concurrent.futures.Future[Any]] = set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self._ready.is_set()

    def start(self, timeout_s: float = 20.0) -> None:
        """Start polling; returns once getMe and deleteWebhook succeeded, raises if they failed."""
        # httpx logs every URL at INFO, and Bot API URLs contain the token.
        logging.getLogger("httpx").setLevel(max(logging.WARNING, logging.getLogger("httpx").level))
        with self._lock:
            if self._thread is not None:
                return
            self._ready.clear()
            self._error = None
            self._thread = threading.Thread(target=self._run, name="zyn-telegram", daemon=True)
            self._thread.start()
        if not self._ready.wait(timeout_s):
            self.stop()
            raise TimeoutError("Telegram: polling did not start in time")
        if self._error is not None:
            error, self._error = self._error, None
            self.stop()
            # PTB's InvalidToken says "The token `123:ABC…` was rejected": never repeat the token.
            detail = redact(str(error), self._channels.telegram_token)
            raise ChannelConfigError(f"Telegram: could not start ({type(error).__name__}: {detail})")

    def stop(self, timeout_s: float = 20.0) -> None:
        """Stop polling (a final getUpdates acknowledges the offset) and join the thread."""
        with self._lock:
            thread, loop, stopping = self._thread, self._loop, self._stopping
            self._thread = None
        if thread is None:
            return
        if loop is not None and stopping is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stopping.set)
            except RuntimeError:  # loop already closed after a failed start
                pass
        thread.join(timeout_s)

    def healthy(self, timeout_s: float = 5.0) -> bool:
        """getMe on the poller's own loop: proves the thread, its event loop and the Bot API answer
        (the watchdog's probe; a dead thread, a wedged loop or an unreachable API all say False)."""
        app = self._app
        if not self.running or app is None:
            return False
        try:
            self._submit(app.bot.get_me()).result(timeout_s)
        except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
            log.info("telegram: health probe failed: {}", type(exc).__name__)
            return False
        return True

    def send(self, text: str, image_png: bytes | None = None, timeout_s: float = 30.0) -> int:
        """Notify every allowed chat; returns how many got it. Raises if none did."""
        if threading.current_thread() is self._thread:
            raise RuntimeError("send() would deadlock on the poller's own thread")
        reply = Reply(text=text, image_png=image_png)
        delivered, errors = 0, []
        for chat_id in self._channels.telegram_allowed_chat_ids:
            try:
                self._submit(self._deliver(int(chat_id), reply)).result(timeout_s)
                delivered += 1
            except (TelegramError, ValueError, TimeoutError, RuntimeError, concurrent.futures.CancelledError) as exc:
                log.warning("telegram: alert to chat {} failed: {}", chat_id, type(exc).__name__)
                errors.append(exc)
        if errors and not delivered:
            raise errors[0]
        return delivered

    def _submit(self, coro: Coroutine[Any, Any, None]) -> Any:
        loop = self._loop
        if loop is None or not self.running:
            coro.close()
            raise RuntimeError("Telegram channel is not running")
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        with self._lock:
            self._inflight.add(future)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._inflight.discard(future)

    def _fail_inflight(self) -> None:
        """The poller's loop has ended: whatever was handed to it will never run (a send queued
        while the channel stopped); its caller learns that now instead of after its timeout."""
        with self._lock:
            pending, self._inflight = list(self._inflight), set()
        for future in pending:
            if not future.cancel():  # already started on the loop that is gone
                try:
                    future.set_exception(RuntimeError("Telegram channel stopped"))
                except concurrent.futures.InvalidStateError:
                    pass  # it finished after all

    # --- the poller thread ------------------------------------------------------------------

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except Exception as exc:  # reported to start(); never kills the process
            self._error = exc
        finally:
            self._ready.set()
            loop.close()
            self._fail_inflight()

    async def _main(self) -> None:
        self._stopping = asyncio.Event()
        app = build_application(self._channels)
        app.add_handler(CallbackQueryHandler(self._on_button))
        app.add_handler(MessageHandler(filters.TEXT, self._on_text))
        app.add_error_handler(self._on_error)
        self._app = app
        await app.initialize()
        try:
            assert app.updater is not None  # noqa: S101 - the builder always makes one
            await app.updater.start_polling(
                poll_interval=0, timeout=self._poll_timeout, allowed_updates=["message", "callback_query"]
            )
            await app.start()
            self._ready.set()
            await self._stopping.wait()
            await app.updater.stop()
            await app.stop()
        finally:
            await app.shutdown()

    async def _on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        msg, chat = update.effective_message, update.effective_chat
        if msg is None or chat is None or msg.text is None:
            return
        reply = await self._dispatch(chat.id, command_text(msg.text))
        await self._deliver(chat.id, reply)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        await query.answer()
        chat_id = query.message.chat.id if query.message is not None else query.from_user.id
        choice = query.data or ""
        reply = await self._dispatch(chat_id, choice)
        original = query.message if isinstance(query.message, Message) else None
        if original is None or not await self._edit_outcome(original, choice, reply):
            await self._deliver(chat_id, reply)
        elif reply.image_png:
            await self._app.bot.send_photo(chat_id, photo=reply.image_png, caption=reply.title[:1024] or None)

    async def _edit_outcome(self, original: Message, choice: str, reply: Reply) -> bool:
        """Replace the confirmation's buttons by the outcome; False if Telegram refused the edit
        or the outcome needs more than one message (then it is sent as new messages)."""
        outcomes = telegram_messages(reply)
        if len(outcomes) > 1:
            return False
        outcome = outcomes[0]
        head = f"{html_escape(original.text or '', quote=False)[:1500]}\n\n➜ <b>{html_escape(choice)}</b>\n"
        text = head + outcome if len(head) + len(outcome) <= TELEGRAM_MAX else outcome
        try:
            await original.edit_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard(reply))
        except BadRequest as exc:
            log.info("telegram: could not edit the confirmation: {}", exc.message)
            return False
        return True

    async def _dispatch(self, chat_id: int, text: str) -> Reply:
        env = Envelope("telegram", str(chat_id), text)
        try:
            return await asyncio.to_thread(self._dispatcher.handle, env)
        except Exception:
            log.exception("telegram: dispatcher failed")
            return Reply(text="Sorry, something went wrong; nothing was done.", kind="error")

    async def _deliver(self, chat_id: int, reply: Reply) -> None:
        """Send a rendered reply (text with buttons, then the chart as a photo); one 429 retry."""
        for attempt in (1, 2):
            try:
                await self._send_once(chat_id, reply)
                return
            except RetryAfter as exc:
                after = exc.retry_after
                wait = after.total_seconds() if isinstance(after, timedelta) else float(after)
                if attempt == 2 or wait > MAX_RETRY_AFTER_S:
                    raise
                await asyncio.sleep(wait)

    async def _send_once(self, chat_id: int, reply: Reply) -> None:
        bot = self._app.bot
        if reply.text or reply.title or reply.rows:
            messages = telegram_messages(reply)
            for n, html in enumerate(messages, 1):  # the buttons go under the last part
                markup = keyboard(reply) if n == len(messages) else None
                await bot.send_message(chat_id, html, parse_mode=ParseMode.HTML, reply_markup=markup)
        if reply.image_png:
            await bot.send_photo(chat_id, photo=reply.image_png, caption=reply.title[:1024] or None)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.warning("telegram: handler error: {}", type(context.error).__name__)
