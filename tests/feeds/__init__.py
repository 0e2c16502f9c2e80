"""Tests of bot.feeds: polling feeds and subscribing to them."""
