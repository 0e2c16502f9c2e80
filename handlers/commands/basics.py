"""/start and /help: what the bot is and what it can do, generated from the registry."""

from __future__ import annotations

from handlers.model import Command, Reply
from handlers.registry import ArgSpec, CommandRegistry, CommandSpec
from handlers.services import Services

WELCOME = (
    "Hello! I collect news from the feeds you choose and post a digest here: "
    "each new story once, with a short summary and its link."
)


def add_basic_commands(registry: CommandRegistry) -> None:
    """/start and /help need the registry itself, to list every command."""

    async def start(services: Services, command: Command) -> Reply:
        await services.store.get_or_create_chat(command.target)
        return Reply.info(
            WELCOME,
            "Add a feed: /subscribe <url> (a feed or a site's home page).",
            "See your feeds: /list. Get the news right now: /digest.",
            "All commands: /help.",
        )

    async def help_(services: Services, command: Command) -> Reply:
        if command.args:
            name = command.args[0].lstrip("/").lower()
            spec = registry.get(name)
            if spec is None:
                return Reply.error(f"There is no /{name} command. Send /help for the list.")
            lines = [f"Usage: {spec.usage}"]
            lines += [f"  {arg.name}: {arg.description}" for arg in spec.args]
            if spec.details:
                lines.append(spec.details)
            if spec.admin_only:
                lines.append("In groups, only chat administrators can use it.")
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
