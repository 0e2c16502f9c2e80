"""Fetching URLs that chat users give us — the only way the bot touches the network for feeds.

Why this module exists: a feed URL is untrusted input. Anyone who can talk to the bot can
ask it to fetch anything, so a naive ``httpx.get(url)`` would let them probe the operator's
own network (admin panels on localhost, cloud metadata at 169.254.169.254, the database on
10.x), hang the bot with a slow server, or exhaust its memory with an endless body.

What it must never do:

- connect to a loopback, private, link-local, multicast, reserved or otherwise non-global
  address unless the operator allowed it (``allow_private``, set from
  NEWSDIGEST_ALLOW_PRIVATE_URLS) — checked for every redirect hop, and enforced at
  connect time against the very addresses it vetted, so a DNS answer that changes between
  the check and the connection (DNS rebinding) cannot slip through;
- fetch anything but ``http://`` and ``https://``;
- follow redirects blindly, wait forever, or read more than ``max_bytes`` of body;
- leak httpx/httpcore exceptions: callers get a ``FetchError`` whose text can be shown to
  the user as is.

How the address pinning works: httpx's own transport builds its httpcore connection pool
internally and does not let us choose the network backend, so ``_PinnedTransport`` is a
minimal stand-in that owns an ``httpcore.AsyncConnectionPool`` with ``_GuardedBackend``.
That backend resolves the host itself, checks every address, and opens the TCP connection
to a vetted IP. TLS is unaffected: httpcore passes the URL's host name for SNI and
certificate checks, not the IP we connected to.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import MappingProxyType, TracebackType
from typing import Self

import httpcore
import httpx

__all__ = [
    "ALLOW_PRIVATE_SETTING",
    "DEFAULT_ACCEPT",
    "DEFAULT_USER_AGENT",
    "AddressPolicy",
    "BlockedURLError",
    "FetchError",
    "FetchResult",
    "Fetcher",
    "HTTPStatusError",
    "InvalidURLError",
    "NetworkError",
    "Resolver",
    "ResponseTooLargeError",
    "TooManyRedirectsError",
    "check_url_syntax",
    "is_public_address",
    "parse_retry_after",
    "system_resolver",
]

DEFAULT_USER_AGENT = "newsdigest/0.1 (+self-hosted news digest bot)"
DEFAULT_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/rdf+xml;q=0.9, application/xml;q=0.9, text/xml;q=0.9, "
    "application/json;q=0.8, text/html;q=0.7, */*;q=0.5"
)
#: The operator setting that lifts the private-address guard; named in refusal messages.
ALLOW_PRIVATE_SETTING = "NEWSDIGEST_ALLOW_PRIVATE_URLS"

ALLOWED_SCHEMES = frozenset({"http", "https"})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: ``async def resolve(host, port) -> list of IP address strings``; raise OSError on failure.
Resolver = Callable[[str, int], Awaitable[list[str]]]
#: Decides whether the bot may connect to one resolved address.
AddressPolicy = Callable[[IPAddress], bool]

_SCHEME_PREFIX = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(.?)")
_HOST_NAME = re.compile(r"^[a-z0-9_.-]+$")
_AUTHORITY = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)")
_MAX_HOST_LENGTH = 253
_MAX_LABEL_LENGTH = 63
_SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")


# --------------------------------------------------------------------------- errors


class FetchError(Exception):
    """Base of every fetch failure; ``str(exc)`` is a sentence a chat user can act on."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class InvalidURLError(FetchError):
    """The text is not an http(s) URL at all (typo, missing scheme, bad host or port)."""


class BlockedURLError(FetchError):
    """The URL is well formed but the bot refuses it: wrong scheme or a non-public address."""


class ResponseTooLargeError(FetchError):
    """The body is (or announces it is) bigger than the fetcher's ``max_bytes``."""

    def __init__(self, message: str, *, url: str | None = None, limit: int) -> None:
        super().__init__(message, url=url)
        self.limit = limit


class TooManyRedirectsError(FetchError):
    """The server redirected more than ``max_redirects`` times."""


