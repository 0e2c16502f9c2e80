"""Telegram adapter: python-telegram-bot 22 ↔ the shared handler layer.

Thin by design: it turns Telegram messages into neutral `Command`s, asks the registry, and
sends the neutral `Reply` back as Telegram HTML. It owns only what is Telegram's: who is an
admin, forum topics, file transfer, message size (via telegram_render), flood limits and
Telegram's error codes. No command logic lives here.

Delivery guarantees: a flood wait (429) delays a message, never drops it; markup Telegram
rejects is resent as plain text; a migrated group is followed to its new id; one reply's
messages go out together and a chat's replies in the order they were produced. What cannot
be sent is classified (blocked, gone, retry later, rejected) for the one delivery policy
(bot.delivery.policy) to settle, the same as on every platform.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    LinkPreviewOptions,
    MaybeInaccessibleMessage,
    Message,
    Update,
)
from telegram import (
    User as TelegramUser,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    filters,
)
from telegram.ext import MessageHandler as TelegramMessageHandler

from bot.i18n import N_, TELEGRAM_CODES, _, chat_language, translate, using
from bot.keyed_locks import KeyedLocks
from bot.models import Action, ChatTarget
from bot.platforms.base import (
    DeliveryError,
    DeliveryProblem,
    PartsProgress,
    PlatformStartError,
)
from bot.platforms.callbacks import (
    TELEGRAM_LIMIT,
    ActionTooLong,
    action_key,
    decode_action,
    encode_action,
)
from bot.platforms.intake import CommandIntake
from bot.platforms.telegram.errors import bad_request_problem, picture_refused
from bot.platforms.telegram.render import (
    TelegramMessage,
    keyboard_rows,
    lead_image,
    render_reply,
)
from bot.platforms.telegram.webhook import webhook_secret
from config.settings import Settings
from handlers.model import Command, Document, Reply, User
from handlers.parsing import parse_command_line
from handlers.registry import CommandRegistry
from handlers.services import Services

log = logging.getLogger(__name__)

PLATFORM = "telegram"
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
# Published Bot API limits: ~30 messages/s overall, 20/min per group or channel.
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
PER_CHAT_INTERVAL = 1.05  # a little over a second: arrival times jitter
ADMIN_CACHE_SECONDS = 60.0
MAX_FLOOD_WAITS = 8
MAX_NETWORK_RETRIES = 3
# Telegram shows at most 200 characters in a callback query's answer.
MAX_ANSWER = 200
NOT_VALID = N_("This button is no longer valid.")
TOO_OLD = N_("This message is too old for its buttons: send the command again.")
POSTERS_ONLY = N_("Only those who can post here can use these buttons.")
UPDATES = ["message", "channel_post", "callback_query"]
FILE_HINT = N_("send the file with /import as its caption, or reply /import to it")

Sleep = Callable[[float], Awaitable[None]]


def api_urls(base_url: str | None) -> tuple[str, str]:
    """PTB's (base_url, base_file_url) from TELEGRAM_API_BASE_URL.

    Accepts the Bot API root (``http://host:8081``) or PTB's form ending in ``/bot``.
    """
    if not base_url:
        return DEFAULT_BASE_URL, "https://api.telegram.org/file/bot"
    root = base_url.rstrip("/").removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


def build_rate_limiter(*, group_limit: bool = True) -> AIORateLimiter:
    """PTB's limiter sized to Telegram's published limits; flood waits are retried by us.

    The overall limit is a steady drip (a bucket of one refilled every 1/30 s) rather than
    a bucket of 30: a full bucket plus a second's refill would put ~60 messages in the
    first second and earn a 429 (bench/delivery.py measures the rate it reaches).
    """
    return AIORateLimiter(
        overall_max_rate=1,
        overall_time_period=1 / OVERALL_PER_SECOND,
        group_max_rate=GROUP_PER_MINUTE if group_limit else 0,
        group_time_period=60 if group_limit else 0,
        max_retries=0,
    )


def target_of(message: Message) -> ChatTarget:
    """Replies go where the command was issued, including a forum topic."""
    thread = str(message.message_thread_id) if message.is_topic_message else ""
    return ChatTarget(PLATFORM, str(message.chat.id), thread)


@dataclass(slots=True)
class _CachedAdmins:
    user_ids: frozenset[int]
    fetched_at: float


class TelegramPlatform:
    """Runs one bot token: receives commands, sends replies and digests."""

    name = PLATFORM

    def __init__(
        self,
        settings: Settings,
        registry: CommandRegistry,
        services: Services,
        *,
        rate_limiter: AIORateLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        poll_timeout: int = 30,
    ) -> None:
        if settings.telegram_bot_token is None:
            raise ValueError("TelegramPlatform needs TELEGRAM_BOT_TOKEN")
        self.settings = settings
        self.registry = registry
        self.services = services
        self.sleep = sleep
        self.monotonic = monotonic
        self.poll_timeout = poll_timeout
        self._admins: dict[int, _CachedAdmins] = {}
        self.intake = CommandIntake(services, platform=PLATFORM)
        self._turns = KeyedLocks()  # one reply at a time per chat, in order
        self._next_send_at: dict[str, float] = {}  # chat id → monotonic time of next send
        base_url, base_file_url = api_urls(settings.telegram_api_base_url)
        self.application: Application = (
            ApplicationBuilder()
            .token(settings.telegram_bot_token.get_secret_value())
            .base_url(base_url)
            .base_file_url(base_file_url)
            .rate_limiter(rate_limiter or build_rate_limiter())
            .concurrent_updates(True)
            .job_queue(None)  # scheduling is the bot's own, not PTB's
            .build()
        )
        self.application.add_handler(
            TelegramMessageHandler(
                (filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST)
                & (filters.COMMAND | filters.CaptionRegex(r"^/")),
                self._on_command_message,
            )
        )
        self.application.add_handler(CallbackQueryHandler(self._on_button))
        self.application.add_error_handler(self._on_error)
        # Buttons are signed with a key from the token: every gateway accepts every
        # other's, and buttons keep working across restarts (bot.platforms.callbacks).
        self._action_key = action_key(settings.telegram_bot_token.get_secret_value())

    async def wait_idle(self) -> None:
        """Until no command is being handled (used by shutdown and tests)."""
        await self.intake.wait_idle()

    @property
    def bot_username(self) -> str:
        return self.application.bot.username

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect and start receiving updates, by webhook when a URL is set, else polling.

        A webhook always has a secret token: TELEGRAM_WEBHOOK_SECRET, else one derived
        from the bot token (`webhook.webhook_secret`), the same in every gateway behind
        one URL. setWebhook hands it to Telegram, which sends it with every update, and
        PTB answers 403 to requests without it.
        """
        await self._connect()
        await self.application.start()
        updater = self.application.updater
        assert updater is not None
        if self.settings.telegram_webhook_url:
            assert self.settings.telegram_bot_token is not None
            secret, derived = webhook_secret(
                self.settings.telegram_webhook_secret, self.settings.telegram_bot_token
            )
            if derived:
                log.info(
                    "telegram: TELEGRAM_WEBHOOK_SECRET is not set; the webhook secret is "
                    "derived from the bot token"
                )
            await updater.start_webhook(
                listen=self.settings.telegram_webhook_listen,
                port=self.settings.telegram_webhook_port or 8443,
                url_path=urlsplit(self.settings.telegram_webhook_url).path.lstrip("/"),
                webhook_url=self.settings.telegram_webhook_url,
                secret_token=secret,
                allowed_updates=UPDATES,
            )
            log.info("telegram: @%s receiving updates by webhook", self.bot_username)
        else:
            await updater.start_polling(
                timeout=self.poll_timeout,
                allowed_updates=UPDATES,
                error_callback=self._on_polling_error,
            )
            log.info("telegram: @%s receiving updates by long polling", self.bot_username)

    async def _connect(self) -> None:
        """Log in (getMe) and publish the menu; what an operator must fix is one line."""
        try:
            await self.application.initialize()
            await self.publish_command_menu()
        except InvalidToken as exc:
            raise PlatformStartError(
                "TELEGRAM_BOT_TOKEN was refused by Telegram: copy the token again from "
                "@BotFather (it looks like 123456789:AA…)."
            ) from exc
        except NetworkError as exc:
            host = urlsplit(api_urls(self.settings.telegram_api_base_url)[0]).hostname
            raise PlatformStartError(
                f"could not reach the Telegram Bot API at {host} ({type(exc).__name__}): "
                "check the network, or TELEGRAM_API_BASE_URL."
            ) from exc

    async def stop(self) -> None:
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        log.info("telegram: stopped")

    async def publish_command_menu(self) -> None:
        """The "/" menu in Telegram clients, generated from the shared registry: English
        for every user, and once per language for users whose app is in that language."""
        specs = self.registry.all()
        await self.application.bot.set_my_commands(
            [BotCommand(spec.name, spec.summary[:256]) for spec in specs]
        )
        for language, code in TELEGRAM_CODES.items():
            commands = [
                BotCommand(spec.name, translate(spec.summary, language)[:256]) for spec in specs
            ]
            try:
                await self.application.bot.set_my_commands(commands, language_code=code)
            except TelegramError as exc:  # a translated menu is not worth failing start for
                log.warning("telegram: the %s command menu was not published: %s", code, exc)

    # -- incoming --------------------------------------------------------------------------

    async def _on_command_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        async with self.intake.handling():
            await self._handle_command(update)

    async def _handle_command(self, update: Update) -> None:
        message = update.effective_message
        if message is None:
            return
        parsed = parse_command_line(
            message.text or message.caption or "", bot_username=self.bot_username
        )
        if parsed is None:
            return  # addressed to another bot
        name, args = parsed
        chat = message.chat
        if self.registry.get(name) is None and chat.type != ChatType.PRIVATE:
            return  # an unknown command in a group is probably another bot's
        target = target_of(message)
        language = update.effective_user.language_code if update.effective_user else None
        refusal = self.intake.refusal(target, locale=language)
        if refusal is not None:  # before any download or admin look-up
            await self._reply_safely(target, refusal)
            return
        await self.intake.on_contact(target)
        user = update.effective_user
        sender = User(
            id=str(user.id) if user else str(chat.id),
            name=(user.username or user.full_name) if user else chat.title,
        )
        attachment, problem = await self._attachment(message)
        if problem:
            await self._reply_safely(target, Reply.error(problem))
            return
        command = Command(
            platform=PLATFORM,
            target=target,
            user=sender,
            name=name,
            args=args,
            is_admin=await self._is_admin(message),
            attachment=attachment,
            file_hint=FILE_HINT,
            locale=user.language_code if user else None,
        )
        spec = self.registry.get(name)
        if spec is not None and spec.fetches:
            await self._typing(target)

        async def say_now(text: str) -> None:
            await self._reply_safely(target, Reply.info(text))

        reply = await self.registry.dispatch(self.services, command, say_now=say_now)
        await self._reply_safely(target, reply)

    async def _on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        async with self.intake.handling():
            query = update.callback_query
            if query is not None:
                await self._handle_press(query)

    async def _handle_press(self, query: CallbackQuery) -> None:
        """A press is its command typed by the presser, in the chat of the message.

        The query is always answered (it stops the button's spinner): a press the bot did
        not sign gets a polite alert and runs nothing; a refusal or an error short enough
        is shown as an alert instead of a message the whole group sees. With
        ``replaces_pressed`` the pressed message is edited, else the answer is sent.
        """
        pressed = decode_action(query.data or "", self._action_key)
        message = query.message
        user = query.from_user
        if pressed is None or message is None:
            log.info("telegram: a press the bot did not make (%r)", (query.data or "")[:64])
            with using(await self._press_language(query)):
                await self._answer_query(query, _(NOT_VALID), alert=True)
            return
        # Telegram sends an inaccessible message (too old) without its thread or text.
        accessible = _accessible(message)
        target = target_of(accessible) if accessible else ChatTarget(PLATFORM, str(message.chat.id))
        refusal = self.intake.refusal(target, locale=user.language_code)
        if refusal is not None:
            await self._answer_query(query, refusal.text, alert=True)
            return
        if accessible is None and message.chat.is_forum:
            # Without the message its topic is unknown: running the press would act on
            # (or create) the group's General chat instead of the topic's.
            with using(await self._press_language(query)):
                await self._answer_query(query, _(TOO_OLD), alert=True)
            return
        try:
            is_admin = await self._user_is_admin(message.chat, user)
        except TelegramError as exc:  # the press must still be answered
            log.info("telegram: could not check a presser's rights: %s", exc)
            is_admin = False
        if message.chat.type == ChatType.CHANNEL and not is_admin:
            # Only admins post in a channel; its readers see the buttons but must not
            # make the bot post (a "Show more" would send stories early to everyone).
            with using(await self._press_language(query)):
                await self._answer_query(query, _(POSTERS_ONLY), alert=True)
            return
        await self.intake.on_contact(target)
        command = Command(
            platform=PLATFORM,
            target=target,
            user=User(id=str(user.id), name=user.username or user.full_name),
            name=pressed.command,
            args=pressed.args,
            is_admin=is_admin,
            file_hint=FILE_HINT,
            pressed=True,
            locale=user.language_code,
        )
        spec = self.registry.get(pressed.command)
        answered = False
        if spec is not None and spec.fetches:  # may take longer than the client waits
            await self._answer_query(query)
            answered = True
            await self._typing(target)

        async def say_now(text: str) -> None:
            await self._reply_safely(target, Reply.info(text))

        reply = await self.registry.dispatch(self.services, command, say_now=say_now)
        if not answered:
            if reply.is_error and not reply.actions and len(_alert_text(reply)) <= MAX_ANSWER:
                await self._answer_query(query, _alert_text(reply), alert=True)
                return
            await self._answer_query(query)
        if reply.replaces_pressed and accessible and await self._edit(target, accessible, reply):
            return
        await self._reply_safely(target, reply)

    async def _press_language(self, query: CallbackQuery) -> str:
        """The language to answer a press that runs nothing in: the chat's, when the
        message is in a chat the bot knows (and may serve), else the presser's app's."""
        known = None
        message = query.message
        if message is not None:
            accessible = _accessible(message)
            target = (
                target_of(accessible) if accessible else ChatTarget(PLATFORM, str(message.chat.id))
            )
            if self.intake.refusal(target) is None:  # never look up a chat of others
                known = await self.services.store.find_chat(target)
        return chat_language(known, query.from_user.language_code)

    async def _answer_query(
        self, query: CallbackQuery, text: str | None = None, *, alert: bool = False
    ) -> None:
        """Answer a press; an answer that fails (too late, network) is only logged."""
        try:
            await query.answer(text=text[:MAX_ANSWER] if text else None, show_alert=alert)
        except TelegramError as exc:  # too late, network, a flood wait
            log.info("telegram: could not answer a press: %s", exc)

    async def _edit(self, target: ChatTarget, message: Message, reply: Reply) -> bool:
        """Show ``reply`` in place of the pressed message; False when it cannot be (a
        digest, a file, more than one message, or Telegram refused): then it is sent."""
        if reply.digest is not None or reply.document is not None or reply.delivery_id:
            return False
        rendered = render_reply(reply)
        if len(rendered) != 1:
            return False
        markup = self._markup(reply)
        async with self._turns.hold((target.chat_id, target.thread_id)):
            for text, mode in ((rendered[0].html, ParseMode.HTML), (rendered[0].plain, None)):
                try:
                    await self.application.bot.edit_message_text(
                        chat_id=message.chat.id,
                        message_id=message.message_id,
                        text=text,
                        parse_mode=mode,
                        reply_markup=markup,
                        link_preview_options=LinkPreviewOptions(is_disabled=True),
                    )
                    return True
                except BadRequest as exc:
                    if "not modified" in exc.message.lower():
                        return True  # the same press twice: it already shows this
                    if "can't parse entities" in exc.message.lower():
                        continue
                    log.info("telegram: could not edit a pressed message: %s", exc)
                    return False
                except TelegramError as exc:  # refused, network, a flood wait: send it
                    log.info("telegram: could not edit a pressed message: %s", exc)
                    return False
        return False

    def _markup(self, reply: Reply) -> InlineKeyboardMarkup | None:
        """The reply's actions as an inline keyboard (None without actions)."""
        rows = keyboard_rows(reply.actions, self._encode)
        if not rows:
            return None
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(label, callback_data=data) for label, data in row]
                for row in rows
            ]
        )

    def _encode(self, action: Action) -> str | None:
        try:
            return encode_action(action, self._action_key, limit=TELEGRAM_LIMIT)
        except (ActionTooLong, ValueError) as exc:  # a handler's bug: drop the one button
            log.error("telegram: button left out: %s", exc)
            return None

    async def _reply_safely(self, target: ChatTarget, reply: Reply) -> None:
        await self.intake.answer(
            target, reply, lambda progress: self.send(target, reply, progress=progress)
        )

    async def _attachment(self, message: Message) -> tuple[Document | None, str | None]:
        """The document sent with the command, or the one it replies to (for /import)."""
        document = message.document
        if document is None and message.reply_to_message is not None:
            document = message.reply_to_message.document
        if document is None:
            return None, None
        problem = self.intake.attachment_problem(document.file_name, document.file_size)
        if problem:
            return None, problem
        telegram_file = await document.get_file()
        content = bytes(await telegram_file.download_as_bytearray())
        return (
            Document(
                filename=document.file_name or "upload",
                content=content,
                mime_type=document.mime_type or "application/octet-stream",
            ),
            None,
        )

    async def _is_admin(self, message: Message) -> bool:
        """Private chats: always. Groups and channels: chat admins and bot operators."""
        chat = message.chat
        if chat.type == ChatType.PRIVATE:
            return True
        if message.sender_chat is not None and message.sender_chat.id == chat.id:
            return True  # a channel post, or an anonymous group admin
        return await self._user_is_admin(chat, message.from_user)

    async def _user_is_admin(self, chat: Chat, user: TelegramUser | None) -> bool:
        """Whether this person administers this chat (or operates the bot)."""
        if chat.type == ChatType.PRIVATE:
            return True
        if user is None:
            return False
        if self.settings.is_bot_admin(PLATFORM, str(user.id)):
            return True
        return user.id in await self._chat_admin_ids(chat)

    async def _chat_admin_ids(self, chat: Chat) -> frozenset[int]:
        cached = self._admins.get(chat.id)
        now = self.monotonic()
        if cached is not None and now - cached.fetched_at < ADMIN_CACHE_SECONDS:
            return cached.user_ids
        members = await self.application.bot.get_chat_administrators(chat.id)
        ids = frozenset(member.user.id for member in members)
        self._admins[chat.id] = _CachedAdmins(ids, now)
        return ids

    async def _typing(self, target: ChatTarget) -> None:
        try:
            await self.application.bot.send_chat_action(
                chat_id=int(target.chat_id),
                action="typing",
                message_thread_id=int(target.thread_id) if target.thread_id else None,
            )
        except (NetworkError, Forbidden) as exc:
            log.debug("telegram: typing indicator failed for %s: %s", target, exc)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: error while handling an update", exc_info=context.error)

    def _on_polling_error(self, error: Exception) -> None:
        if isinstance(error, Conflict):  # retrying cannot help while the other one polls
            log.error(
                "telegram: another process is receiving this bot's updates (%s): run one "
                "long-polling process per token; several gateways need webhook mode "
                "(TELEGRAM_WEBHOOK_URL)",
                error,
            )
            return
        log.warning("telegram: polling error (retrying): %s", error)

    # -- outgoing --------------------------------------------------------------------------

    async def send(
        self,
        target: ChatTarget,
        reply: Reply,
        *,
        silent: bool | None = None,
        previews: bool | None = None,
        progress: PartsProgress | None = None,
    ) -> list[str]:
        """Send a reply or digest; returns the message ids. Raises DeliveryError.

        ``silent`` (disable_notification) and ``previews`` (link_preview_options) default
        to the reply's own, which carry the chat's /settings for digests. The whole reply
        is sent in the chat's turn: nothing else reaches the chat between its messages.
        With ``progress``, parts accepted earlier are skipped (see Platform.send).
        """
        silent = reply.silent if silent is None else silent
        previews = reply.previews if previews is None else previews
        progress = progress or PartsProgress()
        async with self._turns.hold((target.chat_id, target.thread_id)):
            ids = []
            messages = render_reply(reply)
            picture = lead_image(reply)
            markup = self._markup(reply)
            for index, message in enumerate(messages):
                if progress.skips(index):
                    continue
                last = index == len(messages) - 1  # the buttons go under the whole reply
                sent_id, target = await self._send_message(
                    target,
                    message,
                    silent,
                    previews,
                    picture=picture if index == 0 else None,
                    markup=markup if last else None,
                )
                ids.append(sent_id)
                await progress.accepted(sent_id)
            if reply.document is not None and not progress.skips(len(messages)):
                sent_id = await self._send_document(target, reply.document, silent)
                ids.append(sent_id)
                await progress.accepted(sent_id)
            return ids

    async def _send_message(
        self,
        target: ChatTarget,
        message: TelegramMessage,
        silent: bool,
        previews: bool,
        picture: str | None = None,
        markup: InlineKeyboardMarkup | None = None,
    ) -> tuple[str, ChatTarget]:
        """Send one message: HTML, else its plain twin when Telegram cannot parse the markup.

        ``picture`` (the lead story's, on a digest's first message) is shown as the link
        preview, large and above the text, whatever ``previews`` says. When Telegram
        refuses it, the same message is sent again without it: a digest never fails
        because of a picture, and the refused request posted nothing. ``markup`` (the
        reply's buttons) goes on the reply's last message.
        """
        variants: list[tuple[str, str | None]] = [
            (message.html, ParseMode.HTML),
            (message.plain, None),
        ]
        attempt = 0
        while True:
            text, parse_mode = variants[attempt]
            options = (
                LinkPreviewOptions(url=picture, prefer_large_media=True, show_above_text=True)
                if picture
                else LinkPreviewOptions(is_disabled=not previews)
            )

            def send(
                t: ChatTarget,
                text: str = text,
                mode: str | None = parse_mode,
                options: LinkPreviewOptions = options,
            ) -> Awaitable[Message]:
                return self.application.bot.send_message(
                    chat_id=int(t.chat_id),
                    text=text,
                    parse_mode=mode,
                    message_thread_id=int(t.thread_id) if t.thread_id else None,
                    link_preview_options=options,
                    disable_notification=silent,
                    reply_markup=markup,
                )

            try:
                sent = await self._with_retries(target, send)
            except BadRequest as exc:
                if picture and picture_refused(exc.message):
                    log.info(
                        "telegram: picture refused for %s (%s), sending without it",
                        target,
                        exc.message,
                    )
                    picture = None
                    continue
                if attempt == 0 and "can't parse entities" in exc.message.lower():
                    log.warning("telegram: markup rejected for %s, resending as text", target)
                    attempt = 1
                    continue
                raise DeliveryError(target, DeliveryProblem.REJECTED, exc.message) from exc
            return str(sent.message_id), target_of(sent)

    async def _send_document(self, target: ChatTarget, document: Document, silent: bool) -> str:
        try:
            sent = await self._with_retries(
                target,
                lambda t: self.application.bot.send_document(
                    chat_id=int(t.chat_id),
                    document=InputFile(document.content, filename=document.filename),
                    message_thread_id=int(t.thread_id) if t.thread_id else None,
                    disable_notification=silent,
                ),
            )
        except BadRequest as exc:
            raise DeliveryError(target, DeliveryProblem.REJECTED, exc.message) from exc
        return str(sent.message_id)

    async def _with_retries(
        self, target: ChatTarget, call: Callable[[ChatTarget], Awaitable[Message]]
    ) -> Message:
        """One Bot API send with Telegram's error handling (see the module docstring).

        Raises DeliveryError for what it cannot fix, and BadRequest for the caller to
        judge (markup Telegram could not parse gets a plain-text second try).
        """
        flood_waits = network_errors = 0
        while True:
            await self._pace(target.chat_id)
            try:
                return await call(target)
            except RetryAfter as exc:
                flood_waits += 1
                delay = _seconds(exc.retry_after)
                if flood_waits > MAX_FLOOD_WAITS:
                    raise DeliveryError(
                        target, DeliveryProblem.RETRY_LATER, exc.message, retry_after=delay
                    ) from exc
                log.info("telegram: flood wait %.1fs before sending to %s", delay, target)
                self._next_send_at[target.chat_id] = self.monotonic() + delay  # _pace waits
            except ChatMigrated as exc:
                new_id = str(exc.new_chat_id)
                log.info("telegram: chat %s migrated to %s", target.chat_id, new_id)
                await self.services.store.move_chat(PLATFORM, target.chat_id, new_id)
                target = replace(target, chat_id=new_id)
            except Forbidden as exc:
                raise DeliveryError(target, DeliveryProblem.BLOCKED, exc.message) from exc
            except BadRequest as exc:
                problem = bad_request_problem(exc.message)
                if problem is not None:  # about the chat (no right to post, gone)
                    raise DeliveryError(target, problem, exc.message) from exc
                raise
            except NetworkError as exc:
                network_errors += 1
                if network_errors > MAX_NETWORK_RETRIES:
                    raise DeliveryError(target, DeliveryProblem.RETRY_LATER, exc.message) from exc
                delay = 2.0 ** (network_errors - 1)
                log.warning(
                    "telegram: network error to %s (%s), retry in %.0fs", target, exc, delay
                )
                await self.sleep(delay)

    async def _pace(self, chat_id: str) -> None:
        """At most one message per second to the same chat (Telegram's per-chat limit)."""
        now = self.monotonic()
        ready_at = self._next_send_at.get(chat_id, now)
        self._next_send_at[chat_id] = max(ready_at, now) + PER_CHAT_INTERVAL
        if ready_at > now:
            await self.sleep(ready_at - now)


def _alert_text(reply: Reply) -> str:
    """A refusal or error as one alert (Telegram shows a press's answer as a pop-up)."""
    return "\n".join((reply.text, *reply.lines))


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _accessible(message: MaybeInaccessibleMessage) -> Message | None:
    """The pressed message, or None when Telegram no longer shows it (too old, deleted).

    Such a message arrives as a Message dated 0 with neither its topic nor its text
    (python-telegram-bot parses a callback's message as Message either way).
    """
    if isinstance(message, Message) and message.is_accessible:
        return message
    return None
