"""The bot's command set: every command module registered in the order /help lists them."""

from handlers.basics import add_basic_commands
from handlers.catalogue_commands import add_catalogue_commands
from handlers.digest_now import add_digest_commands
from handlers.filter_commands import add_filter_commands
from handlers.fulltext_commands import add_fulltext_commands
from handlers.opml_commands import add_opml_commands
from handlers.pause_commands import add_pause_commands
from handlers.registry import CommandRegistry
from handlers.rename_command import add_rename_commands
from handlers.schedule_commands import add_schedule_commands
from handlers.settings_commands import add_settings_commands
from handlers.stats_commands import add_stats_commands
from handlers.subscriptions import add_subscription_commands


def build_registry() -> CommandRegistry:
    """Every command the bot understands; platforms build their menus from it."""
    registry = CommandRegistry()
    add_basic_commands(registry)
    add_subscription_commands(registry)
    add_catalogue_commands(registry)  # extends /subscribe: after it
    add_rename_commands(registry)
    add_filter_commands(registry)
    add_digest_commands(registry)
    add_schedule_commands(registry)
    add_pause_commands(registry)
    add_settings_commands(registry)
    add_opml_commands(registry)
    add_fulltext_commands(registry)
    add_stats_commands(registry)
    return registry
