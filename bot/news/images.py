"""A story's lead image: which picture a feed item offers, and which addresses may be shown.

Why a module of its own: the feed parser (bot.news.parse) and the article-page reader
(bot.news.fulltext) both find pictures, and both must apply one rule about which image
addresses may leave the bot.

How a picture is chosen, best first: ``media:content`` that is an image (``medium="image"``
or an ``image/*`` type), the widest when widths are given; ``media:thumbnail`` (the
widest); an ``image/*`` enclosure; the item's own ``itunes:image``; JSON Feed ``image``,
then ``banner_image``; and only when there is none of those, the first ``<img>`` in the
item's HTML that is not a tracking pixel (1×1) or a known feed spacer or ad. An
article page's ``og:image`` stands in when the item had none (bot.news.fulltext).

Which addresses are refused (:func:`image_url`): the bot never downloads an image. It
passes the address to the chat platform, whose servers fetch it (Discord's media proxy,
Telegram's link preview). So the guard does not resolve names (a lookup per item would
slow every poll and tell the image's host when the bot polled), and it refuses what can
only point into a private network, whoever fetches it: other schemes than http(s)
(``javascript:``, ``data:``, ``file:``), credentials in the URL, literal IP addresses that
are not public by the fetch guard's own rule (bot.news.fetch.is_public_address: loopback,
private, link-local, CGNAT, reserved…), numbers that a client would read as an IP address
(``http://2130706433/``, ``http://0x7f.1/``), and names that exist only inside a network
(``localhost``, single-label intranet names, ``.local``, ``.internal``, ``.lan``,
``.home.arpa``…). A public name whose DNS points to a private address is not caught here;
it can only make the platform's own servers ask their own network, never the operator's.
This holds whatever NEWSDIGEST_ALLOW_PRIVATE_URLS says: that setting lets the bot fetch
private feeds, but a platform can never fetch a private image, so none is ever passed on.
Addresses longer than ``MAX_IMAGE_URL_CHARS`` are dropped, never cut.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from bot.news.fetch import FetchError, check_url_syntax, is_public_address

__all__ = [
    "MAX_IMAGE_URL_CHARS",
    "entry_image",
    "html_image",
    "image_url",
    "json_item_image",
    "page_image",
]

#: The longest image address kept: longer ones are dropped (a cut URL is another URL).
MAX_IMAGE_URL_CHARS = 2000
#: How much of an item's HTML or an article page is searched for a picture.
MAX_HTML_SCANNED = 200_000
#: How many <img> tags of an item's HTML are considered before giving up.
MAX_IMG_TAGS = 20
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
#: How many <meta> tags of an article page are read for its og:image.
MAX_META_TAGS = 200
_META_TAG = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)

# Names that exist only inside a network (RFC 6761/6762/8375 and common practice).
_PRIVATE_SUFFIXES = (
    ".localhost",
    ".local",
    ".internal",
    ".intranet",
    ".lan",
    ".home",
    ".corp",
    ".private",
    ".home.arpa",
)
# Hosts or path prefixes of feed spacers, tracking pixels and feed ads, never a story's picture.
_SPACER_HOSTS = frozenset(
    {
        "feedads.g.doubleclick.net",
        "pixel.wp.com",
        "stats.wordpress.com",
        "feeds.wordpress.com",
        "pixel.quantserve.com",
        "rss.buysellads.com",
        "www.feedburner.com",
        "feedpress.me",
        "res.feedsportal.com",
        "da.feedsportal.com",
    }
)
_SPACER_PATHS = ("/~ff/", "/~r/", "/~a/", "/~at/")  # FeedBurner flares, pixels, ads
# Authors' avatars (WordPress lists them as media:content): a face, not the story's picture.
_AVATAR_HOST_SUFFIXES = ("gravatar.com",)
_NUMERIC_LABEL = re.compile(r"^(?:0x[0-9a-f]*|[0-9]+)$")


def image_url(value: object, base: str | None = None) -> str | None:
    """``value`` (resolved against ``base``) as an image address the bot may pass on, or None.

    See the module docstring for what is refused and why. Never raises.
    """
    if not isinstance(value, str):
        return None
    candidate = value.strip()
    if not candidate or len(candidate) > MAX_IMAGE_URL_CHARS:
        return None
    try:
        absolute = urljoin(base, candidate) if base else candidate
        if absolute == base:  # "" or "https://" resolved to the page: no picture
            return None
        normalised = check_url_syntax(absolute)
        host = urlsplit(normalised).hostname or ""
    except (FetchError, ValueError):
        return None
    except Exception:  # whatever a stranger's address trips, it costs only the picture
        return None
    if len(normalised) > MAX_IMAGE_URL_CHARS or not _public_host(host):
        return None
    return normalised


def _public_host(host: str) -> bool:
    """Whether ``host`` (lower-case, as urlsplit gives it) can name a public server."""
    name = host.strip("[]").removesuffix(".")
    try:
        return is_public_address(ipaddress.ip_address(name))
    except ValueError:
        pass
    labels = name.split(".")
    if len(labels) < 2 or _NUMERIC_LABEL.match(labels[-1]):
        return False  # "intranet", or a number some clients read as an IP ("0x7f.1")
    return name != "localhost" and not name.endswith(_PRIVATE_SUFFIXES)


# --- RSS / Atom (feedparser entries) ----------------------------------------------------


def entry_image(entry: Mapping[str, Any], base: str, feed_url: str) -> str | None:
    """The best usable picture of a feedparser entry (see the module docstring), or None.

    ``base`` is the item's link (else the feed's URL): relative addresses in media
    elements resolve against it. Pictures in the item's HTML resolve against an
    ``xml:base`` in force there, else against ``base`` too.
    """
    try:
        return _first_usable(_entry_candidates(entry), base) or _entry_html_image(
            entry, base, feed_url
        )
    except Exception:  # a picture never costs the item, let alone the feed
        return None


def _entry_candidates(entry: Mapping[str, Any]) -> Iterator[object]:
    media = [m for m in _dicts(entry.get("media_content")) if _is_image_media(m)]
    yield from _widest_first(media)
    yield from _widest_first(list(_dicts(entry.get("media_thumbnail"))))
    for enclosure in _dicts(entry.get("enclosures")):
        if str(enclosure.get("type") or "").lower().startswith("image/"):
            yield enclosure.get("href") or enclosure.get("url")
    image = entry.get("image")  # the item's own itunes:image
    if isinstance(image, Mapping):
        yield image.get("href") or image.get("url")


def _is_image_media(media: Mapping[str, Any]) -> bool:
    medium = str(media.get("medium") or "").lower()
    kind = str(media.get("type") or "").lower()
    return medium == "image" or kind.startswith("image/")


def _widest_first(media: list[Mapping[str, Any]]) -> Iterator[object]:
    """URLs of media elements, the widest first; those without a width keep their order
    after the ones with one."""
    ranked = sorted(
        enumerate(media), key=lambda pair: (-(_dimension(pair[1].get("width")) or 0), pair[0])
    )
    for _, item in ranked:
        yield item.get("url")


def _entry_html_image(entry: Mapping[str, Any], base: str, feed_url: str) -> str | None:
    summary = entry.get("summary_detail") or {}
    parts: list[tuple[str, str]] = [
        (str(part.get("value") or ""), str(part.get("base") or ""))
        for part in _dicts(entry.get("content"))
    ]
    parts.append((str(entry.get("summary") or ""), str(summary.get("base") or "")))
    for value, part_base in parts:
        # feedparser gives the document's URL as the base when there is no xml:base: the
        # item's link is then the better base for HTML written for the article page.
        found = html_image(value, part_base if part_base not in ("", feed_url) else base)
        if found:
            return found
    return None


# --- JSON Feed --------------------------------------------------------------------------


def json_item_image(item: Mapping[str, Any], base: str) -> str | None:
    """A JSON Feed item's ``image``, else its ``banner_image``, else a picture in its HTML."""
    try:
        found = _first_usable((item.get("image"), item.get("banner_image")), base)
        for key in ("content_html", "summary"):
            value = item.get(key)
            if not found and isinstance(value, str):
                found = html_image(value, base)
        return found
    except Exception:  # a picture never costs the item, let alone the feed
        return None


