"""Feeds for tests: a local HTTP feed server, RSS documents to serve, articles to store.

Nothing here talks to the internet: feeds are served from 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass
from datetime import datetime

from aiohttp import web

from bot.models import NewArticle
from tests.support import FIXTURES

# The seed article (tests/fixtures/README.md): its title, and the rest of the file.
SEED_TITLE, SEED_BODY = (FIXTURES / "seed-article.txt").read_text().split("\n", 1)


@dataclass
class Route:
    body: bytes
    content_type: str
    status: int
    headers: dict[str, str]
    etag: str | None


class FeedServer:
    """A local HTTP server whose routes tests change between polls.

    A route with an ``etag`` answers 304 to a matching If-None-Match, like a real feed
    server; ``gate`` (an asyncio.Event) holds every request until the test sets it, and
    ``gates`` holds the requests for one path.
    """

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        self.not_modified: dict[str, int] = {}
        self.base_url = ""
        self.gate: asyncio.Event | None = None
        self.gates: dict[str, asyncio.Event] = {}
        self.request_seen = asyncio.Event()

    def serve(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "application/rss+xml",
        status: int = 200,
        *,
        headers: dict[str, str] | None = None,
        etag: str | None = None,
    ) -> str:
        data = body.encode() if isinstance(body, str) else body
        self.routes[path] = Route(data, content_type, status, dict(headers or {}), etag)
        return self.base_url + path

    async def handle(self, request: web.Request) -> web.Response:
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        self.request_seen.set()
        if self.gate is not None:
            await self.gate.wait()
        if request.path in self.gates:
            await self.gates[request.path].wait()
        route = self.routes.get(request.path)
        if route is None:
            return web.Response(status=404, text="not found")
        headers = {"Content-Type": route.content_type, **route.headers}
        if route.etag:
            headers["ETag"] = route.etag
            if request.headers.get("If-None-Match") == route.etag:
                self.not_modified[request.path] = self.not_modified.get(request.path, 0) + 1
                return web.Response(status=304, headers={"ETag": route.etag})
        return web.Response(body=route.body, status=route.status, headers=headers)


async def start_feed_server(server: FeedServer) -> web.AppRunner:
    """Serve ``server`` on 127.0.0.1 (a free port, set as its base_url); cleanup() stops it."""
    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    server.base_url = f"http://127.0.0.1:{port}"
    return runner


def new_article(
    n: int, *, published: datetime, link: str | None = None, entry_key: str | None = None
) -> NewArticle:
    """Article number ``n`` ready for Store.store_articles: "Story n" at news.example/n.

    ``link=""`` stores it without a link; ``entry_key`` defaults to the guid "n".
    """
    link = f"https://news.example/{n}" if link is None else link
    return NewArticle(
        entry_key=entry_key or f"guid:{n}",
        link_key=link.removeprefix("https://") if link else None,
        link=link or None,
        title=f"Story {n}",
        author=None,
        published=published,
        text=f"Body of story {n}.",
        summary=[f"Summary of story {n}."],
        language="en",
    )


def stories(*numbers: int, prefix: str = "Story", words: int = 30) -> list[dict[str, str]]:
    """Feed items "Story 3", "Story 1"… for rss_feed; ``words`` sets the body's length."""
    body = " ".join(f"word{n}" for n in range(words))
    return [
        {
            "guid": f"{prefix}-{n}",
            "title": f"{prefix} {n}",
            "link": f"https://news.example/{prefix}-{n}",
            "description": f"<p>{prefix} {n} begins. {body}. It ends here.</p>",
        }
        for n in numbers
    ]


def seed_items(*numbers: int) -> list[dict[str, str]]:
    """Stories whose body is a real multi-paragraph article (many sentences to choose)."""
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in SEED_BODY.split("\n\n") if p)
    return [
        {
            "guid": f"seed-{n}",
            "title": f"{SEED_TITLE} ({n})",
            "link": f"https://news.example/seed-{n}",
            "description": paragraphs,
        }
        for n in numbers
    ]


def rss_feed(items: list[dict[str, str]], *, title: str = "Test Feed") -> str:
    """A small RSS 2.0 document; each item dict may have guid, title, link, description,
    and thumbnail (a media:thumbnail address, written as given, attribute-escaped)."""
    parts = []
    for item in items:
        guid = f'<guid isPermaLink="false">{item["guid"]}</guid>' if "guid" in item else ""
        thumbnail = (
            f'<media:thumbnail url="{html.escape(item["thumbnail"], quote=True)}"/>'
            if "thumbnail" in item
            else ""
        )
        parts.append(
            "<item>"
            f"<title>{item.get('title', 'Untitled')}</title>"
            f"<link>{item.get('link', '')}</link>{guid}{thumbnail}"
            f"<description><![CDATA[{item.get('description', '')}]]></description>"
            f"<pubDate>{item.get('pubDate', 'Thu, 15 Jan 2026 08:00:00 +0000')}</pubDate>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>'
        f"<title>{title}</title><link>https://example.test/</link>"
        f"<description>test</description>{''.join(parts)}</channel></rss>"
    )
