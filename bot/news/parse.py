"""Feed bytes → ParsedFeed: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed by hand.

Why a wrapper: feedparser is lenient to a fault — it "parses" an HTML page or a JSON file
into an empty result, and picks an encoding from HTTP rules that misread most feeds served
without a charset. This module decides what counts as a feed, hands feedparser the feed
URL so relative links and xml:base resolve, and turns every entry into the plain
`ParsedArticle` the rest of the bot uses: absolute http(s) link, the feed's own id or None
(never one made up from the link), an aware UTC date or None, and clean text.

Feeds are untrusted documents, so two limits keep one from costing the bot its memory: DTD
declarations are removed before feedparser sees the document (an entity defined in an
internal subset can expand a 130 kB feed into gigabytes of text; see
:func:`neutralise_internal_subsets`), and each item's text and title are capped after
cleaning (``MAX_ITEM_TEXT_CHARS``, ``MAX_TITLE_CHARS``).
"""

from __future__ import annotations

import codecs
import io
import json
import re
import xml.sax
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
from feedparser.encodings import convert_to_utf8
from feedparser.sanitizer import replace_doctype

from bot.models import ParsedArticle, ParsedFeed
from bot.news.clean import clean_title, html_to_text
from bot.news.dates import parse_date
from bot.news.feed_boilerplate import strip_feed_boilerplate
from bot.news.images import entry_image, json_item_image
from bot.news.language import article_language, clean_tag

__all__ = [
    "DEFAULT_MAX_ITEMS",
    "MAX_ITEM_TEXT_CHARS",
    "MAX_TITLE_CHARS",
    "FeedParseError",
    "neutralise_internal_subsets",
    "parse_feed",
]

DEFAULT_MAX_ITEMS = 200
#: An item's clean text is cut to this many characters: enough for any article, and no
#: single item can carry megabytes on to the summariser and the database.
MAX_ITEM_TEXT_CHARS = 100_000
#: Item and feed titles (and author names) are cut to this many characters.
MAX_TITLE_CHARS = 1_000
DERIVED_TITLE_WORDS = 12
DERIVED_TITLE_CHARS = 90
UNTITLED = "Untitled"

_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")
_LEADING_SPACE_RE = re.compile(rb"[ \t\r\n]+(?=<[^\x00])")
_XML_ENCODING_RE = re.compile(rb"^<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_OPML_SNIFF_RE = re.compile(rb"<opml[\s>]", re.IGNORECASE)
_HTML_SNIFF_RE = re.compile(rb"<(?:!doctype\s+html|html[\s>]|head[\s>]|body[\s>])", re.IGNORECASE)
_JSONFEED_VERSION_RE = re.compile(r"^https?://jsonfeed\.org/version/(1(?:\.\d+)?)/?$")
_DETAIL_KEYS = ("summary_detail", "title_detail")
_FEEDBURNER_REDIRECTORS = ("feedproxy.google.com", "feedburner.com")
ELLIPSIS = "…"

# feedparser's own idea of where a document's head ends ("<" and an ASCII word character):
# it looks for ENTITY declarations in everything before it, so the prolog scan goes at
# least that far.
_HEAD_END_RE = re.compile(r"<[A-Za-z0-9_]")
# Markup that matters in a prolog; any other "<" ("< 3", "<é") is text.
_PROLOG_MARKUP_RE = re.compile(r"<[!?A-Za-z0-9_]")
_DOCTYPE_RE = re.compile(r"<!doctype(?=[\s\[>])", re.IGNORECASE)
_QUOTE_OR_CLOSE_RE = re.compile(r"[\"'>]")
_QUOTE_SUBSET_OR_CLOSE_RE = re.compile(r"[\"'\[>]")
_SUBSET_MARKUP_RE = re.compile(r"[\"'\]]|<[!?]")
_DECLARED_ENCODING_RE = re.compile(r"""^(\s*<\?xml\b[^>]*?\bencoding\s*=\s*)(["'])[^"']*\2""")
# A byte order mark, or how the document's first "<" is encoded (UTF-32 before UTF-16:
# the UTF-32-LE mark begins like the UTF-16-LE one).
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
    (b"<\0\0\0", "utf-32-le"),
    (b"\0\0\0<", "utf-32-be"),
    (b"<\0", "utf-16-le"),
    (b"\0<", "utf-16-be"),
)


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
    data = _strip_leading_whitespace(_wide_unicode_as_utf8(content))
    data = neutralise_internal_subsets(data, content_type)
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
    articles = strip_feed_boilerplate(
        [_article_from_entry(entry, url, feed_language) for entry in entries[:limit]]
    )
    site_url = _feed_site_url(feed, url)
    return ParsedFeed(
        title=_feed_title(feed.get("title"), feed.get("title_detail"), site_url, url),
        site_url=site_url,
        language=feed_language,
        format=version or "unknown",
        articles=articles,
        ttl_seconds=_ttl_seconds(feed.get("ttl")),
    )


