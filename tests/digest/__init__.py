"""Tests of bot.digest: composing digests, stories, filters, pauses, per-chat settings."""
