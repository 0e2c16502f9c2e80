"""HTML → clean plain text: what the summariser reads and what titles show.

Why: feed bodies are HTML fragments of every quality — broken markup, tracking pixels,
share buttons, "The post … appeared first on …" footers, entities escaped twice. The
summariser needs plain sentences in paragraphs, so this module strips markup, keeps the
paragraph structure (paragraphs are separated by one blank line) and removes boilerplate
tails. It is deliberately conservative: a line is only dropped when it is recognisably
boilerplate, never because it merely contains a suspicious word.

Two layers, structure first. Elements that never hold article text (figure, figcaption,
aside, script, forms, …) and containers whose class or Substack component name marks them
as sharing, caption, credit, subscription, related-posts or ad widgets are removed before
any text is read. What still arrives as ordinary paragraphs (an unmarked "Photo: …" line,
"Read more: <headline>", "Sign up for our newsletter", a bare "Tweet | Email | Print") is
matched by short, anchored patterns against whole paragraphs, in English and, where cheap,
in the other languages the summariser stems. Footers that close every item ("The post …
appeared first on …" and its translations, Medium's "… was originally published in …") are
only looked for at the end of the item.
"""

from __future__ import annotations

import html
import re
from typing import NamedTuple

import lxml.etree
import lxml.html

__all__ = ["clean_title", "html_to_text"]

# Elements whose content is never article text.
DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "iframe",
    "aside",  # pull quotes (a repeat of the text), "related" boxes, sidebars
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

# Containers that only hold sharing widgets, captions and credits, subscription prompts, ad
# flare or "related posts" lists (whole class names, as the publishing tools write them).
BOILERPLATE_CLASSES = frozenset(
    {
        # sharing and "like" buttons (Jetpack, AddToAny, Shareaholic, Social Warfare, …)
        "feedflare",
        "sharedaddy",
        "sd-sharing-enabled",
        "sd-like",
        "jetpack-likes-widget-wrapper",
        "sharing",
        "share",
        "share-bar",
        "share-buttons",
        "share-tools",
        "sharethis",
        "social-share",
        "social-sharing",
        "addtoany_share_save_container",
        "a2a_kit",
        "heateor_sss_sharing_container",
        "shareaholic-canvas",
        "swp_social_panel",
        "ssba",
        # related posts and embedded links to other posts
        "jp-relatedposts",
        "yarpp-related",
        "crp_related",
        "rp4wp-related-posts",
        "related-posts",
        "related-articles",
        "related-content",
        "wp-embedded-content",
        "embedded-post-wrap",
        "digest-post-embed",
        # image captions and credits (WordPress, Substack, news sites)
        "wp-caption",
        "wp-caption-text",
        "captioned-image-container",
        "image-caption",
        "media-caption",
        "photo-caption",
        "caption",
        "credit",
        "image-credit",
        "photo-credit",
        "media-credit",
        # newsletter and subscription prompts, Substack's buttons
        "subscription-widget-wrap",
        "subscription-widget-wrap-editor",
        "subscription-widget",
        "subscribe-widget",
        "captioned-button-wrap",
        "button-wrapper",
        "cta-caption",
        "post-ufi",
        "install-substack-app-embed",
        "newsletter-signup",
        "inline-newsletter",
        "mc4wp-form",
        "wp-block-jetpack-subscriptions",
        # advertising
        "advertisement",
        "ad-container",
    }
)