# --- UTF-16/32 and DTD declarations -----------------------------------------------------


def _wide_unicode_as_utf8(content: bytes) -> bytes:
    """A UTF-16 or UTF-32 document as UTF-8, its XML declaration saying so; others as they are.

    UTF-16/32 is recognised by its byte order mark or by how the first "<" is encoded.
    feedparser tries UTF-8 before the encoding it sniffs, and UTF-16 text of ASCII
    characters is valid UTF-8 (full of NULs), so a feed without an encoding declaration
    would be read as garbage. As UTF-8, it is read correctly, and the DTD scan below sees
    the same characters as every parser after it.
    """
    encoding = next((name for mark, name in _WIDE_ENCODINGS if content.startswith(mark)), None)
    if encoding is None:
        return content
    try:
        text = content.decode(encoding)
    except UnicodeDecodeError:
        return content  # not really UTF-16/32: feedparser's own detection decides
    text = _DECLARED_ENCODING_RE.sub(r"\g<1>\g<2>utf-8\g<2>", text.removeprefix("\ufeff"), 1)
    return text.encode("utf-8")


def neutralise_internal_subsets(content: bytes, content_type: str | None = None) -> bytes:
    """``content`` with no DTD declaration left that could define an entity.

    Why: feedparser hands a document expat refuses to its loose parser together with the
    entities it found declared in the document's head, and that parser expands every
    reference: one 100 kB entity referenced 10,000 times becomes a gigabyte of text.
    Expat's own amplification limit does not help, since its refusal is what brings the
    loose parser in. So before feedparser sees the document, the internal subset of a
    DOCTYPE (``[ ... ]``, every declaration in it) is removed; the DOCTYPE's name and
    PUBLIC/SYSTEM identifiers stay, so an RSS 0.91 feed naming Netscape's DTD is still
    recognised and its HTML entities (``&eacute;``) still resolve as before.

    The document is scanned as feedparser will decode it (its own decoder, with the
    Content-Type this module gives it), since an attacker chooses the encoding: UTF-16,
    UTF-32 or EBCDIC, with or without a byte order mark. A document with nothing to remove
    is returned unchanged, byte for byte; otherwise the result is UTF-8 with a matching
    XML declaration. A DOCTYPE, comment or quoted string that never ends takes everything
    up to the root element with it (see ``_neutralise_prolog``). Raises FeedParseError if
    feedparser would still find a declaration to expand, which the scan should never allow.
    """
    headers = {"content-type": _xml_content_type(content, content_type)}
    try:
        decoded = convert_to_utf8(headers, content, {})
    except Exception as exc:  # feedparser.parse would fail the same way on this document
        raise FeedParseError(f"not a feed: the document could not be decoded ({exc})") from exc
    text = decoded.decode("utf-8", "replace")
    neutral = _neutralise_prolog(text)
    if neutral is text:
        result, parsed_as = content, decoded
    else:
        result = parsed_as = neutral.encode("utf-8")
    _, _, entities = replace_doctype(parsed_as)  # exactly what feedparser will look for
    if entities:
        raise FeedParseError("not a feed: the document declares entities that cannot be removed")
    return result


def _neutralise_prolog(text: str) -> str:
    """``text`` with every DTD declaration before the root element removed; ``text`` itself
    (the same object) when there is none.

    The scan walks the prolog construct by construct up to the first "<" followed by an
    ASCII word character outside them, which is never before the point up to which
    feedparser looks for declarations:

    - a DOCTYPE keeps its name and external identifiers and loses its internal subset
      (quoted strings, comments and processing instructions in the subset may contain
      "]" or ">" without ending it);
    - any other declaration there (an ENTITY outside a DOCTYPE, say) is dropped;
    - comments and processing instructions are kept unless they contain "<":
      feedparser's line-based patterns would find a declaration hidden in one;
    - other text is kept as it is.

    A construct that never ends (an unterminated subset, quote or comment) is dropped
    together with everything after it up to the root element: the document is broken
    there, and what follows the root element is no prolog, whatever it contains.
    Linear time: every search starts where the previous one ended.
    """
    kept: list[str] = []
    pos = 0
    changed = False
    while (markup := _PROLOG_MARKUP_RE.search(text, pos)) and not _HEAD_END_RE.match(markup[0]):
        start = markup.start()
        kept.append(text[pos:start])
        end, replacement = _prolog_construct(text, start)
        if end is None:
            root = _HEAD_END_RE.search(text, start + 1)
            return "".join(kept) + (text[root.start() :] if root else "")
        if replacement is None:
            kept.append(text[start:end])
        else:
            kept.append(replacement)
            changed = True
        pos = end
    return "".join(kept) + text[pos:] if changed else text


