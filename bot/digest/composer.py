"""The digest composer: a chat's unseen articles → one neutral `Digest`.

Why separate from delivery: the same Digest is rendered as Telegram HTML, Discord embeds or
console text, and stored in the outbox as JSON; composing knows nothing of any of those.
It marks only what it showed as seen, so stories cut by the cap lead the next digest. A
story several feeds reported is one entry with "also" links (bot.digest.stories); the cap counts
such stories, and every version of a shown story is marked seen with it.

A story is shown to a chat once, whatever arrives concurrently: composing for a chat is
exclusive within the process (``exclusive``; a scheduled digest and /digest take turns),
and the outbox commit refuses stories another process showed meanwhile
(`Store.commit_digest`), in which case the digest is composed again from what is left;
when nothing is left, the caller learns that the stories are on their way (not "nothing
new").
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from datetime import datetime

from bot.delivery.payloads import payload_to_reply, reply_to_payload
from bot.digest.backlog import BacklogPolicy, fair_share
from bot.digest.chat_settings import ChatSettings
from bot.digest.filters import ArticleFilter
from bot.digest.pause import has_backlog, resumed_at, skipped_note, trim_backlog
from bot.digest.reading import read_unseen
from bot.digest.stories import (
    MAX_CANDIDATES,
    Story,
    also_links,
    group_stories,
    newest_stories,
    regroup,
)
from bot.i18n import N_, _, chat_language, ngettext, using
from bot.keyed_locks import KeyedLocks
from bot.models import (
    LAYOUT_COMPACT,
    LAYOUT_FULL,
    Action,
    ActionRow,
    ArticleRef,
    Chat,
    Digest,
    DigestItem,
    DigestSection,
    Reply,
    StoredArticle,
)
from bot.news.summarise import (
    DEFAULT_ALGORITHM,
    DEFAULT_MAX_CHARS,
    DEFAULT_SENTENCES,
    Summariser,
    cap_characters,
)
from bot.store.repository import Store, StoriesAlreadyShownError

log = logging.getLogger(__name__)

DEFAULT_TITLE = N_("Your news digest")


def show_more(language: str) -> tuple[ActionRow, ...]:
    """Under a capped digest ("… and N more"): the rest now, as /digest would show them."""
    with using(language):
        return (ActionRow((Action(_("Show more"), "digest"),)),)


#: Compositions tried when other processes keep showing the chosen stories first; each
#: lost attempt means another process just delivered some of this chat's stories.
COMMIT_ATTEMPTS = 10
SlotName = str | Callable[[list[int]], str]


def digest_headline(count: int) -> str:
    """The line that announces a digest: "1 new story." / "5 new stories."."""
    return ngettext("{count} new story.", "{count} new stories.", count).format(count=count)


def build_digest(
    articles: Sequence[StoredArticle], *, title: str = DEFAULT_TITLE, more_count: int = 0
) -> Digest:
    """One entry per story: articles reporting the same event are grouped (bot.digest.stories)."""
    return stories_digest(group_stories(articles), title=title, more_count=more_count)


def stories_digest(
    stories: Sequence[Story], *, title: str = DEFAULT_TITLE, more_count: int = 0
) -> Digest:
    """Group stories by their shown version's source; sources ordered by their newest story,
    stories newest first; each entry lists the other outlets' versions as "also" links."""
    sections: dict[str, list[DigestItem]] = {}
    for story in stories:
        article = story.best
        sections.setdefault(article.source, []).append(
            DigestItem(
                title=article.title,
                link=article.link,
                source=article.source,
                published=article.published,
                summary=list(article.summary),
                also=also_links(story),
                # Another outlet's picture of the same event beats none.
                image=article.image or next((a.image for a in story.others if a.image), None),
            )
        )
    return Digest(
        title=title,
        sections=[DigestSection(source=name, items=items) for name, items in sections.items()],
        more_count=more_count,
    )


