"""/stats: how the whole bot is doing, for its operators (NEWSDIGEST_ADMINS) only.

Why operators only: the figures cover every chat on the deployment, which is none of a
chat member's business. Why a chat command at all when `python main.py status` exists:
operators of a hosted bot often have the chat app at hand and no shell.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.i18n import N_, _, format_day, format_moment
from handlers.context import CommandContext
from handlers.model import Reply
from handlers.registry import Access, CommandRegistry, CommandSpec


def utc_day_start(moment: datetime) -> datetime:
    """Midnight UTC of the day ``moment`` falls on: "today" for the article count."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


async def stats(ctx: CommandContext) -> Reply:
    services = ctx.services
    now = services.clock()
    day_start = utc_day_start(now)
    figures = await services.store.operator_stats(day_start=day_start)
    return Reply.info(
        _("Bot statistics at {moment} UTC:").format(moment=format_moment(now, UTC)),
        _("Chats: {active} active of {chats}").format(
            active=figures["active_chats"], chats=figures["chats"]
        ),
        _("Feeds: {feeds} ({failing} failing, {disabled} disabled)").format(
            feeds=figures["feeds"],
            failing=figures["failing_feeds"],
            disabled=figures["disabled_feeds"],
        ),
        _("Articles: {today} stored today ({day} UTC), {total} in total").format(
            today=figures["articles_today"], day=format_day(day_start), total=figures["articles"]
        ),
        _(
            "Deliveries: {waiting} waiting, {retrying} retrying, {sent} sent, {failed} failed"
        ).format(
            waiting=figures["deliveries_waiting"],
            retrying=figures["deliveries_retrying"],
            sent=figures["deliveries_sent"],
            failed=figures["deliveries_failed"],
        ),
    )


def add_stats_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="stats",
            summary=N_("Bot-wide figures (operators only)"),
            handler=stats,
            access=Access.OPERATOR,
            details=N_("Only the operators listed in NEWSDIGEST_ADMINS can use it."),
        )
    )