# Substack marks its widgets with data-component-name as well as (sometimes) classes.
BOILERPLATE_COMPONENTS = frozenset(
    {
        "buttoncreatebutton",
        "captionedbuttontodom",
        "subscribewidget",
        "subscribewidgettodom",
        "subscribewithcaptiontodom",
        "embeddedposttodom",
        "digestpostembed",
        "installsubstackapptodom",
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
# Two sentences whose elements touched in the HTML ("in April.</span><span>Previously"):
# a word of lower-case letters, its full stop, then a capitalised word with no space.
_GLUED_SENTENCES_RE = re.compile(r"(?<=[^\W\d_A-Z]{2}[.!?])(?=[A-Z][^\W\d_A-Z])")
_SENTENCE_END = frozenset('.!?…:;"”’)»')
_BULLETS = frozenset("-*•·–—")
# A plain-text line shorter than this, followed by a capital, ends its paragraph.
SHORT_LINE = 60
# A <code> element longer than this is a listing, not a word in a sentence.
MAX_INLINE_CODE = 80
# A <pre> is kept as prose only with this many sentences of this many words or more...
MIN_PRE_SENTENCES = 2
MIN_PRE_SENTENCE_WORDS = 6
# ...fewer lines that look like code than this share, and few code symbols.
CODE_LINE_SHARE = 0.3
MAX_PRE_SYMBOL_SHARE = 0.02
_CODE_SYMBOLS = frozenset("{}[]<>$=%|\\^~_/#*`@")
# Where a sentence ends: after . ! or ? that a space or the end follows. Split on, never
# matched as "text then a stop": that form backtracks quadratically over a long <pre>
# with few stops, and a feed controls how long its <pre> is.
_PRE_SENTENCE_END = re.compile(r"(?<=[.!?])(?=\s|$)")
_WORD = re.compile(r"[^\W\d_]{2,}")
# One of these lines makes a <pre> a listing whatever the rest holds (a patch, C source).
_LISTING_MARKER = re.compile(r"diff --git |@@ -\d+(?:,\d+)? \+\d+|#include\s*[<\"]")
_CODE_LINE = re.compile(
    r"[;{}]\s*$"  # C-like statement ends and braces
    r"|^\s*(?:\$|#|>>>|\.\.\.|%|C:\\)\s"  # shell, Python and DOS prompts
    r"|^\s*(?:#include|#define|import |from \S+ import|def |class |fn |func |function |"
    r"return\b|if \(|for \(|while \(|//|/\*|\*/|<\?|</?[a-z]+[ >])"
    r"|^(?:\+\+\+ |--- a/|@@ |diff |index [0-9a-f])"  # unified diffs
    r"|^\s*[\w.\[\]\"']+\s*(?:[-+*/|&]?=|:=)\s*\S"  # assignments: x = 1, a.b += c
    r"|\)\s*(?:->|=>)|\(\)\s*$|^\s{4,}\S|^\t",  # arrows, calls, indented lines
)

# --- Boilerplate text ----------------------------------------------------------------------
#
# Structure catches most boilerplate (see DROP_TAGS and BOILERPLATE_CLASSES); these patterns
# catch what arrives as ordinary paragraphs. Every paragraph pattern must match the WHOLE
# paragraph (case-insensitively), so a sentence that merely contains "read more", "share" or
# "photo" survives; length caps keep a long real paragraph from matching a loose tail.

# The link back a plugin appends to every item: "The post <title> appeared first on <site>."
# (Yoast SEO) and its translations, as (opening, middle) around the title.
_BACKLINKS = (
    ("the post", "appeared first on"),
    ("der beitrag", "erschien zuerst auf"),
    ("l['’]article", "est apparu en premier sur"),
    ("la entrada", "se publicó primero en"),
    ("o post", "apareceu primeiro em"),
    ("het bericht", "verscheen eerst op"),
    ("сообщение", "появились сначала на"),
)
# Where boilerplate may start inside a paragraph: after a sentence (or a quote, bracket).
_AFTER_SENTENCE = r"(?<=[.!?…\"”’»)])\s*"
# Medium's footer, always a paragraph of its own.
_MEDIUM_TAIL = (
    r".{1,300} was originally published in .{1,200} on medium, where people are continuing "
    r"the conversation by highlighting and responding to this story\.?"
)

# "Continue reading" links, in the languages the summariser stems …
_CONTINUE = (
    r"(?:continue|keep) reading|weiterlesen|lire la suite|(?:seguir|sigue|continuar) leyendo|"
    r"leer más|continua a leggere|leggi tutto|continue lendo|continuar lendo|lees verder|"
    r"verder lezen|читать (?:далее|дальше|полностью)"
)
# … followed by nothing but arrows, a quoted title or "on <site>" ("Continue reading “Budget
# approved” →"): "Lire la suite du rapport prendra du temps" is a sentence, not a link.
_CONTINUE_REST = (
    r"(?:\s*(?:[:»›→…]|>>|\.\.\.))*"
    r"(?:\s*[\"“«‘'„].{0,140}|\s+(?:at|on|auf|sur|en|em|op|на|в) .{1,80})?"
)

# Pointers to other stories ("Read more: <headline>", "Lesen Sie auch: …"): alone, or with a
# colon and a headline-sized rest.
_POINTERS = (
    r"related(?: (?:posts|articles|stories|reading|content|links|coverage))?|"
    r"(?:also read|see also|more on this(?: story| topic)?|recommended(?: reading| for you)?|"
    r"you (?:may|might) also like|most (?:read|popular)|editor['’]?s picks?|"
    r"lesen sie auch|mehr zum thema|auch interessant|(?:à )?lire aussi|à lire également|"
    r"voir aussi|sur le même sujet|lee también|lea también|te puede interesar|leia também|"
    r"veja também|leggi anche|lees ook|читайте также|смотрите также|по теме)"
)

# Names of sharing targets and buttons, as link text on a line of their own.
_SHARE_WORDS = (
    r"share|tweet|pin(?: it)?|e-?mail|print|facebook|twitter|x|linkedin|whatsapp|telegram|"
    r"reddit|pinterest|pocket|flipboard|mastodon|bluesky|threads|tumblr|messenger|copy link|"
    r"leave a comment|\d* ?comments?|view comments|teilen|partager|compartir|condividi|"
    r"compartilhar|delen|поделиться"
)
_NETWORKS = (
    r"facebook|twitter|x|linkedin|whatsapp|telegram|reddit|pinterest|pocket|flipboard|"
    r"mastodon|bluesky|threads|tumblr|messenger|e-?mail"
)

# Picture libraries whose name on a line of its own can only be a picture credit …
_PICTURE_LIBRARIES = (
    r"getty images|shutterstock|alamy|unsplash|istock(?:photo)?|ap photo|afp photo|"
    r"picture alliance|imago images"
)
# … and news agencies that are picture credits only in brackets: "(AFP)", "(EPA-EFE)".
_PICTURE_AGENCIES = (
    rf"{_PICTURE_LIBRARIES}|afp|ap|epa(?:-efe)?|reuters(?:/[^()]{{1,60}})?|dpa|sipa|imago"
)

# Whole paragraphs that are boilerplate (matched case-insensitively against the whole text).
_BOILERPLATE_PARAGRAPHS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # "Read more", "Continue reading", and their translations
        r"read (?:more|the (?:full|whole) (?:story|article|post)|the rest"
        r"(?: of (?:the|this) (?:story|article|post|entry))?)\b.{0,120}",
        r"(?:view|see) the (?:full|whole) (?:story|article|post)\b.{0,80}",
        rf"(?:{_CONTINUE}){_CONTINUE_REST}",
        r"(?:mehr lesen|leia mais|leggi di più|lees meer|подробнее)\b.{0,80}",
        rf"(?:{_POINTERS})(?:\s*:.{{0,150}})?",
        # sharing
        r"share this(?: (?:story|article|post|page))?:?",
        rf"(?:click to )?share (?:this (?:story|article|post|page) )?(?:on|via|to|with) "
        rf"(?:{_NETWORKS})\b.{{0,60}}",
        r"click to (?:share|email|print)\b.{0,100}",
        r"(?:e-?mail|print) this (?:article|story|post|page)",
        # (separators are either punctuation or whitespace, never both ways: no backtracking)
        rf"(?:{_SHARE_WORDS})(?:(?:\s*[|·•,/]\s*|\s+)(?:{_SHARE_WORDS}))*\s*[:|·•,/]?",
        r"like this:?",
        r"(?:like )?loading(?:\.\.\.|…)",
        # subscriptions and newsletters (Substack, WordPress, news sites)
        r"subscribe\b.{0,140}",
        r"thanks? (?:you )?for reading\b.{0,120}?\b(?:subscribe|share|support)\b.{0,200}",
        r"this post is public so feel free to share it\.?",
        r"sign up (?:now|here|today|for free)\b.{0,100}",
        r"(?:sign up|register) (?:for|to) (?:our|the|my|this|a free) .{0,60}?\b"
        r"(?:newsletters?|e-?mails?|updates|alerts|briefings?|digest)\b.{0,120}",
        r"get (?:our|the) .{0,40}?\bnewsletter\b.{0,120}",
        r"(?:jetzt )?(?:unseren |den )?newsletter abonnieren\b.{0,120}",
        r"abonnieren sie (?:unseren|den) .{0,40}?newsletter\b.{0,120}",
        r"(?:abonnez-vous|inscrivez-vous) à (?:notre|la) .{0,40}?newsletter\b.{0,120}",
        r"suscríbete a (?:nuestra|nuestro|la|el) .{0,40}?(?:newsletter|boletín)\b.{0,120}",
        r"подпишитесь на (?:наш|нашу) .{0,80}",
        r"learn more(?: (?:at|about|here)\b.{0,80})?\s*(?:»|›|→|>>|\.\.\.|…)?",
        # picture captions and credits that were not marked up as such
        r"(?:photo(?:graph)?s?|images?|pictures?|pic|illustrations?|graphics?|video|"
        r"(?:header|top|featured|lead|cover|hero) (?:image|photo))(?: credits?)?\s*[:©].{1,200}",
        r"(?:photo(?:graph)?|image|picture|illustration)s? by [^.!?]{1,100}",
        r"(?:image|photo) (?:credit|copyright|source)s?\b.{1,200}",
        r"image caption\b.{1,200}",
        r"(?:credits?|foto|bild|crédit photo|фото)\s*:.{1,150}",
        r"\(?courtesy(?: of)? [^.!?]{1,100}\)?",
        rf"[^.!?()]{{0,60}}\b(?:{_PICTURE_LIBRARIES})\b[^.!?()]{{0,60}}",
        rf"\([^()]{{0,60}}\b(?:{_PICTURE_AGENCIES})\b[^()]{{0,60}}\)",
        # link aggregators' and blog engines' per-item footers (bot.news.feed_boilerplate
        # finds the ones a feed repeats; these are for a document with a single item)
        r"submitted by\s+/?u/[\w-]+(?:\s+to\s+/?r/[\w-]+)?(?:\s*\[(?:link|(?:\d+ )?comments?)\])*",
        r"\[(?:link|(?:\d+ )?comments?)\](?:\s*\[(?:link|(?:\d+ )?comments?)\])*",
        r"(?:∞\s*)?permalink",
        r"flattr(?: this)?!?",
        r"\((?:tags?|tagged|filed under|categories|category)\s*:?\s*[^()]{1,200}\)",
        # advertising labels
        r"advertisement|anzeige|werbung|publicité|publicidad|pubblicità|реклама",
        r"\[?\s*(?:…|\.\.\.)\s*\]?",
    )
]

