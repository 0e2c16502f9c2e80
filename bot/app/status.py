"""`python main.py status`: what the bot is doing, read straight from the database."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.delivery.schedule import next_slot
from bot.delivery.scheduler import chat_schedule, chat_zone
from bot.digest.pause import is_paused
from bot.store.repository import Store


def _when(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "-"


async def status_report(store: Store, *, now: datetime, default_timezone: str) -> str:
    counts = await store.counts(since=now - timedelta(days=1))
    feeds = await store.list_feeds()
    lines = [
        f"chats: {counts['chats']} ({counts['active_chats']} active)",
        f"feeds: {counts['feeds']} ({counts['failing_feeds']} failing, "
        f"{counts['disabled_feeds']} disabled)",
        f"articles in the last 24 h: {counts['articles_since']}",
        f"deliveries: {counts['deliveries_waiting']} waiting, "
        f"{counts['deliveries_retrying']} retrying, {counts['deliveries_sent']} sent, "
        f"{counts['deliveries_failed']} failed",
        "",
        "Feeds:",
    ]
    for feed in feeds:
        state = "disabled" if feed.disabled else ("failing" if feed.last_error else "ok")
        lines.append(
            f"  [{feed.id}] {state:8} next poll {_when(feed.next_poll_at)}  "
            f"{feed.title or '(untitled)'} <{feed.url}>"
        )
        if feed.last_error:
            lines.append(f"        last error: {feed.last_error}")
    pending = await store.pending_deliveries()
    lines += ["", f"Pending deliveries: {len(pending)}"]
    for delivery in pending:
        retry = ""
        if delivery.attempts:
            retry = (
                f" (attempt {delivery.attempts} failed: {delivery.last_error}; "
                f"next try {_when(delivery.next_attempt_at)})"
            )
        lines.append(f"  #{delivery.id} {delivery.chat.target} slot {delivery.slot}{retry}")
    lines += ["", "Next digests:"]
    for chat in await store.list_chats(active_only=False):
        schedule = chat_schedule(chat)
        zone: ZoneInfo = chat_zone(chat, default_timezone)
        upcoming = next_slot(schedule, zone, now)
        paused = "" if chat.active else " (paused)"
        if is_paused(chat):
            paused += " (digests paused with /pause)"
        when = f"{upcoming.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}" if upcoming else "-"
        lines.append(f"  {chat.target}{paused}: {schedule.describe()}; next {when}")
    lines += ["", "Tables (rows; bounded by NEWSDIGEST_RETENTION_*):"]
    for table in await store.table_sizes():
        size = f"  {table.bytes / 1_048_576:.1f} MiB" if table.bytes is not None else ""
        lines.append(f"  {table.name:16} {table.rows:>10}{size}")
    return "\n".join(lines)
