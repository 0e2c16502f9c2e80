"""Telegram end to end: the real python-telegram-bot against a fake Bot API on 127.0.0.1.

Every test starts the real adapter (long polling, or a webhook), drives it with updates the
fake queues, and checks what reached the fake: the library's own encoding, parsing and
error mapping are part of what is tested. Flood waits use an injected sleep that records
the delay, so no test waits for real time.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.models import ChatTarget
from bot.news.opml import OPMLFeed, build_opml, parse_opml
from bot.platforms.telegram.adapter import api_urls
from tests.fakes.telegram_api import FakeTelegramAPI
from tests.support import REPO
from tests.support.clock import FakeClock
from tests.support.feeds import FeedServer, rss_feed, stories
from tests.support.telegram import (
    ADMIN,
    GROUP,
    MEMBER,
    TelegramHarness,
    free_port,
    settings_for,
    started,
)

SUPERGROUP = -1002003


def test_api_urls_accept_root_or_ptb_form() -> None:
    assert api_urls("http://127.0.0.1:8081") == (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/file/bot",
    )
    assert api_urls("http://127.0.0.1:8081/bot/") == api_urls("http://127.0.0.1:8081")
    assert api_urls(None)[0] == "https://api.telegram.org/bot"


async def test_start_publishes_the_menu_and_answers(tg: TelegramHarness) -> None:
    [menu_call] = [  # the default menu; other languages have their own (test_telegram_language)
        call for call in tg.fake.calls_to("setMyCommands") if not call.params.get("language_code")
    ]
    names = [command["command"] for command in menu_call.params["commands"]]
    assert names == [spec.name for spec in tg.app.registry.all()]
    assert all(command["description"] for command in menu_call.params["commands"])
    [answer] = await tg.command("/start")
    assert "collect news" in answer["text"]
    assert answer["chat_id"] == 1001


async def test_every_command_happy_path(tg: TelegramHarness, feed_server: FeedServer) -> None:
    url = feed_server.serve(
        "/feed.xml", rss_feed(stories(*range(3)), title="Tram &lt;News&gt; &amp; Co")
    )
    help_text = (await tg.command("/help"))[0]["text"]
    for name in ("subscribe", "unsubscribe", "list", "digest", "import", "export"):
        assert f"/{name}" in help_text
    subscribed = await tg.command(f"/subscribe {url}")
    assert "Subscribed to Tram &lt;News&gt; &amp; Co." in subscribed[0]["text"]
    listing = await tg.command("/list")
    assert f"1. Tram &lt;News&gt; &amp; Co — {url}" in listing[0]["text"]
    feed_server.serve("/feed.xml", rss_feed(stories(*range(4)), title="Tram &lt;News&gt; &amp; Co"))
    digest = await tg.command("/digest")
    [message] = digest  # a short digest and its announcement share one message
    assert message["text"].startswith("1 new story.\n\n<b>Your news digest</b>")
    assert '<a href="https://news.example/Story-3">Story 3</a>' in message["text"]
    assert message["link_preview_options"] == {"is_disabled": True}
    gone = await tg.command("/unsubscribe 1")
    assert "Unsubscribed from" in gone[0]["text"]


async def test_bad_input_gets_a_clear_error(tg: TelegramHarness) -> None:
    [answer] = await tg.command("/subscribe notaurl")
    assert answer["text"].startswith("⚠️ Could not subscribe")
    [answer] = await tg.command("/unsubscribe 3")
    assert "no subscriptions" in answer["text"]
    [answer] = await tg.command("/nosuchcommand")
    assert "Unknown command /nosuchcommand" in answer["text"]


async def test_commands_for_other_bots_are_ignored(tg: TelegramHarness) -> None:
    tg.fake.send_command("/start@SomeOtherBot", chat_id=GROUP, chat_type="group")
    tg.fake.send_command("/weather", chat_id=GROUP, chat_type="group")  # not ours: silence
    [answer] = await tg.command("/start@NewsDigestTestBot", chat_id=GROUP, chat_type="group")
    assert "collect news" in answer["text"]
    assert len(tg.fake.sent_messages()) == 1


async def test_long_digest_is_split_within_telegram_limits(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    url = feed_server.serve("/feed.xml", rss_feed([], title="Busy"))
    await tg.command(f"/subscribe {url}")
    feed_server.serve("/feed.xml", rss_feed(stories(*range(20), words=70), title="Busy"))
    sent = await tg.command("/digest")
    digest_messages = sent
    assert len(digest_messages) >= 2
    assert all(len(m["text"]) <= 4096 for m in digest_messages)
    combined = "".join(m["text"] for m in digest_messages)
    for n in range(20):
        assert combined.count(f">Story {n}</a>") == 1  # every story once, none cut


async def test_hostile_html_in_feed_titles_is_escaped(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    hostile = "&lt;script&gt;alert(1)&lt;/script&gt; Fish &amp;amp; &quot;Chips&quot; &lt;b&gt;"
    items = [{"guid": "h", "title": hostile, "link": 'https://x.example/?a=1&amp;b="2"'}]
    url = feed_server.serve("/feed.xml", rss_feed([], title="Hostile"))
    await tg.command(f"/subscribe {url}")
    feed_server.serve("/feed.xml", rss_feed(items, title="Hostile"))
    await tg.command("/digest")
    last = tg.fake.calls_to("sendMessage")[-1]
    assert last.ok  # Telegram's HTML parser accepted it
    assert "<script>" not in last.params["text"]
    assert "&lt;script&gt;" in last.params["text"]
    shown = last.result["text"]  # what the reader sees after Telegram parsed the HTML
    assert '<script>alert(1)</script> Fish & "Chips" <b>' in shown


async def test_flood_wait_delays_the_message_and_it_arrives_once(tg: TelegramHarness) -> None:
    tg.fake.fail_next(
        "sendMessage", error_code=429, description="Too Many Requests: retry after 7", retry_after=7
    )
    answers = await tg.command("/start")
    assert len(answers) == 1
    assert tg.sleeps == [pytest.approx(7.0, abs=0.5)]
    assert len(tg.fake.sent_messages()) == 1


async def test_blocked_bot_pauses_the_chat_until_it_talks_again(tg: TelegramHarness) -> None:
    tg.fake.fail_next(
        "sendMessage", error_code=403, description="Forbidden: bot was blocked by the user"
    )
    tg.fake.send_command("/list")
    await tg.fake.wait_for_call("sendMessage")
    await asyncio.wait_for(tg.platform.wait_idle(), timeout=30)
    target = ChatTarget("telegram", "1001")
    paused = await tg.app.services.store.find_chat(target)
    assert paused is not None
    assert not paused.active
    assert len(tg.fake.calls_to("sendMessage")) == 1  # no retry storm
    [answer] = await tg.command("/list")
    assert "No subscriptions yet" in answer["text"]
    resumed = await tg.app.services.store.find_chat(target)
    assert resumed is not None
    assert resumed.active


async def test_group_migration_moves_the_chat_and_resends(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    tg.fake.chat_admins[GROUP] = [ADMIN]
    url = feed_server.serve("/feed.xml", rss_feed(stories(0)))
    await tg.command(f"/subscribe {url}", chat_id=GROUP, chat_type="group", user_id=ADMIN)
    tg.fake.fail_next(
        "sendMessage",
        error_code=400,
        description="Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=SUPERGROUP,
        chat_id=GROUP,
    )
    [answer] = await tg.command("/list", chat_id=GROUP, chat_type="group")
    assert answer["chat_id"] == SUPERGROUP
    store = tg.app.services.store
    moved = await store.find_chat(ChatTarget("telegram", str(SUPERGROUP)))
    assert moved is not None
    assert len(await store.list_subscriptions(moved.pk)) == 1
    assert await store.find_chat(ChatTarget("telegram", str(GROUP))) is None


async def test_only_admins_change_subscriptions_in_groups(
    fake: FakeTelegramAPI, tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    fake.chat_admins[GROUP] = [ADMIN]
    settings = settings_for(fake, tmp_path, admins=["telegram:900"])
    url = feed_server.serve("/feed.xml", rss_feed(stories(0)))
    async with started(fake, settings, clock) as tg:
        group = {"chat_id": GROUP, "chat_type": "group"}
        [refused] = await tg.command(f"/subscribe {url}", user_id=MEMBER, **group)
        assert "Only administrators of this chat can use /subscribe" in refused["text"]
        assert feed_server.hits == {}
        [listing] = await tg.command("/list", user_id=MEMBER, **group)
        assert "No subscriptions yet" in listing["text"]
        [ok] = await tg.command(f"/subscribe {url}", user_id=ADMIN, **group)
        assert "Subscribed" in ok["text"]
        [operator] = await tg.command("/unsubscribe 1", user_id=900, **group)
        assert "Unsubscribed" in operator["text"]
        assert len(fake.calls_to("getChatAdministrators")) == 1  # cached


async def test_forum_topic_commands_answer_in_the_topic(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    tg.fake.chat_admins[SUPERGROUP] = [ADMIN]
    url = feed_server.serve("/feed.xml", rss_feed(stories(0)))
    topic = {
        "chat_id": SUPERGROUP,
        "chat_type": "supergroup",
        "message_thread_id": 77,
        "is_topic_message": True,
    }
    [answer] = await tg.command(f"/subscribe {url}", **topic)
    assert answer["message_thread_id"] == 77
    store = tg.app.services.store
    chat = await store.find_chat(ChatTarget("telegram", str(SUPERGROUP), "77"))
    assert chat is not None
    assert len(await store.list_subscriptions(chat.pk)) == 1
    [general] = await tg.command("/list", chat_id=SUPERGROUP, chat_type="supergroup")
    assert "No subscriptions yet" in general["text"]  # the topic's feeds are its own


async def test_rejected_markup_is_resent_as_plain_text(tg: TelegramHarness) -> None:
    tg.fake.reject_html_entities = True
    [answer] = await tg.command("/help")
    assert "parse_mode" not in answer
    assert "/subscribe <url>" in answer["text"]


async def test_opml_import_and_export_round_trip(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    first = feed_server.serve("/a.xml", rss_feed(stories(0), title="Feed A"))
    second = feed_server.serve("/b.xml", rss_feed(stories(0), title="Feed B"))
    upload = build_opml([OPMLFeed(first, "Alpha"), OPMLFeed(second, None)], title="mine")
    document = {"file_name": "mine.opml", "content": upload, "mime_type": "text/x-opml"}
    [report] = await tg.command("/import", document=document)
    assert "Imported mine.opml: 2 added, 0 already present, 0 failed." in report["text"]
    answers = await tg.command("/export")
    assert "2 subscriptions exported as OPML." in answers[0]["text"]
    [export_call] = tg.fake.calls_to("sendDocument")
    filename, content = export_call.files["document"]
    assert filename == "subscriptions.opml"
    assert [(f.url, f.title) for f in parse_opml(content)] == [
        (first, "Alpha"),
        (second, "Feed B"),
    ]
    # Replying /import to a document works too: everything is already there.
    [again] = await tg.command("/import", reply_to_document=document)
    assert "0 added, 2 already present" in again["text"]


async def test_webhook_mode(fake: FakeTelegramAPI, tmp_path: Path, clock: FakeClock) -> None:
    port = free_port()
    settings = settings_for(
        fake,
        tmp_path,
        telegram_webhook_url="https://bot.example.org/telegram/hook",
        telegram_webhook_listen="127.0.0.1",
        telegram_webhook_port=port,
        telegram_webhook_secret="s3cret-token",
    )
    async with started(fake, settings, clock):
        [registration] = fake.calls_to("setWebhook")
        assert registration.params["url"] == "https://bot.example.org/telegram/hook"
        assert registration.params["secret_token"] == "s3cret-token"
        update_id = fake.send_command("/start")
        update = next(u for u in fake.pending_updates if u["update_id"] == update_id)
        async with httpx.AsyncClient() as client:
            refused = await client.post(
                f"http://127.0.0.1:{port}/telegram/hook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
            )
            assert refused.status_code == 403
            accepted = await client.post(
                f"http://127.0.0.1:{port}/telegram/hook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"},
            )
            assert accepted.status_code == 200
        await fake.wait_for_call("sendMessage")
        assert "collect news" in fake.sent_messages()[0]["text"]
        assert fake.calls_to("getUpdates") == []


async def test_main_runs_against_the_fake_and_exits_cleanly_on_sigint(
    fake: FakeTelegramAPI, tmp_path: Path
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "DISCORD_"))},
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_BASE_URL": fake.url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'run.db'}",
        "NO_PROXY": "127.0.0.1,localhost",
        "PTB_TIMEDELTA": "true",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(REPO / "main.py"),
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        await fake.wait_for_call("getUpdates", timeout=60)
        fake.send_command("/start")
        await fake.wait_for_call("sendMessage", timeout=30)
        assert "collect news" in fake.sent_messages()[0]["text"]
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert b"telegram: stopped" in stderr


async def test_running_bot_posts_new_stories_instantly(
    fake: FakeTelegramAPI, tmp_path: Path, feed_server: FeedServer
) -> None:
    """The whole runtime: platform, scheduler and poller together, min poll interval 2 s."""
    from bot.app.runner import run_platforms

    health_port = free_port()
    settings = settings_for(fake, tmp_path, min_poll_seconds=2, health_port=health_port)
    url = feed_server.serve("/feed.xml", rss_feed(stories(0, prefix="Old")))
    stop = asyncio.Event()
    runner = asyncio.create_task(run_platforms(settings, stop=stop))
    try:
        await fake.wait_for_call("getUpdates", timeout=30)
        fake.send_command(f"/subscribe {url}")
        await fake.wait_until(lambda: len(fake.sent_messages()) == 1)
        fake.send_command("/schedule instant")
        await fake.wait_until(lambda: len(fake.sent_messages()) == 2)
        assert "Schedule set: instant" in fake.sent_messages()[1]["text"]
        feed_server.serve("/feed.xml", rss_feed(stories(*range(2), prefix="Old")))
        await fake.wait_until(
            lambda: any("Old 1" in m["text"] for m in fake.sent_messages()), timeout=30
        )
        texts = [m["text"] for m in fake.sent_messages()]
        assert sum("Old 1</a>" in text for text in texts) == 1
        assert not any("Old 0</a>" in text for text in texts)  # seen at subscribe time
        # The operator's view of the same process: healthy, and the poll counted.
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{health_port}") as client:
            health = await client.get("/healthz")
            metrics = (await client.get("/metrics")).text
        assert (health.status_code, health.json()["status"]) == (200, "ok")
        assert 'newsdigest_feeds{state="ok"} 1.0' in metrics
        assert 'newsdigest_chats{state="active"} 1.0' in metrics
        fetched = re.search(r'newsdigest_polls_total\{outcome="fetched"\} (\S+)', metrics)
        assert fetched is not None
        assert float(fetched.group(1)) >= 1
        # The digest went out through the outbox, and its story was summarised here.
        sent = re.search(r'newsdigest_delivery_attempts_total\{outcome="sent"\} (\S+)', metrics)
        assert sent is not None
        assert float(sent.group(1)) >= 1
        summaries = re.search(r"newsdigest_summary_seconds_count (\S+)", metrics)
        assert summaries is not None
        assert float(summaries.group(1)) >= 1
        assert "newsdigest_outbox_lag_seconds" in metrics
    finally:
        stop.set()
        assert await asyncio.wait_for(runner, timeout=30) == 0
