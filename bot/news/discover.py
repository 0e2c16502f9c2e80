"""Feed discovery: the feeds a web page advertises in its ``<link rel="alternate">`` tags.

Users often send a site's home page instead of its feed. Rather than refusing, the bot
looks for the feeds the page itself declares and tries those. This module only reads
bytes it is given — it never touches the network; fetching the candidates (through the
SSRF-guarded fetcher) is the caller's job.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

__all__ = ["FEED_TYPES", "discover_feed_links", "looks_like_html"]

#: MIME types that mark a ``<link rel="alternate">`` as a feed.
FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/json",
    }
)

_HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
_HTML_SNIFF = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_XML_FEED_SNIFF = re.compile(rb"<(rss|feed|rdf:rdf)[\s>]", re.IGNORECASE)
_SNIFF_BYTES = 2048


def looks_like_html(content: bytes, content_type: str | None) -> bool:
    """Whether a fetched body is a web page worth searching for feed links.

    The Content-Type header decides when it says HTML; servers often send ``text/plain``
    or ``application/octet-stream`` for everything, so otherwise the first bytes are
    sniffed, and a body that opens like an RSS/Atom document is never taken for a page.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in _HTML_CONTENT_TYPES:
        return True
    head = content[:_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n")
    if _XML_FEED_SNIFF.search(head):
        return False
    return _HTML_SNIFF.search(head) is not None


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def discover_feed_links(html: bytes | str, base_url: str) -> list[str]:
    """Absolute URLs of the feeds a page advertises, in page order, without duplicates.

    Matches ``<link rel="alternate" type="...">`` for RSS, Atom and JSON Feed (``rel`` may
    hold several tokens; matching is case-insensitive). Links typed plain
    ``application/json`` come after the others, because sites also use that type for API
    links that are not feeds. Relative hrefs resolve against the page's ``<base href>``
    when it has one, else ``base_url``. Only http(s) results are returned. Broken HTML is
    fine; an empty or unparsable document gives ``[]``.
    """
    if not html.strip():
        return []
    try:
        document = lxml.html.document_fromstring(html)
    except ValueError:
        # lxml refuses str input that carries an XML encoding declaration.
        if not isinstance(html, str):
            return []
        try:
            document = lxml.html.document_fromstring(html.encode("utf-8"))
        except (etree.LxmlError, ValueError):
            return []
    except etree.LxmlError:
        return []

    base = base_url
    for base_element in document.iter("base"):
        href = (base_element.get("href") or "").strip()
        if href:
            base = urljoin(base_url, href)
            break

    found: list[str] = []
    generic_json: list[str] = []  # plain application/json: often an API link, not a feed
    seen: set[str] = set()
    for link in document.iter("link"):
        rel_tokens = (link.get("rel") or "").lower().split()
        if "alternate" not in rel_tokens:
            continue
        media_type = (link.get("type") or "").split(";", 1)[0].strip().lower()
        if media_type not in FEED_TYPES:
            continue
        href = (link.get("href") or "").strip()
        if not href:
            continue
        url = urljoin(base, href)
        url = url.split("#", 1)[0]
        if not _is_http_url(url) or url in seen:
            continue
        seen.add(url)
        (generic_json if media_type == "application/json" else found).append(url)
    return found + generic_json
