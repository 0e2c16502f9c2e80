"""/import and /export: move a chat's subscriptions in and out as OPML files.

Adapters only move the file (a Telegram document, a Discord attachment, a console path);
parsing, limits and the per-feed report live here, the same on every platform.
"""

from __future__ import annotations

from bot.feeds.subscribing import WantedFeed
from bot.i18n import N_, _, ngettext
from bot.news.opml import OPMLError, OPMLFeed, build_opml, parse_opml
from handlers.commands.bulk_add import add_feeds
from handlers.context import CommandContext
from handlers.model import Document, Reply
from handlers.registry import Access, ArgKind, ArgSpec, CommandRegistry, CommandSpec

OPML_MIME = "text/x-opml"


async def import_opml(ctx: CommandContext) -> Reply:
    command = ctx.command
    if command.attachment is None:
        how = _(command.file_hint or N_("attach it to the command"))
        return Reply.error(_("/import needs an OPML file (.opml or .xml): {how}.").format(how=how))
    name = command.attachment.filename
    try:
        feeds = parse_opml(command.attachment.content)
    except OPMLError as exc:
        return Reply.error(_("Could not import {name}: {error}").format(name=name, error=exc))
    if not feeds:
        return Reply.error(_("{name} lists no feeds (no xmlUrl outlines).").format(name=name))
    report = await add_feeds(ctx, [WantedFeed(feed.url, feed.title) for feed in feeds])
    summary = _("Imported {name}: {counts}.").format(name=name, counts=report.counts)
    return report.reply(summary, report_name="import-report.txt")


async def export_opml(ctx: CommandContext) -> Reply:
    subscriptions = await ctx.subscriptions()
    if not subscriptions:
        return Reply.error(_("This chat has no subscriptions to export."))
    feeds = [
        OPMLFeed(url=sub.feed.url, title=sub.display_title, html_url=sub.feed.site_url)
        for sub in subscriptions
    ]
    content = build_opml(feeds, title="newsdigest subscriptions", now=ctx.services.clock())
    return Reply(
        text=ngettext(
            "{count} subscription exported as OPML.",
            "{count} subscriptions exported as OPML.",
            len(feeds),
        ).format(count=len(feeds)),
        document=Document(filename="subscriptions.opml", content=content, mime_type=OPML_MIME),
    )


def add_opml_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="import",
            summary=N_("Subscribe to every feed in an OPML file"),
            handler=import_opml,
            args=(
                ArgSpec("file", N_("an OPML file (.opml or .xml)"), ArgKind.FILE, required=False),
            ),
            access=Access.CHAT_ADMIN,
            fetches=True,
            details=N_("Each feed is checked; the reply lists what was added, present or failed."),
        )
    )
    registry.add(
        CommandSpec(
            name="export",
            summary=N_("Download this chat's subscriptions as an OPML file"),
            handler=export_opml,
        )
    )
