"""The operator's feed catalogue: curated topics users can browse and follow in one go.

Why a file the operator edits instead of a table users fill: the catalogue is editorial
(which sources a deployment recommends), it ships with the code as an example, and a typo
in it must stop the bot at start with a message naming the topic and the feed, not
surface weeks later as a confusing reply to ``/subscribe topic:…``. So the whole file is
validated when settings load; a missing file simply means "no topics".

Format (TOML)::

    [topics.world]
    title = "World news"                    # optional, defaults to the name
    description = "International headlines" # optional
    feeds = [
      { title = "BBC News – World", url = "https://feeds.bbci.co.uk/news/world/rss.xml" },
    ]

Topic names are what users type (``/subscribe topic:world``): lower-case letters, digits
and dashes.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TOPIC_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
MAX_FEEDS_PER_TOPIC = 50
_TOPIC_KEYS = frozenset({"title", "description", "feeds"})
_FEED_KEYS = frozenset({"title", "url"})


class CatalogueError(ValueError):
    """The catalogue file is unusable; the message names the file and the problem."""


@dataclass(frozen=True, slots=True)
class CatalogueFeed:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    title: str
    description: str
    feeds: tuple[CatalogueFeed, ...]


@dataclass(frozen=True, slots=True)
class Catalogue:
    """The topics in the order the file lists them."""

    topics: tuple[Topic, ...] = ()

    def get(self, name: str) -> Topic | None:
        wanted = name.strip().lower()
        return next((topic for topic in self.topics if topic.name == wanted), None)

    @property
    def names(self) -> list[str]:
        return [topic.name for topic in self.topics]


def load_catalogue(path: Path) -> Catalogue:
    """Read and validate the catalogue; a file that does not exist is an empty catalogue."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Catalogue()
    except OSError as exc:
        raise CatalogueError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogueError(f"{path}: not UTF-8 text ({exc})") from exc
    return parse_catalogue(text, source=str(path))


def parse_catalogue(text: str, *, source: str = "catalogue") -> Catalogue:
    """Validate catalogue TOML; every complaint starts with ``source`` and the topic."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{source}: not valid TOML ({exc})") from exc
    extra = set(document) - {"topics"}
    if extra:
        raise CatalogueError(
            f"{source}: unknown top-level key(s) {', '.join(sorted(extra))}; "
            "topics go in [topics.<name>] tables"
        )
    topics = document.get("topics", {})
    if not isinstance(topics, dict):
        raise CatalogueError(f"{source}: 'topics' must be a table of [topics.<name>] tables")
    return Catalogue(
        tuple(_topic(name, body, f"{source}: topic {name!r}") for name, body in topics.items())
    )


def _topic(name: str, body: Any, where: str) -> Topic:
    if not TOPIC_NAME.fullmatch(name):
        raise CatalogueError(
            f"{where}: names are 1–32 lower-case letters, digits or dashes (users type them)"
        )
    if not isinstance(body, dict):
        raise CatalogueError(f"{where}: must be a table with a 'feeds' list")
    unknown = set(body) - _TOPIC_KEYS
    if unknown:
        raise CatalogueError(
            f"{where}: unknown key(s) {', '.join(sorted(unknown))} "
            f"(allowed: {', '.join(sorted(_TOPIC_KEYS))})"
        )
    title = _text(body.get("title", name), f"{where}: 'title'")
    description = _text(body.get("description", ""), f"{where}: 'description'", empty=True)
    feeds = body.get("feeds")
    if not isinstance(feeds, list) or not feeds:
        raise CatalogueError(f"{where}: needs a non-empty 'feeds' list")
    if len(feeds) > MAX_FEEDS_PER_TOPIC:
        raise CatalogueError(f"{where}: has {len(feeds)} feeds; at most {MAX_FEEDS_PER_TOPIC}")
    parsed = [_feed(feed, f"{where}, feed {number}") for number, feed in enumerate(feeds, 1)]
    seen: set[str] = set()
    for feed in parsed:
        if feed.url in seen:
            raise CatalogueError(f"{where}: lists {feed.url} twice")
        seen.add(feed.url)
    return Topic(name=name, title=title, description=description, feeds=tuple(parsed))


def _feed(body: Any, where: str) -> CatalogueFeed:
    if not isinstance(body, dict):
        raise CatalogueError(f'{where}: must be a table like {{ title = "…", url = "…" }}')
    unknown = set(body) - _FEED_KEYS
    if unknown:
        raise CatalogueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if "url" not in body:
        raise CatalogueError(f"{where}: has no 'url'")
    if "title" not in body:
        raise CatalogueError(f"{where}: has no 'title'")
    url = _feed_url(_text(body["url"], f"{where}: 'url'"), where)
    return CatalogueFeed(title=_text(body["title"], f"{where}: 'title'"), url=url)


def _feed_url(url: str, where: str) -> str:
    """An absolute http(s) address with a host: a typo is caught when settings load.

    Only the shape is checked here; the fetcher checks everything else (addresses,
    redirects) each time the feed is fetched, as for any address a user sends.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as exc:
        raise CatalogueError(f"{where}: {url!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise CatalogueError(
            f"{where}: {scheme or 'relative'}: URLs are not supported; "
            "only http:// and https:// addresses can be fetched"
        )
    if not parts.hostname or any(ch.isspace() for ch in url):
        raise CatalogueError(f"{where}: {url!r} is not a valid URL")
    if parts.username is not None or parts.password is not None:
        raise CatalogueError(f"{where}: URLs with a user name or password are not fetched")
    return url


def _text(value: Any, where: str, *, empty: bool = False) -> str:
    if not isinstance(value, str):
        raise CatalogueError(f"{where} must be a string, not {type(value).__name__}")
    value = value.strip()
    if not value and not empty:
        raise CatalogueError(f"{where} is empty")
    return value
