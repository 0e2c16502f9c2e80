"""The terminal as a chat platform: for trying the bot and for tests."""
