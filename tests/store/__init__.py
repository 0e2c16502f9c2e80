"""Tests of bot.store: the store on SQLite and PostgreSQL, and its migrations."""