# Markers that open a trailing block of sharing/related links; everything after them is cut
# when it is all short link text (see _is_link_tail).
_TAIL_MARKERS = re.compile(
    rf"(?:share this(?: (?:story|article|post|page))?|like this|{_POINTERS}):?",
    re.IGNORECASE,
)
_TAIL_LINE_MAX = 120
# A paragraph is a link when anchors hold at least this share of its letters and digits.
_LINK_SHARE_MIN = 0.5
# Lines after a marker that were not links in the HTML (or came as plain text) still count as
# a link list when they are headlines and this few: a list whose links were lost upstream.
_TAIL_MAX_UNLINKED = 5
# A line that ends like a sentence is prose, not a headline (headlines may end with "?").
_SENTENCE_END_RE = re.compile(r"[.!。！][\"'”’»)\]」』）]*$")

# Footers that only ever close an item: looked for in its last paragraph alone, so that "Der
# Beitrag der Stadt erschien zuerst auf der Tagesordnung." in the middle of a story is safe.
_FOOTERS = [
    re.compile(rf"{opening} .{{1,300}} {middle} .{{1,200}}", re.IGNORECASE)
    for opening, middle in _BACKLINKS
]
_MEDIUM_FOOTER = re.compile(_MEDIUM_TAIL, re.IGNORECASE)
# Where a backlink footer may begin: the paragraph's start, or a sentence's.
_FOOTER_STARTS = re.compile(
    rf"(?:^|{_AFTER_SENTENCE})(?=(?:{'|'.join(opening for opening, _ in _BACKLINKS)}) )",
    re.IGNORECASE,
)

