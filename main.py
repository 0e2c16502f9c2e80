"""newsdigest command line: run the bot, try it locally, or use its pieces one-shot.

python main.py                 run the configured platforms (Telegram, Discord)
python main.py run --role R    one role of a distributed bot: gateway or worker (PostgreSQL)
python main.py demo            digest of the bundled sample feed: no tokens, no network
python main.py console         chat with the bot in this terminal
python main.py digest SRC...   one-shot digest of feed files or URLs to stdout
python main.py summarise ...   summarise text (or a JSONL file of articles)
python main.py check-config    show the effective settings, secrets masked
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from config.settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from bot.news.summarise import Summariser

SAMPLE_FEED = Path(__file__).resolve().parent / "config" / "sample-feed.xml"
MAX_SENTENCES = 10  # as NEWSDIGEST_SUMMARY_SENTENCES


def no_platform_help() -> str:
    """What to do when no chat platform is configured, from the platform registry."""
    from bot.platforms.registry import PLATFORMS

    tokens = "\n".join(f"  {spec.how_to_enable}" for spec in PLATFORMS)
    return f"""\
No chat platform is configured, so there is nothing to run.

To connect the bot, set a token (in the environment, in .env, or in a TOML file
named by NEWSDIGEST_CONFIG; see config/example.env):
{tokens}

To try the bot without any token:
  python main.py demo      a digest of the bundled sample feed
  python main.py console   chat with the bot in this terminal
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="main.py", description="newsdigest: news feeds in, summarised digests out."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the configured platforms (the default)")
    run.add_argument(
        "--role",
        choices=("all", "gateway", "worker"),
        default="all",
        help="all: one process (default); gateway: platforms and sending; worker: "
        "polling and composing (gateway and worker need PostgreSQL)",
    )
    sub.add_parser("demo", help="print a digest of the bundled sample feed (offline)")
    console = sub.add_parser("console", help="chat with the bot in this terminal")
    console.add_argument(
        "--language",
        default=None,
        help="your language, e.g. de, es, ru, zh (default: from LC_ALL / LANG)",
    )
    digest = sub.add_parser("digest", help="one-shot digest of feed files or URLs")
    digest.add_argument("sources", nargs="+", metavar="URL_OR_FILE")
    summarise = sub.add_parser("summarise", aliases=["summarize"], help="summarise text")
    summarise.add_argument("file", nargs="?", default="-", help="text file, or - for stdin")
    summarise.add_argument("--sentences", type=int, default=None, help="sentences to keep")
    summarise.add_argument("--algorithm", default=None, help="sumy algorithm name")
    summarise.add_argument("--language", default=None, help="language, e.g. en, de, french")
    summarise.add_argument(
        "--jsonl", metavar="IN", help='read {"id","article"} lines, write {"id","summary"} lines'
    )
    sub.add_parser("check-config", help="print the effective settings (secrets masked)")
    sub.add_parser("status", help="feeds, failing feeds, pending deliveries, next digests")
    sub.add_parser("prune", help="forget now what no chat can be shown any more (see README)")
    return parser


def configure_logging(settings: Settings | None, verbose: bool, *, quiet: bool = False) -> None:
    """One-shot commands and the console keep stderr quiet (warnings only) unless asked."""
    from bot.app.logs import configure_logging as configure

    level = "DEBUG" if verbose else (settings.log_level if settings else "INFO")
    if quiet and not verbose:
        level = "WARNING"
    configure(
        settings, level=level, json_lines=settings is not None and settings.log_format == "json"
    )


def load_checked_settings() -> Settings:
    """Settings from every source, with the choices only the bot knows checked too."""
    from bot.app.wiring import check_choices

    settings = load_settings()
    check_choices(settings)
    return settings


def cmd_check_config() -> int:
    try:
        settings = load_checked_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 1
    width = max(len(name) for name in settings.masked())
    for name, value in settings.masked().items():
        print(f"{name.ljust(width)}  {value}")
    print("configuration OK")
    return 0


