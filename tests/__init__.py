"""The test suite; its folders mirror the packages of the bot (see docs/ARCHITECTURE.md)."""
