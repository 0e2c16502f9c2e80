"""Tests of bot.news: fetching, parsing, cleaning, languages, full text, story keys, OPML."""
