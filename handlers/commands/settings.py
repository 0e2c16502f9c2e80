"""/settings: how this chat's digests look and arrive (summary length, cap, layout, …).

Anyone may look; only the chat's administrators may change a setting, as with the other
commands that change a chat. The rules (names, valid values, defaults) live in
bot.digest.chat_settings so the composer and the platforms read exactly what was checked here.
"""

from __future__ import annotations

from bot.chat_state import digest_settings_changes
from bot.digest.chat_settings import SPECS, ChatSettings, SettingError, lookup
from bot.i18n import N_, _
from handlers.context import CommandContext
from handlers.model import Reply
from handlers.registry import ArgSpec, Changes, CommandRegistry, CommandSpec

HOW_TO_CHANGE = N_(
    "Change one with /settings <name> <value>; <value> default restores the default."
)


def _line(name: str, current: ChatSettings, defaults: ChatSettings) -> str:
    spec = SPECS[name]
    value = current.display(name)
    marker = _(" (default)") if getattr(current, name) == getattr(defaults, name) else ""
    return f"{name}: {value}{marker} — {_(spec.description)}; {spec.valid(defaults)}"


def changes_a_setting(args: tuple[str, ...]) -> bool:
    """/settings and /settings <name> show; /settings <name> <value> changes."""
    return len(args) >= 2


async def settings_command(ctx: CommandContext) -> Reply:
    services, command, chat = ctx.services, ctx.command, ctx.chat
    defaults = services.composer.defaults
    current = services.composer.settings_for(chat)
    if not command.args:
        lines = [_line(name, current, defaults) for name in SPECS]
        return Reply.info(_("Settings for this chat's digests:"), *lines, _(HOW_TO_CHANGE))
    try:
        spec = lookup(command.args[0])
    except SettingError as exc:
        return Reply.error(str(exc), _(HOW_TO_CHANGE))
    if len(command.args) == 1:
        return Reply.info(_line(spec.name, current, defaults), _(HOW_TO_CHANGE))
    try:
        changed = current.changed(spec.name, command.args[1], defaults)
    except SettingError as exc:
        return Reply.error(
            str(exc), _("Usage: {usage}").format(usage=f"/settings {spec.name} <value>")
        )
    await services.store.update_chat_settings(
        chat.pk, changes=digest_settings_changes(changed.overrides(defaults))
    )
    if getattr(changed, spec.name) == getattr(defaults, spec.name):
        text = _("{name} set to {value} (the default).")
    else:
        text = _("{name} set to {value}.")
    return Reply.success(text.format(name=spec.name, value=changed.display(spec.name)))


def add_settings_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="settings",
            summary=N_("Show or change how this chat's digests look and arrive"),
            handler=settings_command,
            changes=Changes(
                what=N_("its settings"),
                is_change=changes_a_setting,
                hint=N_("Send /settings to see them."),
            ),
            args=(
                ArgSpec("setting", ", ".join(SPECS), required=False),
                ArgSpec("value", N_("the new value, or default"), required=False),
            ),
            details=N_(
                "sentences 1-5 per summary; items up to the operator's cap; layout full or "
                "compact; previews on/off; silent on/off; algorithm: the summariser."
            ),
        )
    )
