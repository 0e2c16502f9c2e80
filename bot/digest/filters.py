"""Keyword and regular-expression filters: which unseen stories a chat wants to see.

Pure: rules in, a yes/no per article out; no database, no network, no clock. The digest
composer applies them, the /filter command validates what users type with the same code,
so a rule that was accepted can always be evaluated.

Rules a user can write (case-insensitive, matched against title, summary and text):

- words: ``rust python`` matches a story that contains *any* of the words as whole words
  ("rust" matches "Rust 1.80" but not "trust");
- phrases: ``"machine learning"`` matches those words next to each other;
  words and phrases mix: ``rust "machine learning"``;
- regular expressions: ``/\\bAI\\b/`` (between slashes), at most ``MAX_PATTERN_LENGTH``
  characters.

A story is shown when no exclude rule matches it and, if any include rule applies to it,
at least one include rule matches. Chat-wide rules apply to every story, per-subscription
rules only to the stories of that subscription.

Why the ``regex`` package and not ``re``: users type the patterns, and a pattern such as
``(a+)+$`` backtracks for minutes on a long line. ``regex`` takes a ``timeout`` per match;
a rule whose match runs out of time is logged once and not tried again for the rest of the
digest, so one bad pattern costs at most ``MATCH_TIMEOUT_SECONDS`` per digest instead of
hanging the bot.

A rule that timed out (or was skipped since) has no answer, and filtering *fails open*:
hidden stories are marked as read and never come back, so a missing answer must never hide
a story. An exclude rule without an answer does not exclude; an include rule without an
answer lets the story through unless an exclude rule matches it. A slow include rule
therefore shows every story it applies to, for the rest of that digest.

Compiling is bounded too: ``regex`` unrolls counted repeats, and nesting multiplies them
(``(((a{100}){100}){100}){100}`` is a hundred million copies), so a pattern whose unrolled
size (``bot.digest.pattern_cost.expansion_size``) exceeds ``MAX_EXPANSION`` is refused. The largest
accepted pattern compiles in milliseconds, so /filter compiles on the event loop.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import regex

from bot.digest.pattern_cost import VerbosePatternError, expansion_size
from bot.i18n import _
from bot.models import FilterRule, StoredArticle

log = logging.getLogger(__name__)

INCLUDE = "include"
EXCLUDE = "exclude"
KINDS = (INCLUDE, EXCLUDE)

MAX_PATTERN_LENGTH = 200
MAX_REPEAT = 100  # {n} / {n,m} counts: huge ones make compiling slow and memory-hungry
MAX_EXPANSION = 1000  # nodes once nested counted repeats are unrolled (see pattern_cost)
MATCH_TIMEOUT_SECONDS = 0.05
MAX_RULES_PER_CHAT = 50

FLAGS = regex.IGNORECASE
# Typographic quotes that phone keyboards substitute for "…".
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})
_TERM = regex.compile(r'"([^"]*)"|(\S+)')
_REPEAT = regex.compile(r"(?<!\\)\{(\d*),?(\d*)\}")


class FilterError(ValueError):
    """A rule a user typed that cannot be used; the message says what to change."""


def parse_rule_text(text: str) -> tuple[str, bool]:
    """What a user typed after ``include``/``exclude`` → (stored pattern, is_regex).

    Word rules are normalised (single spaces, phrases re-quoted) so the stored pattern
    reads back exactly as the rule behaves. Raises FilterError with a fix-it message.
    """
    text = text.strip().translate(_QUOTES)
    if not text:
        raise FilterError(_('Say what to match: words, a "quoted phrase" or a /regex/.'))
    if len(text) >= 2 and text.startswith("/") and text.endswith("/"):
        pattern = text[1:-1]
        compile_pattern(pattern, is_regex=True)
        return pattern, True
    terms = _terms(text)
    pattern = " ".join(f'"{term}"' if " " in term else term for term in terms)
    compile_pattern(pattern, is_regex=False)
    return pattern, False


def _terms(text: str) -> list[str]:
    if text.count('"') % 2:
        raise FilterError(_('A quote is not closed: write phrases as "like this".'))
    terms = []
    for match in _TERM.finditer(text):
        phrase, word = match.group(1), match.group(2)
        term = " ".join((phrase if phrase is not None else word).split())
        if term:
            terms.append(term)
    if not terms:
        raise FilterError(_('The phrase is empty: write it as "some words".'))
    return list(dict.fromkeys(term.lower() for term in terms))


def compile_pattern(pattern: str, *, is_regex: bool) -> regex.Pattern[str]:
    """The compiled matcher of a stored rule; FilterError when it cannot be used."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise FilterError(
            _("That rule is {length} characters long; the limit is {limit}.").format(
                length=len(pattern), limit=MAX_PATTERN_LENGTH
            )
        )
    if not is_regex:
        return regex.compile("|".join(_whole_words(term) for term in _terms(pattern)), FLAGS)
    if not pattern:
        raise FilterError(_("The regular expression is empty: write it as /pattern/."))
    for low, high in _REPEAT.findall(pattern):
        if max(int(low or 0), int(high or 0)) > MAX_REPEAT:
            raise FilterError(
                _("Repeat counts above {limit} are not allowed.").format(
                    limit="{" + str(MAX_REPEAT) + "}"
                )
            )
    try:
        size = expansion_size(pattern)
    except VerbosePatternError as exc:
        raise FilterError(
            _("That regular expression cannot be used: {error}.").format(error=exc)
        ) from None
    if size > MAX_EXPANSION:
        raise FilterError(
            _(
                "That regular expression repeats too much: its counted repeats multiply out to "
                "about {size} pieces, the limit is {limit}. Use fewer or smaller "
                "{counts} counts inside repeated groups, or * and + instead."
            ).format(size=size, limit=MAX_EXPANSION, counts="{n}")
        )
    try:
        return regex.compile(pattern, FLAGS)
    except (regex.error, OverflowError, RecursionError) as exc:
        raise FilterError(
            _("That regular expression is not valid: {error}.").format(error=exc)
        ) from None


