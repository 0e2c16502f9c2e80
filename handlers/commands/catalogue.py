"""/browse and /subscribe topic:<name>: the operator's curated topics (config.catalogue).

/browse is how a new user finds something worth following without knowing any feed
address. Following a topic goes through exactly the path /import uses (handlers.commands.bulk_add),
so each feed is fetched and checked, the chat's quota applies, and the reply says for every
feed whether it was added, already present or failed.

The topic form extends the registered /subscribe rather than adding a second command:
users (and Discord's option list) see one way to subscribe.
"""

from __future__ import annotations

from dataclasses import replace

from bot.feeds.subscribing import WantedFeed, find_by_url
from bot.i18n import N_, _, ngettext
from config.catalogue import Catalogue, Topic
from handlers import completion
from handlers.commands.bulk_add import add_feeds
from handlers.context import CommandContext
from handlers.model import Reply
from handlers.registry import ArgKind, ArgSpec, CommandRegistry, CommandSpec, Handler

TOPIC_PREFIX = "topic:"
NO_CATALOGUE = N_("This bot has no topic catalogue. Add feeds with /subscribe <url> instead.")


def _no_such_topic(catalogue: Catalogue, name: str) -> Reply:
    if not catalogue.topics:
        return Reply.error(_(NO_CATALOGUE))
    return Reply.error(
        _("There is no topic {name!r}. Topics: {topics}.").format(
            name=name, topics=", ".join(catalogue.names)
        ),
        _("Send /browse to see what each one contains."),
    )


async def browse(ctx: CommandContext) -> Reply:
    catalogue = ctx.services.settings.catalogue
    if ctx.args:
        name = ctx.args[0].removeprefix(TOPIC_PREFIX)
        topic = catalogue.get(name)
        if topic is None:
            return _no_such_topic(catalogue, name)
        return await _topic_details(ctx, topic)
    if not catalogue.topics:
        return Reply.info(_(NO_CATALOGUE))
    lines: list[str] = []
    for topic in catalogue.topics:
        count = len(topic.feeds)
        feeds = ngettext("{count} feed", "{count} feeds", count).format(count=count)
        lines.append(f"{topic.name} — {topic.title} ({feeds})")
        lines += [f"   · {feed.title}" for feed in topic.feeds]
    lines.append(
        _("Follow a whole topic with /subscribe topic:<name>; /browse <name> shows the addresses.")
    )
    return Reply.info(_("Topics ({count}):").format(count=len(catalogue.topics)), *lines)


async def _topic_details(ctx: CommandContext, topic: Topic) -> Reply:
    current = await ctx.subscriptions()
    lines = [topic.description] if topic.description else []
    for number, feed in enumerate(topic.feeds, start=1):
        followed = _(" (followed here)") if find_by_url(current, feed.url) else ""
        lines.append(f"{number}. {feed.title} — {feed.url}{followed}")
    lines.append(
        _("Follow all {count} with {command}, or one with /subscribe <url>.").format(
            count=len(topic.feeds), command=f"/subscribe {TOPIC_PREFIX}{topic.name}"
        )
    )
    return Reply.info(f"{topic.title} ({TOPIC_PREFIX}{topic.name}):", *lines)


async def subscribe_topic(ctx: CommandContext, name: str) -> Reply:
    catalogue = ctx.services.settings.catalogue
    topic = catalogue.get(name)
    if topic is None:
        return _no_such_topic(catalogue, name)
    report = await add_feeds(ctx, [WantedFeed(feed.url, feed.title) for feed in topic.feeds])
    summary = _("Topic {title}: {counts}.").format(title=topic.title, counts=report.counts)
    extra: tuple[str, ...] = ()
    if report.added:
        extra = (_("Stories already in these feeds are marked as read; new ones will follow."),)
    return report.reply(summary, *extra, report_name="topic-report.txt")


def _with_topics(plain: Handler) -> Handler:
    async def subscribe(ctx: CommandContext) -> Reply:
        wanted = ctx.args[0] if ctx.args else ""
        if wanted.lower().startswith(TOPIC_PREFIX):
            return await subscribe_topic(ctx, wanted[len(TOPIC_PREFIX) :])
        return await plain(ctx)

    return subscribe


def add_catalogue_commands(registry: CommandRegistry) -> None:
    """/browse, and the topic form of /subscribe (registered before this runs)."""
    registry.add(
        CommandSpec(
            name="browse",
            summary=N_("Topics of recommended feeds you can follow in one go"),
            handler=browse,
            args=(
                ArgSpec(
                    "topic",
                    N_("a topic name, e.g. world"),
                    required=False,
                    completes=completion.TOPICS,
                ),
            ),
            details=N_("Follow every feed of a topic with /subscribe topic:<name>."),
        )
    )
    plain = registry.get("subscribe")
    if plain is None:
        raise ValueError("/subscribe must be registered before the catalogue commands")
    registry.replace(
        replace(
            plain,
            handler=_with_topics(plain.handler),
            args=(
                ArgSpec(
                    "url",
                    N_("the feed's or the site's address, or topic:<name> from /browse"),
                    ArgKind.URL,
                    completes=completion.SUBSCRIBE_TOPICS,
                ),
            ),
            details=N_(
                "Stories already in the feed are marked as read; only new ones are posted. "
                "/subscribe topic:<name> follows every feed of a topic."
            ),
        )
    )
