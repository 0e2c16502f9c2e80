"""The guarded fetcher against a real HTTP server on 127.0.0.1 (no mocked HTTP client).

Most tests use ``allow_private=True`` because the test server lives on loopback. The SSRF
tests keep the guard on. To test "an allowed first hop redirects to a private address",
the fetcher is given two test seams that exist for this purpose:

- a resolver that maps the made-up name ``feeds.example.test`` to 127.0.0.1, and
- an address policy that allows exactly 127.0.0.1 on top of the default public-only rule.

The real guard code then runs unchanged: it resolves each hop through the resolver, asks
the policy about every address, and connects only to what passed. So the first hop
reaches the local server under its fake name, and a redirect to anything else that is
not public (10.x, link-local, ::1, a name resolving to 192.168.x) is refused before any
connection is attempted.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest
from aiohttp import web

from bot.news import fetch as fetch_module
from bot.news.fetch import (
    ALLOW_PRIVATE_SETTING,
    DEFAULT_USER_AGENT,
    BlockedURLError,
    Fetcher,
    FetchError,
    HTTPStatusError,
    InvalidURLError,
    NetworkError,
    ResponseTooLargeError,
    TooManyRedirectsError,
    check_url_syntax,
    is_public_address,
    parse_retry_after,
)

FEED_BODY = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
ETAG = '"v1"'
LAST_MODIFIED = "Wed, 14 Jan 2026 08:00:00 GMT"
FAKE_HOST = "feeds.example.test"
UNICODE_ETAG = '"caf\u00e9-\u20ac"'

# Links as hostile feeds write them: every one must be an ordinary InvalidURLError, never a
# UnicodeError or ValueError from IDNA, httpx or the resolver.
HOSTILE_URLS = [
    pytest.param("http://.example.com/x", id="empty-first-label"),
    pytest.param("http://a..b.example.com/", id="empty-inner-label"),
    pytest.param("http://" + "a" * 64 + ".com/x", id="label-over-63"),
    pytest.param("http://" + "a." * 127 + "com/", id="host-over-253"),
    pytest.param("http://exa\u200bmple.com/", id="zero-width-space"),
    pytest.param("http://ex\u00adample.com/", id="soft-hyphen"),
    pytest.param("http://\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com/", id="fullwidth"),
    pytest.param("http://xn--zz.com/", id="invalid-a-label"),
    pytest.param("http://XN--ZZ.example/", id="invalid-a-label-upper"),
    pytest.param("http://xn--/", id="empty-a-label"),
    pytest.param("http://xn--ls8h.com/", id="a-label-of-an-emoji"),
    pytest.param("http://xn--" + "a" * 60 + ".com/", id="a-label-of-controls"),
    pytest.param("http://ex\ud800ample.com/", id="lone-surrogate"),
    pytest.param("http://example.com/\udfff", id="lone-surrogate-in-path"),
    pytest.param("http://[::1/", id="unclosed-ipv6"),
    pytest.param("http://[v1.x]/", id="ipvfuture"),
    pytest.param("http://exa%00mple.com/", id="escaped-nul"),
    pytest.param("http://example.com:65536/", id="port-too-big"),
    pytest.param("http://example.com:0/", id="port-zero"),
    pytest.param("http://example.com:99999999999999999999/", id="port-huge"),
    pytest.param("http://example.com:1\u0661/", id="port-arabic-indic-digit"),
    pytest.param("http://example.com:+80/", id="port-with-sign"),
]


@dataclass(frozen=True)
class SeenRequest:
    path: str
    headers: dict[str, str]
    peer: tuple[str, int]


class LocalServer:
    """An aiohttp server with one route per behaviour the fetcher must handle."""

    def __init__(self) -> None:
        self.requests: list[SeenRequest] = []
        self.release = asyncio.Event()  # only set at teardown: "hang" routes wait on it
        self.base_url = ""
        self.port = 0

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    @web.middleware
    async def record(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.requests.append(
            SeenRequest(
                path=request.path_qs,
                headers={key.lower(): value for key, value in request.headers.items()},
                peer=tuple(peer[:2]) if peer else ("", 0),
            )
        )
        return await handler(request)

    async def feed(self, request: web.Request) -> web.Response:
        headers = {
            "Content-Type": "application/rss+xml; charset=utf-8",
            "ETag": ETAG,
            "Last-Modified": LAST_MODIFIED,
        }
        if request.headers.get("If-None-Match") == ETAG:
            return web.Response(status=304, headers={"ETag": ETAG})
        if request.headers.get("If-Modified-Since") == LAST_MODIFIED:
            return web.Response(status=304, headers={"Last-Modified": LAST_MODIFIED})
        return web.Response(body=FEED_BODY, headers=headers)

    async def sized(self, request: web.Request) -> web.Response:
        return web.Response(body=b"x" * int(request.match_info["size"]))

    async def chunked(self, request: web.Request) -> web.StreamResponse:
        """No Content-Length: the fetcher can only notice the size by counting."""
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            for _ in range(int(request.match_info["chunks"])):
                await response.write(b"y" * 10_000)
            await response.write_eof()
        except (ConnectionError, RuntimeError):
            pass  # the fetcher hung up once it had seen enough
        return response

    async def gzip_bomb(self, request: web.Request) -> web.Response:
        body = gzip.compress(b"\0" * 2_000_000)
        return web.Response(body=body, headers={"Content-Encoding": "gzip"})

    async def redirect(self, request: web.Request) -> web.Response:
        remaining = int(request.match_info["n"])
        if remaining == 0:
            return web.Response(text="arrived")
        raise web.HTTPFound(f"/redirect/{remaining - 1}")

    async def redirect_to(self, request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["target"])

    async def raw_location(self, request: web.Request) -> web.Response:
        """A redirect whose Location is exactly the text given, not normalised by yarl."""
        return web.Response(status=302, headers={"Location": request.query["target"]})

    async def unicode_etag(self, request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == UNICODE_ETAG:
            return web.Response(status=304, headers={"ETag": UNICODE_ETAG})
        return web.Response(body=FEED_BODY, headers={"ETag": UNICODE_ETAG})

    async def status(self, request: web.Request) -> web.Response:
        code = int(request.match_info["code"])
        headers = {}
        if "retry_after" in request.query:
            headers["Retry-After"] = request.query["retry_after"]
        return web.Response(status=code, text="nope", headers=headers)

    async def hang(self, request: web.Request) -> web.Response:
        await self.release.wait()
        return web.Response(text="too late")

    async def error_stalling_in_body(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=503, headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b"Service Unavailable")
        await self.release.wait()
        return response

    async def hang_in_body(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b"partial")
        await self.release.wait()
        return response


@pytest.fixture
async def server() -> AsyncIterator[LocalServer]:
    local = LocalServer()
    app = web.Application(middlewares=[local.record])
    app.router.add_get("/feed", local.feed)
    app.router.add_get("/sized/{size}", local.sized)
    app.router.add_get("/chunked/{chunks}", local.chunked)
    app.router.add_get("/gzip-bomb", local.gzip_bomb)
    app.router.add_get("/redirect/{n}", local.redirect)
    app.router.add_get("/to", local.redirect_to)
    app.router.add_get("/raw-location", local.raw_location)
    app.router.add_get("/unicode-etag", local.unicode_etag)
    app.router.add_get("/status/{code}", local.status)
    app.router.add_get("/hang", local.hang)
    app.router.add_get("/hang-in-body", local.hang_in_body)
    app.router.add_get("/error-stalling-in-body", local.error_stalling_in_body)
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    local.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    local.base_url = f"http://127.0.0.1:{local.port}"
    yield local
    local.release.set()
    await runner.cleanup()


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(allow_private=True, timeout=5.0) as instance:
        yield instance


# --------------------------------------------------------------------------- basics


async def test_fetch_returns_body_and_metadata(server: LocalServer, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/feed"))

    assert result.status_code == 200
    assert result.content == FEED_BODY
    assert result.url == server.url("/feed")
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.etag == ETAG
    assert result.last_modified == LAST_MODIFIED
    assert result.not_modified is False
    assert result.headers["etag"] == ETAG
    seen = server.requests[0]
    assert seen.headers["user-agent"] == DEFAULT_USER_AGENT
    assert "application/rss+xml" in seen.headers["accept"]
    assert "if-none-match" not in seen.headers


async def test_user_agent_is_configurable(server: LocalServer) -> None:
    async with Fetcher(allow_private=True, user_agent="custom-agent/1.0") as fetcher:
        await fetcher.fetch(server.url("/feed"))
    assert server.requests[0].headers["user-agent"] == "custom-agent/1.0"


async def test_connections_are_kept_alive_between_fetches(
    server: LocalServer, fetcher: Fetcher
) -> None:
    await fetcher.fetch(server.url("/feed"))
    await fetcher.fetch(server.url("/feed"))
    assert server.requests[0].peer == server.requests[1].peer  # same client socket


async def test_answers_without_a_feed_keep_the_connection_alive(
    server: LocalServer, fetcher: Fetcher
) -> None:
    """A steady poll is mostly 304s: each one must not cost a new TCP connection (the
    unread empty body used to make the pool close it), nor must redirects or errors."""
    first = await fetcher.fetch(server.url("/feed"))
    for _ in range(3):
        assert (await fetcher.fetch(server.url("/feed"), etag=first.etag)).not_modified
    assert (await fetcher.fetch(server.url("/redirect/2"))).content == b"arrived"
    with pytest.raises(HTTPStatusError):
        await fetcher.fetch(server.url("/status/503"))
    await fetcher.fetch(server.url("/feed"))
    assert len(server.requests) == 9
    assert {seen.peer for seen in server.requests} == {server.requests[0].peer}


async def test_an_error_page_that_stalls_is_still_reported_as_the_error(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading the rest of an error page to keep the connection must not turn a 503 into
    a timeout: the wait for it has a short deadline of its own."""
    monkeypatch.setattr(fetch_module, "DRAIN_SECONDS", 0.05)
    async with Fetcher(allow_private=True, timeout=30.0) as fetcher:
        with pytest.raises(HTTPStatusError, match="503"):
            await fetcher.fetch(server.url("/error-stalling-in-body"))


