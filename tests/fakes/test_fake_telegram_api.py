"""The fake Telegram Bot API, driven by the real python-telegram-bot library over HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import (
    Bot,
    BotCommand,
    ChatMemberAdministrator,
    ChatMemberOwner,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from tests.fakes.telegram_api import FakeTelegramAPI, parse_html

PROXY_VARIABLES = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
)


@pytest.fixture(autouse=True)
def _direct_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables; the fake lives on 127.0.0.1."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    # Time periods as timedelta: the library's forward-compatible mode, no deprecation noise.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as api:
        yield api


@pytest.fixture
async def bot(fake: FakeTelegramAPI) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as bot:
        yield bot


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------- plain Bot calls


async def test_get_me_and_send_message(fake: FakeTelegramAPI, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "NewsDigestTestBot", True)
    assert me.can_join_groups is True

    first = await bot.send_message(1001, "hello <b>world</b>", parse_mode=ParseMode.HTML)
    second = await bot.send_message(1001, "[1/2] 42")
    other = await bot.send_message(-1001234567890, "in a topic", message_thread_id=7)

    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert first.chat.id == 1001
    assert first.chat.type == "private"
    assert first.text == "hello world"  # Telegram answers with the parsed text and entities
    assert first.text_html == "hello <b>world</b>"
    assert second.text == "[1/2] 42"
    assert other.chat.type == "supergroup"
    assert other.message_thread_id == 7

    assert [call.method for call in fake.calls] == ["getMe", "getMe", *["sendMessage"] * 3]
    params = fake.calls_to("sendMessage")[1].params
    assert params == {"chat_id": 1001, "text": "[1/2] 42"}  # text stays a string
    assert fake.sent_messages(-1001234567890) == [
        {"chat_id": -1001234567890, "text": "in a topic", "message_thread_id": 7}
    ]


async def test_send_document_is_recorded_with_its_bytes(fake: FakeTelegramAPI, bot: Bot) -> None:
    message = await bot.send_document(
        1001, document=b"id,title\n1,news\n", filename="export.csv", caption="Your export"
    )

    (call,) = fake.calls_to("sendDocument")
    assert call.files == {"document": ("export.csv", b"id,title\n1,news\n")}
    assert call.params == {"chat_id": 1001, "caption": "Your export"}
    assert message.document is not None
    assert message.document.file_name == "export.csv"
    assert message.document.file_size == 16
    assert message.caption == "Your export"
    # the bot's own upload can be fetched back like any Telegram file
    sent = await bot.get_file(message.document.file_id)
    assert bytes(await sent.download_as_bytearray()) == b"id,title\n1,news\n"


async def test_set_my_commands_is_decoded(fake: FakeTelegramAPI, bot: Bot) -> None:
    commands = [BotCommand("start", "Start the bot"), BotCommand("digest", "Digest now")]
    assert await bot.set_my_commands(commands) is True

    (call,) = fake.calls_to("setMyCommands")
    assert call.params["commands"] == [
        {"command": "start", "description": "Start the bot"},
        {"command": "digest", "description": "Digest now"},
    ]
    assert [c.command for c in await bot.get_my_commands()] == ["start", "digest"]
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Not-Valid", "nope")])


async def test_get_file_downloads_an_attached_document(fake: FakeTelegramAPI, bot: Bot) -> None:
    opml = b'<?xml version="1.0"?><opml version="2.0"><body/></opml>'
    update_id = fake.send_command(
        "/import",
        document={"file_name": "feeds.opml", "content": opml, "mime_type": "text/x-opml"},
    )

    (update,) = await bot.get_updates(timeout=0)
    assert update.update_id == update_id
    message = update.message
    assert message is not None
    assert message.document is not None
    assert message.caption == "/import"
    assert message.caption_entities[0].type == "bot_command"

    file = await bot.get_file(message.document.file_id)
    assert file.file_path is not None
    assert file.file_path.startswith(f"{fake.base_file_url}{fake.token}/documents/")
    assert bytes(await file.download_as_bytearray()) == opml
    assert fake.downloads == ["documents/file_1.opml"]

    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("no-such-file")


async def test_reply_to_document_carries_the_document(fake: FakeTelegramAPI, bot: Bot) -> None:
    fake.send_command(
        "/import",
        chat_id=-1002000,
        chat_type="supergroup",
        reply_to_document={"file_name": "feeds.opml", "content": b"<opml/>"},
    )
    (update,) = await bot.get_updates(timeout=0)
    message = update.message
    assert message is not None
    assert message.reply_to_message is not None
    assert message.reply_to_message.document is not None
    assert message.reply_to_message.document.file_name == "feeds.opml"
    assert message.reply_to_message.message_id < message.message_id
    assert message.text == "/import"
    # replying to the pushed message works: the fake knows it
    reply = await bot.send_message(-1002000, "ok", reply_to_message_id=message.message_id)
    assert reply.reply_to_message is not None
    with pytest.raises(BadRequest, match="Message to be replied not found"):
        await bot.send_message(-1002000, "ok", reply_to_message_id=999)


async def test_command_for_another_bot_has_the_full_entity(fake: FakeTelegramAPI, bot: Bot) -> None:
    fake.send_command("/digest@OtherBot now", chat_id=-1005, chat_type="supergroup")
    fake.send_text("just chatting", chat_id=-1005, chat_type="group")

    command, text = await bot.get_updates(timeout=0)
    assert command.message is not None
    (entity,) = command.message.entities
    assert (entity.type, entity.offset, entity.length) == (
        "bot_command",
        0,
        len("/digest@OtherBot"),
    )
    assert command.message.parse_entity(entity) == "/digest@OtherBot"
    assert command.message.from_user is not None
    assert command.message.from_user.username == "alice"
    assert text.message is not None
    assert text.message.entities == ()
    with pytest.raises(ValueError, match="not a command"):
        fake.send_command("digest please")


async def test_updates_follow_offset_semantics(fake: FakeTelegramAPI, bot: Bot) -> None:
    first = fake.send_text("one")
    second = fake.send_text("two")

    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [first, second]
    # not confirmed yet: the same updates come back
    assert [u.update_id for u in await bot.get_updates(timeout=0)] == [first, second]
    assert [u.update_id for u in await bot.get_updates(offset=second, timeout=0)] == [second]
    assert await bot.get_updates(offset=second + 1, timeout=0) == ()
    assert fake.pending_updates == []


async def test_long_poll_wakes_for_an_update_and_on_stop(fake: FakeTelegramAPI, bot: Bot) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await fake.wait_for_call("getUpdates")
    fake.send_text("wake up")
    (update,) = await asyncio.wait_for(poll, 2)
    assert update.message is not None
    assert update.message.text == "wake up"

    poll = asyncio.create_task(bot.get_updates(offset=update.update_id + 1, timeout=30))
    await fake.wait_for_call("getUpdates", count=2)
    started = time.monotonic()
    await fake.stop()
    assert await asyncio.wait_for(poll, 2) == ()
    assert time.monotonic() - started < 1


async def test_wait_for_call_times_out_with_what_it_saw(fake: FakeTelegramAPI, bot: Bot) -> None:
    await bot.get_me()
    with pytest.raises(TimeoutError, match="sendMessage; calls: getMe x2"):
        await fake.wait_for_call("sendMessage", timeout=0.05)


async def test_edit_and_delete_follow_telegram(fake: FakeTelegramAPI, bot: Bot) -> None:
    sent = await bot.send_message(1001, "Fetching…")
    edited = await bot.edit_message_text("Done", chat_id=1001, message_id=sent.message_id)
    assert isinstance(edited, type(sent))
    assert edited.text == "Done"
    assert edited.edit_date is not None
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text("Done", chat_id=1001, message_id=sent.message_id)
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("Done", chat_id=1001, message_id=99)
    assert await bot.delete_message(1001, sent.message_id) is True
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(1001, sent.message_id)
    assert await bot.send_chat_action(1001, "typing") is True
    press = fake.take_update(fake.send_callback_query("data", message_id=sent.message_id))
    query_id = press["callback_query"]["id"]
    assert await bot.answer_callback_query(query_id, text="Done") is True
    assert fake.answered_callbacks[query_id]["text"] == "Done"
    with pytest.raises(BadRequest, match="query id is invalid"):
        await bot.answer_callback_query(query_id)  # once per press
    with pytest.raises(BadRequest, match="query id is invalid"):
        await bot.answer_callback_query("123")


async def test_unknown_methods_succeed_and_a_wrong_token_is_refused(fake: FakeTelegramAPI) -> None:
    async with Bot(fake.token, base_url=fake.base_url) as bot:
        assert await bot.leave_chat(-1005) is True
        assert await bot.do_api_request("someFutureMethod", api_kwargs={"x": 1}) is True
    assert fake.calls[-1].params == {"x": 1}

    wrong = Bot("999:WRONG", base_url=fake.base_url)
    with pytest.raises(InvalidToken):
        await wrong.initialize()
    await wrong.shutdown()
    assert fake.calls[-1].status == 401


# --------------------------------------------------------------------------- validation


async def test_message_text_is_validated_like_telegram(fake: FakeTelegramAPI, bot: Bot) -> None:
    await bot.send_message(1001, "x" * 4096)
    with pytest.raises(BadRequest, match="Message is too long"):
        await bot.send_message(1001, "x" * 4097)
    # the limit counts text after entity parsing, so markup does not count
    await bot.send_message(1001, "<b>" + "x" * 4096 + "</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match="Message text is empty"):
        await bot.send_message(1001, "   ")
    with pytest.raises(BadRequest, match='unsupported start tag "br"'):
        await bot.send_message(1001, "line<br>line", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest, match='Can\'t parse entities: unsupported start tag ""'):
        await bot.send_message(1001, "1 < 2", parse_mode=ParseMode.HTML)
    assert len(fake.sent_messages()) == 2


async def test_reject_html_entities_allows_a_plain_resend(fake: FakeTelegramAPI, bot: Bot) -> None:
    fake.reject_html_entities = True
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_message(1001, "<b>Digest</b>", parse_mode=ParseMode.HTML)
    await bot.send_message(1001, "Digest")

    assert [c.ok for c in fake.calls_to("sendMessage")] == [False, True]
    assert fake.sent_messages(1001) == [{"chat_id": 1001, "text": "Digest"}]


def test_html_parser_matches_telegram_rules() -> None:
    text, entities = parse_html(
        '<b>Top</b> &amp; <a href="https://example.test/?a=1&amp;b=2">link</a> &copy; &#x27;'
    )
    assert text == "Top & link &copy; '"
    assert entities == [
        {"offset": 0, "length": 3, "type": "bold"},
        {"offset": 6, "length": 4, "type": "text_link", "url": "https://example.test/?a=1&b=2"},
    ]
    _, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert entities == [{"offset": 0, "length": 5, "type": "pre", "language": "python"}]
    for bad, error in [
        ("<b>open", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("é<p>", 'Unsupported start tag "p" at byte offset 2'),
        ('<span class="x">s</span>', 'Tag "span" must have class "tg-spoiler"'),
    ]:
        with pytest.raises(ValueError, match=error):
            parse_html(bad)


# --------------------------------------------------------------------------- scripted failures


async def test_scripted_failures_map_to_library_errors(fake: FakeTelegramAPI, bot: Bot) -> None:
    fake.fail_next(
        "sendMessage",
        error_code=429,
        description="Too Many Requests: retry after 1",
        retry_after=1,
    )
    with pytest.raises(RetryAfter) as flood:
        await bot.send_message(1001, "one")
    assert flood.value.retry_after == timedelta(seconds=1)

    fake.fail_next(
        "sendMessage", error_code=403, description="Forbidden: bot was blocked by the user"
    )
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(1001, "two")

    fake.fail_next(
        "sendMessage",
        error_code=400,
        description="Bad Request: group chat was upgraded to a supergroup chat",
        migrate_to_chat_id=-1009999,
    )
    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-55, "three")
    assert migrated.value.new_chat_id == -1009999

    await bot.send_message(1001, "four")
    statuses = [call.status for call in fake.calls_to("sendMessage")]
    assert statuses == [429, 403, 400, 200]
    assert fake.calls_to("sendMessage")[0].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 1",
        "parameters": {"retry_after": 1},
    }
    assert [m["text"] for m in fake.sent_messages()] == ["four"]


async def test_failures_can_target_one_chat_several_times(fake: FakeTelegramAPI, bot: Bot) -> None:
    fake.fail_next(
        "sendMessage", error_code=403, description="Forbidden: bot was kicked", chat_id=-7, times=2
    )
    await bot.send_message(1001, "elsewhere")
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(-7, "here")
    await bot.send_message(-7, "here")
    assert len(fake.sent_messages()) == 2


async def test_chat_admins(fake: FakeTelegramAPI, bot: Bot) -> None:
    fake.chat_admins[-1005] = [7, 42]
    owner, admin = await bot.get_chat_administrators(-1005)
    assert isinstance(owner, ChatMemberOwner)
    assert isinstance(admin, ChatMemberAdministrator)
    assert (owner.user.id, admin.user.id) == (7, 42)
    assert admin.can_delete_messages is True

    assert (await bot.get_chat_member(-1005, 42)).status == "administrator"
    assert (await bot.get_chat_member(-1005, 99)).status == "member"
    with pytest.raises(BadRequest, match="no administrators in the private chat"):
        await bot.get_chat_administrators(1001)
    chat = await bot.get_chat(-1005)
    assert chat.type == "group"


async def test_rate_limits_with_an_injected_clock() -> None:
    clock = FakeClock()
    async with (
        FakeTelegramAPI(enforce_limits=True, clock=clock) as fake,
        Bot(fake.token, base_url=fake.base_url) as bot,
    ):
        await bot.send_message(1001, "a")
        with pytest.raises(RetryAfter) as flood:
            await bot.send_message(1001, "b")
        assert flood.value.retry_after == timedelta(seconds=1)
        await bot.send_message(1002, "another chat is fine")
        clock.now += 1
        await bot.send_message(1001, "b")

        for minute_second in range(20):
            clock.now += 1.5
            await bot.send_message(-1005, f"group {minute_second}")
        clock.now += 1.5
        with pytest.raises(RetryAfter) as group_flood:
            await bot.send_message(-1005, "too many for a group")
        assert group_flood.value.retry_after == timedelta(seconds=30)

        clock.now += 100
        for chat_id in range(2000, 2030):
            await bot.send_message(chat_id, "broadcast")
        with pytest.raises(RetryAfter):
            await bot.send_message(3000, "one too many this second")

    assert fake.calls_to("sendMessage")[1].status == 429
    assert len(fake.sent_messages()) == 3 + 20 + 30


# --------------------------------------------------------------------------- Application


async def test_application_answers_a_command_end_to_end(fake: FakeTelegramAPI) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("Welcome to the digest!")

    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=timedelta(seconds=1))
    try:
        fake.send_command("/start@OtherBot", chat_id=-1005, chat_type="supergroup")
        fake.send_command("/start@NewsDigestTestBot", chat_id=-1005, chat_type="supergroup")
        fake.send_command("/start", chat_id=1001)
        (_, reply) = await fake.wait_for_call("sendMessage", count=2)
    finally:
        started = time.monotonic()
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        shutdown_seconds = time.monotonic() - started

    assert shutdown_seconds < 1
    first = fake.calls_to("sendMessage")[0]
    assert first.params["chat_id"] == -1005  # /start@OtherBot was ignored
    assert reply.params == {"chat_id": 1001, "text": "Welcome to the digest!"}
    assert reply.ok
    methods = [call.method for call in fake.calls]
    assert methods[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    # on stop the library confirms what it fetched with one last, non-blocking getUpdates
    last_poll = fake.calls_to("getUpdates")[-1]
    assert last_poll.params["timeout"] == 0
    assert fake.pending_updates == []


async def test_refused_image_urls_fail_previews_and_photos(fake: FakeTelegramAPI, bot: Bot) -> None:
    picture = "https://img.example.com/refused.jpg"
    fake.refuse_image(picture)
    with pytest.raises(BadRequest, match="Failed to get http url content"):
        await bot.send_message(1001, "x", link_preview_options=LinkPreviewOptions(url=picture))
    with pytest.raises(BadRequest, match="Failed to get http url content"):
        await bot.send_photo(1001, picture)
    other = LinkPreviewOptions(url="https://img.example.com/fine.jpg", prefer_large_media=True)
    await bot.send_message(1001, "y", link_preview_options=other)
    [sent] = fake.sent_messages(1001)
    assert sent["link_preview_options"] == {
        "url": "https://img.example.com/fine.jpg",
        "prefer_large_media": True,
    }
