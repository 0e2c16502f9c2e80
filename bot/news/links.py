"""Dedupe keys for articles: a normalised link and a per-feed entry key.

Why: the same story reaches us under cosmetically different URLs (tracking parameters,
http vs https, a fragment, a trailing slash, `www.`), and feeds without guids must still be
recognised on the next poll. These keys decide "have we stored this already?", so they must
be stable across polls and never merge two different articles.
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
MAX_KEY_LENGTH = 1024


def normalise_link(url: str | None) -> str | None:
    """A scheme-less canonical form of an article URL, or None when there is no usable URL."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    host = host.removeprefix("www.")
    port = parts.port if parts.port not in (None, 80, 443) else None
    netloc = f"{host}:{port}" if port else host
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith(TRACKING_PREFIXES)
    ]
    query.sort()
    key = netloc + path + ("?" + urlencode(query) if query else "")
    return _bounded(key)


def entry_key(guid: str | None, link: str | None, title: str, text: str) -> str:
    """The id under which a feed's item is remembered: guid, else link, else content hash."""
    if guid and guid.strip():
        return _bounded("guid:" + guid.strip())
    link_key = normalise_link(link)
    if link_key:
        return _bounded("link:" + link_key)
    digest = hashlib.sha256(f"{title}\n{text[:2000]}".encode()).hexdigest()
    return "hash:" + digest


def _bounded(key: str) -> str:
    """Keep keys within the column size; long ones become a stable hash."""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()