# --------------------------------------------------------------------------- conditional GET


async def test_etag_makes_the_second_fetch_not_modified(
    server: LocalServer, fetcher: Fetcher
) -> None:
    first = await fetcher.fetch(server.url("/feed"))
    second = await fetcher.fetch(server.url("/feed"), etag=first.etag)

    assert server.requests[1].headers["if-none-match"] == ETAG
    assert second.not_modified is True
    assert second.status_code == 304
    assert second.content == b""
    assert second.etag == ETAG


async def test_last_modified_makes_the_second_fetch_not_modified(
    server: LocalServer, fetcher: Fetcher
) -> None:
    first = await fetcher.fetch(server.url("/feed"))
    second = await fetcher.fetch(server.url("/feed"), last_modified=first.last_modified)

    assert server.requests[1].headers["if-modified-since"] == LAST_MODIFIED
    assert "if-none-match" not in server.requests[1].headers
    assert second.not_modified is True
    assert second.content == b""


async def test_stale_validators_get_the_full_body(server: LocalServer, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/feed"), etag='"old"')
    assert result.not_modified is False
    assert result.content == FEED_BODY


async def test_a_non_ascii_etag_is_sent_back(server: LocalServer, fetcher: Fetcher) -> None:
    first = await fetcher.fetch(server.url("/unicode-etag"))
    assert first.etag == UNICODE_ETAG  # the server's UTF-8 header, decoded

    second = await fetcher.fetch(server.url("/unicode-etag"), etag=first.etag)

    assert server.requests[1].headers["if-none-match"] == UNICODE_ETAG
    assert second.not_modified is True


async def test_a_validator_that_is_no_header_value_is_not_sent(
    server: LocalServer, fetcher: Fetcher
) -> None:
    result = await fetcher.fetch(
        server.url("/feed"), etag='"v1"\r\nX-Injected: 1', last_modified="\x00"
    )
    assert result.content == FEED_BODY
    assert "if-none-match" not in server.requests[0].headers
    assert "if-modified-since" not in server.requests[0].headers
    assert "x-injected" not in server.requests[0].headers


# --------------------------------------------------------------------------- size cap


async def test_body_at_the_limit_is_accepted(server: LocalServer) -> None:
    async with Fetcher(allow_private=True, max_bytes=1000) as fetcher:
        result = await fetcher.fetch(server.url("/sized/1000"))
    assert len(result.content) == 1000


async def test_content_length_over_the_limit_is_refused(server: LocalServer) -> None:
    async with Fetcher(allow_private=True, max_bytes=1000) as fetcher:
        with pytest.raises(ResponseTooLargeError, match="1,000-byte limit") as caught:
            await fetcher.fetch(server.url("/sized/1001"))
    assert caught.value.limit == 1000


async def test_chunked_body_over_the_limit_is_refused(server: LocalServer) -> None:
    async with Fetcher(allow_private=True, max_bytes=50_000) as fetcher:
        with pytest.raises(ResponseTooLargeError):
            await fetcher.fetch(server.url("/chunked/20"))  # 200 kB, no Content-Length


async def test_chunked_body_under_the_limit_is_read(server: LocalServer) -> None:
    async with Fetcher(allow_private=True, max_bytes=50_000) as fetcher:
        result = await fetcher.fetch(server.url("/chunked/3"))
    assert result.content == b"y" * 30_000


async def test_limit_applies_to_the_decompressed_body(server: LocalServer) -> None:
    async with Fetcher(allow_private=True, max_bytes=100_000) as fetcher:
        with pytest.raises(ResponseTooLargeError):
            await fetcher.fetch(server.url("/gzip-bomb"))  # ~2 kB on the wire, 2 MB inflated


# --------------------------------------------------------------------------- redirects


async def test_redirects_are_followed_up_to_the_cap(server: LocalServer) -> None:
    async with Fetcher(allow_private=True, max_redirects=5) as fetcher:
        result = await fetcher.fetch(server.url("/redirect/5"))
    assert result.content == b"arrived"
    assert result.url == server.url("/redirect/0")
    assert len(server.requests) == 6


async def test_too_many_redirects(server: LocalServer) -> None:
    async with Fetcher(allow_private=True, max_redirects=5) as fetcher:
        with pytest.raises(TooManyRedirectsError, match="more than 5"):
            await fetcher.fetch(server.url("/redirect/6"))
    assert len(server.requests) == 6  # stopped at the sixth answer, never asked a seventh


async def test_redirect_to_another_scheme_is_refused(server: LocalServer, fetcher: Fetcher) -> None:
    with pytest.raises(BlockedURLError, match="file"):
        await fetcher.fetch(server.url("/to?target=file:///etc/passwd"))


async def test_conditional_headers_survive_redirects(server: LocalServer, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/to?target=/feed"), etag=ETAG)
    assert result.not_modified is True
    assert result.url == server.url("/feed")


# --------------------------------------------------------------------------- HTTP errors


@pytest.mark.parametrize("code", [404, 410, 500, 503])
async def test_error_status_raises(server: LocalServer, fetcher: Fetcher, code: int) -> None:
    with pytest.raises(HTTPStatusError, match=str(code)) as caught:
        await fetcher.fetch(server.url(f"/status/{code}"))
    assert caught.value.status_code == code
    assert caught.value.retry_after is None


async def test_429_carries_retry_after_seconds(server: LocalServer, fetcher: Fetcher) -> None:
    with pytest.raises(HTTPStatusError) as caught:
        await fetcher.fetch(server.url("/status/429?retry_after=120"))
    assert caught.value.status_code == 429
    assert caught.value.retry_after == 120.0
    assert "retry after 120 s" in str(caught.value)


def test_retry_after_parsing() -> None:
    now = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert parse_retry_after("30", now=now) == 30.0
    assert parse_retry_after("Thu, 15 Jan 2026 09:02:00 GMT", now=now) == 120.0
    assert parse_retry_after("Thu, 15 Jan 2026 08:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None
    # Headers are decoded as Latin-1: "²" is a digit to str.isdigit() but not to int().
    assert parse_retry_after("\u00b2", now=now) is None


# --------------------------------------------------------------------------- network errors


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_connection_refused_is_a_network_error(fetcher: Fetcher) -> None:
    with pytest.raises(
        NetworkError, match=r"could not reach host 127\.0\.0\.1: connection refused"
    ):
        await fetcher.fetch(f"http://127.0.0.1:{_closed_port()}/feed")


async def test_dns_failure_is_a_network_error() -> None:
    async def resolve(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async with Fetcher(resolver=resolve) as fetcher:
        with pytest.raises(NetworkError, match=r"could not reach host nowhere\.example\.test.*DNS"):
            await fetcher.fetch("http://nowhere.example.test/feed")


@pytest.mark.parametrize("path", ["/hang", "/hang-in-body"])
async def test_a_server_that_never_answers_times_out(server: LocalServer, path: str) -> None:
    async with Fetcher(allow_private=True, timeout=0.2) as fetcher:
        with pytest.raises(NetworkError, match=r"could not reach host 127\.0\.0\.1"):
            await fetcher.fetch(server.url(path))


# --------------------------------------------------------------------------- SSRF guard


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/feed",
        "http://localhost:{port}/feed",
        "http://[::ffff:127.0.0.1]:{port}/feed",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0:{port}/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://224.0.0.1/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
    ],
)
async def test_private_addresses_are_refused_before_connecting(
    server: LocalServer, url: str
) -> None:
    async with Fetcher(allow_private=False, timeout=5.0) as fetcher:
        with pytest.raises(BlockedURLError) as caught:
            await fetcher.fetch(url.format(port=server.port))
    assert ALLOW_PRIVATE_SETTING in str(caught.value)
    assert server.requests == []


@pytest.mark.parametrize(
    ("url", "scheme"),
    [("ftp://example.com/feed", "ftp"), ("file:///etc/passwd", "file")],
)
async def test_other_schemes_are_refused(url: str, scheme: str) -> None:
    async with Fetcher() as fetcher:
        with pytest.raises(BlockedURLError, match=scheme):
            await fetcher.fetch(url)


async def test_allow_private_reaches_loopback(server: LocalServer) -> None:
    async with Fetcher(allow_private=True) as fetcher:
        result = await fetcher.fetch(server.url("/feed"))
    assert result.content == FEED_BODY


def _resolver(mapping: dict[str, list[str]], calls: list[str] | None = None):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in mapping:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return mapping[host]

    return resolve


def _host(url: str) -> object:
    """A URL's host; IP literals compare by value (``::ffff:a00:1`` == ``::ffff:10.0.0.1``)."""
    host = httpx.URL(url).host
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return host


def _loopback_for_tests(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """The default rule, plus exactly the address the test server listens on."""
    return address == ipaddress.IPv4Address("127.0.0.1") or is_public_address(address)


async def test_connection_goes_to_the_vetted_address_under_the_original_name(
    server: LocalServer,
) -> None:
    calls: list[str] = []
    resolve = _resolver({FAKE_HOST: ["127.0.0.1"]}, calls)
    async with Fetcher(resolver=resolve, is_address_allowed=_loopback_for_tests) as fetcher:
        result = await fetcher.fetch(f"http://{FAKE_HOST}:{server.port}/feed")
    assert result.content == FEED_BODY
    assert result.url == f"http://{FAKE_HOST}:{server.port}/feed"
    assert calls == [FAKE_HOST]
    assert server.requests[0].headers["host"] == f"{FAKE_HOST}:{server.port}"


@pytest.mark.parametrize(
    "target",
    [
        "http://10.1.2.3/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/feed",
        "http://[::ffff:10.0.0.1]/",
        "http://intranet.example.test/",
    ],
)
async def test_redirect_from_an_allowed_host_to_a_private_address_is_refused(
    server: LocalServer, target: str
) -> None:
    resolve = _resolver({FAKE_HOST: ["127.0.0.1"], "intranet.example.test": ["192.168.1.10"]})
    target = target.format(port=server.port)
    async with Fetcher(resolver=resolve, is_address_allowed=_loopback_for_tests) as fetcher:
        with pytest.raises(BlockedURLError, match=ALLOW_PRIVATE_SETTING) as caught:
            await fetcher.fetch(f"http://{FAKE_HOST}:{server.port}/to?target={target}")
    assert caught.value.url is not None
    assert _host(caught.value.url) == _host(target)  # the error names the refused hop
    assert server.paths() == [f"/to?target={target}"]  # the first hop, and nothing after it


async def test_a_name_with_any_private_address_is_refused(server: LocalServer) -> None:
    resolve = _resolver({FAKE_HOST: ["127.0.0.1", "10.0.0.7"]})
    async with Fetcher(resolver=resolve, is_address_allowed=_loopback_for_tests) as fetcher:
        with pytest.raises(BlockedURLError, match=r"resolves to 10\.0\.0\.7, a private address"):
            await fetcher.fetch(f"http://{FAKE_HOST}:{server.port}/feed")
    assert server.requests == []


async def test_ip_literals_are_not_sent_to_the_resolver(server: LocalServer) -> None:
    calls: list[str] = []
    async with Fetcher(allow_private=True, resolver=_resolver({}, calls)) as fetcher:
        await fetcher.fetch(server.url("/feed"))
    assert calls == []


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("255.255.255.255", False),
        ("240.0.0.1", False),
        ("::1", False),
        ("::", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("2002:7f00:1::", False),  # 6to4 around 127.0.0.1
        ("64:ff9b::7f00:1", False),  # NAT64 around 127.0.0.1
        ("fe80::1", False),
        ("fd12:3456::1", False),
        ("ff02::1", False),
        ("ff0e::1", False),
    ],
)
def test_public_address_rule(address: str, public: bool) -> None:
    assert is_public_address(ipaddress.ip_address(address)) is public


# --------------------------------------------------------------------------- URL syntax


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.com/feed.xml", "https://example.com/feed.xml"),
        ("  HTTPS://Example.COM  ", "https://example.com/"),
        ("http://example.com/a?b=1#top", "http://example.com/a?b=1"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("http://bücher.example/", "http://xn--bcher-kva.example/"),
    ],
)
def test_check_url_syntax_normalises(url: str, expected: str) -> None:
    assert check_url_syntax(url) == expected


@pytest.mark.parametrize(
    ("url", "error", "mentions"),
    [
        ("", InvalidURLError, "no URL"),
        ("notaurl", InvalidURLError, "not a web address"),
        ("example.com/feed", InvalidURLError, "https://example.com/feed"),
        ("localhost:8080/feed", InvalidURLError, "not a web address"),
        ("http://exa mple.com/", InvalidURLError, "spaces"),
        ("http://example.com:99999/", InvalidURLError, "port"),
        ("http:///path", InvalidURLError, "host"),
        ("ftp://example.com/feed", BlockedURLError, "ftp"),
        ("file:///etc/passwd", BlockedURLError, "file"),
        ("javascript:alert(1)", BlockedURLError, "javascript"),
        ("http://user:secret@example.com/", BlockedURLError, "password"),
    ],
)
def test_check_url_syntax_rejects(url: str, error: type[FetchError], mentions: str) -> None:
    with pytest.raises(error, match=mentions):
        check_url_syntax(url)


@pytest.mark.parametrize("url", HOSTILE_URLS)
def test_check_url_syntax_refuses_hosts_idna_or_dns_refuse(url: str) -> None:
    with pytest.raises(InvalidURLError, match="not a valid URL"):
        check_url_syntax(url)


@pytest.mark.parametrize(
    "url", ["http://example.com./feed", "http://" + "a" * 63 + ".com/", "http://a_b.example/"]
)
def test_hosts_at_the_dns_limits_are_accepted(url: str) -> None:
    assert check_url_syntax(url) == url


@pytest.mark.parametrize("url", HOSTILE_URLS)
async def test_fetch_refuses_hostile_urls_without_a_lookup(url: str) -> None:
    calls: list[str] = []
    async with Fetcher(allow_private=True, resolver=_resolver({}, calls)) as fetcher:
        with pytest.raises(InvalidURLError):
            await fetcher.fetch(url)
    assert calls == []


def _sendable_in_a_header(url: str) -> bool:
    """aiohttp writes headers as UTF-8, which a lone surrogate cannot be."""
    try:
        url.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize(
    "target", [param for param in HOSTILE_URLS if _sendable_in_a_header(param.values[0])]
)
async def test_a_redirect_to_a_hostile_url_is_an_invalid_url_error(
    server: LocalServer, target: str
) -> None:
    calls: list[str] = []
    async with Fetcher(allow_private=True, resolver=_resolver({}, calls)) as fetcher:
        with pytest.raises(InvalidURLError, match="redirect"):
            await fetcher.fetch(server.url(f"/raw-location?target={quote(target, safe='')}"))
    assert calls == []
    assert len(server.requests) == 1


async def test_a_name_the_resolver_cannot_encode_is_an_invalid_url_error() -> None:
    """Behind check_url_syntax, the connection layer maps the resolver's UnicodeError too."""

    async def idna_refusing(host: str, port: int) -> list[str]:
        raise UnicodeError("encoding with 'idna' codec failed (label empty or too long)")

    async with Fetcher(resolver=idna_refusing) as fetcher:
        with pytest.raises(InvalidURLError, match="cannot be looked up"):
            await fetcher.fetch("http://news.example.test/feed")


def test_errors_are_one_family() -> None:
    for error in (
        BlockedURLError,
        InvalidURLError,
        ResponseTooLargeError,
        TooManyRedirectsError,
        HTTPStatusError,
        NetworkError,
    ):
        assert issubclass(error, FetchError)
    assert str(FetchError("message")) == "message"  # shown to users as it is


def test_a_relative_address_gets_a_hint_with_a_site_in_front() -> None:
    with pytest.raises(InvalidURLError) as refused:
        check_url_syntax("/feeds/news.xml")
    message = str(refused.value)
    assert "path without a site" in message
    assert "https:///" not in message


def test_junk_pasted_by_mistake_is_not_echoed_whole() -> None:
    junk = "x" * 10_000
    with pytest.raises(InvalidURLError) as refused:
        check_url_syntax(junk)
    assert len(str(refused.value)) < 300
