"""/filter: keyword and regex rules that decide which new stories a chat's digests show.

Syntax (an optional subscription number first limits a rule to that feed):

    /filter [list]                        the rules, numbered
    /filter add include|exclude <rule>    chat-wide
    /filter <n> add include|exclude <rule>   only for subscription n of /list
    /filter remove <number>               a rule, by its number in /filter list

Matching itself lives in bot/digest/filters.py; the composer applies the rules, this module only
validates and stores them, so a rule that was accepted always evaluates.
"""

from __future__ import annotations

from bot.digest.filters import (
    KINDS,
    MAX_PATTERN_LENGTH,
    MAX_RULES_PER_CHAT,
    FilterError,
    parse_rule_text,
)
from bot.models import FilterRule, Subscription
from handlers.context import CommandContext
from handlers.lookup import parse_number
from handlers.model import Reply
from handlers.registry import ArgSpec, Changes, CommandRegistry, CommandSpec
from handlers.services import Services

SEMANTICS = (
    "A story is shown when no exclude rule matches it and, if include rules apply to it, "
    "at least one of them matches."
)
USAGE = (
    "/filter add exclude sport",
    '/filter add include rust "machine learning"',
    "/filter 3 add include /\\bAI\\b/",
    "/filter remove 2",
)
REMOVE_WORDS = frozenset({"remove", "delete", "rm", "del"})


def _action(args: tuple[str, ...]) -> tuple[str, list[str]]:
    """(the action, the words after it) of a /filter call, after any subscription number.

    "/filter exclude sport" is read as "/filter add exclude sport"; nothing is "list".
    """
    words = list(args)
    if words and parse_number(words[0]) is not None:
        words.pop(0)
    action = words.pop(0).lower() if words else "list"
    if action in KINDS:
        words.insert(0, action)
        action = "add"
    return action, words


def changes_filters(args: tuple[str, ...]) -> bool:
    """Adding or removing a rule is a change; listing (or a typo) is not."""
    action, _ = _action(args)
    return action == "add" or action in REMOVE_WORDS


async def filter_command(ctx: CommandContext) -> Reply:
    services, chat = ctx.services, ctx.chat
    subscription: Subscription | None = None
    subscriptions = await ctx.subscriptions()
    if ctx.args and parse_number(ctx.args[0]) is not None:
        subscription, complaint = await ctx.subscription(ctx.args[0])
        if subscription is None:
            return Reply.error(complaint or "No such subscription.")
    action, words = _action(ctx.args)
    if action == "list":
        return await _list(services, chat.pk, subscriptions, subscription)
    if action not in REMOVE_WORDS and action != "add":
        return Reply.error(f"/filter does not know {action!r}: use list, add or remove.", *USAGE)
    if action == "add":
        return await _add(services, chat.pk, words, subscription, subscriptions)
    if subscription is not None:
        return Reply.error(
            "Remove a rule by its number in /filter list, without a subscription number.",
            "Example: /filter remove 2",
        )
    return await _remove(services, chat.pk, words, subscriptions)


async def _add(
    services: Services,
    chat_pk: int,
    words: list[str],
    subscription: Subscription | None,
    subscriptions: list[Subscription],
) -> Reply:
    if not words or words[0].lower() not in KINDS:
        return Reply.error("Say include or exclude, then what to match.", *USAGE)
    kind = words[0].lower()
    try:
        pattern, is_regex = parse_rule_text(" ".join(words[1:]))
    except FilterError as exc:
        return Reply.error(str(exc), *USAGE)
    rules = await services.store.list_filters(chat_pk)
    scope = subscription.id if subscription else None
    for number, rule in enumerate(rules, start=1):
        if (rule.kind, rule.pattern, rule.is_regex, rule.subscription_id) == (
            kind,
            pattern,
            is_regex,
            scope,
        ):
            return Reply.error(f"That rule is already there: {number}. {rule.describe()}.")
    if len(rules) >= MAX_RULES_PER_CHAT:
        return Reply.error(
            f"This chat has {len(rules)} filters, the most allowed. "
            "Remove one first (/filter list, then /filter remove <number>)."
        )
    rule = await services.store.add_filter(
        chat_pk, kind=kind, pattern=pattern, is_regex=is_regex, subscription_id=scope
    )
    return Reply.success(
        f"Filter {len(rules) + 1} added: {rule.describe()} ({_scope(rule, subscriptions)}).",
        "It applies from the next digest, to stories already waiting too.",
        SEMANTICS,
    )


async def _remove(
    services: Services, chat_pk: int, words: list[str], subscriptions: list[Subscription]
) -> Reply:
    rules = await services.store.list_filters(chat_pk)
    if not rules:
        return Reply.error("This chat has no filters to remove.")
    number = parse_number(words[0]) if len(words) == 1 else None
    if number is None:
        return Reply.error(
            "Say which rule: its number in /filter list.", "Example: /filter remove 2"
        )
    if not 1 <= number <= len(rules):
        return Reply.error(
            f"There is no filter number {number}: this chat has {len(rules)}. "
            "Send /filter list to see them."
        )
    rule = rules[number - 1]
    await services.store.remove_filter(chat_pk, rule.id)
    lines = ["The other rules are renumbered: see /filter list."] if number < len(rules) else []
    return Reply.success(
        f"Filter removed: {rule.describe()} ({_scope(rule, subscriptions)}).", *lines
    )


async def _list(
    services: Services,
    chat_pk: int,
    subscriptions: list[Subscription],
    only: Subscription | None,
) -> Reply:
    rules = await services.store.list_filters(chat_pk)
    numbered = [
        (number, rule)
        for number, rule in enumerate(rules, start=1)
        if only is None or rule.subscription_id in (None, only.id)
    ]
    if not numbered:
        where = f" for {only.position}. {only.display_title}" if only else ""
        return Reply.info(
            f"No filters{where}: every new story is shown.",
            "Examples:",
            *USAGE,
        )
    lines = [
        f"{number}. {rule.describe()} — {_scope(rule, subscriptions)}" for number, rule in numbered
    ]
    return Reply.info(f"Filters ({len(numbered)}):", *lines, SEMANTICS)


def _scope(rule: FilterRule, subscriptions: list[Subscription]) -> str:
    if rule.subscription_id is None:
        return "all feeds"
    sub = next((s for s in subscriptions if s.id == rule.subscription_id), None)
    return f"only {sub.position}. {sub.display_title}" if sub else "a removed feed"


def add_filter_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="filter",
            summary="Show or change the keyword filters for this chat's digests",
            handler=filter_command,
            changes=Changes(
                what="the filters", is_change=changes_filters, hint="/filter list shows them."
            ),
            args=(
                ArgSpec(
                    "rule",
                    "list, add include|exclude <words or /regex/>, remove <n>",
                    required=False,
                    rest=True,
                ),
            ),
            details="\n".join(
                (
                    "Forms: /filter list · /filter add include|exclude <rule> · "
                    "/filter remove <number>. Put a subscription number (from /list) first "
                    "to make a rule apply only to that feed: /filter 3 add include /\\bAI\\b/.",
                    "Rules: words match any of them as whole words (rust python); "
                    '"quoted words" match that exact phrase; /pattern/ is a regular '
                    f"expression (at most {MAX_PATTERN_LENGTH} characters). Matching ignores "
                    "case and looks at the title, the summary and the article text.",
                    SEMANTICS,
                    "Hidden stories are marked as read.",
                )
            ),
        )
    )
