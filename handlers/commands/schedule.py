"""/schedule and /timezone: when this chat gets its digests, in its own time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.chat_state import schedule_changes
from bot.delivery.schedule import (
    INSTANT,
    OFF,
    Schedule,
    ScheduleError,
    chat_schedule,
    chat_zone,
    next_slot,
    parse_schedule,
    parse_timezone,
)
from bot.i18n import N_, _, format_weekday_moment
from handlers import completion
from handlers.commands.pause import paused_line
from handlers.context import CommandContext
from handlers.model import Reply
from handlers.registry import ArgSpec, Changes, CommandRegistry, CommandSpec
from handlers.services import Services


def _next_run_line(schedule: Schedule, zone_name: str, services: Services) -> str:
    zone = ZoneInfo(zone_name)
    upcoming = next_slot(schedule, zone, services.clock())
    if upcoming is None:
        return ""
    return _("Next digest: {moment} ({zone}).").format(
        moment=format_weekday_moment(upcoming, zone), zone=zone_name
    )


async def schedule_command(ctx: CommandContext) -> Reply:
    services, command, chat = ctx.services, ctx.command, ctx.chat
    schedule = chat_schedule(chat)
    zone_name = chat_zone(chat, services.settings.default_timezone).key
    if not command.args:
        lines = [
            _("Time zone: {zone}. Change it with /timezone <Area/City>.").format(zone=zone_name)
        ]
        if next_line := _next_run_line(schedule, zone_name, services):
            lines.insert(0, next_line)
        if paused := paused_line(chat, services):
            lines.insert(0, paused)
        return Reply.info(_("Schedule: {schedule}.").format(schedule=schedule.describe()), *lines)
    try:
        new = parse_schedule(command.args)
    except ScheduleError as exc:
        return Reply.error(str(exc))
    await services.store.update_chat_settings(
        chat.pk, changes=schedule_changes(new.to_dict()), last_digest_at=services.clock()
    )
    lines = []
    if next_line := _next_run_line(new, zone_name, services):
        lines.append(next_line)
    if new.kind == INSTANT:
        lines.append(_("New stories will be posted after each check of the feeds."))
    if new.kind == OFF:
        lines.append(_("Send /digest whenever you want the news."))
    return Reply.success(_("Schedule set: {schedule}.").format(schedule=new.describe()), *lines)


async def timezone_command(ctx: CommandContext) -> Reply:
    services, command, chat = ctx.services, ctx.command, ctx.chat
    schedule = chat_schedule(chat)
    zone_name = chat_zone(chat, services.settings.default_timezone).key
    if not command.args:
        return Reply.info(
            _("Time zone: {zone}.").format(zone=zone_name),
            _("Change it with /timezone Europe/Berlin."),
        )
    try:
        zone = parse_timezone(command.args[0])
    except ScheduleError as exc:
        return Reply.error(str(exc))
    await services.store.update_chat_settings(
        chat.pk, timezone=zone.key, last_digest_at=services.clock()
    )
    lines = [line for line in [_next_run_line(schedule, zone.key, services)] if line]
    return Reply.success(_("Time zone set to {zone}.").format(zone=zone.key), *lines)


def add_schedule_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="schedule",
            summary=N_("Show or set when digests are posted"),
            handler=schedule_command,
            about_scheduled_digests=True,
            changes=Changes(what=N_("the schedule")),
            args=(
                ArgSpec(
                    "when",
                    N_("times like 08:00 18:30, or every 6h, instant, off"),
                    required=False,
                    rest=True,
                ),
            ),
            details=N_("Times are in the chat's time zone (see /timezone). Default: daily 08:00."),
        )
    )
    registry.add(
        CommandSpec(
            name="timezone",
            summary=N_("Show or set this chat's time zone"),
            handler=timezone_command,
            about_scheduled_digests=True,
            changes=Changes(what=N_("the time zone")),
            args=(
                ArgSpec(
                    "zone",
                    N_("an IANA name such as Europe/Berlin"),
                    required=False,
                    completes=completion.TIMEZONES,
                ),
            ),
        )
    )
