"""OPML files in and out through both chat platforms' fakes: real nested, oddly encoded
lists as uploads, hostile documents refused, exports that carry the custom titles back.

Uploads are the real fixture files with their feed addresses moved to the local server
(tests.support.opml.localised); everything else in them is byte for byte the same.
"""

from __future__ import annotations

from pathlib import Path

from bot.news.opml import parse_opml
from tests.fakes.discord_api import FakeDiscordAPI
from tests.support.clock import FakeClock
from tests.support.discord import MANAGE_CHANNELS, text_of
from tests.support.discord import settings_for as discord_settings
from tests.support.discord import started as discord_started
from tests.support.feeds import FeedServer
from tests.support.opml import OPML_DIR, localised
from tests.support.telegram import TelegramHarness

CHINESE = OPML_DIR / "handmade_chinese_gb2312_leading-blank-line.opml"
RUSSIAN = OPML_DIR / "derived_russia_windows-1251_nested.opml"
HOSTILE = OPML_DIR / "hostile"


async def test_telegram_document_upload_and_export_of_a_gb2312_list(
    tg: TelegramHarness, feed_server: FeedServer
) -> None:
    upload = localised(CHINESE.read_bytes(), feed_server)
    document = {"file_name": "中文.opml", "content": upload, "mime_type": "text/x-opml"}
    [report] = await tg.command("/import", document=document)
    assert "Imported 中文.opml: 4 added, 0 already present, 0 failed." in report["text"]
    assert "+ added: BBC 中文网" in report["text"]
    [listing] = await tg.command("/list")
    assert "3. 少数派 — " in listing["text"]
    assert "4. Served 3 — " in listing["text"]  # untitled in the file: the feed's own title
    answers = await tg.command("/export")
    assert "4 subscriptions exported as OPML." in answers[0]["text"]
    [export_call] = tg.fake.calls_to("sendDocument")
    filename, content = export_call.files["document"]
    assert filename == "subscriptions.opml"
    assert [feed.title for feed in parse_opml(content)] == [
        "BBC 中文网",
        "德国之声 中文",
        "少数派",
        "Served 3",
    ]


async def test_telegram_hostile_upload_is_refused(tg: TelegramHarness) -> None:
    for name in ("billion-laughs", "external-entity"):
        content = (HOSTILE / f"{name}.opml").read_bytes()
        document = {"file_name": f"{name}.opml", "content": content, "mime_type": "text/xml"}
        [answer] = await tg.command("/import", document=document)
        assert f"Could not import {name}.opml: refused" in answer["text"]
    [listing] = await tg.command("/list")
    assert "No subscriptions yet" in listing["text"]


async def test_discord_attachment_import_and_export_of_a_nested_windows_1251_list(
    tmp_path: Path, clock: FakeClock, feed_server: FeedServer
) -> None:
    upload = localised(RUSSIAN.read_bytes(), feed_server)
    async with (
        FakeDiscordAPI() as api,
        discord_started(api, discord_settings(api, tmp_path), clock) as dc,
    ):
        report = text_of(
            await dc.slash(
                "import",
                {"file": ("russia.opml", upload, "application/xml")},
                permissions=MANAGE_CHANNELS,
            )
        )
        assert "13 added, 0 already present, 0 failed" in report
        assert "Lenta.ru : Новости" in report
        exported = await dc.slash("export")
        [(filename, content)] = [
            file for response in exported for file in response.get("files", {}).values()
        ]
        assert filename == "subscriptions.opml"
        titles = [feed.title for feed in parse_opml(content)]
        assert titles == [feed.title for feed in parse_opml(RUSSIAN.read_bytes())]
        assert 'Газета "Коммерсантъ". Главное' in titles


async def test_discord_hostile_attachment_is_refused_privately(
    tmp_path: Path, clock: FakeClock
) -> None:
    content = (HOSTILE / "parameter-entity.opml").read_bytes()
    async with (
        FakeDiscordAPI() as api,
        discord_started(api, discord_settings(api, tmp_path), clock) as dc,
    ):
        responses = await dc.slash(
            "import",
            {"file": ("evil.opml", content, "text/x-opml")},
            permissions=MANAGE_CHANNELS,
        )
        assert "Could not import evil.opml: refused" in text_of(responses).replace("\\", "")
        assert all(r["ephemeral"] for r in responses if r.get("data"))
        assert "No subscriptions yet" in text_of(await dc.slash("list"))
