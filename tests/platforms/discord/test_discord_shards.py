"""Gateway sharding, end to end: the real adapter against a fake Discord that shards.

Discord sends a server's events only on its shard, ``(guild_id >> 22) % shard_count``, and
refuses an unsharded connection once the bot is in too many servers (4011). Two servers
here, one on each of two shards; the fake refuses a session holding both, as Discord would
past 2,500. Store: SQLite, and PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from bot.models import ChatTarget
from bot.platforms.base import PlatformStartError
from config.settings import Settings
from tests.fakes.discord_api import FakeDiscordAPI, FakeInteraction
from tests.support.clock import FakeClock
from tests.support.discord import DiscordHarness, started
from tests.support.outbox import enqueue_digest, outbox_for
from tests.support.settings import make_settings

GUILD_A, CHANNEL_A = 1000, 2000  # shard 0 of 2
GUILD_B, CHANNEL_B = (1 << 22) + 1000, 3000  # shard 1 of 2


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscordAPI]:
    guilds = [
        {"id": GUILD_A, "channels": [{"id": CHANNEL_A, "name": "news"}]},
        {"id": GUILD_B, "channels": [{"id": CHANNEL_B, "name": "news"}]},
    ]
    async with FakeDiscordAPI(guilds=guilds, shards=2, max_concurrency=2) as api:
        api.max_guilds_per_session = 1  # one session may not hold both: sharding required
        assert {api.shard_of(GUILD_A, 2), api.shard_of(GUILD_B, 2)} == {0, 1}
        yield api


def settings_for(fake: FakeDiscordAPI, database_url: str, **overrides: object) -> Settings:
    return make_settings(
        database_url,
        discord_bot_token=fake.token,
        discord_api_base_url=fake.api_base,
        discord_gateway_url=fake.gateway_url,
        **overrides,
    )


async def ask(
    fake: FakeDiscordAPI, bot: DiscordHarness, guild: int, channel: int
) -> FakeInteraction:
    """/help from a server's channel, once answered and handled."""
    interaction = await fake.send_interaction("help", guild_id=guild, channel_id=channel)
    await interaction.wait_response()
    await bot.platform.wait_idle()
    return interaction


def answers(interaction: FakeInteraction) -> list[dict]:
    return [r for r in interaction.responses if r["kind"] in ("callback", "followup")]


async def digest_in_both_channels(bot: DiscordHarness) -> None:
    for n, channel in enumerate((CHANNEL_A, CHANNEL_B)):
        target = ChatTarget("discord", str(channel))
        await enqueue_digest(bot.app, target, 2, first=10 * n)


def story_titles(fake: FakeDiscordAPI, channel: int) -> list[str]:
    return [
        embed.get("title", "")
        for message in fake.channel_messages(channel)
        for embed in message.get("embeds") or []
    ]


async def test_the_recommended_shards_serve_every_server_once(
    fake: FakeDiscordAPI, database_url: str, clock: FakeClock
) -> None:
    async with started(fake, settings_for(fake, database_url), clock) as bot:
        assert sorted(identify["shard"] for identify in fake.identifies) == [[0, 2], [1, 2]]
        for guild, channel in ((GUILD_A, CHANNEL_A), (GUILD_B, CHANNEL_B)):
            interaction = await ask(fake, bot, guild, channel)
            assert len(answers(interaction)) == 1, interaction.responses
        assert fake.undelivered == []

        await digest_in_both_channels(bot)
        report = await outbox_for(bot.app, bot.platform).deliver_pending()
        assert report.sent == 2
        assert len(story_titles(fake, CHANNEL_A)) == 2
        assert len(story_titles(fake, CHANNEL_B)) == 2


async def test_a_process_given_some_shards_serves_only_their_servers(
    fake: FakeDiscordAPI, database_url: str, clock: FakeClock
) -> None:
    """DISCORD_SHARD_IDS=0 of 2 here, 1 of 2 in a second process on the same database."""
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(
            started(
                fake,
                settings_for(fake, database_url, discord_shard_count=2, discord_shard_ids="0"),
                clock,
            )
        )
        assert [identify["shard"] for identify in fake.identifies] == [[0, 2]]

        served = await ask(fake, first, GUILD_A, CHANNEL_A)
        assert len(answers(served)) == 1
        elsewhere = await fake.send_interaction("help", guild_id=GUILD_B, channel_id=CHANNEL_B)
        assert [event for event, _ in fake.undelivered] == ["INTERACTION_CREATE"]
        assert elsewhere.responses == []

        second = await stack.enter_async_context(
            started(
                fake,
                settings_for(fake, database_url, discord_shard_count=2, discord_shard_ids="1"),
                clock,
            )
        )
        assert [identify["shard"] for identify in fake.identifies] == [[0, 2], [1, 2]]
        other = await ask(fake, second, GUILD_B, CHANNEL_B)
        assert len(answers(other)) == 1
        assert len(answers(served)) == 1  # the first process's answer was not repeated

        await digest_in_both_channels(first)
        reports = [
            await outbox_for(bot.app, bot.platform).deliver_pending() for bot in (first, second)
        ]
        assert sum(report.sent for report in reports) == 2
        assert len(story_titles(fake, CHANNEL_A)) == 2
        assert len(story_titles(fake, CHANNEL_B)) == 2


async def test_too_few_configured_shards_say_which_setting_to_fix(
    fake: FakeDiscordAPI, database_url: str, clock: FakeClock
) -> None:
    settings = settings_for(fake, database_url, discord_shard_count=1)
    with pytest.raises(PlatformStartError, match=r"4011 Sharding required.*DISCORD_SHARD_COUNT"):
        async with started(fake, settings, clock):
            pass
