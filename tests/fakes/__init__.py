"""In-process fakes of external services (chat platform APIs) for end-to-end tests.

The fakes are test code, so their own tests (test_fake_*.py) sit here next to them rather
than under tests/platforms, which tests the bot's adapters against them.
"""
