"""The fake Discord API and gateway, driven by the real discord.py over HTTP and websocket."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord import app_commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.fakes.discord_api import (
    DEFAULT_CHANNEL_ID,
    DEFAULT_GUILD_ID,
    DEFAULT_THREAD_ID,
    MANAGE_GUILD,
    OTHER_USER_ID,
    FakeDiscordAPI,
    point_discord_py_at,
)

PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)
GUILD = discord.Object(id=DEFAULT_GUILD_ID)


@pytest.fixture(autouse=True)
def _direct_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake lives on 127.0.0.1; no proxy may get in between."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@dataclass
class Bot:
    """A discord.py client with a few slash commands, connected to the fake."""

    client: discord.Client
    tree: app_commands.CommandTree
    seen: dict[str, Any] = field(default_factory=dict)


def build_bot(seen: dict[str, Any]) -> tuple[discord.Client, app_commands.CommandTree]:
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.01)
    tree = app_commands.CommandTree(client)

    @tree.command(name="hello", description="Say hello")
    @app_commands.describe(name="Who to greet")
    async def hello(interaction: discord.Interaction, name: str) -> None:
        seen["hello"] = interaction
        embed = discord.Embed(title=f"Hello, {name}!", description="Nice to meet you.")
        embed.add_field(name="Guild", value=str(interaction.guild_id))
        await interaction.response.send_message(
            embed=embed, allowed_mentions=discord.AllowedMentions.none()
        )

    @tree.command(name="slow", description="Defer, then follow up")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        first = await interaction.followup.send("done", wait=True)
        second = await interaction.followup.send("and more", ephemeral=True, wait=True)
        seen["slow"] = (first, second)

    @tree.command(name="upload", description="Read an attachment")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        content = await file.read()
        seen["upload"] = (file.filename, file.size, file.content_type, content)
        await interaction.response.send_message(f"{file.filename}: {len(content)} bytes")

    feeds = app_commands.Group(name="feeds", description="Manage feeds")

    @feeds.command(name="add", description="Add a feed")
    async def add(
        interaction: discord.Interaction,
        url: str,
        limit: int = 5,
        who: discord.Member | None = None,
    ) -> None:
        seen["feeds add"] = (url, limit, who, interaction.permissions.manage_guild)
        await interaction.response.send_message(f"added {url}", ephemeral=True)

    tree.add_command(feeds)
    return client, tree


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscordAPI]:
    async with FakeDiscordAPI() as api:
        with point_discord_py_at(api):
            yield api
    assert api.bugs == []


@pytest.fixture
async def bot(fake: FakeDiscordAPI) -> AsyncIterator[Bot]:
    seen: dict[str, Any] = {}
    client, tree = build_bot(seen)
    await client.login(fake.token)
    connection = asyncio.create_task(client.connect())
    try:
        await fake.wait_ready()
        await asyncio.wait_for(client.wait_until_ready(), timeout=5)
        yield Bot(client, tree, seen)
    finally:
        await client.close()
        await asyncio.wait_for(connection, timeout=5)


async def synced(bot: Bot) -> None:
    await bot.tree.sync()


# --------------------------------------------------------------------------- startup, sync


async def test_startup_handshake_and_command_sync(fake: FakeDiscordAPI, bot: Bot) -> None:
    assert [(c.method, c.path) for c in fake.calls[:2]] == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
    ]
    assert fake.calls[0].headers["Authorization"] == f"Bot {fake.token}"
    assert fake.identify is not None
    assert fake.identify["intents"] == discord.Intents.default().value
    assert fake.gateway_queries[0]["v"] == "10"
    assert fake.gateway_queries[0]["encoding"] == "json"
    assert [p["op"] for p in fake.gateway_received[:2]] == [1, 2]  # heartbeat, then IDENTIFY
    assert [p.get("t") for p in fake.gateway_sent[:4]] == [None, None, "READY", "GUILD_CREATE"]

    client = bot.client
    assert client.user is not None
    assert client.user.id == 555
    assert client.application_id == 555
    guild = client.get_guild(DEFAULT_GUILD_ID)
    assert guild is not None
    assert guild.me is not None
    assert isinstance(client.get_channel(DEFAULT_CHANNEL_ID), discord.TextChannel)
    thread = client.get_channel(DEFAULT_THREAD_ID)
    assert isinstance(thread, discord.Thread)
    assert thread.parent_id == DEFAULT_CHANNEL_ID

    synced_global = await bot.tree.sync()
    assert sorted(c.name for c in synced_global) == ["feeds", "hello", "slow", "upload"]
    registered = {c["name"]: c for c in fake.registered_commands()}
    assert registered["hello"]["options"][0] == {
        "type": 3,
        "name": "name",
        "description": "Who to greet",
        "required": True,
    }
    assert registered["hello"]["application_id"] == "555"
    assert registered["upload"]["options"][0]["type"] == 11
    assert registered["feeds"]["options"][0]["type"] == 1  # subcommand

    # Ids and versions are stable while a command does not change.
    await bot.tree.sync()
    again = {c["name"]: c for c in fake.registered_commands()}
    assert again["hello"]["id"] == registered["hello"]["id"]
    assert again["hello"]["version"] == registered["hello"]["version"]

    bot.tree.copy_global_to(guild=GUILD)
    synced_guild = await bot.tree.sync(guild=GUILD)
    assert {c.guild_id for c in synced_guild} == {DEFAULT_GUILD_ID}
    assert len(fake.registered_commands(DEFAULT_GUILD_ID)) == 4
    assert fake.calls_to("PUT", "/applications/{app}/guilds/{guild}/commands")[0].ok


async def test_invalid_commands_are_refused_like_discord(fake: FakeDiscordAPI) -> None:
    headers = {"Authorization": f"Bot {fake.token}"}
    commands = [
        {"name": "Hello", "description": "bad name", "type": 1},
        {"name": "x", "description": "d" * 101, "type": 1},
        {
            "name": "y",
            "description": "options out of order",
            "options": [
                {"name": "a", "description": "a", "type": 3},
                {"name": "b", "description": "b", "type": 3, "required": True},
            ],
        },
    ]
    async with (
        aiohttp.ClientSession() as session,
        session.put(
            f"{fake.api_base}/applications/555/commands", json=commands, headers=headers
        ) as r,
    ):
        body = await r.json()
        assert r.status == 400
        assert r.headers["Content-Type"] == "application/json"
    assert body["code"] == 50035
    errors = body["errors"]
    assert errors["0"]["name"]["_errors"][0]["code"] == "APPLICATION_COMMAND_INVALID_NAME"
    assert errors["1"]["description"]["_errors"][0]["code"] == "BASE_TYPE_BAD_LENGTH"
    assert "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID" in str(errors["2"])
    assert fake.registered_commands() == []


async def test_a_refused_image_fails_the_message_naming_the_field(fake: FakeDiscordAPI) -> None:
    headers = {"Authorization": f"Bot {fake.token}"}
    fake.refuse_image("https://img.example.com/refused.jpg")
    url = f"{fake.api_base}/channels/2000/messages"
    refused = {
        "embeds": [{"title": "a"}, {"thumbnail": {"url": "https://img.example.com/refused.jpg"}}]
    }
    fine = {"embeds": [{"title": "b", "thumbnail": {"url": "https://img.example.com/fine.jpg"}}]}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=refused, headers=headers) as r:
            body = await r.json()
            assert r.status == 400
        async with session.post(url, json=fine, headers=headers) as r:
            assert r.status == 200
    assert body["code"] == 50035
    assert body["errors"]["embeds"]["1"]["thumbnail"]["url"]["_errors"][0]["code"] == (
        "URL_TYPE_INVALID_URL"
    )
    [message] = fake.channel_messages(2000)
    assert message["embeds"][0]["thumbnail"] == {"url": "https://img.example.com/fine.jpg"}


async def test_wrong_token_fails_login(fake: FakeDiscordAPI) -> None:
    client = discord.Client(intents=discord.Intents.default())
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()
    assert fake.calls[-1].status == 401


# --------------------------------------------------------------------------- interactions


async def test_slash_command_answered_with_an_embed(fake: FakeDiscordAPI, bot: Bot) -> None:
    await synced(bot)
    interaction = await fake.send_interaction("hello", {"name": "Ada"})
    [callback] = await interaction.wait_response()

    assert callback["kind"] == "callback"
    assert callback["type"] == 4
    [embed] = callback["data"]["embeds"]
    assert embed["title"] == "Hello, Ada!"
    assert embed["fields"] == [{"name": "Guild", "value": "1000", "inline": True}]
    assert callback["data"]["allowed_mentions"]["parse"] == []
    assert callback["message"]["type"] == 20
    assert callback["message"]["interaction_metadata"]["name"] == "hello"

    received: discord.Interaction = bot.seen["hello"]
    assert received.id == interaction.id
    assert received.user.id == 42
    assert isinstance(received.user, discord.Member)
    assert received.permissions.manage_guild  # user 42 is a moderator
    assert received.channel is not None
    assert received.channel.id == DEFAULT_CHANNEL_ID
    assert received.filesize_limit == 10 * 1024 * 1024
    # discord.py asked for the callback resource and parsed the message it created.
    [call] = fake.calls_to("POST", "/interactions/{id}/{token}/callback")
    assert call.query == {"with_response": "1"}
    assert call.response["resource"]["message"]["id"] == callback["message"]["id"]
    original = await received.original_response()
    assert original.id == int(callback["message"]["id"])
    assert original.embeds[0].title == "Hello, Ada!"


async def test_deferred_command_then_follow_ups(fake: FakeDiscordAPI, bot: Bot) -> None:
    await synced(bot)
    interaction = await fake.send_interaction("slow")
    responses = await interaction.wait_response(count=3)

    assert [(r["kind"], r["type"]) for r in responses] == [
        ("callback", 5),
        ("followup", None),
        ("followup", None),
    ]
    deferred, first, second = responses
    assert deferred["message"]["flags"] & 128  # loading: "NewsDigest is thinking..."
    # The first follow-up fills in the deferred original; later ones are new messages.
    assert first["message"]["id"] == deferred["message"]["id"]
    assert first["message"]["content"] == "done"
    assert not first["message"]["flags"] & 128
    assert second["message"]["id"] != deferred["message"]["id"]
    assert second["ephemeral"] is True
    assert interaction.original is not None
    assert interaction.original["content"] == "done"
    assert [m["content"] for m in interaction.followups] == ["and more"]

    sent_first, sent_second = bot.seen["slow"]
    assert sent_first.id == int(deferred["message"]["id"])
    assert sent_second.flags.ephemeral
    assert fake.calls_to("POST", "/webhooks/555/{token}")[0].query["wait"] == "1"


async def test_attachment_option_is_served_by_the_fake(fake: FakeDiscordAPI, bot: Bot) -> None:
    await synced(bot)
    opml = b"<opml version='2.0'><body/></opml>"
    interaction = await fake.send_interaction(
        "upload", attachments={"file": ("feeds.opml", opml, "text/x-opml")}
    )
    [answer] = await interaction.wait_response()
    assert answer["data"]["content"] == f"feeds.opml: {len(opml)} bytes"
    assert bot.seen["upload"] == ("feeds.opml", len(opml), "text/x-opml", opml)
    option = interaction.payload["data"]["options"][0]
    assert option["type"] == 11
    assert option["value"] in interaction.payload["data"]["resolved"]["attachments"]

    as_option = await fake.send_interaction("upload", {"file": ("notes.txt", b"hi")})
    [answer] = await as_option.wait_response()
    assert answer["data"]["content"] == "notes.txt: 2 bytes"
    assert bot.seen["upload"] == ("notes.txt", 2, "text/plain", b"hi")


async def test_subcommand_options_are_typed_from_the_registration(
    fake: FakeDiscordAPI, bot: Bot
) -> None:
    bot.tree.copy_global_to(guild=GUILD)
    await bot.tree.sync(guild=GUILD)
    interaction = await fake.send_interaction(
        "feeds add",
        {"url": "https://news.example/rss", "limit": "3", "who": OTHER_USER_ID},
        user_id=OTHER_USER_ID,
    )
    [answer] = await interaction.wait_response()
    assert answer["ephemeral"] is True
    url, limit, who, manage_guild = bot.seen["feeds add"]
    assert (url, limit) == ("https://news.example/rss", 3)
    assert isinstance(who, discord.Member)
    assert who.id == OTHER_USER_ID
    assert manage_guild is False  # bob has no moderator role
    data = interaction.payload["data"]
    assert data["guild_id"] == str(DEFAULT_GUILD_ID)  # the guild copy answered
    assert data["options"][0]["name"] == "add"

    with pytest.raises(ValueError, match="needs option 'url'"):
        await fake.send_interaction("feeds add", {})
    with pytest.raises(LookupError):
        await fake.send_interaction("nonexistent")


async def test_direct_message_and_thread_interactions(fake: FakeDiscordAPI, bot: Bot) -> None:
    await synced(bot)
    in_dm = await fake.send_interaction("hello", {"name": "DM"}, dm=True, permissions=0)
    await in_dm.wait_response()
    received: discord.Interaction = bot.seen["hello"]
    assert received.guild is None
    assert isinstance(received.user, discord.User)
    assert isinstance(received.channel, discord.DMChannel)
    assert "member" not in in_dm.payload

    in_thread = await fake.send_interaction(
        "hello", {"name": "thread"}, channel_id=DEFAULT_THREAD_ID, permissions=MANAGE_GUILD
    )
    [answer] = await in_thread.wait_response()
    assert answer["message"]["channel_id"] == str(DEFAULT_THREAD_ID)
    assert isinstance(bot.seen["hello"].channel, discord.Thread)


async def test_interaction_misuse_is_refused(fake: FakeDiscordAPI, bot: Bot) -> None:
    await synced(bot)
    interaction = await fake.send_interaction("hello", {"name": "Ada"})
    await interaction.wait_response()
    received: discord.Interaction = bot.seen["hello"]
    with pytest.raises(discord.InteractionResponded):  # discord.py's own guard
        await received.response.send_message("again")
    with pytest.raises(discord.HTTPException) as too_long:
        await received.followup.send("x" * 2001)
    assert (too_long.value.status, too_long.value.code) == (400, 50035)

    callback = f"{fake.api_base}/interactions/{interaction.id}/{interaction.token}/callback"
    async with aiohttp.ClientSession() as session:
        async with session.post(callback, json={"type": 4, "data": {"content": "x"}}) as again:
            assert again.status == 400
            assert (await again.json())["code"] == 40060
        unknown = f"{fake.api_base}/interactions/1/nope/callback"
        async with session.post(unknown, json={"type": 5}) as response:
            assert (response.status, (await response.json())["code"]) == (404, 10062)
        hook = f"{fake.api_base}/webhooks/555/nope"
        async with session.post(hook, json={"content": "x"}) as response:
            assert (response.status, (await response.json())["code"]) == (404, 10015)
    assert len(interaction.responses) == 1


async def test_a_press_carries_the_message_and_takes_the_callbacks_a_press_may(
    fake: FakeDiscordAPI, bot: Bot
) -> None:
    button = {"type": 2, "style": 1, "label": "Go", "custom_id": "go"}
    menu = {
        "type": 3,
        "custom_id": "pick",
        "options": [{"label": "A", "value": "a"}, {"label": "B", "value": "b"}],
    }
    rows = [{"type": 1, "components": [button]}, {"type": 1, "components": [menu]}]
    url = f"{fake.api_base}/channels/{DEFAULT_CHANNEL_ID}/messages"
    headers = {"Authorization": f"Bot {fake.token}"}
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(url, json={"content": "Choose", "components": rows}) as response,
    ):
        message = await response.json()
    assert fake.channel_messages(DEFAULT_CHANNEL_ID)[-1]["components"] == rows

    with pytest.raises(LookupError):
        await fake.press(message, "nope")
    with pytest.raises(ValueError, match="not all options"):
        await fake.press(message, "pick", values=["c"])
    picked = await fake.press(message, "pick", values=["b"], user_id=OTHER_USER_ID)
    assert picked.payload["type"] == 3
    assert picked.payload["data"] == {"custom_id": "pick", "component_type": 3, "values": ["b"]}
    assert picked.payload["message"]["id"] == message["id"]
    assert picked.payload["member"]["user"]["id"] == str(OTHER_USER_ID)

    pressed = await fake.press(message, "go")
    callback = f"{fake.api_base}/interactions/{pressed.id}/{pressed.token}/callback"
    async with aiohttp.ClientSession() as session:
        async with session.post(callback, json={"type": 8, "data": {"choices": []}}) as wrong:
            assert (wrong.status, (await wrong.json())["code"]) == (400, 50035)
        update = {"type": 7, "data": {"content": "Done", "components": []}}
        async with session.post(callback, json=update) as response:
            assert response.status == 204
    edited = fake.message(DEFAULT_CHANNEL_ID, int(message["id"]))
    assert edited is not None
    assert (edited["content"], edited["components"]) == ("Done", [])
    assert [r["type"] for r in pressed.responses] == [7]
    assert pressed.is_answered()
    forged = await fake.press(message, "anything", check=False)
    assert forged.payload["data"] == {"custom_id": "anything", "component_type": 2}


# --------------------------------------------------------------------------- channel messages


async def test_channel_send_with_embeds_files_and_no_pings(fake: FakeDiscordAPI, bot: Bot) -> None:
    channel = bot.client.get_channel(DEFAULT_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    embeds = [discord.Embed(title=f"Story {n}", url=f"https://news.example/{n}") for n in range(3)]
    quiet = await channel.send(
        "@everyone look <@43>", embeds=embeds, allowed_mentions=discord.AllowedMentions.none()
    )
    loud = await channel.send("@everyone look <@43>")
    thread = bot.client.get_channel(DEFAULT_THREAD_ID)
    assert isinstance(thread, discord.Thread)
    with_file = await thread.send(
        "export", file=discord.File(io.BytesIO(b"<opml/>"), filename="a.opml")
    )

    assert isinstance(quiet, discord.Message)
    assert [e.title for e in quiet.embeds] == ["Story 0", "Story 1", "Story 2"]
    assert quiet.mention_everyone is False
    assert quiet.mentions == []
    assert loud.mention_everyone is True
    assert [u.id for u in loud.mentions] == [43]
    [quiet_call, _] = fake.calls_to("POST", f"/channels/{DEFAULT_CHANNEL_ID}/messages")
    assert quiet_call.json["allowed_mentions"] == {"parse": []}
    assert quiet_call.headers["Content-Type"] == "application/json"

    [file_call] = fake.calls_to("POST", "/channels/{id}/messages")[2:]
    assert file_call.json["content"] == "export"
    assert file_call.files == {"files[0]": ("a.opml", b"<opml/>")}
    assert with_file.attachments[0].filename == "a.opml"
    assert await with_file.attachments[0].read() == b"<opml/>"

    stored = fake.channel_messages(DEFAULT_CHANNEL_ID)
    assert [m["id"] for m in stored] == [str(quiet.id), str(loud.id)]
    assert len(fake.channel_messages(DEFAULT_THREAD_ID)) == 1

    edited = await quiet.edit(content="edited")
    assert edited.content == "edited"
    assert edited.edited_at is not None
    await loud.delete()
    assert [m["content"] for m in fake.channel_messages(DEFAULT_CHANNEL_ID)] == ["edited"]


async def test_error_statuses_map_to_discord_py_exceptions(fake: FakeDiscordAPI, bot: Bot) -> None:
    channel = bot.client.get_channel(DEFAULT_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    path = f"/channels/{DEFAULT_CHANNEL_ID}/messages"

    fake.fail_next("POST", path, status=403)
    with pytest.raises(discord.Forbidden) as forbidden:
        await channel.send("hi")
    assert (forbidden.value.code, forbidden.value.text) == (50013, "Missing Permissions")

    fake.fail_next(
        "POST", "/channels/{id}/messages", status=404, code=10003, message="Unknown Channel"
    )
    with pytest.raises(discord.NotFound) as missing:
        await channel.send("hi")
    assert missing.value.code == 10003

    with pytest.raises(discord.NotFound) as unknown:
        await bot.client.fetch_channel(9999)
    assert unknown.value.code == 10003

    before = len(fake.calls_to("POST", path))
    fake.fail_next("POST", path, status=429, retry_after=0.05)
    started = time.monotonic()
    message = await channel.send("after a rate limit")
    assert time.monotonic() - started >= 0.05
    attempts = fake.calls_to("POST", path)[before:]
    assert [c.status for c in attempts] == [429, 200]
    assert attempts[0].response_headers["Via"]
    assert attempts[0].response_headers["X-RateLimit-Scope"] == "user"
    assert attempts[0].response["retry_after"] == 0.05
    assert message.content == "after a rate limit"


async def test_discord_limits_are_validated(fake: FakeDiscordAPI, bot: Bot) -> None:
    channel = bot.client.get_channel(DEFAULT_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)

    with pytest.raises(discord.HTTPException) as title:
        await channel.send(embed=discord.Embed(title="t" * 257))
    assert (title.value.status, title.value.code) == (400, 50035)
    assert "In embeds.0.title: Must be 256 or fewer in length." in title.value.text

    big = [discord.Embed(description="d" * 4000), discord.Embed(description="d" * 2001)]
    with pytest.raises(discord.HTTPException) as total:
        await channel.send(embeds=big)
    assert "Embed size exceeds maximum size of 6000" in total.value.text

    fields = discord.Embed(title="fields")
    for n in range(26):
        fields.add_field(name=f"f{n}", value="v")
    with pytest.raises(discord.HTTPException) as too_many:
        await channel.send(embed=fields)
    assert "embeds.0.fields" in too_many.value.text

    with pytest.raises(discord.HTTPException) as content:
        await channel.send("c" * 2001)
    assert "In content: Must be 2000 or fewer in length." in content.value.text

    with pytest.raises(discord.HTTPException) as scheme:
        await channel.send(embed=discord.Embed(title="t", url="javascript:alert(1)"))
    assert "embeds.0.url" in scheme.value.text

    with pytest.raises(discord.HTTPException) as empty:
        await channel.send(embed=discord.Embed())
    assert empty.value.code == 50006
    assert fake.channel_messages(DEFAULT_CHANNEL_ID) == []


async def test_exactly_at_the_limits_is_accepted(fake: FakeDiscordAPI, bot: Bot) -> None:
    channel = bot.client.get_channel(DEFAULT_CHANNEL_ID)
    assert isinstance(channel, discord.TextChannel)
    embed = discord.Embed(title="t" * 256, description="d" * 4096)
    for _ in range(25):
        embed.add_field(name="n", value="v" * 60)
    embed.set_footer(text="f" * 48)  # 256 + 4096 + 25 * 61 + 48 = 5925
    message = await channel.send("c" * 2000, embed=embed)
    assert len(message.embeds[0].fields) == 25


# --------------------------------------------------------------------------- rate limits


async def test_enforced_limits_answer_429_with_headers() -> None:
    now = [1000.0]
    async with FakeDiscordAPI(enforce_limits=True, clock=lambda: now[0]) as fake:
        url = f"{fake.api_base}/channels/{DEFAULT_CHANNEL_ID}/messages"
        headers = {"Authorization": f"Bot {fake.token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            statuses = []
            for n in range(6):
                async with session.post(url, json={"content": f"m{n}"}) as response:
                    statuses.append(response.status)
                    last = response
            assert statuses == [200] * 5 + [429]
            assert last.headers["Via"]
            assert last.headers["X-RateLimit-Remaining"] == "0"
            assert last.headers["X-RateLimit-Scope"] == "user"
            assert float(last.headers["X-RateLimit-Reset-After"]) == 5.0
            first = fake.calls_to("POST", "/channels/{id}/messages")[0]
            assert first.response_headers["X-RateLimit-Remaining"] == "4"

            now[0] += 5.0
            async with session.post(url, json={"content": "later"}) as response:
                assert response.status == 200

            now[0] += 10.0
            fake.limits.global_per_second = 3
            statuses = []
            for _ in range(4):
                async with session.get(f"{fake.api_base}/users/@me") as response:
                    statuses.append(response.status)
                    body = await response.json()
                    last = response
            assert statuses == [200, 200, 200, 429]
            assert body["global"] is True
            assert last.headers["X-RateLimit-Global"] == "true"
            assert last.headers["X-RateLimit-Scope"] == "global"


async def test_discord_py_waits_for_an_exhausted_bucket() -> None:
    async with FakeDiscordAPI(enforce_limits=True) as fake:
        fake.limits.channel_messages = 2
        fake.limits.channel_window = 0.2
        with point_discord_py_at(fake):
            client = discord.Client(intents=discord.Intents.default())
            await client.login(fake.token)
            try:
                channel = await client.fetch_channel(DEFAULT_CHANNEL_ID)
                assert isinstance(channel, discord.TextChannel)
                for n in range(5):
                    await channel.send(f"m{n}")
            finally:
                await client.close()
    posts = fake.calls_to("POST", "/channels/{id}/messages")
    assert [c.status for c in posts] == [200] * 5  # it slept instead of being refused


# --------------------------------------------------------------------------- gateway life


async def test_gateway_resume_after_a_drop(fake: FakeDiscordAPI, bot: Bot) -> None:
    await synced(bot)
    await fake.disconnect_gateway(4000)
    await fake.wait_ready()
    assert any(p.get("op") == 6 for p in fake.gateway_received)  # RESUME
    assert any(p.get("t") == "RESUMED" for p in fake.gateway_sent)
    interaction = await fake.send_interaction("hello", {"name": "again"})
    assert (await interaction.wait_response())[0]["type"] == 4


async def test_stopping_the_fake_closes_the_gateway_promptly() -> None:
    fake = FakeDiscordAPI()
    await fake.start()
    with point_discord_py_at(fake):
        client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.01)
        await client.login(fake.token)
        connection = asyncio.create_task(client.connect())
        await fake.wait_ready()
        started = time.monotonic()
        await fake.stop()  # discord.py sees close code 1001 and schedules a reconnect
        await client.close()
        assert time.monotonic() - started < 1
        connection.cancel()  # it would otherwise finish after its reconnect backoff
        await asyncio.gather(connection, return_exceptions=True)
    assert fake.gateway_sent[-1]["t"] == "GUILD_CREATE"


async def test_point_discord_py_at_restores_the_defaults() -> None:
    base, gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    async with FakeDiscordAPI() as fake:
        with point_discord_py_at(fake):
            assert fake.api_base == Route.BASE
            assert Route("GET", "/users/@me").url == f"{fake.url}/api/v10/users/@me"
            assert yarl.URL(fake.gateway_url) == DiscordWebSocket.DEFAULT_GATEWAY
    assert (base, gateway) == (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)


# --------------------------------------------------------------------------- sharding


async def test_each_shard_hears_only_its_guilds_and_direct_messages_go_to_shard_zero() -> None:
    other_guild = (1 << 22) + DEFAULT_GUILD_ID  # shard 1 of 2
    guilds = [
        {"id": DEFAULT_GUILD_ID, "channels": [{"id": DEFAULT_CHANNEL_ID, "name": "news"}]},
        {"id": other_guild, "channels": [{"id": 3000, "name": "news"}]},
    ]
    async with FakeDiscordAPI(guilds=guilds, shards=2, max_concurrency=2) as api:
        with point_discord_py_at(api):
            client = discord.AutoShardedClient(
                intents=discord.Intents.default(), guild_ready_timeout=0.01
            )
            client.before_identify_hook = _identify_at_once  # type: ignore[method-assign]
            tree = app_commands.CommandTree(client)

            @tree.command(name="where", description="Which shard")
            async def where(interaction: discord.Interaction) -> None:
                await interaction.response.send_message("here")

            await client.login(api.token)
            connection = asyncio.create_task(client.connect())
            try:
                await asyncio.wait_for(client.wait_until_ready(), timeout=10)
                await tree.sync()
                assert sorted(i["shard"] for i in api.identifies) == [[0, 2], [1, 2]]
                ready = [p["d"] for p in api.gateway_sent if p.get("t") == "READY"]
                assert sorted(([g["id"] for g in r["guilds"]], r["shard"]) for r in ready) == [
                    ([str(DEFAULT_GUILD_ID)], [0, 2]),
                    ([str(other_guild)], [1, 2]),
                ]
                for kwargs in ({"dm": True}, {"guild_id": other_guild, "channel_id": 3000}):
                    interaction = await api.send_interaction("where", **kwargs)  # type: ignore[arg-type]
                    answers = await interaction.wait_response()
                    sent = [
                        p
                        for p in api.gateway_sent
                        if p.get("t") == "INTERACTION_CREATE"
                        and p["d"]["id"] == str(interaction.id)
                    ]
                    assert len(sent) == 1  # one shard heard it, so it was answered once
                    assert [a["kind"] for a in answers] == ["callback"]
                assert api.undelivered == []
            finally:
                await client.close()
                await asyncio.wait_for(connection, timeout=5)
        assert api.bugs == []


async def _identify_at_once(shard_id: int | None, *, initial: bool = False) -> None:
    """The fake allows two identifies at once (max_concurrency 2): no 5 s wait."""
