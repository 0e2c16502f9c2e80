"""The Telegram adapter and renderer, end to end against the fake Bot API."""
