"""HTML → clean text: structure, entities, boilerplate tails, and what must survive."""

from __future__ import annotations

import pytest

from bot.news.clean import clean_title, html_to_text
from tests.support import FIXTURES

# --- block structure -----------------------------------------------------------------------


def test_block_elements_become_paragraphs() -> None:
    html = (
        "<h2>Heading</h2><p>First paragraph.</p><div>A div.</div>"
        "<blockquote>Quoted text.</blockquote><ul><li>One</li><li>Two</li></ul>"
        "<p>Line one<br>line two<br/>line three</p>"
    )
    assert html_to_text(html).split("\n\n") == [
        "Heading",
        "First paragraph.",
        "A div.",
        "Quoted text.",
        "One",
        "Two",
        "Line one",
        "line two",
        "line three",
    ]


def test_paragraphs_are_separated_by_exactly_one_blank_line() -> None:
    text = html_to_text("<p>One.</p>\n\n\n<p></p><div><p>Two.</p></div><br><br><p>Three.</p>")
    assert text == "One.\n\nTwo.\n\nThree."


def test_inline_elements_do_not_split_words_or_paragraphs() -> None:
    html = '<p>A <b>bold</b> and <a href="/x">linked</a> word, <em>un</em><i>broken</i>.</p>'
    assert html_to_text(html) == "A bold and linked word, unbroken."


def test_whitespace_is_collapsed_inside_paragraphs() -> None:
    html = "<p>  Several\n\t spaces,\u00a0a no-break space\nand a zero\u200bwidth space. </p>"
    assert html_to_text(html) == "Several spaces, a no-break space and a zerowidth space."


def test_table_cells_stay_apart() -> None:
    assert html_to_text("<table><tr><td>Oslo</td><td>4°C</td></tr></table>") == "Oslo 4°C"


@pytest.mark.parametrize(
    "html",
    [
        "<p>Real text</p><script>var tracking = 1;</script>",
        "<style>p { color: red }</style><p>Real text</p>",
        "<noscript>Enable JavaScript</noscript><p>Real text</p>",
        '<iframe src="https://video.example.test/embed">fallback</iframe><p>Real text</p>',
        '<figure><img src="a.jpg" alt="A photo"><figcaption>Photo: Agency</figcaption></figure>'
        "<p>Real text</p>",
        '<p><img src="pixel.gif" alt="tracking pixel" width="1">Real text</p>',
        "<p>Real text<!-- a comment --></p>",
    ],
)
def test_non_text_elements_are_dropped(html: str) -> None:
    assert html_to_text(html) == "Real text"


def test_text_after_a_dropped_element_is_kept() -> None:
    assert html_to_text("<p>Before <img src=x alt=noise> after</p>") == "Before after"


def test_broken_markup_is_read_anyway() -> None:
    assert html_to_text("<p>Unclosed <b>bold <i>italic<p>Next</div></span>") == (
        "Unclosed bold italic\n\nNext"
    )


def test_full_html_document_keeps_only_body_text() -> None:
    html = (
        "<!DOCTYPE html><html><head><title>Page title</title>"
        "<meta charset='utf-8'></head><body><p>Body text.</p></body></html>"
    )
    assert html_to_text(html) == "Body text."


@pytest.mark.parametrize("empty", ["", "   ", "\n\n", "<p></p>", "<!-- nothing -->", "<br><br>"])
def test_empty_input_gives_empty_text(empty: str) -> None:
    assert html_to_text(empty) == ""


# --- entities --------------------------------------------------------------------------------


def test_entities_are_decoded() -> None:
    html = (
        "<p>Fish &amp; chips &lt;3 &quot;quoted&quot; it&#8217;s 5&#x2009;km "
        "&mdash; caf&eacute;</p>"
    )
    assert html_to_text(html) == 'Fish & chips <3 "quoted" it’s 5 km — café'


