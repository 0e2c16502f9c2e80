"""The Discord adapter and renderer, end to end against the fake REST API and gateway."""
