"""/start and /help: what the bot is and what it can do, generated from the registry."""

from __future__ import annotations

from handlers.context import CommandContext
from handlers.model import Reply
from handlers.registry import ArgSpec, CommandRegistry, CommandSpec

WELCOME = (
    "Hello! I collect news from the feeds you choose and post a digest here: "
    "each new story once, with a short summary and its link."
)


def add_basic_commands(registry: CommandRegistry) -> None:
    """/start and /help need the registry itself, to list every command."""

    async def start(ctx: CommandContext) -> Reply:
        return Reply.info(
            WELCOME,
            "Add a feed: /subscribe <url> (a feed or a site's home page).",
            "See your feeds: /list. Get the news right now: /digest.",
            "All commands: /help.",
        )

    async def help_(ctx: CommandContext) -> Reply:
        if ctx.args:
            name = ctx.args[0].lstrip("/").lower()
            spec = registry.get(name)
            if spec is None:
                return Reply.error(f"There is no /{name} command. Send /help for the list.")
            lines = [f"Usage: {spec.usage}"]
            lines += [f"  {arg.name}: {arg.description}" for arg in spec.args]
            if spec.details:
                lines.append(spec.details)
            if note := spec.access_note():
                lines.append(note)
            return Reply.info(f"/{spec.name}: {spec.summary}", *lines)
        lines = [f"{spec.usage} — {spec.summary}" for spec in registry.all()]
        return Reply.info("Commands:", *lines, "Send /help <command> for details.")

    registry.add(CommandSpec(name="start", summary="Introduce the bot", handler=start))
    registry.add(
        CommandSpec(
            name="help",
            summary="List the commands, or explain one",
            handler=help_,
            args=(ArgSpec("command", "a command name, e.g. subscribe", required=False),),
        )
    )