def test_double_escaped_entities_are_decoded() -> None:
    assert html_to_text("<p>Tom &amp;amp; Jerry&amp;#8217;s show</p>") == "Tom & Jerry’s show"
    assert html_to_text("Tom &amp;amp; Jerry") == "Tom & Jerry"


def test_double_escaped_markup_is_parsed_as_markup() -> None:
    html = "&lt;p&gt;First &amp;amp; foremost.&lt;/p&gt;&lt;p&gt;Second.&lt;/p&gt;"
    assert html_to_text(html) == "First & foremost.\n\nSecond."


def test_ampersands_that_are_not_entities_are_left_alone() -> None:
    text = "AT&T and R&D; see example.test/?a=1&copy=2&not=3"
    assert html_to_text(text) == text
    escaped = text.replace("&", "&amp;")  # in real HTML a bare "&copy" means ©, as in browsers
    assert html_to_text(f"<p>{escaped}</p>") == text


# --- plain text ------------------------------------------------------------------------------


def test_plain_text_passes_through_unchanged() -> None:
    text = "The council met on Monday.\n\nIt voted 7-2 for the new bus line, 3 < 4 > 2."
    assert html_to_text(text) == text


def test_plain_text_line_breaks_inside_a_paragraph_become_spaces() -> None:
    assert html_to_text("A hard-wrapped\nparagraph.\n\nNext one.") == (
        "A hard-wrapped paragraph.\n\nNext one."
    )


def test_plain_text_mode_never_strips_tag_like_text() -> None:
    text = "How to use the <b> element."
    assert html_to_text(text, markup=False) == text
    assert html_to_text(text) == "How to use the element."


# --- boilerplate -----------------------------------------------------------------------------


BODY = "<p>The council approved the budget on Tuesday.</p><p>It takes effect in May.</p>"
CLEAN_BODY = "The council approved the budget on Tuesday.\n\nIt takes effect in May."


@pytest.mark.parametrize(
    "tail",
    [
        '<p>The post <a href="https://blog.example.test/p/1">Budget approved</a> appeared first'
        ' on <a href="https://blog.example.test/">Example Blog</a>.</p>',
        '<p><a href="https://example.test/more">Read more</a></p>',
        '<p><a href="https://example.test/more">Read more »</a></p>',
        '<p><a class="more-link" href="https://example.test/p">Continue reading <span>'
        "“Budget approved”</span> &#8594;</a></p>",
        "<p>Continue reading…</p>",
        "<p>[&#8230;]</p>",
        "<p>Share this:</p><p>Twitter</p><p>Facebook</p><p>Email</p>",
        '<div class="sharedaddy"><h3>Share this:</h3><ul><li><a>Twitter</a></li></ul></div>',
        "<p>Click to share on Twitter (Opens in new window)</p>"
        "<p>Click to email a link to a friend (Opens in new window)</p>",
        "<p>Like this:</p><p>Like Loading...</p>",
        "<h3>Related</h3><p>Council delays budget vote</p><p>Mayor presents draft budget</p>",
        "<p>Related posts:</p><ul><li>Council delays budget vote</li></ul>",
        '<div class="feedflare"><a href="http://feeds.feedburner.example/~ff/x">'
        '<img src="http://feeds.feedburner.example/~ff/x?d=1"></a></div>'
        '<img src="http://feeds.feedburner.example/~r/x/~4/abc" height="1" width="1"/>',
        "<p>Subscribe to our newsletter for daily updates</p>",
        "<p>Subscribe via RSS</p>",
        "<p>Learn more</p>",
        "<p>Advertisement</p>",
    ],
)
def test_boilerplate_tails_are_removed(tail: str) -> None:
    assert html_to_text(BODY + tail) == CLEAN_BODY


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>A teaser that stops here [&#8230;]</p>", "A teaser that stops here"),
        ("<p>A teaser that stops here [...]</p>", "A teaser that stops here"),
        ("<p>It ends well. <a href='/p'>Read more</a></p>", "It ends well."),
        ("<p>It ends well… Read more »</p>", "It ends well…"),
        ("<p>It ends well. Continue reading →</p>", "It ends well."),
        (
            "<p>It ends well. The post Budget approved appeared first on Example Blog.</p>",
            "It ends well.",
        ),
    ],
)
def test_boilerplate_at_the_end_of_a_paragraph_is_trimmed(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "I want to read more",
        "Readers asked us to read more of the report aloud, and we did so on Tuesday.",
        "The post office on Main Street reopened on Monday after repairs.",
        "Subscribers to the service will see the price rise in March.",
        "He said the plan “would cut [...] waiting times” for most patients.",
        "Related companies were also fined by the regulator.",
        "Share prices fell sharply on Friday.",
        "More than 90 residents signed up to speak.",
    ],
)
def test_real_sentences_are_kept(sentence: str) -> None:
    assert html_to_text(f"<p>{sentence}</p>") == sentence
    assert html_to_text(sentence) == sentence


