"""HTML → clean plain text: what the summariser reads and what titles show.

Why: feed bodies are HTML fragments of every quality — broken markup, tracking pixels,
share buttons, "The post … appeared first on …" footers, entities escaped twice. The
summariser needs plain sentences in paragraphs, so this module strips markup, keeps the
paragraph structure (paragraphs are separated by one blank line) and removes boilerplate
tails. It is deliberately conservative: a line is only dropped when it is recognisably
boilerplate, never because it merely contains a suspicious word.
"""

from __future__ import annotations

import html
import re

import lxml.etree
import lxml.html

__all__ = ["clean_title", "html_to_text"]

# Elements whose content is never article text.
DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "figure",
    "figcaption",
    "img",
    "picture",
    "source",
    "svg",
    "canvas",
    "video",
    "audio",
    "track",
    "object",
    "embed",
    "map",
    "form",
    "button",
    "input",
    "select",
    "textarea",
    "template",
    "head",
    "title",
    "meta",
    "link",
)

# Elements that start and end a paragraph.
BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "body",
        "br",
        "caption",
        "center",
        "dd",
        "details",
        "div",
        "dl",
        "dt",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "html",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)

# Table cells: keep neighbouring cells apart without breaking the row into paragraphs.
CELL_TAGS = frozenset({"td", "th"})

# Containers that only hold sharing widgets, ad flare or "related posts" lists.
BOILERPLATE_CLASSES = frozenset(
    {
        "feedflare",
        "sharedaddy",
        "sd-sharing-enabled",
        "sharing",
        "share-buttons",
        "social-share",
        "addtoany_share_save_container",
        "jp-relatedposts",
        "yarpp-related",
        "wp-caption-text",
    }
)

# Real HTML tags (a known element name), so that "a <b> c" in plain text is not mistaken for
# markup unless it really is one of these names.
_KNOWN_TAGS = (
    "a|abbr|address|article|aside|audio|b|bdi|bdo|big|blockquote|body|br|button|canvas|caption|"
    "center|cite|code|dd|del|details|dfn|div|dl|dt|em|embed|figcaption|figure|font|footer|form|"
    "h[1-6]|head|header|hr|html|i|iframe|img|input|ins|kbd|li|link|main|mark|meta|nav|noscript|"
    "object|ol|p|picture|pre|q|s|samp|script|section|small|source|span|strike|strong|style|sub|"
    "summary|sup|svg|table|tbody|td|tfoot|th|thead|time|title|tr|tt|u|ul|var|video|wbr"
)
_TAG_RE = re.compile(rf"<(?:/?(?:{_KNOWN_TAGS})(?:\s[^<>]*)?/?>|!--|!doctype)", re.IGNORECASE)
_ESCAPED_TAG_RE = re.compile(rf"&lt;/?(?:{_KNOWN_TAGS})(?:\s|/|&gt;)", re.IGNORECASE)

# Only well-formed references with a semicolon: html.unescape alone would also turn the
# "&copy" in "?a=1&copy=2" into "©".
_ENTITY_RE = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")

_BREAK = "\x00"
_INVISIBLE_RE = re.compile("[\u00ad\u200b\u2060\ufeff]")
_SPACE_RE = re.compile(r"\s+")
_PLAIN_PARAGRAPH_RE = re.compile(r"\n[ \t\r\f\v\u00a0]*\n\s*")

# Whole paragraphs that are boilerplate (matched case-insensitively against the whole text).
_BOILERPLATE_PARAGRAPHS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"read (?:more|the (?:full|whole) (?:story|article|post)|the rest"
        r"(?: of (?:the|this) (?:story|article|post|entry))?)\b.{0,120}",
        r"(?:view|see) the (?:full|whole) (?:story|article|post)\b.{0,80}",
        r"(?:continue|keep) reading\b.{0,150}",
        r"the post .{1,300} appeared first on .{1,200}",
        r"share this(?: (?:story|article|post|page))?:?",
        r"(?:click to )?share (?:on|via) \S+.{0,60}",
        r"click to (?:share|email|print)\b.{0,100}",
        r"(?:e-?mail|print) this (?:article|story|post|page)",
        r"like this:?",
        r"(?:like )?loading(?:\.\.\.|…)",
        r"related(?: (?:posts|articles|stories|reading|content|links|coverage))?:?",
        r"learn more(?: (?:at|about|here)\b.{0,80})?\s*(?:»|›|→|>>|\.\.\.|…)?",
        r"subscribe\b.{0,140}",
        r"advertisement",
        r"\[?\s*(?:…|\.\.\.)\s*\]?",
    )
]

# Markers that open a trailing block of sharing/related links; everything after them is cut
# when it is all short link text.
_TAIL_MARKERS = re.compile(
    r"(?:share this(?: (?:story|article|post|page))?|like this|"
    r"related(?: (?:posts|articles|stories|reading|content|links|coverage))?):?",
    re.IGNORECASE,
)
_TAIL_LINE_MAX = 120

