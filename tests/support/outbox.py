"""Putting a composed digest in the outbox of a running bot, as the scheduler would.

Platform tests need a digest of a known size waiting in the outbox (to watch how it is
sent, split, refused or resumed) without polling a feed first: stories are stored
directly, composed by the real composer and committed with the stories they mark seen.
"""

from __future__ import annotations

from dataclasses import replace

from bot.app.wiring import App
from bot.delivery.outbox import OutboxSender
from bot.delivery.payloads import reply_to_payload
from bot.models import ChatTarget
from bot.platforms.base import Platform
from handlers.model import Reply
from tests.support.feeds import new_article


async def enqueue_digest(
    app: App,
    target: ChatTarget,
    count: int,
    *,
    slot: str = "slot-1",
    first: int = 0,
    words: int = 0,
) -> int:
    """Stories ``first`` … ``first + count - 1`` as one digest in the outbox; its row id.

    ``words`` lengthens each summary (a long digest is split into several messages).
    """
    store, clock = app.services.store, app.services.clock
    chat = await store.get_or_create_chat(target)
    feed = await store.get_or_create_feed("https://feeds.example/rss")
    await store.subscribe(chat.pk, feed.id)
    filler = " ".join(f"word{n}" for n in range(words))
    articles = [
        replace(new_article(n, published=clock()), summary=[f"Summary of story {n}. {filler}"])
        for n in range(first, first + count)
    ]
    await store.store_articles(feed.id, articles, now=clock())
    prepared = await app.services.composer.prepare(chat, max_items=count)
    assert prepared is not None
    digest, ids = prepared
    reply = Reply(text=f"{count} new stories.", digest=digest)
    delivery = await store.commit_digest(chat.pk, slot, reply_to_payload(reply), ids, now=clock())
    assert delivery is not None
    return delivery


def outbox_for(app: App, platform: Platform) -> OutboxSender:
    """The outbox sender of ``app``, delivering through ``platform``."""
    return OutboxSender(app.services.store, {platform.name: platform}, clock=app.services.clock)