class HTTPStatusError(FetchError):
    """The server answered with a non-2xx status (other than 304 to a conditional GET)."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status_code: int,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, url=url)
        self.status_code = status_code
        #: Seconds the server asked us to wait (429/503 Retry-After), if it said.
        self.retry_after = retry_after


class NetworkError(FetchError):
    """The host could not be reached or stopped answering: DNS, refused, reset, timeout."""


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # final URL after redirects
    status_code: int
    content: bytes  # b"" when not_modified
    content_type: str | None
    etag: str | None
    last_modified: str | None
    not_modified: bool
    headers: Mapping[str, str]  # response headers, lower-case keys


# --------------------------------------------------------------------------- URL syntax


def check_url_syntax(url: str) -> str:
    """Validate that ``url`` is an absolute http(s) URL and return it normalised.

    No network: handlers call this first so a typo or a ``file://`` gets an immediate,
    specific answer. Normalising (lower-case scheme and host, IDNA host, no fragment, "/"
    for an empty path) lets callers compare URLs a user typed slightly differently.
    Raises InvalidURLError for non-URLs and BlockedURLError for other schemes or
    embedded credentials. Private addresses are only detected at fetch time (they need DNS).

    Every URL that passes can be requested and resolved without an encoding error: links
    inside feeds arrive here unfiltered, and a host that IDNA or the resolver refuses
    (an empty or over-long label, an invalid A-label, odd Unicode) must be an ordinary
    InvalidURLError, never a UnicodeError escaping a poll.
    """
    text = _url_text(url)
    parsed = _parse_http_url(text)
    _check_authority(text, parsed)
    try:
        parsed = parsed.copy_with(fragment=None)
        if parsed.path == "/":
            parsed = parsed.copy_with(path="/")
        return str(parsed)
    except (httpx.InvalidURL, ValueError) as exc:
        raise InvalidURLError(f"{_shown(text)} is not a valid URL: {exc}") from None


#: The most of what a user typed that an error message repeats back.
MAX_SHOWN_INPUT = 100


def _shown(text: str) -> str:
    """What the user sent, quoted, cut short: junk pasted by mistake is not echoed whole."""
    if len(text) > MAX_SHOWN_INPUT:
        return repr(text[: MAX_SHOWN_INPUT - 1] + "…")
    return repr(text)


def _url_text(url: object) -> str:
    """The stripped URL text, once it is known to be an http(s) URL; else a FetchError."""
    text = url.strip() if isinstance(url, str) else ""
    if not text:
        raise InvalidURLError("no URL given")
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text):
        raise InvalidURLError(
            f"{_shown(text)} is not a valid URL: it contains spaces or control characters"
        )
    scheme_match = _SCHEME_PREFIX.match(text)
    # "host:8080/path" looks like a scheme to a parser; a digit after the colon means a port.
    if scheme_match is None or scheme_match.group(2).isdigit():
        if text.startswith("/"):
            hint = (
                ": it is a path without a site; add the site's address in front, such as "
                "https://example.com/feed.xml"
            )
        elif "." in text and len(text) <= MAX_SHOWN_INPUT:
            hint = f" such as https://{text}"
        else:
            hint = " starting with https://"
        raise InvalidURLError(f"{_shown(text)} is not a web address; send a full URL{hint}")
    scheme = scheme_match.group(1).lower()
    if scheme not in ALLOWED_SCHEMES:
        raise BlockedURLError(
            f"{scheme}: URLs are not supported; only http:// and https:// addresses can be fetched",
            url=text,
        )
    return text


def _parse_http_url(text: str) -> httpx.URL:
    """httpx's parse of ``text``, with its host decodable (IDNA) — or InvalidURLError."""
    try:
        parsed = httpx.URL(text)
        _ = parsed.host  # decoding the A-labels is where IDNA refuses "xn--zz"
    except (httpx.InvalidURL, ValueError) as exc:  # UnicodeError (IDNA) is a ValueError
        raise InvalidURLError(f"{_shown(text)} is not a valid URL: {exc}") from None
    return parsed