# --- HTML -------------------------------------------------------------------------------


def html_image(html: str, base: str) -> str | None:
    """The first ``<img>`` of ``html`` that is a real picture, usable (see image_url), or None.

    Only the first ``MAX_IMG_TAGS`` tags in the first ``MAX_HTML_SCANNED`` characters are
    looked at: a lead picture comes early, and a hostile item full of tags must cost a
    poll next to nothing (each tag is found by one linear search, then parsed alone).
    """
    for number, match in enumerate(_IMG_TAG.finditer(html, 0, MAX_HTML_SCANNED)):
        if number >= MAX_IMG_TAGS:
            break
        parser = _ImageFinder(base)
        try:
            parser.feed(match.group())
            parser.close()
        except Exception:  # untrusted markup: a picture is never worth a failure
            continue
        if parser.found:
            return parser.found
    return None


def page_image(html: str, base: str) -> str | None:
    """An article page's ``og:image`` (or ``twitter:image``), usable, or None.

    Only ``<meta>`` tags are parsed, each alone, at most ``MAX_META_TAGS`` of them.
    """
    parser = _MetaImageFinder()
    for number, match in enumerate(_META_TAG.finditer(html, 0, MAX_HTML_SCANNED)):
        if number >= MAX_META_TAGS:
            break
        try:
            parser.feed(match.group())
        except Exception:  # untrusted markup
            continue
    return _first_usable(parser.candidates, base)