# Boilerplate at the end of an otherwise real paragraph. Each needs sentence punctuation (or
# an ellipsis) before it, so "…I want to read more" is left alone.
_BOILERPLATE_ENDINGS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\s*\[\s*(?:…|\.\.\.)\s*\]\s*$",
        r"(?<=[.!?…\"”’)])\s*(?:read more\s*(?:»|›|→|>>|\.\.\.|…)?|more\s*(?:»|›|→|>>))\s*$",
        r"(?<=[.!?…\"”’)])\s*(?:continue|keep) reading\b.{0,150}$",
        r"(?<=[.!?…\"”’)])\s*the post .{1,300} appeared first on .{1,200}$",
    )
]


def html_to_text(html: str, *, markup: bool = True) -> str:
    """Clean plain text of an HTML fragment (or of plain text): paragraphs, no boilerplate.

    Paragraphs (p, div, br, li, headings, blockquote, …) are separated by one blank line;
    whitespace inside a paragraph is collapsed to single spaces. Text without any markup
    passes through with only entities and whitespace normalised; ``markup=False`` treats
    the input as plain text even if it contains something that looks like a tag.
    """
    paragraphs = _paragraphs(html) if markup else _plain_paragraphs(html)
    return "\n\n".join(_drop_boilerplate(paragraphs))


def clean_title(s: str, *, markup: bool = True) -> str:
    """A one-line title: tags (when ``markup``), entities and extra whitespace removed.

    Pass ``markup=False`` for titles the feed declares as plain text, so a literal
    "<div>" in a title about HTML survives.
    """
    if not s:
        return ""
    paragraphs = _paragraphs(s) if markup else [_normalise(s)]
    return " ".join(p for p in paragraphs if p)


def _paragraphs(source: str) -> list[str]:
    """Non-empty, whitespace-normalised paragraphs of an HTML fragment or plain text."""
    if not source or not source.strip():
        return []
    text = source.replace(_BREAK, "")
    if not _TAG_RE.search(text):
        # Markup escaped once too often arrives as "&lt;p&gt;…": undo one level, then parse.
        unescaped = text
        for _ in range(2):
            if not _ESCAPED_TAG_RE.search(unescaped):
                break
            unescaped = _unescape_once(unescaped)
        if not _TAG_RE.search(unescaped):
            return _plain_paragraphs(text)
        text = unescaped
    chunks = _markup_text(text).split(_BREAK)
    return [p for p in (_normalise(chunk) for chunk in chunks) if p]


def _plain_paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text: split on blank lines; single line breaks become spaces."""
    if not text:
        return []
    chunks = _PLAIN_PARAGRAPH_RE.split(text.replace(_BREAK, ""))
    return [p for p in (_normalise(chunk) for chunk in chunks) if p]


def _markup_text(markup: str) -> str:
    """The text of an HTML fragment, with _BREAK wherever a block element starts or ends."""
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
    )
    try:
        root = lxml.html.document_fromstring(markup.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return ""
    doomed = [el for el in root.iter(*DROP_TAGS)]
    doomed.extend(el for el in root.iter() if _is_boilerplate_container(el))
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    parts: list[str] = []
    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in BLOCK_TAGS:
                parts.append(_BREAK)
            elif tag in CELL_TAGS:
                parts.append(" ")
            if tag and el.text:
                parts.append(el.text)
        else:
            if tag in BLOCK_TAGS:
                parts.append(_BREAK)
            elif tag in CELL_TAGS:
                parts.append(" ")
            if el.tail and el is not root:
                parts.append(el.tail)
    return "".join(parts)


def _is_boilerplate_container(el: lxml.etree._Element) -> bool:
    if not isinstance(el.tag, str):
        return False
    classes = el.get("class")
    if not classes:
        return False
    return any(name in BOILERPLATE_CLASSES for name in classes.lower().split())


def _normalise(chunk: str) -> str:
    """One paragraph: entities decoded (including double-escaped ones), whitespace collapsed."""
    text = chunk.replace(_BREAK, " ")
    for _ in range(3):
        unescaped = _unescape_once(text)
        if unescaped == text:
            break
        text = unescaped
    text = _INVISIBLE_RE.sub("", text)
    return _SPACE_RE.sub(" ", text).strip()


def _unescape_once(text: str) -> str:
    """Decode well-formed character references once; leave everything else as it is."""
    if "&" not in text:
        return text
    return _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), text)


def _drop_boilerplate(paragraphs: list[str]) -> list[str]:
    kept: list[str] = []
    for index, paragraph in enumerate(paragraphs):
        if _TAIL_MARKERS.fullmatch(paragraph) and _is_link_tail(paragraphs[index + 1 :]):
            break
        if any(pattern.fullmatch(paragraph) for pattern in _BOILERPLATE_PARAGRAPHS):
            continue
        for _ in range(2):
            for pattern in _BOILERPLATE_ENDINGS:
                paragraph = pattern.sub("", paragraph).rstrip()
        if paragraph:
            kept.append(paragraph)
    return kept


def _is_link_tail(rest: list[str]) -> bool:
    """True when what follows a "Share this:"/"Related" marker is only short link text."""
    return all(
        len(line) <= _TAIL_LINE_MAX or any(p.fullmatch(line) for p in _BOILERPLATE_PARAGRAPHS)
        for line in rest
    )