def _check_authority(text: str, parsed: httpx.URL) -> None:
    """Refuse a missing or unresolvable host, credentials, and a bad or out-of-range port."""
    if not parsed.raw_host or parsed.raw_host == b".":
        raise InvalidURLError(f"{_shown(text)} is not a valid URL: it has no host name")
    if parsed.userinfo:
        raise BlockedURLError(
            "URLs with a user name or password in them are not fetched; remove the "
            "'user:password@' part",
            url=text,
        )
    problem = _host_problem(parsed.raw_host.decode("ascii", "replace"))
    if problem:
        raise InvalidURLError(f"{_shown(text)} is not a valid URL: {problem}")
    port_text = _port_text(text)
    if port_text and not (port_text.isascii() and port_text.isdigit()):
        # int() reads "1\u0661" as 11 and "+80" as 80; a port is plain ASCII digits.
        raise InvalidURLError(
            f"{_shown(text)} is not a valid URL: port {port_text!r} is not a number"
        )
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise InvalidURLError(
            f"{_shown(text)} is not a valid URL: port {parsed.port} is out of range"
        )


def _host_problem(raw_host: str) -> str | None:
    """Why the resolver could not look ``raw_host`` up (ASCII form), or None when it can.

    The limits are DNS's (RFC 1035: labels of 1-63 characters, 253 in all), which is also
    what Python's resolver enforces with a UnicodeError. One trailing dot (the DNS root,
    "example.com.") is allowed; an empty label anywhere else is not.
    """
    if ":" in raw_host:
        return None if _parse_ip(raw_host) is not None else "bad IPv6 address"
    name = raw_host.removesuffix(".")
    if not name or not _HOST_NAME.match(name):
        return f"bad host name {raw_host!r}"
    if len(name) > _MAX_HOST_LENGTH:
        return f"host name longer than {_MAX_HOST_LENGTH} characters"
    for label in name.split("."):
        if not label:
            return f"bad host name {raw_host!r}: empty label"
        if len(label) > _MAX_LABEL_LENGTH:
            return f"bad host name: label longer than {_MAX_LABEL_LENGTH} characters"
    try:
        name.encode("idna")  # exactly what the resolver does with the name
    except UnicodeError as exc:
        return f"bad host name {raw_host!r} ({exc})"
    return None


def _port_text(text: str) -> str | None:
    """The port as written in ``text`` (after the host, IPv6 brackets allowed), if any."""
    match = _AUTHORITY.match(text)
    if match is None:
        return None
    host_port = match.group(1).rpartition("@")[2]
    if host_port.startswith("["):
        host_port = host_port[host_port.find("]") + 1 :] if "]" in host_port else ""
    _, colon, port = host_port.rpartition(":")
    return port if colon else None


def _display_host(url: str) -> str:
    """The host of ``url`` for an error message; never raises, even for a hostile URL."""
    try:
        return httpx.URL(url).host or url
    except (httpx.InvalidURL, ValueError):
        return url


