"""Discord adapter: discord.py 2 application (slash) commands ↔ the shared handler layer.

Thin by design: every slash command is generated from the shared registry (name, help,
typed options), so a command added there appears here without touching this file. The
adapter owns only what is Discord's: permissions, threads, attachments, interaction
responses (defer for slow commands, errors ephemeral), embeds within Discord's limits
(via discord_render), and Discord's error codes. No command logic lives here.

Delivery guarantees: feed text can never ping anyone (``allowed_mentions`` none); where
the bot may not embed links, the digest is resent as plain text; 429 and 5xx are retried by
discord.py itself; one reply's messages go out together and a channel's replies in the
order they were produced. What cannot be sent is classified — a channel that refuses the
bot (403) is "blocked", one that no longer exists (404) is "gone", a bad request is
"rejected", the rest "retry later" — for the one delivery policy (bot.delivery.policy).

REST and gateway addresses are module-level defaults in discord.py (``Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY``); `use_endpoints` sets them from
DISCORD_API_BASE_URL / DISCORD_GATEWAY_URL. One Discord client per process, sharded
(discord.py's AutoShardedClient): the shard count Discord recommends, or
DISCORD_SHARD_COUNT, and all shards or DISCORD_SHARD_IDS (see `sharding`). Sending needs
no shard (REST), so any process delivers to any channel.

Buttons and menus (a reply's actions) carry the signed command they stand for in their
custom_id (bot.platforms.callbacks); a press is decoded from that alone — no view is kept
in memory — and runs as if the presser had typed the command, so the buttons under a
digest sent before a restart, or by another process, still work. Slash-command arguments
offer suggestions as the user types (handlers.completion).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import io
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import discord
import yarl
from aiolimiter import AsyncLimiter
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.i18n import N_, _, chat_language, using
from bot.keyed_locks import KeyedLocks
from bot.models import ChatTarget
from bot.platforms.base import (
    DeliveryError,
    DeliveryProblem,
    PartsProgress,
    PlatformStartError,
)
from bot.platforms.callbacks import action_key, decode_action
from bot.platforms.chunking import shorten
from bot.platforms.discord.render import (
    DiscordMessage,
    attach_actions,
    has_thumbnails,
    render_plain,
    render_reply,
    without_thumbnails,
)
from bot.platforms.discord.sharding import IdentifyPacer, ShardPlan
from bot.platforms.discord.translator import CatalogueTranslator
from bot.platforms.intake import CommandIntake
from config.settings import Settings
from handlers.completion import MAX_SUGGESTIONS, complete
from handlers.model import Command, Document, Reply, User
from handlers.registry import ArgKind, ArgSpec, CommandRegistry, CommandSpec
from handlers.services import Services

log = logging.getLogger(__name__)

PLATFORM = "discord"
DEFAULT_API_BASE = Route.BASE
DEFAULT_GATEWAY = str(DiscordWebSocket.DEFAULT_GATEWAY)
NO_MENTIONS = discord.AllowedMentions.none()
MISSING_PERMISSIONS = 50013
# The interaction's token is no longer valid: the 3 seconds to acknowledge it, or the 15
# minutes to follow it up, have passed. This is about the interaction, not the channel.
UNKNOWN_INTERACTION, UNKNOWN_WEBHOOK = 10062, 10015
EXPIRED_INTERACTION = frozenset({UNKNOWN_INTERACTION, UNKNOWN_WEBHOOK})
# Gateway close codes an operator must act on: shard settings Discord refuses.
INVALID_SHARD, SHARDING_REQUIRED = 4010, 4011
# Discord allows about 50 requests/s per bot; discord.py reacts to 429s, we pace before them.
GLOBAL_REQUESTS_PER_SECOND = 50
FILE_HINT = N_("choose the file in the command's file option")
ADMIN_PERMISSIONS = discord.Permissions(manage_channels=True)
# What a deferred interaction shows until its answer comes: to everyone, or to the asker.
PUBLIC_PLACEHOLDER, PRIVATE_PLACEHOLDER = "public", "private"
# A press acknowledged without a placeholder (DEFERRED_UPDATE_MESSAGE): the pressed
# message stays as it is until the answer edits it or follows it.
PRESS_PLACEHOLDER = "press"
NOT_OURS = N_("This button is no longer valid.")
POSTERS_ONLY = N_("Only those who can post here can use these buttons.")
OPTION_TYPES: dict[ArgKind, type] = {
    ArgKind.TEXT: str,
    ArgKind.URL: str,
    ArgKind.INTEGER: int,
    ArgKind.FILE: discord.Attachment,
}


def use_endpoints(api_base_url: str | None, gateway_url: str | None) -> None:
    """Point discord.py at other REST/gateway servers (a proxy, or a test fake)."""
    Route.BASE = (api_base_url or DEFAULT_API_BASE).rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url or DEFAULT_GATEWAY)


class _Components(discord.ui.View):
    """Components as render.py made them (JSON), sent as they are.

    Why not discord.py's Button and Select items: those dispatch presses to callbacks of a
    view kept in memory, lost on restart and unknown to other processes. A press is read
    from its custom_id instead (`DiscordPlatform.on_interaction`), so this view is never
    dispatchable and discord.py keeps nothing for it.
    """

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        super().__init__(timeout=None)
        self._rows = rows

    def to_components(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self._rows]

    def is_dispatchable(self) -> bool:
        return False


def target_of(interaction: discord.Interaction) -> ChatTarget:
    """Replies and digests go where the command was used, including a thread."""
    channel = interaction.channel
    if isinstance(channel, discord.Thread):
        return ChatTarget(PLATFORM, str(channel.parent_id), str(channel.id))
    return ChatTarget(PLATFORM, str(interaction.channel_id))


class DiscordPlatform:
    """Runs one bot token: slash commands in, replies and digests out."""

    name = PLATFORM

    def __init__(
        self,
        settings: Settings,
        registry: CommandRegistry,
        services: Services,
        *,
        guild_ready_timeout: float = 2.0,
        ready_timeout: float = 60.0,
    ) -> None:
        if settings.discord_bot_token is None:
            raise ValueError("DiscordPlatform needs DISCORD_BOT_TOKEN")
        use_endpoints(settings.discord_api_base_url, settings.discord_gateway_url)
        self.settings = settings
        self.registry = registry
        self.services = services
        self.ready_timeout = ready_timeout
        # The shard count is settled at start (`_plan_shards`), from Discord's advice.
        shards: dict[str, Any] = {}
        if settings.discord_shard_ids is not None:
            shards["shard_ids"] = settings.discord_shard_ids
        self.client = discord.AutoShardedClient(
            intents=discord.Intents.default(),
            guild_ready_timeout=guild_ready_timeout,
            shard_count=settings.discord_shard_count,
            **shards,
        )
        self.shards: ShardPlan | None = None
        self._identify = IdentifyPacer()
        self.client.before_identify_hook = self._before_identify  # type: ignore[method-assign]
        self.tree = app_commands.CommandTree(self.client)
        for spec in registry.all():
            self.tree.add_command(self._slash_command(spec))
        self.client.setup_hook = self._sync_commands  # type: ignore[method-assign]
        self._ready = asyncio.Event()
        self.client.event(self.on_ready)
        self._connection: asyncio.Task[None] | None = None
        # A steady drip, not a burst (a full bucket plus its refill would overshoot). The
        # limiter admits a little below its nominal rate, hence the +2 (bench/delivery.py
        # measures what it reaches).
        self._pace = AsyncLimiter(1, 1 / (GLOBAL_REQUESTS_PER_SECOND + 2))
        self.intake = CommandIntake(services, platform=PLATFORM)
        self.client.event(self.on_interaction)
        self._action_key = action_key(settings.discord_bot_token.get_secret_value())
        self._turns = KeyedLocks()  # one reply at a time per channel, in order

    async def wait_idle(self) -> None:
        """Until no command is being handled (used by shutdown and tests)."""
        await self.intake.wait_idle()

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Log in and wait for the gateway; what an operator must fix is one line."""
        assert self.settings.discord_bot_token is not None
        api = urlsplit(Route.BASE).hostname
        try:
            await self.client.login(self.settings.discord_bot_token.get_secret_value())
        except discord.LoginFailure as exc:
            raise PlatformStartError(
                "DISCORD_BOT_TOKEN was refused by Discord: copy the bot token again from "
                "the developer portal (Bot → Reset Token)."
            ) from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise PlatformStartError(
                f"could not reach the Discord API at {api} ({type(exc).__name__}): check "
                "the network, or DISCORD_API_BASE_URL."
            ) from exc
        self.shards = plan = await self._plan_shards()
        self._connection = asyncio.create_task(self.client.connect(reconnect=True))
        ready = asyncio.create_task(self._ready.wait())
        # Identifying many shards takes Discord's pacing on top of the usual wait.
        timeout = self.ready_timeout + plan.identify_wait()
        done, _ = await asyncio.wait(
            {ready, self._connection}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if ready not in done:
            ready.cancel()
            cause = self._connection.exception() if self._connection in done else None
            raise PlatformStartError(self._not_ready(cause, timeout)) from cause
        log.info("discord: logged in as %s on %s", self.client.user, plan.describe())

    async def _plan_shards(self) -> ShardPlan:
        """How many shards in all (Discord's advice unless configured), which ones run here.

        Asked once at start (``GET /gateway/bot``), also for ``max_concurrency``: how many
        shards may identify at once. The gateway address stays DISCORD_GATEWAY_URL's (or
        Discord's default), which discord.py would otherwise replace with the one returned.
        """
        try:
            recommended, _url, limits = await self.client.http.get_bot_gateway()
        except (discord.GatewayNotFound, aiohttp.ClientError, OSError) as exc:
            raise PlatformStartError(
                f"could not ask Discord for its gateway ({type(exc).__name__}): check the "
                "network, or DISCORD_API_BASE_URL."
            ) from exc
        plan = ShardPlan.of(
            configured_count=self.settings.discord_shard_count,
            configured_ids=self.settings.discord_shard_ids,
            recommended_count=recommended,
            max_concurrency=int(limits.get("max_concurrency") or 1),
        )
        if self.settings.discord_shard_count and plan.count < recommended:
            log.warning(
                "discord: DISCORD_SHARD_COUNT=%d, Discord recommends %d shards",
                plan.count,
                recommended,
            )
        self.client.shard_count = plan.count
        self._identify = IdentifyPacer(plan.max_concurrency)
        return plan

    async def _before_identify(self, shard_id: int | None, *, initial: bool = False) -> None:
        await self._identify.wait(shard_id)

    @staticmethod
    def _not_ready(cause: BaseException | None, timeout: float) -> str:
        code = getattr(cause, "code", None)
        if code == SHARDING_REQUIRED:
            return (
                "Discord requires more shards for this bot (4011 Sharding required): raise "
                "DISCORD_SHARD_COUNT, or unset it to use the count Discord recommends."
            )
        if code == INVALID_SHARD:
            return (
                "Discord refused the shard settings (4010 Invalid shard): check "
                "DISCORD_SHARD_COUNT and DISCORD_SHARD_IDS."
            )
        return (
            "the Discord gateway did not become ready"
            + (f" ({type(cause).__name__})" if cause else f" within {timeout:g} s")
            + ": check the network, or DISCORD_GATEWAY_URL."
        )

    async def stop(self) -> None:
        await self.client.close()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection
        log.info("discord: stopped")

    async def on_ready(self) -> None:
        self._ready.set()

    async def _sync_commands(self) -> None:
        await self.tree.set_translator(CatalogueTranslator())  # descriptions per locale
        guild_id = self.settings.discord_dev_guild_id
        if guild_id:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
        else:
            synced = await self.tree.sync()
        log.info(
            "discord: %d slash commands synced%s",
            len(synced),
            " to the dev guild" if guild_id else "",
        )

    # -- commands --------------------------------------------------------------------------

    def _slash_command(self, spec: CommandSpec) -> app_commands.Command[Any, ..., None]:
        """A slash command whose typed options mirror the spec's arguments."""
        parameters = [
            inspect.Parameter(
                "interaction",
                inspect.Parameter.POSITIONAL_OR_KEYWORD,
                annotation=discord.Interaction,
            )
        ]
        for arg in spec.args:
            annotation: Any = OPTION_TYPES[arg.kind]
            parameters.append(
                inspect.Parameter(
                    arg.name,
                    inspect.Parameter.KEYWORD_ONLY,
                    annotation=annotation if arg.required else annotation | None,
                    default=inspect.Parameter.empty if arg.required else None,
                )
            )

        async def callback(interaction: discord.Interaction, **options: Any) -> None:
            await self._on_command(spec, interaction, options)

        callback.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
        callback.__discord_app_commands_param_description__ = {  # type: ignore[attr-defined]
            arg.name: app_commands.locale_str(shorten(arg.description, 100), source=arg.description)
            for arg in spec.args
        }
        command: app_commands.Command[Any, ..., None] = app_commands.Command(
            name=spec.name,
            # Translated from the whole English text, even when that is shortened here.
            description=app_commands.locale_str(shorten(spec.summary, 100), source=spec.summary),
            callback=callback,
        )
        if spec.admins_only:  # every use needs an admin: hide it from the others by default
            command.default_permissions = ADMIN_PERMISSIONS
        for arg in spec.args:
            if arg.completes and arg.kind is not ArgKind.FILE:
                command.autocomplete(arg.name)(self._suggester(spec, arg))
        return command

    def _suggester(
        self, spec: CommandSpec, arg: ArgSpec
    ) -> Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[Any]]]]:
        """What Discord shows under an option as it is typed (handlers.completion)."""

        async def suggest(
            interaction: discord.Interaction, current: str
        ) -> list[app_commands.Choice[Any]]:
            target = target_of(interaction)
            space_id = str(interaction.guild_id) if interaction.guild_id else None
            if self.intake.refusal(target, space_id) is not None:
                return []
            others = {
                other.name: str(value)
                for other in spec.args
                if (value := getattr(interaction.namespace, other.name, None)) is not None
            }
            locale = _locale_value(interaction.locale) or _locale_value(interaction.guild_locale)
            try:
                with using(locale):  # the typist's language: only they see the suggestions
                    found = await complete(
                        arg.completes, self.services, target, str(current), others
                    )
            except Exception:
                log.exception("discord: no suggestions for /%s %s", spec.name, arg.name)
                return []
            choices: list[app_commands.Choice[Any]] = []
            for label, value in found[:MAX_SUGGESTIONS]:
                if arg.kind is ArgKind.INTEGER:
                    if not value.isascii() or not value.isdigit():
                        continue
                    choices.append(app_commands.Choice(name=shorten(label, 100), value=int(value)))
                elif value and len(value) <= 100:
                    choices.append(app_commands.Choice(name=shorten(label, 100), value=value))
            return choices

        return suggest

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A button pressed or a menu entry picked (slash commands go through the tree)."""
        if interaction.type is not discord.InteractionType.component:
            return
        async with self.intake.handling():
            try:
                await self._on_press(interaction)
            except discord.HTTPException:
                log.exception("discord: could not answer a press in %s", interaction.channel_id)

    async def _on_press(self, interaction: discord.Interaction) -> None:
        """Run the command the pressed button stands for, as the presser typing it.

        The same path as the slash command: the operator's allow-list, the chat resumed,
        the presser's admin rights in this channel, the handler's access and rate checks
        (`CommandRegistry.dispatch`). Only a custom_id the bot signed is run; anything
        else is answered politely to the presser alone.
        """
        data: dict[str, Any] = dict(interaction.data or {})
        values = data.get("values") or []
        pressed = decode_action(
            str(values[0] if values else data.get("custom_id", "")), self._action_key
        )
        target = target_of(interaction)
        space_id = str(interaction.guild_id) if interaction.guild_id else None
        # The presser's client language; the server's when Discord sends no user one.
        locale = _locale_value(interaction.locale) or _locale_value(interaction.guild_locale)
        refusal = self.intake.refusal(target, space_id, locale=locale)
        if refusal is not None:
            await self._answer(interaction, target, refusal, deferred=False, press=True)
            return
        if pressed is None:
            log.info("discord: a press in %s that is not ours", target)
            # In the chat's language when it chose one, else the presser's.
            known = await self.services.store.find_chat(target)
            with using(chat_language(known, locale)) as language:
                reply = replace(Reply.error(_(NOT_OURS)), locale=language)
            await self._answer(interaction, target, reply, deferred=False, press=True)
            return
        if not self._may_post(interaction):
            # A read-only member (an announcement channel's readers) sees the buttons but
            # must not make the bot post there: "Show more" would send stories early.
            known = await self.services.store.find_chat(target)
            with using(chat_language(known, locale)) as language:
                reply = replace(Reply.error(_(POSTERS_ONLY)), locale=language)
            await self._answer(interaction, target, reply, deferred=False, press=True)
            return
        spec = self.registry.get(pressed.command)
        deferred = expired = False
        if spec is not None and spec.fetches:
            deferred = await self._defer(interaction, press=True)
            expired = not deferred
        await self.intake.on_contact(target)
        command = Command(
            platform=PLATFORM,
            target=target,
            user=User(str(interaction.user.id), interaction.user.name),
            name=pressed.command,
            args=pressed.args,
            is_admin=self._is_admin(interaction),
            space_id=space_id,
            file_hint=FILE_HINT,
            pressed=True,
            locale=locale,
        )
        reply = await self.registry.dispatch(self.services, command)
        await self._answer(
            interaction, target, reply, deferred=deferred, expired=expired, press=True
        )

    async def _on_command(
        self, spec: CommandSpec, interaction: discord.Interaction, options: dict[str, Any]
    ) -> None:
        async with self.intake.handling():
            try:
                await self._handle(spec, interaction, options)
            except discord.HTTPException:
                log.exception("discord: could not answer /%s", spec.name)

    async def _handle(
        self, spec: CommandSpec, interaction: discord.Interaction, options: dict[str, Any]
    ) -> None:
        target = target_of(interaction)
        space_id = str(interaction.guild_id) if interaction.guild_id else None
        refusal = self.intake.refusal(target, space_id, locale=_locale_value(interaction.locale))
        if refusal is not None:  # before deferring, reading attachments or permissions
            await self._answer(interaction, target, refusal, deferred=False)
            return
        deferred = expired = False
        if spec.fetches:
            deferred = await self._defer(interaction)
            expired = not deferred
        await self.intake.on_contact(target)
        args, attachment, problem = await self._arguments(spec, options)
        if problem:
            reply = Reply.error(problem)
        else:
            command = Command(
                platform=PLATFORM,
                target=target,
                user=User(str(interaction.user.id), interaction.user.name),
                name=spec.name,
                args=args,
                is_admin=self._is_admin(interaction),
                attachment=attachment,
                space_id=space_id,
                file_hint=FILE_HINT,
                # The user's client language; the server's when Discord sends no user one.
                locale=_locale_value(interaction.locale) or _locale_value(interaction.guild_locale),
            )

            async def say_now(text: str) -> None:
                if not interaction.response.is_done():
                    return  # not deferred: the answer itself comes within seconds
                try:
                    await interaction.followup.send(content=text, allowed_mentions=NO_MENTIONS)
                except discord.HTTPException as exc:
                    log.info("discord: progress message not sent: %s", exc)

            reply = await self.registry.dispatch(self.services, command, say_now=say_now)
        await self._answer(interaction, target, reply, deferred=deferred, expired=expired)

    @staticmethod
    async def _defer(
        interaction: discord.Interaction, *, ephemeral: bool = False, press: bool = False
    ) -> bool:
        """Acknowledge the interaction ("thinking…"); False when it has expired already.

        A press is acknowledged without a placeholder (DEFERRED_UPDATE_MESSAGE): its answer
        then either replaces the pressed message or follows it.
        """
        try:
            await interaction.response.defer(thinking=not press, ephemeral=ephemeral)
        except discord.NotFound as exc:
            if exc.code not in EXPIRED_INTERACTION:
                raise
            log.info("discord: interaction %s expired before it was acknowledged", interaction.id)
            return False
        return True

    async def _answer(
        self,
        interaction: discord.Interaction,
        target: ChatTarget,
        reply: Reply,
        *,
        deferred: bool,
        expired: bool = False,
        press: bool = False,
    ) -> None:
        """The interaction's answer, in the channel's turn (after what is being sent there).

        An interaction must be acknowledged within three seconds; when the channel is busy
        (a long digest going out), the answer is deferred first and follows in turn. An
        interaction that expired (see `_respond_or_post`) is answered in the channel.
        """
        placeholder = (PRESS_PLACEHOLDER if press else PUBLIC_PLACEHOLDER) if deferred else None
        if not deferred and not expired and self._turns.busy(self._turn_key(target)):
            # Shown only to the asker when the answer will be an error (ephemeral).
            expired = not await self._defer(interaction, ephemeral=reply.is_error, press=press)
            if not expired:
                placeholder = PRIVATE_PLACEHOLDER if reply.is_error else PUBLIC_PLACEHOLDER
                placeholder = PRESS_PLACEHOLDER if press else placeholder

        async def respond(progress: PartsProgress | None) -> list[str]:
            async with self._turns.hold(self._turn_key(target)):
                return await self._classified(
                    target,
                    lambda: self._respond_or_post(
                        interaction,
                        target,
                        reply,
                        placeholder=placeholder,
                        expired=expired,
                        progress=progress or PartsProgress(),
                    ),
                )

        await self.intake.answer(target, reply, respond)

    async def _respond_or_post(
        self,
        interaction: discord.Interaction,
        target: ChatTarget,
        reply: Reply,
        *,
        placeholder: str | None,
        expired: bool,
        progress: PartsProgress,
    ) -> list[str]:
        """Answer the interaction, or post in the channel when its token has expired.

        Why: Discord answers 404 Unknown interaction (10062) or Unknown Webhook (10015)
        once the 3 seconds to acknowledge or the 15 minutes to follow up have passed (a
        slow /digest, a busy loop). That 404 says nothing about the channel, so the chat
        must not be paused as "gone": the answer goes out as ordinary channel messages,
        after the ones the interaction already took. An error meant for the asker alone
        (ephemeral) cannot be shown to them any more and is not posted to everyone.
        """
        ids: list[str] = []
        if not expired:
            try:
                return await self._respond(
                    interaction, reply, placeholder=placeholder, progress=progress
                )
            except discord.NotFound as exc:
                if exc.code not in EXPIRED_INTERACTION:
                    raise
                log.info("discord: interaction %s expired: answering in the channel", target)
                ids = progress.ids[:]
        if reply.is_error:
            log.info("discord: an error answer to %s was not shown: interaction expired", target)
            return ids
        return [*ids, *await self._send_now(target, reply, progress)]

    @staticmethod
    def _turn_key(target: ChatTarget) -> str:
        return target.thread_id or target.chat_id

    async def _arguments(
        self, spec: CommandSpec, options: dict[str, Any]
    ) -> tuple[tuple[str, ...], Document | None, str | None]:
        args: list[str] = []
        attachment: Document | None = None
        for arg in spec.args:
            value = options.get(arg.name)
            if value is None:
                continue
            if arg.kind is ArgKind.FILE:
                problem = self.intake.attachment_problem(value.filename, value.size)
                if problem:
                    return (), None, problem
                content = await value.read()
                attachment = Document(value.filename, content, value.content_type or "")
            elif arg.rest:
                args += str(value).split()
            else:
                args.append(str(value))
        return tuple(args), attachment, None

    def _may_post(self, interaction: discord.Interaction) -> bool:
        """Whether the presser could post in the channel themselves (always in DMs)."""
        if interaction.guild is None or self._is_admin(interaction):
            return True
        permissions = interaction.permissions
        return permissions.send_messages or permissions.send_messages_in_threads

    def _is_admin(self, interaction: discord.Interaction) -> bool:
        """DMs: always. Servers: Manage Server or Manage Channels, or a bot operator."""
        if interaction.guild is None:
            return True
        if self.settings.is_bot_admin(PLATFORM, str(interaction.user.id)):
            return True
        permissions = interaction.permissions
        return permissions.manage_guild or permissions.manage_channels

    async def _respond(
        self,
        interaction: discord.Interaction,
        reply: Reply,
        *,
        placeholder: str | None,
        progress: PartsProgress | None = None,
    ) -> list[str]:
        """Successes are visible in the channel; errors only to the person who asked.

        ``placeholder`` is the "thinking…" response a deferral left (public or private,
        or none for a press), None when the interaction has not been answered yet.
        ``progress`` records each message as it is accepted (an answer that fails
        half-way is resumed by the outbox). A press answered with ``replaces_pressed``
        shows its first message in place of the pressed one (UPDATE_MESSAGE), the rest
        after it.
        """
        progress = progress or PartsProgress()
        messages = self._render(reply, render_reply)
        files = self._files(reply)
        ephemeral = reply.is_error
        if placeholder == PUBLIC_PLACEHOLDER and ephemeral:
            await interaction.delete_original_response()  # the "thinking…" was public
        deferred = placeholder is not None
        replaces = (
            reply.replaces_pressed
            and not ephemeral
            and interaction.type is discord.InteractionType.component
            and interaction.message is not None
            and placeholder in (None, PRESS_PLACEHOLDER)
        )
        ids: list[str] = []
        for index, message in enumerate(messages):

            async def respond(message: DiscordMessage, index: int = index) -> str:
                kwargs = self._message_kwargs(message, reply)
                if index == len(messages) - 1 and files:
                    kwargs["files"] = files
                if index == 0 and replaces:
                    assert interaction.message is not None
                    edit = self._edit_kwargs(kwargs)
                    if deferred:
                        await interaction.edit_original_response(**edit)
                    else:
                        suppress = bool(kwargs.get("suppress_embeds"))
                        await interaction.response.edit_message(**edit, suppress_embeds=suppress)
                    return str(interaction.message.id)
                if index == 0 and not deferred:
                    response = await interaction.response.send_message(
                        ephemeral=ephemeral, **kwargs
                    )
                    return str(response.message_id or f"interaction:{interaction.id}")
                # an interaction's webhook always waits, so the message comes back
                sent = await interaction.followup.send(ephemeral=ephemeral, **kwargs)
                return str(sent.id)

            ids.append(await _pictures_optional(message, respond))
            await progress.accepted(ids[-1])
        return ids

    @staticmethod
    def _edit_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
        """send() arguments as an edit's: everything of the pressed message is replaced."""
        return {
            "content": kwargs.get("content"),
            "embeds": kwargs.get("embeds", []),
            "view": kwargs.get("view"),
            "attachments": kwargs.get("files", []),
            "allowed_mentions": NO_MENTIONS,
        }

    def _render(
        self, reply: Reply, render: Callable[[Reply], list[DiscordMessage]]
    ) -> list[DiscordMessage]:
        """The reply's messages, its actions as components under the last one."""
        return attach_actions(render(reply), reply.actions, self._action_key)

    @staticmethod
    def _files(reply: Reply) -> list[discord.File]:
        if reply.document is None:
            return []
        return [discord.File(io.BytesIO(reply.document.content), filename=reply.document.filename)]

    @staticmethod
    def _message_kwargs(message: DiscordMessage, reply: Reply) -> dict[str, Any]:
        """discord.py send() arguments; a digest carries the chat's /settings choices.

        ``silent`` sets SUPPRESS_NOTIFICATIONS. With previews off, messages without our own
        embeds (the compact layout, text chunks) get SUPPRESS_EMBEDS so Discord does not
        unfurl their links; the flag would hide our story embeds too, so messages carrying
        them never get it: the story embed is the preview, and Discord does not unfurl
        links inside embeds.
        """
        kwargs: dict[str, Any] = {"allowed_mentions": NO_MENTIONS}
        if reply.silent:
            kwargs["silent"] = True
        if reply.digest is not None and not reply.previews and not message.embeds:
            kwargs["suppress_embeds"] = True
        if message.content:
            kwargs["content"] = message.content
        if message.embeds:
            kwargs["embeds"] = [discord.Embed.from_dict(embed) for embed in message.embeds]
        if message.components:
            kwargs["view"] = _Components(message.components)
        return kwargs

    # -- outgoing (digests from the outbox) ------------------------------------------------

    async def send(
        self, target: ChatTarget, reply: Reply, *, progress: PartsProgress | None = None
    ) -> list[str]:
        """Post a reply or digest to a channel or thread; returns the message ids.

        The whole reply is posted in the channel's turn. Raises DeliveryError. With
        ``progress``, messages accepted earlier are skipped (see Platform.send).
        """
        progress = progress or PartsProgress()
        async with self._turns.hold(self._turn_key(target)):
            return await self._classified(target, lambda: self._send_now(target, reply, progress))

    async def _send_now(
        self, target: ChatTarget, reply: Reply, progress: PartsProgress
    ) -> list[str]:
        channel_id = int(target.thread_id or target.chat_id)
        channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
        try:
            return await self._post(channel, self._render(reply, render_reply), reply, progress)
        except discord.Forbidden as exc:
            # The plain rendering splits differently: switch only before any part went out.
            if exc.code != MISSING_PERMISSIONS or reply.digest is None or progress.done:
                raise
            log.info("discord: cannot embed in %s, sending plain text", target)
            return await self._post(channel, self._render(reply, render_plain), reply, progress)

    @staticmethod
    async def _classified(
        target: ChatTarget, send: Callable[[], Awaitable[list[str]]]
    ) -> list[str]:
        """Run a send; Discord's errors become DeliveryErrors for the delivery policy."""
        try:
            return await send()
        except discord.Forbidden as exc:
            raise DeliveryError(target, DeliveryProblem.BLOCKED, exc.text or "forbidden") from exc
        except discord.NotFound as exc:
            raise DeliveryError(target, DeliveryProblem.GONE, exc.text or "not found") from exc
        except discord.RateLimited as exc:
            raise DeliveryError(
                target, DeliveryProblem.RETRY_LATER, "rate limited", retry_after=exc.retry_after
            ) from exc
        except discord.HTTPException as exc:
            problem = DeliveryProblem.REJECTED if 400 <= exc.status < 500 else None
            raise DeliveryError(
                target, problem or DeliveryProblem.RETRY_LATER, exc.text or str(exc.status)
            ) from exc
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            raise DeliveryError(
                target, DeliveryProblem.RETRY_LATER, str(exc) or type(exc).__name__
            ) from exc

    async def _post(
        self,
        channel: Any,
        messages: list[DiscordMessage],
        reply: Reply,
        progress: PartsProgress,
    ) -> list[str]:
        ids = []
        files = self._files(reply)
        for index, message in enumerate(messages):
            if progress.skips(index):
                continue

            async def post(message: DiscordMessage, index: int = index) -> str:
                kwargs = self._message_kwargs(message, reply)
                if index == len(messages) - 1 and files:
                    kwargs["files"] = files
                async with self._pace:
                    sent = await channel.send(**kwargs)
                return str(sent.id)

            ids.append(await _pictures_optional(message, post))
            await progress.accepted(ids[-1])
        return ids


async def _pictures_optional(
    message: DiscordMessage, send: Callable[[DiscordMessage], Awaitable[str]]
) -> str:
    """Send ``message``; when Discord refuses a story's picture, send it again without them.

    A digest never fails because of a picture: Discord answers 400 naming the embed's
    ``thumbnail`` (an address it will not take), and the same message goes out with no
    thumbnails. Nothing was posted by the refused request, so nothing is repeated.
    """
    try:
        return await send(message)
    except discord.HTTPException as exc:
        if exc.status != 400 or not has_thumbnails(message):
            raise
        if "thumbnail" not in (exc.text or "").lower():
            raise
        log.info("discord: a story picture was refused (%s); sending without pictures", exc.text)
        return await send(without_thumbnails(message))


def _locale_value(locale: discord.Locale | None) -> str | None:
    return locale.value if locale is not None else None
