"""The shared, platform-neutral command layer. It never imports telegram or discord."""