def without_images(digest: Digest) -> Digest:
    """The digest with no story pictures: a chat that turned ``images`` off, or the
    compact layout (linked titles only). Decided when the digest is composed, so a
    delivery retried from the outbox looks the same."""
    return replace(
        digest,
        sections=[
            replace(section, items=[replace(item, image=None) for item in section.items])
            for section in digest.sections
        ],
    )


class DigestComposer:
    """Builds a chat's next digest from the store and records what it showed."""

    def __init__(
        self,
        store: Store,
        *,
        clock: Callable[[], datetime],
        max_items: int,
        defaults: ChatSettings | None = None,
        summariser: Summariser | None = None,
        backlog: BacklogPolicy | None = None,
        summary_max_chars: int = DEFAULT_MAX_CHARS,
    ) -> None:
        """``defaults`` are the operator's chat settings; summaries stored at ingest were
        made with its algorithm and length, so only chats that chose otherwise re-summarise.
        """
        self.store = store
        self.clock = clock
        self.max_items = max_items
        self.defaults = defaults or ChatSettings(
            sentences=DEFAULT_SENTENCES,
            items=max_items,
            layout=LAYOUT_FULL,
            previews=False,
            silent=False,
            algorithm=DEFAULT_ALGORITHM,
        )
        self.summariser = summariser or Summariser()
        self.backlog = backlog or BacklogPolicy()
        self.summary_max_chars = summary_max_chars
        self._composing = KeyedLocks()

    def exclusive(self, chat_pk: int) -> AbstractAsyncContextManager[None]:
        """Hold while composing for a chat: one digest at a time per chat, in order."""
        return self._composing.hold(chat_pk)

    def exclusive_if_free(self, chat_pk: int) -> AbstractAsyncContextManager[bool]:
        """Like ``exclusive``, but never waits: yields False (without the turn) when a
        digest for this chat is being prepared, so a caller serving many chats moves on."""
        return self._composing.hold_if_free(chat_pk)

    def is_busy(self, chat_pk: int) -> bool:
        """Whether a digest for this chat is being prepared right now."""
        return self._composing.busy(chat_pk)

    def reply_for(self, chat: Chat, digest: Digest) -> Reply:
        """The message a digest goes out as, with the chat's delivery choices.

        A digest with no story, only notes (everything went past the backlog bounds), goes
        out as those notes: the reader learns why nothing is shown. The reply is worded in
        the chat's language and carries it, so the outbox renders it in that language.
        """
        prefs = self.settings_for(chat)
        language = chat_language(chat)
        if not digest.items and digest.notes:
            first, *rest = digest.notes
            return Reply(
                text=first,
                lines=tuple(rest),
                silent=prefs.silent,
                previews=prefs.previews,
                locale=language,
            )
        with using(language):
            headline = digest_headline(len(digest.items))
        return Reply(
            text=headline,
            digest=digest,
            lines=digest.notes,
            silent=prefs.silent,
            previews=prefs.previews,
            locale=language,
            # Pressing it is typing /digest: the next stories, through the same checks.
            actions=show_more(language) if digest.more_count else (),
        )

    async def commit_next(
        self,
        chat: Chat,
        *,
        slot: SlotName,
        slot_time: datetime | None = None,
        not_before: datetime | None = None,
        title: str = DEFAULT_TITLE,
    ) -> Reply | None:
        """Compose the chat's next digest and commit it to the outbox; None if nothing new.

        Call it inside ``exclusive(chat.pk)``. ``slot`` names the outbox row, or derives
        the name from the article ids (a name that is the same in every process for the
        same stories). The reply carries its ``delivery_id``. Raises
        StoriesAlreadyShownError when other processes took the stories first (they are
        delivering this chat's digest right now) and none are left for this one, or kept
        taking them: never "nothing new" then, since the reader is about to get them.
        """
        lost = False  # another process committed stories this composition had chosen
        for _attempt in range(COMMIT_ATTEMPTS):
            prepared = await self.prepare(chat, title=title)
            if prepared is None:
                if lost:
                    raise StoriesAlreadyShownError(
                        f"{chat.target}: another process took every story of this digest"
                    )
                return None
            digest, article_ids = prepared
            reply = self.reply_for(chat, digest)
            try:
                delivery_id = await self.store.commit_digest(
                    chat.pk,
                    slot if isinstance(slot, str) else slot(article_ids),
                    reply_to_payload(reply),
                    article_ids,
                    now=self.clock(),
                    slot_time=slot_time,
                    not_before=not_before,
                )
            except StoriesAlreadyShownError as exc:
                log.info("digest for %s composed again: %s", chat.target, exc)
                lost = True
                continue
            return None if delivery_id is None else replace(reply, delivery_id=delivery_id)
        raise StoriesAlreadyShownError(
            f"{chat.target}: other processes kept taking these stories first"
        )

    async def digest_on_its_way(self, chat: Chat) -> bool:
        """Whether a digest for this chat is committed to the outbox but not sent yet (by
        this process's scheduler or another process): its stories are marked seen, so
        "nothing new" would tell the reader the digest is empty."""
        return any(
            payload_to_reply(delivery.payload).digest is not None
            for delivery in await self.store.pending_deliveries(chat_pk=chat.pk)
        )

    def settings_for(self, chat: Chat) -> ChatSettings:
        """The chat's effective digest settings (its choices over the operator's)."""
        return ChatSettings.from_json(chat.settings, self.defaults)

    async def _summarised_for(
        self, articles: Sequence[StoredArticle], prefs: ChatSettings
    ) -> list[StoredArticle]:
        """The articles with summaries in the chat's algorithm and length.

        Stored summaries are used as they are when the chat kept the operator's choice (or
        shows no summaries at all); otherwise each text is summarised again, in a worker
        thread because summarising is CPU work that must not stall the event loop. A story
        stored without a summary (one no digest was expected to show: bot.feeds.ingest)
        is summarised the same way, now that one does.
        """
        if prefs.layout == LAYOUT_COMPACT or not articles:
            return list(articles)
        same = (prefs.algorithm, prefs.sentences) == (
            self.defaults.algorithm,
            self.defaults.sentences,
        )
        if same and all(article.summary for article in articles):
            return list(articles)
        return await asyncio.to_thread(self._resummarise, list(articles), prefs, only_missing=same)

    def _resummarise(
        self, articles: list[StoredArticle], prefs: ChatSettings, *, only_missing: bool
    ) -> list[StoredArticle]:
        return [
            replace(
                article,
                summary=cap_characters(
                    self.summariser.summarise(
                        article.text,
                        title=article.title,
                        sentences=prefs.sentences,
                        algorithm=prefs.algorithm,
                        language=article.language,
                    ),
                    self.summary_max_chars,
                ),
            )
            if article.text.strip() and not (only_missing and article.summary)
            else article
            for article in articles
        ]

    async def prepare(
        self, chat: Chat, *, max_items: int | None = None, title: str = DEFAULT_TITLE
    ) -> tuple[Digest, list[int]] | None:
        """The next digest and the ids it marks seen, without marking anything.

        Its title and notes are worded in the chat's language (bot.i18n): what the outbox
        stores is then what the reader gets, whenever it is sent.
        """
        with using(chat_language(chat)):
            return await self._prepare(chat, max_items=max_items, title=_(title))

    async def _prepare(
        self, chat: Chat, *, max_items: int | None, title: str
    ) -> tuple[Digest, list[int]] | None:
        """See ``prepare``.

        The ids are the stories shown plus those left out for good (hidden by the chat's
        filters, past the backlog bounds, skipped after a pause): the scheduler commits them
        together with the outbox row (Store.commit_digest). When every unseen story was
        left out but some must be announced (the backlog bounds' note), the digest has no
        story, only that note, and goes out like any digest. When every one was hidden by
        the filters there is no digest, and those are marked seen here so they do not pile
        up; so are those hidden among the first ``READ_LIMIT`` read when older stories
        wait unread past it (bot.digest.reading), before reading on.
        """
        refs = await self.store.unseen_refs(chat.pk)
        if not refs:
            return None
        prefs = self.settings_for(chat)
        limit = max_items or prefs.items
        while True:
            screened = await self._screen(chat, refs, limit)
            unseen, stories, dropped, notes, (unread, waiting) = screened
            if stories or notes or not unread or not dropped:
                break
            # Every story this digest could afford to read was hidden, and older ones wait
            # unread (bot.digest.reading): mark these read and read on.
            await self.store.mark_seen(chat.pk, dropped, now=self.clock())
            left_out = set(dropped)
            refs = [ref for ref in refs if ref.id not in left_out]
        if not stories and notes:
            return Digest(title=title, sections=[], layout=prefs.layout, notes=notes), dropped
        if not stories:
            await self.store.mark_seen(chat.pk, dropped, now=self.clock())
            return None
        # The cap counts stories: a story's duplicates are shown as its "also" links and
        # marked seen with it (bot.digest.stories).
        stories, more_count = fair_share(stories, limit, unseen)
        shown = [article for story in stories for article in story.articles]
        shown = await self._summarised_for(shown, prefs)
        digest = stories_digest(
            regroup(stories, shown), title=title, more_count=more_count + waiting
        )
        digest = replace(digest, layout=prefs.layout, notes=notes)
        if not prefs.images or prefs.layout == LAYOUT_COMPACT:
            digest = without_images(digest)
        return digest, [article.id for article in shown] + dropped

    async def _screen(
        self, chat: Chat, refs: list[ArticleRef], cap: int
    ) -> tuple[list[StoredArticle], list[Story], list[int], tuple[str, ...], tuple[int, int]]:
        """(wanted articles newest first, wanted stories newest first, ids left out for
        good, notes, (how many were left unread, how many of those may still be shown)):
        the chat's filters, the backlog bounds on
        what they let through, reading only what may be shown (bot.digest.reading), the
        grouping into stories, then the capped catch-up after /resume, which counts stories
        (bot.digest.pause). Grouping runs in a worker thread: it is CPU work that must not
        stall the event loop.
        """
        rules = await self.store.list_filters(chat.pk)
        article_filter = ArticleFilter(rules) if rules else None
        # The bounds count what the chat wants: stories its filters hide would otherwise
        # use up a feed's budget and push the wanted ones past it.
        reading = await read_unseen(
            self.store,
            refs,
            article_filter=article_filter,
            backlog=self.backlog,
            now=self.clock(),
        )
        unseen = reading.wanted
        dropped = reading.hidden + reading.expired
        notes: tuple[str, ...] = ()
        if reading.expired:
            notes += (self.backlog.note(len(reading.expired)),)
        if not unseen:
            return [], [], dropped, notes, (reading.unread, reading.waiting)
        resumed = resumed_at(chat)
        # Skipping is for good, so a catch-up compares all the articles it can afford: an
        # older outlet's version of a shown story must not be counted as a skipped story.
        window = MAX_CANDIDATES if has_backlog(unseen, resumed) else None
        stories = await asyncio.to_thread(newest_stories, unseen, cap, window=window)
        stories, skipped = trim_backlog(stories, resumed, cap)
        dropped += [article.id for story in skipped for article in story.articles]
        if skipped:
            notes += (skipped_note(len(skipped)),)
        return unseen, stories, dropped, notes, (reading.unread, reading.waiting)

    async def compose(
        self, chat: Chat, *, max_items: int | None = None, title: str = DEFAULT_TITLE
    ) -> Digest | None:
        """The next digest for a chat, marked as seen; None when nothing new arrived.

        It may hold no story, only notes, when every new one went past the backlog bounds.
        """
        prepared = await self.prepare(chat, max_items=max_items, title=title)
        if prepared is None:
            return None
        digest, article_ids = prepared
        await self.store.mark_seen(chat.pk, article_ids, now=self.clock())
        return digest
