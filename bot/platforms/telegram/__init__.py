"""Telegram through python-telegram-bot: the adapter (I/O) and the renderer (pure)."""
