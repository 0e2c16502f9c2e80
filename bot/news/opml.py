"""OPML subscription lists: read untrusted uploads safely, write our own exports.

Uploaded OPML comes from strangers, so it is parsed with defusedxml: documents that declare
entities (billion laughs), external entities or DTDs are refused with a clear message. Real
exporters sometimes write a raw `&` inside attributes; that one well-known slip is repaired
before parsing, anything else malformed is reported, never guessed at.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

MAX_OUTLINES = 500
MAX_OPML_BYTES = 2_000_000
# A `&` that does not start an entity or character reference.
_RAW_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#x[0-9A-Fa-f]+);)")
_OUTLINE_TAG = re.compile(rb"<outline\b[^<>]*(?:>|/>)", re.IGNORECASE)
_ATTRIBUTE_START = re.compile(rb'\s[A-Za-z_:][\w:.-]*="')
# The XML declaration's encoding, read from the ASCII-compatible start of the file.
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_DECLARATION_TEXT = re.compile(r"""^(<\?xml[^>]*?encoding\s*=\s*["'])[A-Za-z0-9._:-]+""")
# Encodings expat decodes itself; anything else (GB2312, Shift_JIS, Big5…) is transcoded.
_EXPAT_NATIVE = frozenset({"utf-8", "utf-16", "utf-16-le", "utf-16-be", "ascii", "iso8859-1"})


class OPMLError(ValueError):
    """The upload is not a usable OPML document; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class OPMLFeed:
    """One feed outline: its URL, its title, and the folders it sat in."""

    url: str
    title: str | None
    html_url: str | None = None
    category: str | None = None


def parse_opml(content: bytes) -> list[OPMLFeed]:
    """The feeds listed in an OPML document, in document order, duplicates removed."""
    if len(content) > MAX_OPML_BYTES:
        raise OPMLError(f"the file is larger than {MAX_OPML_BYTES // 1_000_000} MB")
    root = _parse_xml(content)
    if root.tag.lower() != "opml":
        raise OPMLError(f"this is XML but not OPML (the root element is <{root.tag}>)")
    body = next((child for child in root if child.tag.lower() == "body"), None)
    if body is None:
        raise OPMLError("the OPML document has no <body>")
    outlines = list(body.iter("outline"))
    if len(outlines) > MAX_OUTLINES:
        raise OPMLError(
            f"the file has {len(outlines)} outlines; at most {MAX_OUTLINES} are accepted "
            "per import. Split it into smaller files."
        )
    feeds: dict[str, OPMLFeed] = {}
    _collect(body, [], feeds)
    return list(feeds.values())


def _normalise_bytes(content: bytes) -> bytes:
    """Undo two real-world slips before parsing: blank lines before the XML declaration
    (which expat rejects outright) and encodings expat cannot decode (multi-byte ones).

    A declared encoding Python knows is decoded here and the document handed on as UTF-8
    with its declaration rewritten, so the parser never has to guess.
    """
    if content.startswith(codecs.BOM_UTF8):
        content = content[len(codecs.BOM_UTF8) :]
    if not content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        content = content.lstrip(b" \t\r\n")
    match = _DECLARED_ENCODING.match(content)
    if match is None:
        return content
    declared = match.group(1).decode("ascii")
    try:
        codec = codecs.lookup(declared).name
    except LookupError:
        raise OPMLError(f"the file declares an unknown character encoding {declared!r}") from None
    if codec in _EXPAT_NATIVE:
        return content
    try:
        text = content.decode(codec)
    except UnicodeDecodeError as exc:
        raise OPMLError(
            f"the file says it is {declared} but byte {exc.start} is not valid {declared}"
        ) from None
    except (LookupError, ValueError):  # a codec that is not for text: rot13, hex, idna…
        raise OPMLError(f"the file declares an unknown character encoding {declared!r}") from None
    return _DECLARATION_TEXT.sub(r"\g<1>UTF-8", text, count=1).encode("utf-8")


def _parse_xml(content: bytes) -> Element:
    content = _normalise_bytes(content)
    try:
        return fromstring(content, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise OPMLError(
            "refused: the file declares XML entities or a DTD, which OPML never needs "
            f"({type(exc).__name__})"
        ) from exc
    except ParseError as first_error:
        # Real exporters write raw "&" and unescaped quotes inside attributes; repair those
        # two mistakes only, and parse the result as strictly as the original.
        for repaired in _repairs(content):
            try:
                return fromstring(repaired, forbid_dtd=True)
            except (ParseError, DefusedXmlException):
                continue
        raise OPMLError(f"the file is not well-formed XML ({first_error})") from first_error


def _repairs(content: bytes) -> list[bytes]:
    """The document with raw ampersands escaped, then also with stray quotes escaped."""
    ampersands = _RAW_AMPERSAND.sub(b"&amp;", content)
    quotes = _OUTLINE_TAG.sub(_escape_inner_quotes, ampersands)
    return [doc for doc in dict.fromkeys((ampersands, quotes)) if doc != content]


def _escape_inner_quotes(tag: re.Match[bytes]) -> bytes:
    """One ``<outline …>`` tag with the quotes inside its attribute values escaped.

    A value runs from ``name="`` to the last quote before the next ``name="`` (or the end
    of the tag), so ``text="Газета "Коммерсантъ". Главное"`` keeps its inner quotes.
    """
    text = tag.group(0)
    starts = list(_ATTRIBUTE_START.finditer(text))
    if not starts:
        return text
    out = [text[: starts[0].end()]]
    for index, start in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        value_and_rest = text[start.end() : end]
        closing = value_and_rest.rfind(b'"')
        if closing < 0:
            return text  # not the shape this repair understands: leave the tag alone
        value = value_and_rest[:closing].replace(b'"', b"&quot;")
        out.append(value + value_and_rest[closing:])
        if index + 1 < len(starts):
            out.append(starts[index + 1].group(0))
    return b"".join(out)


def _collect(parent: Element, path: list[str], feeds: dict[str, OPMLFeed]) -> None:
    for outline in parent:
        if outline.tag != "outline":
            continue
        attributes = {key.lower(): value for key, value in outline.attrib.items()}
        title = (attributes.get("title") or attributes.get("text") or "").strip() or None
        url = (attributes.get("xmlurl") or "").strip()
        if title == url:
            title = None  # exporters write the URL as text when a feed has no title
        if url:
            feeds.setdefault(
                url,
                OPMLFeed(
                    url=url,
                    title=title,
                    html_url=(attributes.get("htmlurl") or "").strip() or None,
                    category="/".join(path) or None,
                ),
            )
        _collect(outline, [*path, title] if (title and not url) else path, feeds)


def build_opml(feeds: list[OPMLFeed], *, title: str, now: datetime | None = None) -> bytes:
    """An OPML 2.0 document listing the feeds (custom titles included)."""
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(UTC))
    body = SubElement(root, "body")
    for feed in feeds:
        attributes = {"type": "rss", "text": feed.title or feed.url, "xmlUrl": feed.url}
        if feed.title:
            attributes["title"] = feed.title
        if feed.html_url:
            attributes["htmlUrl"] = feed.html_url
        SubElement(body, "outline", attributes)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode").encode()
