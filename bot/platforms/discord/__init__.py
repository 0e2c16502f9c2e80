"""Discord through discord.py: the adapter (I/O) and the renderer (pure)."""