# --------------------------------------------------------------------------- address policy


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def _address_kind(address: IPAddress) -> str | None:
    """Why ``address`` is not a public internet address, or None when it is one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return _address_kind(address.ipv4_mapped)
        # 6to4 embeds an IPv4 address the relay would forward to.
        if address.sixtofour is not None and _address_kind(address.sixtofour) is not None:
            return f"6to4 wrapper around a {_address_kind(address.sixtofour)}"
        if address.is_site_local:
            return "site-local"
    checks = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (
            isinstance(address, ipaddress.IPv4Address) and address in _SHARED_ADDRESS_SPACE,
            "shared (carrier-grade NAT)",
        ),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "non-global"),
    )
    for flagged, kind in checks:
        if flagged:
            return kind
    return None


def is_public_address(address: IPAddress) -> bool:
    """The default policy: only globally routable unicast addresses (IPv4 and IPv6).

    IPv4-mapped IPv6 (``::ffff:127.0.0.1``) and 6to4 addresses are judged by the IPv4
    address inside them, since that is where a connection would really go.
    """
    return _address_kind(address) is None


def _allow_any_address(address: IPAddress) -> bool:
    return True


async def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the operating system's resolver, without blocking the event loop."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


# --------------------------------------------------------------------------- pinned transport


class _AddressRefused(Exception):
    """Raised inside the connection pool when a host resolves to a refused address.

    Deliberately not an httpcore/httpx error, so it passes through both untouched and
    ``Fetcher.fetch`` can turn it into a BlockedURLError naming the URL.
    """

    def __init__(self, host: str, address: IPAddress) -> None:
        super().__init__(f"{host} -> {address}")
        self.host = host
        self.address = address


class _UnusableHost(Exception):
    """The resolver refused the host name itself (an encoding error, not a DNS answer).

    Like _AddressRefused, deliberately not an httpcore/httpx error: ``Fetcher.fetch`` turns
    it into an InvalidURLError, since the fault is in the URL, not in the network.
    """


class _LookupFailed(httpcore.ConnectError):
    """DNS gave no usable answer; an httpcore ConnectError so it maps like one."""


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolves, vets every address, then connects to a vetted IP — never to the name.

    Connecting by IP is what closes the DNS-rebinding window: the addresses checked are the
    addresses used. Every new connection (so every new origin, including each redirect
    target) passes through here; reused keep-alive connections were vetted when opened.
    """

    def __init__(self, resolver: Resolver, policy: AddressPolicy) -> None:
        self._resolver = resolver
        self._policy = policy
        self._backend = httpcore.AnyIOBackend()

    async def _vetted_addresses(
        self, host: str, port: int, lookup_timeout: float | None
    ) -> list[str]:
        literal = _parse_ip(host)
        if literal is not None:
            candidates = [literal]
        else:
            try:
                async with asyncio.timeout(lookup_timeout):
                    answers = await self._resolver(host, port)
            except TimeoutError:
                raise httpcore.ConnectTimeout(f"DNS lookup for {host} timed out") from None
            except OSError as exc:
                raise _LookupFailed(f"DNS lookup for {host} failed ({exc})") from exc
            except UnicodeError as exc:  # the system resolver IDNA-encodes names first
                raise _UnusableHost(f"the host name {host!r} cannot be looked up ({exc})") from exc
            candidates = [ip for ip in (_parse_ip(str(answer)) for answer in answers) if ip]
            if not candidates:
                raise _LookupFailed(f"DNS lookup for {host} returned no addresses")
        # All or nothing: a name that resolves to a public and a private address is refused.
        for address in candidates:
            if not self._policy(address):
                raise _AddressRefused(host, address)
        return list(dict.fromkeys(str(address) for address in candidates))

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        local_address: str | None = None,
        socket_options: object = None,
    ) -> httpcore.AsyncNetworkStream:
        last_error: Exception | None = None
        for address in await self._vetted_addresses(host, port, timeout):
            try:
                return await self._backend.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,  # type: ignore[arg-type]
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last_error = exc
        assert last_error is not None
        raise last_error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's backend interface
        socket_options: object = None,
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are never used for user-supplied URLs")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


# httpcore exception -> the httpx exception httpx's own transport would raise (most specific
# first), so the client and our error mapping see ordinary httpx errors.
_HTTPCORE_TO_HTTPX: tuple[tuple[type[Exception], type[httpx.TransportError]], ...] = (
    (httpcore.ConnectTimeout, httpx.ConnectTimeout),
    (httpcore.ReadTimeout, httpx.ReadTimeout),
    (httpcore.WriteTimeout, httpx.WriteTimeout),
    (httpcore.PoolTimeout, httpx.PoolTimeout),
    (httpcore.TimeoutException, httpx.TimeoutException),
    (httpcore.ConnectError, httpx.ConnectError),
    (httpcore.ReadError, httpx.ReadError),
    (httpcore.WriteError, httpx.WriteError),
    (httpcore.NetworkError, httpx.NetworkError),
    (httpcore.RemoteProtocolError, httpx.RemoteProtocolError),
    (httpcore.LocalProtocolError, httpx.LocalProtocolError),
    (httpcore.ProtocolError, httpx.ProtocolError),
    (httpcore.UnsupportedProtocol, httpx.UnsupportedProtocol),
)