# Boilerplate at the end of an otherwise real paragraph. Each needs sentence punctuation (or
# an ellipsis) before it (_AFTER_SENTENCE), so "…I want to read more" is left alone.
_BOILERPLATE_ENDINGS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\s*\[\s*(?:…|\.\.\.)\s*\]\s*$",
        rf"{_AFTER_SENTENCE}(?:read more|weiterlesen|lire la suite|leer más|leia mais|"
        r"leggi tutto|lees verder|читать далее)\s*(?:»|›|→|>>|\.\.\.|…)?\s*$",
        rf"{_AFTER_SENTENCE}more\s*(?:»|›|→|>>)\s*$",
        rf"{_AFTER_SENTENCE}(?:{_CONTINUE}){_CONTINUE_REST}$",
        # a picture credit in brackets closing a caption-like paragraph
        rf"\s*\((?:(?:photo|image|picture|foto|bild)s?(?: by)?\s*:?\s*)?[^()]{{0,80}}"
        rf"\b(?:{_PICTURE_AGENCIES})\b[^()]{{0,80}}\)\s*$",
    )
]


def html_to_text(html: str, *, markup: bool = True) -> str:
    """Clean plain text of an HTML fragment (or of plain text): paragraphs, no boilerplate.

    Paragraphs (p, div, br, li, headings, blockquote, …) are separated by one blank line;
    whitespace inside a paragraph is collapsed to single spaces. Text without any markup
    passes through with only entities and whitespace normalised; ``markup=False`` treats
    the input as plain text even if it contains something that looks like a tag.
    """
    if markup:
        paragraphs = _source_paragraphs(html)
    else:
        paragraphs = [_Paragraph(text, None) for text in _plain_paragraphs(html)]
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


