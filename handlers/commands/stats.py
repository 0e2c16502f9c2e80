"""/stats: how the whole bot is doing, for its operators (NEWSDIGEST_ADMINS) only.

Why operators only: the figures cover every chat on the deployment, which is none of a
chat member's business. Why a chat command at all when `python main.py status` exists:
operators of a hosted bot often have the chat app at hand and no shell.
"""

from __future__ import annotations

from datetime import UTC, datetime

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
        f"Bot statistics at {now.astimezone(UTC):%Y-%m-%d %H:%M} UTC:",
        f"Chats: {figures['active_chats']} active of {figures['chats']}",
        f"Feeds: {figures['feeds']} ({figures['failing_feeds']} failing, "
        f"{figures['disabled_feeds']} disabled)",
        f"Articles: {figures['articles_today']} stored today ({day_start:%Y-%m-%d} UTC), "
        f"{figures['articles']} in total",
        f"Deliveries: {figures['deliveries_waiting']} waiting, "
        f"{figures['deliveries_retrying']} retrying, {figures['deliveries_sent']} sent, "
        f"{figures['deliveries_failed']} failed",
    )


def add_stats_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="stats",
            summary="Bot-wide figures (operators only)",
            handler=stats,
            access=Access.OPERATOR,
            details="Only the operators listed in NEWSDIGEST_ADMINS can use it.",
        )
    )