class _ImageFinder(HTMLParser):
    """Stops at the first ``<img>`` that is not a pixel or spacer and has a usable address."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.found: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.found is not None or tag != "img":
            return
        values = {name: value or "" for name, value in attrs}
        if _dimension(values.get("width")) == 1 or _dimension(values.get("height")) == 1:
            return  # a tracking pixel
        url = image_url(values.get("src"), self.base)
        if url is not None and not _is_spacer(url):
            self.found = url

    handle_startendtag = handle_starttag


class _MetaImageFinder(HTMLParser):
    """Collects ``og:image`` candidates of a page's ``<meta>`` tags, in the order of trust."""

    _KEYS = ("og:image:secure_url", "og:image:url", "og:image", "twitter:image")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._found: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        values = {name: (value or "") for name, value in attrs}
        key = (values.get("property") or values.get("name") or "").strip().lower()
        if key in self._KEYS and key not in self._found and values.get("content"):
            self._found[key] = values["content"]

    handle_startendtag = handle_starttag

    @property
    def candidates(self) -> list[str]:
        return [self._found[key] for key in self._KEYS if key in self._found]


# --- helpers ----------------------------------------------------------------------------


def _first_usable(candidates: Iterable[object], base: str) -> str | None:
    for candidate in candidates:
        url = image_url(candidate, base)
        if url is not None and not _is_spacer(url):
            return url
    return None


def _is_spacer(url: str) -> bool:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return (
        host in _SPACER_HOSTS
        or host.endswith(_AVATAR_HOST_SUFFIXES)
        or parts.path.startswith(_SPACER_PATHS)
    )


def _dimension(value: object) -> int | None:
    """A width or height attribute as a number of pixels ("300", "300px"), or None."""
    text = str(value or "").strip().lower().removesuffix("px").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 7 else None


def _dicts(value: object) -> Iterator[Mapping[str, Any]]:
    if isinstance(value, list):
        yield from (item for item in value if isinstance(item, Mapping))