def _prolog_construct(text: str, start: int) -> tuple[int | None, str | None]:
    """Where the markup at ``start`` ends (None: never) and its replacement (None: itself)."""
    if text.startswith("<!--", start):
        return _kept_unless_markup_inside(text, start, text.find("-->", start + 4), 3)
    if text.startswith("<?", start):
        return _kept_unless_markup_inside(text, start, text.find("?>", start + 2), 2)
    if _DOCTYPE_RE.match(text, start):
        return _doctype_without_subset(text, start)
    return _declaration_end(text, start + 2), ""  # any other "<!" declaration: dropped


def _kept_unless_markup_inside(
    text: str, start: int, close: int, closer_length: int
) -> tuple[int | None, str | None]:
    """A comment or PI: kept, unless it holds a "<" (a declaration feedparser could find)."""
    if close < 0:
        return None, None
    return close + closer_length, "" if text.find("<", start + 1, close) >= 0 else None


def _doctype_without_subset(text: str, start: int) -> tuple[int | None, str | None]:
    """A DOCTYPE's end and replacement: the same DOCTYPE without its internal subset."""
    keyword_end = start + len("<!doctype")
    pos = keyword_end
    while (match := _QUOTE_SUBSET_OR_CLOSE_RE.search(text, pos)) is not None:
        char = match.group()
        if char in "\"'":
            close = text.find(char, match.end())
            if close < 0:
                return None, None
            pos = close + 1
            continue
        header = text[keyword_end : match.start()]
        end = match.end() if char == ">" else _subset_end(text, match.end())
        if end is None:
            return None, None
        if "<" in header:  # identifiers hiding markup: no DOCTYPE is better than this one
            return end, ""
        if char == ">":
            return end, None
        return end, f"{text[start:keyword_end]}{header.rstrip()}>"
    return None, None


def _subset_end(text: str, pos: int) -> int | None:
    """The end of a DOCTYPE whose internal subset starts at ``pos`` (after its ``[``)."""
    while (match := _SUBSET_MARKUP_RE.search(text, pos)) is not None:
        if match.group() == "]":
            return _declaration_end(text, match.end())
        after = _after_subset_item(text, match.start())
        if after is None:
            return None
        pos = after
    return None


def _after_subset_item(text: str, at: int) -> int | None:
    """The position after the quoted string, comment, PI or declaration at ``at``."""
    char = text[at]
    if char in "\"'":
        close = text.find(char, at + 1)
        return None if close < 0 else close + 1
    for opener, closer in (("<!--", "-->"), ("<?", "?>")):
        if text.startswith(opener, at):
            close = text.find(closer, at + len(opener))
            return None if close < 0 else close + len(closer)
    return _declaration_end(text, at + 2)  # "<!" and a declaration