class _Paragraph(NamedTuple):
    """One paragraph's text, and the share of it that was link text in the HTML.

    ``link_share`` is None for plain text, where nothing says what was a link. It tells a
    list of related links after a "Related" heading from short prose that happens to follow
    one.
    """

    text: str
    link_share: float | None


def _paragraphs(source: str) -> list[str]:
    """Non-empty, whitespace-normalised paragraphs of an HTML fragment or plain text."""
    return [paragraph.text for paragraph in _source_paragraphs(source)]


def _source_paragraphs(source: str) -> list[_Paragraph]:
    """``_paragraphs`` with each paragraph's link share (None when the source is plain text)."""
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
            return [_Paragraph(p, None) for p in _plain_paragraphs(text)]
        text = unescaped
    paragraphs: list[_Paragraph] = []
    for chunk, linked in _markup_chunks(text):
        paragraph = _normalise(chunk)
        if paragraph:
            share = _alnum_count(_normalise(linked)) / max(1, _alnum_count(paragraph))
            paragraphs.append(_Paragraph(paragraph, min(1.0, share)))
    return paragraphs


def _alnum_count(text: str) -> int:
    return sum(1 for ch in text if ch.isalnum())


def _plain_paragraphs(text: str) -> list[str]:
    """Paragraphs of plain text: split on blank lines, and on single line breaks that end a
    line of its own (see `_line_ends_paragraph`); other line breaks (text wrapped at a
    fixed width) become spaces."""
    if not text:
        return []
    paragraphs: list[str] = []
    for chunk in _PLAIN_PARAGRAPH_RE.split(text.replace(_BREAK, "")):
        current: list[str] = []
        for line in chunk.splitlines():
            if current and _line_ends_paragraph(current[-1], line):
                paragraphs.append(" ".join(current))
                current = []
            if line.strip():
                current.append(line)
        if current:
            paragraphs.append(" ".join(current))
    return [p for p in (_normalise(paragraph) for paragraph in paragraphs) if p]


