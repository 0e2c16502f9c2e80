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
    MAX_RULES_PER_CHAT,
    FilterError,
    parse_rule_text,
)
from bot.i18n import N_, _
from bot.models import FilterRule, Subscription
from handlers.context import CommandContext
from handlers.lookup import parse_number
from handlers.model import Reply
from handlers.registry import ArgSpec, Changes, CommandRegistry, CommandSpec
from handlers.services import Services

SEMANTICS = N_(
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
    action, _words = _action(args)
    return action == "add" or action in REMOVE_WORDS


async def filter_command(ctx: CommandContext) -> Reply:
    services, chat = ctx.services, ctx.chat
    subscription: Subscription | None = None
    subscriptions = await ctx.subscriptions()
    if ctx.args and parse_number(ctx.args[0]) is not None:
        subscription, complaint = await ctx.subscription(ctx.args[0])
        if subscription is None:
            return Reply.error(complaint or _("No such subscription."))
    action, words = _action(ctx.args)
    if action == "list":
        return await _list(services, chat.pk, subscriptions, subscription)
    if action not in REMOVE_WORDS and action != "add":
        return Reply.error(
            _("/filter does not know {action!r}: use list, add or remove.").format(action=action),
            *USAGE,
        )
    if action == "add":
        return await _add(services, chat.pk, words, subscription, subscriptions)
    if subscription is not None:
        return Reply.error(
            _("Remove a rule by its number in /filter list, without a subscription number."),
            _("Example: {example}").format(example="/filter remove 2"),
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
        return Reply.error(_("Say include or exclude, then what to match."), *USAGE)
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
            return Reply.error(
                _("That rule is already there: {number}. {rule}.").format(
                    number=number, rule=rule.describe()
                )
            )
    if len(rules) >= MAX_RULES_PER_CHAT:
        return Reply.error(
            _(
                "This chat has {count} filters, the most allowed. "
                "Remove one first (/filter list, then /filter remove <number>)."
            ).format(count=len(rules))
        )
    rule = await services.store.add_filter(
        chat_pk, kind=kind, pattern=pattern, is_regex=is_regex, subscription_id=scope
    )
    return Reply.success(
        _("Filter {number} added: {rule} ({scope}).").format(
            number=len(rules) + 1, rule=rule.describe(), scope=_scope(rule, subscriptions)
        ),
        _("It applies from the next digest, to stories already waiting too."),
        _(SEMANTICS),
    )


async def _remove(
    services: Services, chat_pk: int, words: list[str], subscriptions: list[Subscription]
) -> Reply:
    rules = await services.store.list_filters(chat_pk)
    if not rules:
        return Reply.error(_("This chat has no filters to remove."))
    number = parse_number(words[0]) if len(words) == 1 else None
    if number is None:
        return Reply.error(
            _("Say which rule: its number in /filter list."),
            _("Example: {example}").format(example="/filter remove 2"),
        )
    if not 1 <= number <= len(rules):
        return Reply.error(
            _(
                "There is no filter number {number}: this chat has {count}. "
                "Send /filter list to see them."
            ).format(number=number, count=len(rules))
        )
    rule = rules[number - 1]
    await services.store.remove_filter(chat_pk, rule.id)
    lines = [_("The other rules are renumbered: see /filter list.")] if number < len(rules) else []
    return Reply.success(
        _("Filter removed: {rule} ({scope}).").format(
            rule=rule.describe(), scope=_scope(rule, subscriptions)
        ),
        *lines,
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
        if only:
            head = _("No filters for {number}. {title}: every new story is shown.").format(
                number=only.position, title=only.display_title
            )
        else:
            head = _("No filters: every new story is shown.")
        return Reply.info(head, _("Examples:"), *USAGE)
    lines = [
        f"{number}. {rule.describe()} — {_scope(rule, subscriptions)}" for number, rule in numbered
    ]
    return Reply.info(_("Filters ({count}):").format(count=len(numbered)), *lines, _(SEMANTICS))


def _scope(rule: FilterRule, subscriptions: list[Subscription]) -> str:
    if rule.subscription_id is None:
        return _("all feeds")
    sub = next((s for s in subscriptions if s.id == rule.subscription_id), None)
    if sub is None:
        return _("a removed feed")
    return _("only {number}. {title}").format(number=sub.position, title=sub.display_title)


def add_filter_commands(registry: CommandRegistry) -> None:
    registry.add(
        CommandSpec(
            name="filter",
            summary=N_("Show or change the keyword filters for this chat's digests"),
            handler=filter_command,
            changes=Changes(
                what=N_("the filters"),
                is_change=changes_filters,
                hint=N_("/filter list shows them."),
            ),
            args=(
                ArgSpec(
                    "rule",
                    N_("list, add include|exclude <words or /regex/>, remove <n>"),
                    required=False,
                    rest=True,
                ),
            ),
            # One text, so it is translated whole; 200 is MAX_PATTERN_LENGTH.
            details=N_(
                "Forms: /filter list · /filter add include|exclude <rule> · "
                "/filter remove <number>. Put a subscription number (from /list) first "
                "to make a rule apply only to that feed: /filter 3 add include /\\bAI\\b/.\n"
                "Rules: words match any of them as whole words (rust python); "
                '"quoted words" match that exact phrase; /pattern/ is a regular '
                "expression (at most 200 characters). Matching ignores "
                "case and looks at the title, the summary and the article text.\n"
                "A story is shown when no exclude rule matches it and, if include rules apply "
                "to it, at least one of them matches.\n"
                "Hidden stories are marked as read."
            ),
        )
    )
