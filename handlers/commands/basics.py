"""/start and /help: what the bot is and what it can do, generated from the registry."""

from __future__ import annotations

from bot.i18n import N_, _
from handlers.context import CommandContext
from handlers.model import Reply
from handlers.registry import ArgSpec, CommandRegistry, CommandSpec

WELCOME = N_(
    "Hello! I collect news from the feeds you choose and post a digest here: "
    "each new story once, with a short summary and its link."
)


def add_basic_commands(registry: CommandRegistry) -> None:
    """/start and /help need the registry itself, to list every command."""

    async def start(ctx: CommandContext) -> Reply:
        return Reply.info(
            _(WELCOME),
            _("Add a feed: /subscribe <url> (a feed or a site's home page)."),
            _("See your feeds: /list. Get the news right now: /digest."),
            _("Choose the language: /language. All commands: /help."),
        )

    async def help_(ctx: CommandContext) -> Reply:
        if ctx.args:
            name = ctx.args[0].lstrip("/").lower()
            spec = registry.get(name)
            if spec is None:
                return Reply.error(
                    _("There is no /{name} command. Send /help for the list.").format(name=name)
                )
            lines = [_("Usage: {usage}").format(usage=spec.usage)]
            lines += [f"  {arg.name}: {_(arg.description)}" for arg in spec.args]
            if spec.details:
                lines.append(_(spec.details))
            if note := spec.access_note():
                lines.append(note)
            return Reply.info(f"/{spec.name}: {_(spec.summary)}", *lines)
        lines = [f"{spec.usage} — {_(spec.summary)}" for spec in registry.all()]
        return Reply.info(_("Commands:"), *lines, _("Send /help <command> for details."))

    registry.add(CommandSpec(name="start", summary=N_("Introduce the bot"), handler=start))
    registry.add(
        CommandSpec(
            name="help",
            summary=N_("List the commands, or explain one"),
            handler=help_,
            args=(ArgSpec("command", N_("a command name, e.g. subscribe"), required=False),),
        )
    )
