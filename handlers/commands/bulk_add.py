"""Reporting on many feeds added at once (/import, /subscribe topic:…), within the quota.

The rules (what is fetched, in which order, when the chat's slots are full) are the bot's
(bot.feeds.subscribing); here the outcomes become the report users read: for every feed,
added, already present, or failed and why, and a closing line when the quota stopped some.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.feeds.subscribing import AddOutcome, WantedFeed
from handlers.context import CommandContext
from handlers.quota import quota_line

NO_SLOT = "no slot left"

__all__ = ["NO_SLOT", "BulkReport", "WantedFeed", "add_feeds"]


@dataclass(slots=True)
class BulkReport:
    added: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    quota_note: str | None = None

    @property
    def counts(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.present)} already present, "
            f"{len(self.failed)} failed"
        )

    @property
    def lines(self) -> tuple[str, ...]:
        note = (self.quota_note,) if self.quota_note else ()
        return (*self.added, *self.present, *self.failed, *note)

    @property
    def any_success(self) -> bool:
        return bool(self.added or self.present)


async def add_feeds(ctx: CommandContext, wanted: Sequence[WantedFeed]) -> BulkReport:
    """Follow every feed of a list the chat has room for, and report on each."""
    services = ctx.services
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
        report.added.append(f"+ {name}")
    elif outcome.already is not None:
        report.present.append(f"= {name}")
    else:
        report.failed.append(f"✗ {name}: {NO_SLOT if outcome.no_slot else outcome.error}")