def _whole_words(term: str) -> str:
    """A term as a pattern that matches it only between non-word characters.

    ``\b`` where the term starts or ends with a word character (the same meaning there, and
    about twice as fast to search), a lookaround where it does not ("c++", "#rust").
    """
    body = r"\s+".join(regex.escape(word) for word in term.split())
    head = r"\b" if regex.match(r"\w", term) else r"(?<!\w)"
    tail = r"\b" if regex.search(r"\w$", term) else r"(?!\w)"
    return f"{head}{body}{tail}"


def article_text(article: StoredArticle) -> str:
    """Everything a rule looks at: title, summary and the article's text."""
    return "\n".join([article.title, *article.summary, article.text])


@dataclass(slots=True)
class _Compiled:
    rule: FilterRule
    matcher: regex.Pattern[str]
    tripped: bool = False  # timed out once in this pass: has no answer from now on


class ArticleFilter:
    """Decides, for one digest, which articles pass a chat's rules.

    Build one per digest: the "timed out, skip this rule" memory lasts exactly one pass.
    Stored rules that no longer compile (a limit was lowered) are ignored and logged.
    """

    def __init__(
        self, rules: Iterable[FilterRule], *, timeout: float = MATCH_TIMEOUT_SECONDS
    ) -> None:
        self.timeout = timeout
        self._rules: list[_Compiled] = []
        for rule in rules:
            try:
                matcher = compile_pattern(rule.pattern, is_regex=rule.is_regex)
            except FilterError as exc:
                log.warning("filter %d ignored (%s): %s", rule.id, rule.describe(), exc)
                continue
            self._rules.append(_Compiled(rule, matcher))

    def __bool__(self) -> bool:
        return bool(self._rules)

    def applies_to(self, subscription_id: int | None) -> bool:
        """Whether any rule looks at the stories of this subscription: those need their
        text read to be judged; the others are shown whatever they say."""
        return any(c.rule.subscription_id in (None, subscription_id) for c in self._rules)

    def allows(self, article: StoredArticle) -> bool:
        applicable = [
            compiled
            for compiled in self._rules
            if compiled.rule.subscription_id in (None, article.subscription_id)
        ]
        if not applicable:
            return True
        text = article_text(article)
        includes = [c for c in applicable if c.rule.kind == INCLUDE]
        excludes = [c for c in applicable if c.rule.kind == EXCLUDE]
        # An exclude rule without an answer (None) does not exclude: fail open.
        if any(self._matches(c, text) is True for c in excludes):
            return False
        if not includes:
            return True
        unanswered = False
        for compiled in includes:
            matched = self._matches(compiled, text)
            if matched:
                return True
            unanswered = unanswered or matched is None
        # No include rule matched: hide the story only if every one of them answered "no".
        return unanswered

    def split(
        self, articles: Sequence[StoredArticle]
    ) -> tuple[list[StoredArticle], list[StoredArticle]]:
        """(shown, hidden), each in the order given."""
        shown: list[StoredArticle] = []
        hidden: list[StoredArticle] = []
        for article in articles:
            (shown if self.allows(article) else hidden).append(article)
        return shown, hidden

    def _matches(self, compiled: _Compiled, text: str) -> bool | None:
        """Whether the rule matches; None when it has no answer (timed out, now or before)."""
        if compiled.tripped:
            return None
        try:
            return compiled.matcher.search(text, concurrent=True, timeout=self.timeout) is not None
        except TimeoutError:
            compiled.tripped = True
            log.warning(
                "filter %d (%s) took longer than %.0f ms and is skipped for the rest of this "
                "digest; the stories it applies to are not hidden because of it",
                compiled.rule.id,
                compiled.rule.describe(),
                self.timeout * 1000,
            )
            return None