def test_long_paragraphs_after_a_related_heading_are_kept() -> None:
    long_paragraph = (
        "Related to the vote, the council also agreed to review parking fees across the city "
        "centre next year, after a petition signed by more than 3,000 residents."
    )
    html = f"{BODY}<h3>Related</h3><p>{long_paragraph}</p>"
    assert html_to_text(html) == f"{CLEAN_BODY}\n\n{long_paragraph}"


# --- titles ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<b>Slack</b> Stock Has a Compelling Story", "Slack Stock Has a Compelling Story"),
        ("Report on Automotive <b>Slack</b> Market ...", "Report on Automotive Slack Market ..."),
        ("Fish &amp; Chips &#8211; a history", "Fish & Chips – a history"),
        ("AT&amp;amp;T &amp;amp; Verizon", "AT&T & Verizon"),
        ("  A title\n  over two lines  ", "A title over two lines"),
        ("<p>Para</p><p>title</p>", "Para title"),
        ("Related", "Related"),
        ("Read more", "Read more"),
        ("", ""),
    ],
)
def test_clean_title(raw: str, expected: str) -> None:
    assert clean_title(raw) == expected


def test_clean_title_plain_text_keeps_tag_like_text() -> None:
    assert clean_title("Using the <div> element &amp; more", markup=False) == (
        "Using the <div> element & more"
    )


# --- feed items from real publishing platforms -------------------------------------------------

ITEMS = FIXTURES / "items"


@pytest.mark.parametrize(
    "name",
    [
        "wordpress_jetpack_yoast",  # wp-caption, Jetpack share/like/related, Yoast backlink
        "wordpress_german",  # "Foto:", "Lesen Sie auch:", "Weiterlesen", "Der Beitrag … erschien"
        "substack_post",  # image caption, Subscribe/Share/Leave a comment, "Thanks for reading"
        "medium_post",  # Unsplash caption, tracking pixel, "… was originally published in …"
        "news_site",  # credits, "Read more:"/"Related:", aside, newsletter, share bar, ads
    ],
)
def test_platform_items_clean_to_their_article_text(name: str) -> None:
    html = (ITEMS / f"{name}.html").read_text(encoding="utf-8")
    expected = (ITEMS / f"{name}.expected.txt").read_text(encoding="utf-8").strip()
    assert html_to_text(html) == expected


