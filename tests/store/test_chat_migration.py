"""A group that becomes a supergroup the bot already knows keeps its rules and settings.

`Store.move_chat` merges the old chat into the row of the new id; before, the old row's
delete cascaded over its filters, seen marks and outbox, and its settings JSON was lost.
Runs on SQLite always and on PostgreSQL too when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import ChatTarget, NewArticle
from bot.store.repository import Store
from tests.support.feeds import new_article

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
GROUP = ChatTarget("telegram", "-1")
SUPERGROUP = ChatTarget("telegram", "-1001")


def story(n: int) -> NewArticle:
    return new_article(n, published=NOW - timedelta(hours=n))


async def test_merging_into_a_known_supergroup_keeps_filters_settings_and_seen(
    store: Store,
) -> None:
    feeds = {name: await store.get_or_create_feed(f"https://{name}.example/feed") for name in "abc"}
    old = await store.get_or_create_chat(GROUP)
    old_a, _ = await store.subscribe(old.pk, feeds["a"].id, custom_title="Alpha")
    old_b, _ = await store.subscribe(old.pk, feeds["b"].id)
    await store.update_chat_settings(
        old.pk,
        timezone="Europe/Berlin",
        changes={
            "schedule": {"times": ["08:00"]},
            "paused_at": NOW.isoformat(),
            "resumed_at": None,
            "digest_settings": {"max_items": 5, "language": "de"},
            "space_id": "space-1",
        },
    )
    await store.add_filter(old.pk, kind="exclude", pattern="sport", is_regex=False)
    await store.add_filter(old.pk, kind="exclude", pattern="crypto", is_regex=False)
    await store.add_filter(
        old.pk, kind="include", pattern="elect", is_regex=True, subscription_id=old_a.id
    )
    await store.add_filter(
        old.pk, kind="exclude", pattern="ads", is_regex=False, subscription_id=old_b.id
    )
    # The bot knew the supergroup, subscribed before the stories arrived, so both count.
    survivor = await store.get_or_create_chat(SUPERGROUP)
    new_a, _ = await store.subscribe(survivor.pk, feeds["a"].id)
    await store.subscribe(survivor.pk, feeds["c"].id, custom_title="Gamma")
    ids = await store.store_articles(feeds["a"].id, [story(1), story(2)], now=NOW)
    await store.mark_seen(old.pk, ids[:1], now=NOW)
    assert await store.commit_digest(old.pk, "slot-1", {"text": "x"}, [], now=NOW)

    await store.update_chat_settings(survivor.pk, changes={"digest_settings": {"max_items": 9}})
    await store.add_filter(survivor.pk, kind="exclude", pattern="crypto", is_regex=False)

    await store.move_chat("telegram", GROUP.chat_id, SUPERGROUP.chat_id)

    assert await store.find_chat(GROUP) is None
    merged = await store.find_chat(SUPERGROUP)
    assert merged is not None
    assert merged.pk == survivor.pk
    subscriptions = {s.feed.url: s for s in await store.list_subscriptions(merged.pk)}
    assert {url: s.custom_title for url, s in subscriptions.items()} == {
        "https://a.example/feed": "Alpha",  # the survivor had none: the group's title fills in
        "https://b.example/feed": None,
        "https://c.example/feed": "Gamma",
    }
    assert subscriptions["https://a.example/feed"].id == new_a.id
    rules = {
        (r.kind, r.pattern, r.is_regex, r.subscription_id)
        for r in await store.list_filters(merged.pk)
    }
    assert rules == {
        ("exclude", "crypto", False, None),  # once, not twice
        ("exclude", "sport", False, None),
        ("include", "elect", True, new_a.id),  # follows feed a to the survivor's subscription
        ("exclude", "ads", False, subscriptions["https://b.example/feed"].id),
    }
    assert len(await store.list_filters(merged.pk)) == 4
    assert merged.settings == {
        "schedule": {"times": ["08:00"]},
        "paused_at": NOW.isoformat(),
        "resumed_at": None,
        "digest_settings": {"max_items": 9, "language": "de"},  # the survivor's value wins
        "space_id": "space-1",
    }
    assert merged.timezone == "Europe/Berlin"
    assert [a.id for a in await store.unseen_articles(merged.pk)] == ids[1:]
    [delivery] = await store.pending_deliveries()
    assert (delivery.chat.pk, delivery.slot) == (merged.pk, "slot-1")


async def test_the_survivors_pause_state_is_kept_whole(store: Store) -> None:
    old = await store.get_or_create_chat(GROUP)
    await store.update_chat_settings(
        old.pk, changes={"paused_at": NOW.isoformat(), "resumed_at": None}
    )
    survivor = await store.get_or_create_chat(SUPERGROUP)
    later = (NOW + timedelta(days=1)).isoformat()
    await store.update_chat_settings(survivor.pk, changes={"paused_at": None, "resumed_at": later})
    await store.move_chat("telegram", GROUP.chat_id, SUPERGROUP.chat_id)
    merged = await store.find_chat(SUPERGROUP)
    assert merged is not None
    assert merged.settings == {"paused_at": None, "resumed_at": later}
