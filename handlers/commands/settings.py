"""/settings: how this chat's digests look and arrive (summary length, cap, layout, …).

Anyone may look; only the chat's administrators may change a setting, as with the other
commands that change a chat. The rules (names, valid values, defaults) live in
bot.digest.chat_settings so the composer and the platforms read exactly what was checked here.
"""

from __future__ import annotations

from bot.chat_state import digest_settings_changes
from bot.digest.chat_settings import (
    MAX_SENTENCES,
    MIN_SENTENCES,
    SPECS,
    ChatSettings,
    SettingError,
    lookup,
)
from bot.i18n import N_, _
from bot.models import LAYOUTS
from bot.news.summarise import ALGORITHMS
from handlers import completion
from handlers.context import CommandContext
from handlers.model import Action, ActionRow, Reply
from handlers.registry import ArgSpec, Changes, CommandRegistry, CommandSpec

SWITCHES = ("previews", "silent", "images")
SENTENCE_CHOICES = tuple(str(n) for n in range(MIN_SENTENCES, MAX_SENTENCES + 1))
ALGORITHM_CHOICES = tuple(sorted(ALGORITHMS))
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
        return _overview(_("Settings for this chat's digests:"), current, defaults, pressed=False)
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
    done = text.format(name=spec.name, value=changed.display(spec.name))
    if command.pressed:  # the settings message the button was on, updated in place
        return _overview(done, changed, defaults, pressed=True)
    return Reply.success(done)


def _overview(head: str, current: ChatSettings, defaults: ChatSettings, *, pressed: bool) -> Reply:
    lines = [_line(name, current, defaults) for name in SPECS]
    return Reply(
        text=head,
        lines=(*lines, _(HOW_TO_CHANGE)),
        actions=settings_actions(current),
        replaces_pressed=pressed,
    )


def settings_actions(current: ChatSettings) -> tuple[ActionRow, ...]:
    """On/off settings as toggles, enumerated ones as choice lists (the current value
    marked); numbers without a short list of values (items) are typed."""
    toggles = tuple(
        Action(
            _("{name}: {value} → {new}").format(
                name=name.capitalize(),
                value=current.display(name),
                new="off" if value else "on",
            ),
            "settings",
            (name, "off" if value else "on"),
        )
        for name in SWITCHES
        if isinstance(value := getattr(current, name), bool)
    )
    rows = [ActionRow(toggles)]
    for name, placeholder, values in (
        ("layout", _("Layout…"), LAYOUTS),
        ("sentences", _("Sentences per summary…"), SENTENCE_CHOICES),
        ("algorithm", _("Summary algorithm…"), ALGORITHM_CHOICES),
    ):
        chosen = current.display(name)
        rows.append(
            ActionRow(
                tuple(
                    Action(
                        f"{name}: {value}" + (" ✓" if value == chosen else ""),
                        "settings",
                        (name, value),
                    )
                    for value in values
                ),
                placeholder=placeholder,
            )
        )
    return tuple(rows)


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
                ArgSpec(
                    "setting",
                    ", ".join(SPECS),
                    required=False,
                    completes=completion.SETTINGS,
                ),
                ArgSpec(
                    "value",
                    N_("the new value, or default"),
                    required=False,
                    completes=completion.SETTING_VALUES,
                ),
            ),
            details=N_(
                "sentences 1-5 per summary; items up to the operator's cap; layout full or "
                "compact; previews on/off; silent on/off; algorithm: the summariser; "
                "images on/off: stories' pictures."
            ),
        )
    )