def _declaration_end(text: str, pos: int) -> int | None:
    """The position after the ``>`` that ends a declaration, skipping quoted strings."""
    while (match := _QUOTE_OR_CLOSE_RE.search(text, pos)) is not None:
        if match.group() == ">":
            return match.end()
        close = text.find(match.group(), match.end())
        if close < 0:
            return None
        pos = close + 1
    return None


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
    if _OPML_SNIFF_RE.search(content[:4096]):
        return (
            "not a feed: this is an OPML list of feeds; import it with /import "
            "(or give main.py digest the feed addresses it lists)"
        )
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
    text = _capped(_entry_text(entry), MAX_ITEM_TEXT_CHARS)
    title = _entry_title(entry, text)
    link = _entry_link(entry, feed_url)
    return ParsedArticle(
        title=title,
        link=link,
        guid=_clean_str(entry.get("id")),
        # Read from the text, not feedparser's guess (bot.news.dates says why).
        published=parse_date(entry.get("published")) or parse_date(entry.get("updated")),
        author=_entry_author(entry),
        text=text,
        language=article_language(_entry_language(entry), feed_language, f"{title}\n{text}"),
        image=entry_image(entry, link or feed_url, feed_url),
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
    return _capped(title, MAX_TITLE_CHARS) or _derive_title(text)


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
    """The entry's web page, absolute http(s), or None.

    The first alternate link, else its <link>; FeedBurner's record of the original link
    instead of its redirector (feedproxy.google.com, feeds.feedburner.com), which only
    bounces readers through a tracker and often no longer answers; else the entry's id
    when that is itself a web address.
    """
    link = _entry_page_link(entry, feed_url)
    original = _usable_link(entry.get("feedburner_origlink"), feed_url, feed_url)
    if original and (link is None or _is_feedburner_redirect(link)):
        return original
    return link or _id_link(entry.get("id"), feed_url)


def _entry_page_link(entry: Mapping[str, Any], feed_url: str) -> str | None:
    """The entry's own link: an HTML alternate first (Atom lists enclosures and replies
    as links too), then any alternate, then feedparser's ``link``."""
    links = [link for link in entry.get("links") or [] if link.get("href")]
    alternates = [link for link in links if (link.get("rel") or "alternate") == "alternate"]
    html_alternates = [link for link in alternates if "html" in str(link.get("type") or "html")]
    for link in (*html_alternates, *alternates):
        usable = _usable_link(link.get("href"), feed_url, feed_url)
        if usable:
            return usable
    return _usable_link(entry.get("link"), feed_url, feed_url)


def _usable_link(value: object, base: str, feed_url: str) -> str | None:
    """``value`` resolved against ``base`` when it is an http(s) URL other than the feed's own.

    feedparser resolves an empty ``href=""`` against the document's base, which is the
    feed URL: an item "linking" to the feed it came from has no link of its own.
    """
    absolute = _absolute_http_url(value, base)
    return None if absolute is None or absolute == feed_url else absolute


def _id_link(value: object, feed_url: str) -> str | None:
    """An item id that is an absolute http(s) URL, as the item's link (never resolved:
    a relative id such as "/feed.xml#3" names the item, not a page)."""
    return _usable_link(value, "", feed_url)


def _is_feedburner_redirect(link: str) -> bool:
    """Whether ``link`` points at FeedBurner's click-tracking redirector."""
    host = (urlsplit(link).hostname or "").lower()
    return any(host == name or host.endswith("." + name) for name in _FEEDBURNER_REDIRECTORS)


def _entry_author(entry: Mapping[str, Any]) -> str | None:
    detail = entry.get("author_detail") or {}
    name = _clean_str(detail.get("name")) or str(entry.get("author") or "")
    return _capped(clean_title(name), MAX_TITLE_CHARS) or None


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
    title = _capped(clean_title(str(raw or ""), markup=kind in _HTML_TYPES), MAX_TITLE_CHARS)
    if title:
        return title
    for candidate in (site_url, feed_url):
        host = urlsplit(candidate or "").hostname
        if host:
            return host.removeprefix("www.")
    return feed_url or UNTITLED


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
    articles = strip_feed_boilerplate(
        [
            _article_from_json_item(item, base, url, feed_language, feed_author)
            for item in items[:limit]
            if isinstance(item, dict)
        ]
    )
    site_url = _absolute_http_url(document.get("home_page_url"), base)
    return ParsedFeed(
        title=_feed_title(_as_str(document.get("title")), {"type": "text/plain"}, site_url, url),
        site_url=site_url,
        language=feed_language,
        format=format_name,
        articles=articles,
    )


def _article_from_json_item(
    item: Mapping[str, Any],
    base: str,
    feed_url: str,
    feed_language: str | None,
    feed_author: str | None,
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
    text = _capped(text, MAX_ITEM_TEXT_CHARS)
    title = _capped(clean_title(_as_str(item.get("title")), markup=False), MAX_TITLE_CHARS)
    title = title or _derive_title(text)
    raw_id = item.get("id")
    link = (
        _usable_link(item.get("url"), base, feed_url)
        or _usable_link(item.get("external_url"), base, feed_url)
        or _id_link(raw_id, feed_url)
    )
    guid = _clean_str(str(raw_id)) if isinstance(raw_id, str | int) else None
    published = parse_date(item.get("date_published")) or parse_date(item.get("date_modified"))
    return ParsedArticle(
        title=title,
        link=link,
        guid=guid,
        published=published,
        author=_json_author(item) or feed_author,
        text=text,
        language=article_language(item.get("language"), feed_language, f"{title}\n{text}"),
        image=json_item_image(item, link or base),
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
    return _capped(", ".join(names), MAX_TITLE_CHARS) if names else None


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


def _capped(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" when it was cut.

    The cut falls at the last paragraph break in the second half of the allowance, else
    at the last space there, else mid-word (text without spaces, such as Chinese).
    """
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    for separator in ("\n\n", " ", "\n"):
        at = head.rfind(separator)
        if at >= len(head) // 2:
            head = head[:at]
            break
    return head.rstrip() + ELLIPSIS


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
