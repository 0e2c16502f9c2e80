"""The bot's command set: every command module registered in the order /help lists them."""

from handlers.commands.basics import add_basic_commands
from handlers.commands.catalogue import add_catalogue_commands
from handlers.commands.digest import add_digest_commands
from handlers.commands.filters import add_filter_commands
from handlers.commands.fulltext import add_fulltext_commands
from handlers.commands.language import add_language_commands
from handlers.commands.manage import add_manage_commands
from handlers.commands.opml import add_opml_commands
from handlers.commands.pause import add_pause_commands
from handlers.commands.rename import add_rename_commands
from handlers.commands.schedule import add_schedule_commands
from handlers.commands.settings import add_settings_commands
from handlers.commands.stats import add_stats_commands
from handlers.commands.subscriptions import add_subscription_commands
from handlers.registry import CommandRegistry


def build_registry() -> CommandRegistry:
    """Every command the bot understands; platforms build their menus from it."""
    registry = CommandRegistry()
    add_basic_commands(registry)
    add_subscription_commands(registry)
    add_manage_commands(registry)
    add_catalogue_commands(registry)  # extends /subscribe: after it
    add_rename_commands(registry)
    add_filter_commands(registry)
    add_digest_commands(registry)
    add_schedule_commands(registry)
    add_pause_commands(registry)
    add_settings_commands(registry)
    add_language_commands(registry)
    add_opml_commands(registry)
    add_fulltext_commands(registry)
    add_stats_commands(registry)
    return registry
