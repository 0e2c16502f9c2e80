"""Feed bytes → ParsedFeed: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed by hand.

Why a wrapper: feedparser is lenient to a fault — it "parses" an HTML page or a JSON file
into an empty result, and picks an encoding from HTTP rules that misread most feeds served
without a charset. This module decides what counts as a feed, hands feedparser the feed
URL so relative links and xml:base resolve, and turns every entry into the plain
`ParsedArticle` the rest of the bot uses: absolute http(s) link, the feed's own id or None
(never one made up from the link), an aware UTC date or None, and clean text.
"""

from __future__ import annotations

import calendar
import io
import json
import re
import time
import xml.sax
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from bot.models import ParsedArticle, ParsedFeed
from bot.news.clean import clean_title, html_to_text
from bot.news.language import article_language, clean_tag

__all__ = ["DEFAULT_MAX_ITEMS", "FeedParseError", "parse_feed"]

DEFAULT_MAX_ITEMS = 200
DERIVED_TITLE_WORDS = 12
DERIVED_TITLE_CHARS = 90
UNTITLED = "Untitled"

_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_LEADING_SPACE_RE = re.compile(rb"[ \t\r\n]+(?=<[^\x00])")
_XML_ENCODING_RE = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_HTML_SNIFF_RE = re.compile(rb"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)
_JSONFEED_VERSION_RE = re.compile(r"^https?://jsonfeed\.org/version/(1(?:\.\d+)?)/?$")
_DETAIL_KEYS = ("summary_detail", "title_detail")


class FeedParseError(Exception):
    """The document is not a feed this bot can read; ``str(exc)`` is fit to show a user."""


def parse_feed(
    content: bytes,
    url: str,
    content_type: str | None = None,
    *,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> ParsedFeed:
    """Parse an RSS, Atom, RDF or JSON Feed document fetched from ``url``.

    ``url`` is the address the document was fetched from (after redirects): relative links
    and ``xml:base`` resolve against it. ``content_type`` is the HTTP Content-Type header,
    if any. Only the first ``max_items`` items, in document order, are returned.

    Raises FeedParseError ("not a feed: …") for empty bodies, HTML pages, JSON that is not
    a JSON Feed, and documents too broken to yield a feed.
    """
    if not content or not content.strip():
        raise FeedParseError("not a feed: the document is empty")
    limit = max(0, max_items)
    head = content.lstrip()[:1]
    if content.startswith(b"\xef\xbb\xbf"):
        head = content[3:].lstrip()[:1]
    if head in (b"{", b"["):
        return _parse_json_feed(content, url, limit)
    return _parse_xml_feed(content, url, content_type, limit)


# --- RSS / Atom / RDF --------------------------------------------------------------------


def _parse_xml_feed(content: bytes, url: str, content_type: str | None, limit: int) -> ParsedFeed:
    data = _strip_leading_whitespace(content)
    headers = {"content-location": url, "content-type": _xml_content_type(data, content_type)}
    try:
        result = feedparser.parse(
            io.BytesIO(data),
            response_headers=headers,
            resolve_relative_uris=False,
            sanitize_html=False,
        )
    except Exception as exc:  # feedparser is not meant to raise; never let a feed crash a poll
        raise FeedParseError(f"not a feed: the document could not be parsed ({exc})") from exc

    version = result.get("version") or ""
    entries = result.get("entries") or []
    if not version and not entries:
        raise FeedParseError(_not_a_feed_reason(content, content_type, result))

    feed = result.get("feed") or {}
    feed_language = _language(feed.get("language"))
    articles = [_article_from_entry(entry, url, feed_language) for entry in entries[:limit]]
    site_url = _feed_site_url(feed, url)
    return ParsedFeed(
        title=_feed_title(feed.get("title"), feed.get("title_detail"), site_url, url),
        site_url=site_url,
        language=feed_language,
        format=version or "unknown",
        articles=articles,
        ttl_seconds=_ttl_seconds(feed.get("ttl")),
    )


def _strip_leading_whitespace(content: bytes) -> bytes:
    """Drop blank lines before ``<?xml``: strict XML parsers reject them, browsers don't."""
    bom = b""
    data = content
    if data.startswith(b"\xef\xbb\xbf"):
        bom, data = data[:3], data[3:]
    match = _LEADING_SPACE_RE.match(data)
    if match:
        data = data[match.end() :]
    return bom + data


def _xml_content_type(data: bytes, content_type: str | None) -> str:
    """The Content-Type to show feedparser so that it decodes the document correctly.

    feedparser follows RFC 3023 literally: "text/xml" without a charset means US-ASCII and a
    missing header means ISO-8859-1, which garbles most UTF-8 feeds. Servers rarely send a
    truthful charset for feeds, so the document's own declaration (BOM or ``<?xml
    encoding``) wins; the HTTP charset is used only when the document declares none and
    its bytes are not valid UTF-8; UTF-8 is the default, with feedparser's detection as
    the fallback when the bytes are not UTF-8.
    """
    charset = _http_charset(content_type)
    if not charset:
        return "application/xml"
    declared = data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"))
    declared = declared or _XML_ENCODING_RE.match(data) is not None
    if declared or _is_utf8(data):
        return "application/xml"
    return f"application/xml; charset={charset}"


def _is_utf8(data: bytes) -> bool:
    if b"\x00" in data[:4096]:  # UTF-16/32 text is "valid" UTF-8 full of NULs
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _http_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            value = value.strip().strip("\"'")
            if re.fullmatch(r"[A-Za-z0-9._:-]{1,40}", value):
                return value
    return None


def _not_a_feed_reason(content: bytes, content_type: str | None, result: Mapping[str, Any]) -> str:
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in ("text/html", "application/xhtml+xml") or _HTML_SNIFF_RE.search(
        content[:4096]
    ):
        return "not a feed: this is an HTML web page, not an RSS, Atom or JSON feed"
    exc = result.get("bozo_exception")
    if isinstance(exc, xml.sax.SAXParseException):
        return (
            "not a feed: no RSS, Atom or JSON Feed found "
            f"(the document is not well-formed XML: {exc.getMessage()})"
        )
    if exc is not None and result.get("bozo"):
        return f"not a feed: no RSS, Atom or JSON Feed found ({exc})"
    return "not a feed: the document is XML, but not RSS, Atom or JSON Feed"


def _article_from_entry(
    entry: Mapping[str, Any], feed_url: str, feed_language: str | None
) -> ParsedArticle:
    text = _entry_text(entry)
    title = _entry_title(entry, text)
    return ParsedArticle(
        title=title,
        link=_entry_link(entry, feed_url),
        guid=_clean_str(entry.get("id")),
        published=_struct_to_datetime(entry.get("published_parsed"))
        or _struct_to_datetime(entry.get("updated_parsed")),
        author=_entry_author(entry),
        text=text,
        language=article_language(_entry_language(entry), feed_language, f"{title}\n{text}"),
    )


def _entry_text(entry: Mapping[str, Any]) -> str:
    """Clean text of the richest body: full content (content:encoded, Atom content) first,
    the summary/description when it is longer or the content yields no text."""
    best = ""
    candidates: list[tuple[str, str]] = [
        (str(part.get("value") or ""), str(part.get("type") or ""))
        for part in entry.get("content") or []
    ]
    summary_detail = entry.get("summary_detail") or {}
    candidates.append((str(entry.get("summary") or ""), str(summary_detail.get("type") or "")))
    for value, kind in candidates:
        if not value.strip():
            continue
        text = _body_text(value, kind)
        if len(text) > len(best):
            best = text
    return best


def _body_text(value: str, kind: str) -> str:
    # Declared plain text may contain "<" legitimately: never parse it as markup.
    return html_to_text(value, markup=kind not in ("text/plain", "text"))


def _entry_title(entry: Mapping[str, Any], text: str) -> str:
    detail = entry.get("title_detail") or {}
    raw = str(entry.get("title") or "")
    title = clean_title(raw, markup=str(detail.get("type") or "text/html") in _HTML_TYPES)
    return title or _derive_title(text)


def _derive_title(text: str) -> str:
    """A stand-in title from the first words of an untitled item's text."""
    first = text.strip().split("\n", 1)[0]
    if not first:
        return UNTITLED
    words = first.split()
    title = " ".join(words[:DERIVED_TITLE_WORDS])
    if len(title) > DERIVED_TITLE_CHARS:
        title = title[:DERIVED_TITLE_CHARS].rsplit(" ", 1)[0] or title[:DERIVED_TITLE_CHARS]
    if title != first:
        title = title.rstrip(" ,;:-–—") + "…"
    return title


def _entry_link(entry: Mapping[str, Any], feed_url: str) -> str | None:
    """The entry's web page: the first alternate link, else its <link>, absolute http(s)."""
    links = [link for link in entry.get("links") or [] if link.get("href")]
    alternates = [link for link in links if (link.get("rel") or "alternate") == "alternate"]
    html_alternates = [link for link in alternates if "html" in str(link.get("type") or "html")]
    for link in (*html_alternates, *alternates):
        absolute = _absolute_http_url(link.get("href"), feed_url)
        if absolute:
            return absolute
    return _absolute_http_url(entry.get("link"), feed_url)


def _entry_author(entry: Mapping[str, Any]) -> str | None:
    detail = entry.get("author_detail") or {}
    name = _clean_str(detail.get("name"))
    if name:
        return clean_title(name)
    return clean_title(str(entry.get("author") or "")) or None


def _entry_language(entry: Mapping[str, Any]) -> str | None:
    """The language the item itself declares, if any (see bot.news.language).

    feedparser reports dc:language on the item as ``language`` and an ``xml:lang`` in scope
    (on the item, its content or its description) as the ``language`` of each text
    construct. In Atom, the feed's ``xml:lang`` is in scope too; RSS ``<language>`` is not.
    """
    candidates = [entry.get("language")]  # dc:language on the item
    candidates.extend(part.get("language") for part in entry.get("content") or [])
    candidates.extend((entry.get(key) or {}).get("language") for key in _DETAIL_KEYS)
    for candidate in candidates:
        tag = clean_tag(candidate)
        if tag:
            return tag
    return None


def _feed_site_url(feed: Mapping[str, Any], feed_url: str) -> str | None:
    for link in feed.get("links") or []:
        if (link.get("rel") or "alternate") == "alternate" and "html" in str(
            link.get("type") or "html"
        ):
            absolute = _absolute_http_url(link.get("href"), feed_url)
            if absolute:
                return absolute
    return _absolute_http_url(feed.get("link"), feed_url)


def _feed_title(
    raw: object, detail: Mapping[str, Any] | None, site_url: str | None, feed_url: str
) -> str:
    kind = str((detail or {}).get("type") or "text/html")
    title = clean_title(str(raw or ""), markup=kind in _HTML_TYPES)
    if title:
        return title
    for candidate in (site_url, feed_url):
        host = urlsplit(candidate or "").hostname
        if host:
            return host.removeprefix("www.")
    return feed_url or UNTITLED


def _struct_to_datetime(value: object) -> datetime | None:
    """feedparser's UTC struct_time → aware UTC datetime; None when absent or impossible."""
    if not isinstance(value, time.struct_time | tuple) or len(value) < 6:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


# --- JSON Feed ---------------------------------------------------------------------------


def _parse_json_feed(content: bytes, url: str, limit: int) -> ParsedFeed:
    try:
        document = json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise FeedParseError(
            "not a feed: the JSON document is invalid or cut off "
            f"(JSON error: {_short_json_error(exc)})"
        ) from exc
    if not isinstance(document, dict):
        raise FeedParseError("not a feed: JSON, but not a JSON Feed (no feed object)")
    version = document.get("version")
    match = _JSONFEED_VERSION_RE.match(version) if isinstance(version, str) else None
    if not match:
        if "rss" in document:
            raise FeedParseError(
                "not a feed: this is RSS written as JSON, not a JSON Feed; use the site's "
                "RSS or Atom feed instead"
            )
        raise FeedParseError("not a feed: JSON, but not a JSON Feed (no jsonfeed.org version)")
    number = match.group(1)
    format_name = "json" + (number if "." in number else number + ".0")

    items = document.get("items")
    if not isinstance(items, list):
        raise FeedParseError("not a feed: the JSON Feed has no list of items")
    feed_language = _language(document.get("language"))
    # Relative item URLs resolve against the fetched URL, or the declared feed_url when the
    # document was read from a local file.
    base = url if _absolute_http_url(url, "") else _absolute_http_url(document.get("feed_url"), url)
    base = base or url
    feed_author = _json_author(document)  # items without authors inherit the feed's
    articles = [
        _article_from_json_item(item, base, feed_language, feed_author)
        for item in items[:limit]
        if isinstance(item, dict)
    ]
    site_url = _absolute_http_url(document.get("home_page_url"), base)
    return ParsedFeed(
        title=_feed_title(_as_str(document.get("title")), {"type": "text/plain"}, site_url, url),
        site_url=site_url,
        language=feed_language,
        format=format_name,
        articles=articles,
    )


def _article_from_json_item(
    item: Mapping[str, Any], base: str, feed_language: str | None, feed_author: str | None
) -> ParsedArticle:
    candidates = [
        (_as_str(item.get("content_html")), "text/html"),
        (_as_str(item.get("content_text")), "text/plain"),
        (_as_str(item.get("summary")), "text/html"),
    ]
    text = ""
    for value, kind in candidates:
        if value.strip():
            candidate = _body_text(value, kind)
            if len(candidate) > len(text):
                text = candidate
    title = clean_title(_as_str(item.get("title")), markup=False) or _derive_title(text)
    link = _absolute_http_url(item.get("url"), base) or _absolute_http_url(
        item.get("external_url"), base
    )
    raw_id = item.get("id")
    guid = _clean_str(str(raw_id)) if isinstance(raw_id, str | int) else None
    published = _json_date(item.get("date_published")) or _json_date(item.get("date_modified"))
    return ParsedArticle(
        title=title,
        link=link,
        guid=guid,
        published=published,
        author=_json_author(item) or feed_author,
        text=text,
        language=article_language(item.get("language"), feed_language, f"{title}\n{text}"),
    )


def _json_author(item: Mapping[str, Any]) -> str | None:
    authors: Iterable[object] = []
    if isinstance(item.get("authors"), list):
        authors = item["authors"]
    elif isinstance(item.get("author"), dict):
        authors = [item["author"]]
    names = [
        clean_title(author["name"], markup=False)
        for author in authors
        if isinstance(author, dict) and isinstance(author.get("name"), str)
    ]
    names = [name for name in names if name]
    return ", ".join(names) if names else None


def _json_date(value: object) -> datetime | None:
    """RFC 3339 date (JSON Feed) → aware UTC datetime; a missing zone is read as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    raw = value.strip()
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(raw[:-1] + "Z" if raw.endswith("z") else raw)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            parsed = None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _short_json_error(exc: BaseException) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return str(exc)
    return str(exc)[:120] or type(exc).__name__


# --- helpers -----------------------------------------------------------------------------


def _absolute_http_url(value: object, base: str) -> str | None:
    """``value`` resolved against ``base``, when the result is an http(s) URL."""
    if not isinstance(value, str):
        return None
    candidate = value.strip()
    if not candidate:
        return None
    try:
        absolute = urljoin(base, candidate) if base else candidate
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return absolute


def _language(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    language = value.strip().replace("_", "-")
    return language or None


def _clean_str(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    stripped = value.strip()
    return stripped or None


def _as_str(value: object) -> str:
    return value if isinstance(value, str) else ""


def _ttl_seconds(value: object) -> int | None:
    """RSS <ttl> is minutes the publisher asks readers to cache the feed."""
    try:
        minutes = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return minutes * 60 if 0 < minutes <= 7 * 24 * 60 else None
