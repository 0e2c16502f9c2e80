"""/pause and /resume: stop and restart a chat's scheduled digests, keeping everything else.

Subscriptions, filters and settings stay; /digest keeps working while paused. The state
and the catch-up rule are in bot/digest/pause.py (shared with the scheduler and the composer).
"""

from __future__ import annotations

from bot.delivery.schedule import chat_schedule, chat_zone, next_slot
from bot.digest.pause import is_paused, pause_changes, paused_since, resume_changes
from bot.i18n import N_, _, format_moment, format_weekday_moment, ngettext
from bot.models import Chat
from handlers.context import CommandContext
from handlers.model import Reply
from handlers.registry import Access, CommandRegistry, CommandSpec
from handlers.services import Services


def paused_line(chat: Chat, services: Services) -> str | None:
    """ "Scheduled digests are paused since …" for /list, /schedule and /digest, or None."""
    since = paused_since(chat)
    if since is None:
        return None
    zone = chat_zone(chat, services.settings.default_timezone)
    return _(
        "Scheduled digests are paused since {moment} ({zone}). Send /resume to restart them."
    ).format(moment=format_moment(since, zone), zone=zone.key)


async def pause(ctx: CommandContext) -> Reply:
    services, chat = ctx.services, ctx.chat
    if is_paused(chat):
        return Reply.info(paused_line(chat, services) or _("Scheduled digests are paused."))
    await services.store.update_chat_settings(chat.pk, changes=pause_changes(services.clock()))
    cap = services.composer.settings_for(chat).items
    return Reply.success(
        _("Scheduled digests are paused."),
        _("Subscriptions, filters and settings are kept, and /digest still works."),
        ngettext(
            "Send /resume to restart them: the first digest then shows at most the newest "
            "{count} story that arrived in the meantime, and skips the older ones.",
            "Send /resume to restart them: the first digest then shows at most the newest "
            "{count} stories that arrived in the meantime, and skips the older ones.",
            cap,
        ).format(count=cap),
    )


async def resume(ctx: CommandContext) -> Reply:
    services, chat = ctx.services, ctx.chat
    if not is_paused(chat):
        return Reply.info(_("Scheduled digests are not paused."))
    now = services.clock()
    # Slots missed while paused must not fire at once: the schedule restarts from now.
    chat = await services.store.update_chat_settings(
        chat.pk, changes=resume_changes(now), last_digest_at=now
    )
    lines = []
    waiting = len(await services.store.unseen_refs(chat.pk))  # ids only, no texts
    cap = services.composer.settings_for(chat).items
    # Articles, not stories: several feeds may report one story, and the digest groups them.
    if waiting > cap:
        lines.append(
            ngettext(
                "{count} articles arrived while paused: the next digest shows the newest "
                "{cap} story (fewer if your filters hide some) and skips the older ones.",
                "{count} articles arrived while paused: the next digest shows the newest "
                "{cap} stories (fewer if your filters hide some) and skips the older ones.",
                cap,
            ).format(count=waiting, cap=cap)
        )
    elif waiting:
        lines.append(
            ngettext(
                "{count} new article is waiting.", "{count} new articles are waiting.", waiting
            ).format(count=waiting)
        )
    if waiting:
        lines.append(_("/digest shows them now."))
    zone = chat_zone(chat, services.settings.default_timezone)
    upcoming = next_slot(chat_schedule(chat), zone, now)
    if upcoming is not None:
        lines.append(
            _("Next digest: {moment} ({zone}).").format(
                moment=format_weekday_moment(upcoming, zone), zone=zone.key
            )
        )
    return Reply.success(_("Scheduled digests resumed."), *lines)


def add_pause_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="pause",
            summary=N_("Stop scheduled digests for now, keeping the subscriptions"),
            handler=pause,
            about_scheduled_digests=True,
            access=Access.CHAT_ADMIN,
            details=N_(
                "Feeds, filters and settings stay as they are and /digest still works. "
                "/resume restarts the schedule; its first digest is a catch-up of at most "
                "the chat's items setting, newest first, and older stories are skipped."
            ),
        )
    )
    registry.add(
        CommandSpec(
            name="resume",
            summary=N_("Restart scheduled digests after /pause"),
            handler=resume,
            about_scheduled_digests=True,
            access=Access.CHAT_ADMIN,
            details=N_("Stories that arrived while paused come as one capped catch-up digest."),
        )
    )