@pytest.mark.parametrize(
    "tail",
    [
        "<p>L’article <a href='https://blog.example.test/p/1'>Budget adopté</a> est apparu en"
        " premier sur <a href='https://blog.example.test/'>Le Blog</a>.</p>",
        "<p>La entrada <a href='https://blog.example.test/p/1'>Presupuesto aprobado</a> se publicó"
        " primero en <a href='https://blog.example.test/'>El Blog</a>.</p>",
        "<p>O post <a href='https://blog.example.test/p/1'>Orçamento aprovado</a> apareceu"
        " primeiro em <a href='https://blog.example.test/'>O Blog</a>.</p>",
        "<p>Сообщение <a href='https://blog.example.test/p/1'>Бюджет принят</a> появились сначала"
        " на <a href='https://blog.example.test/'>Блог</a>.</p>",
        "<p>The post U.S. economy grows 3% appeared first on Town News.</p>",
        "<p>Lire la suite</p>",
        "<p>Seguir leyendo</p>",
        "<p>Читать далее</p>",
        "<p>Lire aussi : Le conseil reporte le vote</p>",
        "<p>Lee también: El pleno aplaza la votación</p>",
        "<p>Читайте также: Совет отложил голосование</p>",
        "<p>Photograph: Kin Cheung/AP</p>",
        "<p>Image credit: City Council</p>",
        "<p>Image copyright Getty Images</p>",
        "<p>Photo by Lena Park on Unsplash</p>",
        "<p>(Getty Images)</p>",
        "<p>AFP via Getty Images</p>",
        "<p>Courtesy of the artist</p>",
        "<aside><p>Pull quote: the budget takes effect in May.</p></aside>",
        "<p>Share on Facebook</p><p>Share on X</p>",
        "<p>Tweet</p>",
        "<p>Facebook · Twitter · LinkedIn · WhatsApp</p>",
        "<p>Share</p><p>Leave a comment</p>",
        "<p>Thanks for reading Budget Watch! Subscribe for free to receive new posts and"
        " support my work.</p>",
        "<p>Sign up for our newsletter</p>",
        "<p>Sign up to the Morning Briefing email for the day's top stories</p>",
        "<p>Abonnieren Sie unseren kostenlosen Newsletter</p>",
        "<p>Anzeige</p>",
        "<h3>Lesen Sie auch</h3><p>Rat vertagt Abstimmung</p><p>Bürgermeister legt Entwurf vor</p>",
        "<p>Related: Council delays budget vote</p>",
        "<p>READ MORE: Council delays budget vote</p>",
        "<hr><p><a href='https://medium.example/p/1'>Budget approved</a> was originally published"
        " in <a href='https://medium.example/pub'>Civic Tech</a> on Medium, where people are"
        " continuing the conversation by highlighting and responding to this story.</p>",
        '<p class="button-wrapper" data-component-name="ButtonCreateButton"><a class="button'
        ' primary" href="https://x.substack.example/subscribe?"><span>Subscribe now</span></a></p>',
        '<div data-component-name="SubscribeWidgetToDOM"><p>Type your email…</p></div>',
        '<div class="wp-caption"><p>The council chamber on Tuesday.</p></div>',
    ],
)
def test_more_boilerplate_tails_are_removed(tail: str) -> None:
    assert html_to_text(BODY + tail) == CLEAN_BODY


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>Il a conclu. Lire la suite »</p>", "Il a conclu."),
        ("<p>Es endet gut. Weiterlesen →</p>", "Es endet gut."),
        (
            "<p>Es endet gut. Der Beitrag Haushalt erschien zuerst auf Stadtblog.</p>",
            "Es endet gut.",
        ),
        (
            "<p>Protesters gather outside the court. (AP Photo/Vincent Thian)</p>",
            "Protesters gather outside the court.",
        ),
        (
            "<p>The post office reopened on Monday. The post Post office reopens appeared first on"
            " Town News.</p>",
            "The post office reopened on Monday.",
        ),
    ],
)
def test_more_boilerplate_at_the_end_of_a_paragraph_is_trimmed(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


@pytest.mark.parametrize(
    "sentence",
    [
        "The photo agency Getty Images said on Monday that it would cut 300 jobs.",
        "Photo booths are back in fashion, retailers say.",
        "Pictures by the award-winning photographer will be exhibited from May.",
        "Image quality has improved a lot, the company said.",
        "Tweet by tweet, the campaign unravelled over the weekend.",
        "X said it would appeal against the ruling.",
        "Email records show that the minister knew about the problem in March.",
        "Print advertising revenue fell by 5% last year.",
        "Sign up opened on Monday for the city marathon, which takes place in October.",
        "Thanks for reading the report so carefully, the judge told the lawyers.",
        "This article was originally published in German.",
        "The EPA said on Tuesday that it would review the rules (EPA documents show the plan"
        " dates from 2019).",
        "Lesen Sie auch die Stellungnahme des Ministeriums, die am Montag veröffentlicht wurde.",
        "Der Beitrag der Stadt zum Haushalt erschien zuerst auf der Tagesordnung.",
        "Lire la suite du rapport prendra du temps, a reconnu le ministre.",
        "Continue reading the judgment before you decide, the judge told the jury.",
        "Related to the vote, residents asked for a second public meeting.",
        "Subscription numbers rose by a third, the publisher said.",
    ],
)
def test_sentences_that_merely_mention_the_words_are_kept(sentence: str) -> None:
    assert html_to_text(f"<p>{sentence}</p><p>The council met again on Friday.</p>") == (
        f"{sentence}\n\nThe council met again on Friday."
    )


def test_a_footer_in_the_middle_of_an_item_is_text_not_a_footer() -> None:
    middle = "Der Beitrag der Stadt zum Haushalt erschien zuerst auf der Tagesordnung im Mai."
    html = f"<p>{middle}</p><p>Die Sitzung ist öffentlich.</p>"
    assert html_to_text(html) == f"{middle}\n\nDie Sitzung ist öffentlich."


# --- a "Related" marker in the middle of an item ---------------------------------------------

# A short article: every paragraph is well under the 120 characters a link line may have.
SHORT_PROSE = [
    "Police closed the bridge on Monday.",
    "Divers searched the river until dark.",
    "The mayor thanked the volunteers.",
    "The bridge reopens on Friday.",
]


@pytest.mark.parametrize("marker", ["<h3>Related</h3>", "<p>Also read</p>", "<p>See also:</p>"])
def test_short_prose_after_a_mid_article_related_marker_is_kept(marker: str) -> None:
    prose = "".join(f"<p>{p}</p>" for p in SHORT_PROSE)
    html = f"{BODY}{marker}{prose}"
    assert html_to_text(html) == "\n\n".join([CLEAN_BODY, *SHORT_PROSE])


def test_short_prose_after_a_related_line_in_plain_text_is_kept() -> None:
    text = "\n\n".join(["The council approved the budget on Tuesday.", "Also read", *SHORT_PROSE])
    assert html_to_text(text, markup=False) == "\n\n".join(
        ["The council approved the budget on Tuesday.", *SHORT_PROSE]
    )


def test_a_long_list_of_related_links_at_the_end_is_removed() -> None:
    # Linked headlines are a link list however many there are and however they end.
    headlines = [f"Council meeting number {n} ends early." for n in range(1, 9)]
    links = "".join(
        f'<li><a href="https://news.example/{n}">{h}</a></li>' for n, h in enumerate(headlines)
    )
    assert html_to_text(f"{BODY}<h3>Related</h3><ul>{links}</ul>") == CLEAN_BODY
    assert html_to_text(f"{BODY}<p>Related:</p><p>{'</p><p>'.join(headlines)}</p>") == (
        "\n\n".join([CLEAN_BODY, *headlines])
    )


def test_related_links_with_a_short_label_are_still_a_link_list() -> None:
    tail = (
        "<h3>Related</h3>"
        '<p>Video: <a href="https://news.example/a">Divers search the river at night</a></p>'
        '<p><a href="https://news.example/b">Bridge closures across the region</a> (2 min)</p>'
    )
    assert html_to_text(BODY + tail) == CLEAN_BODY


def test_prose_with_a_link_in_it_is_not_a_link_line() -> None:
    prose = '<p>The <a href="https://city.example">city council</a> met again on Friday.</p>'
    assert html_to_text(f"{BODY}<h3>Related</h3>{prose}") == (
        f"{CLEAN_BODY}\n\nThe city council met again on Friday."
    )