@contextmanager
def _httpcore_errors_as_httpx() -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        for core_type, httpx_type in _HTTPCORE_TO_HTTPX:
            if isinstance(exc, core_type):
                raise httpx_type(str(exc)) from exc
        raise


class _PinnedResponseStream(httpx.AsyncByteStream):
    def __init__(self, stream: AsyncIterable[bytes]) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _httpcore_errors_as_httpx():
            async for part in self._stream:
                yield part

    async def aclose(self) -> None:
        aclose = getattr(self._stream, "aclose", None)
        if aclose is not None:
            await aclose()


class _PinnedTransport(httpx.AsyncBaseTransport):
    """The part of ``httpx.AsyncHTTPTransport`` we need, on a pool with our own backend.

    No proxies, no unix sockets, HTTP/1.1 only: a proxy would make its own DNS lookups and
    defeat the address pinning.
    """

    def __init__(self, backend: httpcore.AsyncNetworkBackend, limits: httpx.Limits) -> None:
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=backend,
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.AsyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        with _httpcore_errors_as_httpx():
            core_response = await self._pool.handle_async_request(core_request)
        assert isinstance(core_response.stream, AsyncIterable)
        return httpx.Response(
            status_code=core_response.status,
            headers=core_response.headers,
            stream=_PinnedResponseStream(core_response.stream),
            extensions=core_response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


# --------------------------------------------------------------------------- fetcher


def _is_ascii_number(value: str) -> bool:
    """Digits 0-9 only: str.isdigit() also accepts "²", which int() refuses."""
    value = value.strip()
    return value.isascii() and value.isdigit()


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # not "²": headers are Latin-1, int() refuses it
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _result(
    url: str, response: httpx.Response, content: bytes, *, not_modified: bool
) -> FetchResult:
    headers = response.headers
    return FetchResult(
        url=url,
        status_code=response.status_code,
        content=content,
        content_type=headers.get("content-type"),
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        not_modified=not_modified,
        headers=MappingProxyType(dict(headers.items())),
    )


#: The most bytes of an unwanted body (304, redirect, error page) read to keep its
#: connection: a longer one is cheaper to drop than to download.
DRAIN_BYTES = 64 * 1024
#: ... and the longest wait for it: a server that stalls there loses its connection.
DRAIN_SECONDS = 2.0


async def _release(response: httpx.Response) -> None:
    """Close a response so that its connection can serve the next request.

    A response closed before its body was read makes the pool drop the connection, so
    every 304 of a steady poll (no body at all, but not yet read) cost a new TCP (and TLS)
    handshake. Reading what is left of a short body first hands the connection back.
    """
    if not response.is_stream_consumed:
        read = 0
        deadline = asyncio.timeout(DRAIN_SECONDS)
        try:
            async with deadline:
                async for chunk in response.aiter_raw():
                    read += len(chunk)
                    if read > DRAIN_BYTES:
                        break
        except (httpx.HTTPError, httpx.StreamError):
            pass  # the connection is lost anyway; closing below is all that is left
        except TimeoutError:
            if not deadline.expired():
                raise  # the whole fetch's deadline, not ours: the caller reports it
    await response.aclose()


def _validator_header(value: str | None) -> bytes | None:
    """A stored ETag or Last-Modified as header bytes, or None when it cannot be sent back.

    Validators are echoed from the server's own headers, which may hold non-ASCII text
    (httpx decodes them as UTF-8 when it can); httpx would refuse to encode such a str,
    so every later poll of the feed would fail. UTF-8 bytes send back what the server
    sent, in the common case; a validator with control characters is not a header value
    at all and is dropped (the fetch is then unconditional).
    """
    if not value or not value.strip():
        return None
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in value):
        return None
    return value.strip().encode("utf-8", "replace")


def _error_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


