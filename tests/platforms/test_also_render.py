"""The "also:" links of a story reported by several outlets, on every platform."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import AlsoLink, Digest, DigestItem, DigestSection
from bot.platforms.console.render import render_digest_text
from bot.platforms.discord.render import (
    CONTENT_LIMIT,
    EMBED_TOTAL_LIMIT,
    FIELD_VALUE_LIMIT,
    embed_length,
    render_plain,
    render_reply,
)
from bot.platforms.telegram.render import MESSAGE_LIMIT, render_digest
from handlers.model import Reply
from tests.support.telegram import check_markup

ALSO = [
    AlsoLink("Daily <Ledger> & Co", "https://ledger.example/quake?a=1&b=(2)"),
    AlsoLink("Metro Wire", None),
    AlsoLink("Sneaky [Site](x)", "javascript:alert(1)"),
]


def story(also: list[AlsoLink], *, summary_words: int = 30) -> DigestItem:
    return DigestItem(
        title="Strong quake jolts Japan",
        link="https://northwind.example/quake",
        source="Northwind News",
        published=datetime(2026, 3, 2, 1, 45, tzinfo=UTC),
        summary=[" ".join(["word"] * summary_words) + "."],
        also=also,
    )


def digest_of(*items: DigestItem) -> Digest:
    return Digest("Digest", [DigestSection("Northwind News", list(items))])


def many_links(count: int) -> list[AlsoLink]:
    return [
        AlsoLink(f"Outlet number {n}", f"https://outlet{n}.example/" + "long-path/" * 40)
        for n in range(count)
    ]


# --------------------------------------------------------------------------------------------
# Telegram


def test_telegram_links_each_other_version_with_escaped_names() -> None:
    [message] = render_digest(digest_of(story(ALSO)))
    assert (
        'also: <a href="https://ledger.example/quake?a=1&amp;b=(2)">Daily &lt;Ledger&gt; &amp; Co'
        "</a>, Metro Wire, Sneaky [Site](x)"
    ) in message.html
    assert "javascript" not in message.html
    text = check_markup(message.html)
    assert "also: Daily <Ledger> & Co, Metro Wire, Sneaky [Site](x)" in text
    assert "also: Daily <Ledger> & Co (https://ledger.example/quake?a=1&b=(2)), Metro Wire" in (
        message.plain
    )


def test_telegram_story_without_other_versions_has_no_also_line() -> None:
    [message] = render_digest(digest_of(story([])))
    assert "also:" not in message.html
    assert "also:" not in message.plain


def test_telegram_long_also_lists_are_cut_and_counted_within_the_limit() -> None:
    items = [story(many_links(200), summary_words=600) for _ in range(4)]
    messages = render_digest(digest_of(*items))
    for message in messages:
        assert len(message.html) <= MESSAGE_LIMIT
        assert len(message.plain) <= MESSAGE_LIMIT
        check_markup(message.html)
    assert sum(m.html.count("also: ") for m in messages) == 4
    assert all(" more" in line for m in messages for line in m.html.split("\n") if "also: " in line)


# --------------------------------------------------------------------------------------------
# Discord


def test_discord_embed_carries_the_other_versions_as_masked_links() -> None:
    [message] = render_reply(Reply(text="1 new story.", digest=digest_of(story(ALSO))))
    [embed] = message.embeds
    [field] = embed["fields"]
    assert field["name"] == "Also"
    assert field["value"] == (
        r"[Daily \<Ledger> & Co](https://ledger.example/quake?a=1&b=%282%29)"
        r" · Metro Wire · Sneaky \[Site\]\(x\)"
    )


def test_discord_also_fields_stay_within_embed_limits() -> None:
    items = [story(many_links(200), summary_words=150) for _ in range(12)]
    messages = render_reply(Reply(text="12 new stories.", digest=digest_of(*items)))
    embeds = [embed for message in messages for embed in message.embeds]
    assert len(embeds) == 12
    for message in messages:
        assert sum(map(embed_length, message.embeds)) <= EMBED_TOTAL_LIMIT
    for embed in embeds:
        value = embed["fields"][0]["value"]
        assert len(value) <= FIELD_VALUE_LIMIT
        assert value.endswith(" more")


def test_discord_plain_fallback_lists_the_other_versions() -> None:
    messages = render_plain(Reply(text="1 new story.", digest=digest_of(story(ALSO))))
    content = "\n".join(message.content for message in messages)
    assert "also: [Daily \\<Ledger> & Co](https://ledger.example/quake?a=1&b=%282%29)" in content
    assert all(len(message.content) <= CONTENT_LIMIT for message in messages)


# --------------------------------------------------------------------------------------------
# Console


def test_console_lists_each_other_version_with_its_url() -> None:
    text = render_digest_text(digest_of(story(ALSO)))
    lines = text.splitlines()
    start = lines.index("  also: Daily <Ledger> & Co — https://ledger.example/quake?a=1&b=(2)")
    assert lines[start + 1 : start + 3] == [
        "        Metro Wire",
        "        Sneaky [Site](x)",  # only http(s) links are printed
    ]
