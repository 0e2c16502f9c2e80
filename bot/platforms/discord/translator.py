"""Slash-command descriptions in the reader's language: discord.py's translator hook.

Discord shows a command's ``description_localizations`` to users whose client is in one
of those locales. discord.py asks a `Translator` for each string when it syncs the
commands; this one answers from the bot's catalogues (bot.i18n), so the command menu and
/help say the same. Names stay untranslated: /subscribe is /subscribe everywhere.
"""

from __future__ import annotations

import discord
from discord import app_commands
from discord.app_commands import TranslationContextLocation

from bot.i18n import DISCORD_LOCALES, translate
from bot.platforms.chunking import shorten

#: Discord's limit for command and option descriptions.
DESCRIPTION_LIMIT = 100
_TRANSLATED = (
    TranslationContextLocation.command_description,
    TranslationContextLocation.parameter_description,
)
_LANGUAGE_OF = {locale: language for language, codes in DISCORD_LOCALES.items() for locale in codes}


class CatalogueTranslator(app_commands.Translator):
    """Command and option descriptions from the catalogues; nothing else is translated."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        language = _LANGUAGE_OF.get(locale.value)
        if language is None or context.location not in _TRANSLATED:
            return None
        source = string.extras.get("source", string.message)
        text = translate(source, language)
        return shorten(text, DESCRIPTION_LIMIT) if text != source else None
