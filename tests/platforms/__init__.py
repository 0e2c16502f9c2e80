"""Tests of bot.platforms: what every adapter does the same, and each adapter on its own."""
