"""The bot's command set: every command module registered in the order /help lists them."""

from handlers.basics import add_basic_commands
from handlers.digest_now import add_digest_commands
from handlers.opml_commands import add_opml_commands
from handlers.registry import CommandRegistry
from handlers.schedule_commands import add_schedule_commands
from handlers.subscriptions import add_subscription_commands


def build_registry() -> CommandRegistry:
    """Every command the bot understands; platforms build their menus from it."""
    registry = CommandRegistry()
    add_basic_commands(registry)
    add_subscription_commands(registry)
    add_digest_commands(registry)
    add_schedule_commands(registry)
    add_opml_commands(registry)
    return registry
