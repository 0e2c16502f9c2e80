"""What makes two feed items the same story: a per-feed entry key and an article link key.

Two different questions, answered by two different keys:

- **Is this the item this feed carried before?** (``entry_key``) Within one feed, items with
  distinct ids are distinct stories, always, whatever their links: the feed's own id
  (RSS guid, Atom id, JSON Feed id), else the link together with the title, else a hash of
  the content. A podcast whose every episode links to the show's home page, or a
  micro-blog whose posts are anchors on one day's page, is still one story per item. (An
  item without an id is also recognised by its link alone when only it carries the link,
  so a corrected headline is no new story: bot.feeds.identity holds that rule.)
- **Is this the same article another feed already brought?** (``normalise_link`` and
  ``article_link_key``) Across feeds, the same canonical article URL is the same article:
  tracking parameters, ``http``/``https``, ``www.`` and a trailing slash do not matter, but
  the fragment does (``day.html#post-1`` and ``day.html#post-2`` are two posts). A site's
  home page, or a URL that several items of one feed share, says nothing about which
  article an item is, so it is never used to merge.

The keys are stored in indexed columns, so they are bounded in UTF-8 bytes (not
characters: PostgreSQL's index entries are limited in bytes), and long ones become a hash.
Nothing here raises on a hostile URL: an unusable link is simply no link.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit

# Query parameters that only track the reader; removing them never changes the article.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "yclid",
        "_hsenc",
        "_hsmi",
        "ref_src",
        "cmpid",
        "ncid",
        "wt_mc",
        "wt_zmc",
        "ocid",
        "spm",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
#: The most UTF-8 bytes a stored key may take; longer keys are replaced by their hash.
MAX_KEY_BYTES = 1024


def normalise_link(url: str | None) -> str | None:
    """A scheme-less canonical form of an article URL, or None when there is no usable URL.

    The fragment is kept: on many sites it is what tells two posts on one page apart.
    Never raises: a feed's link is untrusted, and one bad link must not fail its poll.
    """
    if not url or not isinstance(url, str):
        return None
    try:
        return _normalise(url)
    except ValueError:  # UnicodeError included: a malformed link is simply no link
        return None


def _normalise(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        scheme = parts.scheme.lower()
        hostname = parts.hostname
        port = parts.port
    except ValueError:  # a bad port or a malformed IPv6 literal: not a usable link
        return None
    if scheme not in {"http", "https"} or not hostname:
        return None
    host = hostname.lower().rstrip(".").removeprefix("www.")
    if not host:
        return None
    netloc = f"{host}:{port}" if port not in (None, 80, 443) else host
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
    ]
    query.sort()
    # A lone surrogate (a JSON Feed may carry "\ud800") is escaped like any other
    # character, so the link keeps naming its article.
    encoded = urlencode(query, errors="surrogatepass")
    key = netloc + path + ("?" + encoded if query else "")
    if parts.fragment:
        key += "#" + parts.fragment
    return bounded_key(key)


def is_home_page(link_key: str) -> bool:
    """Whether a normalised link is a site's front page (no path, query or fragment)."""
    if link_key.startswith("sha256:"):  # a hashed long key is never a bare host
        return False
    _host, slash, rest = link_key.partition("/")
    return not slash or not rest


def entry_key(guid: str | None, link: str | None, title: str, text: str) -> str:
    """The id under which a feed's item is remembered: its id, else link and title, else
    a hash of title and text. Distinct ids are distinct stories, whatever their links."""
    if guid and guid.strip():
        return bounded_key("guid:" + guid.strip())
    link_key = normalise_link(link)
    if link_key:
        return bounded_key(f"link:{link_key} title:{title_key(title)}")
    digest = hashlib.sha256(f"{title}\n{text[:2000]}".encode("utf-8", "replace")).hexdigest()
    return "hash:" + digest


def item_link_key(guid: str | None, link: str | None) -> str | None:
    """The normalised link an item without an id is recognised by within its feed (None
    for an item with an id: distinct ids are distinct stories whatever their links)."""
    if guid and guid.strip():
        return None
    return normalise_link(link)


def entry_title(key: str, link_key: str) -> str | None:
    """The title part of a link-and-title entry key for this link (None for other keys,
    and for keys too long to keep, which are a hash)."""
    prefix = f"link:{link_key} title:"
    return key[len(prefix) :] if key.startswith(prefix) else None


def title_key(title: str) -> str:
    """A title as it takes part in an entry key: case and spacing do not make a new item."""
    return " ".join(title.split()).casefold()


def article_link_key(
    link_key: str | None, *, shared: bool, site_key: str | None = None
) -> str | None:
    """The key under which an item may merge with another feed's copy of the same article.

    None when the link does not identify one article: a home page (including the feed's
    own site address, ``site_key``), or a link that several items of this feed share
    (``shared``).
    """
    if link_key is None or shared or is_home_page(link_key):
        return None
    if site_key is not None and link_key == site_key:
        return None
    return link_key


def bounded_key(key: str) -> str:
    """Keep keys within the column's index limit; long ones become a stable hash."""
    encoded = key.encode("utf-8", "surrogatepass")
    if len(encoded) <= MAX_KEY_BYTES and _is_storable(key):
        return key
    return "sha256:" + hashlib.sha256(encoded).hexdigest()


def _is_storable(key: str) -> bool:
    """No NUL and no lone surrogates: PostgreSQL refuses the first, UTF-8 the second."""
    return "\x00" not in key and not any("\ud800" <= ch <= "\udfff" for ch in key)
