"""Reporting on many feeds added at once (/import, /subscribe topic:…), within the quota.

The rules (what is fetched, in which order, when the chat's slots are full) are the bot's
(bot.feeds.subscribing); here the outcomes become one reply a reader can take in: how many
were added, already present or failed; the failures grouped by reason (207 failures are a
handful of reasons, not 207 lines); how to retry; and, when the list is long, the whole
per-feed report as a file. A long list is announced before the fetching starts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.feeds.subscribing import AddOutcome, WantedFeed
from bot.i18n import N_, _
from handlers.context import CommandContext
from handlers.model import Document, Reply
from handlers.quota import quota_line

NO_SLOT = N_("no slot left")
#: Names listed per group before "… and N more".
NAMES_PER_GROUP = 8
#: Per-feed lines beyond which the full report goes into a file.
MAX_INLINE_FEEDS = 25
#: Lists at least this long get a "checking…" message first.
PROGRESS_FROM = 10

__all__ = ["NO_SLOT", "BulkReport", "WantedFeed", "add_feeds", "failure_reason"]

# What a failure was, in words that group alike failures (checked in this order).
_REASONS: tuple[tuple[str, str | None], ...] = (
    (r"HTTP (\d{3})(?: ([A-Za-z][A-Za-z -]*))?", None),
    (r"timed out|no complete answer", N_("the site did not answer in time")),
    (r"DNS lookup|could not reach host|connection refused", N_("the site is unreachable")),
    (r"not a feed|no RSS, Atom|none could be read", N_("not a feed")),
    (r"private|loopback|non-global|reserved address", N_("a private address (refused)")),
    (r"not a valid URL|not a web address|URLs are not supported", N_("not a valid feed address")),
    (r"larger than", N_("too large")),
    (r"too many redirects|redirect", N_("redirects refused")),
)


def failure_reason(error: str) -> str:
    """The group a failure belongs to: an HTTP status, "unreachable", "not a feed"…
    (in English: the reply translates it where it shows it)."""
    if error == NO_SLOT:
        return NO_SLOT
    for pattern, label in _REASONS:
        match = re.search(pattern, error, re.IGNORECASE)
        if match:
            if label is None:  # an HTTP status: keep the code (and its phrase) as the label
                phrase = f" {match.group(2).strip()}" if match.group(2) else ""
                return f"HTTP {match.group(1)}{phrase}"
            return label
    return error if len(error) <= 80 else error[:79] + "…"


@dataclass(slots=True)
class BulkReport:
    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (name, error)
    quota_note: str | None = None

    @property
    def counts(self) -> str:
        return _("{added} added, {present} already present, {failed} failed").format(
            added=len(self.added), present=len(self.present), failed=len(self.failed)
        )

    @property
    def any_success(self) -> bool:
        return bool(self.added or self.present)

    @property
    def retryable(self) -> int:
        """Failures another try may fix (not those refused for want of a slot)."""
        return sum(1 for _name, error in self.failed if error != NO_SLOT)

    def lines(self) -> tuple[str, ...]:
        """The reply's lines: who was added, what failed by reason, what to do next."""
        lines = []
        if self.added:
            lines.append("+ " + _("added: {names}").format(names=_names(self.added)))
        if self.present:
            lines.append("= " + _("already present: {names}").format(names=_names(self.present)))
        groups: dict[str, list[str]] = {}
        for name, error in self.failed:
            groups.setdefault(failure_reason(error), []).append(name)
        for reason, names in sorted(groups.items(), key=lambda item: -len(item[1])):
            lines.append(f"✗ {_(reason)} ({len(names)}): {_names(names)}")
        if self.quota_note:
            lines.append(self.quota_note)
        if self.retryable:
            lines.append(
                _(
                    "To retry the feeds that failed, send the same file again: what is already "
                    "added is skipped, not fetched again."
                )
            )
        return tuple(lines)

    def full_text(self) -> str:
        """Every feed on a line of its own, for the attached report."""
        rows = [f"+ {name}" for name in self.added]
        rows += [f"= {name}" for name in self.present]
        rows += [
            f"✗ {name}: {_(error) if error == NO_SLOT else error}" for name, error in self.failed
        ]
        return "\n".join(rows) + "\n"

    def reply(self, summary: str, *extra: str, report_name: str = "report.txt") -> Reply:
        """The whole report as one reply; the per-feed list as a file when it is long."""
        document = None
        total = len(self.added) + len(self.present) + len(self.failed)
        if total > MAX_INLINE_FEEDS:
            document = Document(report_name, self.full_text().encode("utf-8"), "text/plain")
            extra = (
                *extra,
                _("The full list of {count} feeds is in {name}.").format(
                    count=total, name=report_name
                ),
            )
        make = Reply.success if self.any_success else Reply.error
        reply = make(summary, *self.lines(), *extra)
        return (
            reply
            if document is None
            else Reply(text=reply.text, kind=reply.kind, lines=reply.lines, document=document)
        )


async def add_feeds(ctx: CommandContext, wanted: Sequence[WantedFeed]) -> BulkReport:
    """Follow every feed of a list the chat has room for, and report on each."""
    services = ctx.services
    if len(wanted) >= PROGRESS_FROM:
        await ctx.progress(
            _("Checking {count} feeds; this may take a minute…").format(count=len(wanted))
        )
    results = await services.subscriber.add_many(ctx.chat, wanted)
    report = BulkReport()
    following = len(await ctx.subscriptions(fresh=True))
    for feed, outcome in results:
        _record(report, feed.title or feed.url, outcome)
        if outcome.no_slot:
            report.quota_note = quota_line(services.settings, following)
    return report


def _record(report: BulkReport, name: str, outcome: AddOutcome) -> None:
    if outcome.subscription is not None:
        report.added.append(name)
    elif outcome.already is not None:
        report.present.append(name)
    else:
        report.failed.append((name, NO_SLOT if outcome.no_slot else outcome.error or "failed"))


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_PER_GROUP])
    more = len(names) - NAMES_PER_GROUP
    return shown + (" " + _("… and {count} more").format(count=more) if more > 0 else "")
