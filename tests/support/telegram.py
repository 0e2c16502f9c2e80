"""The real Telegram adapter against the fake Bot API (tests/fakes/telegram_api.py).

A pytest plugin (tests/conftest.py registers it for every test): the fixtures ``fake`` (a
running fake Bot API) and ``tg`` (the bot started against it, long polling), and
``PTB_TIMEDELTA`` set for every test so python-telegram-bot hands out durations as
timedeltas (the adapter reads both forms). ``started`` starts the bot with settings of a
test's own; ``check_markup`` checks the HTML the bot sends is what Telegram accepts.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from bot.app.wiring import App, open_app
from bot.platforms.telegram.adapter import TelegramPlatform, build_rate_limiter
from config.settings import Settings
from tests.fakes.telegram_api import FakeTelegramAPI, RecordedCall
from tests.support.clock import FakeClock
from tests.support.settings import make_settings

GROUP = -5005
ADMIN, MEMBER = 42, 77


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@dataclass
class TelegramHarness:
    fake: FakeTelegramAPI
    platform: TelegramPlatform
    app: App
    sleeps: list[float] = field(default_factory=list)

    async def command(self, text: str, **kwargs: object) -> list[dict]:
        """Send a command and return the messages the bot sent in answer."""
        before = len(self.fake.calls_to("sendMessage")) + len(self.fake.calls_to("sendDocument"))
        self.fake.send_command(text, **kwargs)  # type: ignore[arg-type]

        def answering() -> bool:
            sent = len(self.fake.calls_to("sendMessage")) + len(self.fake.calls_to("sendDocument"))
            return sent > before

        await self.fake.wait_until(answering)
        await asyncio.wait_for(self.platform.wait_idle(), timeout=30)
        calls = [c for c in self.fake.calls if c.method in ("sendMessage", "sendDocument")]
        return [c.params for c in calls[before:] if c.ok]

    def last_message_id(self, chat_id: int = 1001) -> int:
        """The id of the bot's latest message in a chat (what a test presses buttons on)."""
        sent = [
            c for c in self.fake.calls_to("sendMessage") if c.ok and c.params["chat_id"] == chat_id
        ]
        return int(sent[-1].result["message_id"])

    def buttons(self, message_id: int, chat_id: int = 1001) -> dict[str, str]:
        """The inline buttons under a message as the fake keeps it: label → callback_data."""
        message = self.fake.message(chat_id, message_id) or {}
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return {button["text"]: button["callback_data"] for row in rows for button in row}

    async def press(
        self, message_id: int, label: str, *, chat_id: int = 1001, user_id: int = ADMIN
    ) -> list[RecordedCall]:
        """Press the button whose label starts with ``label``; returns the calls it made."""
        found = [
            data
            for text, data in self.buttons(message_id, chat_id).items()
            if text.startswith(label)
        ]
        assert found, f"no button {label!r} in {list(self.buttons(message_id, chat_id))}"
        return await self.press_data(
            found[0], message_id=message_id, chat_id=chat_id, user_id=user_id
        )

    async def press_data(
        self, data: str, *, message_id: int, chat_id: int = 1001, user_id: int = ADMIN
    ) -> list[RecordedCall]:
        """Send a press with this callback_data; wait until it is answered and handled."""
        before = len(self.fake.calls)
        answers = len(self.fake.calls_to("answerCallbackQuery"))
        self.fake.send_callback_query(data, message_id=message_id, chat_id=chat_id, user_id=user_id)
        await self.fake.wait_until(lambda: len(self.fake.calls_to("answerCallbackQuery")) > answers)
        await asyncio.wait_for(self.platform.wait_idle(), timeout=30)
        return self.fake.calls[before:]


def settings_for(fake: FakeTelegramAPI, tmp_path: Path, **overrides: object) -> Settings:
    return make_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'tg.db'}",
        telegram_bot_token=fake.token,
        telegram_api_base_url=fake.base_url,
        **overrides,
    )


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegramAPI]:
    async with FakeTelegramAPI() as api:
        yield api


@asynccontextmanager
async def started(
    fake: FakeTelegramAPI, settings: Settings, clock: FakeClock
) -> AsyncIterator[TelegramHarness]:
    async with open_app(settings, clock=clock) as app:
        sleeps: list[float] = []

        async def record_sleep(seconds: float) -> None:
            sleeps.append(seconds)
            await asyncio.sleep(0)

        platform = TelegramPlatform(
            settings,
            app.registry,
            app.services,
            rate_limiter=build_rate_limiter(group_limit=False),
            sleep=record_sleep,
            poll_timeout=1,
        )
        await platform.start()
        try:
            yield TelegramHarness(fake, platform, app, sleeps)
        finally:
            await platform.stop()


@pytest.fixture
async def tg(fake: FakeTelegramAPI, tmp_path: Path, clock: FakeClock):  # type: ignore[no-untyped-def]
    async with started(fake, settings_for(fake, tmp_path), clock) as harness:
        yield harness


def free_port() -> int:
    """A local port nothing listens on (for the webhook server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _TagBalance(HTMLParser):
    """Checks the only tags we emit are balanced and allowed by Telegram."""

    allowed = frozenset({"a", "b", "i"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in self.allowed, tag
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack.pop() == tag

    def handle_data(self, data: str) -> None:
        self.text += data


def check_markup(html: str) -> str:
    """Assert ``html`` uses only Telegram's tags, balanced; return its text."""
    parser = _TagBalance()
    parser.feed(html)
    parser.close()
    assert parser.stack == []
    return parser.text