class Fetcher:
    """Fetches user-supplied URLs safely; one instance (one keep-alive pool) per bot.

    ``timeout`` is the deadline for a whole fetch (all redirect hops and the body);
    ``connect_timeout`` and ``read_timeout`` bound single steps and default to it (connect
    at most 10 s). ``resolver`` and ``is_address_allowed`` exist so tests can map made-up
    host names to a local server without switching the guard off; ``allow_private=True``
    (the operator's NEWSDIGEST_ALLOW_PRIVATE_URLS) allows every address, and an explicit
    ``is_address_allowed`` takes precedence over both defaults.
    """

    def __init__(
        self,
        *,
        allow_private: bool = False,
        timeout: float = 20.0,
        max_bytes: int = 5_000_000,
        max_redirects: int = 5,
        user_agent: str = DEFAULT_USER_AGENT,
        resolver: Resolver | None = None,
        is_address_allowed: AddressPolicy | None = None,
        connect_timeout: float | None = None,
        read_timeout: float | None = None,
        limits: httpx.Limits | None = None,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        if max_bytes <= 0:
            raise ValueError("max_bytes must be positive")
        if max_redirects < 0:
            raise ValueError("max_redirects must not be negative")
        self.allow_private = allow_private
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.user_agent = user_agent
        if is_address_allowed is not None:
            policy = is_address_allowed
        else:
            policy = _allow_any_address if allow_private else is_public_address
        backend = _GuardedBackend(resolver or system_resolver, policy)
        self._transport = _PinnedTransport(
            backend,
            limits or httpx.Limits(max_connections=20, max_keepalive_connections=10),
        )
        connect = connect_timeout if connect_timeout is not None else min(timeout, 10.0)
        read = read_timeout if read_timeout is not None else timeout
        self._client = httpx.AsyncClient(
            transport=self._transport,
            timeout=httpx.Timeout(connect=connect, read=read, write=read, pool=connect),
            follow_redirects=False,  # every hop is checked in fetch()
            trust_env=False,  # no proxies or .netrc credentials from the environment
            headers={"User-Agent": user_agent},
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = DEFAULT_ACCEPT,
    ) -> FetchResult:
        """GET ``url``, following up to ``max_redirects`` checked redirects.

        ``etag``/``last_modified`` are the validators stored from the previous fetch; when
        the server answers 304 the result has ``not_modified=True`` and empty content.
        Raises a FetchError subclass for every failure.
        """
        current = check_url_syntax(url)
        headers: dict[str, str | bytes] = {"Accept": accept}
        for name, value in (("If-None-Match", etag), ("If-Modified-Since", last_modified)):
            validator = _validator_header(value)
            if validator is not None:
                headers[name] = validator
        try:
            async with asyncio.timeout(self.timeout):
                for _hop in range(self.max_redirects + 1):
                    result = await self._fetch_once(current, headers)
                    if isinstance(result, FetchResult):
                        return result
                    current = result
        except TimeoutError:
            raise NetworkError(
                f"could not reach host {_display_host(current)}: no complete answer within "
                f"{self.timeout:g} s",
                url=current,
            ) from None
        raise TooManyRedirectsError(
            f"too many redirects (more than {self.max_redirects}), last to {current}",
            url=current,
        )

    async def _fetch_once(self, url: str, headers: dict[str, str | bytes]) -> FetchResult | str:
        """One request: a FetchResult, or the next URL when the answer is a redirect."""
        try:
            request = self._client.build_request("GET", url, headers=headers)  # type: ignore[arg-type]
            response = await self._send(request)
        except _AddressRefused as exc:
            raise self._blocked(url, exc) from None
        except _UnusableHost as exc:
            raise InvalidURLError(f"{url} is not a valid URL: {exc}", url=url) from None
        except (httpx.InvalidURL, UnicodeError) as exc:
            # check_url_syntax vets every hop, so this is a URL some lower layer still could
            # not encode: the URL's fault, reported like any other invalid URL.
            raise InvalidURLError(f"{url} could not be requested: {exc}", url=url) from None
        except httpx.HTTPError as exc:
            raise self._network_error(url, exc) from exc
        try:
            status = response.status_code
            if status in REDIRECT_STATUSES and response.headers.get("location"):
                return self._redirect_target(response)
            if status == 304:
                return _result(url, response, b"", not_modified=True)
            if not 200 <= status < 300:
                raise self._status_error(url, response)
            content = await self._read_capped(url, response)
            return _result(url, response, content, not_modified=False)
        except httpx.DecodingError as exc:
            raise FetchError(
                f"the server sent a body that could not be decoded ({exc})", url=url
            ) from exc
        except httpx.HTTPError as exc:
            raise self._network_error(url, exc) from exc
        finally:
            await _release(response)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        """Send one request and return the unread response, without httpx's redirect logic.

        Even with ``follow_redirects=False``, ``AsyncClient.send`` parses every Location
        header and raises RemoteProtocolError (or a bare IDNA UnicodeError) for a bad one
        before the response reaches us. Redirects are fetch()'s business, hop by hop, so
        the request goes straight to the transport (the client still builds it: default
        headers and timeouts).
        """
        response = await self._transport.handle_async_request(request)
        response.request = request
        return response

    def _redirect_target(self, response: httpx.Response) -> str:
        location = response.headers["location"]
        try:
            target = str(response.url.join(location))
        except (httpx.InvalidURL, ValueError) as exc:
            raise InvalidURLError(
                f"{response.url} redirected to an invalid URL {location!r}: {exc}",
                url=str(response.url),
            ) from None
        # An absolute Location is judged as written: joining normalises away oddities
        # such as a port of "+80" that check_url_syntax refuses in a URL given directly.
        written = location.strip() if _SCHEME_PREFIX.match(location.strip()) else target
        try:
            check_url_syntax(written)
            return check_url_syntax(target)
        except FetchError as exc:
            raise type(exc)(f"refused redirect to {target}: {exc}", url=target) from None

    async def _read_capped(self, url: str, response: httpx.Response) -> bytes:
        """Read the (decoded) body, giving up as soon as it passes ``max_bytes``."""
        too_large = ResponseTooLargeError(
            f"the response is larger than the {self.max_bytes:,}-byte limit",
            url=url,
            limit=self.max_bytes,
        )
        declared = response.headers.get("content-length")
        if declared is not None and _is_ascii_number(declared) and int(declared) > self.max_bytes:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > self.max_bytes:
                raise too_large
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _blocked(url: str, exc: _AddressRefused) -> BlockedURLError:
        kind = _address_kind(exc.address) or "disallowed"
        if _parse_ip(exc.host) is not None:
            what = f"{exc.host} is a {kind} address"
        else:
            what = f"{exc.host} resolves to {exc.address}, a {kind} address"
        return BlockedURLError(
            f"refused {url}: {what}. The bot only fetches public internet addresses; the "
            f"operator can allow private ones with {ALLOW_PRIVATE_SETTING}=true",
            url=url,
        )

    def _network_error(self, url: str, exc: httpx.HTTPError) -> NetworkError:
        host = _display_host(url)
        if isinstance(exc, httpx.TimeoutException):
            detail = "timed out"
        else:
            detail = ""
            for cause in _error_chain(exc):
                if isinstance(cause, _LookupFailed):
                    detail = str(cause)
                elif isinstance(cause, ConnectionRefusedError):
                    detail = "connection refused"
                elif isinstance(cause, ConnectionResetError):
                    detail = "connection reset"
                elif isinstance(cause, socket.gaierror):
                    detail = f"DNS lookup failed ({cause})"
                if detail:
                    break
            detail = detail or str(exc) or type(exc).__name__
        return NetworkError(f"could not reach host {host}: {detail}", url=url)

    @staticmethod
    def _status_error(url: str, response: httpx.Response) -> HTTPStatusError:
        status = response.status_code
        reason = response.reason_phrase
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        message = f"the server answered HTTP {status}" + (f" {reason}" if reason else "")
        if retry_after is not None:
            message += f" (retry after {retry_after:g} s)"
        return HTTPStatusError(message, url=url, status_code=status, retry_after=retry_after)