def _line_ends_paragraph(line: str, following: str) -> bool:
    """Whether a single line break between these lines separates two paragraphs.

    It does after a sentence end, before a bullet, and after a short line followed by a
    capital (a heading or a one-line paragraph: "He died on Wednesday"); a line wrapped
    mid-sentence usually fills the width and goes on in lower case.
    """
    line, following = line.strip(), following.strip()
    if not line or not following:
        return True
    if line[-1] in _SENTENCE_END:
        return True
    if following[0] in _BULLETS:
        return True
    return following[0].isupper() and len(line) < SHORT_LINE


def _markup_chunks(markup: str) -> list[tuple[str, str]]:
    """The raw text between block boundaries of an HTML fragment, with its link text.

    Each chunk is (all its text, the part inside ``<a>`` elements); chunks may be blank.
    """
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
    )
    try:
        root = lxml.html.document_fromstring(markup.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        return []
    doomed = [el for el in root.iter(*DROP_TAGS)]
    doomed.extend(el for el in root.iter("code") if _is_code_block(el))
    doomed.extend(el for el in root.iter("pre") if _is_code_listing(el))
    doomed.extend(el for el in root.iter() if _is_boilerplate_container(el))
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()
    _prose_pre_to_paragraphs(root)
    chunks: list[tuple[str, str]] = []
    parts: list[str] = []
    linked: list[str] = []
    link_depth = 0

    def boundary() -> None:
        if parts:
            chunks.append(("".join(parts), " ".join(linked)))
            parts.clear()
            linked.clear()

    def add(text: str) -> None:
        parts.append(text)
        if link_depth:
            linked.append(text)

    for event, el in lxml.etree.iterwalk(root, events=("start", "end")):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag == "dd" and _follows_term(el):
                parts.append(" ")  # "Depth: 7.74 km": a definition reads after its term
            elif tag in BLOCK_TAGS:
                boundary()
            elif tag in CELL_TAGS:
                parts.append(" ")
            if tag == "a":
                link_depth += 1
            if tag and el.text:
                add(el.text)
        else:
            if tag == "dt" and _term_is_defined(el):
                if not "".join(parts).rstrip().endswith(":"):
                    parts.append(":")
            elif tag in BLOCK_TAGS:
                boundary()
            elif tag in CELL_TAGS:
                parts.append(" ")
            if tag == "a":
                link_depth -= 1
            if el.tail and el is not root:
                add(el.tail)
    boundary()
    return chunks


def _is_code_block(el: lxml.etree._Element) -> bool:
    """A ``<code>`` that is a listing rather than a word in a sentence: several lines, or
    long. Inline code ("set ``x = 1``") stays part of its sentence."""
    text = el.text_content()
    return "\n" in text.strip() or len(text) > MAX_INLINE_CODE


def _term_is_defined(el: lxml.etree._Element) -> bool:
    """Whether a ``<dt>`` has a ``<dd>`` right after it (its text is then "term: definition")."""
    following = el.getnext()
    while following is not None and not isinstance(following.tag, str):
        following = following.getnext()
    if following is None or following.tag.lower() != "dd":
        return False
    return not (el.tail or "").strip()


def _follows_term(el: lxml.etree._Element) -> bool:
    """Whether a ``<dd>`` comes right after its ``<dt>`` (and so continues its paragraph)."""
    previous = el.getprevious()
    while previous is not None and not isinstance(previous.tag, str):
        previous = previous.getprevious()
    return previous is not None and previous.tag.lower() == "dt" and _term_is_defined(previous)


def _is_code_listing(el: lxml.etree._Element) -> bool:
    """A ``<pre>`` that holds code, commands, a patch or program output rather than prose.

    Mailing-list archives and plain-text newsletters put whole messages in ``<pre>``; in
    blogs it is nearly always a listing. So a ``<pre>`` is kept only when it reads as
    prose: at least ``MIN_PRE_SENTENCES`` sentences of ``MIN_PRE_SENTENCE_WORDS`` words or
    more, few code symbols, few lines that look like code, and no diff or ``#include``.
    """
    text = el.text_content()
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or any(_LISTING_MARKER.match(line) for line in lines):
        return True
    if sum(1 for line in lines if _CODE_LINE.search(line)) >= CODE_LINE_SHARE * len(lines):
        return True
    visible = [ch for ch in text if not ch.isspace()]
    if sum(ch in _CODE_SYMBOLS for ch in visible) > MAX_PRE_SYMBOL_SHARE * len(visible):
        return True
    sentences = [
        s
        for s in _PRE_SENTENCE_END.split(text)
        if s.rstrip().endswith((".", "!", "?")) and len(_WORD.findall(s)) >= MIN_PRE_SENTENCE_WORDS
    ]
    return len(sentences) < MIN_PRE_SENTENCES


def _prose_pre_to_paragraphs(root: lxml.etree._Element) -> None:
    """Replace each remaining ``<pre>`` by paragraphs read as plain text.

    Its line breaks are the writer's: blank lines part paragraphs and lines wrapped at a
    fixed width join (`_plain_paragraphs`), where collapsing them would make one paragraph
    of a whole message.
    """
    for pre in list(root.iter("pre")):
        parent = pre.getparent()
        if parent is None:
            continue
        block = lxml.html.Element("div")
        for text in _plain_paragraphs(pre.text_content()):
            paragraph = lxml.etree.SubElement(block, "p")
            paragraph.text = text
        block.tail = pre.tail
        parent.replace(pre, block)


def _is_boilerplate_container(el: lxml.etree._Element) -> bool:
    if not isinstance(el.tag, str):
        return False
    component = el.get("data-component-name")
    if component and component.strip().lower() in BOILERPLATE_COMPONENTS:
        return True
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
    text = _GLUED_SENTENCES_RE.sub(" ", text)
    return _SPACE_RE.sub(" ", text).strip()


def _unescape_once(text: str) -> str:
    """Decode well-formed character references once; leave everything else as it is."""
    if "&" not in text:
        return text
    return _ENTITY_RE.sub(lambda m: html.unescape(m.group(0)), text)


def _drop_boilerplate(paragraphs: list[_Paragraph]) -> list[str]:
    kept: list[str] = []
    for index, (paragraph, _) in enumerate(paragraphs):
        if _TAIL_MARKERS.fullmatch(paragraph) and _is_link_tail(paragraphs[index + 1 :]):
            break
        if any(pattern.fullmatch(paragraph) for pattern in _BOILERPLATE_PARAGRAPHS):
            continue
        for _ in range(2):
            for pattern in _BOILERPLATE_ENDINGS:
                paragraph = pattern.sub("", paragraph).rstrip()
        if paragraph:
            kept.append(paragraph)
    while kept:
        last = _without_footer(kept[-1])
        if last == kept[-1]:
            break
        kept.pop()
        if last:
            kept.append(last)
            break
    return kept


def _without_footer(paragraph: str) -> str:
    """The paragraph without a closing backlink footer ("" when it is all footer).

    The footer is the LAST place where one can start: a title may contain sentence ends
    ("U.S. economy grows"), so the whole rest is tried from each candidate start, rightmost
    first, and "The post office reopened. The post … appeared first on …" keeps its first
    sentence.
    """
    if _MEDIUM_FOOTER.fullmatch(paragraph):
        return ""
    starts = [match.end() for match in _FOOTER_STARTS.finditer(paragraph)]
    for start in reversed(starts):
        if any(pattern.fullmatch(paragraph, start) for pattern in _FOOTERS):
            return paragraph[:start].rstrip()
    return paragraph


def _is_link_tail(rest: list[_Paragraph]) -> bool:
    """True when what follows a "Share this:"/"Related" marker is only a list of links.

    Every line must be boilerplate or short, and a short line must have been a link in the
    HTML. Short prose after a mid-article "Related" heading was cut off when shortness alone
    decided. Lines that were not links (or plain text, which cannot say) are accepted only as
    a few headlines (nothing that ends like a sentence): a plain related list at the very end.
    """
    patterns = (*_BOILERPLATE_PARAGRAPHS, *_FOOTERS, _MEDIUM_FOOTER)
    unlinked = 0
    for line, link_share in rest:
        if any(p.fullmatch(line) for p in patterns):
            continue
        if len(line) > _TAIL_LINE_MAX:
            return False
        if link_share is not None and link_share >= _LINK_SHARE_MIN:
            continue
        if _SENTENCE_END_RE.search(line):
            return False
        unlinked += 1
    return unlinked <= _TAIL_MAX_UNLINKED
