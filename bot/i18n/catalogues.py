"""Keep the translations in step with the code: ``python -m bot.i18n.catalogues update|check``.

``update`` extracts every message marked with ``_()``, ``N_()`` or ``ngettext()`` from
bot/, handlers/ and main.py into the template (``locales/newsdigest.pot``) and merges it
into each language's ``.po`` file: new messages appear there untranslated, removed ones
are dropped. A translator fills in the ``msgstr`` lines and runs ``check``.

``check`` (also run by the test suite, so CI enforces it) fails when the committed
template is stale, when a catalogue lacks a translation (or has a fuzzy one), when a
catalogue does not compile, or when a translation's placeholders (``{name}``,
``%(name)s``) differ from its message's.

Why no ``.mo`` files are committed: compiled binaries go stale silently when someone
edits a ``.po`` and forgets to compile, and they make merges of translations
unreadable. The ``.po`` files are small; bot.i18n compiles each in memory the first time
its language is used (milliseconds).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from bot.i18n import DOMAIN, LANGUAGES, LOCALES_DIR, SOURCE_LANGUAGE

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("bot", "handlers")
SCRIPTS = ("main.py",)
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
PROJECT = "newsdigest"
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
_PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdrif]|\{[A-Za-z_]\w*(?:[!:][^{}]*)?\}")


def po_path(language: str, locales: Path = LOCALES_DIR) -> Path:
    return locales / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def translated_languages() -> list[str]:
    return [language for language in LANGUAGES if language != SOURCE_LANGUAGE]


def extract() -> Catalog:
    """Every marked message of the code, as a template (no line numbers: they churn)."""
    # A fixed date: a regenerated template differs only where the messages do.
    template = Catalog(
        project=PROJECT,
        domain=DOMAIN,
        fuzzy=False,
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
        copyright_holder="the newsdigest authors",
    )
    found: list[tuple[str, int, str | tuple[str, ...], str]] = []
    for folder in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / folder, keywords=KEYWORDS, comment_tags=(), strip_comment_tags=True
        ):
            found.append((f"{folder}/{filename}", lineno, message, ""))
    for script in SCRIPTS:
        for lineno, message, _comments, _context in extract_from_file(
            "python", ROOT / script, keywords=KEYWORDS
        ):
            found.append((script, lineno, message, ""))
    for filename, lineno, message, _ in found:
        if not message or (isinstance(message, tuple) and not all(message)):
            continue
        template.add(message, locations=[(filename, lineno)])
    return template


def _ids(catalog: Catalog) -> set[str]:
    """The messages of a catalogue, by their (singular) text."""
    return {_forms(message.id)[0] for message in catalog if message.id}


def _read(path: Path, locale: str | None = None) -> Catalog:
    """A catalogue; a syntax error raises (a lenient read would hide a broken file)."""
    with path.open("rb") as file:
        return read_po(file, locale=locale, domain=DOMAIN, abort_invalid=True)


def _write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        write_po(file, catalog, width=100, include_lineno=False, sort_output=True)


def update() -> None:
    """Write the template and merge it into every language's catalogue."""
    template = extract()
    _write(TEMPLATE, template)
    for language in translated_languages():
        path = po_path(language)
        if path.exists():
            catalog = _read(path, language)
        else:
            catalog = Catalog(
                locale=language,
                domain=DOMAIN,
                project=PROJECT,
                fuzzy=False,
                creation_date=FIXED_DATE,
                revision_date=FIXED_DATE,
                copyright_holder="the newsdigest authors",
            )
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.revision_date = FIXED_DATE
        _write(path, catalog)


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def _forms(value: object) -> tuple[str, ...]:
    """A message's id or string as its forms (one, or one per plural form)."""
    if isinstance(value, (tuple, list)):
        return tuple(str(form or "") for form in value)
    return (str(value or ""),)


def _message_problems(message: Message) -> Iterable[str]:
    """A message's own problems: untranslated, fuzzy, placeholders not the msgid's.

    Every form must use exactly the msgid's placeholders, except that a plural form other
    than the last may leave the count out (a language may write "one story").
    """
    ids = _forms(message.id)
    strings = _forms(message.string)
    label = repr(ids[0])
    if message.fuzzy:
        yield f"{label}: fuzzy (check the translation, then remove the fuzzy flag)"
    if not all(strings):
        yield f"{label}: not translated"
        return
    expected = set(_placeholders(ids[-1]))
    for index, form in enumerate(strings):
        got = set(_placeholders(form))
        may_omit = message.pluralizable and index < len(strings) - 1
        if got != expected and not (may_omit and got < expected):
            yield f"{label}: placeholders {sorted(got)} instead of {sorted(expected)}"


def check(locales: Path = LOCALES_DIR) -> list[str]:
    """Every problem of the committed template and catalogues (empty when all is well)."""
    problems: list[str] = []
    code = extract()
    template = locales / TEMPLATE.name
    if not template.exists():
        return [f"{template.name} is missing: run python -m bot.i18n.catalogues update"]
    committed = _read(template)
    if _ids(code) != _ids(committed):
        added = sorted(_ids(code) - _ids(committed))
        removed = sorted(_ids(committed) - _ids(code))
        problems.append(
            f"{template.name} is stale (run python -m bot.i18n.catalogues update): "
            f"new {added[:5]}, gone {removed[:5]}"
        )
    code_ids = _ids(code)
    for language in translated_languages():
        path = po_path(language, locales)
        if not path.exists():
            problems.append(f"{language}: {path.name} is missing")
            continue
        try:
            catalog = _read(path, language)
            write_mo(BytesIO(), catalog)
        except Exception as exc:
            problems.append(f"{language}: does not compile: {exc}")
            continue
        plurals = catalog.num_plurals
        for message in catalog:
            if not message.id:
                continue
            if _forms(message.id)[0] not in code_ids:
                continue
            if message.pluralizable and len(_forms(message.string)) != plurals:
                label = _forms(message.id)[0]
                problems.append(f"{language}: {label!r}: needs {plurals} plural forms")
            problems += [f"{language}: {p}" for p in _message_problems(message)]
        missing = code_ids - _ids(catalog)
        problems += [f"{language}: {m!r}: missing" for m in sorted(missing)]
    return problems


def main(argv: list[str]) -> int:
    if argv[1:] == ["update"]:
        update()
        print(f"Updated {TEMPLATE.relative_to(ROOT)} and {len(translated_languages())} catalogues.")
        return 0
    if argv[1:] == ["check"]:
        problems = check()
        for problem in problems:
            print(problem)
        print("Translations are complete." if not problems else f"{len(problems)} problem(s).")
        return 1 if problems else 0
    print("usage: python -m bot.i18n.catalogues update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
