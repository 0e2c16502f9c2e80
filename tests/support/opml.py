"""Real OPML files (tests/fixtures/opml) with their feeds served by the local feed server."""

from __future__ import annotations

import re

from tests.support import FIXTURES
from tests.support.feeds import FeedServer, rss_feed

OPML_DIR = FIXTURES / "opml"


def localised(content: bytes, server: FeedServer) -> bytes:
    """A real OPML file with every feed address moved to the local server (same bytes else).

    Each feed is served with its own title "Served N", so a title in /list that is not
    "Served N" came from the OPML file.
    """
    urls = dict.fromkeys(re.findall(rb'xmlurl="([^"]+)"', content, flags=re.IGNORECASE))
    for number, url in enumerate(urls):
        local = server.serve(f"/opml-{number}.xml", rss_feed([], title=f"Served {number}"))
        content = content.replace(url, local.encode("ascii"))
    return content