async def cmd_digest(settings: Settings, sources: list[str]) -> int:
    from bot.app.oneshot import one_shot_digest
    from bot.feeds.ingest import NotAFeedError
    from bot.news.fetch import FetchError
    from bot.news.parse import FeedParseError
    from bot.platforms.console.render import render_digest_text

    try:
        digest = await one_shot_digest(sources, settings)
    except (FetchError, FeedParseError, NotAFeedError, OSError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    if digest is None:
        print("No stories found.")
        return 0
    print(render_digest_text(digest))
    return 0


async def cmd_console(settings: Settings, language: str | None = None) -> int:
    from bot.app.wiring import open_app
    from bot.platforms.console.adapter import ConsolePlatform, environment_locale

    async with open_app(settings) as app:
        console = ConsolePlatform(
            app.registry,
            app.services,
            stdin=sys.stdin,
            stdout=sys.stdout,
            interactive=sys.stdin.isatty(),
            locale=language or environment_locale(),
        )
        await console.run()
    return 0


class UsageError(Exception):
    """Bad input to a one-shot command: printed as one line, exit status 2."""


def cmd_summarise(args: argparse.Namespace, settings: Settings) -> int:
    from bot.news.summarise import (
        DEFAULT_ALGORITHM,
        Summariser,
        UnknownAlgorithmError,
        cap_characters,
    )

    try:
        _check_summarise_args(args)
        summariser = Summariser(
            algorithm=args.algorithm or settings.summary_algorithm or DEFAULT_ALGORITHM,
            sentences=args.sentences or settings.summary_sentences,
        )
        if args.jsonl:
            return _summarise_jsonl(
                summariser, args.jsonl, args.language, settings.summary_max_chars
            )
        text = _read_text(args.file)
        summary = summariser.summarise(text, language=args.language)
        for sentence in cap_characters(summary, settings.summary_max_chars):
            print(sentence)
    except (UsageError, UnknownAlgorithmError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"Error: {exc.strerror or exc}: {exc.filename or args.file}", file=sys.stderr)
        return 1
    return 0


def _check_summarise_args(args: argparse.Namespace) -> None:
    """Refuse what would otherwise be ignored or crash: a count out of range, a language
    the summariser does not know."""
    from bot.news.language import summary_language

    if args.sentences is not None and not 1 <= args.sentences <= MAX_SENTENCES:
        raise UsageError(f"--sentences must be between 1 and {MAX_SENTENCES}, not {args.sentences}")
    if args.language is not None and summary_language(args.language) is None:
        raise UsageError(
            f"--language {args.language!r} is not a language the summariser knows; "
            "give an ISO code (de, fr, pt-BR) or an English name (german)"
        )


def _read_text(path: str) -> str:
    """The text to summarise, from a file or stdin; a binary file is a usage error."""
    data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text (is it a binary file?)") from None


def _summarise_jsonl(
    summariser: Summariser, path: str, language: str | None, max_chars: int
) -> int:
    """One summary per line of the input, capped as the bot caps them."""
    from bot.news.summarise import cap_characters

    source = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    with source:
        try:
            for number, line in enumerate(source, start=1):
                if not line.strip():
                    continue
                article_id, article = _jsonl_record(line, number)
                summary = summariser.summarise(article, language=language)
                summary = cap_characters(summary, max_chars)
                record = {"id": article_id, "summary": "\n".join(summary)}
                print(json.dumps(record, ensure_ascii=False))
        except UnicodeDecodeError:
            raise UsageError(f"{path} is not UTF-8 text (is it a binary file?)") from None
    return 0


def _jsonl_record(line: str, number: int) -> tuple[object, str]:
    """(id, article) of one line; anything else is a usage error naming the line."""
    expected = 'expected {"id": …, "article": "<text>"}'
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f"line {number}: not JSON ({exc.msg}); {expected}") from None
    if not isinstance(record, dict) or "id" not in record or "article" not in record:
        raise UsageError(f"line {number}: {expected}")
    if not isinstance(record["article"], str):
        kind = type(record["article"]).__name__
        raise UsageError(f'line {number}: "article" must be text, not {kind}')
    return record["id"], record["article"]


async def cmd_status(settings: Settings) -> int:
    from bot.app.status import status_report
    from bot.app.wiring import utc_now
    from bot.store.repository import Store

    store = await Store.open(settings.database_url)
    try:
        print(await status_report(store, now=utc_now(), default_timezone=settings.default_timezone))
    finally:
        await store.close()
    return 0


async def cmd_prune(settings: Settings) -> int:
    """What the running bot does every few hours, on demand (e.g. before a backup)."""
    from bot.app.wiring import retention_policy, utc_now
    from bot.store.repository import Store

    store = await Store.open(settings.database_url)
    try:
        report = await store.prune(retention_policy(settings), now=utc_now())
    finally:
        await store.close()
    print(f"removed {report.describe()}")
    return 0


def role_needs_postgresql(role: str, database_url: str) -> str | None:
    """Why ``role`` cannot run on this database (one line), or None: the distributed
    roles share work through a job queue that lives in PostgreSQL."""
    if role == "all" or database_url.startswith("postgresql"):
        return None
    return (
        f"--role {role} needs PostgreSQL (DATABASE_URL=postgresql://...), where the job "
        "queue lives; on SQLite run the single process: python main.py run"
    )


async def cmd_run(settings: Settings, role: str = "all") -> int:
    from bot.platforms.registry import configured_platforms

    problem = role_needs_postgresql(role, settings.database_url)
    if problem is not None:
        print(f"Error: {problem}", file=sys.stderr)
        return 2
    if not configured_platforms(settings):
        print(no_platform_help(), file=sys.stderr)
        return 2
    from bot.app.runner import run_role
    from bot.platforms.base import PlatformStartError
    from bot.store.deployment import DeploymentConflictError

    try:
        return await run_role(settings, role)
    except DeploymentConflictError as exc:  # the roles and --role all on one database
        print(f"Error: {exc}", file=sys.stderr)
        return 2
    except PlatformStartError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "run"
    if command == "check-config":
        return cmd_check_config()
    try:
        settings = load_checked_settings()
    except ConfigError as exc:
        print(f"Configuration error: {exc}", file=sys.stderr)
        return 1
    # The console is a chat: the bot's INFO lines would land between its answers.
    quiet = command in ("demo", "digest", "summarise", "summarize", "console")
    configure_logging(settings, args.verbose, quiet=quiet)
    if command in ("summarise", "summarize"):
        return cmd_summarise(args, settings)
    if command == "demo":
        return asyncio.run(cmd_digest(settings, [str(SAMPLE_FEED)]))
    if command == "digest":
        return asyncio.run(cmd_digest(settings, args.sources))
    if command == "status":
        return asyncio.run(cmd_status(settings))
    if command == "prune":
        return asyncio.run(cmd_prune(settings))
    if command == "console":
        return asyncio.run(cmd_console(settings, getattr(args, "language", None)))
    return asyncio.run(cmd_run(settings, getattr(args, "role", "all")))


if __name__ == "__main__":
    sys.exit(main())
