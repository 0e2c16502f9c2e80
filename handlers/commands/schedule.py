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
    local = upcoming.astimezone(zone)
    return f"Next digest: {local:%A %Y-%m-%d %H:%M} ({zone_name})."


async def schedule_command(ctx: CommandContext) -> Reply:
    services, command, chat = ctx.services, ctx.command, ctx.chat
    schedule = chat_schedule(chat)
    zone_name = chat_zone(chat, services.settings.default_timezone).key
    if not command.args:
        lines = [f"Time zone: {zone_name}. Change it with /timezone <Area/City>."]
        if next_line := _next_run_line(schedule, zone_name, services):
            lines.insert(0, next_line)
        if paused := paused_line(chat, services):
            lines.insert(0, paused)
        return Reply.info(f"Schedule: {schedule.describe()}.", *lines)
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
        lines.append("New stories will be posted after each check of the feeds.")
    if new.kind == OFF:
        lines.append("Send /digest whenever you want the news.")
    return Reply.success(f"Schedule set: {new.describe()}.", *lines)


async def timezone_command(ctx: CommandContext) -> Reply:
    services, command, chat = ctx.services, ctx.command, ctx.chat
    schedule = chat_schedule(chat)
    zone_name = chat_zone(chat, services.settings.default_timezone).key
    if not command.args:
        return Reply.info(f"Time zone: {zone_name}.", "Change it with /timezone Europe/Berlin.")
    try:
        zone = parse_timezone(command.args[0])
    except ScheduleError as exc:
        return Reply.error(str(exc))
    await services.store.update_chat_settings(
        chat.pk, timezone=zone.key, last_digest_at=services.clock()
    )
    lines = [line for line in [_next_run_line(schedule, zone.key, services)] if line]
    return Reply.success(f"Time zone set to {zone.key}.", *lines)


def add_schedule_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="schedule",
            summary="Show or set when digests are posted",
            handler=schedule_command,
            about_scheduled_digests=True,
            changes=Changes(what="the schedule"),
            args=(
                ArgSpec(
                    "when",
                    "times like 08:00 18:30, or every 6h, instant, off",
                    required=False,
                    rest=True,
                ),
            ),
            details="Times are in the chat's time zone (see /timezone). Default: daily 08:00.",
        )
    )
    registry.add(
        CommandSpec(
            name="timezone",
            summary="Show or set this chat's time zone",
            handler=timezone_command,
            about_scheduled_digests=True,
            changes=Changes(what="the time zone"),
            args=(
                ArgSpec(
                    "zone",
                    "an IANA name such as Europe/Berlin",
                    required=False,
                    completes=completion.TIMEZONES,
                ),
            ),
        )
    )
