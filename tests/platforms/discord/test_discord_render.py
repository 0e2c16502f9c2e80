"""Discord rendering: embeds within every limit, split between stories, markdown escaped."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import Digest, DigestItem, DigestSection
from bot.platforms.discord.render import (
    CONTENT_LIMIT,
    EMBED_TOTAL_LIMIT,
    EMBEDS_PER_MESSAGE,
    embed_length,
    escape_markdown,
    render_plain,
    render_reply,
)
from handlers.model import Reply


def item(n: int, *, words: int = 40, title: str = "Story") -> DigestItem:
    return DigestItem(
        title=f"{title} {n}",
        link=f"https://news.example/{n}",
        source="City News",
        published=datetime(2026, 1, 15, tzinfo=UTC),
        summary=[" ".join(["word"] * words) + "."],
    )


def digest_of(*items: DigestItem, more: int = 0) -> Digest:
    return Digest("Digest", [DigestSection("City News", list(items))], more_count=more)


def test_each_story_is_an_embed_with_a_link() -> None:
    [message] = render_reply(Reply(text="2 new stories.", digest=digest_of(item(1), item(2))))
    assert message.content == "2 new stories."
    assert [embed["title"] for embed in message.embeds] == ["Story 1", "Story 2"]
    assert message.embeds[0]["url"] == "https://news.example/1"
    assert message.embeds[0]["author"] == {"name": "City News"}


def test_many_stories_split_within_discord_limits_in_order() -> None:
    items = [item(n, words=160) for n in range(40)]
    messages = render_reply(Reply(text="40 new stories.", digest=digest_of(*items, more=3)))
    assert len(messages) >= 4
    titles = [embed["title"] for message in messages for embed in message.embeds]
    assert titles == [f"Story {n}" for n in range(40)]
    for message in messages:
        assert len(message.embeds) <= EMBEDS_PER_MESSAGE
        assert sum(embed_length(e) for e in message.embeds) <= EMBED_TOTAL_LIMIT
        assert len(message.content) <= CONTENT_LIMIT
    assert "and 3 more" in messages[0].content


def test_feed_markdown_and_mentions_cannot_format_or_link() -> None:
    hostile = "**bold** [click](https://evil.example) @everyone <@123> `code`"
    [message] = render_reply(
        Reply(text="1 new story.", digest=digest_of(DigestItem("T", None, "S", None, [hostile])))
    )
    description = message.embeds[0]["description"]
    assert "\\*\\*bold\\*\\*" in description
    assert "\\[click\\]\\(https" in description
    assert "\\<@123>" in description  # shown as text, never a mention
    assert escape_markdown("a_b") == "a\\_b"


def test_long_summaries_and_titles_are_trimmed() -> None:
    huge = DigestItem("T" * 1000, "https://x.example", "S" * 500, None, ["word " * 3000])
    [message] = render_reply(Reply(text="1", digest=digest_of(huge)))
    embed = message.embeds[0]
    assert len(embed["title"]) <= 256
    assert len(embed["author"]["name"]) <= 256
    assert len(embed["description"]) <= 4096


def test_long_text_replies_are_split_on_lines() -> None:
    lines = [f"{n}. Feed number {n} — https://feeds.example/{n}" for n in range(200)]
    messages = render_reply(Reply.info("Subscriptions (200):", *lines))
    assert len(messages) > 1
    assert all(len(m.content) <= CONTENT_LIMIT for m in messages)
    assert "199. Feed number 199" in messages[-1].content


def test_plain_fallback_has_no_embeds_and_suppressed_previews() -> None:
    messages = render_plain(Reply(text="2 new stories.", digest=digest_of(item(1), item(2))))
    assert all(not m.embeds for m in messages)
    text = "\n".join(m.content for m in messages)
    assert "**Story 1**" in text
    assert "<https://news.example/1>" in text
    assert all(len(m.content) <= CONTENT_LIMIT for m in messages)
