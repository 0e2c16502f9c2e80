"""/language: the language the bot speaks in this chat (replies, digests, dates).

Until a chat chooses, it follows the language the platform reports for whoever talks to
the bot (Telegram's user language, Discord's user or server locale), else English; a
choice is stored in the chat's state and applies to every reply and digest from then on.
As with /settings, anyone may look and only the chat's administrators may change it.
"""

from __future__ import annotations

from dataclasses import replace

from bot.chat_state import ChatState, language_changes
from bot.i18n import (
    LANGUAGES,
    N_,
    _,
    chat_language,
    language_code,
    language_name,
    match_language,
    using,
)
from handlers.context import CommandContext
from handlers.model import Reply
from handlers.registry import ArgSpec, Changes, CommandRegistry, CommandSpec

#: Goes back to following the platform's language.
AUTO_WORDS = frozenset({"auto", "default", "reset"})


def _available() -> str:
    listed = ", ".join(f"{language_code(code)} ({language_name(code)})" for code in LANGUAGES)
    return _("Available: {languages}.").format(languages=listed)


async def language_command(ctx: CommandContext) -> Reply:
    services, command, chat = ctx.services, ctx.command, ctx.chat
    if not command.args:
        current = chat_language(chat, command.locale)
        has_choice = ChatState.of(chat).language is not None
        lines = [
            _available(),
            _("Change it with /language <code>; /language auto follows your app's language."),
        ]
        if not has_choice:
            lines.insert(0, _("This chat has not chosen one: it follows your app's language."))
        return Reply.info(
            _("Language: {name} ({code}).").format(
                name=language_name(current), code=language_code(current)
            ),
            *lines,
        )
    wanted = command.args[0]
    if wanted.lower() in AUTO_WORDS:
        chat = await services.store.update_chat_settings(chat.pk, changes=language_changes(None))
        language = chat_language(chat, command.locale)
        with using(language):
            reply = Reply.success(
                _("This chat now follows your app's language: {name}.").format(
                    name=language_name(language)
                )
            )
        return replace(reply, locale=language)
    chosen = match_language(wanted)
    if chosen is None:
        return Reply.error(
            _("I do not speak {code!r} yet.").format(code=wanted[:40]),
            _available(),
        )
    await services.store.update_chat_settings(chat.pk, changes=language_changes(chosen))
    with using(chosen):  # the answer is the first reply in the new language
        reply = Reply.success(
            _("Language set to {name}.").format(name=language_name(chosen)),
            _("Replies, digests and dates in this chat now use it."),
        )
    return replace(reply, locale=chosen)


def add_language_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="language",
            summary=N_("Show or set the language the bot uses in this chat"),
            handler=language_command,
            changes=Changes(what=N_("the language"), hint=N_("Send /language to see it.")),
            args=(
                ArgSpec(
                    "code", N_("a language code such as de, es, ru, zh, or auto"), required=False
                ),
            ),
        )
    )
