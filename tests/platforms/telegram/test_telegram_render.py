"""Telegram rendering: feed text escaped, links safe, messages split between stories."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.models import Action, ActionRow, Digest, DigestItem, DigestSection
from bot.platforms.telegram.render import (
    MAX_BUTTON_LABEL,
    MESSAGE_LIMIT,
    keyboard_rows,
    render_digest,
    render_reply,
)
from handlers.model import Reply
from tests.support.telegram import check_markup

HOSTILE = '<script>alert("x")</script> Fish & Chips <b>unclosed "quoted" \'single\''


def item(n: int, *, title: str = "Story", summary_words: int = 40, link: str | None = None):
    return DigestItem(
        title=f"{title} {n}",
        link=link if link is not None else f"https://news.example/{n}?a=1&b=2",
        source="Source",
        published=datetime(2026, 1, 15, tzinfo=UTC),
        summary=[" ".join(["word"] * summary_words) + "."],
    )


def test_hostile_feed_text_is_escaped_and_links_are_safe_attributes() -> None:
    digest = Digest(
        title="Digest",
        sections=[
            DigestSection(
                source=HOSTILE,
                items=[
                    DigestItem(HOSTILE, 'https://x.example/?q="><script>', HOSTILE, None, [HOSTILE])
                ],
            )
        ],
    )
    [message] = render_digest(digest)
    text = check_markup(message.html)
    assert "<script>" not in message.html
    assert HOSTILE in text  # the reader sees the original characters
    assert 'href="https://x.example/?q=&quot;&gt;&lt;script&gt;"' in message.html
    assert HOSTILE in message.plain


def test_non_http_links_are_not_turned_into_anchors() -> None:
    digest = Digest("D", [DigestSection("S", [item(1, link="javascript:alert(1)")])])
    [message] = render_digest(digest)
    assert "<a " not in message.html
    assert "javascript:" not in message.html


def test_long_digest_is_split_between_stories_within_the_limit() -> None:
    items = [item(n, summary_words=120) for n in range(60)]
    digest = Digest("Digest", [DigestSection("Source", items)], more_count=5)
    messages = render_digest(digest)
    assert len(messages) > 1
    for message in messages:
        assert len(message.html) <= MESSAGE_LIMIT
        assert len(message.plain) <= MESSAGE_LIMIT
        check_markup(message.html)
    combined = "\n\n".join(m.html for m in messages)
    assert [int(n) for n in re.findall(r">Story (\d+)</a>", combined)] == list(range(60))
    assert "and 5 more" in messages[-1].html


def test_a_single_huge_story_is_shortened_not_cut_inside_markup() -> None:
    huge = DigestItem("Huge & <odd>", "https://news.example/huge", "S", None, ["x & y < z " * 2000])
    [*messages] = render_digest(Digest("D", [DigestSection("S", [huge])]))
    assert all(len(m.html) <= MESSAGE_LIMIT for m in messages)
    story = next(m for m in messages if "Huge" in m.html)
    check_markup(story.html)
    assert story.html.rstrip().endswith("…")
    assert not re.search(r"&[a-z]*…", story.html)  # no entity cut in half


def test_reply_text_is_escaped_and_errors_are_marked() -> None:
    [message] = render_reply(Reply.error("Bad <url> & stuff"))
    assert message.html == "⚠️ Bad &lt;url&gt; &amp; stuff"
    assert message.plain == "⚠️ Bad <url> & stuff"


def test_reply_with_a_short_digest_is_one_message_text_first() -> None:
    reply = Reply(text="2 new stories.", digest=Digest("D", [DigestSection("S", [item(1)])]))
    [message] = render_reply(reply)
    assert message.plain.startswith("2 new stories.\n\nD")
    assert "Story 1" in message.html


def test_keyboard_rows_stay_rows_choice_lists_become_a_column() -> None:
    buttons = ActionRow((Action("Prev", "list", ("1",)), Action("Next", "list", ("3",))))
    choice = ActionRow(
        (Action("1. A", "feed", ("id:1",)), Action("2. " + "B" * 100, "feed", ("id:2",))),
        placeholder="Manage feed…",
    )
    broken = ActionRow((Action("Too long", "x"),))

    def encode(action: Action) -> str | None:
        return None if action.command == "x" else f"{action.command}:{','.join(action.args)}"

    rows = keyboard_rows((choice, buttons, broken), encode)
    assert rows[0] == [("1. A", "feed:id:1")]
    assert rows[1][0][1] == "feed:id:2"
    assert len(rows[1][0][0]) <= MAX_BUTTON_LABEL
    assert rows[2] == [("Prev", "list:1"), ("Next", "list:3")]
    assert len(rows) == 3  # the row whose only button cannot be carried is left out
