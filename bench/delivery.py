"""Delivery benchmark: one digest to many chats through fakes that enforce platform limits.

Usage::

    python bench/delivery.py [--telegram-chats 2000] [--discord-channels 500]

Each platform's fake server (tests/fakes/) answers 429 with ``retry_after`` when a client
exceeds the published limits (Telegram: 30 messages/s overall, 1/s per chat, 20/min per
group). The real adapter and the real outbox sender deliver the same digest, already
enqueued for every chat, and the table reports achieved messages per second as a fraction
of the platform's limit, the 429s the fake handed out, and messages lost (rows not marked
sent, or sends the fake never accepted). Goal: at least 0.95 of the limit, no 429 storms,
nothing lost.

Discord: 50 requests/s overall (per-channel buckets come from response headers and are
paced by discord.py itself).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.app.wiring import App, open_app  # noqa: E402
from bot.delivery.outbox import OutboxSender  # noqa: E402
from bot.delivery.payloads import reply_to_payload  # noqa: E402
from bot.digest.composer import build_digest  # noqa: E402
from bot.models import ChatTarget, StoredArticle  # noqa: E402
from bot.platforms.base import Platform  # noqa: E402
from bot.platforms.discord.adapter import DiscordPlatform, use_endpoints  # noqa: E402
from bot.platforms.discord.render import render_reply as render_discord  # noqa: E402
from bot.platforms.telegram.adapter import TelegramPlatform  # noqa: E402
from bot.platforms.telegram.render import render_reply as render_telegram  # noqa: E402
from bot.store.repository import Store  # noqa: E402
from config.settings import Settings  # noqa: E402
from handlers.model import Reply  # noqa: E402
from tests.fakes.discord_api import FakeDiscordAPI  # noqa: E402
from tests.fakes.telegram_api import FakeTelegramAPI  # noqa: E402

TELEGRAM_LIMIT = 30.0  # messages per second, overall
DISCORD_LIMIT = 50.0  # requests per second, overall


@dataclass
class Row:
    platform: str
    targets: int
    messages: int
    seconds: float
    limit_per_second: float
    got_429: int
    lost: int

    @property
    def rate(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0


def sample_reply() -> Reply:
    now = datetime.now(UTC)
    articles = [
        StoredArticle(
            id=n,
            title=f"Story {n}: council approves the new tram line",
            link=f"https://news.example/{n}",
            source="City News",
            published=now,
            first_seen=now,
            summary=["The council approved the line after a long debate on Tuesday."],
            text="",
        )
        for n in range(5)
    ]
    return Reply(text="5 new stories.", digest=build_digest(articles))


async def enqueue_digest_for_all(store: Store, targets: list[ChatTarget]) -> None:
    """The same digest, already in the outbox for every target: delivery is what we time."""
    payload = reply_to_payload(sample_reply())
    now = datetime.now(UTC)
    for target in targets:
        chat = await store.get_or_create_chat(target)
        await store.commit_digest(chat.pk, "bench", payload, [], now=now)


async def timed_delivery(app: App, platform: Platform) -> tuple[float, int]:
    """Deliver the whole outbox through one platform: (seconds, deliveries left unsent)."""
    store = app.services.store
    sender = OutboxSender(store, {platform.name: platform}, clock=app.services.clock)
    started = time.perf_counter()
    await sender.deliver_pending()
    elapsed = time.perf_counter() - started
    return elapsed, len(await store.pending_deliveries())


async def bench_telegram(chats: int, workdir: Path) -> Row:
    async with FakeTelegramAPI(enforce_limits=True) as fake:
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{workdir / 'telegram.db'}",
            telegram_bot_token=fake.token,
            telegram_api_base_url=fake.base_url,
        )
        async with open_app(settings) as app:
            store = app.services.store
            await enqueue_digest_for_all(
                store, [ChatTarget("telegram", str(10_000 + n)) for n in range(chats)]
            )
            platform = TelegramPlatform(settings, app.registry, app.services)
            await platform.application.initialize()
            elapsed, unsent = await timed_delivery(app, platform)
            await platform.application.shutdown()
        accepted = len(fake.sent_messages())
        got_429 = sum(1 for call in fake.calls_to("sendMessage") if call.status == 429)
        expected = chats * len(render_telegram(sample_reply()))
        lost = unsent + max(0, expected - accepted)
        return Row("telegram", chats, accepted, elapsed, TELEGRAM_LIMIT, got_429, lost)


async def bench_discord(channels: int, workdir: Path) -> Row:
    guild = 1000
    async with FakeDiscordAPI(enforce_limits=True) as fake:
        for n in range(channels):
            fake.add_channel(guild, 50_000 + n)
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{workdir / 'discord.db'}",
            discord_bot_token=fake.token,
            discord_api_base_url=fake.api_base,
            discord_gateway_url=fake.gateway_url,
        )
        async with open_app(settings) as app:
            store = app.services.store
            await enqueue_digest_for_all(
                store, [ChatTarget("discord", str(50_000 + n)) for n in range(channels)]
            )
            platform = DiscordPlatform(
                settings, app.registry, app.services, guild_ready_timeout=0.1
            )
            await platform.start()
            elapsed, unsent = await timed_delivery(app, platform)
            await platform.stop()
        posts = [call for call in fake.calls if call.method == "POST" and "/messages" in call.path]
        accepted = sum(1 for call in posts if 200 <= (call.status or 0) < 300)
        got_429 = sum(1 for call in posts if call.status == 429)
        expected = channels * len(render_discord(sample_reply()))
        lost = unsent + max(0, expected - accepted)
    use_endpoints(None, None)
    return Row("discord", channels, accepted, elapsed, DISCORD_LIMIT, got_429, lost)


def print_table(rows: list[Row]) -> None:
    print("| platform | targets | messages | seconds | msg/s | limit/s | fraction | 429s | lost |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row.platform} | {row.targets} | {row.messages} | {row.seconds:.1f} | "
            f"{row.rate:.2f} | {row.limit_per_second:.0f} | "
            f"{row.rate / row.limit_per_second:.3f} | {row.got_429} | {row.lost} |"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--telegram-chats", type=int, default=2000)
    parser.add_argument("--discord-channels", type=int, default=500)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    with tempfile.TemporaryDirectory(prefix="newsdigest-bench-") as tmp:
        print(f"telegram: delivering to {args.telegram_chats} chats…", file=sys.stderr)
        rows = [await bench_telegram(args.telegram_chats, Path(tmp))]
        print(f"discord: delivering to {args.discord_channels} channels…", file=sys.stderr)
        rows.append(await bench_discord(args.discord_channels, Path(tmp)))
    print_table(rows)


if __name__ == "__main__":
    asyncio.run(main())
